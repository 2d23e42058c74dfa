//! `wsusfix report KIND INPUT`: the documents for the record, rendered from templates.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use wsusfix_core::change::ChangeMeta;
use wsusfix_core::report::{self, DocFormat, Lang, ReportInput, ReportKind};

use super::common::KnowledgeArgs;
use crate::output;

/// Write a change request, a scan report or a run result as Markdown or HTML.
///
/// change-request is made from a plan (plan.yaml): what a change board approves. scan is made
/// from the JSON of `wsusfix scan --format json`. result is made from an apply run: its folder,
/// or the outcome.json in it.
///
/// The documents come from Tera templates embedded in wsusfix (docs/*.tera); with
/// --template-dir DIR, a file DIR/docs/NAME takes the place of the embedded one. HTML is
/// self-contained (inline CSS, no script) and printable.
///
/// Every document is written in English (--lang en, the default) or in Simplified Chinese
/// (--lang zh-CN), from the same templates and a message catalogue per language
/// (docs/messages/LANG.yaml, which --template-dir can replace too).
///
/// Exit status: 0 written; 1 usage or input error (nothing is written).
#[derive(clap::Args)]
#[command(
    after_help = "Examples:\n  wsusfix report change-request plan.yaml --format html -o change-request.html\n  wsusfix report scan scan.json\n  wsusfix report scan site-east.json site-west.json -o fleet.md\n  wsusfix report result runs/2026-11-26T09-00-00Z --format html -o result.html\n  wsusfix report change-request plan.yaml --lang zh-CN --format html -o change-request.zh-CN.html\n  wsusfix report change-request plan.yaml --template-dir our-templates/"
)]
pub struct Args {
    /// Which document.
    #[arg(value_enum, value_name = "KIND")]
    pub kind: Kind,
    /// What it is made from: a plan, a scan's JSON, or a run folder or its outcome.json. A scan
    /// report may combine several scans' JSON (control machines or sites that each scanned
    /// part of the fleet, or a scan and a rescan of some hosts): a host in more than one takes
    /// its result from the last file given, and each such host is named on stderr.
    #[arg(value_name = "INPUT", required = true, num_args = 1..)]
    pub input: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "md")]
    pub format: Format,
    /// The language the document is written in: en or zh-CN.
    #[arg(long, value_name = "LANG", default_value = "en", value_parser = parse_lang)]
    pub lang: Lang,
    /// Write to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Change metadata for a change request whose plan carries none (YAML, as for
    /// `plan --meta`). The document then says the plan's digest does not bind it; re-plan with
    /// --meta to bind it. Refused for a plan that carries its own.
    #[arg(long, value_name = "FILE")]
    pub meta: Option<PathBuf>,
    /// A rehearsal of this plan to cite as test evidence: the run folder `wsusfix lab rehearse`
    /// printed (it must be a rehearsal, of this very plan).
    #[arg(long, value_name = "RUN_DIR")]
    pub rehearsal: Option<PathBuf>,
    #[command(flatten)]
    pub knowledge: KnowledgeArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    ChangeRequest,
    Scan,
    Result,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Html,
}

/// `--lang`: a known language, or a usage error naming the known ones.
fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse::<Lang>().map_err(|e| e.to_string())
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let kind = match args.kind {
        Kind::ChangeRequest => ReportKind::ChangeRequest,
        Kind::Scan => ReportKind::Scan,
        Kind::Result => ReportKind::Result,
    };
    let format = match args.format {
        Format::Md => DocFormat::Markdown,
        Format::Html => DocFormat::Html,
    };
    let templates = args.knowledge.templates()?;
    let input = match (kind, args.input.as_slice()) {
        (_, [one]) => ReportInput::load(kind, one)?,
        (ReportKind::Scan, several) => {
            let (input, overlaps) = report::load_scans(several)?;
            for o in &overlaps {
                eprintln!(
                    "warning: host {} is in {} and in {}: the result from {} is kept",
                    o.host,
                    o.earlier.display(),
                    o.later.display(),
                    o.later.display()
                );
            }
            input
        }
        (_, several) => bail!(
            "a {} is made from one input, and {} were given: only a scan report combines several",
            kind.as_str(),
            several.len()
        ),
    };
    let meta = match (&args.meta, &input) {
        (None, _) => None,
        (Some(file), ReportInput::Plan(plan)) => {
            if plan.header.change.is_some() {
                bail!(
                    "{} carries its change metadata, bound by its digest: change it by re-planning with --meta, \
                     not with report --meta",
                    args.input[0].display()
                );
            }
            let name = file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into());
            Some((ChangeMeta::load(file)?, name))
        }
        (Some(_), _) => bail!("--meta is for a change request, made from a plan"),
    };
    // A change request describes what will run: a plan that is not what `wsusfix plan` made
    // from its own recorded facts (edited by hand, or made under another advisory) is refused,
    // as `apply` refuses it.
    if let ReportInput::Plan(plan) = &input {
        let advisory = args.knowledge.advisory()?;
        wsusfix_core::plan::verify(plan, &advisory, &templates).with_context(|| {
            format!("{} fails its integrity check; no change request is written", args.input[0].display())
        })?;
    }
    let rehearsal = match (&args.rehearsal, &input) {
        (None, _) => None,
        (Some(dir), ReportInput::Plan(plan)) => Some(report::Rehearsal::load(dir, plan)?),
        (Some(_), _) => bail!("--rehearsal is for a change request, made from a plan"),
    };
    // A result made from a run folder also tells the run's story, from its journal.
    let history = match (kind, args.input.as_slice()) {
        // A folder holding only an outcome.json (copied for the record) has no story to tell.
        (ReportKind::Result, [dir]) if dir.join(wsusfix_core::apply::journal::JOURNAL_FILE).is_file() => {
            Some(report::RunHistory::load(dir)?)
        }
        _ => None,
    };
    let extras = report::Extras {
        meta: meta.as_ref().map(|(m, n)| (m, n.as_str())),
        rehearsal: rehearsal.as_ref(),
        run: history.as_ref(),
        lang: args.lang,
    };
    let text = report::render_with(&input, format, &templates, extras)
        .with_context(|| format!("cannot write the {} report", kind.as_str()))?;
    output::emit(&text, args.output.as_deref())?;
    Ok(ExitCode::SUCCESS)
}
