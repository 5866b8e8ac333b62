//! Fake identity-proofing vendors, served on the inbox API's port:
//!
//! * [`documents`]: document verification (photo ID front and back, and a selfie), shaped like
//!   LexisNexis TrueID's conversation API (`Status`, and `Products[].ParameterDetails` grouped
//!   as `AUTHENTICATION_RESULT`, `IDAUTH_FIELD_DATA`, `PORTRAIT_MATCH_RESULT`). What it reports
//!   is chosen by **test documents**: a small JSON file uploaded in place of an image
//!   (`fakes/test-documents/`). A real JPEG or PNG with no description passes with default data.
//! * [`resolution`]: identity resolution (name, date of birth, address, SSN), shaped like
//!   LexisNexis Instant Verify (`Products[].Items[]` with `ItemName` and `ItemStatus`).
//!
//! * [`in_person`]: in-person proofing at a Post Office, shaped like the USPS API (participating
//!   Post Offices, enrollment codes, results), with a control API to play the visit.
//!
//! All want HTTP Basic credentials (`proofing_username` / `proofing_password` in
//! `/api/settings`). The fakes keep what they were asked and answered (`GET /api/proofing`),
//! but never an image: only its size and kind, so a test can say what the service sent.

pub mod documents;
pub mod in_person;
pub mod resolution;

use std::sync::Mutex;

use axum::http::HeaderMap;
use base64::Engine as _;
use serde::Serialize;

pub const USERNAME: &str = "fake-proofing";
pub const PASSWORD: &str = "fake-proofing-secret";

/// One request a fake vendor answered, without the images.
#[derive(Clone, Debug, Serialize)]
pub struct Check {
    pub id: u64,
    /// `documents` or `resolution`.
    pub service: &'static str,
    /// Unix milliseconds of arrival.
    pub at: i64,
    /// `passed` or `failed`.
    pub status: String,
    /// Why it failed, in the suite's words (`document_expired`, `identity_not_found`, …).
    pub reason: Option<String>,
    /// For documents: each image's size in bytes and kind (`jpeg`, `png`, `test-document`, …).
    pub images: Vec<ImageSeen>,
}

#[derive(Clone, Debug, Serialize)]
pub struct ImageSeen {
    pub side: &'static str,
    pub bytes: usize,
    pub kind: &'static str,
}

/// What the proofing fakes were asked, newest last.
#[derive(Default)]
pub struct Checks(Mutex<Vec<Check>>);

impl Checks {
    pub fn record(&self, mut check: Check) -> u64 {
        let mut all = self.0.lock().expect("checks lock");
        check.id = all.len() as u64 + 1;
        check.at = time::OffsetDateTime::now_utc().unix_timestamp() * 1000;
        let id = check.id;
        all.push(check);
        id
    }

    pub fn all(&self) -> Vec<Check> {
        self.0.lock().expect("checks lock").clone()
    }

    pub fn clear(&self) {
        self.0.lock().expect("checks lock").clear();
    }
}

/// What the proofing fakes hold: the checks they answered and the in-person enrollments.
#[derive(Default)]
pub struct Vendors {
    pub checks: Checks,
    pub enrollments: in_person::Enrollments,
}

/// The proofing routes' state.
pub type ProofingState = std::sync::Arc<Vendors>;

/// The vendors' answer to a request without their Basic credentials.
pub fn unauthorized() -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let body = serde_json::json!({ "Status": { "TransactionStatus": "error",
        "TransactionReasonCode": { "Code": "unauthorized" } } });
    (axum::http::StatusCode::UNAUTHORIZED, axum::Json(body)).into_response()
}

/// Whether the request carries the fakes' Basic credentials.
pub fn authorized(headers: &HeaderMap) -> bool {
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"));
    headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|v| v.trim() == expected)
}

/// The vendors' routes, `GET`/`DELETE /api/proofing` (what they were asked) and the in-person
/// control API.
pub fn router(vendors: ProofingState) -> axum::Router {
    use axum::routing::{get, post};
    // Three phone photos, base64: well over axum's 2 MB default.
    let images = axum::extract::DefaultBodyLimit::max(40 * 1024 * 1024);
    axum::Router::new()
        .route(documents::PATH, post(documents::conversation).layer(images))
        .route(resolution::PATH, post(resolution::conversation))
        .route(&format!("{}/getIppFacilityList", in_person::BASE), post(in_person::facilities))
        .route(&format!("{}/optInIPPApplicant", in_person::BASE), post(in_person::opt_in))
        .route(&format!("{}/getProofingResults", in_person::BASE), post(in_person::results))
        .route("/api/in-person", get(in_person::list))
        .route("/api/in-person/{code}", post(in_person::visit))
        .route("/api/proofing", get(list).delete(clear))
        .with_state(vendors)
}

async fn list(axum::extract::State(vendors): axum::extract::State<ProofingState>) -> axum::Json<Vec<Check>> {
    axum::Json(vendors.checks.all())
}

async fn clear(axum::extract::State(vendors): axum::extract::State<ProofingState>) -> axum::http::StatusCode {
    vendors.checks.clear();
    vendors.enrollments.clear();
    axum::http::StatusCode::NO_CONTENT
}
