//! `schtasks /create /run /query /delete`: one-off tasks that run their `/tr` line as SYSTEM,
//! the elevated path on Server 2008. Server 2003's schtasks rejects `/rl`, `/f` and `/z` on
//! `/create`. A started task runs for `task_run_lines` further command lines on the host
//! (status `Running`), then finishes: its line runs as SYSTEM and its exit code becomes
//! `Last Result`.
//!
//! `/query /fo csv [/nh] [/v]` prints quoted fields in the order of the verbose listing (on
//! 2008: HostName, TaskName, Next Run Time, Status, Logon Mode, Last Run Time, Last Result,
//! Author, Task To Run, ...); its `Last Result` is 267009 (`SCHED_S_TASK_RUNNING`) while the
//! task runs, 267011 before it ever ran, else the task's exit code. Status words and dates
//! follow the host's language; field names stay English.

use super::{has_flag, option_value, Ctx, Io, Sink, Status};
use crate::host::{HostState, Os, Principal, Task};
use crate::locale::Language;

/// `SCHED_S_TASK_HAS_NOT_RUN`, the Last Result of a task that never ran (2008).
const HAS_NOT_RUN: i32 = 267_011;
/// `SCHED_S_TASK_RUNNING`, the Last Result of a running task.
const RUNNING: i32 = 267_009;
const MAX_TR: usize = 262;

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let op = args.first().map(|a| a.to_ascii_lowercase()).unwrap_or_default();
    match op.as_str() {
        "/create" => create(ctx, io, args),
        "/run" => start(ctx, io, args),
        "/query" => query(ctx, io, args),
        "/delete" => delete(ctx, io, args),
        _ => {
            let text = ctx.lang().task_bad_option(args.first().map(String::as_str).unwrap_or(""), "SCHTASKS /?");
            ctx.eprint(io, &text);
            Status::code(1)
        }
    }
}

fn find(host: &HostState, name: &str) -> Option<usize> {
    let name = name.trim_start_matches('\\');
    host.tasks.iter().position(|t| t.name.eq_ignore_ascii_case(name))
}

fn not_found(ctx: &mut Ctx, io: &Io) -> Status {
    let text = ctx.lang().task_not_found();
    ctx.eprint(io, &text);
    Status::code(1)
}

fn create(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    if ctx.host.os == Os::W2003 {
        if let Some(bad) = args.iter().find(|a| ["/rl", "/f", "/z"].iter().any(|o| a.eq_ignore_ascii_case(o))) {
            let text = ctx.lang().task_bad_option(bad, "SCHTASKS /CREATE /?");
            ctx.eprint(io, &text);
            return Status::code(1);
        }
    }
    let (Some(name), Some(run), Some(_schedule)) =
        (option_value(args, "/tn"), option_value(args, "/tr"), option_value(args, "/sc"))
    else {
        let missing = ["/tn", "/tr", "/sc"].into_iter().find(|o| option_value(args, o).is_none()).unwrap_or("/tn");
        ctx.eprint(io, &format!("ERROR: Invalid syntax. Mandatory option '{missing}' is missing.\r\nType \"SCHTASKS /CREATE /?\" for usage.\r\n"));
        return Status::code(1);
    };
    if run.len() > MAX_TR {
        ctx.eprint(io, "ERROR: The task run (/TR) value cannot exceed 262 characters.\r\n");
        return Status::code(1);
    }
    let name = name.trim_start_matches('\\').to_string();
    if let Some(idx) = find(ctx.host, &name) {
        if !has_flag(args, "/f") {
            let text = ctx.lang().task_exists();
            ctx.eprint(io, &text);
            return Status::code(1);
        }
        ctx.host.tasks.remove(idx);
    }
    let task = Task {
        name: name.clone(),
        run: run.to_string(),
        run_as: option_value(args, "/ru").unwrap_or("admin").to_string(),
        start_time: option_value(args, "/st").unwrap_or("00:00").to_string(),
        created: ctx.host.clock,
        last_run: None,
        last_result: None,
        running_for: None,
    };
    ctx.host.tasks.push(task);
    let text = ctx.lang().task_created(&name);
    ctx.print(io, &text);
    Status::ok()
}

fn start(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let Some(idx) = option_value(args, "/tn").and_then(|n| find(ctx.host, n)) else {
        return not_found(ctx, io);
    };
    let name = ctx.host.tasks[idx].name.clone();
    let text = ctx.lang().task_started(&name);
    ctx.print(io, &text);
    if ctx.host.task_run_lines == 0 {
        execute(ctx.host, idx);
    } else {
        ctx.host.tasks[idx].running_for = Some(ctx.host.task_run_lines);
    }
    Status::ok()
}

/// Runs a task's command line as SYSTEM now and records its result.
fn execute(host: &mut HostState, idx: usize) {
    let Some(task) = host.tasks.get(idx) else { return };
    let line = task.run.clone();
    let system = task.run_as.to_ascii_lowercase().ends_with("system");
    let principal = if system { Principal::System } else { Principal::User(host.token) };
    let started = host.clock;
    let code = {
        let mut ctx = Ctx::new(host, principal);
        let io = Io { stdout: Sink::Null, stderr: Sink::Null, stdin: Some(Vec::new()) };
        ctx.nested(&line, &io)
    };
    if let Some(task) = host.tasks.get_mut(idx) {
        task.last_run = Some(started);
        task.last_result = Some(code);
        task.running_for = None;
    }
}

/// Advances running tasks by one command line; finished ones run their line.
pub(crate) fn finish_due_tasks(host: &mut HostState) {
    for idx in 0..host.tasks.len() {
        match host.tasks[idx].running_for {
            Some(n) if n <= 1 => execute(host, idx),
            Some(n) => host.tasks[idx].running_for = Some(n - 1),
            None => {}
        }
    }
}

fn query(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let tasks: Vec<Task> = match option_value(args, "/tn") {
        Some(name) => match find(ctx.host, name) {
            Some(idx) => vec![ctx.host.tasks[idx].clone()],
            None => return not_found(ctx, io),
        },
        None => ctx.host.tasks.clone(),
    };
    let format = option_value(args, "/fo").map(str::to_ascii_lowercase).unwrap_or_default();
    let verbose = has_flag(args, "/v");
    let header = !has_flag(args, "/nh");
    let host_name = ctx.var("COMPUTERNAME").unwrap_or_default();
    let (os, lang) = (ctx.host.os, ctx.lang());
    let mut text = String::new();
    match format.as_str() {
        "list" => {
            for t in &tasks {
                text.push_str(&match os {
                    Os::W2008 => list(&fields_2008(&host_name, t, lang, false), "\r\nFolder: \\\r\n"),
                    Os::W2003 => list(&fields_2003(&host_name, t), "\r\n"),
                });
            }
        }
        "csv" => {
            let rows: Vec<Vec<(&str, String)>> = tasks
                .iter()
                .map(|t| {
                    let all = match os {
                        Os::W2008 => fields_2008(&host_name, t, lang, true),
                        Os::W2003 => fields_2003(&host_name, t),
                    };
                    if verbose {
                        all
                    } else {
                        all.into_iter().filter(|(k, _)| matches!(*k, "TaskName" | "Next Run Time" | "Status")).collect()
                    }
                })
                .collect();
            if header {
                let names = rows.first().map(|r| r.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>());
                let names = names.unwrap_or_else(|| ["TaskName", "Next Run Time", "Status"].map(String::from).to_vec());
                text.push_str(&csv_line(&names));
            }
            for row in rows {
                text.push_str(&csv_line(&row.into_iter().map(|(_, v)| v).collect::<Vec<_>>()));
            }
        }
        _ => {
            text.push_str("\r\nFolder: \\\r\nTaskName                                 Next Run Time          Status\r\n======================================== ====================== ===============\r\n");
            for t in &tasks {
                text.push_str(&format!("{:<40} {:<22} {}\r\n", t.name, next_run(t, lang), status(os, t, lang)));
            }
        }
    }
    ctx.print(io, &text);
    Status::ok()
}

fn csv_line(fields: &[String]) -> String {
    let quoted: Vec<String> = fields.iter().map(|f| format!("\"{f}\"")).collect();
    format!("{}\r\n", quoted.join(","))
}

fn status(os: Os, t: &Task, lang: Language) -> &'static str {
    match (t.running_for.is_some(), os) {
        (true, _) => lang.task_status(true),
        (false, Os::W2008) => lang.task_status(false),
        (false, Os::W2003) => "",
    }
}

fn next_run(t: &Task, lang: Language) -> String {
    let day = t.created - t.created % 86_400;
    let mut parts = t.start_time.split(':').map(|p| p.parse::<u64>().unwrap_or(0));
    let secs = parts.next().unwrap_or(0) * 3600 + parts.next().unwrap_or(0) * 60 + parts.next().unwrap_or(0);
    lang.task_datetime(day + secs)
}

fn list(fields: &[(&str, String)], head: &str) -> String {
    let mut s = String::from(head);
    for (name, value) in fields {
        s.push_str(&format!("{:<38}{value}\r\n", format!("{name}:")));
    }
    s
}

/// The verbose fields of a Server 2008 task, in schtasks' order. The CSV form has the three
/// repetition fields LIST leaves out here, and reports a running task's Last Result as
/// 267009.
fn fields_2008(host: &str, t: &Task, lang: Language, csv: bool) -> Vec<(&'static str, String)> {
    let last_run = t.last_run.map(|ts| lang.task_datetime(ts)).unwrap_or_else(|| "N/A".into());
    let result = match (csv, t.running_for.is_some(), t.last_result) {
        (true, true, _) => RUNNING,
        (_, _, Some(code)) => code,
        (_, _, None) => HAS_NOT_RUN,
    };
    let next = next_run(t, lang);
    let (date, time) =
        next.split_once(' ').map(|(d, t)| (d.to_string(), t.to_string())).unwrap_or((next.clone(), String::new()));
    let mut fields = vec![
        ("HostName", host.to_string()),
        ("TaskName", format!("\\{}", t.name)),
        ("Next Run Time", next.clone()),
        ("Status", status(Os::W2008, t, lang).to_string()),
        ("Logon Mode", lang.task_logon_mode().to_string()),
        ("Last Run Time", last_run),
        ("Last Result", result.to_string()),
        ("Author", format!("{host}\\admin")),
        ("Task To Run", t.run.clone()),
        ("Start In", "N/A".into()),
        ("Comment", "N/A".into()),
        ("Scheduled Task State", lang.task_enabled().to_string()),
        ("Idle Time", "Disabled".into()),
        ("Power Management", "Stop On Battery Mode, No Start On Batteries".into()),
        ("Run As User", t.run_as.to_ascii_uppercase()),
        ("Delete Task If Not Rescheduled", "Enabled".into()),
        ("Stop Task If Runs X Hours and X Mins", "72:00:00".into()),
        ("Schedule", "Scheduling data is not available in this format.".into()),
        ("Schedule Type", "One Time Only".into()),
        ("Start Time", time),
        ("Start Date", date),
        ("End Date", "N/A".into()),
        ("Days", "N/A".into()),
        ("Months", "N/A".into()),
        ("Repeat: Every", "Disabled".into()),
    ];
    if csv {
        fields.push(("Repeat: Until: Time", "Disabled".into()));
        fields.push(("Repeat: Until: Duration", "Disabled".into()));
        fields.push(("Repeat: Stop If Still Running", "Disabled".into()));
    }
    fields
}

/// The verbose fields of a Server 2003 task, in schtasks' order.
fn fields_2003(host: &str, t: &Task) -> Vec<(&'static str, String)> {
    let stamp = |ts: u64| {
        let c = crate::host::clock::civil(ts);
        format!("{:02}:{:02}:{:02}, {}/{}/{}", c.hour, c.minute, c.second, c.month, c.day, c.year)
    };
    let last_run = t.last_run.map(stamp).unwrap_or_else(|| "Never".into());
    let result = t.last_result.unwrap_or(0).to_string();
    let run_as =
        if t.run_as.eq_ignore_ascii_case("system") { "NT AUTHORITY\\SYSTEM".to_string() } else { t.run_as.clone() };
    let created = crate::host::clock::us_datetime(t.created);
    vec![
        ("HostName", host.to_string()),
        ("TaskName", t.name.clone()),
        ("Next Run Time", format!("{}:00, {}", t.start_time, created.split(' ').next().unwrap_or(""))),
        ("Status", status(Os::W2003, t, Language::EnUs).to_string()),
        ("Last Run Time", last_run),
        ("Last Result", result),
        ("Creator", "admin".into()),
        ("Schedule", format!("At {}, once", t.start_time)),
        ("Task To Run", t.run.clone()),
        ("Start In", "N/A".into()),
        ("Comment", "N/A".into()),
        ("Scheduled Task State", "Enabled".into()),
        ("Scheduled Type", "One Time Only".into()),
        ("Run As User", run_as),
        ("Delete Task If Not Rescheduled", "Disabled".into()),
        ("Stop Task If Runs X Hours and X Mins", "72:0".into()),
    ]
}

fn delete(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let Some(idx) = option_value(args, "/tn").and_then(|n| find(ctx.host, n)) else {
        return not_found(ctx, io);
    };
    let task = ctx.host.tasks.remove(idx);
    let text = ctx.lang().task_deleted(&task.name);
    ctx.print(io, &text);
    Status::ok()
}
