use serde::Deserialize;

/// The policy values the rules depend on, as a target declares them (seconds and counts).
/// Defaults are the documented policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ModelPolicy {
    /// SU-3: confirmation emails (the first and every resend) per address in any window. The
    /// seed says only that resends are limited; these are the reference values: declare yours.
    pub confirmation_email_limit: usize,
    pub confirmation_email_window_secs: i64,
    /// OTP-1: a code works for this long after it was sent.
    pub code_lifetime_secs: i64,
    /// OTP-4: at most this many code requests in any window.
    pub code_request_limit: usize,
    pub code_request_window_secs: i64,
    /// OTP-5 / PK-5: wrong entries before sign-out and lockout.
    pub code_attempt_limit: u32,
    pub lockout_secs: i64,
    /// SI-4: an idle session ends after this long.
    pub session_idle_timeout_secs: i64,
    /// SI-6: any session ends this long after it began, however busy.
    pub session_lifetime_secs: i64,
    /// ST-2: wrong current-password entries in a session before sign-out.
    pub reauthentication_attempt_limit: u32,
    /// SI-3: wrong passwords for an address (at sign-in or in settings) per window before
    /// signing in is refused for a while.
    pub password_attempt_limit: usize,
    pub password_attempt_window_secs: i64,
    /// IV-1: identity-verification attempts (document checks) per account in any window.
    pub verification_attempt_limit: usize,
    pub verification_attempt_window_secs: i64,
    /// IV-2: an enrollment to verify at a Post Office ends this long after it was made, unless
    /// a result reached the service before.
    pub in_person_deadline_secs: i64,
    /// IV-2: the service asks the Post Office for results at least this often (the suite moves
    /// the clock this far for a result to be picked up).
    pub in_person_result_check_secs: i64,
}

impl Default for ModelPolicy {
    fn default() -> Self {
        Self {
            confirmation_email_limit: 3,
            confirmation_email_window_secs: 900,
            code_lifetime_secs: 300,
            code_request_limit: 3,
            code_request_window_secs: 900,
            code_attempt_limit: 3,
            lockout_secs: 300,
            session_idle_timeout_secs: 900,
            session_lifetime_secs: 12 * 3600,
            reauthentication_attempt_limit: 3,
            password_attempt_limit: 5,
            password_attempt_window_secs: 900,
            verification_attempt_limit: 5,
            verification_attempt_window_secs: 6 * 3600,
            in_person_deadline_secs: 30 * 24 * 3600,
            in_person_result_check_secs: 3600,
        }
    }
}

impl ModelPolicy {
    /// The instants around which behaviour changes: where schedules should land often.
    pub fn boundaries(&self) -> Vec<u64> {
        let mut out = Vec::new();
        for value in [
            self.code_lifetime_secs,
            self.code_request_window_secs,
            self.lockout_secs,
            self.session_idle_timeout_secs,
            self.session_lifetime_secs,
            self.password_attempt_window_secs,
        ] {
            let value = u64::try_from(value).unwrap_or(1);
            out.extend([value.saturating_sub(1).max(1), value, value + 1]);
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}
