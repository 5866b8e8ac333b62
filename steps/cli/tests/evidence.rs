//! A signed report as an auditor meets it, through the `conformance` binary: it verifies
//! against the signer's public key, one changed character is named, and `rerun` reproduces it
//! — and refuses a report that was changed.

use std::path::Path;
use std::process::{Command, Output};

fn conformance(args: &[&str], key: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(args)
        .env("CONFORMANCE_SIGNING_KEY", key)
        .output()
        .expect("the conformance binary runs")
}

fn text(output: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr))
}

#[test]
fn a_signed_report_verifies_is_reproduced_and_cannot_be_edited_unseen() {
    let temp = tempfile::tempdir().unwrap();
    let key = temp.path().join("signing-key.pem");
    let report = temp.path().join("report");
    let report = report.to_str().unwrap();
    let declared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ci/unchecked.toml");
    let run = conformance(
        &["run", "--driver", "api", "--tags", "@SU-7", "--property-cases", "0", "--report-dir", report]
            .into_iter()
            .chain(["--waivers", declared.to_str().unwrap()])
            .collect::<Vec<_>>(),
        &key,
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));

    let public = temp.path().join("signer.pem");
    let printed = conformance(&["public-key"], &key);
    std::fs::write(&public, &printed.stdout).unwrap();
    let verified = conformance(&["verify-report", report, "--public-key", public.to_str().unwrap()], &key);
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));
    assert!(text(&verified).contains("signer: the key you trust"), "{}", text(&verified));

    let again =
        conformance(&["rerun", report, "--report-dir", temp.path().join("again").to_str().unwrap()], &key);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    assert!(text(&again).contains("reproduced:"), "{}", text(&again));

    let page = Path::new(report).join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    std::fs::write(&page, html.replacen("SU-7", "SU-8", 1)).unwrap();
    let edited = conformance(&["verify-report", report], &key);
    assert_eq!(edited.status.code(), Some(1), "{}", text(&edited));
    assert!(text(&edited).contains("changed: report.html"), "{}", text(&edited));
    let refused = conformance(&["rerun", report], &key);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("changed since it was signed"), "{}", text(&refused));
}

/// Shards of a run, merged, give what the run unsharded gives: the same verdict and the same
/// result for every requirement ID and scenario; a missing shard, a shard twice, and a shard
/// changed since it was signed are refused.
#[test]
fn merged_shards_give_the_unsharded_verdict_and_refuse_gaps_and_edits() {
    let temp = tempfile::tempdir().unwrap();
    let key = temp.path().join("signing-key.pem");
    let declared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ci/unchecked.toml");
    let dir = |name: &str| temp.path().join(name).to_str().unwrap().to_owned();
    let run = |report: &str, shard: Option<&str>| {
        let mut args = vec!["run", "--driver", "api", "--tags", "@SU or @PK", "--property-cases", "0"];
        args.extend(["--report-dir", report, "--waivers", declared.to_str().unwrap()]);
        if let Some(shard) = shard {
            args.extend(["--shard", shard]);
        }
        let output = conformance(&args, &key);
        assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    };
    let (whole, one, two, three) = (dir("whole"), dir("one"), dir("two"), dir("three"));
    run(&whole, None);
    run(&one, Some("1/3"));
    run(&two, Some("2/3"));
    run(&three, Some("3/3"));
    let merged = dir("merged");
    let output = conformance(&["report", "merge", "--out", &merged, &one, &two, &three], &key);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let (was, now) = (
        conformance::report::diff::Run::load(Path::new(&whole)).unwrap(),
        conformance::report::diff::Run::load(Path::new(&merged)).unwrap(),
    );
    assert_eq!(was.verdict, now.verdict);
    assert_eq!(was.ids, now.ids, "every ID's result as unsharded");
    assert_eq!(was.scenarios, now.scenarios, "every scenario's result as unsharded");
    let verified = conformance(&["verify-report", &merged], &key);
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));

    for (shards, says) in [
        (vec![&one, &two], "shard 3/3: 0 reports given"),
        (vec![&one, &two, &two, &three], "shard 2/3: 2 reports given"),
    ] {
        let mut args = vec!["report", "merge", "--out", merged.as_str()];
        args.extend(shards.iter().map(|s| s.as_str()));
        let refused = conformance(&args, &key);
        assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
        assert!(text(&refused).contains(says), "{says}: {}", text(&refused));
    }
    let summary = Path::new(&two).join("summary.json");
    let edited = std::fs::read_to_string(&summary).unwrap().replacen("\"passed\"", "\"failed\"", 1);
    std::fs::write(&summary, edited).unwrap();
    let refused = conformance(&["report", "merge", "--out", &merged, &one, &two, &three], &key);
    assert_eq!(refused.status.code(), Some(2), "{}", text(&refused));
    assert!(text(&refused).contains("changed since it was signed"), "{}", text(&refused));
}
