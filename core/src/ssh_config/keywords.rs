//! What each OpenSSH client keyword means to wsusfix: one it applies, one that does not change
//! where or how securely a connection is made (ignored without a word), or one that would, which
//! is named in a warning when it applies to a host.

/// The keywords wsusfix applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Applied {
    HostName,
    Port,
    User,
    IdentityFile,
    ProxyJump,
    UserKnownHostsFile,
    GlobalKnownHostsFile,
    StrictHostKeyChecking,
    ConnectTimeout,
    ServerAliveInterval,
    KexAlgorithms,
    IgnoreUnknown,
}

/// What a keyword (lowercase) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Keyword {
    Applied(Applied),
    /// Harmless to leave out: forwarding, terminals, logging, algorithm lists (libssh2
    /// negotiates its own; a server that shares none fails the handshake, loudly).
    Silent,
    /// ssh would connect elsewhere, otherwise, or check less: the reason says what wsusfix does.
    Warn(&'static str),
    Unknown,
}

const APPLIED: &[(&str, Applied)] = &[
    ("hostname", Applied::HostName),
    ("port", Applied::Port),
    ("user", Applied::User),
    ("identityfile", Applied::IdentityFile),
    ("proxyjump", Applied::ProxyJump),
    ("userknownhostsfile", Applied::UserKnownHostsFile),
    ("globalknownhostsfile", Applied::GlobalKnownHostsFile),
    ("stricthostkeychecking", Applied::StrictHostKeyChecking),
    ("connecttimeout", Applied::ConnectTimeout),
    ("serveraliveinterval", Applied::ServerAliveInterval),
    ("kexalgorithms", Applied::KexAlgorithms),
    ("ignoreunknown", Applied::IgnoreUnknown),
];

const WARN: &[(&str, &str)] = &[
    ("proxycommand", "is not run: wsusfix connects directly, or through ProxyJump / jump_host"),
    ("hostkeyalias", "is not applied: host keys are looked up under the address connected to"),
    ("certificatefile", "is not used: wsusfix authenticates with keys, the agent or a password, not certificates"),
    ("canonicalizehostname", "is not applied: names are not canonicalized"),
    ("canonicaldomains", "is not applied: names are not canonicalized"),
    ("identityagent", "is not applied: wsusfix asks the agent of SSH_AUTH_SOCK"),
    ("pkcs11provider", "is not used: wsusfix reads no PKCS#11 tokens"),
    ("securitykeyprovider", "is not used: wsusfix uses no security keys"),
    ("knownhostscommand", "is not run: host keys are checked against known_hosts files only"),
    ("revokedhostkeys", "is not applied: wsusfix does not read a revoked-keys list"),
    ("bindaddress", "is not applied: the system chooses the local address"),
    ("bindinterface", "is not applied: the system chooses the local interface"),
    ("addressfamily", "is not applied: every address the name resolves to may be used"),
    ("verifyhostkeydns", "is not applied: a key is trusted only from known_hosts"),
];

/// Every other client keyword of OpenSSH 9 (and a few older and vendor ones).
const SILENT: &[&str] = &[
    "addkeystoagent",
    "batchmode",
    "casignaturealgorithms",
    "canonicalizefallbacklocal",
    "canonicalizemaxdots",
    "canonicalizepermittedcnames",
    "challengeresponseauthentication",
    "channeltimeout",
    "checkhostip",
    "cipher",
    "ciphers",
    "clearallforwardings",
    "compression",
    "connectionattempts",
    "controlmaster",
    "controlpath",
    "controlpersist",
    "dynamicforward",
    "enableescapecommandline",
    "enablesshkeysign",
    "escapechar",
    "exitonforwardfailure",
    "fingerprinthash",
    "forkafterauthentication",
    "forwardagent",
    "forwardx11",
    "forwardx11timeout",
    "forwardx11trusted",
    "gatewayports",
    "gssapiauthentication",
    "gssapidelegatecredentials",
    "gssapikeyexchange",
    "gssapiclientidentity",
    "gssapiserveridentity",
    "gssapirenewalforcesrekey",
    "gssapitrustdns",
    "gssapikexalgorithms",
    "hashknownhosts",
    "hostbasedauthentication",
    "hostbasedacceptedalgorithms",
    "hostbasedkeytypes",
    "hostkeyalgorithms",
    "identitiesonly",
    "ipqos",
    "kbdinteractiveauthentication",
    "kbdinteractivedevices",
    "localcommand",
    "localforward",
    "loglevel",
    "logverbose",
    "macs",
    "nohostauthenticationforlocalhost",
    "numberofpasswordprompts",
    "obscurekeystroketiming",
    "passwordauthentication",
    "permitlocalcommand",
    "permitremoteopen",
    "preferredauthentications",
    "protocol",
    "proxyusefdpass",
    "pubkeyacceptedalgorithms",
    "pubkeyacceptedkeytypes",
    "pubkeyauthentication",
    "rekeylimit",
    "remotecommand",
    "remoteforward",
    "requesttty",
    "requiredrsasize",
    "sendenv",
    "serveralivecountmax",
    "sessiontype",
    "setenv",
    "stdinnull",
    "streamlocalbindmask",
    "streamlocalbindunlink",
    "syslogfacility",
    "tag",
    "tcpkeepalive",
    "tunnel",
    "tunneldevice",
    "updatehostkeys",
    "usekeychain",
    "useprivilegedport",
    "useroaming",
    "visualhostkey",
    "xauthlocation",
    "rsaauthentication",
    "rhostsrsaauthentication",
    "compressionlevel",
    "fallbacktorsh",
    "usersh",
];

pub(super) fn classify(keyword: &str) -> Keyword {
    if let Some((_, applied)) = APPLIED.iter().find(|(k, _)| *k == keyword) {
        return Keyword::Applied(*applied);
    }
    if let Some((_, reason)) = WARN.iter().find(|(k, _)| *k == keyword) {
        return Keyword::Warn(reason);
    }
    if SILENT.contains(&keyword) {
        return Keyword::Silent;
    }
    Keyword::Unknown
}

/// How a warning names a keyword: as OpenSSH's manual spells it where wsusfix knows it.
pub(super) fn spelled(keyword: &str) -> String {
    const NAMES: &[&str] = &[
        "HostName",
        "Port",
        "User",
        "IdentityFile",
        "ProxyJump",
        "UserKnownHostsFile",
        "GlobalKnownHostsFile",
        "StrictHostKeyChecking",
        "ConnectTimeout",
        "ServerAliveInterval",
        "KexAlgorithms",
        "IgnoreUnknown",
        "ProxyCommand",
        "HostKeyAlias",
        "CertificateFile",
        "CanonicalizeHostname",
        "CanonicalDomains",
        "IdentityAgent",
        "PKCS11Provider",
        "SecurityKeyProvider",
        "KnownHostsCommand",
        "RevokedHostKeys",
        "BindAddress",
        "BindInterface",
        "AddressFamily",
        "VerifyHostKeyDNS",
        "Match",
        "Host",
        "Include",
    ];
    NAMES.iter().find(|n| n.eq_ignore_ascii_case(keyword)).map_or_else(|| keyword.to_owned(), |n| (*n).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_keyword_has_one_meaning() {
        assert_eq!(classify("hostname"), Keyword::Applied(Applied::HostName));
        assert!(matches!(classify("proxycommand"), Keyword::Warn(_)));
        assert_eq!(classify("sendenv"), Keyword::Silent);
        assert_eq!(classify("frobnicate"), Keyword::Unknown);
        for (k, _) in WARN {
            assert!(!SILENT.contains(k) && !APPLIED.iter().any(|(a, _)| a == k), "{k}");
        }
        assert_eq!(spelled("proxyjump"), "ProxyJump");
        assert_eq!(spelled("sendenv"), "sendenv");
    }
}
