//! Conformance hooks: let a test harness read and move the server's clock, and ask whether
//! everything queued has been sent (so it need not watch an inbox for a while to see that a
//! message does not come). Mounted only when
//! the server runs with `--conformance-hooks` (which also makes its clock manual), and, when
//! the configuration sets `conformance_hook_token`, answered only with that bearer token.

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;

use super::AppState;
use super::error::ApiError;
use super::refusal::rfc3339;
use crate::clock::ClockError;
use crate::rules::tokens;
use secrecy::ExposeSecret as _;

/// Where the hooks are mounted.
pub const PREFIX: &str = "/__conformance";

pub fn routes(state: AppState) -> Router<AppState> {
    Router::new()
        .route("/clock", get(now).post(advance))
        .route("/deliveries", get(deliveries))
        .layer(axum::middleware::from_fn_with_state(state, require_token))
}

/// Under a manual clock, every request first brings this instance's clock up to the shared
/// time in the store: another instance's hook may have moved it.
pub async fn follow_shared_clock(State(app): State<AppState>, request: Request, next: Next) -> Response {
    match app.services.store.manual_clock().await {
        Ok(Some(shared)) => {
            app.services.clock.catch_up(shared);
        }
        Ok(None) => {}
        Err(error) => return ApiError::from(crate::service::ServiceError::from(error)).into_response(),
    }
    next.run(request).await
}

/// With a configured token, a hook call must carry it (`Authorization: Bearer <token>`),
/// compared in constant time; the refusal is a JSON 401 saying which.
async fn require_token(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let Some(expected) = &app.services.config.conformance_hook_token else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let (reason, message) = match given {
        Some(token) if tokens::same(token, expected.expose_secret()) => return next.run(request).await,
        Some(_) => ("hook_token_wrong", "The hook token is not the one the server was configured with."),
        None => ("hook_token_required", "The conformance hooks need `Authorization: Bearer <hook token>`."),
    };
    let mut response =
        ApiError::Invalid { status: StatusCode::UNAUTHORIZED, reason, message: message.into() }
            .into_response();
    response.headers_mut().insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static("Bearer"));
    response
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
    let clock = &app.services.clock;
    if !clock.is_manual() {
        return (
            StatusCode::CONFLICT,
            Json(json!({ "outcome": "invalid_request", "message": ClockError::NotManual.to_string() })),
        )
            .into_response();
    }
    // The move is made on the shared time in the store, so every instance sees it.
    let by = time::Duration::seconds(advance_seconds);
    match app.services.store.move_manual_clock(clock.now(), by).await {
        Ok(moved) => {
            let now = clock.catch_up(moved);
            // Work scheduled in clock time has run by the time the move is answered: the
            // in-person result job checks at least every `in_person_result_check_secs`.
            if let Err(error) = app.services.check_in_person_results().await {
                return ApiError::from(error).into_response();
            }
            clock_body(now).into_response()
        }
        Err(error) => ApiError::from(crate::service::ServiceError::from(error)).into_response(),
    }
}

/// How long [`deliveries`] waits for the outbox to drain, in looks 5 ms apart (real time: this
/// waits for the mail server, not for a rule).
const DRAIN_LOOKS: u32 = 400;

/// Answers `{"waiting": n}` once every email queued before the call has been taken by the mail
/// server (`n` = 0), or after two seconds with how many still wait. Texts and calls are sent
/// within the request that asks for them, so none ever waits.
async fn deliveries(State(app): State<AppState>) -> Response {
    let store = &app.services.store;
    let waiting = async {
        let Some(newest) = store.newest_mail().await? else { return Ok(0) };
        let mut waiting = store.mail_waiting_through(newest).await?;
        for _ in 0..DRAIN_LOOKS {
            if waiting == 0 {
                break;
            }
            #[allow(clippy::disallowed_methods)] // see DRAIN_LOOKS
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            waiting = store.mail_waiting_through(newest).await?;
        }
        Ok::<_, crate::store::StoreError>(waiting)
    };
    match waiting.await {
        Ok(waiting) => Json(json!({ "waiting": waiting })).into_response(),
        Err(error) => ApiError::from(crate::service::ServiceError::from(error)).into_response(),
    }
}
