//! One way to refuse: every refusal or failure becomes a [`Refusal`] here, once, with one set
//! of words; the JSON API and the pages both render from it.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::service::ServiceError;

/// A refusal: its status, the typed outcome and reason programs read, the time it names, and
/// the words for the person.
#[derive(Debug, Clone)]
pub struct Refusal {
    pub status: StatusCode,
    /// `rejected`, `rate_limited`, `locked`, `signed_out`, `invalid_request`,
    /// `delivery_failed` or `internal_error`.
    pub outcome: &'static str,
    pub reason: Option<&'static str>,
    /// When asking works again (`rate_limited`), or when a lockout ends.
    pub at: Option<OffsetDateTime>,
    pub message: String,
    /// For `rate_limited`: the `Retry-After` seconds.
    pub retry_after_secs: Option<u64>,
}

/// "14:05 UTC on 2 December 2026": how pages and messages show a time.
pub fn clock_time(t: OffsetDateTime) -> String {
    format!("{:02}:{:02} UTC on {} {} {}", t.hour(), t.minute(), t.day(), t.month(), t.year())
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

impl Refusal {
    fn new(status: StatusCode, outcome: &'static str, message: String) -> Self {
        Self { status, outcome, reason: None, at: None, message, retry_after_secs: None }
    }

    /// The request itself cannot be used (malformed, forged, unknown agency…).
    pub fn invalid(status: StatusCode, reason: &'static str, message: impl Into<String>) -> Self {
        Self { reason: Some(reason), ..Self::new(status, "invalid_request", message.into()) }
    }

    /// The API's answer: the JSON body (`retry_at`, `until` or `locked_until` carrying the
    /// time, by outcome) and, when rate limited, `Retry-After`.
    pub fn into_api_response(self) -> Response {
        let mut body = json!({ "outcome": self.outcome, "message": self.message });
        if let Some(reason) = self.reason {
            body["reason"] = json!(reason);
        }
        if let Some(at) = self.at {
            let field = match self.outcome {
                "rate_limited" => "retry_at",
                "locked" => "until",
                _ => "locked_until",
            };
            body[field] = json!(rfc3339(at));
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
        }
        response
    }

    /// The `<main>` attributes a page carries for programs driving a browser (the page
    /// contract: the same outcome, reason and time as the API).
    pub fn page_attributes(&self) -> String {
        let mut attributes = format!(" data-outcome=\"{}\"", self.outcome);
        if let Some(reason) = self.reason {
            attributes.push_str(&format!(" data-reason=\"{reason}\""));
        }
        if let Some(at) = self.at {
            attributes.push_str(&format!(" data-at=\"{}\"", rfc3339(at)));
        }
        attributes
    }
}

impl From<ServiceError> for Refusal {
    fn from(error: ServiceError) -> Self {
        match error {
            ServiceError::Rejected(reason) => Self {
                reason: Some(reason.code()),
                ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "rejected", reason.message())
            },
            ServiceError::RateLimited { retry_at, wait_secs } => Self {
                at: Some(retry_at),
                retry_after_secs: Some(wait_secs),
                ..Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("You asked too many times. Try again after {}.", clock_time(retry_at)),
                )
            },
            ServiceError::Locked { until } => Self {
                at: Some(until),
                ..Self::new(
                    StatusCode::LOCKED,
                    "locked",
                    format!(
                        "For your security, entering codes is locked until {}. Try again after that.",
                        clock_time(until)
                    ),
                )
            },
            ServiceError::SignedOut { locked_until: Some(until) } => Self {
                at: Some(until),
                ..Self::new(
                    StatusCode::UNAUTHORIZED,
                    "signed_out",
                    format!(
                        "Too many wrong entries. You have been signed out and can try again after {}.",
                        clock_time(until)
                    ),
                )
            },
            ServiceError::SignedOut { locked_until: None } => Self::new(
                StatusCode::UNAUTHORIZED,
                "signed_out",
                "You have been signed out. Sign in again.".into(),
            ),
            ServiceError::Delivery(message) => Self::new(StatusCode::BAD_GATEWAY, "delivery_failed", message),
            ServiceError::ProofingUnavailable(error) => {
                tracing::error!(%error, "identity-proofing vendor failed");
                Self {
                    reason: Some("proofing_unavailable"),
                    ..Self::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "unavailable",
                        "We cannot verify identities right now. Try again later.".into(),
                    )
                }
            }
            ServiceError::Internal(error) => {
                tracing::error!(%error, "internal error");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal_error",
                    "Something went wrong on our side. Try again.".into(),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::Reason;

    #[test]
    fn the_api_and_the_pages_say_the_same() {
        let until = time::macros::datetime!(2026-12-02 14:05:09 UTC);
        let refusal = Refusal::from(ServiceError::SignedOut { locked_until: Some(until) });
        assert_eq!(refusal.status, StatusCode::UNAUTHORIZED);
        assert!(refusal.message.contains("14:05 UTC on 2 December 2026"), "{}", refusal.message);
        assert_eq!(
            refusal.page_attributes(),
            " data-outcome=\"signed_out\" data-at=\"2026-12-02T14:05:09Z\""
        );
        let rejected = Refusal::from(ServiceError::Rejected(Reason::CodeExpired));
        assert_eq!(
            (rejected.status, rejected.outcome, rejected.reason),
            (StatusCode::UNPROCESSABLE_ENTITY, "rejected", Some("code_expired"))
        );
    }
}
