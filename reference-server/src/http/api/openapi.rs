//! The API's OpenAPI document, generated from the handlers. A copy is committed as
//! `reference-server/openapi.json`; a test fails when the two differ.

use utoipa::OpenApi;

use super::answer::{Answer, OutcomeKind, ReasonCode};
use super::{account, agency, recovery, settings, signin, signup, verification};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sign-in service API",
        version = "1",
        description = "Every flow of the web pages as JSON, over the same services and the same cookie session. \
                       Answers carry a typed `outcome`; refusals a stable `reason`."
    ),
    paths(
        signup::start,
        signup::resend,
        signup::confirm,
        signup::choose_password,
        signup::strength,
        signup::report_misuse,
        account::add_phone,
        account::resend,
        account::confirm,
        account::account,
        signin::sign_in,
        signin::send_code,
        signin::enter_code,
        signin::personal_key,
        signin::authenticator,
        signin::sign_out,
        recovery::forgot,
        recovery::reset,
        settings::change_password,
        settings::change_email,
        settings::confirm_email,
        settings::change_phone,
        settings::confirm_phone,
        settings::add_authenticator,
        settings::confirm_authenticator,
        agency::authorize,
        agency::continue_request,
        agency::consent,
        agency::agencies,
        agency::revoke,
        agency::logout,
        verification::status,
        verification::consent,
        verification::documents,
        verification::post_offices,
        verification::choose_post_office,
        verification::id_details,
        verification::ssn,
        verification::password,
        verification::reactivate,
    ),
    components(schemas(Answer, OutcomeKind, ReasonCode))
)]
pub struct ApiDoc;

pub async fn document() -> axum::Json<utoipa::openapi::OpenApi> {
    axum::Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Reason;

    /// The codes the document lists.
    fn documented() -> Vec<String> {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("serializable");
        doc["components"]["schemas"]["ReasonCode"]["enum"]
            .as_array()
            .expect("ReasonCode is an enum")
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn every_refusal_reason_is_documented() {
        // Adding a Reason without listing it here fails to compile (no wildcard arm).
        let every = [
            Reason::InvalidEmail,
            Reason::NoSignUpInProgress,
            Reason::EmailNotConfirmed,
            Reason::LinkInvalid,
            Reason::LinkExpired,
            Reason::LinkUsed,
            Reason::LinkSuperseded,
            Reason::AlreadyRegistered,
            Reason::PasswordTooShort { min: 8 },
            Reason::PasswordTooLong { max: 64 },
            Reason::PasswordCommon,
            Reason::PasswordControlCharacters,
            Reason::InvalidPhone,
            Reason::PasswordNotSet,
            Reason::SmsNotSupported,
            Reason::SmsOptedOut,
            Reason::PhoneUnreachable,
            Reason::NoCodeSent,
            Reason::CodeWrong { remaining: 1 },
            Reason::CodeExpired,
            Reason::CodeUsed,
            Reason::CodeSuperseded,
            Reason::PersonalKeyWrong { remaining: 1 },
            Reason::CredentialsInvalid,
            Reason::CurrentPasswordWrong { remaining: 1 },
            Reason::NoAuthenticator,
            Reason::AuthenticatorNotStarted,
            Reason::NoChangeInProgress,
            Reason::NoAgencyRequest,
            Reason::AgencyNotConnected,
            Reason::VerificationConsentRequired,
            Reason::VerificationStepOutOfOrder,
            Reason::DocumentUnreadable,
            Reason::DocumentExpired,
            Reason::DocumentFailed,
            Reason::SelfieMismatch,
            Reason::IdentityNotFound,
            Reason::UnsupportedImage,
            Reason::ImageTooLarge { max_bytes: 1 },
            Reason::SsnInvalid,
            Reason::NothingToReactivate,
            Reason::ZipInvalid,
            Reason::NoPostOfficeNearby,
            Reason::PostOfficeUnknown,
            Reason::IdDetailsInvalid,
        ];
        for reason in every {
            match reason {
                Reason::InvalidEmail
                | Reason::NoSignUpInProgress
                | Reason::EmailNotConfirmed
                | Reason::LinkInvalid
                | Reason::LinkExpired
                | Reason::LinkUsed
                | Reason::LinkSuperseded
                | Reason::AlreadyRegistered
                | Reason::PasswordTooShort { .. }
                | Reason::PasswordTooLong { .. }
                | Reason::PasswordCommon
                | Reason::PasswordControlCharacters
                | Reason::InvalidPhone
                | Reason::PasswordNotSet
                | Reason::SmsNotSupported
                | Reason::SmsOptedOut
                | Reason::PhoneUnreachable
                | Reason::NoCodeSent
                | Reason::CodeWrong { .. }
                | Reason::CodeExpired
                | Reason::CodeUsed
                | Reason::CodeSuperseded
                | Reason::PersonalKeyWrong { .. }
                | Reason::CredentialsInvalid
                | Reason::CurrentPasswordWrong { .. }
                | Reason::NoAuthenticator
                | Reason::AuthenticatorNotStarted
                | Reason::NoChangeInProgress
                | Reason::NoAgencyRequest
                | Reason::AgencyNotConnected
                | Reason::VerificationConsentRequired
                | Reason::VerificationStepOutOfOrder
                | Reason::DocumentUnreadable
                | Reason::DocumentExpired
                | Reason::DocumentFailed
                | Reason::SelfieMismatch
                | Reason::IdentityNotFound
                | Reason::UnsupportedImage
                | Reason::ImageTooLarge { .. }
                | Reason::SsnInvalid
                | Reason::NothingToReactivate
                | Reason::ZipInvalid
                | Reason::NoPostOfficeNearby
                | Reason::PostOfficeUnknown
                | Reason::IdDetailsInvalid => {}
            }
            assert!(
                documented().contains(&reason.code().to_owned()),
                "{} is not in ReasonCode",
                reason.code()
            );
        }
    }
}
