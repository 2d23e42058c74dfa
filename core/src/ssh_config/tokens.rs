//! OpenSSH's `%` tokens (ssh_config(5), TOKENS) and `~`, for the directives wsusfix applies:
//! `HostName` takes `%h` and `%%`; `IdentityFile` and `UserKnownHostsFile` take `%%`, `%d` (home), `%h` (the host connected to), `%i` (local
//! user id), `%n` (the name as given), `%p` (port), `%r` (remote user) and `%u` (local user).
//! A token wsusfix does not know is refused, as ssh refuses one it does not know.
//! `GlobalKnownHostsFile` takes none, as in ssh.

/// The values tokens stand for.
#[derive(Clone, Debug, Default)]
pub struct Tokens {
    /// `%d`, and `~/`.
    pub home: Option<String>,
    /// `%u`.
    pub local_user: String,
    /// `%i`.
    pub local_uid: Option<u32>,
    /// `%h`.
    pub host: String,
    /// `%n`: the inventory name.
    pub original: String,
    /// `%p`.
    pub port: u16,
    /// `%r`.
    pub remote_user: String,
}

/// `text` with its tokens replaced; `allowed` lists the token letters this directive takes.
pub(super) fn expand(text: &str, tokens: &Tokens, allowed: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let Some(letter) = chars.next() else { return Err("ends with a lone `%`".into()) };
        if letter != '%' && !allowed.contains(letter) {
            return Err(format!(
                "`%{letter}` is not a token wsusfix expands here (it knows %%{allowed_list})",
                allowed_list = allowed.chars().map(|l| format!(" %{l}")).collect::<String>()
            ));
        }
        match letter {
            '%' => out.push('%'),
            'd' => out.push_str(tokens.home.as_deref().ok_or("`%d` needs a home folder and none is known")?),
            'u' => out.push_str(&tokens.local_user),
            'i' => out.push_str(&tokens.local_uid.ok_or("`%i` needs the local user id")?.to_string()),
            'h' => out.push_str(&tokens.host),
            'n' => out.push_str(&tokens.original),
            'p' => out.push_str(&tokens.port.to_string()),
            'r' => out.push_str(&tokens.remote_user),
            _ => return Err(format!("`%{letter}` is not a token wsusfix expands")),
        }
    }
    Ok(out)
}

/// The tokens a path directive takes.
pub(super) const PATH_TOKENS: &str = "dhinpru";

/// A path with its tokens and a leading `~/` expanded, as OpenSSH expands `IdentityFile`.
pub(super) fn path(text: &str, tokens: &Tokens) -> Result<String, String> {
    let expanded = match text.strip_prefix("~/") {
        Some(rest) => {
            let home = tokens.home.as_deref().ok_or("`~` needs a home folder and none is known")?;
            format!("{}/{rest}", home.trim_end_matches('/'))
        }
        None if text == "~" => tokens.home.clone().ok_or("`~` needs a home folder and none is known")?,
        None if text.starts_with('~') => return Err("only `~/` is expanded (another user's `~name` is not)".into()),
        None => text.to_owned(),
    };
    expand(&expanded, tokens, PATH_TOKENS)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens {
            home: Some("/home/op".into()),
            local_user: "op".into(),
            local_uid: Some(1000),
            host: "10.0.0.5".into(),
            original: "wsus01".into(),
            port: 2222,
            remote_user: "Administrator".into(),
        }
    }

    #[test]
    fn every_token() {
        let t = tokens();
        assert_eq!(path("~/.ssh/id_%h_%r", &t).unwrap(), "/home/op/.ssh/id_10.0.0.5_Administrator");
        assert_eq!(path("%d/%u/%i/%n/%p/100%%", &t).unwrap(), "/home/op/op/1000/wsus01/2222/100%");
        assert_eq!(path("/abs/%n", &t).unwrap(), "/abs/wsus01");
        assert_eq!(expand("%h.corp", &t, "h").unwrap(), "10.0.0.5.corp");
    }

    #[test]
    fn unknown_tokens_and_other_homes_are_refused() {
        let t = tokens();
        assert!(expand("%r", &t, "h").unwrap_err().contains("%r"));
        assert!(path("%C", &t).unwrap_err().contains("%C"));
        assert!(path("x%", &t).unwrap_err().contains("lone"));
        assert!(path("~root/.ssh/id", &t).is_err());
        let homeless = Tokens { home: None, ..tokens() };
        assert!(path("~/.ssh/id", &homeless).is_err());
    }
}
