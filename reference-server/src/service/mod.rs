//! Use cases. Web pages and the JSON API both call these, so they behave the same.

pub mod passwords;
pub mod signup;

use std::sync::Arc;

use time::OffsetDateTime;

use crate::clock::Clock;
use crate::config::Config;
use crate::delivery::{Mailer, SmsClient};
use crate::policy::{Policy, secs};
use crate::rules::password::CommonPasswords;
use crate::rules::throttle;
use crate::store::{Store, StoreError};
pub use passwords::Passwords;

/// A refusal the person can act on. `code()` is stable: scenarios and clients rely on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    InvalidEmail,
    NoSignUpInProgress,
    EmailNotConfirmed,
    LinkInvalid,
    LinkExpired,
    LinkUsed,
    LinkSuperseded,
    AlreadyRegistered,
    PasswordTooShort { min: usize },
    PasswordTooLong { max: usize },
    PasswordCommon,
    PasswordControlCharacters,
}

impl Reason {
    pub fn code(self) -> &'static str {
        match self {
            Self::InvalidEmail => "invalid_email",
            Self::NoSignUpInProgress => "no_sign_up_in_progress",
            Self::EmailNotConfirmed => "email_not_confirmed",
            Self::LinkInvalid => "link_invalid",
            Self::LinkExpired => "link_expired",
            Self::LinkUsed => "link_used",
            Self::LinkSuperseded => "link_superseded",
            Self::AlreadyRegistered => "already_registered",
            Self::PasswordTooShort { .. } => "password_too_short",
            Self::PasswordTooLong { .. } => "password_too_long",
            Self::PasswordCommon => "password_common",
            Self::PasswordControlCharacters => "password_control_characters",
        }
    }

    pub fn message(self) -> String {
        match self {
            Self::InvalidEmail => "Enter an email address like name@example.com.".into(),
            Self::NoSignUpInProgress => "Start by entering your email address.".into(),
            Self::EmailNotConfirmed => {
                "Confirm your email address first: open the link we emailed you.".into()
            }
            Self::LinkInvalid => {
                "That link is not valid. Check you used the whole link from the email.".into()
            }
            Self::LinkExpired => "That link has expired. Ask for a new one.".into(),
            Self::LinkUsed => {
                "That link has already been used. Ask for a new one if you still need it.".into()
            }
            Self::LinkSuperseded => "We sent you a newer link; use the newest email.".into(),
            Self::AlreadyRegistered => "This email address already has an account. Sign in instead.".into(),
            Self::PasswordTooShort { min } => {
                format!("Your password must be at least {min} characters long.")
            }
            Self::PasswordTooLong { max } => format!("Your password must be at most {max} characters long."),
            Self::PasswordCommon => {
                "That password is too commonly used and easy to guess. Choose a different one.".into()
            }
            Self::PasswordControlCharacters => {
                "Your password cannot contain line breaks, tabs or other control characters.".into()
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("refused: {}", .0.code())]
    Rejected(Reason),
    /// `wait_secs`: from now until `retry_at`, by the service's clock.
    #[error("too many requests; allowed again at {retry_at}")]
    RateLimited { retry_at: OffsetDateTime, wait_secs: u64 },
    #[error("could not deliver the message: {0}")]
    Delivery(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        Self::Internal(error.into())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

/// Everything a use case needs, built once at start-up.
pub struct Services {
    pub config: Arc<Config>,
    pub policy: Policy,
    pub clock: Clock,
    pub store: Store,
    pub mailer: Mailer,
    pub sms: SmsClient,
    pub passwords: Passwords,
    pub common_passwords: CommonPasswords,
    /// Base of the links put in emails, without a trailing slash.
    pub public_url: String,
}

impl Services {
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// Counts one event under `key` against a sliding-window limit, or refuses it.
    pub async fn limit(
        &self,
        key: &str,
        limit: u32,
        window_secs: u64,
        now: OffsetDateTime,
    ) -> ServiceResult<()> {
        let window = secs(window_secs);
        self.store
            .admit_event(key, now, window, |earlier| throttle::admit(earlier, now, limit, window))
            .await?
            .map_err(|retry_at| ServiceError::RateLimited {
                retry_at,
                wait_secs: u64::try_from((retry_at - now).whole_seconds()).unwrap_or(0),
            })
    }
}
