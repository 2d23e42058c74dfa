//! `shutdown /r | /s | /a [/t N] [/c "comment"] [/f] [/d ...]`: schedules a restart or a
//! shutdown, or aborts the pending one. The lab never goes down: an accepted request is
//! recorded in [`HostState::shutdowns`](crate::host::HostState) (with who asked, its delay and
//! comment), pending until its delay has passed on the host clock; a test reads the record.
//!
//! As the real tool: it prints nothing and exits 0 when accepted; the delay is 30 seconds
//! unless `/t` says otherwise (0 to 600 on Server 2003 and 2008); the comment is at most 127
//! characters on 2003 and 512 on 2008; a second request while one is pending exits 1190, `/a`
//! with nothing pending exits 1116; on 2008 a UAC-filtered session lacks the shutdown privilege
//! and gets `Access is denied.(5)`, exit 5 (SYSTEM, from a scheduled task, has it). A bad or
//! unsimulated option (`/m`, `/l`, `/i`, ...) prints the usage and exits 87.

use super::{Ctx, Io, Status};
use crate::host::{Os, Principal, ScheduledShutdown};

const ACCESS_DENIED: i32 = 5;
const INVALID_PARAMETER: i32 = 87;
const NO_SHUTDOWN_IN_PROGRESS: i32 = 1116;
const SHUTDOWN_IS_SCHEDULED: i32 = 1190;
const DEFAULT_DELAY: u64 = 30;
const MAX_DELAY: u64 = 600;

const USAGE: &str = "Usage: shutdown [/i | /l | /s | /r | /a | /p | /h | /e] [/f]\r\n    [/m \\\\computer][/t xxx][/d [p:]xx:yy [/c \"comment\"]]\r\n";

#[derive(Debug, Default, PartialEq, Eq)]
struct Request {
    restart: bool,
    shutdown: bool,
    abort: bool,
    delay: Option<u64>,
    comment: Option<String>,
    usage: bool,
}

/// Parses the options; `Err` names the first one that is wrong.
fn parse(args: &[String]) -> Result<Request, String> {
    let mut request = Request::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let option = arg.to_ascii_lowercase().replacen('-', "/", 1);
        match option.as_str() {
            "/r" => request.restart = true,
            "/s" => request.shutdown = true,
            "/a" => request.abort = true,
            "/f" => {}
            "/?" => request.usage = true,
            "/t" => {
                let value = args.next().ok_or_else(|| arg.clone())?;
                let delay = value.parse::<u64>().ok().filter(|d| *d <= MAX_DELAY).ok_or_else(|| value.clone())?;
                request.delay = Some(delay);
            }
            "/c" => request.comment = Some(args.next().ok_or_else(|| arg.clone())?.clone()),
            "/d" => {
                args.next().ok_or_else(|| arg.clone())?;
            }
            _ => return Err(arg.clone()),
        }
    }
    Ok(request)
}

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let request = match parse(args) {
        Ok(r) if r.usage || !(r.restart || r.shutdown || r.abort) => {
            ctx.print(io, USAGE);
            return Status::ok();
        }
        Ok(r) if u8::from(r.restart) + u8::from(r.shutdown) + u8::from(r.abort) > 1 => return usage(ctx, io),
        Ok(r) if r.abort && (r.delay.is_some() || r.comment.is_some()) => return usage(ctx, io),
        Ok(r) => r,
        Err(_) => return usage(ctx, io),
    };
    let max_comment = if ctx.host.os == Os::W2003 { 127 } else { 512 };
    if request.comment.as_ref().is_some_and(|c| c.chars().count() > max_comment) {
        return usage(ctx, io);
    }
    if ctx.host.os == Os::W2008 && !ctx.principal.elevated() {
        ctx.eprint(io, "Access is denied.(5)\r\n");
        return Status::code(ACCESS_DENIED);
    }
    if request.abort {
        let now = ctx.host.clock;
        return match ctx.host.shutdowns.last_mut().filter(|s| !s.aborted && s.due() > now) {
            Some(pending) => {
                pending.aborted = true;
                Status::ok()
            }
            None => {
                ctx.eprint(io, "Unable to abort the system shutdown because no shutdown was in progress.(1116)\r\n");
                Status::code(NO_SHUTDOWN_IN_PROGRESS)
            }
        };
    }
    if ctx.host.pending_shutdown().is_some() {
        ctx.eprint(io, "A system shutdown has already been scheduled.(1190)\r\n");
        return Status::code(SHUTDOWN_IS_SCHEDULED);
    }
    let by = match ctx.principal {
        Principal::System => "SYSTEM".to_string(),
        Principal::User(_) => ctx.host.user.clone(),
    };
    let scheduled = ScheduledShutdown {
        restart: request.restart,
        requested: ctx.host.clock,
        delay_secs: request.delay.unwrap_or(DEFAULT_DELAY),
        comment: request.comment.unwrap_or_default(),
        by,
        aborted: false,
        happened: false,
    };
    ctx.host.shutdowns.push(scheduled);
    Status::ok()
}

fn usage(ctx: &mut Ctx, io: &Io) -> Status {
    ctx.eprint(io, USAGE);
    Status::code(INVALID_PARAMETER)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::{HostState, Token};
    use crate::interp::{run_line, Output};
    use crate::profile::Profile;

    const REBOOT: &str = r#"shutdown /r /t 60 /c "wsusfix: KB954960 installed; restarting to finish""#;

    fn host(profile: &str) -> HostState {
        Profile::builtin(profile).unwrap().instantiate("wsus01").unwrap()
    }

    fn session(h: &mut HostState, line: &str) -> Output {
        let token = h.token;
        run_line(h, line, Principal::User(token))
    }

    fn err(o: &Output) -> String {
        String::from_utf8_lossy(&o.stderr).into_owned()
    }

    #[test]
    fn a_restart_is_scheduled_with_its_delay_and_comment() {
        let mut h = host("w2003-sp1-unpatched");
        let o = session(&mut h, REBOOT);
        assert_eq!((o.exit_code, o.stdout.is_empty(), o.stderr.is_empty()), (0, true, true), "{}", err(&o));
        assert_eq!(h.restarts(), 1);
        let pending = h.pending_shutdown().expect("pending").clone();
        assert!(pending.restart && !pending.aborted);
        assert_eq!(pending.delay_secs, 60);
        assert_eq!(pending.comment, "wsusfix: KB954960 installed; restarting to finish");
        assert_eq!(pending.by, h.user);
        assert_eq!(pending.due(), pending.requested + 60);
    }

    #[test]
    fn a_second_request_while_one_is_pending_is_refused_and_abort_cancels_it() {
        let mut h = host("w2008-sp1-unpatched-elevated");
        assert_eq!(session(&mut h, "shutdown /s").exit_code, 0);
        assert_eq!(h.pending_shutdown().map(|s| (s.restart, s.delay_secs)), Some((false, 30)), "/s, 30 s by default");
        let o = session(&mut h, "shutdown -r -t 0");
        assert_eq!(o.exit_code, 1190);
        assert_eq!(err(&o), "A system shutdown has already been scheduled.(1190)\r\n");
        assert_eq!(session(&mut h, "shutdown /a").exit_code, 0);
        assert!(h.pending_shutdown().is_none());
        assert_eq!(h.restarts(), 0, "a shutdown is no restart, and it was aborted");
        let o = session(&mut h, "shutdown /a");
        assert_eq!(o.exit_code, 1116, "nothing left to abort");
        assert!(err(&o).contains("no shutdown was in progress"));
        assert_eq!(session(&mut h, "shutdown /r /t 1 && echo ok").exit_code, 0);
        session(&mut h, "ver");
        session(&mut h, "ver");
        assert!(h.pending_shutdown().is_none(), "due: the lab's clock passed it");
        assert_eq!(session(&mut h, "shutdown /a").exit_code, 1116, "too late to abort");
        assert_eq!(h.restarts(), 1);
    }

    #[test]
    fn a_filtered_2008_session_is_denied_but_system_may() {
        let mut h = host("w2008-sp1-unpatched");
        assert_eq!(h.token, Token::Filtered);
        let o = session(&mut h, REBOOT);
        assert_eq!((o.exit_code, err(&o)), (5, "Access is denied.(5)\r\n".to_string()));
        assert!(h.shutdowns.is_empty());
        let o = run_line(&mut h, REBOOT, Principal::System);
        assert_eq!(o.exit_code, 0, "{}", err(&o));
        assert_eq!(h.pending_shutdown().map(|s| s.by.as_str()), Some("SYSTEM"));
    }

    #[test]
    fn bad_options_print_the_usage_and_exit_87() {
        let mut h = host("w2003-sp1-unpatched");
        for line in [
            "shutdown /r /t 601",
            "shutdown /r /t soon",
            "shutdown /r /t",
            "shutdown /r /s",
            "shutdown /a /t 5",
            "shutdown /r /m \\\\other",
            "shutdown /l",
        ] {
            let o = session(&mut h, line);
            assert_eq!(o.exit_code, 87, "{line}");
            assert!(err(&o).starts_with("Usage: shutdown"), "{line}");
        }
        let long = format!("shutdown /r /c \"{}\"", "x".repeat(128));
        assert_eq!(session(&mut h, &long).exit_code, 87, "2003 takes 127 characters of comment");
        let o = session(&mut h, "shutdown");
        assert_eq!(o.exit_code, 0, "no action: the usage, on stdout");
        assert!(String::from_utf8_lossy(&o.stdout).starts_with("Usage: shutdown"));
        assert!(h.shutdowns.is_empty());
        let mut h = host("w2008-sp1-unpatched-elevated");
        assert_eq!(session(&mut h, &long).exit_code, 0, "2008 takes 512");
    }

    #[test]
    fn a_scheduled_task_restarts_as_system() {
        let mut h = host("w2008-sp1-unpatched");
        h.task_run_lines = 0;
        let tr = REBOOT.replace('"', "\\\"");
        let create =
            format!("schtasks /create /tn wsusfix-reboot /tr \"{tr}\" /sc once /st 23:59 /ru SYSTEM /rl HIGHEST /f");
        assert_eq!(session(&mut h, &create).exit_code, 0);
        assert_eq!(session(&mut h, "schtasks /run /tn wsusfix-reboot").exit_code, 0);
        let pending = h.pending_shutdown().expect("the task scheduled a restart").clone();
        assert_eq!(
            (pending.by.as_str(), pending.comment.as_str()),
            ("SYSTEM", "wsusfix: KB954960 installed; restarting to finish")
        );
        assert_eq!(h.tasks[0].last_result, Some(0));
    }
}
