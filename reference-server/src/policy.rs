//! Every documented number of the service, named. Defaults are the documented policy
//! (`REQUIREMENTS.md`, values in bold); a deployment may declare other values.

use serde::{Deserialize, Serialize};
use time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Policy {
    /// SU-6: how long a sign-up confirmation link works.
    pub confirmation_link_lifetime_secs: u64,
    /// SU-3: confirmation emails (first send and resends) per address per window.
    pub confirmation_email_limit: u32,
    pub confirmation_email_window_secs: u64,
    /// PW-1: minimum password length, in characters.
    pub password_min_length: usize,
    /// PW-3: maximum password length, in characters (at least 64).
    pub password_max_length: usize,
    /// PW-4: refuse passwords on the shipped list of common passwords.
    pub reject_common_passwords: bool,
    /// OTP-6: digits in a security code.
    pub code_digits: u32,
    /// OTP-1: how long a security code works after it was sent.
    pub code_lifetime_secs: u64,
    /// OTP-4: code requests allowed per window.
    pub code_request_limit: u32,
    pub code_request_window_secs: u64,
    /// OTP-5 / PK-5: wrong codes or personal keys before sign-out and lockout.
    pub code_attempt_limit: u32,
    pub lockout_secs: u64,
    /// SI-3: wrong passwords per account per window before sign-in is throttled.
    pub password_attempt_limit: u32,
    pub password_attempt_window_secs: u64,
    /// ST-2: wrong current-password entries in settings before sign-out.
    pub reauthentication_attempt_limit: u32,
    /// SI-4: an idle session ends after this long.
    pub session_idle_timeout_secs: u64,
    /// SI-6: any session ends this long after it began, however busy (NIST SP 800-63B
    /// section 7.2: at AAL2, reauthenticate at least every 12 hours).
    pub session_lifetime_secs: u64,
    /// PR-3: how long a password reset link works.
    pub reset_link_lifetime_secs: u64,
    /// PK-1: characters in a personal key.
    pub personal_key_length: usize,
    /// AG-1: how long an authorization code given to an agency can be exchanged.
    pub authorization_code_lifetime_secs: u64,
    /// AG-1: how long an agency's access token (and the ID token's `exp`) lasts.
    pub access_token_lifetime_secs: u64,
    /// IV-1: identity-verification attempts (documents checked, identities looked up) per
    /// account per window.
    pub verification_attempt_limit: u32,
    pub verification_attempt_window_secs: u64,
    /// IV-2: how long an enrollment to verify at a Post Office lasts.
    pub in_person_deadline_secs: u64,
    /// IV-2: how often the service asks the Post Office for results (at least).
    pub in_person_result_check_secs: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            confirmation_link_lifetime_secs: 24 * 3600,
            confirmation_email_limit: 3,
            confirmation_email_window_secs: 15 * 60,
            password_min_length: 8,
            password_max_length: 256,
            reject_common_passwords: true,
            code_digits: 6,
            code_lifetime_secs: 5 * 60,
            code_request_limit: 3,
            code_request_window_secs: 15 * 60,
            code_attempt_limit: 3,
            lockout_secs: 5 * 60,
            password_attempt_limit: 5,
            password_attempt_window_secs: 15 * 60,
            reauthentication_attempt_limit: 3,
            session_idle_timeout_secs: 15 * 60,
            session_lifetime_secs: 12 * 3600,
            reset_link_lifetime_secs: 30 * 60,
            personal_key_length: 16,
            authorization_code_lifetime_secs: 5 * 60,
            access_token_lifetime_secs: 15 * 60,
            verification_attempt_limit: 5,
            verification_attempt_window_secs: 6 * 3600,
            in_person_deadline_secs: 30 * 24 * 3600,
            in_person_result_check_secs: 3600,
        }
    }
}

/// Seconds as a duration (policy values are whole seconds).
pub fn secs(seconds: u64) -> Duration {
    Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX))
}

impl Policy {
    /// OTP-5 / PK-5: the wrong-entry lockout with this policy's numbers.
    pub fn lockout(&self) -> crate::rules::lockout::Lockout {
        crate::rules::lockout::Lockout { limit: self.code_attempt_limit, duration: secs(self.lockout_secs) }
    }

    /// Problems that make the policy unusable, in words.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.password_min_length == 0 {
            problems.push("password_min_length must be at least 1".to_owned());
        }
        if self.password_max_length < 64 || self.password_max_length < self.password_min_length {
            problems
                .push("password_max_length must be at least 64 and at least password_min_length".to_owned());
        }
        if !(4..=10).contains(&self.code_digits) {
            problems.push("code_digits must be between 4 and 10".to_owned());
        }
        for (name, limit) in [
            ("confirmation_email_limit", self.confirmation_email_limit),
            ("code_request_limit", self.code_request_limit),
            ("code_attempt_limit", self.code_attempt_limit),
            ("password_attempt_limit", self.password_attempt_limit),
            ("reauthentication_attempt_limit", self.reauthentication_attempt_limit),
            ("verification_attempt_limit", self.verification_attempt_limit),
        ] {
            if limit == 0 {
                problems.push(format!("{name} must be at least 1"));
            }
        }
        if self.authorization_code_lifetime_secs == 0 || self.access_token_lifetime_secs == 0 {
            problems.push(
                "authorization_code_lifetime_secs and access_token_lifetime_secs must be at least 1"
                    .to_owned(),
            );
        }
        if self.in_person_result_check_secs == 0 || self.in_person_deadline_secs == 0 {
            problems.push(
                "in_person_deadline_secs and in_person_result_check_secs must be at least 1".to_owned(),
            );
        }
        if self.session_lifetime_secs == 0 {
            problems.push("session_lifetime_secs must be at least 1".to_owned());
        }
        if self.personal_key_length < 12 {
            problems.push("personal_key_length must be at least 12".to_owned());
        }
        problems
    }
}
