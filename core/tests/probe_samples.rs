//! Saved probe outputs from every kind of host, read through the same streaming reader and
//! rules as a live scan. The expected verdicts live in `tests/data/probe/expected.yaml`.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use wsusfix_core::advisory::Advisory;
use wsusfix_core::assess::{assess_probe, Assessment};
use wsusfix_core::facts::{Facts, SqlToolSearch};
use wsusfix_core::probe::{ProbeError, ProbeReader};

#[derive(Deserialize)]
struct Expected {
    verdict: String,
    #[serde(default)]
    symptomatic: Option<bool>,
    #[serde(default)]
    elevation: Option<String>,
    #[serde(default)]
    arch: Option<String>,
    #[serde(default)]
    os: Option<String>,
    #[serde(default)]
    reason_contains: Option<String>,
    /// The sources of a pending restart, in the JSON's names; `[]`: none.
    #[serde(default)]
    reboot_pending: Option<Vec<String>>,
    /// What the probe found to back SUSDB up with: `sqlcmd`, `osql`, `none`, or `not-probed`
    /// (a probe older than version 4); with `sql_tool_path`, the path it runs.
    #[serde(default)]
    sql_tool: Option<String>,
    #[serde(default)]
    sql_tool_path: Option<String>,
}

const DIR: &str = "C:\\Program Files\\Update Services";

fn read_in_chunks(bytes: &[u8], chunk: usize, advisory: &Advisory) -> Result<Facts, ProbeError> {
    let mut reader = ProbeReader::new(advisory, DIR);
    for piece in bytes.chunks(chunk.max(1)) {
        reader.push(piece);
    }
    reader.finish()
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_value(value).unwrap().as_str().unwrap_or_default().to_string()
}

#[test]
fn every_saved_probe_gets_its_expected_verdict() {
    for folder in ["tests/data/probe", "tests/data/probe/world"] {
        check_folder(&Path::new(env!("CARGO_MANIFEST_DIR")).join(folder));
    }
}

fn check_folder(data: &Path) {
    let expected: BTreeMap<String, Expected> =
        serde_yaml::from_str(&std::fs::read_to_string(data.join("expected.yaml")).unwrap()).unwrap();
    assert!(expected.len() >= 7, "{}", data.display());
    let advisory = Advisory::embedded();
    for (case, want) in &expected {
        let bytes = std::fs::read(data.join(format!("{case}.txt"))).unwrap_or_else(|e| panic!("{case}: {e}"));
        let whole = read_in_chunks(&bytes, bytes.len(), &advisory);
        for chunk in [1, 7, 4096] {
            assert_eq!(
                read_in_chunks(&bytes, chunk, &advisory),
                whole,
                "{case}: chunk size {chunk} changed the result"
            );
        }
        let assessment: Assessment = assess_probe(&whole, &advisory);
        assert_eq!(assessment.verdict.as_str(), want.verdict, "{case}: {assessment:#?}");
        if let Some(text) = &want.reason_contains {
            assert!(assessment.reason.contains(text.as_str()), "{case}: reason {:?} lacks {text:?}", assessment.reason);
        }
        if let Some(s) = want.symptomatic {
            assert_eq!(assessment.evidence.symptomatic, s, "{case}");
        }
        if let Ok(facts) = &whole {
            if want.verdict != "unknown" {
                assert!(facts.problems.is_empty(), "{case}: {:?}", facts.problems);
            }
            if let Some(e) = &want.elevation {
                assert_eq!(&json(&facts.elevation), e, "{case}");
            }
            if let Some(a) = &want.arch {
                assert_eq!(&json(&facts.arch), a, "{case}");
            }
            if let Some(sources) = &want.reboot_pending {
                let found: Vec<String> = facts
                    .reboot_pending
                    .iter()
                    .flat_map(|p| &p.sources)
                    .map(|s| serde_json::to_value(s).unwrap().as_str().unwrap_or_default().to_string())
                    .collect();
                assert_eq!(&found, sources, "{case}");
                let warned = assessment.warnings.iter().any(|w| w.contains("a restart is pending"));
                assert_eq!(warned, !sources.is_empty(), "{case}: {:?}", assessment.warnings);
            }
            if let Some(tool) = &want.sql_tool {
                let found = match &facts.sql_tool {
                    None => "not-probed".to_string(),
                    Some(SqlToolSearch::NoneFound) => "none".to_string(),
                    Some(SqlToolSearch::Found(t)) => t.kind.to_string(),
                };
                assert_eq!(&found, tool, "{case}");
                if let Some(path) = &want.sql_tool_path {
                    assert_eq!(
                        facts.sql_tool.as_ref().and_then(|s| s.tool()).map(|t| t.path.as_str()),
                        Some(path.as_str()),
                        "{case}"
                    );
                }
            }
            if let Some(os) = &want.os {
                assert_eq!(facts.os.map(|v| v.to_string()).as_deref(), Some(os.as_str()), "{case}");
            }
        }
    }
}

#[test]
fn symptomatic_host_evidence_is_counted_and_dated() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/probe/w2003-sp1-unpatched.txt");
    let advisory = Advisory::embedded();
    let facts = read_in_chunks(&std::fs::read(data).unwrap(), 64, &advisory).unwrap();
    assert_eq!(facts.server_log.matches, 57);
    assert_eq!(facts.server_log.last_time.unwrap().to_string(), "2008-07-03T08:15:31Z");
    assert_eq!(facts.client_log.matches, 12);
    assert_eq!(facts.services.len(), 2);
}

#[test]
fn a_huge_log_streams_in_bounded_memory() {
    // Two million matching lines (~300 MB of output) never held at once.
    let advisory = Advisory::embedded();
    let mut reader = ProbeReader::new(&advisory, DIR);
    let head = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/probe/w2003-no-wsus.txt")).unwrap();
    let text = String::from_utf8_lossy(&head).to_string();
    let (before, after) = text.split_at(text.find("::wsusfix:server-log").unwrap());
    reader.push(before.as_bytes());
    reader.push(b"::wsusfix:server-log\r\n");
    let line = b"2008-07-02 10:15:31.123 UTC\tError\tw3wp.8\tClientImplementation.SyncUpdates\tSystem.ArgumentException: Item has already been added. Key in dictionary: '1'  Key being added: '1'\r\n";
    let block: Vec<u8> = line.iter().copied().cycle().take(line.len() * 10_000).collect();
    for _ in 0..200 {
        reader.push(&block);
    }
    reader.push(b"::wsusfix:ok\r\n");
    reader.push(after.as_bytes());
    let facts = reader.finish().unwrap();
    assert_eq!(facts.server_log.matches, 2_000_000);
}
