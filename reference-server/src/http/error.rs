//! The JSON API's answers: accepted ones here, refusals through [`Refusal`].
//!
//! Every API response carries an `outcome`: `accepted`, `rejected` (with a stable `reason`),
//! `rate_limited` (with `retry_at`), `invalid_request`, `delivery_failed` or `internal_error`.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::refusal::Refusal;
use crate::service::ServiceError;

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
        match self {
            Self::Invalid { status, reason, message } => Refusal::invalid(status, reason, message),
            Self::Service(error) => Refusal::from(error),
        }
        .into_api_response()
    }
}
