//! `schtasks /create /run /query /delete`: one-off tasks that run their `/tr` line as SYSTEM,
//! the elevated path on Server 2008. Server 2003's schtasks rejects `/rl`, `/f` and `/z` on
//! `/create`. A started task runs for `task_run_lines` further command lines on the host
//! (status `Running`), then finishes: its line runs as SYSTEM and its exit code becomes
//! `Last Result`.

use super::{has_flag, option_value, Ctx, Io, Sink, Status};
use crate::host::{clock, HostState, Os, Principal, Task};

/// `SCHED_S_TASK_HAS_NOT_RUN`, the Last Result of a task that never ran (2008).
const HAS_NOT_RUN: i32 = 267_011;
const MAX_TR: usize = 262;

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let op = args.first().map(|a| a.to_ascii_lowercase()).unwrap_or_default();
    match op.as_str() {
        "/create" => create(ctx, io, args),
        "/run" => start(ctx, io, args),
        "/query" => query(ctx, io, args),
        "/delete" => delete(ctx, io, args),
        _ => {
            ctx.eprint(
                io,
                &format!(
                    "ERROR: Invalid argument/option - '{}'.\r\nType \"SCHTASKS /?\" for usage.\r\n",
                    args.first().map(String::as_str).unwrap_or("")
                ),
            );
            Status::code(1)
        }
    }
}

fn find(host: &HostState, name: &str) -> Option<usize> {
    let name = name.trim_start_matches('\\');
    host.tasks.iter().position(|t| t.name.eq_ignore_ascii_case(name))
}

fn not_found(ctx: &mut Ctx, io: &Io) -> Status {
    ctx.eprint(io, "ERROR: The system cannot find the file specified.\r\n");
    Status::code(1)
}

fn create(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    if ctx.host.os == Os::W2003 {
        if let Some(bad) = args.iter().find(|a| ["/rl", "/f", "/z"].iter().any(|o| a.eq_ignore_ascii_case(o))) {
            ctx.eprint(
                io,
                &format!("ERROR: Invalid argument/option - '{bad}'.\r\nType \"SCHTASKS /CREATE /?\" for usage.\r\n"),
            );
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
            ctx.eprint(io, "ERROR: Cannot create a file when that file already exists.\r\n");
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
    ctx.print(io, &format!("SUCCESS: The scheduled task \"{name}\" has successfully been created.\r\n"));
    Status::ok()
}

fn start(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let Some(idx) = option_value(args, "/tn").and_then(|n| find(ctx.host, n)) else {
        return not_found(ctx, io);
    };
    let name = ctx.host.tasks[idx].name.clone();
    ctx.print(io, &format!("SUCCESS: Attempted to run the scheduled task \"{name}\".\r\n"));
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
    let list = option_value(args, "/fo").is_some_and(|f| f.eq_ignore_ascii_case("list"));
    let host_name = ctx.var("COMPUTERNAME").unwrap_or_default();
    let mut text = String::new();
    if !list {
        text.push_str("\r\nFolder: \\\r\nTaskName                                 Next Run Time          Status\r\n======================================== ====================== ===============\r\n");
        for t in &tasks {
            text.push_str(&format!("{:<40} {:<22} {}\r\n", t.name, next_run(t), status(ctx.host.os, t)));
        }
    } else {
        for t in &tasks {
            text.push_str(&match ctx.host.os {
                Os::W2008 => list_2008(&host_name, t),
                Os::W2003 => list_2003(&host_name, t),
            });
        }
    }
    ctx.print(io, &text);
    Status::ok()
}

fn status(os: Os, t: &Task) -> &'static str {
    match (t.running_for.is_some(), os) {
        (true, _) => "Running",
        (false, Os::W2008) => "Ready",
        (false, Os::W2003) => "",
    }
}

fn next_run(t: &Task) -> String {
    let day = t.created - t.created % 86_400;
    let mut parts = t.start_time.split(':').map(|p| p.parse::<u64>().unwrap_or(0));
    let secs = parts.next().unwrap_or(0) * 3600 + parts.next().unwrap_or(0) * 60 + parts.next().unwrap_or(0);
    clock::us_datetime(day + secs)
}

fn field(name: &str, value: &str) -> String {
    format!("{:<38}{value}\r\n", format!("{name}:"))
}

fn list_2008(host: &str, t: &Task) -> String {
    let last_run = t.last_run.map(clock::us_datetime).unwrap_or_else(|| "N/A".into());
    let result = t.last_result.unwrap_or(HAS_NOT_RUN).to_string();
    let next = next_run(t);
    let (date, time) = next.split_once(' ').unwrap_or((&next, ""));
    let mut s = String::from("\r\nFolder: \\\r\n");
    for (k, v) in [
        ("HostName", host),
        ("TaskName", &format!("\\{}", t.name)),
        ("Next Run Time", &next),
        ("Status", status(Os::W2008, t)),
        ("Logon Mode", "Interactive/Background"),
        ("Last Run Time", &last_run),
        ("Last Result", &result),
        ("Author", &format!("{host}\\admin")),
        ("Task To Run", &t.run),
        ("Start In", "N/A"),
        ("Comment", "N/A"),
        ("Scheduled Task State", "Enabled"),
        ("Idle Time", "Disabled"),
        ("Power Management", "Stop On Battery Mode, No Start On Batteries"),
        ("Run As User", &t.run_as.to_ascii_uppercase()),
        ("Delete Task If Not Rescheduled", "Enabled"),
        ("Stop Task If Runs X Hours and X Mins", "72:00:00"),
        ("Schedule", "Scheduling data is not available in this format."),
        ("Schedule Type", "One Time Only"),
        ("Start Time", time),
        ("Start Date", date),
        ("End Date", "N/A"),
        ("Days", "N/A"),
        ("Months", "N/A"),
        ("Repeat: Every", "Disabled"),
    ] {
        s.push_str(&field(k, v));
    }
    s
}

fn list_2003(host: &str, t: &Task) -> String {
    let stamp = |ts: u64| {
        let c = clock::civil(ts);
        format!("{:02}:{:02}:{:02}, {}/{}/{}", c.hour, c.minute, c.second, c.month, c.day, c.year)
    };
    let last_run = t.last_run.map(stamp).unwrap_or_else(|| "Never".into());
    let result = t.last_result.unwrap_or(0).to_string();
    let run_as =
        if t.run_as.eq_ignore_ascii_case("system") { "NT AUTHORITY\\SYSTEM".to_string() } else { t.run_as.clone() };
    let mut s = String::from("\r\n");
    for (k, v) in [
        ("HostName", host),
        ("TaskName", &t.name),
        (
            "Next Run Time",
            &format!("{}:00, {}", t.start_time, clock::us_datetime(t.created).split(' ').next().unwrap_or("")),
        ),
        ("Status", status(Os::W2003, t)),
        ("Last Run Time", &last_run),
        ("Last Result", &result),
        ("Creator", "admin"),
        ("Schedule", &format!("At {}, once", t.start_time)),
        ("Task To Run", &t.run),
        ("Start In", "N/A"),
        ("Comment", "N/A"),
        ("Scheduled Task State", "Enabled"),
        ("Scheduled Type", "One Time Only"),
        ("Run As User", &run_as),
        ("Delete Task If Not Rescheduled", "Disabled"),
        ("Stop Task If Runs X Hours and X Mins", "72:0"),
    ] {
        s.push_str(&field(k, v));
    }
    s
}

fn delete(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let Some(idx) = option_value(args, "/tn").and_then(|n| find(ctx.host, n)) else {
        return not_found(ctx, io);
    };
    let task = ctx.host.tasks.remove(idx);
    ctx.print(io, &format!("SUCCESS: The scheduled task \"{}\" was successfully deleted.\r\n", task.name));
    Status::ok()
}
