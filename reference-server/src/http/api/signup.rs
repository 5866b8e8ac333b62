use crate::http::client::Client;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::{ApiJson, answer};
use crate::http::AppState;
use crate::http::error::{ApiError, accepted};
use crate::http::session::{Session, SignUpProgress};
use crate::rules::password;
use crate::service::{Reason, ServiceError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-up", post(start))
        .route("/sign-up/resend", post(resend))
        .route("/sign-up/confirm", post(confirm))
        .route("/sign-up/password", post(choose_password))
        .route("/password/strength", post(strength))
        .route("/misuse-reports", post(report_misuse))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EmailBody {
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct TokenBody {
    token: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PasswordBody {
    password: String,
}

type ApiResult = Result<Response, ApiError>;

/// The same answer whether or not the address has an account (SU-5).
#[utoipa::path(post, path = "/api/v1/sign-up", operation_id = "signup_start", tag = "sign-up", request_body = EmailBody, responses(answer::Answers))]
pub(super) async fn start(
    State(app): State<AppState>,
    Client(client): Client,
    session: Session,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult {
    let email = app.services.start_sign_up(client, &body.email).await?;
    session.update(|s| s.sign_up = Some(SignUpProgress { email, confirmed: false }));
    Ok(accepted(json!({ "next": "confirm_email" })))
}

#[utoipa::path(
    post,
    path = "/api/v1/sign-up/resend",
    operation_id = "signup_resend",
    tag = "sign-up",
    responses(answer::Answers)
)]
pub(super) async fn resend(
    State(app): State<AppState>,
    Client(client): Client,
    session: Session,
) -> ApiResult {
    let Some(progress) = session.state().sign_up.filter(|p| !p.confirmed) else {
        return Err(ServiceError::Rejected(Reason::NoSignUpInProgress).into());
    };
    app.services.resend_confirmation(client, &progress.email).await?;
    Ok(accepted(json!({ "next": "confirm_email" })))
}

/// SU-7: the token of the link in the notice of a sign-up attempt; the answer's `reference`
/// acknowledges the report (the same link reported again gets the same reference).
#[utoipa::path(post, path = "/api/v1/misuse-reports", operation_id = "signup_report_misuse", tag = "sign-up", request_body = TokenBody, responses(answer::Answers))]
pub(super) async fn report_misuse(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult {
    let reference = app.services.report_misuse(&body.token).await?;
    Ok(accepted(json!({ "reference": reference, "next": "done" })))
}

#[utoipa::path(post, path = "/api/v1/sign-up/confirm", operation_id = "signup_confirm", tag = "sign-up", request_body = TokenBody, responses(answer::Answers))]
pub(super) async fn confirm(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult {
    let email = app.services.confirm_sign_up(&body.token).await?;
    session.update(|s| s.sign_up = Some(SignUpProgress { email: email.clone(), confirmed: true }));
    Ok(accepted(json!({ "email": email, "next": "choose_password" })))
}

#[utoipa::path(post, path = "/api/v1/sign-up/password", operation_id = "signup_choose_password", tag = "sign-up", request_body = PasswordBody, responses(answer::Answers))]
pub(super) async fn choose_password(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<PasswordBody>,
) -> ApiResult {
    let Some(progress) = session.state().sign_up.filter(|p| p.confirmed) else {
        return Err(ServiceError::Rejected(Reason::EmailNotConfirmed).into());
    };
    let account = app.services.create_account(&progress.email, &body.password).await?;
    session.update(|s| {
        s.sign_up = None;
        s.new_account = Some(account);
    });
    session.rotate();
    Ok(accepted(json!({ "next": "add_phone" })))
}

/// Strength-meter guidance (PW-2): never a rule, and nothing is stored.
#[utoipa::path(post, path = "/api/v1/password/strength", operation_id = "signup_strength", tag = "sign-up", request_body = PasswordBody, responses((status = 200, description = "strength guidance", body = crate::rules::password::Strength), (status = 400, description = "invalid_request", body = answer::Answer), (status = 413, description = "invalid_request: body_too_large", body = answer::Answer), (status = 415, description = "invalid_request: json_content_type_required", body = answer::Answer)))]
pub(super) async fn strength(
    session: Session,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Json<password::Strength> {
    let email = session.state().sign_up.map(|p| p.email.to_string()).unwrap_or_default();
    let hints: Vec<&str> = email.split(['@', '.']).filter(|p| p.len() > 2).collect();
    Json(password::strength(&body.password, &hints))
}
