//! Use cases. Web pages and the JSON API both call these, so they behave the same.

pub mod agency;
pub mod housekeeping;
pub mod identity;
pub mod in_person;
pub mod later;
pub mod mfa;
pub mod outbox;
pub mod passwords;
pub mod recovery;
pub mod settings;
pub mod signin;
pub mod signing;
pub mod signup;

use std::net::IpAddr;
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

/// Whether this test build runs the deliberately broken variant named (`crate::fixture`, for
/// rules a layer around the router cannot break); always false in a release build.
/// `broken!(services, Variant if condition)`: the variant breaks the rule only where
/// `condition` holds; the condition is evaluated only in a test build running that variant.
/// Keeping a breakage's whole condition inside the macro also keeps it out of mutation
/// testing (cargo-mutants does not mutate macro arguments): it is not the server's behaviour.
macro_rules! broken {
    ($services:expr, $variant:ident) => {
        $crate::service::broken!($services, $variant if true)
    };
    ($services:expr, $variant:ident if $condition:expr) => {{
        #[cfg(feature = "fixtures")]
        let broken = $services.config.fixture == Some(crate::fixture::Fixture::$variant) && $condition;
        #[cfg(not(feature = "fixtures"))]
        let broken = false;
        broken
    }};
}
pub(crate) use broken;

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
    PasswordTooShort {
        min: usize,
    },
    PasswordTooLong {
        max: usize,
    },
    PasswordCommon,
    PasswordControlCharacters,
    InvalidPhone,
    /// The phone step needs a password set first.
    PasswordNotSet,
    /// The number cannot receive texts (a landline): choose a voice call.
    SmsNotSupported,
    /// The person opted out of texts at the provider: choose a voice call.
    SmsOptedOut,
    /// The number takes neither texts nor calls (the provider says it is no phone number).
    PhoneUnreachable,
    NoCodeSent,
    CodeWrong {
        remaining: u32,
    },
    CodeExpired,
    CodeUsed,
    CodeSuperseded,
    PersonalKeyWrong {
        remaining: u32,
    },
    /// Unknown email or wrong password: one answer for both (SI-2).
    CredentialsInvalid,
    CurrentPasswordWrong {
        remaining: u32,
    },
    NoAuthenticator,
    AuthenticatorNotStarted,
    NoChangeInProgress,
    /// No agency's sign-in request is waiting in this session.
    NoAgencyRequest,
    /// The account does not share with that agency.
    AgencyNotConnected,
    /// Identity verification needs the person's agreement to the checks first.
    VerificationConsentRequired,
    /// That step of identity verification comes later (or nothing is being verified).
    VerificationStepOutOfOrder,
    /// The document-verification service could not read the images.
    DocumentUnreadable,
    DocumentExpired,
    /// The document failed a check (a security feature, say).
    DocumentFailed,
    /// The selfie does not match the photo on the document.
    SelfieMismatch,
    /// No person with these details was found (identity resolution).
    IdentityNotFound,
    /// An upload is not a JPEG or PNG image (or a test document where those are accepted).
    UnsupportedImage,
    ImageTooLarge {
        max_bytes: usize,
    },
    SsnInvalid,
    /// There is no verified identity waiting for the personal key.
    NothingToReactivate,
    /// IV-2: a ZIP code is five digits (or ZIP+4).
    ZipInvalid,
    /// IV-2: no participating Post Office near that ZIP code.
    NoPostOfficeNearby,
    /// IV-2: the Post Office chosen is not among those found.
    PostOfficeUnknown,
    /// IV-2: the details as on the ID are incomplete or malformed.
    IdDetailsInvalid,
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
            Self::InvalidPhone => "invalid_phone",
            Self::PasswordNotSet => "password_not_set",
            Self::SmsNotSupported => "sms_not_supported",
            Self::SmsOptedOut => "sms_opted_out",
            Self::PhoneUnreachable => "phone_unreachable",
            Self::NoCodeSent => "no_code_sent",
            Self::CodeWrong { .. } => "code_wrong",
            Self::CodeExpired => "code_expired",
            Self::CodeUsed => "code_used",
            Self::CodeSuperseded => "code_superseded",
            Self::PersonalKeyWrong { .. } => "personal_key_wrong",
            Self::CredentialsInvalid => "credentials_invalid",
            Self::CurrentPasswordWrong { .. } => "current_password_wrong",
            Self::NoAuthenticator => "no_authenticator",
            Self::AuthenticatorNotStarted => "authenticator_not_started",
            Self::NoChangeInProgress => "no_change_in_progress",
            Self::NoAgencyRequest => "no_agency_request",
            Self::AgencyNotConnected => "agency_not_connected",
            Self::VerificationConsentRequired => "verification_consent_required",
            Self::VerificationStepOutOfOrder => "verification_step_out_of_order",
            Self::DocumentUnreadable => "document_unreadable",
            Self::DocumentExpired => "document_expired",
            Self::DocumentFailed => "document_failed",
            Self::SelfieMismatch => "selfie_mismatch",
            Self::IdentityNotFound => "identity_not_found",
            Self::UnsupportedImage => "unsupported_image",
            Self::ImageTooLarge { .. } => "image_too_large",
            Self::SsnInvalid => "ssn_invalid",
            Self::NothingToReactivate => "nothing_to_reactivate",
            Self::ZipInvalid => "zip_invalid",
            Self::NoPostOfficeNearby => "no_post_office_nearby",
            Self::PostOfficeUnknown => "post_office_unknown",
            Self::IdDetailsInvalid => "id_details_invalid",
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
            Self::InvalidPhone => "Enter a phone number with its area code, like 202-555-0100 or +44 20 7183 8750.".into(),
            Self::PasswordNotSet => "Choose a password first.".into(),
            Self::SmsNotSupported => {
                "This number cannot receive text messages (it may be a landline). Choose a phone call instead.".into()
            }
            Self::SmsOptedOut => "This number has blocked our text messages. Choose a phone call instead.".into(),
            Self::PhoneUnreachable => {
                "This number cannot get text messages or phone calls. Enter a number that can.".into()
            }
            Self::NoCodeSent => "Ask for a security code first.".into(),
            Self::CodeWrong { remaining } => tries_left("That security code is not right.", remaining),
            Self::CodeExpired => "That security code has expired. Ask for a new one.".into(),
            Self::CodeUsed => "That security code has already been used. Ask for a new one.".into(),
            Self::CodeSuperseded => "We sent you a newer security code. Enter the newest one.".into(),
            Self::PersonalKeyWrong { remaining } => tries_left("That personal key is not right.", remaining),
            Self::CredentialsInvalid => "The email address or password is not right.".into(),
            Self::CurrentPasswordWrong { remaining } => tries_left("That is not your current password.", remaining),
            Self::NoAuthenticator => "This account has no authenticator app. Choose another way to sign in.".into(),
            Self::AuthenticatorNotStarted => "Start adding the authenticator app first.".into(),
            Self::NoChangeInProgress => "Start the change first.".into(),
            Self::NoAgencyRequest => "No agency is waiting for you to sign in. Start again from the agency's site.".into(),
            Self::AgencyNotConnected => "Your account does not share information with that agency.".into(),
            Self::VerificationConsentRequired => {
                "To verify your identity, first agree to have your ID and details checked.".into()
            }
            Self::VerificationStepOutOfOrder => "Start verifying your identity from the beginning.".into(),
            Self::DocumentUnreadable => {
                "We could not read your ID. Take new photos in good light, without glare, and try again.".into()
            }
            Self::DocumentExpired => "Your ID has expired. Use an ID that is still valid.".into(),
            Self::DocumentFailed => "We could not verify your ID. Try again with another ID.".into(),
            Self::SelfieMismatch => {
                "Your photo does not match the photo on your ID. Take a new photo of yourself and try again.".into()
            }
            Self::IdentityNotFound => {
                "We could not verify your details. Check them, and your Social Security number, and try again.".into()
            }
            Self::UnsupportedImage => "Upload a photo as a JPEG or PNG image.".into(),
            // The largest whole unit that does not round the limit up or to nothing.
            Self::ImageTooLarge { max_bytes } => match max_bytes {
                n if n >= 1024 * 1024 => format!("Each photo must be at most {} MB.", n / (1024 * 1024)),
                n if n >= 1024 => format!("Each photo must be at most {} KB.", n / 1024),
                n => format!("Each photo must be at most {n} bytes."),
            },
            Self::SsnInvalid => "Enter a Social Security number with nine digits, like 123-45-6789.".into(),
            Self::NothingToReactivate => "Your account has no verified identity waiting for your personal key.".into(),
            Self::ZipInvalid => "Enter a ZIP code with five digits, like 22150.".into(),
            Self::NoPostOfficeNearby => {
                "No participating Post Office is near that ZIP code. Try another ZIP code, or verify online.".into()
            }
            Self::PostOfficeUnknown => "Choose one of the Post Offices listed.".into(),
            Self::IdDetailsInvalid => {
                "Enter your name, date of birth (YYYY-MM-DD) and address exactly as they are on your ID.".into()
            }
        }
    }
}

fn tries_left(what: &str, remaining: u32) -> String {
    format!(
        "{what} {remaining} more wrong {} will sign you out.",
        if remaining == 1 { "try" } else { "tries" }
    )
}

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("refused: {}", .0.code())]
    Rejected(Reason),
    /// `wait_secs`: from now until `retry_at`, by the service's clock.
    #[error("too many requests; allowed again at {retry_at}")]
    RateLimited { retry_at: OffsetDateTime, wait_secs: u64 },
    /// Code and personal-key entry is locked for the account until `until`.
    #[error("locked until {until}")]
    Locked { until: OffsetDateTime },
    /// The person must sign in again; when this follows a lockout, until when it lasts.
    #[error("signed out")]
    SignedOut { locked_until: Option<OffsetDateTime> },
    #[error("could not deliver the message: {0}")]
    Delivery(String),
    /// An identity-proofing vendor failed; nothing was decided.
    #[error("identity verification is unavailable: {0}")]
    ProofingUnavailable(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        Self::Internal(error.into())
    }
}

pub type ServiceResult<T> = Result<T, ServiceError>;

pub(crate) fn rate_limited(retry_at: OffsetDateTime, now: OffsetDateTime) -> ServiceError {
    ServiceError::RateLimited {
        retry_at,
        wait_secs: u64::try_from((retry_at - now).whole_seconds()).unwrap_or(0),
    }
}

/// What one client address may do only so often (`[limits] per_client_*`).
#[derive(Clone, Copy, Debug)]
pub enum PerClient {
    /// Wrong passwords, whatever addresses they are for (password spraying).
    WrongPasswords,
    /// Emails asked for, whatever addresses they go to (mail bombing).
    Emails,
}

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
    /// The secret under which security codes are stored (see `rules::otp::digest`).
    pub code_key: Vec<u8>,
    /// A hash verified for unknown email addresses, so they take as long as known ones (made
    /// in the background: hashing at full cost would hold up start-up).
    pub dummy_password_hash: later::Later<String>,
    /// The key sealing secrets the service must read back (authenticator secrets).
    pub seal_key: [u8; 32],
    /// The identity-proofing vendors.
    pub proofing: crate::proofing::Proofing,
    /// The registered agencies (OpenID Connect clients).
    pub agencies: agency::Agencies,
    /// The keys that sign ID tokens.
    pub signing_keys: signing::SigningKeys,
    /// The key pairwise subject identifiers are derived under (AG-3).
    pub subject_key: [u8; 32],
    /// The key of lookup digests of contact data (email addresses in limiter keys).
    pub lookup_key: [u8; 32],
    /// Wakes the outbox worker when mail is queued.
    pub outbox: tokio::sync::Notify,
    /// What a broken test variant keeps in this instance's memory.
    #[cfg(feature = "fixtures")]
    pub instance_memory: crate::fixture::InstanceMemory,
}

impl Services {
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url)
    }

    /// A limiter key for `what` about an email address, without the address in it.
    pub fn address_key(&self, what: &str, address: &str) -> String {
        format!("{what}:{}", crate::rules::tokens::keyed_digest(&self.lookup_key, address))
    }

    /// The limiter key and limit for `what` one client address may do, or `None` when that
    /// limit is off (the default) or the address is unknown. The address is kept as a keyed
    /// digest, like email addresses.
    pub fn per_client(&self, client: Option<IpAddr>, what: PerClient) -> Option<(String, u32, u64)> {
        let limits = &self.config.limits;
        let (name, limit) = match what {
            PerClient::WrongPasswords => ("client-wrong-password", limits.per_client_wrong_passwords),
            PerClient::Emails => ("client-email", limits.per_client_emails),
        };
        let client = client.filter(|_| limit > 0)?;
        let key =
            format!("{name}:{}", crate::rules::tokens::keyed_digest(&self.lookup_key, &client.to_string()));
        Some((key, limit, limits.per_client_window_secs))
    }

    /// Refuses when `key` already has `limit` events in the window (nothing is recorded).
    pub async fn check_limit(
        &self,
        key: &str,
        limit: u32,
        window_secs: u64,
        now: OffsetDateTime,
    ) -> ServiceResult<()> {
        let window = secs(window_secs);
        // `throttle::admit` decides from the newest `limit` events; older ones cannot matter.
        let earlier = self.store.recent_events(key, now, window, limit).await?;
        throttle::admit(&earlier, now, limit, window).map_err(|retry_at| rate_limited(retry_at, now))
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
        #[cfg(feature = "fixtures")]
        if broken!(self, CodeRequestsCountedPerInstance if key.starts_with("code-request:")) {
            return self
                .instance_memory
                .admit(key, now, limit, window)
                .map_err(|retry_at| rate_limited(retry_at, now));
        }
        self.store
            .admit_event(key, now, window, limit, |earlier| {
                let admitted = throttle::admit(earlier, now, limit, window);
                #[cfg(feature = "fixtures")]
                if broken!(self, RetryAtFromLatestRequest if key.starts_with("code-request:")) {
                    return admitted
                        .map_err(|first| crate::fixture::retry_at_from_latest(earlier, window, first));
                }
                admitted
            })
            .await?
            .map_err(|retry_at| rate_limited(retry_at, now))
    }
}
