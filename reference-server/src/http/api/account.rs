//! The signed-in account, and the sign-up steps that complete it (phone and personal key).

use crate::domain::Phone;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{ApiJson, answer, ending_session_on_sign_out};
use crate::http::AppState;
use crate::http::error::{ApiError, accepted};
use crate::http::session::Session;
use crate::http::signed_in::{Api, NewAccount, SignedIn};
use crate::service::mfa::Delivery;
use crate::service::{Reason, ServiceError};
use crate::store::CodePurpose;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-up/phone", post(add_phone))
        .route("/sign-up/phone/resend", post(resend))
        .route("/sign-up/phone/confirm", post(confirm))
        .route("/account", get(account))
}

type ApiResult = Result<Response, ApiError>;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct AddPhone {
    phone: String,
    delivery: Delivery,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Resend {
    delivery: Delivery,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Confirm {
    code: String,
}

fn password_not_set() -> ApiError {
    ServiceError::Rejected(Reason::PasswordNotSet).into()
}

/// Sends a code to the phone being added; a different number replaces it (PH-5).
#[utoipa::path(post, path = "/api/v1/sign-up/phone", operation_id = "account_add_phone", tag = "sign-up", request_body = AddPhone, responses(answer::Answers))]
pub(super) async fn add_phone(
    State(app): State<AppState>,
    session: Session,
    NewAccount(account_id, _): NewAccount<Api>,
    ApiJson(body): ApiJson<AddPhone>,
) -> ApiResult {
    let number = Phone::parse(&body.phone).map_err(|_| ServiceError::Rejected(Reason::InvalidPhone))?;
    if crate::service::broken!(
        app.services,
        FirstSignUpNumberSticks if session.state().pending_phone.is_some_and(|first| first != number)
    ) {
        return Err(ServiceError::Rejected(Reason::InvalidPhone).into());
    }
    app.services.send_code(account_id, CodePurpose::ConfirmPhone, &number, body.delivery).await?;
    session.update(|s| s.pending_phone = Some(number));
    Ok(accepted(json!({ "next": "confirm_phone" })))
}

#[utoipa::path(post, path = "/api/v1/sign-up/phone/resend", operation_id = "account_resend", tag = "sign-up", request_body = Resend, responses(answer::Answers))]
pub(super) async fn resend(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<Resend>,
) -> ApiResult {
    let state = session.state();
    let account_id = state.new_account.ok_or_else(password_not_set)?;
    let number = state.pending_phone.ok_or(ServiceError::Rejected(Reason::NoCodeSent))?;
    app.services.send_code(account_id, CodePurpose::ConfirmPhone, &number, body.delivery).await?;
    Ok(accepted(json!({ "next": "confirm_phone" })))
}

/// Confirms the phone; the answer carries the personal key, shown this once (PK-1).
#[utoipa::path(post, path = "/api/v1/sign-up/phone/confirm", operation_id = "account_confirm", tag = "sign-up", request_body = Confirm, responses(answer::Answers))]
pub(super) async fn confirm(
    State(app): State<AppState>,
    session: Session,
    NewAccount(account_id, _): NewAccount<Api>,
    ApiJson(body): ApiJson<Confirm>,
) -> ApiResult {
    let result = app.services.confirm_phone(account_id, &body.code).await;
    let key = ending_session_on_sign_out(&session, result).await?;
    session.sign_in(account_id, app.services.clock.now());
    Ok(accepted(json!({ "personal_key": key, "next": "save_personal_key" })))
}

#[utoipa::path(
    get,
    path = "/api/v1/account",
    operation_id = "account_account",
    tag = "sign-up",
    responses(answer::Answers)
)]
pub(super) async fn account(
    State(app): State<AppState>,
    SignedIn(account_id, _): SignedIn<Api>,
) -> ApiResult {
    let signed_out = || ApiError::from(ServiceError::SignedOut { locked_until: None });
    let account =
        app.services.store.account(account_id).await.map_err(ServiceError::from)?.ok_or_else(signed_out)?;
    Ok(accepted(json!({ "email": account.email, "phone": account.phone })))
}
