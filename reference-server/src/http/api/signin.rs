//! Signing in: password, then a code by text or voice, or the personal key (SI-*, PK-*).

use crate::domain::AccountId;
use crate::http::client::Client;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use super::{ApiJson, answer, ending_session_on_sign_out};
use crate::http::AppState;
use crate::http::error::{ApiError, accepted};
use crate::http::session::Session;
use crate::http::signed_in::{Api, Authenticating};
use crate::service::ServiceError;
use crate::service::mfa::Delivery;
use crate::store::CodePurpose;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sign-in", post(sign_in))
        .route("/sign-in/code/send", post(send_code))
        .route("/sign-in/code", post(enter_code))
        .route("/sign-in/personal-key", post(personal_key))
        .route("/sign-in/authenticator", post(authenticator))
        .route("/sign-out", post(sign_out))
}

type ApiResult = Result<Response, ApiError>;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SendCode {
    delivery: Delivery,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct EnterCode {
    code: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct PersonalKey {
    personal_key: String,
}

fn signed_out() -> ApiError {
    ServiceError::SignedOut { locked_until: None }.into()
}

#[utoipa::path(post, path = "/api/v1/sign-in", operation_id = "signin_sign_in", tag = "sign-in", request_body = Credentials, responses(answer::Answers))]
pub(super) async fn sign_in(
    State(app): State<AppState>,
    Client(client): Client,
    session: Session,
    ApiJson(body): ApiJson<Credentials>,
) -> ApiResult {
    let account = app.services.verify_password(client, &body.email, &body.password).await?;
    crate::http::identity::unlock(&app, &session, account.id, &body.password).await?;
    // A new session id for the new identity (SI-5).
    session.rotate();
    if !account.completed {
        if crate::service::broken!(app.services, AccountUsableWithoutPhone) {
            session.sign_in(account.id, app.services.clock.now());
            return Ok(accepted(json!({ "next": "account" })));
        }
        session.update(|s| {
            s.restart();
            s.new_account = Some(account.id);
        });
        return Ok(accepted(json!({ "next": "add_phone" })));
    }
    session.update(|s| {
        s.restart();
        s.authenticating = Some(account.id);
    });
    if crate::service::broken!(app.services, PasswordAloneOpensAccount) {
        let now = app.services.clock.now().unix_timestamp();
        session.update(|s| {
            s.account_id = Some(account.id);
            s.signed_in_at = Some(now);
        });
    }
    let mut options = vec!["sms", "voice", "personal_key"];
    if app.services.store.authenticator(account.id).await.map_err(ServiceError::from)?.is_some() {
        options.push("authenticator");
    }
    Ok(accepted(json!({ "next": "second_factor", "options": options })))
}

#[utoipa::path(post, path = "/api/v1/sign-in/code/send", operation_id = "signin_send_code", tag = "sign-in", request_body = SendCode, responses(answer::Answers))]
pub(super) async fn send_code(
    State(app): State<AppState>,
    Authenticating(account_id, _): Authenticating<Api>,
    ApiJson(body): ApiJson<SendCode>,
) -> ApiResult {
    let account =
        app.services.store.account(account_id).await.map_err(ServiceError::from)?.ok_or_else(signed_out)?;
    let phone = account.phone.ok_or_else(signed_out)?;
    app.services.send_code(account_id, CodePurpose::SignIn, &phone, body.delivery).await?;
    Ok(accepted(json!({ "next": "enter_code" })))
}

#[utoipa::path(post, path = "/api/v1/sign-in/code", operation_id = "signin_enter_code", tag = "sign-in", request_body = EnterCode, responses(answer::Answers))]
pub(super) async fn enter_code(
    State(app): State<AppState>,
    session: Session,
    Authenticating(account_id, _): Authenticating<Api>,
    ApiJson(body): ApiJson<EnterCode>,
) -> ApiResult {
    let result = app.services.check_code(account_id, CodePurpose::SignIn, &body.code).await;
    ending_session_on_sign_out(&session, result).await?;
    completed(&app, &session, account_id).await
}

/// Signed in with a code: also shows a new personal key when one is due (PK-4).
async fn completed(app: &AppState, session: &Session, account_id: AccountId) -> ApiResult {
    session.sign_in(account_id, app.services.clock.now());
    match app.services.reissue_personal_key_if_due(account_id).await? {
        Some(key) => Ok(accepted(json!({ "personal_key": key, "next": "save_personal_key" }))),
        // An agency's request is waiting: `GET /agency/continue` takes it on.
        None if session.state().agency_request.is_some() => Ok(accepted(json!({ "next": "agency" }))),
        None => Ok(accepted(json!({ "next": "account" }))),
    }
}

#[utoipa::path(post, path = "/api/v1/sign-in/authenticator", operation_id = "signin_authenticator", tag = "sign-in", request_body = EnterCode, responses(answer::Answers))]
pub(super) async fn authenticator(
    State(app): State<AppState>,
    session: Session,
    Authenticating(account_id, _): Authenticating<Api>,
    ApiJson(body): ApiJson<EnterCode>,
) -> ApiResult {
    let result = app.services.check_authenticator(account_id, &body.code).await;
    ending_session_on_sign_out(&session, result).await?;
    completed(&app, &session, account_id).await
}

#[utoipa::path(post, path = "/api/v1/sign-in/personal-key", operation_id = "signin_personal_key", tag = "sign-in", request_body = PersonalKey, responses(answer::Answers))]
pub(super) async fn personal_key(
    State(app): State<AppState>,
    session: Session,
    Authenticating(account_id, _): Authenticating<Api>,
    ApiJson(body): ApiJson<PersonalKey>,
) -> ApiResult {
    let result = app.services.use_personal_key(account_id, &body.personal_key).await;
    let new_key = ending_session_on_sign_out(&session, result).await?;
    session.sign_in(account_id, app.services.clock.now());
    Ok(accepted(json!({ "personal_key": new_key, "next": "save_personal_key" })))
}

#[utoipa::path(
    post,
    path = "/api/v1/sign-out",
    operation_id = "signin_sign_out",
    tag = "sign-in",
    responses(answer::Answers)
)]
pub(super) async fn sign_out(session: Session) -> Response {
    session.destroy();
    accepted(json!({ "next": "sign_in" }))
}
