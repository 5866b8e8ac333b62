//! Security codes, the request limit, the account lockout, sessions and the personal key.

use std::fmt;

use super::ModelPolicy;

/// What the person does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Ask for a sign-in code, by text (`false`) or voice (`true`).
    Send { voice: bool },
    /// Enter the newest code received.
    SubmitLatest,
    /// Enter the code received `n` sends before the newest (clamped to the oldest).
    SubmitOlder(usize),
    /// Enter a code that was already used (nothing happens if none was).
    SubmitUsed,
    /// Enter a code that was never sent.
    SubmitWrong,
    /// Let time pass.
    Advance(u64),
    /// Start over on a new device: email and password again.
    NewSession,
    /// Enter the personal key: the current one, or a wrong one.
    PersonalKey { right: bool },
    /// Enter the personal key that the last personal-key sign-in replaced (nothing happens
    /// if none was replaced).
    PreviousPersonalKey,
    /// Enter the authenticator app's code for the time step `offset` steps from now.
    AppCode { offset: i8 },
    /// Change the password (to itself) giving the right or a wrong current password.
    ChangePassword { right: bool },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Send { voice } => write!(f, "send {}", if *voice { "voice" } else { "sms" }),
            Self::SubmitLatest => write!(f, "submit latest"),
            Self::SubmitOlder(n) => write!(f, "submit older({n})"),
            Self::SubmitUsed => write!(f, "submit used"),
            Self::SubmitWrong => write!(f, "submit wrong"),
            Self::Advance(s) => write!(f, "wait {s}s"),
            Self::NewSession => write!(f, "new session"),
            Self::PersonalKey { right } => {
                write!(f, "personal key ({})", if *right { "right" } else { "wrong" })
            }
            Self::PreviousPersonalKey => write!(f, "previous personal key"),
            Self::AppCode { offset } => write!(f, "app code (step {offset:+})"),
            Self::ChangePassword { right } => {
                write!(f, "change password ({} current password)", if *right { "right" } else { "wrong" })
            }
        }
    }
}

/// What the target should answer. Times are seconds since the schedule began.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    Accepted,
    Rejected(String),
    RateLimited { retry_at: i64 },
    Locked { until: i64 },
    SignedOut { locked_until: Option<i64> },
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Accepted => write!(f, "Accepted"),
            Self::Rejected(reason) => write!(f, "Rejected({reason})"),
            Self::RateLimited { retry_at } => write!(f, "RateLimited(until t+{retry_at}s)"),
            Self::Locked { until } => write!(f, "Locked(until t+{until}s)"),
            Self::SignedOut { locked_until: Some(t) } => write!(f, "SignedOut(locked until t+{t}s)"),
            Self::SignedOut { locked_until: None } => write!(f, "SignedOut"),
        }
    }
}

#[derive(Debug, Clone)]
struct Code {
    sent: i64,
    used: bool,
    superseded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Session {
    /// Password accepted, second factor expected.
    Authenticating,
    SignedIn,
    Gone,
}

/// The state of one account and the person's current session.
#[derive(Debug, Clone)]
pub struct Model {
    policy: ModelPolicy,
    now: i64,
    /// Times of code requests that were granted (any purpose counts).
    requests: Vec<i64>,
    codes: Vec<Code>,
    failures: u32,
    locked_until: Option<i64>,
    session: Session,
    /// When the current session began (a sign-in begins a new one).
    started: i64,
    last_seen: i64,
    /// Wrong current passwords in this session.
    reauthentication_failures: u32,
    /// When wrong passwords were given for the account (SI-3 counts settings' too).
    password_failures: Vec<i64>,
    /// Whether a personal-key sign-in has replaced a key.
    key_replaced: bool,
    /// Unix time at the schedule's start (TOTP steps are absolute).
    t0_unix: i64,
    /// The newest authenticator step accepted.
    app_last_step: i64,
    /// The requirement whose rule made the latest prediction (see [`Model::blame`]).
    rule: &'static str,
    /// Why the session is gone, as the rule that ended it.
    ended_by: &'static str,
    /// Sessions begun so far; the one in which the current run of wrong entries began, and
    /// the one a lockout began in.
    session_number: u32,
    failures_since: u32,
    locked_in: u32,
    /// How many of `requests` the sign-up made (other flows' requests: OTP-8).
    sign_up_requests: usize,
}

/// Seconds in a TOTP time step (RFC 6238).
pub const TOTP_STEP: i64 = 30;

impl Model {
    /// An account whose sign-up used `earlier_requests` code requests at time 0, signed in
    /// with its password (second factor expected) at time 0.
    /// `t0_unix` is the schedule's start; the authenticator app's code for the step then
    /// current was used to set the app up.
    pub fn new(policy: ModelPolicy, earlier_requests: usize, t0_unix: i64) -> Self {
        Self {
            reauthentication_failures: 0,
            password_failures: Vec::new(),
            key_replaced: false,
            t0_unix,
            app_last_step: t0_unix / TOTP_STEP,
            policy,
            now: 0,
            requests: vec![0; earlier_requests],
            codes: Vec::new(),
            failures: 0,
            locked_until: None,
            session: Session::Authenticating,
            started: 0,
            last_seen: 0,
            rule: "SI-1",
            ended_by: "SI-1",
            session_number: 0,
            failures_since: 0,
            locked_in: 0,
            sign_up_requests: earlier_requests,
        }
    }

    /// The requirement ID whose rule predicted the answer `expected` to the latest action,
    /// given that the target answered `observed` instead: when a code was expected to work,
    /// the refusal names the rule the target applied (or misapplied).
    pub fn blame(&self, expected: &Expected, observed: &Expected) -> &'static str {
        if *expected != Expected::Accepted || !matches!(self.rule, "OTP-1" | "OTP-2" | "OTP-3") {
            return self.rule;
        }
        match observed {
            Expected::Rejected(reason) if reason == "code_used" => "OTP-2",
            Expected::Rejected(reason) if reason == "code_superseded" => "OTP-3",
            Expected::Locked { .. } | Expected::SignedOut { locked_until: Some(_) } => "OTP-5",
            Expected::SignedOut { locked_until: None } => "SI-4",
            _ => "OTP-1",
        }
    }

    /// A prediction of the rule `rule`.
    fn by(&mut self, rule: &'static str, expected: Expected) -> Expected {
        self.rule = rule;
        expected
    }

    /// The prediction for an action that needs a session in `needed` state when it is not.
    fn no_session(&mut self) -> Expected {
        let rule = if self.session == Session::Gone { self.ended_by } else { "SI-1" };
        self.by(rule, Expected::SignedOut { locked_until: None })
    }

    /// Locked: a lockout that began in an earlier session holds because it belongs to the
    /// account (OTP-7); within its own session, it is the seed's rule (OTP-5).
    fn locked_out(&mut self, until: i64) -> Expected {
        let rule = if self.locked_in == self.session_number { "OTP-5" } else { "OTP-7" };
        self.by(rule, Expected::Locked { until })
    }

    pub fn now(&self) -> i64 {
        self.now
    }

    /// The Unix time an app code for `offset` steps from now is generated at.
    pub fn app_time(&self, offset: i8) -> i64 {
        self.t0_unix + self.now + i64::from(offset) * TOTP_STEP
    }

    /// Which code an action enters, as an index into the codes sent (`None`: a wrong code).
    pub fn code_for(&self, action: Action) -> Option<Option<usize>> {
        let n = self.codes.len();
        match action {
            Action::SubmitLatest => Some(n.checked_sub(1)),
            Action::SubmitOlder(k) => Some(n.checked_sub(1).map(|last| last.saturating_sub(k))),
            Action::SubmitUsed => self.codes.iter().rposition(|c| c.used).map(Some),
            Action::SubmitWrong => Some(None),
            _ => None,
        }
    }

    /// A request reaches the target: a session idle too long (SI-4) or older than its lifetime
    /// (SI-6) has ended; a live one is touched.
    fn arrive(&mut self) {
        let idle = self.now - self.last_seen >= self.policy.session_idle_timeout_secs;
        let old = self.now - self.started >= self.policy.session_lifetime_secs;
        if self.session != Session::Gone && (idle || old) {
            self.session = Session::Gone;
            self.ended_by = if old && !idle { "SI-6" } else { "SI-4" };
        }
        if self.session != Session::Gone {
            self.last_seen = self.now;
        }
    }

    fn locked(&self) -> Option<i64> {
        self.locked_until.filter(|until| *until > self.now)
    }

    /// One more wrong entry: the one reaching the limit signs out and locks.
    fn wrong(&mut self, reason: &str) -> Expected {
        if self.failures == 0 {
            self.failures_since = self.session_number;
        }
        self.failures += 1;
        // A count carried over from an earlier session is the account's (OTP-7); wrong
        // personal keys counting at all is PK-5; the rest is the seed's OTP-5.
        let rule = match reason {
            _ if self.failures_since != self.session_number => "OTP-7",
            "personal_key_wrong" => "PK-5",
            _ => "OTP-5",
        };
        if self.failures >= self.policy.code_attempt_limit {
            self.failures = 0;
            let until = self.now + self.policy.lockout_secs;
            self.locked_until = Some(until);
            self.locked_in = self.session_number;
            self.session = Session::Gone;
            self.ended_by = "OTP-5";
            return self.by(rule, Expected::SignedOut { locked_until: Some(until) });
        }
        self.by(rule, Expected::Rejected(reason.to_owned()))
    }

    /// Applies `action`; `None` when it sends nothing to the target (time passing, or
    /// re-entering a used code when none was used).
    pub fn step(&mut self, action: Action) -> Option<Expected> {
        match action {
            Action::Advance(secs) => {
                self.now += i64::try_from(secs).unwrap_or(i64::MAX);
                None
            }
            Action::NewSession => {
                // Signing in with the right password, unless wrong ones reached the limit.
                let window = self.policy.password_attempt_window_secs;
                let recent: Vec<i64> =
                    self.password_failures.iter().copied().filter(|t| *t > self.now - window).collect();
                let limit = self.policy.password_attempt_limit;
                self.session_number += 1;
                if limit > 0 && recent.len() >= limit {
                    self.session = Session::Gone;
                    self.ended_by = "SI-3";
                    let retry_at = recent[recent.len() - limit] + window;
                    return Some(self.by("SI-3", Expected::RateLimited { retry_at }));
                }
                self.session = Session::Authenticating;
                self.started = self.now;
                self.last_seen = self.now;
                self.reauthentication_failures = 0;
                Some(self.by("SI-3", Expected::Accepted))
            }
            Action::PreviousPersonalKey if !self.key_replaced => None,
            Action::PreviousPersonalKey => {
                self.arrive();
                let expected = self.personal_key(false);
                // The replaced key refused as wrong: the replacing rule's prediction.
                if expected == Expected::Rejected("personal_key_wrong".into()) {
                    self.rule = "PK-3";
                }
                Some(expected)
            }
            Action::AppCode { offset } => {
                self.arrive();
                Some(self.app_code(offset))
            }
            Action::ChangePassword { right } => {
                self.arrive();
                Some(self.change_password(right))
            }
            Action::Send { .. } => {
                self.arrive();
                Some(self.send())
            }
            Action::PersonalKey { right } => {
                self.arrive();
                Some(self.personal_key(right))
            }
            submit => {
                let which = self.code_for(submit)?;
                self.arrive();
                Some(self.submit(which))
            }
        }
    }

    fn send(&mut self) -> Expected {
        if self.session != Session::Authenticating {
            return self.no_session();
        }
        if let Some(until) = self.locked() {
            return self.locked_out(until);
        }
        let window = self.policy.code_request_window_secs;
        let in_window = |t: &i64| *t > self.now - window;
        let mut recent: Vec<i64> = self.requests.iter().copied().filter(in_window).collect();
        // The sign-up's requests still in the window make this the shared budget's call.
        let shared = self.requests[..self.sign_up_requests].iter().any(in_window);
        self.rule = if shared { "OTP-8" } else { "OTP-4" };
        let limit = self.policy.code_request_limit;
        if recent.len() >= limit {
            recent.sort_unstable();
            return Expected::RateLimited { retry_at: recent[recent.len() - limit] + window };
        }
        self.requests.push(self.now);
        for code in self.codes.iter_mut().filter(|c| !c.used) {
            code.superseded = true;
        }
        self.codes.push(Code { sent: self.now, used: false, superseded: false });
        Expected::Accepted
    }

    fn submit(&mut self, which: Option<usize>) -> Expected {
        if self.session != Session::Authenticating {
            return self.no_session();
        }
        if let Some(until) = self.locked() {
            return self.locked_out(until);
        }
        if self.codes.is_empty() {
            return self.by("OTP-3", Expected::Rejected("no_code_sent".into()));
        }
        let Some(i) = which else { return self.wrong("code_wrong") };
        let lifetime = self.policy.code_lifetime_secs;
        let code = &mut self.codes[i];
        let (rule, expected) = if code.used {
            ("OTP-2", Expected::Rejected("code_used".into()))
        } else if code.superseded {
            ("OTP-3", Expected::Rejected("code_superseded".into()))
        } else if self.now >= code.sent + lifetime {
            ("OTP-1", Expected::Rejected("code_expired".into()))
        } else {
            code.used = true;
            self.failures = 0;
            self.signed_in();
            ("OTP-1", Expected::Accepted)
        };
        self.by(rule, expected)
    }

    /// Signed in: a new session begins (its lifetime counts from now).
    fn signed_in(&mut self) {
        self.session = Session::SignedIn;
        self.started = self.now;
    }

    fn personal_key(&mut self, right: bool) -> Expected {
        if self.session != Session::Authenticating {
            return self.no_session();
        }
        if let Some(until) = self.locked() {
            return self.locked_out(until);
        }
        if !right {
            return self.wrong("personal_key_wrong");
        }
        self.failures = 0;
        self.key_replaced = true;
        self.signed_in();
        self.by("PK-2", Expected::Accepted)
    }

    /// A code matches the previous, current or next step; each step works once (ST-6).
    fn app_code(&mut self, offset: i8) -> Expected {
        if self.session != Session::Authenticating {
            return self.no_session();
        }
        if let Some(until) = self.locked() {
            return self.locked_out(until);
        }
        if offset.abs() > 1 {
            let expected = self.wrong("code_wrong");
            // A code too far off refused as wrong is the app's own rule (ST-6).
            if matches!(expected, Expected::Rejected(_)) && self.rule == "OTP-5" {
                self.rule = "ST-6";
            }
            return expected;
        }
        let step = (self.t0_unix + self.now) / TOTP_STEP + i64::from(offset);
        if step <= self.app_last_step {
            return self.by("ST-6", Expected::Rejected("code_used".into()));
        }
        self.app_last_step = step;
        self.failures = 0;
        self.signed_in();
        self.by("ST-6", Expected::Accepted)
    }

    /// Settings changes need the current password; the limit's worth of wrong ones in a
    /// session signs out (ST-1, ST-2).
    fn change_password(&mut self, right: bool) -> Expected {
        if self.session != Session::SignedIn {
            return self.no_session();
        }
        if right {
            self.reauthentication_failures = 0;
            return self.by("ST-1", Expected::Accepted);
        }
        self.reauthentication_failures += 1;
        self.password_failures.push(self.now);
        if self.reauthentication_failures >= self.policy.reauthentication_attempt_limit {
            self.session = Session::Gone;
            self.ended_by = "ST-2";
            return self.by("ST-2", Expected::SignedOut { locked_until: None });
        }
        self.by("ST-2", Expected::Rejected("current_password_wrong".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> Model {
        Model::new(ModelPolicy::default(), 1, 1_800_000_000)
    }

    /// Each prediction names the rule that made it; a lockout or count carried over from an
    /// earlier session is the stricter rule's (OTP-7), the sign-up's code in the window OTP-8's.
    #[test]
    fn predictions_are_blamed_on_the_rule_that_made_them() {
        let mut m = model();
        let accepted = Expected::Accepted;
        m.step(Action::Send { voice: false });
        assert_eq!(m.blame(&accepted, &Expected::RateLimited { retry_at: 900 }), "OTP-8");
        m.step(Action::SubmitWrong);
        m.step(Action::NewSession);
        let wrong = m.step(Action::SubmitWrong).unwrap();
        assert_eq!(m.blame(&wrong, &Expected::Rejected("code_wrong".into())), "OTP-7");
        let out = m.step(Action::SubmitWrong).unwrap();
        assert_eq!(out, Expected::SignedOut { locked_until: Some(300) });
        assert_eq!(m.blame(&out, &Expected::Rejected("code_wrong".into())), "OTP-7");
        m.step(Action::NewSession);
        let locked = m.step(Action::SubmitLatest).unwrap();
        assert_eq!(m.blame(&locked, &Expected::Rejected("code_wrong".into())), "OTP-7");
        m.step(Action::Advance(900));
        m.step(Action::NewSession);
        m.step(Action::Send { voice: false });
        assert_eq!(m.blame(&accepted, &Expected::RateLimited { retry_at: 0 }), "OTP-4");
        m.step(Action::Advance(300));
        let expired = m.step(Action::SubmitLatest).unwrap();
        assert_eq!(m.blame(&expired, &Expected::Accepted), "OTP-1");
        m.step(Action::Send { voice: false });
        let works = m.step(Action::SubmitLatest).unwrap();
        assert_eq!(works, Expected::Accepted);
        assert_eq!(m.blame(&works, &Expected::Rejected("code_used".into())), "OTP-2");
        assert_eq!(m.blame(&works, &Expected::SignedOut { locked_until: None }), "SI-4");

        // Within one session the seed's rule decides.
        let mut m = model();
        m.step(Action::Send { voice: false });
        m.step(Action::SubmitWrong);
        m.step(Action::PersonalKey { right: false });
        let out = m.step(Action::SubmitWrong).unwrap();
        assert_eq!(m.blame(&out, &Expected::Rejected("code_wrong".into())), "OTP-5");
    }

    #[test]
    fn a_code_expires_at_its_lifetime() {
        let mut m = model();
        assert_eq!(m.step(Action::Send { voice: false }), Some(Expected::Accepted));
        m.step(Action::Advance(299));
        let mut early = m.clone();
        assert_eq!(early.step(Action::SubmitLatest), Some(Expected::Accepted));
        m.step(Action::Advance(1));
        assert_eq!(m.step(Action::SubmitLatest), Some(Expected::Rejected("code_expired".into())));
    }

    #[test]
    fn the_request_limit_counts_the_sign_up_code() {
        let mut m = model();
        assert_eq!(m.step(Action::Send { voice: false }), Some(Expected::Accepted));
        assert_eq!(m.step(Action::Send { voice: true }), Some(Expected::Accepted));
        assert_eq!(m.step(Action::Send { voice: false }), Some(Expected::RateLimited { retry_at: 900 }));
    }

    #[test]
    fn the_third_wrong_entry_locks_and_a_new_session_does_not_unlock() {
        let mut m = model();
        m.step(Action::Send { voice: false });
        assert_eq!(m.step(Action::SubmitWrong), Some(Expected::Rejected("code_wrong".into())));
        assert_eq!(
            m.step(Action::PersonalKey { right: false }),
            Some(Expected::Rejected("personal_key_wrong".into()))
        );
        assert_eq!(m.step(Action::SubmitWrong), Some(Expected::SignedOut { locked_until: Some(300) }));
        m.step(Action::NewSession);
        assert_eq!(m.step(Action::SubmitLatest), Some(Expected::Locked { until: 300 }));
        m.step(Action::Advance(300));
        assert_eq!(m.step(Action::SubmitLatest), Some(Expected::Rejected("code_expired".into())));
    }

    #[test]
    fn app_codes_work_once_per_step_within_one_step_of_drift() {
        let mut m = model();
        assert_eq!(
            m.step(Action::AppCode { offset: 0 }),
            Some(Expected::Rejected("code_used".into())),
            "the set-up step"
        );
        assert_eq!(m.step(Action::AppCode { offset: 1 }), Some(Expected::Accepted));
        m.step(Action::NewSession);
        assert_eq!(m.step(Action::AppCode { offset: 1 }), Some(Expected::Rejected("code_used".into())));
        assert_eq!(m.step(Action::AppCode { offset: 2 }), Some(Expected::Rejected("code_wrong".into())));
    }

    #[test]
    fn wrong_current_passwords_count_toward_the_sign_in_limit() {
        let mut m = model();
        // 3 wrong in each of two sessions (each ends signed out): 6 in the window, limit 5.
        for _ in 0..2 {
            m.step(Action::PersonalKey { right: true });
            for _ in 0..3 {
                m.step(Action::ChangePassword { right: false });
            }
            m.step(Action::NewSession);
        }
        m.step(Action::Advance(60));
        assert_eq!(m.step(Action::NewSession), Some(Expected::RateLimited { retry_at: 900 }));
        m.step(Action::Advance(840));
        assert_eq!(m.step(Action::NewSession), Some(Expected::Accepted));
    }

    #[test]
    fn the_third_wrong_current_password_signs_out() {
        let mut m = model();
        assert_eq!(
            m.step(Action::ChangePassword { right: true }),
            Some(Expected::SignedOut { locked_until: None })
        );
        m.step(Action::PersonalKey { right: true });
        assert_eq!(m.step(Action::PreviousPersonalKey), Some(Expected::SignedOut { locked_until: None }));
        assert_eq!(
            m.step(Action::ChangePassword { right: false }),
            Some(Expected::Rejected("current_password_wrong".into()))
        );
        assert_eq!(m.step(Action::ChangePassword { right: true }), Some(Expected::Accepted));
        m.step(Action::ChangePassword { right: false });
        m.step(Action::ChangePassword { right: false });
        assert_eq!(
            m.step(Action::ChangePassword { right: false }),
            Some(Expected::SignedOut { locked_until: None })
        );
    }

    #[test]
    fn an_idle_session_ends() {
        let mut m = model();
        m.step(Action::Advance(900));
        assert_eq!(m.step(Action::Send { voice: false }), Some(Expected::SignedOut { locked_until: None }));
    }
}
