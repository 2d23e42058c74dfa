//! `whoami /groups` (and plain `whoami`). On 2008 the mandatory label tells an elevated token
//! (`High Mandatory Level`, S-1-16-12288) from a filtered one (`Medium`, S-1-16-8192); SYSTEM
//! has `System Mandatory Level`. Server 2003's support-tools whoami has no label.

use super::{Ctx, Io, Status};
use crate::host::{Os, Principal};

const ENABLED: &str = "Mandatory group, Enabled by default, Enabled group";

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
    let mut groups: Vec<(&str, &str, &str, String)> = vec![("Everyone", "Well-known group", "S-1-1-0", ENABLED.into())];
    let admins_attr = match ctx.principal {
        Principal::User(token) if ctx.host.os == Os::W2008 && !Principal::User(token).elevated() => {
            "Group used for deny only".to_string()
        }
        _ => format!("{ENABLED}, Group owner"),
    };
    groups.push(("BUILTIN\\Administrators", "Alias", "S-1-5-32-544", admins_attr));
    if ctx.principal != Principal::System {
        groups.push(("BUILTIN\\Users", "Alias", "S-1-5-32-545", ENABLED.into()));
        groups.push(("NT AUTHORITY\\NETWORK", "Well-known group", "S-1-5-2", ENABLED.into()));
    }
    groups.push(("NT AUTHORITY\\Authenticated Users", "Well-known group", "S-1-5-11", ENABLED.into()));
    groups.push(("NT AUTHORITY\\This Organization", "Well-known group", "S-1-5-15", ENABLED.into()));
    if ctx.host.os == Os::W2008 {
        let label = match ctx.principal {
            Principal::System => ("Mandatory Label\\System Mandatory Level", "S-1-16-16384"),
            p if p.elevated() => ("Mandatory Label\\High Mandatory Level", "S-1-16-12288"),
            _ => ("Mandatory Label\\Medium Mandatory Level", "S-1-16-8192"),
        };
        groups.push((label.0, "Label", label.1, "Mandatory group, Enabled by default, Enabled group".into()));
    }
    let name_w = groups.iter().map(|g| g.0.len()).max().unwrap_or(10).max(42);
    let attr_w = groups.iter().map(|g| g.3.len()).max().unwrap_or(10);
    let mut text = String::from("\r\nGROUP INFORMATION\r\n-----------------\r\n\r\n");
    text.push_str(&format!("{:<name_w$} {:<16} {:<12} Attributes\r\n", "Group Name", "Type", "SID"));
    text.push_str(&format!("{} {} {} {}\r\n", "=".repeat(name_w), "=".repeat(16), "=".repeat(12), "=".repeat(attr_w)));
    for (name, kind, sid, attr) in &groups {
        text.push_str(&format!("{name:<name_w$} {kind:<16} {sid:<12} {attr}\r\n"));
    }
    ctx.print(io, &text);
    Status::ok()
}
