//! The README's lab walkthrough, run exactly as written: `lab serve` from the first block of
//! "### The lab", then every line of the second block from the same folder (PORT replaced by a
//! healthy host's port). A README that drifts from the commands fails here.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

const README: &str = include_str!("../../README.md");

/// The shell lines of the `n`th ```sh block of the section `### The lab`, comments removed.
fn block(n: usize) -> Vec<String> {
    let section = README.split("### The lab\n").nth(1).expect("a `### The lab` section");
    let section = section.split("\n### ").next().unwrap_or(section);
    let code = section.split("```sh\n").nth(n + 1).and_then(|b| b.split("```").next()).expect("the code block");
    code.lines().map(|l| l.split("  #").next().unwrap_or(l).trim().to_string()).filter(|l| !l.is_empty()).collect()
}

/// The port of a host whose profile answers normally.
fn healthy_port(inventory: &Path) -> String {
    let text = std::fs::read_to_string(inventory).unwrap();
    let mut port = None;
    for line in text.lines().map(str::trim) {
        if let Some(p) = line.strip_prefix("ansible_port: ") {
            port = Some(p.to_string());
        }
        if line == "lab_profile: w2003-sp1-unpatched" {
            return port.expect("a port before the profile");
        }
    }
    panic!("no w2003-sp1-unpatched host in the lab's inventory")
}

#[test]
fn the_readme_lab_walkthrough_works_as_written() {
    let dir = tempfile::tempdir().unwrap();
    let serve = block(0);
    assert_eq!(serve.len(), 1, "{serve:?}");
    let args: Vec<&str> = serve[0].split_whitespace().collect();
    assert_eq!(args[..3], ["wsusfix", "lab", "serve"], "{serve:?}");
    let mut lab = Command::new(env!("CARGO_BIN_EXE_wsusfix"))
        .args(&args[1..])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut ready = String::new();
    BufReader::new(lab.stdout.take().unwrap()).read_line(&mut ready).unwrap();
    assert!(ready.starts_with("lab ready") && ready.contains("packages"), "{ready}");
    let port = healthy_port(&dir.path().join("lab/inventory.yaml"));

    for line in block(1) {
        assert!(!line.contains(['\'', '"', '|', '>', '$']), "keep the walkthrough free of shell syntax: {line}");
        let line = line.replace("PORT", &port);
        let words: Vec<&str> = line.split_whitespace().collect();
        let (program, expected): (&str, &[i32]) = match words[0] {
            "wsusfix" if words[1] == "scan" => (env!("CARGO_BIN_EXE_wsusfix"), &[2, 3]),
            "wsusfix" => (env!("CARGO_BIN_EXE_wsusfix"), &[0]),
            "ssh" if Command::new("ssh").arg("-V").output().is_err() => {
                assert!(std::env::var_os("CI").is_none(), "CI must have OpenSSH's ssh");
                eprintln!("skipped: OpenSSH's ssh is not installed: {line}");
                continue;
            }
            "ssh" => ("ssh", &[0]),
            other => panic!("the walkthrough runs wsusfix and ssh only, not {other}"),
        };
        let out =
            Command::new(program).args(&words[1..]).current_dir(dir.path()).stdin(Stdio::null()).output().unwrap();
        let code = out.status.code().unwrap_or(-1);
        assert!(
            expected.contains(&code),
            "{line}: exit {code}, expected {expected:?}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        if words[0] == "ssh" {
            assert!(String::from_utf8_lossy(&out.stdout).contains("[Version 5.2.3790]"), "{line}");
        }
    }
    for made in ["lab/scan.json", "lab/scan.md", "lab/plan.yaml"] {
        assert!(dir.path().join(made).is_file(), "{made} was not written");
    }
    let _ = Command::new("kill").args(["-TERM", &lab.id().to_string()]).status();
    let _ = lab.wait();
}
