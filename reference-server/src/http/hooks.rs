//! Conformance hooks: let a test harness read and move the server's clock. Mounted only when
//! the server runs with `--conformance-hooks` (which also makes its clock manual).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::refusal::rfc3339;
use crate::clock::ClockError;

pub fn routes() -> Router<AppState> {
    Router::new().route("/clock", get(now).post(advance))
}

fn clock_body(now: time::OffsetDateTime) -> Json<serde_json::Value> {
    Json(json!({ "now": rfc3339(now), "unix_ms": crate::store::to_ms(now) }))
}

async fn now(State(app): State<AppState>) -> Json<serde_json::Value> {
    clock_body(app.services.clock.now())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Advance {
    advance_seconds: i64,
}

/// Upper bound on one move: ten years is more than any rule needs.
const MAX_ADVANCE_SECS: i64 = 10 * 366 * 24 * 3600;

async fn advance(
    State(app): State<AppState>,
    body: Result<Json<Advance>, axum::extract::rejection::JsonRejection>,
) -> Response {
    let Json(Advance { advance_seconds }) = match body {
        Ok(body) => body,
        Err(rejection) => return ApiError::from(rejection).into_response(),
    };
    if !(0..=MAX_ADVANCE_SECS).contains(&advance_seconds) {
        let message = format!("advance_seconds must be between 0 and {MAX_ADVANCE_SECS}");
        return ApiError::Invalid {
            status: StatusCode::BAD_REQUEST,
            reason: "advance_out_of_range",
            message,
        }
        .into_response();
    }
    match app.services.clock.advance(time::Duration::seconds(advance_seconds)) {
        Ok(now) => clock_body(now).into_response(),
        Err(error @ (ClockError::NotManual | ClockError::Backwards)) => (
            StatusCode::CONFLICT,
            Json(json!({ "outcome": "invalid_request", "message": error.to_string() })),
        )
            .into_response(),
    }
}
