use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::ApiJson;
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
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenBody {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordBody {
    password: String,
}

type ApiResult = Result<Response, ApiError>;

/// The same answer whether or not the address has an account (SU-5).
async fn start(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<EmailBody>,
) -> ApiResult {
    let email = app.services.start_sign_up(&body.email).await?;
    session.update(|s| s.sign_up = Some(SignUpProgress { email, confirmed: false }));
    Ok(accepted(json!({ "next": "confirm_email" })))
}

async fn resend(State(app): State<AppState>, session: Session) -> ApiResult {
    let Some(progress) = session.state().sign_up.filter(|p| !p.confirmed) else {
        return Err(ServiceError::Rejected(Reason::NoSignUpInProgress).into());
    };
    app.services.resend_confirmation(&progress.email).await?;
    Ok(accepted(json!({ "next": "confirm_email" })))
}

async fn confirm(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<TokenBody>,
) -> ApiResult {
    let email = app.services.confirm_sign_up(&body.token).await?;
    session.update(|s| s.sign_up = Some(SignUpProgress { email: email.clone(), confirmed: true }));
    Ok(accepted(json!({ "email": email, "next": "choose_password" })))
}

async fn choose_password(
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
async fn strength(session: Session, ApiJson(body): ApiJson<PasswordBody>) -> Json<password::Strength> {
    let email = session.state().sign_up.map(|p| p.email).unwrap_or_default();
    let hints: Vec<&str> = email.split(['@', '.']).filter(|p| p.len() > 2).collect();
    Json(password::strength(&body.password, &hints))
}
