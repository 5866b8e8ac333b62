//! One `LoginWorld` per scenario: a person with a unique email address and phone number, the
//! driver acting for them, and what has happened so far.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::{OwnedRwLockReadGuard, OwnedRwLockWriteGuard, RwLock};

use crate::clock_hook::ClockHook;
use crate::driver::api::ApiDriver;
use crate::driver::{Driver, Outcome, Strength};
use crate::inbox::{InboxClient, Mail};
use crate::target::{DriverKind, Target};

/// What every scenario of a run shares.
pub struct Context {
    pub target: Target,
    pub inbox: InboxClient,
    pub clock: Option<ClockHook>,
    /// Asked before a check that nothing came (`[deliveries]`).
    pub deliveries: Option<crate::deliveries::DeliveriesHook>,
    /// Distinguishes this run's addresses and numbers from other runs' on the same fakes.
    run_tag: u32,
    people: AtomicU64,
    /// Scenarios that move the target's clock hold this exclusively; the others share it, so
    /// no scenario sees time jump under it.
    pub time_lock: Arc<RwLock<()>>,
    /// No clock hook, but time-moving scenarios may really wait (`--real-time`).
    pub real_time: bool,
    /// Where browsers come from (browser driver only). The ChromeDriver process itself
    /// belongs to the runner, which stops it however the run ends.
    pub browsers: Option<Arc<crate::driver::browsers::BrowserPool>>,
    /// The accessibility checks of a browser run (AX-1, AX-3).
    pub audit: Option<Arc<crate::driver::accessibility::Audit>>,
    /// Every address and number handed out, for cleaning up a staging service afterwards.
    pub handed_out: Mutex<Vec<Identity>>,
    /// The target's instances and the requests each was sent.
    pub spread: Arc<crate::driver::Spread>,
}

/// An address and number a run used (an account may exist for it on the target).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, schemars::JsonSchema)]
pub struct Identity {
    pub email: String,
    pub phone: String,
}

/// How long to watch for a message that must *not* arrive, when the target has no deliveries
/// hook to say that everything it queued has gone.
pub const QUIET_PERIOD: Duration = Duration::from_millis(300);

impl Context {
    pub fn new(target: Target) -> Self {
        let inbox = InboxClient::new(&target.inbox.url, Duration::from_secs(target.inbox.wait_secs));
        let clock = target.clock.as_ref().map(ClockHook::new);
        let deliveries = target.deliveries.as_ref().map(crate::deliveries::DeliveriesHook::new);
        Self {
            deliveries,
            spread: Arc::new(crate::driver::Spread::new(&target.instances())),
            target,
            inbox,
            clock,
            run_tag: rand::random::<u32>() % 100_000,
            people: AtomicU64::new(0),
            time_lock: Arc::new(RwLock::new(())),
            real_time: false,
            browsers: None,
            audit: None,
            handed_out: Mutex::new(Vec::new()),
        }
    }

    /// How long to watch the inbox for a message that must not come: not at all once the
    /// target's deliveries hook says nothing waits to be sent (it fails if that never
    /// happens), the quiet period without one.
    async fn quiet_wait(&self) -> anyhow::Result<Duration> {
        match &self.deliveries {
            Some(hook) => {
                hook.settled(Duration::from_secs(self.target.inbox.wait_secs)).await?;
                Ok(Duration::ZERO)
            }
            None => Ok(QUIET_PERIOD),
        }
    }

    /// An email to `to` after message `after`, for a check that none must come: looked for
    /// once the deliveries hook says nothing waits to be sent, watched for the quiet period
    /// without one. The caller fails with what came.
    pub async fn settled_mail(&self, to: &str, after: u64) -> anyhow::Result<Option<crate::inbox::Mail>> {
        let quiet = self.quiet_wait().await?;
        self.inbox.mail_within(to, after, quiet).await
    }

    /// A text or call to `to` after message `after`, looked for as in `settled_mail`.
    pub async fn settled_phone_message(
        &self,
        to: &str,
        after: u64,
    ) -> anyhow::Result<Option<crate::inbox::PhoneMessage>> {
        let quiet = self.quiet_wait().await?;
        self.inbox.phone_within(to, after, quiet).await
    }

    /// Tells this run's people apart from those of the other shards of the same run: the
    /// shards' tags differ in their remainder by `count`.
    pub fn for_shard(&mut self, index: u32, count: u32) {
        self.run_tag = self.run_tag / count * count + (index - 1);
    }

    /// A person nobody else in the run uses.
    pub fn new_person(&self) -> Person {
        let n = self.people.fetch_add(1, Ordering::Relaxed) + 1;
        let tag = self.run_tag;
        let k = (u64::from(tag) * 7919 + n) % 1_000_000;
        let person = Person {
            email: format!("person{n}.run{tag}@example.test"),
            phone: format!("+15550{k:06}"),
            password: format!("maple orbit {n} candle {tag} river"),
            // Areas 900–998 are never issued (999 holds the fakes' magic values); no serial 0000.
            ssn: format!("{}-12-{:04}", 900 + k / 9_999 % 99, 1 + k % 9_999),
        };
        if let Ok(mut handed_out) = self.handed_out.lock() {
            handed_out.push(Identity { email: person.email.clone(), phone: person.phone.clone() });
        }
        person
    }

    /// Whether this run makes a scenario's account through the JSON API (a browser run whose
    /// target asks for it with `[browser] arrange = "api"`).
    pub fn arranges_through_api(&self) -> bool {
        self.target.driver == DriverKind::Browser
            && self.target.browser.arrange == crate::driver::pages::Arrange::Api
    }

    /// A JSON API driver, whatever this run's driver: for what is arranged through the API.
    pub fn new_api_driver(&self) -> Box<dyn Driver> {
        Box::new(ApiDriver::new(self.spread.clone()))
    }

    pub fn new_driver(&self) -> anyhow::Result<Box<dyn Driver>> {
        match self.target.driver {
            DriverKind::Api => Ok(self.new_api_driver()),
            DriverKind::Browser => {
                let browsers = self.browsers.clone().context("ChromeDriver was not started for this run")?;
                let settings = crate::driver::browser::BrowserSettings {
                    browsers,
                    mapping: self.target.browser.clone(),
                    clock: self.clock.clone(),
                    audit: self.audit.clone(),
                };
                Ok(Box::new(crate::driver::browser::BrowserDriver::new(self.spread.clone(), settings)))
            }
        }
    }
}

static CONTEXT: Mutex<Option<Arc<Context>>> = Mutex::new(None);

/// Makes `context` the one new worlds use.
pub fn install(context: Arc<Context>) {
    *CONTEXT.lock().expect("context lock") = Some(context);
}

/// Lets go of the installed context once a run is over.
pub fn uninstall() {
    *CONTEXT.lock().expect("context lock") = None;
}

fn installed() -> anyhow::Result<Arc<Context>> {
    CONTEXT
        .lock()
        .expect("context lock")
        .clone()
        .context("no target: run scenarios through conformance::runner")
}

#[derive(Debug, Clone)]
pub struct Person {
    pub email: String,
    pub phone: String,
    pub password: String,
    /// The Social Security number the person verifies their identity with: each person's own,
    /// so that a service recognising a person across accounts (PR-5) is seen.
    pub ssn: String,
}

pub enum TimeGuard {
    Shared(#[allow(dead_code)] OwnedRwLockReadGuard<()>),
    Exclusive(#[allow(dead_code)] OwnedRwLockWriteGuard<()>),
}

#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct LoginWorld {
    pub ctx: Arc<Context>,
    pub driver: Box<dyn Driver>,
    pub me: Person,
    /// The answer to the latest action.
    pub last: Option<Outcome>,
    /// An earlier answer kept for comparison.
    pub kept: Option<Outcome>,
    /// The earlier answer as "the same answer" compares it (see `driver::Answer`).
    pub kept_answer: Option<crate::driver::Answer>,
    /// The answer another party (a stranger's address) got, to compare with `kept_answer`.
    pub other_answer: Option<crate::driver::Answer>,
    /// Confirmation links received, oldest first.
    pub links: Vec<String>,
    /// Newest email id seen for `me` (the inbox API's cursor).
    pub mail_seen: u64,
    pub mails: Vec<Mail>,
    pub strengths: Vec<(String, Strength)>,
    /// Newest text or call id seen for `me.phone`.
    pub phone_seen: u64,
    /// Security codes received, oldest first.
    pub codes: Vec<String>,
    /// Personal keys shown, oldest first.
    pub personal_keys: Vec<String>,
    /// Where an entered code goes: confirming the sign-up phone, or signing in.
    pub entering: CodeStep,
    /// A second address or number of mine (an email or phone change), and its inbox cursor.
    pub other: Option<Person>,
    pub other_seen: u64,
    /// The authenticator app's secret (base32) once added.
    pub authenticator: Option<String>,
    /// The last authenticator code entered.
    pub app_code: Option<String>,
    pub time_guard: Option<TimeGuard>,
    /// The agencies of agency sign-in scenarios, and what they received.
    pub agency: crate::steps::AgencyScene,
    /// The answers to requests made at once on my session.
    pub parallel: Vec<Outcome>,
    /// A copy of my session's cookies taken earlier (as someone who copied them would hold).
    pub stolen: Option<Box<dyn Driver>>,
    /// Other people with accounts, for checks that need many.
    pub others: Vec<Person>,
    /// Answer times measured for addresses with and without an account.
    pub timings: Option<crate::steps::Timings>,
    /// Figures and remarks a step records for the report, beside the transcript.
    pub notes: Vec<String>,
    /// Slow clients holding connections to the target (the load check).
    pub slow: crate::steps::SlowClients,
    /// My password before the latest reset, to check it no longer works.
    pub previous_password: Option<String>,
    /// The limit a scenario is using up, and when its first counted request was made.
    pub limit: Option<LimitWindow>,
    /// My session cookies as they were just before I signed out, to replay them afterwards.
    pub session_before_sign_out: Option<String>,
    /// Texts and calls to my phone taken by the scenario (`receive_code`).
    pub phone_received: usize,
    /// When my latest second factor was accepted: between these two instants (target clock).
    pub signed_in_at: Option<(time::OffsetDateTime, time::OffsetDateTime)>,
    /// The link to report misuse of my address, and the reference a report was given (SU-7).
    pub misuse_report: Option<(String, Option<String>)>,
    /// Every reference a report of misuse was acknowledged with, in order (SU-7).
    pub misuse_references: Vec<String>,
    /// Identity verification: the personal key given when it finished (IV-1, PR-4).
    pub verified_with_key: Option<String>,
    /// IV-2: the enrollment code shown while verification waits for the Post Office.
    pub enrollment_code: Option<String>,
}

/// A limit of so many requests in any window, as a scenario uses it up: the first counted
/// request was made between `first_sent` and `first_answered` (the target's clock).
#[derive(Debug, Clone, Copy)]
pub struct LimitWindow {
    pub first_sent: time::OffsetDateTime,
    pub first_answered: time::OffsetDateTime,
    pub window_secs: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStep {
    ConfirmPhone,
    SignIn,
    ChangePhone,
}

impl fmt::Debug for LoginWorld {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LoginWorld").field("me", &self.me).field("last", &self.last).finish_non_exhaustive()
    }
}

impl LoginWorld {
    fn new() -> anyhow::Result<Self> {
        let ctx = installed()?;
        Ok(Self {
            driver: ctx.new_driver()?,
            me: ctx.new_person(),
            ctx,
            last: None,
            kept: None,
            kept_answer: None,
            other_answer: None,
            links: Vec::new(),
            mail_seen: 0,
            mails: Vec::new(),
            strengths: Vec::new(),
            phone_seen: 0,
            codes: Vec::new(),
            personal_keys: Vec::new(),
            entering: CodeStep::SignIn,
            other: None,
            other_seen: 0,
            authenticator: None,
            app_code: None,
            time_guard: None,
            agency: Default::default(),
            parallel: Vec::new(),
            stolen: None,
            others: Vec::new(),
            timings: None,
            notes: Vec::new(),
            slow: Default::default(),
            previous_password: None,
            limit: None,
            session_before_sign_out: None,
            phone_received: 0,
            signed_in_at: None,
            misuse_report: None,
            misuse_references: Vec::new(),
            verified_with_key: None,
            enrollment_code: None,
        })
    }

    /// Keeps the latest answer, about `address`, to compare a later one with.
    pub fn keep_answer(&mut self, address: &str) -> anyhow::Result<()> {
        self.kept = self.last.take();
        self.kept_answer = Some(crate::driver::Answer::last_of(self.driver.transcript(), &[address])?);
        Ok(())
    }

    pub fn last(&self) -> anyhow::Result<&Outcome> {
        self.last.as_ref().context("no action has been taken yet in this scenario")
    }

    /// Waits for the next email to me and remembers its links.
    pub async fn receive_mail(&mut self) -> anyhow::Result<Mail> {
        let mail = self.ctx.inbox.next_mail(&self.me.email, self.mail_seen).await?.with_context(|| {
            format!("no new email to {} within {} s", self.me.email, self.ctx.target.inbox.wait_secs)
        })?;
        self.mail_seen = mail.id;
        self.mails.push(mail.clone());
        Ok(mail)
    }

    /// Fails if an email to me comes: looked for once the target's deliveries hook says nothing
    /// waits to be sent, or watched for the quiet period without one (see `Context::settled_mail`).
    pub async fn expect_no_mail(&mut self) -> anyhow::Result<()> {
        if let Some(mail) = self.ctx.settled_mail(&self.me.email, self.mail_seen).await? {
            anyhow::bail!("expected no email, but received {:?}", mail.subject);
        }
        Ok(())
    }

    /// Hands this scenario's device to a new person: their own address and phone, a fresh
    /// session, and nothing delivered to me or shown to me counted as theirs. Returns who I was.
    pub async fn become_someone_else(&mut self) -> anyhow::Result<Person> {
        let stranger = self.ctx.new_person();
        let me = std::mem::replace(&mut self.me, stranger);
        self.mails.clear();
        self.mail_seen = 0;
        self.phone_seen = 0;
        self.phone_received = 0;
        self.personal_keys.clear();
        self.verified_with_key = None;
        self.misuse_report = None;
        self.driver.new_session().await?;
        Ok(me)
    }

    /// Waits for the next text or call to my phone, checks how it came, and keeps its code.
    pub async fn receive_code(&mut self, channel: &str) -> anyhow::Result<String> {
        let message =
            self.ctx.inbox.next_phone_message(&self.me.phone, self.phone_seen).await?.with_context(|| {
                format!("no text or call to {} within {} s", self.me.phone, self.ctx.target.inbox.wait_secs)
            })?;
        self.phone_seen = message.id;
        self.phone_received += 1;
        anyhow::ensure!(
            message.channel == channel,
            "expected a {channel} message, got a {} one",
            message.channel
        );
        let code = self.read_code(&message.body)?;
        self.codes.push(code.clone());
        Ok(code)
    }

    /// Fails if a text or call to my phone comes, looked for as in `expect_no_mail`.
    pub async fn expect_no_code(&mut self) -> anyhow::Result<()> {
        if let Some(m) = self.ctx.settled_phone_message(&self.me.phone, self.phone_seen).await? {
            anyhow::bail!("expected no text or call, but received {:?}", m.body);
        }
        Ok(())
    }

    /// Waits for my next email and fails unless it is the security notice `notice`.
    pub async fn receive_notice(&mut self, notice: crate::notices::Notice) -> anyhow::Result<Mail> {
        let mail = self.receive_mail().await?;
        crate::notices::NoticePatterns::new(&self.ctx.target.notices)?.expect(&mail, notice)?;
        Ok(mail)
    }

    /// Waits for an email that is the notice `notice`, passing over any that reads as no
    /// account event at all (whether such mail should come is PV-1's and PV-4's to check, not
    /// the step's that waits for a result). One that reads as another event still fails.
    pub async fn receive_notice_among_others(
        &mut self,
        notice: crate::notices::Notice,
    ) -> anyhow::Result<Mail> {
        let patterns = crate::notices::NoticePatterns::new(&self.ctx.target.notices)?;
        loop {
            let mail = self.receive_mail().await?;
            if patterns.read(&mail.subject).is_empty() {
                continue;
            }
            patterns.expect(&mail, notice)?;
            return Ok(mail);
        }
    }

    /// After a second factor was entered (the request sent after `before`): when the answer
    /// signed me in, remembers the time, for an agency's `auth_time`.
    pub async fn note_sign_in(&mut self, before: time::OffsetDateTime) -> anyhow::Result<()> {
        if matches!(self.last, Some(Outcome::Accepted { .. })) {
            self.signed_in_at = Some((before, self.target_now().await?));
        }
        Ok(())
    }

    /// The security code in a text or call, by the suite's reading (`crate::code_reading`).
    pub fn read_code(&self, message: &str) -> anyhow::Result<String> {
        self.ctx.target.code_reader()?.read(message)
    }

    /// The target's time now (its clock hook's, else real time).
    pub async fn target_now(&self) -> anyhow::Result<time::OffsetDateTime> {
        crate::clock_hook::target_now(self.ctx.clock.as_ref()).await
    }

    /// Fails unless every email and every text or call that reached me was one the scenario
    /// took: a message for a refused request that arrives late is caught here, at the end,
    /// after a quiet period (one later than that is not seen by the suite).
    pub async fn expect_nothing_else(&mut self) -> anyhow::Result<()> {
        self.expect_no_mail().await?;
        self.expect_no_code().await?;
        let (_, mails) = self.ctx.inbox.mail(&self.me.email).await?;
        anyhow::ensure!(
            mails.len() == self.mails.len(),
            "{} emails reached {}, but the scenario expected {}: {:?}",
            mails.len(),
            self.me.email,
            self.mails.len(),
            mails.iter().map(|m| m.subject.as_str()).collect::<Vec<_>>()
        );
        let (_, messages) = self.ctx.inbox.phone(&self.me.phone).await?;
        anyhow::ensure!(
            messages.len() == self.phone_received,
            "{} texts or calls reached {}, but the scenario expected {}",
            messages.len(),
            self.me.phone,
            self.phone_received
        );
        Ok(())
    }

    /// How precisely this target's answers state times, in seconds: exactly through the API
    /// and `data-at`; pages mapped by their words to what they show (say, the minute).
    pub fn time_precision_secs(&self) -> i64 {
        match self.ctx.target.driver {
            DriverKind::Browser => {
                i64::try_from(self.ctx.target.browser.time_precision_secs()).unwrap_or(i64::MAX)
            }
            DriverKind::Api => 0,
        }
    }

    pub async fn advance_clock(&mut self, seconds: u64) -> anyhow::Result<()> {
        if self.ctx.clock.is_none() && self.ctx.real_time {
            // --real-time: the target runs on the real clock, so the scenario really waits.
            #[allow(clippy::disallowed_methods)]
            tokio::time::sleep(std::time::Duration::from_secs(seconds)).await;
            return Ok(());
        }
        let clock = self.ctx.clock.as_ref().context(
            "this scenario moves time, and the target has no clock hook (see [clock] in the target file)",
        )?;
        anyhow::ensure!(
            matches!(self.time_guard, Some(TimeGuard::Exclusive(_))),
            "a scenario that moves time must be tagged @serial"
        );
        clock.advance(seconds).await?;
        Ok(())
    }
}

impl LoginWorld {
    /// Everything exchanged with the target in this scenario, for the report, with every
    /// secret the scenario knows replaced by «redacted».
    pub fn redacted_transcript(&self) -> Vec<String> {
        let mut secrets: Vec<String> = vec![self.me.password.clone()];
        secrets.extend(self.codes.iter().cloned());
        secrets.extend(self.personal_keys.iter().cloned());
        secrets.extend(self.authenticator.iter().cloned());
        secrets.extend(self.app_code.iter().cloned());
        secrets.extend(self.links.iter().filter_map(|l| l.split("token=").nth(1)).map(str::to_owned));
        secrets.retain(|s| s.len() >= 4);
        let redact = |text: &str| {
            let known = secrets.iter().fold(text.to_owned(), |t, s| t.replace(s.as_str(), "«redacted»"));
            redact_shapes(&known)
        };
        let mut lines: Vec<String> = self
            .driver
            .transcript()
            .iter()
            .map(|e| redact(&format!("{}\n  → {} {}", e.request, e.status, e.response)))
            .collect();
        lines.extend(
            self.mails
                .iter()
                .map(|m| redact(&format!("email to {}: {}\n{}", m.to.join(", "), m.subject, m.text))),
        );
        lines.extend(self.notes.iter().map(|note| redact(&format!("note: {note}"))));
        lines
    }

    /// Records a figure or remark for the report (it appears in the scenario's transcript).
    pub fn note(&mut self, note: String) {
        self.notes.push(note);
    }
}

static SECRET_FIELD: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r#"("(?:password|current_password|new_password|code|personal_key|secret|otpauth_uri|token)"\s*:\s*")[^"]*"#)
        .expect("secret field pattern")
});
static TOKEN_PARAM: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new(r"\b(token|code)=[^\s&\x22<]+").expect("token pattern"));

/// Redacts secrets by their shape: JSON fields that carry one, and link tokens.
pub fn redact_shapes(text: &str) -> String {
    let fields = SECRET_FIELD.replace_all(text, "${1}«redacted»");
    TOKEN_PARAM.replace_all(&fields, "${1}=«redacted»").into_owned()
}

#[cfg(test)]
mod tests {
    use super::redact_shapes;

    #[test]
    fn secrets_are_redacted_by_shape() {
        let text = r#"POST /sign-in {"email":"a@b.test","password":"hunter2 hunter2"} → {"personal_key":"ABCD-EFGH-JKMN-PQRS"} http://x/confirm?token=abc_DEF-1&x=1"#;
        let redacted = redact_shapes(text);
        for secret in ["hunter2", "ABCD-EFGH", "abc_DEF-1"] {
            assert!(!redacted.contains(secret), "{redacted}");
        }
        assert!(redacted.contains("a@b.test") && redacted.contains("&x=1"), "{redacted}");
    }
}
