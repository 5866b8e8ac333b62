//! Test-only variants of the reference server (its `fixtures` feature), driven in a real
//! browser: pages without the suite's markup pass with a target mapping alone and fail
//! without one, and each deliberately broken service fails by the right requirement ID, for
//! the right reason — never a false pass.

use conformance::driver::pages::{Arrange, BrowserMapping};
use conformance::report::{Summary, Verdict};
use conformance::runner::{self, RunOptions};
use conformance::target::DriverKind;
use conformance_cli::in_process::InProcess;
use reference_server::fixture::Fixture;

/// One run at a time: a run installs its context process-wide.
static ONE_RUN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Runs the scenarios tagged `tags` in a browser against the server variant `fixture`.
async fn run(fixture: Fixture, mapping: Option<BrowserMapping>, tags: &str) -> Summary {
    let _one = ONE_RUN.lock().await;
    let before = browser_processes();
    let server = InProcess::start_configured(|config| config.fixture = Some(fixture)).await.expect("server");
    let mut target = server.target(DriverKind::Browser);
    if let Some(mapping) = mapping {
        target.browser = mapping;
    }
    let summary = runner::run(RunOptions {
        tags: Some(tags.into()),
        property_cases: 0,
        report_dir: runner::workspace_dir().join(format!("target/conformance-fixture-{fixture:?}")),
        ..RunOptions::new(target)
    })
    .await
    .expect("the run could not start");
    server.server.stop();
    print!("{}", summary.render());
    assert_none_left(&before);
    summary
}

/// Live ChromeDriver and Chromium processes (zombies are dead and do not count): pid → name.
fn browser_processes() -> std::collections::BTreeMap<u32, String> {
    let mut found = std::collections::BTreeMap::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else { continue };
        // "pid (comm) state ...": the name may hold spaces, the state follows its last ')'.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else { continue };
        let name = &stat[open + 1..close];
        let state = stat[close + 1..].split_whitespace().next().unwrap_or("");
        if state != "Z" && (name.starts_with("chromedriver") || name.starts_with("chrom")) {
            found.insert(pid, name.to_owned());
        }
    }
    found
}

/// Every ChromeDriver or Chromium the run started has ended (they get a few seconds to exit).
fn assert_none_left(before: &std::collections::BTreeMap<u32, String>) {
    let new =
        || browser_processes().into_iter().filter(|(pid, _)| !before.contains_key(pid)).collect::<Vec<_>>();
    for _ in 0..100 {
        if new().is_empty() {
            return;
        }
        #[allow(clippy::disallowed_methods)] // waits for processes to exit, not for a rule
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    panic!("browser processes outlived the run: {:?}", new());
}

fn verdict(summary: &Summary, id: &str) -> Verdict {
    summary.requirements.iter().find(|r| r.requirement.id == id).map(|r| r.verdict).expect("a requirement ID")
}

/// Every failed scenario's detail, for asserting why it failed.
/// The requirement IDs the run failed.
fn failed_ids(summary: &Summary) -> Vec<&str> {
    summary
        .requirements
        .iter()
        .filter(|r| r.verdict == Verdict::Failed)
        .map(|r| r.requirement.id.as_str())
        .collect()
}

fn failures(summary: &Summary) -> Vec<String> {
    summary
        .scenarios
        .iter()
        .filter(|s| s.status == conformance::report::Status::Failed)
        .map(|s| format!("{}: {}", s.scenario, s.detail.clone().unwrap_or_default()))
        .collect()
}

/// The `[browser]` section of `steps/cli/tests/fixtures/<name>.toml`.
fn mapping(name: &str) -> BrowserMapping {
    #[derive(serde::Deserialize)]
    struct File {
        browser: BrowserMapping,
    }
    let path = runner::workspace_dir().join(format!("steps/cli/tests/fixtures/{name}.toml"));
    let file: File = toml::from_str(&std::fs::read_to_string(path).expect("mapping file")).expect("mapping");
    file.browser.validate().expect("a valid mapping");
    file.browser
}

fn unmarked_mapping() -> BrowserMapping {
    mapping("unmarked-pages")
}

/// Another presentation of every page (other paths, words, cookie, a terms checkbox and a
/// confirm-password field, none of the suite's markup): with its mapping alone, every
/// scenario passes in a real browser and the verdict is the reference pages' — every ID
/// checked but the declared ones and those only the API driver checks.
#[tokio::test(flavor = "multi_thread")]
async fn second_presentation_passes_with_its_mapping_alone() {
    let mut declared = conformance::report::waivers::load(&runner::workspace_dir().join("ci/unchecked.toml"))
        .expect("ci/unchecked.toml");
    // A browser run checks what the project declares only an API run leaves unchecked.
    declared.unchecked.retain(|d| !["AX-1", "AX-2", "AX-3"].contains(&d.id.as_str()));
    let _one = ONE_RUN.lock().await;
    let before = browser_processes();
    let server = InProcess::start_configured(|config| config.fixture = Some(Fixture::SecondPresentation))
        .await
        .expect("server");
    let mut target = server.target(DriverKind::Browser);
    target.browser = mapping("second-presentation");
    // Accounts made through the JSON API: the sign-up pages are walked by their own scenarios,
    // and the arrangement through pages by the test below.
    target.browser.arrange = Arrange::Api;
    let summary = runner::run(RunOptions {
        waivers: declared,
        report_dir: runner::workspace_dir().join("target/conformance-fixture-second-presentation"),
        ..RunOptions::new(target)
    })
    .await
    .expect("the run could not start");
    server.server.stop();
    print!("{}", summary.render());
    assert_none_left(&before);
    assert!(failures(&summary).is_empty(), "{:#?}", failures(&summary));
    // Left unchecked: what only the API driver checks — the properties (the schedule property,
    // IV-1's and IV-2's), answer times (SU-5, SI-2, PR-2) and requests at once — each saying so.
    let mut api_only: Vec<&str> = conformance::properties::SCHEDULE_PROPERTY_IDS.to_vec();
    api_only.extend(["SU-5", "SI-2", "PR-2", "IV-1", "IV-2"]);
    let unchecked: Vec<&str> = summary.unchecked.iter().map(|u| u.id.as_str()).collect();
    for id in &unchecked {
        assert!(api_only.contains(id), "{id} is unchecked, but the API driver is not all that checks it");
    }
    for id in ["SU-5", "SI-2", "PR-2"] {
        assert!(unchecked.contains(&id), "{id}: its answer times are measured only through the API");
    }
    for id in &summary.unchecked {
        assert!(id.why.contains("API") || id.why.contains("--driver api"), "{}: {}", id.id, id.why);
    }
    // The second presentation's pages are accessible too, checked on every page it visits.
    for id in ["AX-1", "AX-2", "AX-3"] {
        assert_eq!(verdict(&summary, id), Verdict::Passed, "{id}: {:#?}", summary.accessibility);
    }
    assert!(summary.stale_declarations.is_empty(), "{:?}", summary.stale_declarations);
}

/// A browser run of a service without the JSON API makes every scenario's account through its
/// pages (`arrange = "pages"`, the default): the second presentation's mapping does so for the
/// two ways a scenario starts (an account; an account signed in). Every such start is the same
/// walk, so the full run above makes its accounts through the API instead.
#[tokio::test(flavor = "multi_thread")]
async fn second_presentation_arranges_accounts_through_its_pages() {
    let mapping = mapping("second-presentation");
    assert_eq!(mapping.arrange, Arrange::Pages, "the mapping leaves arrange at its default");
    let summary = run(Fixture::SecondPresentation, Some(mapping), "@SI-4 or @ST-3").await;
    assert!(failures(&summary).is_empty(), "{:#?}", failures(&summary));
    // SI-4 stays unchecked: one of its scenarios needs requests in parallel (the API driver's).
    let passed = |name: &str| {
        summary
            .scenarios
            .iter()
            .any(|s| s.scenario == name && s.status == conformance::report::Status::Passed)
    };
    assert!(passed("Signing out ends the session"), "the start from an account");
    assert_eq!(verdict(&summary, "ST-3"), Verdict::Passed, "the start from an account signed in");
}

#[tokio::test(flavor = "multi_thread")]
async fn unmarked_pages_pass_with_a_mapping_alone() {
    let summary = run(Fixture::Unmarked, Some(unmarked_mapping()), "@SU-2 or @SU-6").await;
    assert!(failures(&summary).is_empty(), "{:#?}", failures(&summary));
    for id in ["SU-2", "SU-6"] {
        assert_eq!(verdict(&summary, id), Verdict::Passed, "{id}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn unmarked_pages_without_a_mapping_are_never_read_as_accepted() {
    let summary = run(Fixture::Unmarked, None, "@SU-2").await;
    assert_eq!(verdict(&summary, "SU-2"), Verdict::Failed);
    let failures = failures(&summary);
    assert!(!failures.is_empty());
    for failure in &failures {
        assert!(failure.contains("a page no marker recognises"), "{failure}");
        assert!(failure.contains("check_email (an element main[data-page='check_email'])"), "{failure}");
    }
}

/// `id` failed, in exactly one scenario, `scenario`, saying `because`.
fn assert_fails_by(summary: &Summary, id: &str, scenario: &str, because: &str) {
    assert_eq!(verdict(summary, id), Verdict::Failed);
    let failures = failures(summary);
    assert_eq!(failures.len(), 1, "{failures:#?}");
    assert!(failures[0].starts_with(scenario), "{failures:?}");
    assert!(failures[0].contains(because), "{failures:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_error_is_never_a_refusal() {
    let summary = run(Fixture::PasswordStepServerError, None, "@SU-2").await;
    assert_fails_by(&summary, "SU-2", "Nothing goes on before the email address is confirmed", "HTTP 500");
}

#[tokio::test(flavor = "multi_thread")]
async fn one_hour_links_fail_the_24_hour_rule() {
    let summary = run(Fixture::OneHourLinks, None, "@SU-6").await;
    let scenario = "A confirmation link still works just before 24 hours have passed";
    assert_fails_by(&summary, "SU-6", scenario, "link_expired");
    // The report shows the failure whole: the step, what came back, and the page, embedded.
    let failed = summary.scenarios.iter().find(|s| s.scenario == scenario).expect("the scenario");
    let shot = failed.screenshot.as_deref().expect("a screenshot of the failed browser scenario");
    let dir = runner::workspace_dir().join(format!("target/conformance-fixture-{:?}", Fixture::OneHourLinks));
    let png = std::fs::read(dir.join(shot)).expect("the screenshot file");
    assert!(png.starts_with(b"\x89PNG"), "{shot} is no PNG");
    assert!(dir.join(shot).with_extension("html").is_file(), "the page's HTML beside it");
    let report = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    let failures = &report[report.find("id=\"failures\"").expect("a failures section")..];
    let failures = &failures[..failures.find("id=\"policy\"").expect("the policy after it")];
    assert!(failures.contains("<dt>Step</dt>") && failures.contains("link_expired"), "{failures}");
    assert!(failures.contains("src=\"data:image/png;base64,iVBORw0KGgo"), "the screenshot is not embedded");
}

#[tokio::test(flavor = "multi_thread")]
async fn telling_an_existing_address_apart_fails_su_5() {
    let summary = run(Fixture::ExistingAddressTold, None, "@SU-5").await;
    let scenario = "Signing up with an address that has an account looks the same";
    assert_fails_by(&summary, "SU-5", scenario, "different answers");
}

#[tokio::test(flavor = "multi_thread")]
async fn check_target_walks_the_first_pages_and_names_what_is_missing() {
    let _one = ONE_RUN.lock().await;
    let before = browser_processes();
    let server =
        InProcess::start_configured(|config| config.fixture = Some(Fixture::Unmarked)).await.expect("server");
    let mut target = server.target(DriverKind::Browser);
    let unmapped = conformance::check::check_target(&target).await;
    let pages: Vec<_> = unmapped.iter().filter(|f| f.what.starts_with("page ")).collect();
    assert_eq!(pages.len(), 3, "{unmapped:#?}");
    for page in &pages {
        assert!(!page.ok, "{page:?}");
        assert!(
            page.detail.contains("is not recognised as") && page.detail.contains("main[data-page="),
            "{page:?}"
        );
    }
    target.browser = unmarked_mapping();
    let mapped = conformance::check::check_target(&target).await;
    assert!(mapped.iter().all(|f| f.ok), "{mapped:#?}");
    // A word the pages do not use is named, with the words looked for.
    target.browser.labels.insert("Sign in".into(), "Log on".into());
    let wrong_words = conformance::check::check_target(&target).await;
    let sign_in = wrong_words.iter().find(|f| f.what == "page sign_in").expect("the sign-in page");
    assert!(!sign_in.ok && sign_in.detail.contains("no button \"Log on\""), "{sign_in:?}");
    server.server.stop();
    assert_none_left(&before);
}

#[tokio::test(flavor = "multi_thread")]
async fn preflight_stops_a_run_whose_mail_goes_nowhere() {
    let _one = ONE_RUN.lock().await;
    // The service delivers its mail to another mail server than the inbox the target names.
    let elsewhere = fakes::Fakes::start(fakes::FakesConfig::ephemeral()).await.expect("other fakes");
    let smtp_port = elsewhere.settings().smtp_port;
    let server = InProcess::start_configured(|config| config.smtp.port = smtp_port).await.expect("server");
    let mut target = server.target(DriverKind::Api);
    target.inbox.wait_secs = 1;
    let error = runner::run(RunOptions {
        report_dir: runner::workspace_dir().join("target/conformance-preflight"),
        ..RunOptions::new(target)
    })
    .await
    .expect_err("a run whose mail never arrives cannot start");
    server.server.stop();
    assert!(error.downcast_ref::<runner::TargetUnusable>().is_some(), "{error:#}");
    assert!(format!("{error:#}").contains("no email to"), "{error:#}");
}

/// Recording walks the second presentation's sign-up by itself to its personal-key page, and
/// the section it writes is enough to run a sign-up scenario there.
#[tokio::test(flavor = "multi_thread")]
async fn recording_the_second_presentation_gives_a_working_start() {
    let _one = ONE_RUN.lock().await;
    let before = browser_processes();
    let server = InProcess::start_configured(|config| config.fixture = Some(Fixture::SecondPresentation))
        .await
        .expect("server");
    let target = server.target(DriverKind::Browser);
    let recording = conformance::record::record(&target, "/register").await.expect("recording");
    assert!(recording.stopped.is_none(), "{:?}", recording.stopped);
    let names: Vec<&str> = recording.pages.iter().map(|p| p.name).collect();
    assert_eq!(
        names,
        [
            "sign_up",
            "check_email",
            "confirm_email",
            "create_password",
            "add_phone",
            "phone_code",
            "personal_key"
        ]
    );
    let text = recording.to_toml();
    println!("{text}");
    for expected in [
        "session_cookies = [\"SESSION\"]",
        "\"Email address\" = \"Email\"",
        "\"Security code\" = \"One-time code\"",
        "\"/sign-up/phone/code\" = \"/register/phone/code\"",
        "fill = { \"Confirm password\" = \"{Password}\" }",
        "check = [\"I accept the terms of use\"]",
        "[browser.pages.personal_key]",
    ] {
        assert!(text.contains(expected), "{expected} is missing from:\n{text}");
    }
    // The recorded section alone runs a sign-up scenario on this presentation.
    #[derive(serde::Deserialize)]
    struct File {
        browser: BrowserMapping,
    }
    let file: File = toml::from_str(&text).expect("the recording is a valid [browser] section");
    file.browser.validate().expect("a valid mapping");
    let mut target = target;
    target.browser = file.browser;
    let summary = runner::run(RunOptions {
        name: Some(regex::Regex::new("^Entering an email address sends a link that confirms it$").unwrap()),
        property_cases: 0,
        report_dir: runner::workspace_dir().join("target/conformance-recorded"),
        ..RunOptions::new(target)
    })
    .await
    .expect("the run could not start");
    server.server.stop();
    assert!(failures(&summary).is_empty(), "{:#?}", failures(&summary));
    assert_eq!(summary.count(conformance::report::Status::Passed), 1);
    assert_none_left(&before);
}

/// Ctrl-C in the middle of a browser run: the command exits 130 and leaves no ChromeDriver or
/// Chromium behind.
#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_browser_run_leaves_no_browser_behind() {
    let _one = ONE_RUN.lock().await;
    let before = browser_processes();
    let report_dir = runner::workspace_dir().join("target/conformance-interrupted");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_conformance"))
        .args(["--driver", "browser", "--tags", "@SU", "--report-dir"])
        .arg(&report_dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the conformance command starts");
    // Interrupt once the first scenario step has run in a browser (the run prints it); the
    // rest of its output is drained so that the command never writes to a closed pipe.
    let stdout = child.stdout.take().expect("piped stdout");
    let (step_ran, first_step) = std::sync::mpsc::channel();
    let drain = std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)).map_while(Result::ok) {
            if line.contains('✔') {
                step_ran.send(()).ok();
            }
        }
    });
    assert!(first_step.recv().is_ok(), "the run ended before any step ran");
    assert!(
        browser_processes().keys().any(|pid| !before.contains_key(pid)),
        "a step ran, but no browser of this run is alive"
    );
    let pid = rustix::process::Pid::from_raw(child.id() as i32).expect("a pid");
    rustix::process::kill_process(pid, rustix::process::Signal::INT).expect("SIGINT");
    let status = child.wait().expect("the command ends");
    drain.join().expect("the output is drained");
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert_none_left(&before);
}

/// AX-1 and AX-3 have teeth: a sign-up page with an image without a text alternative, a field
/// without a label, faint text, a banner wider than a phone, a notice that breaks at a tablet
/// breakpoint (200 % zoom) and a box that cuts its text off fails exactly those two IDs, each
/// naming the elements at fault, while every scenario still passes.
#[tokio::test(flavor = "multi_thread")]
async fn inaccessible_pages_fail_ax_1_and_ax_3_naming_the_elements() {
    let summary = run(Fixture::InaccessiblePages, None, "@SU-2").await;
    assert!(failures(&summary).is_empty(), "{:#?}", failures(&summary));
    assert_eq!(failed_ids(&summary), ["AX-1", "AX-3"]);
    let audit = summary.accessibility.as_ref().expect("the browser run's accessibility checks");
    let found = |id: &str, rule: &str, element: &str| {
        audit.findings.iter().any(|f| {
            f.id == id
                && f.rule == rule
                && f.page.starts_with("sign_up")
                && f.elements.iter().any(|e| e == element)
        })
    };
    assert!(found("AX-1", "image-alt", "#fixture-logo"), "{:#?}", audit.findings);
    assert!(found("AX-1", "label", "#fixture-unlabelled"), "{:#?}", audit.findings);
    assert!(found("AX-1", "color-contrast", "#fixture-faint"), "{:#?}", audit.findings);
    let reflow = |at: &str, what: &str, element: &str| {
        audit.findings.iter().any(|f| {
            f.id == "AX-3"
                && f.page.starts_with("sign_up")
                && f.help.starts_with(at)
                && f.help.contains(what)
                && f.elements.iter().any(|e| e == element)
        })
    };
    assert!(reflow("at 320 CSS px", "scrolls sideways", "div#fixture-wide"), "{:#?}", audit.findings);
    assert!(reflow("at 320 CSS px", "lost content", "p#fixture-cut"), "{:#?}", audit.findings);
    // The tablet breakpoint breaks only at 200 % zoom: 320 px alone would have passed it.
    assert!(reflow("at 200 % zoom", "scrolls sideways", "div#fixture-tablet"), "{:#?}", audit.findings);
    assert!(reflow("at 200 % zoom", "lost content", "p#fixture-cut"), "{:#?}", audit.findings);
    assert!(
        !audit
            .findings
            .iter()
            .any(|f| f.help.starts_with("at 320") && f.elements.iter().any(|e| e.contains("tablet"))),
        "{:#?}",
        audit.findings
    );
    // Only the broken page: the others of the flow are clean.
    assert!(audit.findings.iter().all(|f| f.page.starts_with("sign_up")), "{:#?}", audit.findings);
    assert!(audit.pages.len() >= 3, "{:?}", audit.pages);
    let shot = audit.findings[0].screenshot.as_deref().expect("a screenshot of the page");
    let dir =
        runner::workspace_dir().join(format!("target/conformance-fixture-{:?}", Fixture::InaccessiblePages));
    assert!(std::fs::read(dir.join(shot)).expect("the screenshot").starts_with(b"\x89PNG"));
    let report = std::fs::read_to_string(dir.join("report.html")).expect("report.html");
    assert!(
        report.contains("id=\"accessibility\"") && report.contains("#fixture-logo"),
        "no accessibility section"
    );
}

/// AX-2 has teeth against a keyboard trap: a script that keeps Tab in the sign-up page's email
/// field fails exactly AX-2, naming the button the keyboard cannot reach.
#[tokio::test(flavor = "multi_thread")]
async fn a_keyboard_trap_fails_ax_2_naming_what_cannot_be_reached() {
    let summary = run(Fixture::KeyboardTrap, None, "@AX-2 and not @agency").await;
    assert_eq!(failed_ids(&summary), ["AX-2"], "{}", summary.render());
    let said = failures(&summary).join("\n");
    assert!(
        said.contains("the button \"Submit\" was not reached"),
        "the button the trap keeps out of reach is named: {said}"
    );
}

/// AX-2 has teeth: a style sheet that hides the focus fails exactly AX-2 in the keyboard-only
/// scenarios, naming the page and the element whose focus cannot be seen.
#[tokio::test(flavor = "multi_thread")]
async fn a_hidden_focus_fails_ax_2() {
    let summary = run(Fixture::FocusHidden, None, "@AX-2 and not @agency").await;
    assert_eq!(failed_ids(&summary), ["AX-2"], "{}", summary.render());
    let said = failures(&summary).join("\n");
    assert!(said.contains("cannot be seen"), "{said}");
}
