//! Property tests: random schedules of code requests, entries, waits, new sessions and
//! personal-key use, against the in-process reference server, compared with the model after
//! every action. Cases per property: `PROPTEST_CASES` (default 32).

use std::sync::Arc;

use conformance::driver::{Delivery, Outcome};
use conformance::model::Attempt;
use conformance::model::InPersonStep;
use conformance::model::{Action, ModelPolicy};
use conformance::properties::{
    blamed_id, in_person_schedules, play, play_in_person, play_verification, schedules,
    verification_schedules,
};
use conformance::target::DriverKind;
use conformance::world::Context;
use conformance_cli::in_process::InProcess;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use reference_server::Policy;

/// The server configured with `policy`'s values.
fn server_policy(policy: ModelPolicy) -> Policy {
    Policy {
        code_lifetime_secs: policy.code_lifetime_secs as u64,
        code_request_limit: policy.code_request_limit as u32,
        code_request_window_secs: policy.code_request_window_secs as u64,
        code_attempt_limit: policy.code_attempt_limit,
        lockout_secs: policy.lockout_secs as u64,
        session_idle_timeout_secs: policy.session_idle_timeout_secs as u64,
        session_lifetime_secs: policy.session_lifetime_secs as u64,
        password_attempt_limit: policy.password_attempt_limit as u32,
        password_attempt_window_secs: policy.password_attempt_window_secs as u64,
        confirmation_email_limit: policy.confirmation_email_limit as u32,
        confirmation_email_window_secs: policy.confirmation_email_window_secs as u64,
        reauthentication_attempt_limit: policy.reauthentication_attempt_limit,
        verification_attempt_limit: policy.verification_attempt_limit as u32,
        verification_attempt_window_secs: policy.verification_attempt_window_secs as u64,
        in_person_deadline_secs: policy.in_person_deadline_secs as u64,
        in_person_result_check_secs: policy.in_person_result_check_secs as u64,
        ..Policy::default()
    }
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(32)
}

/// Runs the schedule property with `model` against a server configured with `server`.
fn check(model: ModelPolicy, server: Policy, runner: &mut TestRunner) -> Result<(), TestError<Vec<Action>>> {
    let runtime = Arc::new(tokio::runtime::Runtime::new().unwrap());
    let in_process = runtime.block_on(InProcess::start(server)).unwrap();
    let ctx = Context::new(in_process.target(DriverKind::Api));
    let result =
        runner.run(&schedules(model, 16), |actions| match runtime.block_on(play(&ctx, model, &actions)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(report)) => Err(TestCaseError::fail(report)),
            Err(error) => Err(TestCaseError::fail(format!("the schedule could not be played: {error:#}"))),
        });
    in_process.server.stop();
    result
}

fn runner(cases: u32) -> TestRunner {
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

fn assert_holds(model: ModelPolicy) {
    if let Err(error) = check(model, server_policy(model), &mut runner(cases())) {
        panic!("{error}");
    }
}

/// OTP-1 … OTP-5, PK-2, PK-5, SI-4 under the documented policy.
#[test]
fn documented_policy_holds_over_random_schedules() {
    assert_holds(ModelPolicy::default());
}

/// The same rules under a deliberately different policy, on both sides: nothing is hard-coded.
#[test]
fn a_different_declared_policy_holds_too() {
    assert_holds(ModelPolicy {
        code_lifetime_secs: 90,
        code_request_limit: 4,
        code_request_window_secs: 600,
        code_attempt_limit: 2,
        lockout_secs: 180,
        session_idle_timeout_secs: 900,
        session_lifetime_secs: 2 * 3600,
        reauthentication_attempt_limit: 2,
        password_attempt_limit: 3,
        password_attempt_window_secs: 600,
        ..ModelPolicy::default()
    });
}

/// The failing schedule's report and its shrunk actions, for a server running `server`
/// against the documented model; a pass is a defect of the property.
fn caught(server: impl FnOnce(&mut Policy), what: &str) -> (String, Vec<Action>) {
    let model = ModelPolicy::default();
    let mut policy = server_policy(model);
    server(&mut policy);
    match check(model, policy, &mut runner(64)) {
        Err(TestError::Fail(reason, minimal)) => (reason.to_string(), minimal),
        other => panic!("{what} passed the documented model: {other:?}"),
    }
}

/// Teeth: a server whose codes live 6 minutes where the model says 5 is caught, and the
/// shrunk schedule points at the boundary.
#[test]
fn a_one_notch_disagreement_is_found_and_shrunk_to_the_boundary() {
    let (reason, minimal) = caught(|p| p.code_lifetime_secs = 360, "a server with 6-minute codes");
    assert!(reason.contains("code_expired"), "the failure names the expiry: {reason}");
    assert_eq!(blamed_id(&reason), Some("OTP-1"), "blamed on the expiry rule: {reason}");
    assert!(
        minimal.iter().any(|a| matches!(a, Action::Advance(300..=359))),
        "shrunk to a wait at the boundary: {minimal:?}"
    );
    println!("shrunk schedule: {reason}");
}

/// Teeth, with blame: a server that sends a fourth code in the window is caught, and the
/// failure is laid at the request limit's door (OTP-4, or OTP-8 while the sign-up's code still
/// counts), never at an unrelated rule.
#[test]
fn a_looser_request_limit_is_blamed_on_the_request_limit() {
    let (reason, _) = caught(|p| p.code_request_limit = 4, "a server with a limit of 4 code requests");
    assert!(matches!(blamed_id(&reason), Some("OTP-4" | "OTP-8")), "{reason}");
}

/// An account signed in with its password, second factor expected, one code already sent.
async fn authenticating(in_process: &InProcess) -> (Context, Box<dyn conformance::driver::Driver>, String) {
    let ctx = Context::new(in_process.target(DriverKind::Api));
    let person = ctx.new_person();
    let mut driver = ctx.new_driver().unwrap();
    driver.start_sign_up(&person.email).await.unwrap();
    let mail = ctx.inbox.next_mail(&person.email, 0).await.unwrap().unwrap();
    driver.confirm_email(&mail.links[0]).await.unwrap();
    driver.choose_password(&person.password).await.unwrap();
    driver.add_phone(&person.phone, Delivery::Sms).await.unwrap();
    let code = ctx.inbox.next_phone_message(&person.phone, 0).await.unwrap().unwrap().code.unwrap();
    assert!(matches!(driver.confirm_phone(&code).await.unwrap(), Outcome::Accepted { .. }));
    driver.new_session().await.unwrap();
    assert!(matches!(
        driver.sign_in(&person.email, &person.password).await.unwrap(),
        Outcome::Accepted { .. }
    ));
    (ctx, driver, person.phone)
}

/// OTP-5 under concurrency: 20 wrong codes at once never count past the limit before the
/// lockout — exactly limit − 1 refusals, one sign-out with the lock, the rest locked.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_wrong_codes_never_count_past_the_limit() {
    let in_process = InProcess::start(Policy::default()).await.unwrap();
    let (_ctx, mut driver, _) = authenticating(&in_process).await;
    assert!(matches!(driver.send_sign_in_code(Delivery::Sms).await.unwrap(), Outcome::Accepted { .. }));
    let base = in_process.server.base_url.clone();
    let cookie = driver.session_marker().await.unwrap();
    let attempts = (0..20).map(|i| {
        let (base, cookie) = (base.clone(), cookie.clone());
        tokio::spawn(async move {
            let response = reqwest::Client::new()
                .post(format!("{base}/api/v1/sign-in/code"))
                .header("cookie", cookie)
                .json(&serde_json::json!({ "code": format!("{:06}", 900_000 + i) }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            conformance::driver::api::outcome(status, &response.text().await.unwrap())
        })
    });
    let outcomes: Vec<Outcome> =
        futures::future::join_all(attempts).await.into_iter().map(Result::unwrap).collect();
    let wrong = outcomes
        .iter()
        .filter(|o| matches!(o, Outcome::Rejected { reason, .. } if reason == "code_wrong"))
        .count();
    let locked_now =
        outcomes.iter().filter(|o| matches!(o, Outcome::SignedOut { locked_until: Some(_) })).count();
    let other = outcomes.len() - wrong - locked_now;
    assert_eq!((wrong, locked_now), (2, 1), "{outcomes:#?}");
    assert!(
        outcomes.iter().all(|o| matches!(
            o,
            Outcome::Rejected { .. } | Outcome::SignedOut { .. } | Outcome::Locked { .. }
        )),
        "{other} other answers: {outcomes:#?}"
    );
}

/// OTP-4 under concurrency: 20 code requests at once deliver at most the limit (the sign-up
/// code already used one), counted at the fake SMS provider.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_code_requests_never_deliver_past_the_limit() {
    let in_process = InProcess::start(Policy::default()).await.unwrap();
    let (_ctx, mut driver, phone) = authenticating(&in_process).await;
    let base = in_process.server.base_url.clone();
    let cookie = driver.session_marker().await.unwrap();
    let before = in_process.fakes.sms.messages(&phone).len();
    let requests = (0..20).map(|_| {
        let (base, cookie) = (base.clone(), cookie.clone());
        tokio::spawn(async move {
            reqwest::Client::new()
                .post(format!("{base}/api/v1/sign-in/code/send"))
                .header("cookie", cookie)
                .json(&serde_json::json!({ "delivery": "sms" }))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    });
    let statuses: Vec<u16> =
        futures::future::join_all(requests).await.into_iter().map(Result::unwrap).collect();
    let delivered = in_process.fakes.sms.messages(&phone).len() - before;
    assert_eq!(delivered, 2, "3 per 15 minutes, one used at sign-up; statuses {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 2, "{statuses:?}");
    assert!(statuses.iter().all(|s| *s == 200 || *s == 429), "{statuses:?}");
}

/// The generator's power: schedules must often send a code, wait to the lifetime boundary and
/// enter it, or the expiry rule would go untested in a default run.
#[test]
fn schedules_often_cross_the_code_lifetime() {
    use proptest::strategy::{Strategy, ValueTree};
    let mut runner = runner(64);
    let strategy = schedules(ModelPolicy::default(), 16);
    let crossing = (0..64)
        .filter(|_| {
            let schedule = strategy.new_tree(&mut runner).unwrap().current();
            schedule.windows(3).any(|w| {
                matches!(
                    w,
                    [
                        Action::Send { .. },
                        Action::Advance(299..=301),
                        Action::SubmitLatest | Action::AppCode { .. }
                    ]
                )
            })
        })
        .count();
    assert!(crossing >= 8, "only {crossing} of 64 schedules cross the code lifetime");
}

/// A property over random schedules from `strategy`, played by `play` against a server
/// configured by `adjust` (through the API), shrinking a failure.
fn check_against<S, F, Fut>(
    adjust: impl FnOnce(&mut reference_server::config::Config),
    runner: &mut TestRunner,
    strategy: S,
    play: F,
) -> Result<(), TestError<S::Value>>
where
    S: proptest::strategy::Strategy,
    F: Fn(Arc<Context>, S::Value) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Result<(), String>>>,
{
    let runtime = Arc::new(tokio::runtime::Runtime::new().unwrap());
    let in_process = runtime.block_on(InProcess::start_configured(adjust)).unwrap();
    let ctx = Arc::new(Context::new(in_process.target(DriverKind::Api)));
    let result = runner.run(&strategy, |value| match runtime.block_on(play(ctx.clone(), value)) {
        Ok(Ok(())) => Ok(()),
        Ok(Err(report)) => Err(TestCaseError::fail(report)),
        Err(error) => Err(TestCaseError::fail(format!("the schedule could not be played: {error:#}"))),
    });
    in_process.server.stop();
    result
}

/// IV-1's attempt limit over random schedules of uploads and waits, against a server running
/// `server`, with `model` predicting.
fn check_verification(
    model: ModelPolicy,
    server: Policy,
    runner: &mut TestRunner,
) -> Result<(), TestError<Vec<Attempt>>> {
    check_against(
        |c| c.policy = server,
        runner,
        verification_schedules(model, 12),
        move |ctx, attempts| async move { play_verification(&ctx, model, &attempts).await },
    )
}

/// IV-1: at most the declared number of document checks in any window, over random
/// schedules, under the documented policy and a different one.
#[test]
fn verification_attempts_hold_over_random_schedules() {
    for model in [
        ModelPolicy::default(),
        ModelPolicy {
            verification_attempt_limit: 2,
            verification_attempt_window_secs: 1800,
            ..ModelPolicy::default()
        },
    ] {
        if let Err(error) = check_verification(model, server_policy(model), &mut runner(cases().min(16))) {
            panic!("{error}");
        }
    }
}

/// Teeth: a server that allows one more check than declared is caught, blamed on IV-1.
#[test]
fn a_looser_verification_limit_is_caught() {
    let model = ModelPolicy::default();
    let mut server = server_policy(model);
    server.verification_attempt_limit += 1;
    match check_verification(model, server, &mut runner(64)) {
        Err(TestError::Fail(reason, minimal)) => {
            let reason = reason.to_string();
            assert_eq!(blamed_id(&reason), Some("IV-1"), "{reason}");
            let uploads = minimal.iter().filter(|a| matches!(a, Attempt::Upload { .. })).count();
            assert_eq!(
                uploads,
                model.verification_attempt_limit + 1,
                "shrunk to one upload past the limit: {minimal:?}"
            );
        }
        other => panic!("a server allowing 6 checks passed the documented model: {other:?}"),
    }
}

/// IV-2's enrollment over random schedules of Post Office reports and clock moves, against a
/// server configured by `adjust`, with `model` predicting.
fn check_in_person(
    model: ModelPolicy,
    adjust: impl FnOnce(&mut reference_server::config::Config),
    runner: &mut TestRunner,
) -> Result<(), TestError<Vec<InPersonStep>>> {
    check_against(adjust, runner, in_person_schedules(model, 6), move |ctx, steps| async move {
        play_in_person(&ctx, model, &steps).await
    })
}

/// IV-2: an enrollment waits for the Post Office until its deadline, a result counts when it
/// comes before, and no result comes after: under the documented policy and a shorter one.
#[test]
fn in_person_enrollments_hold_over_random_schedules() {
    for model in [
        ModelPolicy::default(),
        ModelPolicy {
            in_person_deadline_secs: 2 * 3600,
            in_person_result_check_secs: 600,
            ..ModelPolicy::default()
        },
    ] {
        let server = server_policy(model);
        if let Err(error) = check_in_person(model, |c| c.policy = server, &mut runner(cases().min(12))) {
            panic!("{error}");
        }
    }
}

/// Teeth: a server whose enrollments end an hour before the declared deadline is caught,
/// blamed on IV-2.
#[test]
fn an_early_in_person_deadline_is_caught() {
    let model = ModelPolicy::default();
    let mut server = server_policy(model);
    server.in_person_deadline_secs -= 3600;
    match check_in_person(model, |c| c.policy = server, &mut runner(32)) {
        Err(TestError::Fail(reason, minimal)) => {
            let reason = reason.to_string();
            assert_eq!(blamed_id(&reason), Some("IV-2"), "{reason}");
            assert!(!minimal.is_empty(), "{minimal:?}");
        }
        other => panic!("an early deadline was not caught: {other:?}"),
    }
}
