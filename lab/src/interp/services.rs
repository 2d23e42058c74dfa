//! Services: `sc query`, `net start`/`net stop` and `iisreset`. Changing a service needs a full
//! token; a filtered 2008 session gets `Access is denied`.

use super::{Ctx, Io, Status};
use crate::host::{Service, ServiceState};

pub(super) fn sc(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let op = args.first().map(|a| a.to_ascii_lowercase()).unwrap_or_default();
    if op != "query" || args.len() < 2 {
        ctx.print(io, "DESCRIPTION:\r\n        SC is a command line program used for communicating with the\r\n        Service Control Manager and services.\r\n");
        return Status::code(1);
    }
    let name = &args[1];
    let Some(svc) = ctx.host.services.iter().find(|s| s.name.eq_ignore_ascii_case(name)).cloned() else {
        let text = ctx.lang().sc_no_service();
        ctx.print(io, text);
        return Status::code(1060);
    };
    ctx.print(io, &sc_block(&svc));
    Status::ok()
}

fn sc_block(svc: &Service) -> String {
    let kind = if svc.kind == 0x20 { "20  WIN32_SHARE_PROCESS" } else { "10  WIN32_OWN_PROCESS" };
    let mut text = format!(
        "\r\nSERVICE_NAME: {}\r\n        TYPE               : {kind}  \r\n        STATE              : {}  {} \r\n",
        svc.name,
        svc.state.code(),
        svc.state.label()
    );
    if svc.state == ServiceState::Running {
        text.push_str("                                (STOPPABLE, NOT_PAUSABLE, ACCEPTS_SHUTDOWN)\r\n");
    }
    text.push_str(
        "        WIN32_EXIT_CODE    : 0  (0x0)\r\n        SERVICE_EXIT_CODE  : 0  (0x0)\r\n        CHECKPOINT         : 0x0\r\n        WAIT_HINT          : 0x0\r\n\r\n",
    );
    text
}

pub(super) fn net(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let op = args.first().map(|a| a.to_ascii_lowercase()).unwrap_or_default();
    let start = match op.as_str() {
        "start" => true,
        "stop" => false,
        _ => {
            ctx.eprint(io, "The syntax of this command is:\r\n\r\nNET [ ACCOUNTS | COMPUTER | CONFIG | CONTINUE | FILE | GROUP | HELP |\r\n      HELPMSG | LOCALGROUP | PAUSE | SESSION | SHARE | START |\r\n      STATISTICS | STOP | TIME | USE | USER | VIEW ]\r\n\r\n");
            return Status::code(1);
        }
    };
    let name = args[1..].join(" ");
    if name.is_empty() {
        ctx.print(io, "These Windows services are started:\r\n\r\n");
        let running: Vec<String> = ctx
            .host
            .services
            .iter()
            .filter(|s| s.state == ServiceState::Running)
            .map(|s| format!("   {}\r\n", s.display_name))
            .collect();
        for line in running {
            ctx.print(io, &line);
        }
        ctx.print(io, "\r\nThe command completed successfully.\r\n\r\n");
        return Status::ok();
    }
    let Some(display) = ctx.host.service(&name).map(|s| s.display_name.clone()) else {
        ctx.eprint(
            io,
            "The service name is invalid.\r\n\r\nMore help is available by typing NET HELPMSG 2185.\r\n\r\n",
        );
        return Status::code(2);
    };
    if !ctx.principal.elevated() {
        ctx.eprint(io, "System error 5 has occurred.\r\n\r\nAccess is denied.\r\n\r\n");
        return Status::code(2);
    }
    let running = ctx.host.service(&name).is_some_and(|s| s.state == ServiceState::Running);
    if start == running {
        let msg = if start {
            "The requested service has already been started.\r\n\r\nMore help is available by typing NET HELPMSG 2182.\r\n\r\n".to_string()
        } else {
            format!("The {display} service is not started.\r\n\r\nMore help is available by typing NET HELPMSG 3521.\r\n\r\n")
        };
        ctx.eprint(io, &msg);
        return Status::code(2);
    }
    if let Some(svc) = ctx.host.service_mut(&name) {
        svc.state = if start { ServiceState::Running } else { ServiceState::Stopped };
    }
    let (ing, ed) = if start { ("starting", "started") } else { ("stopping", "stopped") };
    ctx.print(io, &format!("The {display} service is {ing}.\r\nThe {display} service was {ed} successfully.\r\n\r\n"));
    Status::ok()
}

pub(super) fn iisreset(ctx: &mut Ctx, io: &Io, _args: &[String]) -> Status {
    if !ctx.principal.elevated() {
        ctx.eprint(io, "Access denied, you must be an administrator of the remote computer to use this\r\ncommand. Either have your account added to the administrator local group of\r\nthe remote computer or to the domain administrator global group.\r\n");
        return Status::code(1);
    }
    let Some(w3svc) = ctx.host.service_mut("W3SVC") else {
        ctx.print(io, "\r\nAttempting stop...\r\n");
        ctx.eprint(io, "Restart attempt failed.\r\nThe IIS Admin Service or the World Wide Web Publishing Service, or a service dependent on them failed to start.  The service, or dependent services, may had an error during its startup or may be disabled.\r\n");
        return Status::code(1);
    };
    w3svc.state = ServiceState::Running;
    ctx.print(
        io,
        "\r\nAttempting stop...\r\nInternet services successfully stopped\r\nAttempting start...\r\nInternet services successfully restarted\r\n\r\n",
    );
    Status::ok()
}
