//! Forgotten password (PR-*).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::post;
use serde::Deserialize;
use serde_json::json;

use super::ApiJson;
use crate::http::AppState;
use crate::http::error::{ApiError, accepted};

pub fn routes() -> Router<AppState> {
    Router::new().route("/password/forgot", post(forgot)).route("/password/reset", post(reset))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Forgot {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reset {
    token: String,
    password: String,
}

/// The same answer for known and unknown addresses (PR-2).
async fn forgot(State(app): State<AppState>, ApiJson(body): ApiJson<Forgot>) -> Result<Response, ApiError> {
    app.services.request_password_reset(&body.email).await?;
    Ok(accepted(json!({ "next": "check_email" })))
}

async fn reset(State(app): State<AppState>, ApiJson(body): ApiJson<Reset>) -> Result<Response, ApiError> {
    app.services.reset_password(&body.token, &body.password).await?;
    Ok(accepted(json!({ "next": "sign_in" })))
}
