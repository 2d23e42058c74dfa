//! JSON lines on standard output for machines (`--format json`), after `terraform apply
//! -json`: one object per line as things happen, each with its `type` and a UTC `@timestamp`.
//! The first line says which format and which tool wrote the stream; the last carries the
//! result. Human messages stay on standard error.

use std::io::Write;

use serde_json::{json, Map, Value};
use wsusfix_core::apply::{ApplyEvent, DryRunHost};
use wsusfix_core::time::UtcTime;

/// The version of the event stream's shape.
pub const EVENTS_FORMAT_VERSION: u32 = 1;

/// A stream of JSON lines on standard output.
pub struct JsonLines {
    /// Set when the reader went away (`| head`): the rest is dropped quietly.
    closed: bool,
}

impl JsonLines {
    /// Starts the stream of `command` (`apply`) with its version line.
    pub fn start(command: &str) -> JsonLines {
        let mut lines = JsonLines { closed: false };
        let tool = wsusfix_core::about::tool();
        lines.emit("version", json!({ "format_version": EVENTS_FORMAT_VERSION, "tool": tool, "command": command }));
        lines
    }

    /// Writes one event: `fields` (an object) with `type` and `@timestamp` added.
    pub fn emit(&mut self, kind: &str, fields: Value) {
        if self.closed {
            return;
        }
        let mut line = Map::new();
        line.insert("@timestamp".into(), json!(UtcTime::now()));
        line.insert("type".into(), json!(kind));
        if let Value::Object(fields) = fields {
            line.extend(fields);
        }
        let mut stdout = std::io::stdout().lock();
        let written = serde_json::to_writer(&mut stdout, &line)
            .map_err(std::io::Error::from)
            .and_then(|()| stdout.write_all(b"\n"))
            .and_then(|()| stdout.flush());
        if written.is_err() {
            self.closed = true;
        }
    }

    /// One event of a run.
    pub fn apply_event(&mut self, event: &ApplyEvent) {
        match event {
            ApplyEvent::Started { total } => self.emit("run_started", json!({ "hosts": total })),
            ApplyEvent::BatchStarted { batch, batches, hosts } => {
                self.emit("batch_started", json!({ "batch": batch, "batches": batches, "hosts": hosts }))
            }
            ApplyEvent::HostStarted { host } => self.emit("host_started", json!({ "host": host })),
            ApplyEvent::HostWorking { host, step, doing } => {
                self.emit("step_progress", json!({ "host": host, "step": step, "doing": doing }))
            }
            ApplyEvent::StepDone { host, step, detail } => self.emit(
                "step_done",
                json!({
                    "host": host,
                    "step": step.id,
                    "judged": step.judged,
                    "exit_code": step.exit_code,
                    "duration_ms": step.duration_ms,
                    "detail": detail,
                }),
            ),
            ApplyEvent::HostDone { host, outcome, elapsed } => self.emit(
                "host_done",
                json!({ "host": host, "outcome": outcome, "elapsed_ms": elapsed.as_millis() as u64 }),
            ),
            ApplyEvent::Stopped { reason } => self.emit("run_stopped", json!({ "reason": reason })),
            ApplyEvent::Finished { elapsed } => {
                self.emit("run_finished", json!({ "elapsed_ms": elapsed.as_millis() as u64 }))
            }
        }
    }

    /// A host a scan has judged.
    pub fn scan_result(&mut self, result: &wsusfix_core::scan::HostResult) {
        let fields = json!({
            "host": result.host,
            "verdict": result.verdict,
            "reason": result.reason,
            "elapsed_ms": result.duration_ms,
        });
        self.emit("host_judged", fields);
    }

    /// What a dry run would do to one host.
    pub fn dry_run_host(&mut self, host: &DryRunHost) {
        let commands: Vec<Value> =
            host.commands.iter().map(|(step, command)| json!({ "step": step, "command": command })).collect();
        self.emit(
            "planned_host",
            json!({
                "host": host.host,
                "route": host.route,
                "batch": host.batch,
                "note": host.note,
                "commands": commands,
            }),
        );
    }
}
