//! The documents rendered from real inputs, held as golden files: the change request from the
//! plan of every kind of host (`tests/data/plan/every-kind.plan.yaml`), the scan report from
//! the saved probes of `tests/data/probe/`, and the result report from a sample run outcome.
//! A change to a template or a context shows up here as a diff to review.
//!
//! After a deliberate change: `WSUSFIX_BLESS=1 cargo test -p wsusfix-core --test report_golden`.

mod common;

use std::path::Path;

use wsusfix_core::advisory::Advisory;
use wsusfix_core::change::ChangeMeta;
use wsusfix_core::probe;
use wsusfix_core::report::{render, render_with, DocFormat, Extras, Lang, ReportInput, ReportKind};
use wsusfix_core::scan::{HostResult, ScanReport};
use wsusfix_core::templates::Templates;

const DIR: &str = "C:\\Program Files\\Update Services";

fn plan_input() -> ReportInput {
    ReportInput::load(ReportKind::ChangeRequest, Path::new("tests/data/plan/every-kind.plan.yaml")).unwrap()
}

/// The scan of `plan_golden.rs`: every saved probe, named after its file.
fn scan_input() -> ReportInput {
    let advisory = Advisory::embedded();
    let mut paths: Vec<_> = std::fs::read_dir("tests/data/probe")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    let hosts = paths
        .iter()
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().to_string();
            let outcome = probe::read_output(&std::fs::read(path).unwrap(), &advisory, DIR);
            HostResult::from_probe(&name, outcome, &advisory)
        })
        .collect();
    ReportInput::Scan(Box::new(ScanReport::new(hosts)))
}

fn result_input() -> ReportInput {
    ReportInput::load(ReportKind::Result, Path::new("tests/data/report/run.outcome.json")).unwrap()
}

fn check_golden(name: &str, text: &str) {
    common::check_golden(&Path::new("tests/data/report").join(name), text);
}

fn rendered(kind: ReportKind, input: &ReportInput, format: DocFormat) -> String {
    let templates = Templates::embedded().unwrap();
    let text = render(kind, input, format, &templates).unwrap();
    assert_eq!(text, render(kind, input, format, &templates).unwrap(), "the same input renders the same document");
    text
}

/// The document in Simplified Chinese, rendered twice to prove it stable.
fn rendered_zh(input: &ReportInput, format: DocFormat) -> String {
    let templates = Templates::embedded().unwrap();
    let extras = Extras { lang: Lang::ZhCn, ..Extras::default() };
    let text = render_with(input, format, &templates, extras).unwrap();
    assert_eq!(text, render_with(input, format, &templates, extras).unwrap(), "the same input, the same document");
    text
}

/// English words left in a Chinese document's prose: the text outside code (spans, fences,
/// `<code>`, `<pre>`), tags, and the data named in `data` (host names, reasons recorded in
/// English by the plan or the scan), split into words.
fn english_prose(text: &str, data: &[&str]) -> Vec<String> {
    let mut prose = String::new();
    let (mut in_code, mut in_tag, mut in_fence) = (false, false, false);
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || line.contains("<pre>") || line.starts_with("    ") {
            continue;
        }
        let mut line = line.replace("<code>", "`").replace("</code>", "`");
        for d in data {
            line = line.replace(d, " ");
        }
        for c in line.chars() {
            match c {
                '`' => in_code = !in_code,
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_code && !in_tag => prose.push(c),
                _ => {}
            }
        }
        prose.push('\n');
    }
    const WORDS: [&str; 12] = ["the", "and", "of", "to", "is", "are", "with", "for", "servers", "run", "plan", "step"];
    prose
        .split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| WORDS.contains(&w.to_ascii_lowercase().as_str()))
        .map(str::to_string)
        .collect()
}

#[test]
fn change_request_in_chinese_matches_its_golden_files_and_page_one_is_all_chinese() {
    let input = plan_input();
    let md = rendered_zh(&input, DocFormat::Markdown);
    check_golden("change-request.zh-CN.md.golden", &md);
    assert!(md.starts_with("# 变更请求：在 3 台 WSUS 服务器上安装 KB954960 修复"), "{md}");
    for heading in
        ["## 1. 摘要", "## 3. 时间安排", "## 4. 风险", "## 5. 测试证据", "## 6. 回退", "## 8. 审批", "# 附录"]
    {
        assert!(md.contains(heading), "{heading} missing");
    }
    assert!(md.contains("**批准前待补充**：change_id、type、priority"), "{md}");
    assert!(md.contains("- 高：1 台 WSUS 3.0 RTM 版本的服务器需先升级到 SP1"), "{md}");
    assert!(md.contains("安全通报 954960") && md.contains("知识库文章 954960"), "the advisory's own terms");
    let page_one = &md[..md.find("# 附录").unwrap()];
    assert_eq!(english_prose(page_one, &[]), Vec::<String>::new(), "English left on page one: {page_one}");

    let html = rendered_zh(&input, DocFormat::Html);
    check_golden("change-request.zh-CN.html.golden", &html);
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"zh-CN\">"), "{html}");
    assert!(html.contains("\"Microsoft YaHei\", \"PingFang SC\""), "a CJK font stack");
    assert!(html.contains("<title>变更请求：在 3 台 WSUS 服务器上安装 KB954960 修复</title>"), "{html}");
    assert!(html.contains("<h2>1. 摘要</h2>") && html.contains("<section class=\"appendices\">"));
}

#[test]
fn change_request_with_change_metadata_in_chinese_matches_its_golden_files() {
    let ReportInput::Plan(mut plan) = plan_input() else { panic!("a plan") };
    plan.header.change = Some(ChangeMeta::load(Path::new("../inventory/change.example.yaml")).unwrap());
    let input = ReportInput::Plan(plan);
    let md = rendered_zh(&input, DocFormat::Markdown);
    check_golden("change-request-meta.zh-CN.md.golden", &md);
    assert!(md.starts_with("# 变更请求 CHG0031337：在 3 台 WSUS 服务器上安装 KB954960 修复"), "{md}");
    assert!(md.contains("（4 小时 00 分钟）"), "the window's length in Chinese: {md}");
    assert!(md.contains("类型：常规变更；优先级：高"), "{md}");
    assert!(!md.contains("待补充"), "{md}");
    let page_one = &md[..md.find("# 附录").unwrap()];
    // The change metadata is the organisation's own text, in English in the example.
    let meta = ChangeMeta::load(Path::new("../inventory/change.example.yaml")).unwrap();
    let mut data: Vec<String> = meta.communication.clone();
    data.extend(meta.backout.triggers.clone());
    data.extend(meta.approvers.clone());
    data.extend(
        [meta.requester.clone(), meta.implementer.clone(), meta.backout.decided_by.clone()].into_iter().flatten(),
    );
    let data: Vec<&str> = data.iter().map(String::as_str).collect();
    assert_eq!(english_prose(page_one, &data), Vec::<String>::new(), "English left on page one: {page_one}");
    check_golden("change-request-meta.zh-CN.html.golden", &rendered_zh(&input, DocFormat::Html));
}

#[test]
fn scan_and_result_reports_in_chinese_match_their_golden_files() {
    let scan = scan_input();
    let md = rendered_zh(&scan, DocFormat::Markdown);
    check_golden("scan.zh-CN.md.golden", &md);
    assert!(md.starts_with("# 扫描报告："), "{md}");
    assert!(md.contains("## 按判定") && md.contains("| 受影响 |"), "{md}");
    check_golden("scan.zh-CN.html.golden", &rendered_zh(&scan, DocFormat::Html));

    let run = result_input();
    let md = rendered_zh(&run, DocFormat::Markdown);
    check_golden("result.zh-CN.md.golden", &md);
    assert!(md.contains("## 按结果") && md.contains("**未经证明**：sbs2003-wsus2"), "{md}");
    check_golden("result.zh-CN.html.golden", &rendered_zh(&run, DocFormat::Html));
}

#[test]
fn change_request_report_in_markdown_matches_the_golden_file() {
    let text = rendered(ReportKind::ChangeRequest, &plan_input(), DocFormat::Markdown);
    check_golden("change-request.md.golden", &text);
    for section in [
        "## 1. Summary",
        "## 3. Schedule",
        "## 4. Risk",
        "## 5. Test evidence",
        "## 6. Back-out",
        "## 8. Approvals",
        "# Appendices",
    ] {
        assert!(text.contains(section), "{section} missing");
    }
    let page_one = &text[..text.find("# Appendices").unwrap()];
    assert!(!page_one.contains("```"), "no command on the board's page: {page_one}");
    assert!(page_one.contains("**To complete before approval:** change_id, type, priority"), "{page_one}");
    assert!(text.contains("| 1 | 1 | 1 of 3 |"), "canary batch of one host: 1,10%,100% over 3 hosts");
    assert!(text.contains("**high**, the highest of:"), "an RTM upgrade makes the risk high: {page_one}");
    assert!(text.contains("- high: 1 WSUS 3.0 RTM server is upgraded to SP1 first"), "{page_one}");
    assert!(!text.contains("&gt;"), "a Markdown document reads as written when pasted into a ticket");
    assert!(!text.contains("tests/data/packages/"), "no folder of the operator's machine in the document");
    assert!(!text.contains("timeout 0 s"), "a manual step is not timed");
    assert!(text.contains("WSUS3.0SP1-KB954960-x64.exe /quiet /norestart"), "a representative command");
}

/// The plan of every kind of host, with the change metadata of `inventory/change.example.yaml`:
/// page one complete, the batches placed in the window, and the digest in the header.
#[test]
fn change_request_with_change_metadata_fills_page_one_and_places_the_batches_in_the_window() {
    let ReportInput::Plan(mut plan) = plan_input() else { panic!("a plan") };
    let meta = ChangeMeta::load(Path::new("../inventory/change.example.yaml")).unwrap();
    plan.header.change = Some(meta);
    let digest = plan.digest();
    let input = ReportInput::Plan(plan);
    let text = rendered(ReportKind::ChangeRequest, &input, DocFormat::Markdown);
    check_golden("change-request-meta.md.golden", &text);
    assert!(text.starts_with("# Change request CHG0031337: KB954960 fix on 3 WSUS servers"), "{text}");
    assert!(text.contains(&format!("`wsusfix apply --expect-digest sha256:{digest}`")), "{text}");
    assert!(!text.contains("To complete") && !text.contains("_to complete_"), "{text}");
    assert!(
        text.contains("| Window | 2026-12-12 22:00 UTC+08:00 to 2026-12-13 02:00 UTC+08:00 (4 h 00 min) |"),
        "{text}"
    );
    assert!(text.contains("| 1 | 1 | 1 of 3 | 2026-12-12 22:00 UTC+08:00 | 2026-12-12 22:29 UTC+08:00 |"), "{text}");
    assert!(text.contains("it would end at 2026-12-13 05:54 UTC+08:00, after the window closes"), "{text}");
    assert!(text.contains("| Approver | Information Security Officer | | |"), "{text}");
    let html = rendered(ReportKind::ChangeRequest, &input, DocFormat::Html);
    check_golden("change-request-meta.html.golden", &html);
    assert!(html.contains("<section class=\"appendices\">"), "the appendices start on a new page when printed");
}

#[test]
fn change_request_report_in_html_matches_the_golden_file() {
    let text = rendered(ReportKind::ChangeRequest, &plan_input(), DocFormat::Html);
    check_golden("change-request.html.golden", &text);
    assert!(
        text.contains("&quot;C:\\Windows\\Temp\\wsusfix\\WSUS3.0SP1-KB954960-x86.exe&quot; &#x2F;quiet"),
        "commands are escaped, not dropped"
    );
}

#[test]
fn scan_report_matches_the_golden_files() {
    let input = scan_input();
    let md = rendered(ReportKind::Scan, &input, DocFormat::Markdown);
    check_golden("scan.md.golden", &md);
    assert!(md.contains("| w2003-sp1-unpatched | affected | Windows Server 2003 x86 |"), "{md}");
    check_golden("scan.html.golden", &rendered(ReportKind::Scan, &input, DocFormat::Html));
}

#[test]
fn result_report_matches_the_golden_file_and_flags_an_unproven_fix() {
    let md = rendered(ReportKind::Result, &result_input(), DocFormat::Markdown);
    check_golden("result.md.golden", &md);
    assert!(md.contains("**Not proven:** sbs2003-wsus2"), "{md}");
    assert!(md.contains("**Reboot pending:** w2008-sp1-unpatched-x64-filtered."), "{md}");
    for outcome in ["already-remediated", "not-run", "backed-out"] {
        assert!(md.contains(&format!("| {outcome} | 1 |")), "{outcome} counted as itself: {md}");
    }
    assert!(
        !md.contains("### w2008-sp1-fixed-earlier"),
        "already remediated with the DLL read back: nothing to follow up"
    );
    assert!(md.contains("### w2003-sp1-backout: backed-out") && md.contains("### w2003-sp1-late-batch: not-run"));
    assert!(md.contains("  - cleanup cleanup-sp1: exit code 1 (\"Access is denied.\")"), "warnings are listed: {md}");
    assert!(md.contains("**Cleanup pending:** "), "hosts left with a task or a package are listed: {md}");
}

#[test]
fn an_already_remediated_host_without_a_dll_read_back_is_not_proven() {
    let ReportInput::Result(mut run) = result_input() else { panic!("a result input") };
    let host = run.hosts.iter_mut().find(|h| h.host == "w2008-sp1-fixed-earlier").unwrap();
    host.dll_version_after = None;
    let input = ReportInput::Result(run);
    let md = rendered(ReportKind::Result, &input, DocFormat::Markdown);
    assert!(md.contains("**Not proven:** sbs2003-wsus2, w2008-sp1-fixed-earlier reported fixed"), "{md}");
    assert!(md.contains("### w2008-sp1-fixed-earlier: already-remediated"), "followed up: {md}");
    let html = rendered(ReportKind::Result, &input, DocFormat::Html);
    assert!(html.contains("<strong>Not proven:</strong> sbs2003-wsus2, w2008-sp1-fixed-earlier reported fixed"));
    assert!(html.contains("<h3>w2008-sp1-fixed-earlier: already-remediated</h3>"), "{html}");
}

#[test]
fn a_report_of_the_wrong_input_is_refused_with_the_template_name() {
    let err =
        render(ReportKind::Scan, &plan_input(), DocFormat::Markdown, &Templates::embedded().unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "template docs/scan.md.tera: the scan report is made from a scan report, not from a plan"
    );
}

#[test]
fn a_bad_outcome_file_for_a_result_report_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("outcome.json");
    std::fs::write(&path, "{\n  \"run_id\": \"r\",\n  \"started_at\": \"2026-11-26T09:00:00Z\",\n  \"finished_at\": \"2026-11-26T09:00:00Z\",\n  \"hosts\": [{\"host\": \"a\", \"outcome\": \"fixed\"}]\n}\n").unwrap();
    let err = ReportInput::load(ReportKind::Result, dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("outcome.json is not a run outcome (outcome.json): line 5")
            && err.contains("unknown variant `fixed`"),
        "{err}"
    );
}
