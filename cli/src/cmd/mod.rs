//! One module per subcommand. Each has an `Args` (or a subcommand enum) and a `run` that
//! returns the process exit code.

pub mod apply;
pub mod assess;
pub mod common;
#[cfg(feature = "lab")]
pub mod demo;
pub mod generate;
pub mod inventory;
#[cfg(feature = "lab")]
pub mod lab;
pub mod plan;
pub mod probe_script;
#[cfg(feature = "lab")]
pub mod rehearse;
pub mod report;
pub mod scan;
pub mod show;

/// Renders an error and its causes as one paragraph a user can act on.
pub fn error_paragraph(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
