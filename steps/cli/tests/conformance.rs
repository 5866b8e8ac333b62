//! Every feature file against the in-process reference server and fakes, and the verdicts a
//! run gives: conformant with the project's declared gaps, incomplete without them, and
//! incomplete but exiting 0 when the user filtered the run.

use conformance::report::evidence;
use conformance::report::waivers::{self, Waivers};
use conformance::report::{RunVerdict, Summary, exit};
use conformance::requirements::Catalogue;
use conformance::runner::{self, RunOptions};
use conformance_cli::in_process;

/// A real run's `summary.json` meets the schema published in `schemas/` (pipelines rely on it).
fn meets_the_published_schema(file: &std::path::Path) {
    let read = |path: &std::path::Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON")
    };
    let schema = read(&runner::workspace_dir().join("schemas/summary.schema.json"));
    let summary = read(file);
    let validator = jsonschema::validator_for(&schema).expect("a JSON Schema");
    let problems: Vec<String> =
        validator.iter_errors(&summary).map(|e| format!("{}: {e}", e.instance_path())).collect();
    assert!(
        problems.is_empty(),
        "{} does not meet schemas/summary.schema.json: {problems:#?}",
        file.display()
    );
    assert_eq!(summary["versions"]["suite"], env!("CARGO_PKG_VERSION"));
}

#[tokio::main]
async fn main() {
    let declared =
        waivers::load(&runner::workspace_dir().join("ci/unchecked.toml")).expect("ci/unchecked.toml");
    let catalogue =
        Catalogue::load(&runner::workspace_dir().join("features/requirements.toml")).expect("catalogue");
    let summary = in_process::run(1, |options| options.waivers = declared.clone())
        .await
        .expect("the conformance run could not start");
    print!("{}", summary.render());
    assert!(summary.conformant(), "the reference server does not pass its own conformance suite");
    // Mutation testing (ci/mutants.sh) judges a mutated server by this verdict alone: what
    // follows checks the suite's own reporting, which no change to the server can alter.
    if std::env::var_os("CONFORMANCE_VERDICT_ONLY").is_some() {
        return;
    }
    assert_eq!(summary.declared_unchecked.len(), declared.unchecked.len());
    meets_the_published_schema(&runner::workspace_dir().join("target/conformance/summary.json"));

    // The same results without the declarations: every declared ID is listed as unchecked.
    let resummarise = |waivers: &Waivers| {
        Summary::new(
            &catalogue,
            summary.scenarios.clone(),
            summary.properties.clone(),
            summary.parse_errors.clone(),
            1.0,
            waivers,
        )
    };
    let undeclared = resummarise(&Waivers::default());
    assert_eq!(undeclared.verdict, RunVerdict::Incomplete);
    assert_eq!(undeclared.exit_code, exit::INCOMPLETE);
    assert_eq!(undeclared.unchecked.len(), declared.unchecked.len());
    // One declaration fewer: exactly that ID makes the run incomplete.
    let mut fewer = declared.clone();
    let dropped = fewer.unchecked.pop().expect("a declaration");
    let one_more = resummarise(&fewer);
    assert_eq!(one_more.exit_code, exit::INCOMPLETE);
    assert_eq!(one_more.unchecked.iter().map(|u| u.id.as_str()).collect::<Vec<_>>(), [dropped.id.as_str()]);

    // A run the user narrowed with --tags: incomplete, listing what it filtered out, exit 0.
    let filtered = in_process::run(1, |options| {
        options.tags = Some("@SU-1".into());
        options.waivers = declared;
        options.report_dir = runner::workspace_dir().join("target/conformance-filtered");
    })
    .await
    .expect("the filtered run could not start");
    assert_eq!(filtered.verdict, RunVerdict::Incomplete, "{}", filtered.render());
    assert_eq!(filtered.exit_code, exit::CONFORMANT);
    assert!(filtered.filtered_out.contains(&"OTP-1".to_owned()));
    assert!(
        filtered
            .requirements
            .iter()
            .any(|r| r.requirement.id == "SU-1" && r.verdict == conformance::report::Verdict::Passed)
    );
    println!("filtered run: {}", filtered.verdict_text);
    meets_the_published_schema(&runner::workspace_dir().join("target/conformance-filtered/summary.json"));

    // The run's evidence: its manifest names this run and verifies; one character changed
    // in the report is caught.
    let dir = runner::workspace_dir().join("target/conformance-filtered");
    let verified = evidence::verify(&dir, None).expect("a manifest and its signature");
    assert!(verified.ok(), "{}", verified.render());
    let manifest = verified.manifest.expect("the manifest");
    assert_eq!(manifest.tags.as_deref(), Some("@SU-1"));
    assert_eq!(manifest.requirements.get("SU-1").map(String::as_str), Some("passed"));
    assert!(
        manifest.specification.contains_key("requirements.toml")
            && manifest.files.contains_key("report.html")
    );
    let summary_file = dir.join("summary.json");
    let text = std::fs::read_to_string(&summary_file).expect("summary.json");
    std::fs::write(&summary_file, text.replacen("SU-1", "SU-2", 1)).expect("an edit");
    let tampered = evidence::verify(&dir, None).expect("a manifest");
    assert_eq!(tampered.changed, ["summary.json"], "{}", tampered.render());

    // A service that declares only some capabilities: what needs the others is not run and
    // stays unchecked (never passed, never failed); the property plays only what it offers.
    let server =
        in_process::InProcess::start(reference_server::Policy::default()).await.expect("in-process server");
    let mut target = server.target(conformance::target::DriverKind::Api);
    target.capabilities = Some(vec!["voice".into(), "email_change".into(), "phone_change".into()]);
    let partial = runner::run(RunOptions {
        report_dir: runner::workspace_dir().join("target/conformance-capabilities"),
        ..RunOptions::new(target)
    })
    .await
    .expect("the capability run could not start");
    server.server.stop();
    print!("{}", partial.render());
    assert_eq!(partial.verdict, RunVerdict::Incomplete);
    assert_eq!(partial.exit_code, exit::INCOMPLETE);
    let failed: Vec<_> =
        partial.scenarios.iter().filter(|s| s.status == conformance::report::Status::Failed).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    let not_declared = partial
        .scenarios
        .iter()
        .filter(|s| s.detail.as_deref() == Some("not run: capability not declared (personal_key)"))
        .count();
    assert!(not_declared >= 4, "personal-key scenarios are reported as not run: {not_declared}");
    for id in ["PK-2", "ST-6"] {
        let unchecked = partial.unchecked.iter().find(|u| u.id == id);
        assert!(unchecked.is_some_and(|u| u.why.contains("capability not declared")), "{id}: {unchecked:?}");
    }
    let property = &partial.properties[0];
    assert!(!property.ids.contains(&"PK-2".to_owned()) && property.ids.contains(&"OTP-1".to_owned()));
}
