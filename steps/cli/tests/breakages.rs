//! The suite's teeth: each deliberately broken reference server (its `fixtures` feature)
//! breaks one rule, and the whole suite, run through the API, fails it by that rule's ID and
//! no other. The table of what each breakage made fail is kept in `features/BREAKAGES.md`;
//! this test checks that the file says what a run shows (`UPDATE_BREAKAGES=1` rewrites it;
//! `BREAKAGE=<name>` runs one row alone).
//!
//! Left out of these runs: the answer-time scenarios (`@timing`, which measure and take long)
//! and the load check (`@load`, run alone for the rows that break what only it sees); the
//! browser-only breakages are in `fixtures.rs`.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use conformance::report::{Status, Summary, Verdict, diff};
use conformance::runner::{self, RunOptions};
use conformance::target::DriverKind;
use conformance_cli::in_process::InProcess;
use reference_server::Config;
use reference_server::fixture::Fixture;

/// A reference server broken in one rule, and the IDs the suite must fail it by.
struct Breakage {
    name: &'static str,
    /// What is broken, for the table.
    what: &'static str,
    /// Breaks it: a test-only variant, or a policy other than the documented one (which the
    /// target still declares).
    configure: fn(&mut Config),
    fails: &'static [&'static str],
}

const BREAKAGES: &[Breakage] = &[
    Breakage {
        name: "one-hour-links",
        what: "confirmation links work 1 hour, not 24",
        configure: |c| c.fixture = Some(Fixture::OneHourLinks),
        fails: &["SU-6"],
    },
    Breakage {
        name: "confirmation-emails-per-session",
        what: "confirmation emails limited per session, not per address",
        configure: |c| c.fixture = Some(Fixture::ConfirmationEmailsPerSession),
        fails: &["SU-4"],
    },
    Breakage {
        name: "misuse-reports-not-kept",
        what: "a report of misuse gets a new reference each time, and is kept nowhere",
        configure: |c| c.fixture = Some(Fixture::MisuseReportsNotKept),
        fails: &["SU-7"],
    },
    Breakage {
        name: "short-authenticator-secrets",
        what: "authenticator secrets of 64 bits, not the 128 or more RFC 4226 asks for",
        configure: |c| c.fixture = Some(Fixture::ShortAuthenticatorSecrets),
        fails: &["ST-6"],
    },
    Breakage {
        name: "one-authenticator-secret",
        what: "every authenticator app is given the same secret",
        configure: |c| c.fixture = Some(Fixture::OneAuthenticatorSecret),
        fails: &["ST-6"],
    },
    Breakage {
        name: "one-reference-for-all-reports",
        what: "every report of misuse is kept, but all are given one reference",
        configure: |c| c.fixture = Some(Fixture::OneReferenceForAllReports),
        fails: &["SU-7"],
    },
    Breakage {
        name: "half-hour-email-window",
        what: "confirmation emails limited per 30 minutes, not 15",
        configure: |c| c.policy.confirmation_email_window_secs = 1800,
        fails: &["SU-3"],
    },
    Breakage {
        name: "nine-character-minimum",
        what: "passwords need 9 characters, not 8",
        // The 8-character password of settings is ST-3's (a new password follows PW-1).
        configure: |c| c.policy.password_min_length = 9,
        fails: &["PW-1", "ST-3"],
    },
    Breakage {
        name: "weak-passwords-refused",
        what: "the strength meter decides: passwords it rates weak are refused",
        // A meter that decides also breaks "length is the only rule" (PW-1).
        configure: |c| c.fixture = Some(Fixture::WeakPasswordsRefused),
        fails: &["PW-1", "PW-2"],
    },
    Breakage {
        name: "password-echoed",
        what: "the answer to the password step repeats the password",
        configure: |c| c.fixture = Some(Fixture::PasswordEchoed),
        fails: &["PW-5"],
    },
    Breakage {
        name: "passwords-cut-at-72-bytes",
        what: "only a password's first 72 bytes are compared",
        configure: |c| c.fixture = Some(Fixture::PasswordsCutAt72Bytes),
        fails: &["PW-3"],
    },
    Breakage {
        name: "common-passwords-allowed",
        what: "commonly used passwords are accepted",
        // Refused common passwords are checked at sign-up, in a reset (PR-1) and in settings (ST-3).
        configure: |c| c.policy.reject_common_passwords = false,
        fails: &["PW-4", "PR-1", "ST-3"],
    },
    Breakage {
        name: "unreachable-numbers-accepted",
        what: "a number that takes neither texts nor calls is taken as if a code went",
        configure: |c| c.fixture = Some(Fixture::UnreachableNumbersAccepted),
        fails: &["PH-1"],
    },
    Breakage {
        name: "six-minute-codes",
        what: "security codes work 6 minutes, not 5",
        configure: |c| c.policy.code_lifetime_secs = 360,
        fails: &["OTP-1"],
    },
    Breakage {
        name: "codes-work-twice",
        what: "a security code is never marked used, and works again until it expires",
        configure: |c| c.fixture = Some(Fixture::CodesWorkTwice),
        fails: &["OTP-2"],
    },
    Breakage {
        name: "older-codes-kept",
        what: "a new sign-in code leaves the older ones working until they expire",
        configure: |c| c.fixture = Some(Fixture::OlderCodesKept),
        fails: &["OTP-3"],
    },
    Breakage {
        name: "counted-codes",
        what: "security codes follow a counter, each one up from the last",
        configure: |c| c.fixture = Some(Fixture::CountedCodes),
        fails: &["OTP-6"],
    },
    Breakage {
        name: "four-code-requests",
        what: "4 code requests per 15 minutes, not 3",
        // The one number limits sign-in codes (OTP-4), all flows together (OTP-8) and the
        // sign-up code asked again (PH-6).
        configure: |c| c.policy.code_request_limit = 4,
        fails: &["OTP-4", "OTP-8", "PH-6"],
    },
    Breakage {
        name: "four-wrong-codes",
        what: "4 wrong entries before the lockout, not 3",
        // Counted in a session (OTP-5), across sessions (OTP-7), with personal keys (PK-5).
        configure: |c| c.policy.code_attempt_limit = 4,
        fails: &["OTP-5", "OTP-7", "PK-5"],
    },
    Breakage {
        name: "six-minute-lockout",
        what: "the lockout lasts 6 minutes, not 5",
        configure: |c| c.policy.lockout_secs = 360,
        fails: &["OTP-5", "OTP-7", "PK-5"],
    },
    Breakage {
        name: "twelve-character-keys",
        what: "personal keys of 12 characters, not 16",
        configure: |c| c.policy.personal_key_length = 12,
        fails: &["PK-1"],
    },
    Breakage {
        name: "personal-key-refused-once-a-code-is-sent",
        what: "the personal key is refused once a security code was sent in the sign-in",
        configure: |c| c.fixture = Some(Fixture::PersonalKeyRefusedOnceACodeIsSent),
        fails: &["PK-2"],
    },
    Breakage {
        name: "personal-key-kept",
        what: "signing in with the personal key shows the same key again, and it keeps working",
        configure: |c| c.fixture = Some(Fixture::PersonalKeyKept),
        fails: &["PK-3"],
    },
    Breakage {
        name: "no-key-after-reset",
        what: "the sign-in after a password reset issues no new personal key",
        configure: |c| c.fixture = Some(Fixture::NoKeyAfterReset),
        fails: &["PK-4"],
    },
    Breakage {
        name: "unknown-sign-in-address-told",
        what: "a sign-in for an address with no account answers 404, a wrong password 401",
        configure: |c| c.fixture = Some(Fixture::UnknownSignInAddressTold),
        fails: &["SI-2"],
    },
    Breakage {
        name: "six-wrong-passwords",
        what: "6 wrong passwords before sign-in is throttled, where 5 are declared",
        configure: |c| c.policy.password_attempt_limit = 6,
        fails: &["SI-3"],
    },
    Breakage {
        name: "session-kept-at-sign-in",
        what: "signing in keeps the session identifier the browser had before",
        configure: |c| c.fixture = Some(Fixture::SessionKeptAtSignIn),
        fails: &["SI-5"],
    },
    Breakage {
        name: "sign-out-only-clears-cookie",
        what: "signing out clears the cookie, and the session lives on",
        configure: |c| c.fixture = Some(Fixture::SignOutOnlyClearsCookie),
        fails: &["SI-4"],
    },
    Breakage {
        name: "sixteen-minute-idle",
        what: "an idle session ends after 16 minutes, not 15",
        configure: |c| c.policy.session_idle_timeout_secs = 960,
        fails: &["SI-4"],
    },
    Breakage {
        name: "fifteen-minute-sessions",
        what: "every session ends 15 minutes after sign-in, however used",
        // A session that cannot outlive 15 minutes cannot last 12 hours of use either (SI-6).
        configure: |c| c.policy.session_lifetime_secs = 900,
        fails: &["SI-4", "SI-6"],
    },
    Breakage {
        name: "unknown-reset-address-told",
        what: "a reset for an address with no account answers 404",
        configure: |c| c.fixture = Some(Fixture::UnknownResetAddressTold),
        fails: &["PR-2"],
    },
    Breakage {
        name: "hour-long-reset-links",
        what: "reset links work 1 hour, not 30 minutes",
        configure: |c| c.policy.reset_link_lifetime_secs = 3600,
        fails: &["PR-3"],
    },
    Breakage {
        name: "email-change-unguarded",
        what: "the email address changes whatever current password is given",
        configure: |c| c.fixture = Some(Fixture::EmailChangeUnguarded),
        fails: &["ST-1"],
    },
    Breakage {
        name: "phone-change-unguarded",
        what: "the phone number changes whatever current password is given",
        configure: |c| c.fixture = Some(Fixture::PhoneChangeUnguarded),
        fails: &["ST-1"],
    },
    Breakage {
        name: "account-usable-without-phone",
        what: "an account whose phone was never confirmed signs in with its password alone",
        configure: |c| c.fixture = Some(Fixture::AccountUsableWithoutPhone),
        fails: &["SU-1"],
    },
    Breakage {
        name: "any-sign-up-code-confirms",
        what: "at sign-up a wrong code confirms the phone",
        configure: |c| c.fixture = Some(Fixture::AnySignUpCodeConfirms),
        fails: &["PH-2"],
    },
    Breakage {
        name: "sign-in-voice-only-for-landlines",
        what: "a voice call asked for at sign-in is sent as a text to any number that takes texts",
        configure: |c| c.fixture = Some(Fixture::SignInVoiceOnlyForLandlines),
        // The newer-code and wrong-count rules are checked across the two channels (a text,
        // then a call), so a call that never comes fails them too.
        fails: &["PH-3", "OTP-3", "OTP-5"],
    },
    Breakage {
        name: "first-sign-up-number-sticks",
        what: "once a number is added at sign-up, another is refused until the first is confirmed",
        configure: |c| c.fixture = Some(Fixture::FirstSignUpNumberSticks),
        fails: &["PH-5"],
    },
    Breakage {
        name: "landlines-refused",
        what: "a number that takes no texts is refused its voice call too",
        configure: |c| c.fixture = Some(Fixture::LandlinesRefused),
        // A landline is a number that takes calls, which PH-1 admits too.
        fails: &["PH-1", "PH-4"],
    },
    Breakage {
        name: "password-alone-opens-account",
        what: "the right password opens the account; the second factor is asked for but not waited for",
        configure: |c| c.fixture = Some(Fixture::PasswordAloneOpensAccount),
        // The sign-in after a reset must still ask for the second factor (PR-1).
        fails: &["SI-1", "PR-1"],
    },
    Breakage {
        name: "new-phone-taken-at-request",
        what: "a new phone number becomes the account's number before its code is entered",
        configure: |c| c.fixture = Some(Fixture::NewPhoneTakenAtRequest),
        fails: &["ST-5"],
    },
    Breakage {
        name: "authenticator-codes-reusable",
        what: "an authenticator code works again within its time step",
        configure: |c| c.fixture = Some(Fixture::AuthenticatorCodesReusable),
        fails: &["ST-6"],
    },
    Breakage {
        name: "personal-key-use-untold",
        what: "signing in with the personal key sends no notice",
        configure: |c| c.fixture = Some(Fixture::PersonalKeyUseUntold),
        fails: &["PV-1"],
    },
    Breakage {
        name: "retry-at-from-latest-request",
        what: "a refused code request is told to come back 15 minutes after the latest request, not the first",
        configure: |c| c.fixture = Some(Fixture::RetryAtFromLatestRequest),
        fails: &["OTP-4"],
    },
    Breakage {
        name: "pkce-verifier-not-compared",
        what: "the token endpoint wants a PKCE verifier but does not compare it with the challenge",
        configure: |c| c.fixture = Some(Fixture::PkceVerifierNotCompared),
        fails: &["AG-1"],
    },
    Breakage {
        name: "pkce-demanded-of-every-agency",
        what: "the token endpoint wants PKCE also from an agency that signs its client assertion",
        configure: |c| c.fixture = Some(Fixture::PkceDemandedOfEveryAgency),
        fails: &["AG-1"],
    },
    Breakage {
        name: "new-email-taken-at-request",
        what: "a new email address becomes the sign-in address before its link is followed",
        configure: |c| c.fixture = Some(Fixture::NewEmailTakenAtRequest),
        fails: &["ST-4"],
    },
    Breakage {
        name: "four-wrong-current-passwords",
        what: "4 wrong current passwords before sign-out, not 3",
        configure: |c| c.policy.reauthentication_attempt_limit = 4,
        fails: &["ST-2"],
    },
    Breakage {
        name: "decline-taken-as-consent",
        what: "declining to share with an agency is taken as agreeing",
        // Sharing what was declined is also sharing without permission (PV-3).
        configure: |c| c.fixture = Some(Fixture::DeclineTakenAsConsent),
        fails: &["AG-2", "PV-3"],
    },
    Breakage {
        name: "one-subject-for-all-agencies",
        what: "every agency gets the same subject identifier for a person",
        configure: |c| c.fixture = Some(Fixture::OneSubjectForAllAgencies),
        fails: &["AG-3"],
    },
    Breakage {
        name: "documents-not-checked",
        what: "an ID the document-verification service refused is answered as accepted",
        configure: |c| c.fixture = Some(Fixture::DocumentsNotChecked),
        fails: &["IV-1"],
    },
    Breakage {
        name: "six-verification-attempts",
        what: "6 identity-verification attempts per 6 hours, where 5 are declared",
        configure: |c| c.policy.verification_attempt_limit = 6,
        fails: &["IV-1"],
    },
    Breakage {
        name: "vendor-results-shown",
        what: "the answer to an upload carries the vendor's verdicts",
        configure: |c| c.fixture = Some(Fixture::VendorResultsShown),
        fails: &["IV-3"],
    },
    Breakage {
        name: "reset-keeps-identity",
        what: "a password reset leaves the verified identity unlocked",
        configure: |c| c.fixture = Some(Fixture::ResetKeepsIdentity),
        fails: &["PR-4", "PV-2"],
    },
    Breakage {
        name: "one-account-per-identity",
        what: "an identity verified in one account is not found for another, so a new account can never verify again",
        configure: |c| c.fixture = Some(Fixture::OneAccountPerIdentity),
        fails: &["PR-5"],
    },
    Breakage {
        name: "password-change-loses-identity",
        what: "a password change leaves the verified identity locked under the old password",
        configure: |c| c.fixture = Some(Fixture::PasswordChangeLosesIdentity),
        fails: &["PV-2"],
    },
    Breakage {
        name: "newsletter-after-a-week",
        what: "signing in a week after sign-up emails tips for the account",
        configure: |c| c.fixture = Some(Fixture::NewsletterAfterAWeek),
        fails: &["PV-4"],
    },
    Breakage {
        name: "in-person-deadline-29-days",
        what: "an enrollment at a Post Office ends after 29 days, where 30 are declared",
        configure: |c| c.policy.in_person_deadline_secs = 29 * 24 * 3600,
        fails: &["IV-2"],
    },
    Breakage {
        name: "in-person-never-expires",
        what: "an enrollment at a Post Office waits for a visit for ever",
        configure: |c| c.fixture = Some(Fixture::InPersonNeverExpires),
        fails: &["IV-2"],
    },
];

/// Breakages only several instances of one service show (state kept in an instance's memory):
/// each runs against two instances on one store, where it must fail its IDs, and against one,
/// where it must fail none.
const ACROSS_INSTANCES: &[Breakage] = &[Breakage {
    name: "code-requests-counted-per-instance",
    what: "code requests counted in each instance's memory: two instances allow 3 per 15 minutes each \
           (the one budget of OTP-4, shared by every purpose, OTP-8, and the sign-up code's re-requests, PH-6)",
    configure: |c| c.fixture = Some(Fixture::CodeRequestsCountedPerInstance),
    fails: &["OTP-4", "OTP-8", "PH-6"],
}];

/// Breakages only the load check sees (`--tags @load`, which the other rows leave out): it
/// alone runs against them.
const UNDER_LOAD: &[Breakage] = &[Breakage {
    name: "slow-clients-waited-for",
    what: "a connection may take an hour to send its request headers",
    configure: |c| c.limits.header_read_timeout_secs = 3600,
    fails: &["AV-1"],
}];

/// How a row is run: the tags it runs, and against how many instances on one store.
#[derive(Clone, Copy)]
struct Run {
    tags: &'static str,
    instances: usize,
}

/// The whole suite but the answer-time and load checks, against one instance.
const ALONE: Run = Run { tags: "not @timing and not @load", instances: 1 };

/// The whole suite (but `@timing` and `@load`) through the API against `breakage`.
async fn run(breakage: &Breakage) -> Summary {
    run_on(breakage, ALONE).await
}

/// What `how` says, through the API against the broken server.
async fn run_on(breakage: &Breakage, how: Run) -> Summary {
    let instances = how.instances;
    let server = InProcess::start_instances(instances, breakage.configure).await.expect("server");
    let summary = runner::run(RunOptions {
        tags: Some(how.tags.into()),
        property_cases: 0,
        bail: false,
        report_dir: runner::workspace_dir().join(match instances {
            1 => format!("target/conformance-breakage-{}", breakage.name),
            n => format!("target/conformance-breakage-{}-{n}-instances", breakage.name),
        }),
        ..RunOptions::new(server.target(DriverKind::Api))
    })
    .await
    .expect("the run could not start");
    server.stop();
    summary
}

fn failed_ids(summary: &Summary) -> Vec<String> {
    summary
        .requirements
        .iter()
        .filter(|r| r.verdict == Verdict::Failed)
        .map(|r| r.requirement.id.clone())
        .collect()
}

/// Every failed scenario by name (what they said is in the run's report).
fn failed_scenarios(summary: &Summary) -> Vec<String> {
    let mut names: Vec<String> = summary
        .scenarios
        .iter()
        .filter(|s| s.status == Status::Failed)
        .map(|s| s.scenario.replace('|', "/"))
        .collect();
    names.sort();
    names
}

/// Each failed scenario with the step that failed and why, so that a row's surprise can be read
/// from the test's own output (CI keeps little else).
fn failure_details(summary: &Summary) -> String {
    summary
        .scenarios
        .iter()
        .filter(|s| s.status == Status::Failed)
        .map(|s| {
            format!("failed: {} ({}): {}", s.scenario, s.location, s.detail.as_deref().unwrap_or("no detail"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What one row's runs showed: the IDs and scenarios that failed, and what was wrong.
#[derive(serde::Serialize, serde::Deserialize)]
struct RowResult {
    failed: Vec<String>,
    scenarios: Vec<String>,
    wrong: Vec<String>,
}

/// Runs one row in this process: against two instances (and one alone, which must pass) for
/// the rows that only several instances show.
fn run_row(breakage: &Breakage, how: Run) -> RowResult {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut wrong = Vec::new();
    if how.instances > 1 {
        let alone = runtime.block_on(run_on(breakage, Run { instances: 1, ..how }));
        if !failed_ids(&alone).is_empty() {
            wrong.push(format!(
                "{}: one instance alone must fail nothing (only several show it), but {:?} failed\n{}\n{}",
                breakage.name,
                failed_ids(&alone),
                failure_details(&alone),
                alone.render()
            ));
        }
    }
    let summary = runtime.block_on(run_on(breakage, how));
    let failed = failed_ids(&summary);
    let expected: BTreeSet<String> = breakage.fails.iter().map(|s| (*s).to_owned()).collect();
    let got: BTreeSet<String> = failed.iter().cloned().collect();
    if got != expected {
        let name = breakage.name;
        wrong.push(format!(
            "{name}: expected {expected:?} to fail, {got:?} failed\n{}\n{}",
            failure_details(&summary),
            summary.render()
        ));
    }
    RowResult { failed, scenarios: failed_scenarios(&summary), wrong }
}

/// Every row, as many at once as there are cores: each row is a child process of this test
/// binary running that row alone (`BREAKAGE=<name>`, its result written to
/// `BREAKAGE_RESULT`), so rows share nothing but the machine. A load row runs beside them
/// without taking a core's turn: it spends its 90 s waiting on slow clients, not computing.
fn run_rows(rows: &[(&Breakage, Run)]) -> Vec<RowResult> {
    let at_once = std::thread::available_parallelism().map_or(2, usize::from);
    let results_dir = tempfile::tempdir().expect("a folder for the rows' results");
    let exe = std::env::current_exe().expect("this test binary");
    let mut results: Vec<Option<RowResult>> = rows.iter().map(|_| None).collect();
    // The load rows first: each takes as long as a dozen others, and started last it would
    // run alone on a machine with cores to spare.
    let computes = |i: usize| rows[i].1.tags != "@load";
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| computes(i));
    let mut order = order.into_iter();
    // Each row's process is waited for on a thread of its own, which says when it ended, so
    // the next row starts as soon as any one ends.
    let (ended, ends) = std::sync::mpsc::channel();
    let start = |next: usize| {
        let path = results_dir.path().join(format!("{next}.json"));
        let log =
            runner::workspace_dir().join(format!("target/conformance-breakage-{}.log", rows[next].0.name));
        let log = std::fs::File::create(&log).expect("the row's log");
        let mut child = std::process::Command::new(&exe)
            .args(["--exact", "each_breakage_fails_exactly_its_ids", "--nocapture", "--test-threads", "1"])
            .env("BREAKAGE", rows[next].0.name)
            .env("BREAKAGE_RESULT", &path)
            .stdout(log.try_clone().expect("the row's log"))
            .stderr(log)
            .spawn()
            .expect("a row's process");
        let ended = ended.clone();
        std::thread::spawn(move || {
            let status = child.wait().expect("the row's process");
            ended.send((next, status, path)).expect("the table is waiting");
        });
    };
    // Rows running, and those of them that take a core's turn.
    let (mut running, mut computing) = (0, 0);
    loop {
        while computing < at_once
            && let Some(next) = order.next()
        {
            start(next);
            running += 1;
            computing += usize::from(computes(next));
        }
        if running == 0 {
            break;
        }
        let (i, status, path) = ends.recv().expect("a row's end");
        running -= 1;
        computing -= usize::from(computes(i));
        let name = rows[i].0.name;
        results[i] = Some(match std::fs::read(&path).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
            Some(result) => result,
            None => RowResult {
                failed: Vec::new(),
                scenarios: Vec::new(),
                wrong: vec![format!(
                    "{name}: the row's process ended ({status}) without a result; see target/conformance-breakage-{name}.log"
                )],
            },
        });
    }
    results.into_iter().map(|r| r.expect("every row ran")).collect()
}

#[test]
fn each_breakage_fails_exactly_its_ids() {
    let rows: Vec<(&Breakage, Run)> = BREAKAGES
        .iter()
        .map(|b| (b, ALONE))
        .chain(ACROSS_INSTANCES.iter().map(|b| (b, Run { instances: 2, ..ALONE })))
        .chain(UNDER_LOAD.iter().map(|b| (b, Run { tags: "@load", ..ALONE })))
        .collect();
    // `BREAKAGE=<name>` runs that row alone (the file is then left unchecked); a parent run of
    // the whole table asks for each row so, and reads its result from `BREAKAGE_RESULT`.
    if let Ok(only) = std::env::var("BREAKAGE") {
        let (breakage, how) = *rows.iter().find(|(b, _)| b.name == only).expect("no breakage of that name");
        let result = run_row(breakage, how);
        if let Some(path) = std::env::var_os("BREAKAGE_RESULT") {
            std::fs::write(path, serde_json::to_vec(&result).expect("the row's result")).expect("written");
            return;
        }
        println!(
            "| `{}` | {} | {} |",
            breakage.name,
            result.failed.join(", "),
            result.scenarios.join("<br>")
        );
        assert!(result.wrong.is_empty(), "{}", result.wrong.join("\n\n"));
        return;
    }
    let mut table = String::from(
        "# Breakages and what they fail\n\n\
         Generated by `cargo test -p conformance-cli --test breakages` (`UPDATE_BREAKAGES=1` \
         rewrites it). Each row is a reference server broken in one rule (a test-only \
         variant of its `fixtures` feature chosen at start, or a policy value other than the \
         documented one the target declares or a limit of its configuration), the IDs the whole suite \
         failed through the API, and the scenarios that failed (each run's report, under \
         `target/conformance-breakage-*`, says why). Not run for these: `@timing`, and `@load` but \
         for the row that breaks what only the load check sees.\n\n\
         | breakage | what is broken | failed IDs | failed scenarios |\n|---|---|---|---|\n",
    );
    let mut wrong = Vec::new();
    for ((breakage, how), result) in rows.iter().zip(run_rows(&rows)) {
        wrong.extend(result.wrong);
        let across = match how.instances {
            1 if how.tags == "@load" => " (the load check alone, `--tags @load`)".to_owned(),
            1 => String::new(),
            n => format!(" (against {n} instances on one store; one alone passes)"),
        };
        let _ = writeln!(
            table,
            "| `{}` | {}{across} | {} | {} |",
            breakage.name,
            breakage.what,
            result.failed.join(", "),
            result.scenarios.join("<br>")
        );
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    let path = runner::workspace_dir().join("features/BREAKAGES.md");
    if std::env::var_os("UPDATE_BREAKAGES").is_some() {
        std::fs::write(&path, &table).expect("features/BREAKAGES.md is written");
    }
    let kept = std::fs::read_to_string(&path).unwrap_or_default();
    assert_eq!(
        kept, table,
        "features/BREAKAGES.md does not say what the run showed; rerun with UPDATE_BREAKAGES=1"
    );
}

/// On PostgreSQL the store's locks are what hold a limit against decisions at once: without
/// them (`Store::without_locks`, test builds only), many requests counting under one key each see
/// the same earlier events and more are admitted than the limit allows, where with them every
/// round admits exactly the limit. Needs a PostgreSQL server (`TEST_POSTGRES_URL`, as
/// `ci/postgres.sh` sets it, and runs this with `--ignored`); SQLite's single writer has no
/// such gap to show.
#[test]
#[ignore = "needs PostgreSQL: TEST_POSTGRES_URL (ci/postgres.sh runs it)"]
fn unlocked_decisions_on_postgres_let_a_limit_through() {
    use reference_server::store::{Backend, Contacts, Store};
    use secrecy::ExposeSecret as _;
    let config = Config::for_tests();
    let url = config
        .database_url
        .as_ref()
        .expect("TEST_POSTGRES_URL names no PostgreSQL server: this check cannot run");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let store =
            Store::connect(url.expose_secret(), Contacts::new([7; 32], [8; 32])).await.expect("the store");
        assert_eq!(store.backend(), Backend::Postgres);
        let now = time::OffsetDateTime::from_unix_timestamp(1_800_000_000).expect("a time");
        let admitted = async |store: &Store, key: String| {
            let decide = |earlier: &[time::OffsetDateTime]| if earlier.len() < 3 { Ok(()) } else { Err(()) };
            let all = (0..64).map(|_| store.admit_event(&key, now, time::Duration::minutes(15), 3, decide));
            futures::future::join_all(all).await.into_iter().filter(|a| matches!(a, Ok(Ok(())))).count()
        };
        for round in 0..20 {
            assert_eq!(admitted(&store, format!("locked-{round}")).await, 3, "with its locks, round {round}");
        }
        let unlocked = store.without_locks();
        let mut rounds = Vec::new();
        for round in 0..20 {
            rounds.push(admitted(&unlocked, format!("unlocked-{round}")).await);
        }
        assert!(
            rounds.iter().any(|&n| n > 3),
            "without its locks every round still admitted 3 of 64 ({rounds:?}): this check shows nothing"
        );
        println!("without the locks, 64 decisions at once under a limit of 3 admitted {rounds:?}");
    });
}

/// `conformance report diff` between a run against the unbroken server and one against a
/// breakage names exactly the breakage's IDs as having become failing.
#[test]
fn a_report_diff_names_what_a_breakage_broke() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let unbroken = Breakage { name: "diff-unbroken", what: "nothing", configure: |_| {}, fails: &[] };
    let row = BREAKAGES.iter().find(|b| b.name == "six-minute-codes").expect("the row");
    // Its own report folder: the table's run of the same row may be writing the other.
    let broken = &Breakage { name: "diff-six-minute-codes", ..*row };
    let dir = |b: &Breakage| runner::workspace_dir().join(format!("target/conformance-breakage-{}", b.name));
    runtime.block_on(run(&unbroken));
    runtime.block_on(run(broken));
    let (old, new) = (diff::Run::load(&dir(&unbroken)).unwrap(), diff::Run::load(&dir(broken)).unwrap());
    let found = diff::diff(&old, &new, "report.html");
    println!("{}", found.markdown);
    assert_eq!(found.became_failing, broken.fails, "{}", found.markdown);
    assert!(found.regressions >= 1);
}
