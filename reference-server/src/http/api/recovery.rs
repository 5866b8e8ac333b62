//! Forgotten password (PR-*).

use crate::http::client::Client;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use super::{ApiJson, answer};
use crate::http::AppState;
use crate::http::error::{ApiError, accepted};

pub fn routes() -> Router<AppState> {
    Router::new().route("/password/forgot", post(forgot)).route("/password/reset", post(reset))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Forgot {
    email: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Reset {
    token: String,
    password: String,
}

/// The same answer for known and unknown addresses (PR-2).
#[utoipa::path(post, path = "/api/v1/password/forgot", operation_id = "recovery_forgot", tag = "password reset", request_body = Forgot, responses(answer::Answers))]
pub(super) async fn forgot(
    State(app): State<AppState>,
    Client(client): Client,
    ApiJson(body): ApiJson<Forgot>,
) -> Result<Response, ApiError> {
    app.services.request_password_reset(client, &body.email).await?;
    Ok(accepted(json!({ "next": "check_email" })))
}

#[utoipa::path(post, path = "/api/v1/password/reset", operation_id = "recovery_reset", tag = "password reset", request_body = Reset, responses(answer::Answers))]
pub(super) async fn reset(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<Reset>,
) -> Result<Response, ApiError> {
    app.services.reset_password(&body.token, &body.password).await?;
    Ok(accepted(json!({ "next": "sign_in" })))
}
