//! Printing results: tables for people (comfy-table, fitted to the terminal), JSON, YAML and CSV
//! (the csv crate) for programs.

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use wsusfix_core::scan::{HostResult, ScanReport};

/// The output formats of `scan` and `assess`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
    Yaml,
    Csv,
}

/// A plain text table, no borders: columns two spaces apart. On a terminal it fits the
/// terminal's width (a long cell wraps within its column); elsewhere (a pipe, a file) every
/// cell is whole on one line, for `grep` and `cut`.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    use comfy_table::{presets, ContentArrangement, Table};
    use std::io::IsTerminal;
    let mut t = Table::new();
    t.load_preset(presets::NOTHING);
    t.set_header(header.iter().copied());
    for row in rows {
        t.add_row(row.iter().map(String::as_str));
    }
    let columns = t.column_count();
    // Names and addresses stay whole; the last column (groups, a reason) wraps to fit.
    for (i, column) in t.column_iter_mut().enumerate() {
        let last = i + 1 == columns;
        column.set_padding((0, if last { 0 } else { 2 }));
        if !last {
            column.set_constraint(comfy_table::ColumnConstraint::ContentWidth);
        }
    }
    let arrangement =
        if std::io::stdout().is_terminal() { ContentArrangement::Dynamic } else { ContentArrangement::Disabled };
    t.set_content_arrangement(arrangement);
    let mut out = String::new();
    for line in t.lines() {
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Text cut to at most `max` characters, with an ellipsis when cut.
/// On a terminal, cut to `max` characters with an ellipsis; elsewhere (a pipe, a file, a log)
/// whole: the end of a reason is often the advice.
pub fn shorten(text: &str, max: usize) -> String {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() {
        return text.to_string();
    }
    cut(text, max)
}

/// `text` cut to `max` characters, the last one an ellipsis when it was longer.
fn cut(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

/// The host's Windows, as the documents name it; `-` when the probe learned nothing.
fn os_label(r: &HostResult) -> String {
    match &r.facts {
        Some(facts) => wsusfix_core::report::os_label(facts.os, facts.arch),
        None => "-".into(),
    }
}

fn evidence_label(r: &HostResult) -> String {
    let log = &r.evidence.server_log;
    if !r.evidence.symptomatic {
        return "-".into();
    }
    match log.last_time {
        Some(t) => format!("symptomatic ({}x, last {t})", log.matches),
        None => format!("symptomatic ({}x)", log.matches),
    }
}

const SCAN_HEADER: [&str; 7] = ["HOST", "OS", "WSUS", "DLL", "VERDICT", "EVIDENCE", "REASON"];

fn scan_row(r: &HostResult) -> Vec<String> {
    vec![
        r.host.clone(),
        os_label(r),
        r.wsus_version().unwrap_or_else(|| "-".into()),
        r.dll_version().unwrap_or_else(|| "-".into()),
        r.verdict.to_string(),
        evidence_label(r),
        r.reason.clone(),
    ]
}

/// Renders a scan report in a format.
pub fn render_scan(report: &ScanReport, format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Table => {
            let rows: Vec<Vec<String>> = report.hosts.iter().map(scan_row).collect();
            let mut text = table(&SCAN_HEADER, &rows);
            for r in report.hosts.iter().filter(|r| !r.warnings.is_empty()) {
                for w in &r.warnings {
                    text.push_str(&format!("warning: {}: {w}\n", r.host));
                }
            }
            text.push('\n');
            text.push_str(&report.summary_line());
            text.push('\n');
            text
        }
        Format::Json => serde_json::to_string_pretty(report)? + "\n",
        Format::Yaml => serde_yaml::to_string(report)?,
        Format::Csv => {
            let mut out = csv::Writer::from_writer(Vec::new());
            out.write_record([
                "host",
                "os",
                "wsus_version",
                "dll_version",
                "verdict",
                "symptomatic",
                "symptom_count",
                "last_symptom",
                "reason",
            ])?;
            for r in &report.hosts {
                out.write_record([
                    r.host.clone(),
                    os_label(r),
                    r.wsus_version().unwrap_or_default(),
                    r.dll_version().unwrap_or_default(),
                    r.verdict.to_string(),
                    r.evidence.symptomatic.to_string(),
                    r.evidence.server_log.matches.to_string(),
                    r.evidence.server_log.last_time.map(|t| t.to_string()).unwrap_or_default(),
                    r.reason.clone(),
                ])?;
            }
            String::from_utf8(out.into_inner()?)?
        }
    })
}

/// Writes a scan report in a format to a file, or to standard output. JSON streams from the
/// report as it is written, without a copy of the whole text in memory (17 MB for 10,000 hosts).
pub fn write_scan(report: &ScanReport, format: Format, out: Option<&Path>) -> anyhow::Result<()> {
    match format {
        Format::Json => emit_with(out, &mut |w| {
            serde_json::to_writer_pretty(&mut *w, report)?;
            w.write_all(b"\n")
        }),
        other => emit(&render_scan(report, other)?, out),
    }
}

/// Writes text to a file, or to standard output when no file is given.
pub fn emit(text: &str, out: Option<&Path>) -> anyhow::Result<()> {
    emit_with(out, &mut |w| w.write_all(text.as_bytes()))
}

/// Writes what `write` produces to a file (whole or not at all), or to standard output.
fn emit_with(out: Option<&Path>, write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>) -> anyhow::Result<()> {
    match out {
        Some(path) => wsusfix_core::files::write_atomic_with(path, write)
            .with_context(|| format!("cannot write {}", path.display())),
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            match write(&mut stdout).and_then(|()| stdout.flush()) {
                // A reader that stopped reading (`| head`) wanted no more: not an error.
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
                other => other.context("cannot write to standard output"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_pads_columns() {
        let t = table(&["A", "LONGER"], &[vec!["xyz".into(), "1".into()]]);
        assert_eq!(t, "A    LONGER\nxyz  1\n");
    }

    #[test]
    fn a_long_reason_is_cut_with_an_ellipsis() {
        assert_eq!(cut("short", 10), "short");
        assert_eq!(cut("a reason that goes on", 10), "a reason …");
    }

    #[test]
    fn csv_quotes_only_when_needed_and_keeps_a_newline_inside_its_field() {
        let mut a = HostResult::new("wsus01", wsusfix_core::assess::Assessment::unknown("plain"), None);
        let mut b = a.clone();
        b.host = "wsus02".into();
        b.reason = "a, \"quoted\"\nand a second line".into();
        a.verdict = wsusfix_core::assess::Verdict::Unknown;
        let text = render_scan(&ScanReport::new(vec![a, b]), Format::Csv).unwrap();
        let mut rows = csv::Reader::from_reader(text.as_bytes());
        let reasons: Vec<String> = rows.records().map(|r| r.unwrap()[8].to_string()).collect();
        assert_eq!(reasons, ["plain", "a, \"quoted\"\nand a second line"]);
        assert!(text.contains(",plain\n"), "plain fields are not quoted: {text}");
    }
}
