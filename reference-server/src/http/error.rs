//! How refusals and failures become HTTP responses in the JSON API.
//!
//! Every API response carries an `outcome`: `accepted`, `rejected` (with a stable `reason`),
//! `rate_limited` (with `retry_at`), `invalid_request`, `delivery_failed` or `internal_error`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::service::ServiceError;

pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

/// `{"outcome":"accepted", …fields}` with 200.
pub fn accepted(fields: Value) -> Response {
    let mut body = json!({ "outcome": "accepted" });
    if let (Some(body), Value::Object(fields)) = (body.as_object_mut(), fields) {
        body.extend(fields);
    }
    (StatusCode::OK, Json(body)).into_response()
}

#[derive(Debug)]
pub enum ApiError {
    Service(ServiceError),
    /// The request itself is wrong (malformed JSON, missing field, too large…).
    Invalid {
        status: StatusCode,
        reason: &'static str,
        message: String,
    },
}

impl From<ServiceError> for ApiError {
    fn from(error: ServiceError) -> Self {
        Self::Service(error)
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let status = rejection.status();
        let reason = match &rejection {
            _ if status == StatusCode::PAYLOAD_TOO_LARGE => "body_too_large",
            JsonRejection::MissingJsonContentType(_) => "json_content_type_required",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::JsonDataError(_) => "invalid_fields",
            _ => "unreadable_body",
        };
        // 422 is kept for refusals by a rule; a malformed request is a 400.
        let status = match status {
            StatusCode::PAYLOAD_TOO_LARGE | StatusCode::UNSUPPORTED_MEDIA_TYPE => status,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::Invalid { status, reason, message: rejection.body_text() }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, body) = match self {
            Self::Invalid { status, reason, message } => {
                (status, json!({ "outcome": "invalid_request", "reason": reason, "message": message }))
            }
            Self::Service(ServiceError::Rejected(reason)) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({ "outcome": "rejected", "reason": reason.code(), "message": reason.message() }),
            ),
            Self::Service(ServiceError::RateLimited { retry_at, wait_secs }) => {
                let body = json!({
                    "outcome": "rate_limited",
                    "retry_at": rfc3339(retry_at),
                    "message": format!("Too many requests. Try again after {}.", crate::http::web::clock_time(retry_at)),
                });
                let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
                response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait_secs.max(1)));
                return response;
            }
            Self::Service(ServiceError::Locked { until }) => (
                StatusCode::LOCKED,
                json!({
                    "outcome": "locked",
                    "until": rfc3339(until),
                    "message": format!("For your security, this is locked until {}.", crate::http::web::clock_time(until)),
                }),
            ),
            Self::Service(ServiceError::SignedOut { locked_until }) => {
                let mut body =
                    json!({ "outcome": "signed_out", "message": "You have been signed out. Sign in again." });
                if let Some(until) = locked_until {
                    body["locked_until"] = json!(rfc3339(until));
                    body["message"] = json!(format!(
                        "Too many wrong entries: you have been signed out and can try again after {}.",
                        crate::http::web::clock_time(until)
                    ));
                }
                (StatusCode::UNAUTHORIZED, body)
            }
            Self::Service(ServiceError::Delivery(message)) => {
                (StatusCode::BAD_GATEWAY, json!({ "outcome": "delivery_failed", "message": message }))
            }
            Self::Service(ServiceError::Internal(error)) => {
                tracing::error!(error = %error, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({ "outcome": "internal_error", "message": "Something went wrong on our side." }),
                )
            }
        };
        (status, Json(body)).into_response()
    }
}
