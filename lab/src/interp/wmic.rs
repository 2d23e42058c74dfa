//! `wmic datafile where "name='C:\\...'" get Version /value`, `wmic os get ...` and `wmic
//! logicaldisk where "DeviceID='C:'" get FreeSpace /value` (free space from the host's
//! `free_bytes`). Property names are never localized; "No Instance(s) Available." is.
//! Lines end in `\r\r\n`; `/value` prints properties in alphabetical order between blank
//! lines. Server 2003 has no `OSArchitecture`, and asking for it fails like any bad property.

use super::{has_flag, Ctx, Io, Status};
use crate::host::{clock, Arch, Os};

/// `WBEM_E_INVALID_QUERY`, the exit code of a query naming an unknown property.
const INVALID_QUERY: i32 = -2_147_217_385;

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let Some(alias) = args.first().map(|a| a.to_ascii_lowercase()) else {
        ctx.eprint(io, "wmic:root\\cli>\r\n");
        return Status::ok();
    };
    let Some(get) = args.iter().position(|a| a.eq_ignore_ascii_case("get")) else {
        return invalid(ctx, io, "Invalid verb.");
    };
    let props: Vec<String> = args[get + 1..]
        .iter()
        .take_while(|a| !a.starts_with('/'))
        .flat_map(|a| a.split(',').map(str::trim).filter(|p| !p.is_empty()).map(str::to_string).collect::<Vec<_>>())
        .collect();
    let value_format = has_flag(args, "/value");
    let instance = match alias.as_str() {
        "os" => Some(os_properties(ctx)),
        "datafile" => {
            let Some(name) = args.get(1..get).and_then(where_name) else {
                return invalid(ctx, io, "Invalid query");
            };
            datafile_properties(ctx, &name)
        }
        "logicaldisk" => {
            let clause = args.get(1..get).unwrap_or_default();
            let device = if clause.is_empty() { Some("C:".to_string()) } else { where_value(clause, "deviceid") };
            let Some(device) = device else {
                return invalid(ctx, io, "Invalid query");
            };
            logicaldisk_properties(ctx, &device)
        }
        _ => return invalid(ctx, io, "Invalid alias verb."),
    };
    let Some(instance) = instance else {
        let msg = ctx.lang().wmic_no_instance();
        if ctx.host.os == Os::W2003 {
            ctx.print(io, msg);
        } else {
            ctx.eprint(io, msg);
        }
        return Status::ok();
    };
    let mut selected = Vec::new();
    for p in &props {
        match instance.iter().find(|(name, _)| name.eq_ignore_ascii_case(p)) {
            Some(found) => selected.push(found.clone()),
            None => return invalid(ctx, io, "Invalid query"),
        }
    }
    if selected.is_empty() {
        selected = instance;
    }
    selected.sort_by_key(|(name, _)| name.to_ascii_lowercase());
    let text = if value_format { value_block(&selected) } else { table(&selected) };
    ctx.print(io, &text);
    Status::ok()
}

fn invalid(ctx: &mut Ctx, io: &Io, description: &str) -> Status {
    let node = ctx.var("COMPUTERNAME").unwrap_or_default();
    ctx.eprint(io, &format!("Node - {node}\r\nERROR:\r\nDescription = {description}\r\n\r\n"));
    Status::code(INVALID_QUERY)
}

/// `name='C:\\dir\\file.dll'` (backslashes doubled, either quote) to a plain path.
fn where_name(clause: &[String]) -> Option<String> {
    where_value(clause, "name")
}

/// The quoted value of `PROPERTY='value'` in a where clause (backslashes undoubled).
fn where_value(clause: &[String], property: &str) -> Option<String> {
    let text = clause.iter().skip_while(|a| a.eq_ignore_ascii_case("where")).cloned().collect::<Vec<_>>().join(" ");
    let lower = text.to_ascii_lowercase();
    let at = lower.find(property)?;
    let rest = text[at + property.len()..].trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let body = &rest[1..];
    let end = body.find(quote)?;
    Some(body[..end].replace("\\\\", "\\"))
}

fn os_properties(ctx: &Ctx) -> Vec<(String, String)> {
    let host = &ctx.host;
    let build = host.os_version.rsplit('.').next().unwrap_or_default().to_string();
    let mut props = vec![
        ("BuildNumber".to_string(), build),
        ("Caption".to_string(), host.caption.clone()),
        ("CSName".to_string(), ctx.var("COMPUTERNAME").unwrap_or_default()),
        ("Version".to_string(), host.os_version.clone()),
    ];
    if host.os == Os::W2008 {
        let bits = if host.arch == Arch::X64 { "64-bit" } else { "32-bit" };
        props.push(("OSArchitecture".to_string(), bits.to_string()));
    }
    props
}

fn datafile_properties(ctx: &Ctx, name: &str) -> Option<Vec<(String, String)>> {
    let path = ctx.path(name);
    let file = ctx.host.fs.file(&path)?;
    Some(vec![
        ("FileSize".to_string(), file.content.len().to_string()),
        ("LastModified".to_string(), clock::cim_datetime(file.modified)),
        ("Name".to_string(), file.path.to_ascii_lowercase()),
        ("Version".to_string(), file.version.clone().unwrap_or_default()),
    ])
}

fn logicaldisk_properties(ctx: &Ctx, device: &str) -> Option<Vec<(String, String)>> {
    if !device.eq_ignore_ascii_case("C:") {
        return None;
    }
    let free = ctx.host.free_bytes;
    // A 40 GiB disk, or larger when a profile frees more than 30 GiB.
    let size = (free + 10_737_418_240).max(42_949_672_960);
    Some(vec![
        ("Caption".to_string(), "C:".to_string()),
        ("DeviceID".to_string(), "C:".to_string()),
        ("DriveType".to_string(), "3".to_string()),
        ("FileSystem".to_string(), "NTFS".to_string()),
        ("FreeSpace".to_string(), free.to_string()),
        ("Size".to_string(), size.to_string()),
        ("VolumeName".to_string(), String::new()),
    ])
}

fn value_block(props: &[(String, String)]) -> String {
    let mut text = String::from("\r\r\n\r\r\n");
    for (name, value) in props {
        text.push_str(&format!("{name}={value}\r\r\n"));
    }
    text.push_str("\r\r\n\r\r\n\r\r\n");
    text
}

fn table(props: &[(String, String)]) -> String {
    let widths: Vec<usize> = props.iter().map(|(n, v)| n.len().max(v.len()) + 2).collect();
    let mut header = String::new();
    let mut row = String::new();
    for ((name, value), w) in props.iter().zip(&widths) {
        header.push_str(&format!("{name:<w$}"));
        row.push_str(&format!("{value:<w$}"));
    }
    format!("{header}\r\r\n{row}\r\r\n\r\r\n")
}

#[cfg(test)]
mod tests {
    use super::{where_name, where_value};

    #[test]
    fn where_clause_undoubles_backslashes() {
        let clause = vec!["where".to_string(), r"name='C:\\Program Files\\a.dll'".to_string()];
        assert_eq!(where_name(&clause).as_deref(), Some(r"C:\Program Files\a.dll"));
        assert_eq!(where_name(&["where".into(), "size=3".into()]), None);
        assert_eq!(where_value(&["where".into(), "DeviceID='C:'".into()], "deviceid").as_deref(), Some("C:"));
    }
}
