//! Plays schedules of actions against a target through the API driver and compares every
//! answer with the model's prediction. Used by `tests/properties.rs` and usable against any
//! target that has a clock hook.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use proptest::prelude::*;
use time::OffsetDateTime;

use crate::driver::{Delivery, Driver, Outcome};
use crate::model::{
    Action, Answer, Attempt, Expected, InPersonModel, InPersonStep, Model, ModelPolicy, VerificationModel,
};
use crate::world::Context;

/// Schedules of about `max_len` actions: single random actions mixed with episodes that send
/// a code, wait to one of the policy's boundaries and enter the newest code — the shape every
/// time rule lives in. Waits land on a boundary five times in six.
pub fn schedules(policy: ModelPolicy, max_len: usize) -> impl Strategy<Value = Vec<Action>> {
    let boundaries = policy.boundaries();
    let boundary = proptest::sample::select(boundaries).prop_map(Action::Advance);
    let wait = prop_oneof![5 => boundary.clone(), 1 => (1u64..=1200).prop_map(Action::Advance)];
    let single = prop_oneof![
        4 => any::<bool>().prop_map(|voice| Action::Send { voice }),
        4 => Just(Action::SubmitLatest),
        1 => (1usize..3).prop_map(Action::SubmitOlder),
        1 => Just(Action::SubmitUsed),
        2 => Just(Action::SubmitWrong),
        4 => wait,
        2 => Just(Action::NewSession),
        1 => any::<bool>().prop_map(|right| Action::PersonalKey { right }),
        1 => Just(Action::PreviousPersonalKey),
        2 => (-2i8..=2).prop_map(|offset| Action::AppCode { offset }),
        1 => any::<bool>().prop_map(|right| Action::ChangePassword { right }),
    ];
    let enter = prop_oneof![3 => Just(Action::SubmitLatest), 1 => (-1i8..=1).prop_map(|offset| Action::AppCode { offset })];
    let episode = prop_oneof![
        3 => single.prop_map(|a| vec![a]),
        1 => (any::<bool>(), boundary, enter).prop_map(|(voice, wait, enter)| vec![Action::Send { voice }, wait, enter]),
    ];
    proptest::collection::vec(episode, 1..=max_len.div_ceil(2)).prop_map(|episodes| episodes.concat())
}

/// What a target offers of what schedules use.
#[derive(Clone, Copy, Debug)]
pub struct Offered {
    pub voice: bool,
    pub personal_key: bool,
    pub authenticator_app: bool,
    pub password_change: bool,
}

impl Offered {
    pub fn everything() -> Self {
        Self { voice: true, personal_key: true, authenticator_app: true, password_change: true }
    }

    pub fn by(target: &crate::target::Target) -> Self {
        Self {
            voice: target.offers("voice"),
            personal_key: target.offers("personal_key"),
            authenticator_app: target.offers("authenticator_app"),
            password_change: target.offers("password_change"),
        }
    }

    /// `action` as this target can be asked it: a voice request becomes a text, and actions
    /// on what it does not offer are left out.
    fn adapt(self, action: Action) -> Option<Action> {
        match action {
            Action::Send { voice: true } if !self.voice => Some(Action::Send { voice: false }),
            Action::PersonalKey { .. } | Action::PreviousPersonalKey if !self.personal_key => None,
            Action::AppCode { .. } if !self.authenticator_app => None,
            Action::ChangePassword { .. } if !self.password_change => None,
            other => Some(other),
        }
    }

    /// The requirement IDs schedules check on such a target.
    pub fn checked_ids(self) -> Vec<&'static str> {
        SCHEDULE_PROPERTY_IDS
            .iter()
            .copied()
            .filter(|id| match *id {
                "PK-2" | "PK-3" | "PK-5" => self.personal_key,
                "ST-6" => self.authenticator_app,
                "ST-1" | "ST-2" => self.password_change,
                _ => true,
            })
            .collect()
    }
}

/// [`schedules`] with only the actions the target offers.
pub fn offered_schedules(
    policy: ModelPolicy,
    max_len: usize,
    offered: Offered,
) -> impl Strategy<Value = Vec<Action>> {
    schedules(policy, max_len)
        .prop_map(move |actions| actions.into_iter().filter_map(|a| offered.adapt(a)).collect())
}

fn seconds_since(t0: OffsetDateTime, t: Option<OffsetDateTime>) -> Option<i64> {
    t.map(|t| (t - t0).whole_seconds())
}

/// What the target answered, in the model's terms.
fn observe(outcome: &Outcome, t0: OffsetDateTime) -> Expected {
    match outcome {
        Outcome::Accepted { .. } => Expected::Accepted,
        Outcome::Rejected { reason, .. } => Expected::Rejected(reason.clone()),
        Outcome::RateLimited { retry_at, .. } => {
            Expected::RateLimited { retry_at: seconds_since(t0, *retry_at).unwrap_or(-1) }
        }
        Outcome::Locked { until, .. } => Expected::Locked { until: seconds_since(t0, *until).unwrap_or(-1) },
        Outcome::SignedOut { locked_until } => {
            Expected::SignedOut { locked_until: seconds_since(t0, *locked_until) }
        }
        other => Expected::Rejected(format!("unexpected answer: {other:?}")),
    }
}

/// An account with a confirmed phone, made through the driver. Returns its personal key
/// (none when the target does not offer personal keys).
async fn new_account(
    ctx: &Context,
    driver: &mut dyn Driver,
    email: &str,
    phone: &str,
    password: &str,
) -> anyhow::Result<Option<String>> {
    let accepted = |o: Outcome, what: &str| match o {
        Outcome::Accepted { .. } => Ok(o),
        other => Err(anyhow::anyhow!("{what} was refused while setting up: {other:?}")),
    };
    accepted(driver.start_sign_up(email).await?, "sign-up")?;
    let mail = ctx.inbox.next_mail(email, 0).await?.context("no confirmation email")?;
    accepted(driver.confirm_email(mail.links.first().context("no link")?).await?, "the confirmation link")?;
    accepted(driver.choose_password(password).await?, "the password")?;
    accepted(driver.add_phone(phone, Delivery::Sms).await?, "the phone")?;
    let text = ctx.inbox.next_phone_message(phone, 0).await?.context("no phone code")?;
    let code = ctx.target.code_reader()?.read(&text.body)?;
    let confirmed = accepted(driver.confirm_phone(&code).await?, "the phone code")?;
    if !ctx.target.offers("personal_key") {
        return Ok(None);
    }
    confirmed.detail("personal_key").context("no personal key shown").map(Some)
}

/// Adds an authenticator app to the signed-in account, using the code for the current step.
/// Returns the app's secret (base32).
async fn add_app(ctx: &Context, driver: &mut dyn Driver, password: &str) -> anyhow::Result<String> {
    let started = driver.add_authenticator(password).await?;
    let secret =
        started.detail("secret").with_context(|| format!("adding an authenticator app: {started:?}"))?;
    let now = crate::clock_hook::target_now(ctx.clock.as_ref()).await?;
    let code = app_code(&secret, now.unix_timestamp())?;
    match driver.confirm_authenticator(&code).await? {
        Outcome::Accepted { .. } => Ok(secret),
        other => Err(anyhow::anyhow!("confirming the authenticator app was refused: {other:?}")),
    }
}

/// What an RFC 6238 app (SHA-1, 6 digits, 30 s) shows at `unix` for `secret`.
pub fn app_code(secret: &str, unix: i64) -> anyhow::Result<String> {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| anyhow::anyhow!("secret: {e:?}"))?;
    let totp = totp_rs::TOTP::new_unchecked(totp_rs::Algorithm::SHA1, 6, 1, 30, bytes, None, String::new());
    Ok(totp.generate(u64::try_from(unix).unwrap_or(0)))
}

/// A code that matches none of `received`.
fn wrong_code(received: &[String]) -> String {
    let mut candidate = received.last().cloned().unwrap_or_else(|| "000000".into());
    loop {
        candidate = candidate.chars().map(|d| char::from(b'0' + (d as u8 - b'0' + 1) % 10)).collect();
        if !received.contains(&candidate) {
            return candidate;
        }
    }
}

/// Plays `actions` for a new account and returns `Err(report)` at the first answer that
/// differs from the model's, the report being the schedule so far, readably.
pub async fn play(
    ctx: &Context,
    policy: ModelPolicy,
    actions: &[Action],
) -> anyhow::Result<Result<(), String>> {
    let hook = ctx.clock.as_ref().context("property tests need the target's clock hook")?;
    let person = ctx.new_person();
    let mut driver = ctx.new_driver()?;
    let mut personal_key = new_account(ctx, driver.as_mut(), &person.email, &person.phone, &person.password)
        .await?
        .unwrap_or_default();
    let app_secret = match ctx.target.offers("authenticator_app") {
        true => add_app(ctx, driver.as_mut(), &person.password).await?,
        false => String::new(),
    };
    let mut previous_key: Option<String> = None;
    let t0 = hook.now_time().await?;
    driver.new_session().await?;
    if !matches!(driver.sign_in(&person.email, &person.password).await?, Outcome::Accepted { .. }) {
        anyhow::bail!("signing in with the password was refused");
    }
    let mut phone_seen = ctx.inbox.phone(&person.phone).await?.0;
    let mut model = Model::new(policy, 1, t0.unix_timestamp());
    let mut received: Vec<String> = Vec::new();
    let codes = ctx.target.code_reader()?;
    let mut log = String::new();
    for &action in actions {
        let code = model.code_for(action);
        let at = model.now();
        let Some(expected) = model.step(action) else {
            if let Action::Advance(secs) = action {
                hook.advance(secs).await?;
                let _ = write!(log, "t+{at}s {action} · ");
            }
            continue;
        };
        let now = model.now();
        let outcome = match action {
            Action::Send { voice } => {
                driver.send_sign_in_code(if voice { Delivery::Voice } else { Delivery::Sms }).await?
            }
            Action::NewSession => {
                driver.new_session().await?;
                driver.sign_in(&person.email, &person.password).await?
            }
            Action::PersonalKey { right } => {
                let key = if right { personal_key.clone() } else { "0000-0000-0000-0000".into() };
                driver.use_personal_key(&key).await?
            }
            Action::PreviousPersonalKey => {
                driver.use_personal_key(previous_key.as_deref().unwrap_or_default()).await?
            }
            Action::AppCode { offset } => {
                driver.sign_in_with_authenticator(&app_code(&app_secret, model.app_time(offset))?).await?
            }
            Action::ChangePassword { right } => {
                let current = if right { person.password.as_str() } else { "not the current password" };
                driver.change_password(current, &person.password).await?
            }
            _ => {
                let entered = match code.flatten() {
                    Some(i) => received[i].clone(),
                    None => wrong_code(&received),
                };
                driver.enter_sign_in_code(&entered).await?
            }
        };
        if let (Action::Send { .. }, Outcome::Accepted { .. }) = (action, &outcome) {
            let message = ctx
                .inbox
                .next_phone_message(&person.phone, phone_seen)
                .await?
                .context("an accepted code request delivered nothing")?;
            phone_seen = message.id;
            received.push(codes.read(&message.body)?);
        }
        if let (Action::PersonalKey { right: true }, Some(new_key)) = (action, outcome.detail("personal_key"))
        {
            previous_key = Some(std::mem::replace(&mut personal_key, new_key));
        }
        let observed = observe(&outcome, t0);
        if observed != expected {
            let rule = model.blame(&expected, &observed);
            let _ = write!(log, "t+{now}s {action} → expected {expected}, got {observed}{BLAME}{rule}");
            return Ok(Err(log));
        }
        let _ = write!(log, "t+{now}s {action} → {observed} · ");
    }
    Ok(Ok(()))
}

/// Ends a failing schedule's report, before the ID of the rule that predicted the answer the
/// target did not give.
const BLAME: &str = " — predicted by the rule of ";

/// The requirement ID a failing schedule's report blames (see [`BLAME`]).
pub fn blamed_id(report: &str) -> Option<&str> {
    report.rsplit_once(BLAME).map(|(_, id)| id.trim())
}

/// The requirement IDs the schedule property checks.
pub const SCHEDULE_PROPERTY_IDS: &[&str] = &[
    "OTP-1", "OTP-2", "OTP-3", "OTP-4", "OTP-5", "OTP-7", "OTP-8", "PK-2", "PK-3", "PK-5", "SI-1", "SI-3",
    "SI-4", "ST-1", "ST-2", "ST-6",
];
pub const SCHEDULE_PROPERTY: &str = "random schedules of codes, app codes, personal keys, settings changes, waits and new sessions agree with the model";

/// Runs the schedule property for `cases` cases against the context's target. `Ok(None)`:
/// held; `Ok(Some(report))`: the shrunk failing schedule.
pub async fn check_schedules(
    ctx: Arc<Context>,
    policy: ModelPolicy,
    cases: u32,
) -> anyhow::Result<Option<String>> {
    let offered = Offered::by(&ctx.target);
    check_property(
        cases,
        move || offered_schedules(policy, 16, offered),
        move |actions| {
            let ctx = ctx.clone();
            async move { play(&ctx, policy, &actions).await }
        },
    )
    .await
}

/// IV-1's attempt-limit property against the context's target, as [`check_schedules`].
pub async fn check_verification(
    ctx: Arc<Context>,
    policy: ModelPolicy,
    cases: u32,
) -> anyhow::Result<Option<String>> {
    check_property(
        cases,
        move || verification_schedules(policy, 12),
        move |attempts| {
            let ctx = ctx.clone();
            async move { play_verification(&ctx, policy, &attempts).await }
        },
    )
    .await
}

/// IV-2's enrollment property against the context's target, as [`check_schedules`].
pub async fn check_in_person(
    ctx: Arc<Context>,
    policy: ModelPolicy,
    cases: u32,
) -> anyhow::Result<Option<String>> {
    check_property(
        cases,
        move || in_person_schedules(policy, 6),
        move |steps| {
            let ctx = ctx.clone();
            async move { play_in_person(&ctx, policy, &steps).await }
        },
    )
    .await
}

/// Plays `cases` schedules drawn from the strategy `make` builds (on the blocking thread that
/// runs them: strategies are not `Send`) with `play`, shrinking a failure. The same schedules
/// on every run: a gate must be reproducible, and a failure replayable.
async fn check_property<M, S, F, Fut>(cases: u32, make: M, play: F) -> anyhow::Result<Option<String>>
where
    M: FnOnce() -> S + Send + 'static,
    S: Strategy,
    F: Fn(S::Value) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = anyhow::Result<Result<(), String>>>,
{
    use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let config = Config { cases, failure_persistence: None, ..Config::default() };
        let mut runner = TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
        let result = runner.run(&make(), |value| match handle.block_on(play(value)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(report)) => Err(TestCaseError::fail(report)),
            Err(error) => Err(TestCaseError::fail(format!("the schedule could not be played: {error:#}"))),
        });
        match result {
            Ok(()) => Ok(None),
            Err(TestError::Fail(reason, _)) => Ok(Some(reason.to_string())),
            Err(TestError::Abort(reason)) => Err(anyhow::anyhow!("the property run stopped: {reason}")),
        }
    })
    .await?
}

/// The IV properties a run plays after the schedule property.
pub const VERIFICATION_PROPERTY: &str = "random schedules of good and unreadable uploads and waits on the window's edge agree with the attempt limit";
pub const IN_PERSON_PROPERTY: &str = "random schedules of Post Office results and clock moves around the deadline agree with the enrollment's model";

/// The properties a run plays that check `id` (for the catalogue and the specification page).
pub fn properties_checking(id: &str) -> Vec<&'static str> {
    let mut names = Vec::new();
    if SCHEDULE_PROPERTY_IDS.contains(&id) {
        names.push(SCHEDULE_PROPERTY);
    }
    match id {
        "IV-1" => names.push(VERIFICATION_PROPERTY),
        "IV-2" => names.push(IN_PERSON_PROPERTY),
        _ => {}
    }
    names
}

/// IV-1's attempt limit over random schedules of uploads and waits: waits land on the
/// window's boundary (one second either side) two times in three.
pub fn verification_schedules(policy: ModelPolicy, max_len: usize) -> impl Strategy<Value = Vec<Attempt>> {
    let window = u64::try_from(policy.verification_attempt_window_secs).unwrap_or(1).max(2);
    let boundary = proptest::sample::select(vec![window - 1, window, window + 1]).prop_map(Attempt::Advance);
    let action = prop_oneof![
        6 => any::<bool>().prop_map(|good| Attempt::Upload { good }),
        2 => boundary,
        1 => (1u64..=window).prop_map(Attempt::Advance),
    ];
    proptest::collection::vec(action, 1..=max_len)
}

/// Plays `attempts` for a new signed-in account that has agreed to the checks, comparing each
/// upload's answer with [`VerificationModel`]'s. Sessions end while a schedule waits (SI-4,
/// SI-6): before an upload the person signs in again with the authenticator app (no code
/// request limit to spend) and agrees again, which the model does not count.
pub async fn play_verification(
    ctx: &Context,
    policy: ModelPolicy,
    attempts: &[Attempt],
) -> anyhow::Result<Result<(), String>> {
    let hook = ctx.clock.as_ref().context("property tests need the target's clock hook")?;
    let person = ctx.new_person();
    let mut driver = ctx.new_driver()?;
    new_account(ctx, driver.as_mut(), &person.email, &person.phone, &person.password).await?;
    let secret = add_app(ctx, driver.as_mut(), &person.password).await?;
    let documents = crate::steps::test_documents()?;
    let (good, unreadable, back, selfie) = (
        documents.join("id-front.json"),
        documents.join("id-unreadable.json"),
        documents.join("id-back.png"),
        documents.join("selfie.png"),
    );
    // Signed in since the sign-up; the app's code for this moment is spent.
    let agreed = driver.start_verification(true).await?;
    anyhow::ensure!(matches!(agreed, Outcome::Accepted { .. }), "agreeing to the checks: {agreed:?}");
    let t0 = hook.now_time().await?;
    let mut model = VerificationModel::new(policy);
    // Sign in afresh well before an idle session or an old one would end: always after a wait
    // of several minutes, so the app shows a code not used yet.
    let (idle, lifetime) = (policy.session_idle_timeout_secs - 60, policy.session_lifetime_secs - 60);
    let (mut last_request, mut session_start) = (0i64, 0i64);
    let mut log = String::new();
    for &attempt in attempts {
        let at = model.now();
        let Some(expected) = model.step(attempt) else {
            if let Attempt::Advance(secs) = attempt {
                hook.advance(secs).await?;
                let _ = write!(log, "t+{at}s {attempt} · ");
            }
            continue;
        };
        let now = model.now();
        if now - last_request >= idle || now - session_start >= lifetime {
            driver.new_session().await?;
            let signed_in = driver.sign_in(&person.email, &person.password).await?;
            anyhow::ensure!(matches!(signed_in, Outcome::Accepted { .. }), "signing in again: {signed_in:?}");
            let unix = hook.now_time().await?.unix_timestamp();
            let app = driver.sign_in_with_authenticator(&app_code(&secret, unix)?).await?;
            anyhow::ensure!(matches!(app, Outcome::Accepted { .. }), "the app's code at sign-in: {app:?}");
            let agreed = driver.start_verification(true).await?;
            anyhow::ensure!(matches!(agreed, Outcome::Accepted { .. }), "agreeing to the checks: {agreed:?}");
            session_start = now;
        }
        let Attempt::Upload { good: is_good } = attempt else { continue };
        let front = if is_good { &good } else { &unreadable };
        let outcome = driver.upload_documents(front, &back, &selfie).await?;
        last_request = now;
        let observed = match &outcome {
            Outcome::Accepted { .. } => Answer::Accepted,
            Outcome::Rejected { reason, .. } => Answer::Rejected(reason.clone()),
            Outcome::RateLimited { retry_at, .. } => {
                Answer::RateLimited { retry_at: seconds_since(t0, *retry_at).unwrap_or(-1) }
            }
            other => Answer::Rejected(format!("unexpected answer: {other:?}")),
        };
        if observed != expected {
            let _ = write!(log, "t+{now}s {attempt} → expected {expected}, got {observed}{BLAME}IV-1");
            return Ok(Err(log));
        }
        let _ = write!(log, "t+{now}s {attempt} → {observed} · ");
    }
    Ok(Ok(()))
}

/// IV-2's enrollment over random schedules of Post Office reports and clock moves: the moves
/// are the check interval, a third of the deadline, or what brings an untouched schedule to the
/// deadline's edge (one check interval short, or one second past).
pub fn in_person_schedules(policy: ModelPolicy, max_len: usize) -> impl Strategy<Value = Vec<InPersonStep>> {
    let deadline = u64::try_from(policy.in_person_deadline_secs).unwrap_or(1).max(3);
    let every = u64::try_from(policy.in_person_result_check_secs).unwrap_or(1).clamp(60, deadline);
    let advance = proptest::sample::select(vec![
        every,
        deadline / 3,
        deadline.saturating_sub(every).max(60),
        deadline + 1,
    ])
    .prop_map(InPersonStep::Advance);
    let visit = proptest::sample::select(vec!["passed", "failed", "expired"]).prop_map(InPersonStep::Visit);
    proptest::collection::vec(prop_oneof![3 => advance, 1 => visit], 1..=max_len)
}

/// Plays `steps` for a new account enrolled at a Post Office, comparing the status after each
/// clock move with [`InPersonModel`]'s. Each read signs in afresh with the authenticator app
/// (moves end sessions).
pub async fn play_in_person(
    ctx: &Context,
    policy: ModelPolicy,
    steps: &[InPersonStep],
) -> anyhow::Result<Result<(), String>> {
    let hook = ctx.clock.as_ref().context("property tests need the target's clock hook")?;
    let person = ctx.new_person();
    let mut driver = ctx.new_driver()?;
    new_account(ctx, driver.as_mut(), &person.email, &person.phone, &person.password).await?;
    let secret = add_app(ctx, driver.as_mut(), &person.password).await?;
    let accepted = |o: Outcome, what: &str| match o {
        Outcome::Accepted { .. } => Ok(o),
        other => Err(anyhow::anyhow!("{what} was refused while enrolling: {other:?}")),
    };
    accepted(driver.start_verification(true).await?, "agreeing to the checks")?;
    accepted(driver.find_post_offices("22150").await?, "looking for Post Offices")?;
    accepted(driver.choose_post_office(0).await?, "choosing a Post Office")?;
    let details = crate::driver::IdDetails {
        given_name: "Jane".into(),
        family_name: "Doe".into(),
        birthdate: "1985-07-04".into(),
        street_address: "1 Main St".into(),
        city: "Springfield".into(),
        state: "VA".into(),
        zip: "22150".into(),
    };
    accepted(driver.enter_id_details(&details).await?, "the details on the ID")?;
    accepted(driver.enter_ssn(&person.ssn).await?, "the SSN")?;
    accepted(driver.finish_verification(&person.password).await?, "the password")?;
    let status = driver.verification_status().await?;
    let code = match &status {
        Outcome::Accepted { details } => details["enrollment"]["enrollment_code"].as_str().map(str::to_owned),
        _ => None,
    }
    .with_context(|| format!("enrolled, but no enrollment code is shown: {status:?}"))?;
    let mut model = InPersonModel::new(policy);
    let mut log = String::new();
    let mut last_app_step = None;
    for &step in steps {
        let Some(expected) = model.step(step) else {
            if let InPersonStep::Visit(result) = step {
                ctx.inbox.post_office_visit(&code, result).await?;
            }
            let _ = write!(log, "t+{}s {step} · ", model.now());
            continue;
        };
        let InPersonStep::Advance(secs) = step else { continue };
        hook.advance(secs).await?;
        let unix = hook.now_time().await?.unix_timestamp();
        if last_app_step == Some(unix / 30) {
            // The app's code for this moment is spent; the next read tells.
            continue;
        }
        last_app_step = Some(unix / 30);
        driver.new_session().await?;
        accepted(driver.sign_in(&person.email, &person.password).await?, "signing in again")?;
        accepted(
            driver.sign_in_with_authenticator(&app_code(&secret, unix)?).await?,
            "the app's code at sign-in",
        )?;
        let answer = driver.verification_status().await?;
        let observed = answer.detail("status").unwrap_or_else(|| format!("no status: {answer:?}"));
        let now = model.now();
        if observed != expected {
            let _ = write!(log, "t+{now}s {step} → expected {expected}, got {observed}{BLAME}IV-2");
            return Ok(Err(log));
        }
        let _ = write!(log, "t+{now}s {step} → {observed} · ");
    }
    Ok(Ok(()))
}
