//! Changes to a signed-in account, each guarded by the current password (ST-*).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use super::{ApiJson, answer, ending_session_on_sign_out};
use crate::http::AppState;
use crate::http::error::{ApiError, accepted};
use crate::http::reauth::reauthenticate;
use crate::http::session::Session;
use crate::service::mfa::Delivery;
use crate::service::{Reason, ServiceError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account/password", post(change_password))
        .route("/account/email", post(change_email))
        .route("/account/email/confirm", post(confirm_email))
        .route("/account/phone", post(change_phone))
        .route("/account/phone/confirm", post(confirm_phone))
        .route("/account/authenticator", post(add_authenticator))
        .route("/account/authenticator/confirm", post(confirm_authenticator))
}

type ApiResult = Result<Response, ApiError>;

fn signed_out() -> ApiError {
    ServiceError::SignedOut { locked_until: None }.into()
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangePassword {
    current_password: String,
    new_password: String,
}

#[utoipa::path(post, path = "/api/v1/account/password", operation_id = "settings_change_password", tag = "settings", request_body = ChangePassword, responses(answer::Answers))]
pub(super) async fn change_password(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<ChangePassword>,
) -> ApiResult {
    let account_id = reauthenticate(&app, &session, &body.current_password).await.map_err(ApiError::from)?;
    app.services.change_password(account_id, &body.current_password, &body.new_password).await?;
    Ok(accepted(json!({ "next": "account" })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangeEmail {
    current_password: String,
    email: String,
}

#[utoipa::path(post, path = "/api/v1/account/email", operation_id = "settings_change_email", tag = "settings", request_body = ChangeEmail, responses(answer::Answers))]
pub(super) async fn change_email(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<ChangeEmail>,
) -> ApiResult {
    let account_id = if crate::service::broken!(app.services, EmailChangeUnguarded) {
        session.state().account_id.ok_or_else(signed_out)?
    } else {
        reauthenticate(&app, &session, &body.current_password).await.map_err(ApiError::from)?
    };
    app.services.request_email_change(account_id, &body.email).await?;
    Ok(accepted(json!({ "next": "confirm_new_email" })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Token {
    token: String,
}

#[utoipa::path(post, path = "/api/v1/account/email/confirm", operation_id = "settings_confirm_email", tag = "settings", request_body = Token, responses(answer::Answers))]
pub(super) async fn confirm_email(State(app): State<AppState>, ApiJson(body): ApiJson<Token>) -> ApiResult {
    let email = app.services.confirm_email_change(&body.token).await?;
    Ok(accepted(json!({ "email": email })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct ChangePhone {
    current_password: String,
    phone: String,
    delivery: Delivery,
}

#[utoipa::path(post, path = "/api/v1/account/phone", operation_id = "settings_change_phone", tag = "settings", request_body = ChangePhone, responses(answer::Answers))]
pub(super) async fn change_phone(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<ChangePhone>,
) -> ApiResult {
    let account_id = if crate::service::broken!(app.services, PhoneChangeUnguarded) {
        session.state().account_id.ok_or_else(signed_out)?
    } else {
        reauthenticate(&app, &session, &body.current_password).await.map_err(ApiError::from)?
    };
    let number = app.services.start_phone_change(account_id, &body.phone, body.delivery).await?;
    session.update(|s| s.pending_new_phone = Some(number));
    Ok(accepted(json!({ "next": "confirm_phone" })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Code {
    code: String,
}

#[utoipa::path(post, path = "/api/v1/account/phone/confirm", operation_id = "settings_confirm_phone", tag = "settings", request_body = Code, responses(answer::Answers))]
pub(super) async fn confirm_phone(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<Code>,
) -> ApiResult {
    let state = session.state();
    let account_id = state.account_id.ok_or_else(signed_out)?;
    state.pending_new_phone.ok_or(ServiceError::Rejected(Reason::NoChangeInProgress))?;
    let result = app.services.confirm_phone_change(account_id, &body.code).await;
    ending_session_on_sign_out(&session, result).await?;
    session.update(|s| s.pending_new_phone = None);
    Ok(accepted(json!({ "next": "account" })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct CurrentPassword {
    current_password: String,
}

/// Shows the secret and `otpauth://` URI to enroll; nothing is kept until confirmed.
#[utoipa::path(post, path = "/api/v1/account/authenticator", operation_id = "settings_add_authenticator", tag = "settings", request_body = CurrentPassword, responses(answer::Answers))]
pub(super) async fn add_authenticator(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<CurrentPassword>,
) -> ApiResult {
    let account_id = reauthenticate(&app, &session, &body.current_password).await.map_err(ApiError::from)?;
    let (sealed, secret, uri) = app.services.start_authenticator(account_id).await?;
    session.update(|s| s.pending_authenticator = Some(sealed));
    Ok(accepted(json!({ "secret": secret, "otpauth_uri": uri, "next": "confirm_authenticator" })))
}

#[utoipa::path(post, path = "/api/v1/account/authenticator/confirm", operation_id = "settings_confirm_authenticator", tag = "settings", request_body = Code, responses(answer::Answers))]
pub(super) async fn confirm_authenticator(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<Code>,
) -> ApiResult {
    let state = session.state();
    let account_id = state.account_id.ok_or_else(signed_out)?;
    let sealed =
        state.pending_authenticator.ok_or(ServiceError::Rejected(Reason::AuthenticatorNotStarted))?;
    app.services.confirm_authenticator(account_id, &sealed, &body.code).await?;
    session.update(|s| s.pending_authenticator = None);
    Ok(accepted(json!({ "next": "account" })))
}
