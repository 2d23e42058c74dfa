//! How much the binary says on standard error: `-q` (results, warnings and errors only: no
//! progress bars or per-host lines), the default, and `-v`/`-vv`/`-vvv`, which add core's
//! structured logs (`tracing`): each host's verdict and step attempts, then connections and
//! commands, then SSH-level detail (negotiated algorithms, the server's banner, every exec).
//! Every log line carries its host's span (`host{host=wsus01}`). Logs name commands and
//! files, never a secret: credentials are never logged by core.

use std::sync::OnceLock;

use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

#[derive(Clone, Copy, Debug, Default)]
struct Verbosity {
    verbose: u8,
    quiet: bool,
}

static VERBOSITY: OnceLock<Verbosity> = OnceLock::new();

/// Sets the level for the whole run and, with `-v`, starts the log on standard error.
pub fn init(verbose: u8, quiet: bool) {
    let _ = VERBOSITY.set(Verbosity { verbose, quiet });
    let level = match verbose {
        0 => return,
        1 => LevelFilter::INFO,
        2 => LevelFilter::DEBUG,
        _ => LevelFilter::TRACE,
    };
    let filter =
        Targets::new().with_target("wsusfix_core", level).with_target("wsusfix", level).with_default(LevelFilter::WARN);
    let log = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_thread_names(false);
    let _ = tracing_subscriber::registry().with(filter).with(log).try_init();
}

/// `-q`: no progress bars, no per-host lines.
pub fn quiet() -> bool {
    VERBOSITY.get().is_some_and(|v| v.quiet)
}

/// `-v` given: the log is on standard error, so a bar would tear it; plain lines instead.
pub fn logging() -> bool {
    VERBOSITY.get().is_some_and(|v| v.verbose > 0)
}
