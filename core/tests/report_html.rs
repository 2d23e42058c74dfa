//! The HTML documents are safe and well formed: data is escaped (a host named
//! `<script>alert(1)</script>` renders as text), and every page passes a structural check
//! written here, so CI needs no HTML validator: doctype, `lang`, `meta charset`, a title,
//! balanced tags of the elements the templates use, proper nesting of tables and lists, no
//! script and no external resource.

use std::path::Path;

use wsusfix_core::assess::Assessment;
use wsusfix_core::outcome::{HostOutcome, Outcome, RunOutcome};
use wsusfix_core::plan::Plan;
use wsusfix_core::report::{render, render_with, DocFormat, Extras, Lang, ReportInput, ReportKind};
use wsusfix_core::scan::{HostResult, ScanReport};
use wsusfix_core::templates::Templates;

const EVIL: &str = "<script>alert(1)</script>";

fn plan() -> Plan {
    Plan::load(Path::new("tests/data/plan/every-kind.plan.yaml")).unwrap()
}

fn evil_plan() -> Plan {
    let mut plan = plan();
    for host in plan.hosts.iter_mut().filter(|h| h.host == "w2003-sp1-unpatched" || h.host == "garbage") {
        host.host = format!("{}{EVIL}", host.host);
        host.reason = format!("{EVIL} & \"quoted\" | piped");
        host.groups = Some(vec![EVIL.to_string()]);
    }
    plan
}

fn html(kind: ReportKind, input: &ReportInput) -> String {
    render(kind, input, DocFormat::Html, &Templates::embedded().unwrap()).unwrap()
}

#[test]
fn a_script_in_a_host_name_or_reason_renders_as_text_in_a_report() {
    let input = ReportInput::Plan(Box::new(evil_plan()));
    let page = html(ReportKind::ChangeRequest, &input);
    assert!(!page.contains("<script"), "unescaped script in the HTML change request");
    assert!(page.contains("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;"), "escaped host missing");
    check_html(&page).unwrap();

    let md = render(ReportKind::ChangeRequest, &input, DocFormat::Markdown, &Templates::embedded().unwrap()).unwrap();
    assert!(!md.contains("<script"), "unescaped script in the Markdown change request");
    assert!(md.contains("&lt;script>alert(1)&lt;/script> & \"quoted\" \\| piped"), "{md}");
}

#[test]
fn scan_and_result_reports_escape_their_data_too() {
    let scan = ScanReport::new(vec![HostResult::new(EVIL, Assessment::unknown(EVIL), None)]);
    let page = html(ReportKind::Scan, &ReportInput::Scan(Box::new(scan)));
    assert!(!page.contains("<script") && page.contains("&lt;script&gt;"), "{page}");
    check_html(&page).unwrap();

    let run: RunOutcome = serde_json::from_str(
        r#"{"run_id": "<script>", "started_at": "2026-11-26T09:00:00Z", "finished_at": "2026-11-26T09:00:05Z", "hosts": []}"#,
    )
    .unwrap();
    let mut run = run;
    let mut host = HostOutcome::new(EVIL, Outcome::Failed, EVIL);
    host.reboot_pending = true;
    host.warnings = vec![EVIL.into()];
    run.hosts.push(host);
    let page = html(ReportKind::Result, &ReportInput::Result(Box::new(run)));
    assert!(!page.contains("<script") && page.contains("&lt;script&gt;"), "{page}");
    check_html(&page).unwrap();
}

#[test]
fn every_html_report_is_well_formed_and_self_contained() {
    let page = html(ReportKind::ChangeRequest, &ReportInput::Plan(Box::new(plan())));
    check_html(&page).unwrap();
    for needle in ["@media print", "border-collapse", "@page"] {
        assert!(page.contains(needle), "printable CSS: {needle} missing");
    }
    let run = ReportInput::load(ReportKind::Result, Path::new("tests/data/report/run.outcome.json")).unwrap();
    check_html(&html(ReportKind::Result, &run)).unwrap();
}

#[test]
fn every_html_report_in_every_language_is_well_formed_and_escapes_its_data() {
    let templates = Templates::embedded().unwrap();
    let run = ReportInput::load(ReportKind::Result, Path::new("tests/data/report/run.outcome.json")).unwrap();
    let scan = ScanReport::new(vec![HostResult::new(EVIL, Assessment::unknown(EVIL), None)]);
    let inputs = [ReportInput::Plan(Box::new(evil_plan())), ReportInput::Scan(Box::new(scan)), run];
    for lang in Lang::ALL {
        for input in &inputs {
            let extras = Extras { lang, ..Extras::default() };
            let page = render_with(input, DocFormat::Html, &templates, extras).unwrap();
            check_html(&page).unwrap_or_else(|e| panic!("{lang} {:?}: {e}", input.kind()));
            assert!(page.contains(&format!("<html lang=\"{}\">", lang.code())), "{lang}");
            assert!(!page.contains("<script"), "{lang} {:?}: unescaped script", input.kind());
        }
    }
}

#[test]
fn the_report_html_checker_catches_what_it_should() {
    let ok = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>t</title></head><body><main><p>a &amp; b</p></main></body></html>";
    check_html(ok).unwrap();
    for (bad, why) in [
        (ok.replace("<p>a", "<p><b>a"), "unknown element"),
        (ok.replace("</p>", ""), "unclosed"),
        (ok.replace("&amp;", "&"), "bare &"),
        (ok.replace("a &amp; b", "a < b"), "raw <"),
        (ok.replace("<p>a &amp; b</p>", "<script>x</script>"), "script"),
        (ok.replace("<title>t</title>", "<title></title>"), "empty title"),
        (ok.replace(" lang=\"en\"", ""), "no lang"),
        (ok.replace("<p>a &amp; b</p>", "<p><table></table></p>"), "block in p"),
        (ok.replace("<p>a &amp; b</p>", "<table><td>x</td></table>"), "td outside tr"),
    ] {
        assert!(check_html(&bad).is_err(), "{why} not caught");
    }
}

// ---- the structural check ----

const VOID: &[&str] = &["meta", "br"];
const ELEMENTS: &[&str] = &[
    "html", "head", "meta", "title", "style", "body", "main", "footer", "h1", "h2", "h3", "p", "ul", "ol", "li",
    "table", "thead", "tbody", "tr", "th", "td", "strong", "em", "code", "pre", "span", "br", "section",
];
const BLOCKS: &[&str] = &["p", "ul", "ol", "table", "pre", "h1", "h2", "h3", "main", "footer", "section"];

/// Checks the page's structure; the error names the line.
fn check_html(doc: &str) -> Result<(), String> {
    let head = "<!DOCTYPE html>\n<html lang=\"";
    if !doc.starts_with(head) {
        return Err("the page must start with the HTML5 doctype and <html lang=...>".into());
    }
    if !doc.contains("<meta charset=\"utf-8\">") {
        return Err("no <meta charset=\"utf-8\">".into());
    }
    let title = doc.split("<title>").nth(1).and_then(|t| t.split("</title>").next()).unwrap_or("");
    if title.trim().is_empty() {
        return Err("no title".into());
    }
    for banned in ["src=", "href=", "url(", "@import", "<script", "<link", "<iframe", "javascript:"] {
        if doc.to_ascii_lowercase().contains(banned) {
            return Err(format!("{banned} is not allowed in a self-contained page"));
        }
    }
    let mut stack: Vec<String> = Vec::new();
    let mut rest = &doc[doc.find("<html").unwrap_or(0)..];
    let line = |rest: &str| doc[..doc.len() - rest.len()].lines().count();
    while !rest.is_empty() {
        let Some(lt) = rest.find(['<', '&']) else { break };
        rest = &rest[lt..];
        if rest.starts_with('&') {
            let end = rest.find(';').filter(|e| *e < 10).ok_or_else(|| format!("line {}: bare &", line(rest)))?;
            let entity = &rest[1..end];
            let valid = entity.chars().all(|c| c.is_ascii_alphabetic())
                || entity.strip_prefix("#x").is_some_and(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_hexdigit()))
                || entity.strip_prefix('#').is_some_and(|d| !d.is_empty() && d.chars().all(|c| c.is_ascii_digit()));
            if entity.is_empty() || !valid {
                return Err(format!("line {}: bad entity &{entity};", line(rest)));
            }
            rest = &rest[end + 1..];
            continue;
        }
        let end = rest.find('>').ok_or_else(|| format!("line {}: unclosed tag", line(rest)))?;
        let tag = &rest[1..end];
        if tag.contains('<') {
            return Err(format!("line {}: raw < in text", line(rest)));
        }
        let (closing, body) = match tag.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, tag),
        };
        let name: String = body.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
        if name.is_empty() {
            return Err(format!("line {}: raw < in text", line(rest)));
        }
        if !ELEMENTS.contains(&name.as_str()) {
            return Err(format!("line {}: unknown element <{name}>", line(rest)));
        }
        rest = &rest[end + 1..];
        if closing {
            match stack.pop() {
                Some(open) if open == name => {}
                open => return Err(format!("line {}: </{name}> closes {open:?}", line(rest))),
            }
            continue;
        }
        check_parent(&name, stack.last().map(String::as_str), &stack)
            .map_err(|e| format!("line {}: {e}", line(rest)))?;
        if name == "style" {
            let close = rest.find("</style>").ok_or("unclosed <style>")?;
            rest = &rest[close + "</style>".len()..];
            continue;
        }
        if !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    match stack.is_empty() {
        true => Ok(()),
        false => Err(format!("unclosed elements: {stack:?}")),
    }
}

fn check_parent(name: &str, parent: Option<&str>, stack: &[String]) -> Result<(), String> {
    let parent = parent.unwrap_or("");
    let allowed: &[&str] = match name {
        "tr" => &["table", "thead", "tbody"],
        "td" | "th" => &["tr"],
        "thead" | "tbody" => &["table"],
        "li" => &["ul", "ol"],
        "head" | "body" => &["html"],
        "html" => &[""],
        _ => &[],
    };
    if !allowed.is_empty() && !allowed.contains(&parent) {
        return Err(format!("<{name}> inside <{parent}>"));
    }
    if BLOCKS.contains(&name) && stack.iter().any(|s| s == "p") {
        return Err(format!("<{name}> inside <p>"));
    }
    Ok(())
}
