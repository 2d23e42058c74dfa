//! Documents for people: the change request a board approves, the scan report and the result
//! of a run, in Markdown and HTML, rendered from the Tera templates of `templates/docs/`.
//!
//! Every document is written in a [`Lang`] (English by default): its words come from that
//! language's message catalogue ([`messages`]), which templates see as `msg` and the contexts
//! built here use for the sentences they compose (risk reasons, the schedule's stop rule,
//! durations, the run's history), so one set of templates writes every language.
//!
//! This module never prints; [`render`] returns the document as a string. Each kind has a
//! context type ([`ChangeRequest`], [`ScanDoc`], [`ResultDoc`]) built from its input alone, in a
//! stable order, so the same input always gives the same document (the only time in a change
//! request is the plan's `created_at`).
//!
//! Text from the input is prepared for the format before it reaches a template ([`text`]):
//! HTML templates are autoescaped by Tera (their names end in `.html.tera`), so a host name
//! holding `<script>` renders as text. An organisation's own templates (`--template-dir`) see
//! the same context; they must not mark data `| safe`.
//!
//! ```no_run
//! use wsusfix_core::report::{render, DocFormat, ReportInput, ReportKind};
//! use wsusfix_core::templates::Templates;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let input = ReportInput::load(ReportKind::ChangeRequest, "plan.yaml".as_ref())?;
//! let html = render(ReportKind::ChangeRequest, &input, DocFormat::Html, &Templates::embedded()?)?;
//! # Ok(()) }
//! ```

mod change_request;
mod history;
mod lang;
mod load;
pub mod messages;
mod rehearsal;
mod result_doc;
mod risk;
mod scan_doc;
mod schedule;
mod scope;
mod steps;
pub mod text;

pub use change_request::{
    route_title, BackoutView, ChangeRequest, EvidenceLine, Extras, HostLine, PackageView, RouteView,
};
pub use history::{HistoryView, RunHistory};
pub use lang::{Lang, UnknownLang};
pub use load::{load_scans, ReportInputError};
pub use messages::{Catalogue, CatalogueError};
pub use rehearsal::{Rehearsal, RehearsalError, RehearsalView};
pub use result_doc::ResultDoc;
pub use scan_doc::{ScanDoc, ScanHostView};
pub use schedule::{Batch, Schedule};
pub use scope::{os_label, Bucket, PlanScope};
pub use steps::{duration_text, durations, expect_text, typical_secs, StepView, UploadView};

use crate::outcome::RunOutcome;
use crate::plan::Plan;
use crate::scan::ScanReport;
use crate::templates::{TemplateError, Templates};
use serde::Serialize;
use text::Escape;

/// Which document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReportKind {
    /// From a plan: what a change board approves.
    ChangeRequest,
    /// From a scan's JSON: what was found.
    Scan,
    /// From an apply run's outcome: what was done.
    Result,
}

impl ReportKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::ChangeRequest => "change-request",
            ReportKind::Scan => "scan",
            ReportKind::Result => "result",
        }
    }

    /// What this kind is made from, in words.
    pub fn input_name(self) -> &'static str {
        match self {
            ReportKind::ChangeRequest => "a plan",
            ReportKind::Scan => "a scan report",
            ReportKind::Result => "a run outcome",
        }
    }
}

/// The output format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DocFormat {
    Markdown,
    Html,
}

impl DocFormat {
    /// The file extension, which is also the part of the template name before `.tera`.
    pub fn extension(self) -> &'static str {
        match self {
            DocFormat::Markdown => "md",
            DocFormat::Html => "html",
        }
    }

    fn escape(self) -> Escape {
        match self {
            DocFormat::Markdown => Escape::Markdown,
            DocFormat::Html => Escape::Html,
        }
    }
}

/// What a document is made from.
#[derive(Clone, Debug, PartialEq)]
pub enum ReportInput {
    Plan(Box<Plan>),
    Scan(Box<ScanReport>),
    Result(Box<RunOutcome>),
}

impl ReportInput {
    pub fn kind(&self) -> ReportKind {
        match self {
            ReportInput::Plan(_) => ReportKind::ChangeRequest,
            ReportInput::Scan(_) => ReportKind::Scan,
            ReportInput::Result(_) => ReportKind::Result,
        }
    }
}

/// The template a document is rendered with: `docs/change-request.html.tera`.
pub fn template_name(kind: ReportKind, format: DocFormat) -> String {
    format!("docs/{}.{}.tera", kind.as_str(), format.extension())
}

/// A document's context with the words of its language: `msg` (the catalogue) and `lang`
/// (the tag, for `<html lang>`).
#[derive(Serialize)]
struct InLanguage<'a, T: Serialize> {
    #[serde(flatten)]
    doc: &'a T,
    msg: &'a serde_json::Value,
    lang: &'static str,
}

fn render_in<T: Serialize>(
    templates: &Templates,
    name: &str,
    doc: &T,
    msg: &Catalogue,
) -> Result<String, TemplateError> {
    templates.render(name, &InLanguage { doc, msg: msg.tree(), lang: msg.lang().code() })
}

/// Renders a document in the language of `extras` with what `report` was given besides its
/// input: for a change request, change metadata for a plan that carries none and a rehearsal
/// cited as test evidence; for a result, the run folder's history.
pub fn render_with(
    input: &ReportInput,
    format: DocFormat,
    templates: &Templates,
    extras: Extras<'_>,
) -> Result<String, TemplateError> {
    let msg = templates.catalogue(extras.lang);
    let esc = format.escape();
    let name = template_name(input.kind(), format);
    match input {
        ReportInput::Plan(plan) => render_in(templates, &name, &ChangeRequest::with(plan, extras, esc, msg), msg),
        ReportInput::Result(run) => {
            render_in(templates, &name, &ResultDoc::with_history(run, extras.run, esc, msg), msg)
        }
        ReportInput::Scan(scan) => render_in(templates, &name, &ScanDoc::new(scan, esc, msg), msg),
    }
}

/// Renders one document in English. A broken template (embedded or an organisation's own)
/// gives its name, and Tera's message with the line.
pub fn render(
    kind: ReportKind,
    input: &ReportInput,
    format: DocFormat,
    templates: &Templates,
) -> Result<String, TemplateError> {
    if kind != input.kind() {
        return Err(TemplateError {
            name: template_name(kind, format),
            message: format!(
                "the {} report is made from {}, not from {}",
                kind.as_str(),
                kind.input_name(),
                input.kind().input_name()
            ),
        });
    }
    render_with(input, format, templates, Extras::default())
}
