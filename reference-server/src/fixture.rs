//! Test-only variants of the server (cargo feature `fixtures`, compiled into test builds
//! only): other presentations and deliberately broken services that the conformance suite must
//! pass or fail by the right requirement ID. One build serves them all; the variant is chosen
//! when the server starts (`Config::fixture`). What each changes is in `http/fixture.rs`.

use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixture {
    /// Pages with none of the suite's `data-*` markup and a session cookie named
    /// `session_id`: the suite recognises them only through a target file's mapping.
    Unmarked,
    /// Another presentation of the whole web UI: other paths, other words, no page-contract
    /// markup, a terms checkbox at sign-up, a confirm-password field, a session cookie named
    /// `SESSION`.
    SecondPresentation,
    /// Broken: asking for the password step before confirming the email is a 500 page.
    PasswordStepServerError,
    /// Broken: confirmation links work for one hour instead of 24.
    OneHourLinks,
    /// Broken: signing up with an address that has an account says so on the page.
    ExistingAddressTold,
    /// Broken (SI-4): signing out through the API only tells the client to drop its cookie;
    /// the session lives on in the store.
    SignOutOnlyClearsCookie,
    /// Broken (SI-4): every session ends 15 minutes after sign-in, however it is used (as if
    /// the idle timer were never reset).
    FifteenMinuteSessions,
    /// Broken (PW-3): the API compares only a password's first 72 bytes, as bcrypt does.
    PasswordsCutAt72Bytes,
    /// Broken (SI-3): six wrong passwords are refused as wrong before sign-in is throttled,
    /// not the five the documented policy allows.
    SixWrongPasswords,
    /// Broken (SU-3): confirmation emails are limited per 30 minutes, not 15, so the refusal
    /// says to come back later than the window allows.
    HalfHourEmailWindow,
}

impl FromStr for Fixture {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name {
            "unmarked" => Self::Unmarked,
            "second-presentation" => Self::SecondPresentation,
            "password-step-server-error" => Self::PasswordStepServerError,
            "one-hour-links" => Self::OneHourLinks,
            "existing-address-told" => Self::ExistingAddressTold,
            "sign-out-only-clears-cookie" => Self::SignOutOnlyClearsCookie,
            "fifteen-minute-sessions" => Self::FifteenMinuteSessions,
            "passwords-cut-at-72-bytes" => Self::PasswordsCutAt72Bytes,
            "six-wrong-passwords" => Self::SixWrongPasswords,
            "half-hour-email-window" => Self::HalfHourEmailWindow,
            other => return Err(format!("no fixture {other:?}")),
        })
    }
}

impl Fixture {
    /// The policy the variant runs under.
    pub fn policy(self, mut policy: crate::Policy) -> crate::Policy {
        match self {
            Self::OneHourLinks => policy.confirmation_link_lifetime_secs = 3600,
            Self::FifteenMinuteSessions => policy.session_lifetime_secs = 15 * 60,
            Self::SixWrongPasswords => policy.password_attempt_limit = 6,
            Self::HalfHourEmailWindow => policy.confirmation_email_window_secs = 30 * 60,
            _ => {}
        }
        policy
    }
}
