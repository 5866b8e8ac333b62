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
