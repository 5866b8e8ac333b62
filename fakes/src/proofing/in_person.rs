//! In-person proofing at a Post Office (IV-2), shaped like the USPS in-person proofing API
//! (IPPaaS) that Login.gov uses: under `/ivs-ippaas-api/IPPRest/resources/rest/`,
//!
//! * `getIppFacilityList` (`{"sourceID", "streetAddress", "city", "state", "zipCode"}`) → the
//!   participating Post Offices near an address (`{"postOffices": [{"name", "streetAddress",
//!   "city", "state", "zip5", "zip4", "distance", "hours"}]}`);
//! * `optInIPPApplicant` (`{"sourceID", "uniqueID", "firstName", "lastName", "streetAddress",
//!   "city", "state", "zipCode", "emailAddress", "IPPAssuranceLevel"}`) → a 16-digit
//!   `enrollmentCode` the person brings to the Post Office;
//! * `getProofingResults` (`{"sourceID", "uniqueID", "enrollmentCode"}`) → HTTP 200 with
//!   `"status": "In-person passed"` or `"In-person failed"` (and a `failureReason`) once the
//!   person went, or HTTP 400 with a `responseMessage` while they have not ("Customer has not
//!   been to a post office to complete IPP") or when the enrollment expired ("More than 30
//!   days have passed since opt-in to IPP").
//!
//! The visit is played by the control API: `POST /api/in-person/{enrollmentCode}` with
//! `{"result": "passed" | "failed" | "expired"}`; `GET /api/in-person` lists the enrollments.
//! Magic ZIP codes: `00000` has no participating Post Office near it; `99999` makes the
//! facility search fail (HTTP 500).

use std::sync::Mutex;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::{ProofingState, authorized, unauthorized};

pub const BASE: &str = "/ivs-ippaas-api/IPPRest/resources/rest";
pub const ZIP_NO_POST_OFFICE: &str = "00000";
pub const ZIP_VENDOR_ERROR: &str = "99999";

/// Where an enrollment stands at the Post Office.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Result {
    Pending,
    Passed,
    Failed,
    Expired,
}

/// One person enrolled to verify at a Post Office, without their details.
#[derive(Clone, Debug, Serialize)]
pub struct Enrollment {
    pub enrollment_code: String,
    /// The service's identifier for the person (`uniqueID`).
    pub unique_id: String,
    pub result: Result,
    /// How often the service asked for the result.
    pub polled: u32,
}

#[derive(Default)]
pub struct Enrollments(Mutex<Vec<Enrollment>>);

impl Enrollments {
    pub fn all(&self) -> Vec<Enrollment> {
        self.0.lock().expect("enrollments lock").clone()
    }

    /// Plays the visit: the person passed, failed, or let the enrollment expire. `false` when
    /// no enrollment has that code.
    pub fn set_result(&self, code: &str, result: Result) -> bool {
        let mut all = self.0.lock().expect("enrollments lock");
        match all.iter_mut().find(|e| e.enrollment_code == code) {
            Some(enrollment) => {
                enrollment.result = result;
                true
            }
            None => false,
        }
    }

    pub fn clear(&self) {
        self.0.lock().expect("enrollments lock").clear();
    }

    fn enroll(&self, unique_id: &str) -> String {
        let mut all = self.0.lock().expect("enrollments lock");
        let code = format!("{:016}", 2_048_702_198_800_000u64 + all.len() as u64 + 1);
        all.push(Enrollment {
            enrollment_code: code.clone(),
            unique_id: unique_id.to_owned(),
            result: Result::Pending,
            polled: 0,
        });
        code
    }

    fn poll(&self, unique_id: &str, code: &str) -> Option<Result> {
        let mut all = self.0.lock().expect("enrollments lock");
        let enrollment = all.iter_mut().find(|e| e.enrollment_code == code && e.unique_id == unique_id)?;
        enrollment.polled += 1;
        Some(enrollment.result)
    }
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "responseMessage": message }))).into_response()
}

fn field<'a>(body: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    body.get(name).and_then(serde_json::Value::as_str).filter(|v| !v.trim().is_empty())
}

/// Three participating Post Offices near any ZIP code but the magic ones.
pub async fn facilities(headers: HeaderMap, Json(body): Json<serde_json::Value>) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let Some(zip) = field(&body, "zipCode") else {
        return error(StatusCode::BAD_REQUEST, "zipCode is required");
    };
    let zip5: String = zip.chars().take(5).collect();
    if zip5 == ZIP_VENDOR_ERROR {
        return error(StatusCode::INTERNAL_SERVER_ERROR, "facility search failed (magic ZIP code)");
    }
    if zip5 == ZIP_NO_POST_OFFICE {
        return Json(json!({ "postOffices": [] })).into_response();
    }
    let office = |name: &str, street: &str, distance: &str| {
        json!({
            "name": name, "streetAddress": street, "city": "SPRINGFIELD", "state": "VA",
            "zip5": zip5, "zip4": "9998", "distance": distance, "phone": "555-555-0100",
            "hours": [{ "weekdayHours": "8:00 AM - 4:30 PM" }, { "saturdayHours": "9:00 AM - 12:00 PM" },
                      { "sundayHours": "Closed" }],
        })
    };
    Json(json!({ "postOffices": [
        office("SPRINGFIELD", "7011 BACKLICK RD", "0.4 mi"),
        office("NORTH SPRINGFIELD", "7200 BRADDOCK RD", "1.9 mi"),
        office("WEST SPRINGFIELD", "6300 ROLLING RD", "3.2 mi"),
    ]}))
    .into_response()
}

pub async fn opt_in(
    State(state): State<ProofingState>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let required = ["uniqueID", "firstName", "lastName", "streetAddress", "city", "state", "zipCode"];
    if let Some(missing) = required.iter().find(|name| field(&body, name).is_none()) {
        return error(StatusCode::BAD_REQUEST, &format!("{missing} is required"));
    }
    let code = state.enrollments.enroll(field(&body, "uniqueID").unwrap_or_default());
    Json(json!({ "enrollmentCode": code, "responseMessage": "Request completed successfully" }))
        .into_response()
}

pub async fn results(
    State(state): State<ProofingState>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let (Some(unique_id), Some(code)) = (field(&body, "uniqueID"), field(&body, "enrollmentCode")) else {
        return error(StatusCode::BAD_REQUEST, "uniqueID and enrollmentCode are required");
    };
    let passed_or_failed = |status: &str| {
        let mut answer = json!({
            "status": status, "enrollmentCode": code, "proofingPostOffice": "SPRINGFIELD",
            "proofingCity": "SPRINGFIELD", "proofingState": "VA", "primaryIdType": "State driver's license",
            "fraudSuspected": false, "ippAssuranceLevel": "1.5",
        });
        if status == "In-person failed" {
            answer["failureReason"] =
                json!("Clerk indicates that ID name or address does not match source data.");
        }
        Json(answer).into_response()
    };
    match state.enrollments.poll(unique_id, code) {
        None => error(StatusCode::BAD_REQUEST, "Applicant does not exist"),
        Some(Result::Pending) => {
            error(StatusCode::BAD_REQUEST, "Customer has not been to a post office to complete IPP")
        }
        Some(Result::Expired) => {
            error(StatusCode::BAD_REQUEST, "More than 30 days have passed since opt-in to IPP")
        }
        Some(Result::Passed) => passed_or_failed("In-person passed"),
        Some(Result::Failed) => passed_or_failed("In-person failed"),
    }
}

pub async fn list(State(state): State<ProofingState>) -> Json<Vec<Enrollment>> {
    Json(state.enrollments.all())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Visit {
    result: Result,
}

/// The control API: what happened at the Post Office.
pub async fn visit(
    State(state): State<ProofingState>,
    Path(code): Path<String>,
    Json(visit): Json<Visit>,
) -> Response {
    if visit.result == Result::Pending {
        return error(StatusCode::BAD_REQUEST, "a visit ends passed, failed or expired");
    }
    if state.enrollments.set_result(&code, visit.result) {
        StatusCode::NO_CONTENT.into_response()
    } else {
        error(StatusCode::NOT_FOUND, "no enrollment has that code")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_sixteen_digits_and_a_visit_sets_the_result() {
        let enrollments = Enrollments::default();
        let code = enrollments.enroll("person-1");
        assert_eq!(code.len(), 16);
        assert!(code.bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(enrollments.poll("person-1", &code), Some(Result::Pending));
        assert_eq!(enrollments.poll("person-2", &code), None, "another person's code");
        assert!(enrollments.set_result(&code, Result::Passed));
        assert!(!enrollments.set_result("0000000000000000", Result::Passed));
        assert_eq!(enrollments.poll("person-1", &code), Some(Result::Passed));
        assert_eq!(enrollments.all()[0].polled, 2);
    }
}
