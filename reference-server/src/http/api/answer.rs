//! The shape of every JSON API answer, documented for the OpenAPI document: the typed
//! `outcome`, the fields that go with it, the reason codes, the statuses.

use serde::Serialize;
use utoipa::{IntoResponses, ToSchema};

/// Every answer's shape: `outcome` says what happened; the other fields depend on it.
#[derive(Serialize, ToSchema)]
pub struct Answer {
    pub outcome: OutcomeKind,
    /// For `accepted`: the next step (`confirm_email`, `choose_password`, `add_phone`,
    /// `second_factor`, `enter_code`, `save_personal_key`, `account`, `sign_in`, …).
    pub next: Option<String>,
    /// For `rejected` and `invalid_request`: a stable code, e.g. `password_too_short`,
    /// `link_expired`, `code_wrong`, `credentials_invalid`.
    #[schema(value_type = Option<ReasonCode>)]
    pub reason: Option<String>,
    /// Words for the person.
    pub message: Option<String>,
    /// For `rate_limited`: when a request will be allowed again (RFC 3339).
    pub retry_at: Option<String>,
    /// For `locked`: when code and personal-key entry opens again (RFC 3339).
    pub until: Option<String>,
    /// For `signed_out` after too many wrong entries: when the lockout ends (RFC 3339).
    pub locked_until: Option<String>,
    /// A personal key, shown this once.
    pub personal_key: Option<String>,
    /// Second factors offered after the password.
    pub options: Option<Vec<String>>,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Authenticator enrollment: the secret in base32 and the `otpauth://` URI.
    pub secret: Option<String>,
    pub otpauth_uri: Option<String>,
    /// Agency sign-in, with `next` = `redirect`: the agency's redirect URI carrying a `code`
    /// and `state`, or an `error`.
    pub redirect_to: Option<String>,
    /// Agency sign-in, with `next` = `consent`: the agency's name and what it would receive.
    pub agency: Option<String>,
    pub attributes: Option<Vec<String>>,
    /// The agencies this account shares with.
    pub agencies: Option<Vec<crate::service::agency::ConnectedAgency>>,
    /// The reference acknowledging a report of misuse (SU-7).
    pub reference: Option<String>,
    /// Identity verification: `unverified`, `verified` or `needs_personal_key`.
    pub status: Option<String>,
    pub verified_at: Option<String>,
    /// Identity verification: the details read from the document, to review.
    #[schema(value_type = Option<Object>)]
    pub document: Option<serde_json::Value>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    Accepted,
    Rejected,
    RateLimited,
    Locked,
    SignedOut,
    InvalidRequest,
    DeliveryFailed,
    /// An identity-proofing vendor failed; try again later.
    Unavailable,
    InternalError,
}

/// Every reason an answer can carry: a rule's refusal (`rejected`) or why a request is
/// malformed or cannot be used (`invalid_request`). Clients may rely on the set.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)] // documents the codes; answers carry them as text
pub enum ReasonCode {
    // rejected
    InvalidEmail,
    NoSignUpInProgress,
    EmailNotConfirmed,
    LinkInvalid,
    LinkExpired,
    LinkUsed,
    LinkSuperseded,
    AlreadyRegistered,
    PasswordTooShort,
    PasswordTooLong,
    PasswordCommon,
    PasswordControlCharacters,
    InvalidPhone,
    PasswordNotSet,
    SmsNotSupported,
    SmsOptedOut,
    PhoneUnreachable,
    NoCodeSent,
    CodeWrong,
    CodeExpired,
    CodeUsed,
    CodeSuperseded,
    PersonalKeyWrong,
    CredentialsInvalid,
    CurrentPasswordWrong,
    NoAuthenticator,
    AuthenticatorNotStarted,
    NoChangeInProgress,
    NoAgencyRequest,
    AgencyNotConnected,
    VerificationConsentRequired,
    VerificationStepOutOfOrder,
    DocumentUnreadable,
    DocumentExpired,
    DocumentFailed,
    SelfieMismatch,
    IdentityNotFound,
    UnsupportedImage,
    ImageTooLarge,
    SsnInvalid,
    NothingToReactivate,
    ZipInvalid,
    NoPostOfficeNearby,
    PostOfficeUnknown,
    IdDetailsInvalid,
    // unavailable
    ProofingUnavailable,
    // invalid_request
    MissingImage,
    UploadHeaderMissing,
    BodyTooLarge,
    JsonContentTypeRequired,
    MalformedJson,
    InvalidFields,
    UnreadableBody,
    ClientIdMissing,
    RedirectUriMissing,
    RedirectUriNotRegistered,
    PostLogoutRedirectUriNotRegistered,
    UnknownClient,
}

/// The statuses every operation may answer with.
#[derive(IntoResponses)]
#[allow(dead_code)] // documents responses; the handlers build them through `http::error`
pub enum Answers {
    /// `accepted`
    #[response(status = 200)]
    Accepted(Answer),
    /// `invalid_request`: malformed JSON, missing or unknown fields
    #[response(status = 400)]
    Invalid(Answer),
    /// `signed_out`: sign in first (or again)
    #[response(status = 401)]
    SignedOut(Answer),
    /// `invalid_request`: the body is larger than 16 KiB
    #[response(status = 413)]
    TooLarge(Answer),
    /// `invalid_request`: the body must be `application/json`
    #[response(status = 415)]
    NotJson(Answer),
    /// `rejected` by a rule, with a `reason`
    #[response(status = 422)]
    Rejected(Answer),
    /// `locked`: code and personal-key entry is locked `until`
    #[response(status = 423)]
    Locked(Answer),
    /// `rate_limited`: allowed again at `retry_at` (also in `Retry-After`)
    #[response(status = 429)]
    RateLimited(Answer),
    /// `delivery_failed`: the email, text or call could not be sent
    #[response(status = 502)]
    DeliveryFailed(Answer),
    /// `unavailable`: an identity-proofing vendor failed
    #[response(status = 503)]
    Unavailable(Answer),
}
