//! Identity verification (IV-1), as JSON: agree, upload the ID and selfie (multipart), enter
//! the SSN, enter the password for a new personal key; in person (IV-2): agree, find and choose
//! a Post Office, enter the details on the ID, then the SSN and password as online; and
//! reactivation with the personal key after a reset (PR-4).

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{ApiJson, answer};
use crate::http::AppState;
use crate::http::error::{ApiError, accepted};
use crate::http::identity::{read_images, upload_limit};
use crate::http::reauth::reauthenticate;
use crate::http::refusal::{Refusal, rfc3339};
use crate::http::session::Session;
use crate::http::signed_in::{Api, SignedIn};
use crate::proofing::Identity;
use crate::service::identity::{InPerson, VerificationStatus};
use crate::service::in_person::IdDetails;
use crate::service::{Reason, ServiceError};

/// The header an upload must carry: a custom header, which another site's page cannot send
/// without a CORS preflight this server never grants (a form could send multipart otherwise).
pub const UPLOAD_HEADER: &str = "x-requested-with";

pub fn routes(app: &AppState) -> Router<AppState> {
    Router::new()
        .route("/verification", get(status))
        .route("/verification/consent", post(consent))
        .route("/verification/documents", post(documents).layer(DefaultBodyLimit::max(upload_limit(app))))
        .route("/verification/in-person/post-offices", post(post_offices))
        .route("/verification/in-person/post-office", post(choose_post_office))
        .route("/verification/in-person/details", post(id_details))
        .route("/verification/ssn", post(ssn))
        .route("/verification/password", post(password))
        .route("/verification/reactivate", post(reactivate))
}

type ApiResult = Result<Response, ApiError>;

/// What the person reviews: the details read from the document (and whether an SSN was given).
fn review(identity: &Identity) -> serde_json::Value {
    json!({
        "given_name": identity.given_name,
        "family_name": identity.family_name,
        "birthdate": identity.birthdate,
        "address": identity.address,
        "ssn_entered": identity.social_security_number.is_some(),
    })
}

/// An enrollment at a Post Office, as the person sees it.
fn enrollment(p: &InPerson) -> serde_json::Value {
    json!({ "enrollment_code": p.enrollment_code, "deadline": rfc3339(p.deadline), "post_office": p.post_office })
}

/// Where the account stands: `unverified`, `verified` (with `verified_at`),
/// `needs_personal_key` (after a reset), `in_person_pending` (with the `enrollment`),
/// `in_person_failed` or `in_person_expired` (with `decided_at`).
#[utoipa::path(
    get,
    path = "/api/v1/verification",
    operation_id = "verification_status",
    tag = "identity verification",
    responses(answer::Answers)
)]
pub(super) async fn status(State(app): State<AppState>, SignedIn(account_id, _): SignedIn<Api>) -> ApiResult {
    let status = app.services.verification_status(account_id).await?;
    let mut body = json!({ "status": status.code() });
    match &status {
        VerificationStatus::Verified { at } => body["verified_at"] = json!(rfc3339(*at)),
        VerificationStatus::InPersonPending(p) => body["enrollment"] = enrollment(p),
        VerificationStatus::InPersonFailed { at } | VerificationStatus::InPersonExpired { at } => {
            body["decided_at"] = json!(rfc3339(*at));
        }
        VerificationStatus::Unverified | VerificationStatus::NeedsPersonalKey => {}
    }
    Ok(accepted(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Consent {
    /// The person agrees to have their ID, photo and details checked.
    agree: bool,
}

#[utoipa::path(post, path = "/api/v1/verification/consent", operation_id = "verification_consent", tag = "identity verification", request_body = Consent, responses(answer::Answers))]
pub(super) async fn consent(
    State(app): State<AppState>,
    session: Session,
    _signed_in: SignedIn<Api>,
    ApiJson(body): ApiJson<Consent>,
) -> ApiResult {
    let progress = app.services.agree_to_verification(body.agree)?;
    session.update_vault(|v| v.verification = Some(progress));
    Ok(accepted(json!({ "next": "upload_documents" })))
}

/// `multipart/form-data` with the images `front`, `back` and `selfie` (JPEG or PNG), and the
/// header `X-Requested-With`. The images go to the document-verification service and are not
/// kept; the answer shows what the document says, to review.
#[utoipa::path(
    post,
    path = "/api/v1/verification/documents",
    operation_id = "verification_documents",
    tag = "identity verification",
    responses(answer::Answers)
)]
pub(super) async fn documents(
    State(app): State<AppState>,
    session: Session,
    SignedIn(account_id, _): SignedIn<Api>,
    headers: HeaderMap,
    form: Multipart,
) -> Response {
    if !headers.contains_key(UPLOAD_HEADER) {
        return Refusal::invalid(
            StatusCode::BAD_REQUEST,
            "upload_header_missing",
            "Uploads need the X-Requested-With header (any value).",
        )
        .into_api_response();
    }
    let (images, _) = match read_images(&app, form).await {
        Ok(read) => read,
        Err(refusal) => return refusal.into_api_response(),
    };
    let mut progress = session.vault().verification.unwrap_or_default();
    let result = app.services.check_documents(account_id, &mut progress, images).await;
    session.update_vault(|v| v.verification = Some(progress));
    match result {
        Ok(identity) => accepted(json!({ "next": "enter_ssn", "document": review(&identity) })),
        Err(error) => ApiError::from(error).into_response(),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Zip {
    /// Five digits (or ZIP+4).
    zip: String,
}

/// In person (IV-2), after agreeing: the participating Post Offices near a ZIP code.
#[utoipa::path(post, path = "/api/v1/verification/in-person/post-offices", operation_id = "verification_post_offices", tag = "identity verification", request_body = Zip, responses(answer::Answers))]
pub(super) async fn post_offices(
    State(app): State<AppState>,
    session: Session,
    _signed_in: SignedIn<Api>,
    ApiJson(body): ApiJson<Zip>,
) -> ApiResult {
    let mut progress = session.vault().verification.unwrap_or_default();
    let result = app.services.find_post_offices(&mut progress, &body.zip).await;
    session.update_vault(|v| v.verification = Some(progress));
    Ok(accepted(json!({ "next": "choose_post_office", "post_offices": result? })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Choice {
    /// The Post Office's place in the list found, from 0.
    post_office: usize,
}

#[utoipa::path(post, path = "/api/v1/verification/in-person/post-office", operation_id = "verification_choose_post_office", tag = "identity verification", request_body = Choice, responses(answer::Answers))]
pub(super) async fn choose_post_office(
    State(app): State<AppState>,
    session: Session,
    _signed_in: SignedIn<Api>,
    ApiJson(body): ApiJson<Choice>,
) -> ApiResult {
    let mut progress = session.vault().verification.unwrap_or_default();
    let office = app.services.choose_post_office(&mut progress, body.post_office)?;
    session.update_vault(|v| v.verification = Some(progress));
    Ok(accepted(json!({ "next": "enter_id_details", "post_office": office })))
}

/// The details exactly as on the ID the person will bring.
#[utoipa::path(post, path = "/api/v1/verification/in-person/details", operation_id = "verification_id_details", tag = "identity verification", request_body = IdDetails, responses(answer::Answers))]
pub(super) async fn id_details(
    State(app): State<AppState>,
    session: Session,
    _signed_in: SignedIn<Api>,
    ApiJson(body): ApiJson<IdDetails>,
) -> ApiResult {
    let mut progress = session.vault().verification.unwrap_or_default();
    let identity = app.services.enter_id_details(&mut progress, body)?;
    session.update_vault(|v| v.verification = Some(progress));
    Ok(accepted(json!({ "next": "enter_ssn", "document": review(&identity) })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Ssn {
    ssn: String,
}

#[utoipa::path(post, path = "/api/v1/verification/ssn", operation_id = "verification_ssn", tag = "identity verification", request_body = Ssn, responses(answer::Answers))]
pub(super) async fn ssn(
    State(app): State<AppState>,
    session: Session,
    SignedIn(account_id, _): SignedIn<Api>,
    ApiJson(body): ApiJson<Ssn>,
) -> ApiResult {
    let mut progress = session.vault().verification.unwrap_or_default();
    let result = app.services.check_ssn(account_id, &mut progress, &body.ssn).await;
    let identity = progress.identity.clone();
    session.update_vault(|v| v.verification = Some(progress));
    result?;
    let identity = identity.ok_or(ServiceError::Rejected(Reason::VerificationStepOutOfOrder))?;
    Ok(accepted(json!({ "next": "confirm_password", "document": review(&identity) })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Password {
    password: String,
}

/// The password seals what was verified (PV-2); a new personal key is shown this once. In
/// person, the answer carries the `enrollment` (code, deadline, Post Office).
#[utoipa::path(post, path = "/api/v1/verification/password", operation_id = "verification_password", tag = "identity verification", request_body = Password, responses(answer::Answers))]
pub(super) async fn password(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<Password>,
) -> ApiResult {
    let progress = session.vault().verification.unwrap_or_default();
    let account_id = reauthenticate(&app, &session, &body.password).await.map_err(ApiError::from)?;
    let finished = app.services.finish_verification(account_id, &progress, &body.password).await?;
    session.update_vault(|v| {
        v.verification = None;
        v.identity_key = Some(finished.data_key);
    });
    let mut body = json!({ "next": "save_personal_key", "personal_key": finished.personal_key });
    if let Some(p) = &finished.in_person {
        body["enrollment"] = enrollment(p);
    }
    Ok(accepted(body))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Reactivate {
    personal_key: String,
    password: String,
}

/// After a reset: the personal key restores the verified identity (PR-4); a new key is shown.
#[utoipa::path(post, path = "/api/v1/verification/reactivate", operation_id = "verification_reactivate", tag = "identity verification", request_body = Reactivate, responses(answer::Answers))]
pub(super) async fn reactivate(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<Reactivate>,
) -> ApiResult {
    let account_id = reauthenticate(&app, &session, &body.password).await.map_err(ApiError::from)?;
    let result = app.services.reactivate_identity(account_id, &body.personal_key, &body.password).await;
    let (personal_key, data_key) = super::ending_session_on_sign_out(&session, result).await?;
    session.update_vault(|v| v.identity_key = Some(data_key));
    Ok(accepted(json!({ "next": "save_personal_key", "personal_key": personal_key })))
}
