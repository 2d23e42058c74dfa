//! `sqlcmd` (the SQL Server 2005 command-line tool) against the Windows Internal Database that
//! WSUS 3.0 runs on (instance `MICROSOFT##SSEE`, pipe `np:\\.\pipe\MSSQL$MICROSOFT##SSEE\sql\query`).
//!
//! It answers the one query wsusfix sends, `BACKUP DATABASE SUSDB TO DISK='path' [WITH INIT]`,
//! by writing the `.bak` file and printing the pages processed, as SQL Server does. Like the real
//! tool it writes its messages to stdout (`-r` is not simulated). The pipe exists while the
//! internal database's service runs: otherwise, or with a server name that is not that
//! instance, the connection fails (exit 1 with or without `-b`). A server-side error (an
//! unknown query, a database that does not exist, a backup folder that does not exist) prints
//! SQL Server's `Msg` lines and exits 1 with `-b`, 0 without (sqlcmd's documented behaviour).
//!
//! `osql` (SQL Server 2000's tool, also shipped with 2005's) takes the same switches here and
//! answers the backup alike; only its connection failure reads otherwise. A host runs either
//! only where the file is (a profile's `sql_tool`): a real Windows Internal Database ships
//! neither.

use super::{Ctx, Io, Status};
use crate::host::fs::{parent, FileEntry};
use crate::host::{Content, RegData, ServiceState};

const SERVICE: &str = "MSSQL$MICROSOFT##SSEE";
const INSTANCE: &str = "MICROSOFT##SSEE";
const DATABASE: &str = "SUSDB";
/// Pages of the SUSDB log file every backup copies.
const LOG_PAGES: u64 = 2;
/// Simulated backup throughput, bytes per second.
const THROUGHPUT: u64 = 24 * 1024 * 1024;

/// Options that take a value (`-S server` or `-Sserver`); sqlcmd's options are case-sensitive.
/// Only `-S` and `-Q`/`-q` change anything here (`-i` and `-o` files are not simulated).
const VALUE_OPTIONS: &str = "SUPdQqiolHtAhswcvayY";
/// Options that stand alone.
const FLAG_OPTIONS: &str = "EbeIWXp";
/// Options with an optional value written glued (`-r1`, `-k2`).
const OPTIONAL_VALUE_OPTIONS: &str = "rk";

/// Which of the two tools runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flavour {
    Sqlcmd,
    Osql,
}

/// What the command line asked for.
#[derive(Debug, Default)]
struct Invocation {
    server: Option<String>,
    query: Option<String>,
    abort_on_error: bool,
}

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String], flavour: Flavour) -> Status {
    let inv = match parse_args(args) {
        Ok(inv) => inv,
        Err(message) => {
            ctx.print(io, &message);
            return Status::code(1);
        }
    };
    let Some(query) = inv.query.as_deref() else {
        // Interactive mode: the session's stdin is empty, so sqlcmd prompts once and ends.
        ctx.print(io, "1> ");
        return Status::ok();
    };
    if !connects(ctx, inv.server.as_deref()) {
        ctx.print(io, &connection_failure(flavour));
        return Status::code(1);
    }
    // The internal database admits BUILTIN\Administrators; in a UAC-filtered token that
    // group is deny-only, so a Windows-authenticated (-E) login fails (SQL error 18456).
    if !ctx.principal.elevated() {
        let user = format!("{}\\{}", ctx.var("COMPUTERNAME").unwrap_or_else(|| "WSUS".into()), ctx.host.user);
        ctx.print(
            io,
            &format!(
                "Msg 18456, Level 14, State 1, Server {}\\{INSTANCE}, Line 1\r\nLogin failed for user '{user}'.\r\n",
                ctx.var("COMPUTERNAME").unwrap_or_default()
            ),
        );
        return Status::code(1);
    }
    let server = format!("{}\\{INSTANCE}", ctx.var("COMPUTERNAME").unwrap_or_else(|| "WSUS".into()));
    match execute(ctx, query) {
        Ok(text) => {
            ctx.print(io, &text);
            Status::ok()
        }
        Err(errors) => {
            let text: String = errors
                .iter()
                .map(|e| format!("Msg {}, Level {}, State {}, Server {server}, Line 1\r\n{}\r\n", e.0, e.1, e.2, e.3))
                .collect();
            ctx.print(io, &text);
            Status::code(i32::from(inv.abort_on_error))
        }
    }
}

fn parse_args(args: &[String]) -> Result<Invocation, String> {
    let mut inv = Invocation::default();
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let mut chars = word.chars();
        let (Some('-' | '/'), Some(option)) = (chars.next(), chars.next()) else {
            return Err(format!("Sqlcmd: '{word}': Unexpected argument. Enter '-?' for help.\r\n"));
        };
        let glued: String = chars.collect();
        if (FLAG_OPTIONS.contains(option) && glued.is_empty()) || OPTIONAL_VALUE_OPTIONS.contains(option) {
            inv.abort_on_error |= option == 'b';
            continue;
        }
        if !VALUE_OPTIONS.contains(option) {
            return Err(format!("Sqlcmd: '{word}': Unknown Option. Enter '-?' for help.\r\n"));
        }
        let value = if glued.is_empty() {
            words
                .next()
                .cloned()
                .ok_or_else(|| format!("Sqlcmd: '{word}': Missing argument. Enter '-?' for help.\r\n"))?
        } else {
            glued
        };
        match option {
            'S' => inv.server = Some(value),
            'Q' | 'q' => inv.query = Some(value),
            _ => {}
        }
    }
    Ok(inv)
}

/// Whether `-S server` reaches this host's internal database (no `-S`: the default instance,
/// which a WSUS host does not have).
fn connects(ctx: &Ctx, server: Option<&str>) -> bool {
    let Some(server) = server.map(str::to_ascii_uppercase) else { return false };
    let computer = ctx.var("COMPUTERNAME").unwrap_or_default().to_ascii_uppercase();
    let names_instance = match server.strip_prefix("NP:") {
        Some(pipe) => pipe == format!(r"\\.\PIPE\{SERVICE}\SQL\QUERY"),
        None => {
            [".", "(LOCAL)", "LOCALHOST", computer.as_str()].iter().any(|host| server == format!("{host}\\{INSTANCE}"))
        }
    };
    names_instance && ctx.host.service(SERVICE).is_some_and(|s| s.state == ServiceState::Running)
}

fn connection_failure(flavour: Flavour) -> String {
    if flavour == Flavour::Osql {
        return "[Named Pipes]SQL Server does not exist or access denied.\r\n[Named Pipes]ConnectionOpen (Connect()).\r\n"
            .to_string();
    }
    [
        "HResult 0x2, Level 16, State 1",
        "Named Pipes Provider: Could not open a connection to SQL Server [2]. ",
        "Sqlcmd: Error: Microsoft SQL Native Client : An error has occurred while establishing a connection to the server. When connecting to SQL Server 2005, this failure may be caused by the fact that under the default settings SQL Server does not allow remote connections..",
        "Sqlcmd: Error: Microsoft SQL Native Client : Login timeout expired.",
        "",
    ]
    .join("\r\n")
}

/// A server error: number, level, state, message.
type SqlError = (u32, u8, u8, String);

/// Runs the query; `Err` holds the server's errors in the order it reports them.
fn execute(ctx: &mut Ctx, query: &str) -> Result<String, Vec<SqlError>> {
    let backup = parse_backup(query).map_err(|near| vec![(102, 15, 1, format!("Incorrect syntax near '{near}'."))])?;
    let terminating = || (3013, 16, 1, "BACKUP DATABASE is terminating abnormally.".to_string());
    if !backup.database.eq_ignore_ascii_case(DATABASE) || !has_susdb(ctx) {
        let missing = format!(
            "Could not locate entry in sysdatabases for database '{}'. No entry found with that name. Make sure that the name is entered correctly.",
            backup.database
        );
        return Err(vec![(911, 16, 11, missing), terminating()]);
    }
    let path = ctx.path(&backup.disk);
    if parent(&path).is_none_or(|dir| !ctx.host.fs.dir_exists(dir)) {
        let message = format!(
            "Cannot open backup device '{path}'. Operating system error 3(The system cannot find the path specified.)."
        );
        return Err(vec![(3201, 16, 1, message), terminating()]);
    }
    let data_pages = susdb_pages(ctx);
    let pages = data_pages + LOG_PAGES;
    let now = ctx.host.clock;
    let existing = ctx.host.fs.file(&path).filter(|_| !backup.init).map(|f| f.content.bytes()).unwrap_or_default();
    let set = String::from_utf8_lossy(&existing).matches("backup set ").count() + 1;
    let record = format!(
        "backup set {set}: database {DATABASE}, {pages} pages, taken {}\r\n",
        crate::host::clock::log_stamp(now, 0)
    );
    let content = if existing.is_empty() {
        Content::Text(format!("TAPE simulated Microsoft SQL Server backup\r\n{record}"))
    } else {
        let mut bytes = existing;
        bytes.extend_from_slice(record.as_bytes());
        Content::Bytes(bytes)
    };
    ctx.host.fs.put(FileEntry { path, version: None, modified: now, content });
    let bytes = pages * 8192;
    let millis = (bytes * 1000 / THROUGHPUT).max(1);
    let seconds = millis as f64 / 1000.0;
    let rate = bytes as f64 / 1_048_576.0 / seconds;
    Ok(format!(
        "Processed {data_pages} pages for database '{DATABASE}', file '{DATABASE}' on file {set}.\r\n\
         Processed {LOG_PAGES} pages for database '{DATABASE}', file '{DATABASE}_log' on file {set}.\r\n\
         BACKUP DATABASE successfully processed {pages} pages in {seconds:.3} seconds ({rate:.3} MB/sec).\r\n"
    ))
}

/// SUSDB exists while WSUS 3.0 keeps it in the internal database: installed as a server
/// using it, or uninstalled with `DELETE_DATABASE=0`.
fn has_susdb(ctx: &Ctx) -> bool {
    let host = &ctx.host;
    let server = host.wsus_setting("InstallType") == Some(RegData::Dword(1))
        && host.wsus_setting("wYukonInstalled") == Some(RegData::Dword(1));
    server || host.kept_database.is_some()
}

/// A stable size for a host's SUSDB (a few hundred MB, as a young WSUS server has).
fn susdb_pages(ctx: &Ctx) -> u64 {
    let seed = ctx.host.name.bytes().fold(17u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    20_000 + seed % 30_000
}

/// `BACKUP DATABASE name TO DISK = 'path' [WITH option, ...]`.
#[derive(Debug, PartialEq, Eq)]
struct Backup {
    database: String,
    disk: String,
    init: bool,
}

/// Parses the backup statement; `Err` holds the token SQL Server would complain about.
fn parse_backup(query: &str) -> Result<Backup, String> {
    let tokens = tokenize(query)?;
    let mut it = tokens.iter().map(String::as_str).peekable();
    keyword(&mut it, "BACKUP")?;
    keyword(&mut it, "DATABASE")?;
    let database = match it.next() {
        Some(name) if !name.starts_with('\'') && name != "=" && name != "," => {
            name.trim_start_matches('[').trim_end_matches(']').to_string()
        }
        Some(other) => return Err(other.to_string()),
        None => return Err("DATABASE".into()),
    };
    keyword(&mut it, "TO")?;
    keyword(&mut it, "DISK")?;
    keyword(&mut it, "=")?;
    let disk = match it.next() {
        Some(s) if s.starts_with('\'') => s[1..].to_string(),
        Some(other) => return Err(other.to_string()),
        None => return Err("=".into()),
    };
    let mut init = false;
    if it.peek().is_some() {
        keyword(&mut it, "WITH")?;
        loop {
            match it.next() {
                Some(o) if o.eq_ignore_ascii_case("INIT") || o.eq_ignore_ascii_case("FORMAT") => init = true,
                Some(o) if BACKUP_OPTIONS.iter().any(|k| o.eq_ignore_ascii_case(k)) => {}
                Some(other) => return Err(other.to_string()),
                None => return Err("WITH".into()),
            }
            if it.next_if_eq(&"=").is_some() {
                it.next().ok_or_else(|| "=".to_string())?;
            }
            match it.next() {
                None => break,
                Some(",") => {}
                Some(other) => return Err(other.to_string()),
            }
        }
    }
    Ok(Backup { database, disk, init })
}

/// `WITH` options accepted besides `INIT`/`FORMAT` (a value after `=` is allowed), which change
/// nothing here.
const BACKUP_OPTIONS: [&str; 6] = ["NOINIT", "NOFORMAT", "COPY_ONLY", "CHECKSUM", "STATS", "SKIP"];

fn keyword<'a>(it: &mut impl Iterator<Item = &'a str>, word: &str) -> Result<(), String> {
    match it.next() {
        Some(w) if w.eq_ignore_ascii_case(word) => Ok(()),
        Some(w) => Err(w.to_string()),
        None => Err(word.to_string()),
    }
}

/// Words, `=`, `,` and string literals (returned with a leading `'`, `''` unescaped, `N'` taken
/// as `'`). A trailing `;` ends the statement. An unclosed string is an error near it.
fn tokenize(query: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let mut chars = query.trim().trim_end_matches(';').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '=' | ',' => tokens.push(c.to_string()),
            '\'' => tokens.push(literal(&mut chars)?),
            'N' | 'n' if chars.peek() == Some(&'\'') => {
                chars.next();
                tokens.push(literal(&mut chars)?);
            }
            c => {
                let mut word = c.to_string();
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || matches!(next, '=' | ',' | '\'') {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                tokens.push(word);
            }
        }
    }
    Ok(tokens)
}

fn literal(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> Result<String, String> {
    let mut text = String::from("'");
    loop {
        match chars.next() {
            Some('\'') if chars.peek() == Some(&'\'') => {
                chars.next();
                text.push('\'');
            }
            Some('\'') => return Ok(text),
            Some(c) => text.push(c),
            None => return Err(text),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::host::sql_tools::{install, SqlTools, SQL2005_BINN};
    use crate::host::{HostState, ServiceState};
    use crate::interp::{run_line, Output};
    use crate::profile::Profile;

    /// The plan's `backup-susdb` step, as templates/steps/backup-susdb.cmd.tera renders it.
    const PLAN_BACKUP: &str = r#"sqlcmd -S np:\\.\pipe\MSSQL$MICROSOFT##SSEE\sql\query -E -b -Q "BACKUP DATABASE SUSDB TO DISK='C:\Windows\Temp\wsusfix\SUSDB-wsusfix.bak' WITH INIT""#;
    const BAK: &str = r"C:\Windows\Temp\wsusfix\SUSDB-wsusfix.bak";

    fn host(profile: &str) -> HostState {
        let mut h = Profile::builtin(profile).unwrap().instantiate("wsus01").unwrap();
        if !h.env_var("Path").unwrap_or_default().contains(SQL2005_BINN) {
            install(&mut h, SqlTools::Sqlcmd);
        }
        h.fs.mkdir_all(r"C:\Windows\Temp\wsusfix");
        h
    }

    fn run(h: &mut HostState, line: &str) -> (String, i32) {
        let token = h.token;
        let Output { stdout, stderr, exit_code } = run_line(h, line, crate::host::Principal::User(token));
        assert!(stderr.is_empty(), "sqlcmd writes its messages to stdout: {}", String::from_utf8_lossy(&stderr));
        (String::from_utf8_lossy(&stdout).into_owned(), exit_code)
    }

    fn backup_lines(text: &str) -> Vec<&str> {
        text.lines().collect()
    }

    #[test]
    fn the_plans_backup_writes_the_file_and_prints_the_pages() {
        for profile in ["w2003-sp1-unpatched", "w2008-sp1-unpatched-elevated", "w2003-rtm"] {
            let mut h = host(profile);
            let (text, code) = run(&mut h, PLAN_BACKUP);
            assert_eq!(code, 0, "{profile}: {text}");
            let lines = backup_lines(&text);
            assert_eq!(lines.len(), 3, "{text}");
            let data: u64 = lines[0]
                .strip_prefix("Processed ")
                .and_then(|l| l.strip_suffix(" pages for database 'SUSDB', file 'SUSDB' on file 1."))
                .unwrap_or_else(|| panic!("{text}"))
                .parse()
                .unwrap();
            assert_eq!(lines[1], "Processed 2 pages for database 'SUSDB', file 'SUSDB_log' on file 1.");
            let total = format!("BACKUP DATABASE successfully processed {} pages in ", data + 2);
            assert!(lines[2].starts_with(&total) && lines[2].ends_with(" MB/sec)."), "{text}");
            assert!(text.ends_with("MB/sec).\r\n"), "CRLF line endings");
            let bak = h.fs.file(BAK).expect("the backup file exists");
            assert!(String::from_utf8_lossy(&bak.content.bytes()).contains("database SUSDB"));
        }
    }

    #[test]
    fn init_overwrites_and_noinit_appends_a_backup_set() {
        let mut h = host("w2003-sp1-unpatched");
        assert_eq!(run(&mut h, PLAN_BACKUP).1, 0);
        assert_eq!(run(&mut h, PLAN_BACKUP).1, 0);
        let (text, code) = run(
            &mut h,
            &format!(
                r#"sqlcmd -S .\MICROSOFT##SSEE -E -b -Q "BACKUP DATABASE [SUSDB] TO DISK = N'{BAK}' WITH NOINIT, STATS = 10;""#
            ),
        );
        assert_eq!(code, 0, "{text}");
        assert!(text.contains("on file 2."), "{text}");
        let bak = String::from_utf8_lossy(&h.fs.file(BAK).unwrap().content.bytes()).into_owned();
        assert_eq!(bak.matches("backup set ").count(), 2, "{bak}");
    }

    #[test]
    fn a_filtered_token_cannot_log_in() {
        let mut h = host("w2008-sp1-unpatched");
        let (text, code) = run(&mut h, PLAN_BACKUP);
        assert_eq!(code, 1, "{text}");
        assert!(text.starts_with("Msg 18456, Level 14, State 1") && text.contains("Login failed for user"), "{text}");
        assert!(h.fs.file(BAK).is_none());
    }

    #[test]
    fn no_internal_database_fails_to_connect() {
        let expected = "HResult 0x2, Level 16, State 1\r\nNamed Pipes Provider: Could not open a connection to SQL Server [2]. \r\nSqlcmd: Error: Microsoft SQL Native Client : An error has occurred while establishing a connection to the server. When connecting to SQL Server 2005, this failure may be caused by the fact that under the default settings SQL Server does not allow remote connections..\r\nSqlcmd: Error: Microsoft SQL Native Client : Login timeout expired.\r\n";
        for profile in ["w2003-no-wsus", "w2008-console-only", "sbs2003-wsus2"] {
            let mut h = host(profile);
            assert_eq!(run(&mut h, PLAN_BACKUP), (expected.to_string(), 1), "{profile}");
            assert!(h.fs.file(BAK).is_none(), "{profile}");
        }
        let mut h = host("w2003-sp1-unpatched");
        h.service_mut("MSSQL$MICROSOFT##SSEE").unwrap().state = ServiceState::Stopped;
        assert_eq!(run(&mut h, PLAN_BACKUP), (expected.to_string(), 1), "the service is stopped");
        let mut h = host("w2003-sp1-unpatched");
        let line = PLAN_BACKUP.replace(r"-S np:\\.\pipe\MSSQL$MICROSOFT##SSEE\sql\query ", "");
        assert_eq!(run(&mut h, &line), (expected.to_string(), 1), "no -S: the default instance, which is absent");
    }

    #[test]
    fn server_errors_print_msg_lines_and_exit_1_with_b() {
        let mut h = host("w2003-sp1-unpatched");
        let server = r"sqlcmd -S np:\\.\pipe\MSSQL$MICROSOFT##SSEE\sql\query -E";
        let (text, code) = run(&mut h, &format!(r#"{server} -b -Q "SELEC name FROM sys.databases""#));
        assert_eq!(
            text,
            "Msg 102, Level 15, State 1, Server WSUS01\\MICROSOFT##SSEE, Line 1\r\nIncorrect syntax near 'SELEC'.\r\n"
        );
        assert_eq!(code, 1);
        let (_, code) = run(&mut h, &format!(r#"{server} -Q "SELEC name FROM sys.databases""#));
        assert_eq!(code, 0, "without -b sqlcmd exits 0 after a server error");

        let (text, code) = run(&mut h, &format!(r#"{server} -b -Q "BACKUP DATABASE MASTERX TO DISK='{BAK}'""#));
        assert_eq!(code, 1);
        assert!(text.starts_with("Msg 911, Level 16, State 11, Server WSUS01\\MICROSOFT##SSEE, Line 1\r\nCould not locate entry in sysdatabases for database 'MASTERX'."), "{text}");
        assert!(text.ends_with("Msg 3013, Level 16, State 1, Server WSUS01\\MICROSOFT##SSEE, Line 1\r\nBACKUP DATABASE is terminating abnormally.\r\n"), "{text}");

        let (text, code) =
            run(&mut h, &format!(r#"{server} -b -Q "BACKUP DATABASE SUSDB TO DISK='C:\nowhere\x.bak'""#));
        assert_eq!(code, 1);
        assert!(text.contains("Msg 3201, Level 16, State 1") && text.contains(r"Cannot open backup device 'C:\nowhere\x.bak'. Operating system error 3(The system cannot find the path specified.)."), "{text}");
        assert!(h.fs.file(r"C:\nowhere\x.bak").is_none());

        let (text, code) = run(&mut h, "sqlcmd -Z");
        assert_eq!((text.as_str(), code), ("Sqlcmd: '-Z': Unknown Option. Enter '-?' for help.\r\n", 1));
    }

    #[test]
    fn a_database_kept_by_an_uninstall_can_still_be_backed_up() {
        let mut h = host("w2003-sp1-unpatched");
        assert!(crate::wsus::uninstall(&mut h, crate::wsus::Removal::default()));
        let (text, code) = run(&mut h, PLAN_BACKUP);
        assert_eq!(code, 0, "{text}");
        let mut h = host("w2003-sp1-unpatched");
        assert!(crate::wsus::uninstall(&mut h, crate::wsus::Removal { database: true, ..Default::default() }));
        assert_eq!(run(&mut h, PLAN_BACKUP).1, 1, "the database and its instance are gone");
    }

    #[test]
    fn errorlevel_follows_for_chained_commands() {
        let mut h = host("w2003-no-wsus");
        let (text, code) = run(&mut h, &format!("{PLAN_BACKUP} >nul & echo %errorlevel%"));
        assert_eq!((text.as_str(), code), ("0\r\n", 1), "expanded before the line runs; cmd /c returns 1");
        let (text, _) = run(&mut h, &format!("{PLAN_BACKUP} >nul || echo backup failed"));
        assert_eq!(text, "backup failed\r\n");
    }

    #[test]
    fn a_host_runs_only_the_tools_it_has_and_where_finds_them() {
        let plain = |line: &str, profile: &str, tools: SqlTools| {
            let (profile, zh) = profile.strip_suffix("@zh-CN").map_or((profile, false), |p| (p, true));
            let mut h = Profile::builtin(profile).unwrap().instantiate("wsus01").unwrap();
            if zh {
                h.language = crate::locale::Language::ZhCn;
            }
            install(&mut h, tools);
            h.fs.mkdir_all(r"C:\Windows\Temp\wsusfix");
            let token = h.token;
            let out = run_line(&mut h, line, crate::host::Principal::User(token));
            let bak = h.fs.file(BAK).is_some();
            let page = if zh { 936 } else { 437 };
            (crate::locale::decode(&out.stdout, page), crate::locale::decode(&out.stderr, page), out.exit_code, bak)
        };
        // No tool: sqlcmd is not recognized, where finds nothing (localized, on stderr).
        let (_, err, code, bak) = plain(PLAN_BACKUP, "w2008-sp1-unpatched-elevated", SqlTools::None);
        assert_eq!((code, bak), (9009, false), "{err}");
        let (out, err, code, _) =
            plain("where sqlcmd.exe osql.exe", "w2008-sp1-unpatched-elevated@zh-CN", SqlTools::None);
        assert_eq!((out.as_str(), code), ("", 1));
        assert_eq!(err, "信息: 用提供的模式无法找到文件。\r\n");
        // sqlcmd (with osql) on the PATH.
        let (out, _, code, _) = plain("where sqlcmd.exe osql.exe", "w2008-sp1-unpatched-elevated", SqlTools::Sqlcmd);
        assert_eq!(code, 0);
        assert_eq!(out, format!("{SQL2005_BINN}\\SQLCMD.EXE\r\n{SQL2005_BINN}\\OSQL.EXE\r\n"));
        // osql only, off the PATH, 32-bit on x64: found by its folder, and its backup writes the file.
        let osql = r"C:\Program Files (x86)\Microsoft SQL Server\80\Tools\BINN\osql.exe";
        let (_, _, code, _) = plain("where osql.exe", "w2008-sp1-unpatched-elevated", SqlTools::Osql);
        assert_eq!(code, 1, "not on the PATH");
        let line = r#"if exist "%ProgramFiles(x86)%\Microsoft SQL Server\80\Tools\Binn\osql.exe" echo found"#;
        assert_eq!(plain(line, "w2008-sp1-unpatched-elevated", SqlTools::Osql).0, "found\r\n");
        let backup = PLAN_BACKUP.replacen("sqlcmd", &format!("\"{osql}\""), 1);
        let (out, _, code, bak) = plain(&backup, "w2008-sp1-unpatched-elevated", SqlTools::Osql);
        assert_eq!((code, bak), (0, true), "{out}");
        assert!(out.contains("BACKUP DATABASE successfully processed"), "{out}");
        let backup = backup.replace(" (x86)", "");
        let (out, _, code, _) = plain(&backup, "w2003-no-wsus", SqlTools::Osql);
        assert_eq!(code, 1);
        assert!(out.starts_with("[Named Pipes]SQL Server does not exist or access denied."), "{out}");
    }
}
