//! `whoami /groups` (and plain `whoami`). On 2008 the mandatory label tells an elevated token
//! (`High Mandatory Level`, S-1-16-12288) from a filtered one (`Medium`, S-1-16-8192); SYSTEM
//! has `System Mandatory Level`. Server 2003's support-tools whoami has no label.

use super::{Ctx, Io, Status};
use crate::host::{Os, Principal};

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let computer = ctx.var("COMPUTERNAME").unwrap_or_default().to_ascii_lowercase();
    let user = match ctx.principal {
        Principal::System => "nt authority\\system".to_string(),
        Principal::User(_) => format!("{computer}\\{}", ctx.host.user.to_ascii_lowercase()),
    };
    if !args.iter().any(|a| a.eq_ignore_ascii_case("/groups")) {
        ctx.print(io, &format!("{user}\r\n"));
        return Status::ok();
    }
    let w = ctx.lang().whoami();
    let enabled = w.enabled;
    let mut groups: Vec<(&str, &str, &str, String)> = vec![(w.everyone, w.well_known, "S-1-1-0", enabled.into())];
    let admins_attr = match ctx.principal {
        Principal::User(token) if ctx.host.os == Os::W2008 && !Principal::User(token).elevated() => {
            w.deny_only.to_string()
        }
        _ => format!("{enabled}, {}", w.owner),
    };
    groups.push((w.administrators, w.alias, "S-1-5-32-544", admins_attr));
    if ctx.principal != Principal::System {
        groups.push((w.users, w.alias, "S-1-5-32-545", enabled.into()));
        groups.push((w.network, w.well_known, "S-1-5-2", enabled.into()));
    }
    groups.push((w.authenticated, w.well_known, "S-1-5-11", enabled.into()));
    groups.push((w.organization, w.well_known, "S-1-5-15", enabled.into()));
    if ctx.host.os == Os::W2008 {
        let label = match ctx.principal {
            Principal::System => (w.labels[2], "S-1-16-16384"),
            p if p.elevated() => (w.labels[1], "S-1-16-12288"),
            _ => (w.labels[0], "S-1-16-8192"),
        };
        groups.push((label.0, w.label, label.1, enabled.into()));
    }
    // Columns are padded by characters, as whoami pads its UTF-16 strings.
    let chars = |s: &str| s.chars().count();
    let name_w = groups.iter().map(|g| chars(g.0)).max().unwrap_or(10).max(42);
    let type_w = groups.iter().map(|g| chars(g.1)).max().unwrap_or(16).max(16);
    let attr_w = groups.iter().map(|g| chars(&g.3)).max().unwrap_or(10);
    let [c_name, c_type, c_sid, c_attr] = w.columns;
    let mut text = format!("\r\n{}\r\n{}\r\n\r\n", w.title, "-".repeat(chars(w.title).max(17)));
    text.push_str(&format!("{c_name:<name_w$} {c_type:<type_w$} {c_sid:<12} {c_attr}\r\n"));
    text.push_str(&format!(
        "{} {} {} {}\r\n",
        "=".repeat(name_w),
        "=".repeat(type_w),
        "=".repeat(12),
        "=".repeat(attr_w)
    ));
    for (name, kind, sid, attr) in &groups {
        text.push_str(&format!("{name:<name_w$} {kind:<type_w$} {sid:<12} {attr}\r\n"));
    }
    ctx.print(io, &text);
    Status::ok()
}
