//! Identity resolution, shaped like LexisNexis Instant Verify: `POST
//! /restws/identity/v2/{account}/{workflow}/conversation` with `Person` (`Name`, `SSN`,
//! `DateOfBirth`, `Addresses`); the answer's `Status.TransactionStatus` is `passed` or
//! `failed`, with one `Items[]` entry per check.
//!
//! Magic values: an SSN starting `999-99-9999` is not found (every item fails); `999-99-9998`
//! makes the vendor fail (HTTP 500); anything else with a 9-digit SSN resolves.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;

use super::{Check, authorized, unauthorized};

pub const PATH: &str = "/restws/identity/v2/{account}/{workflow}/conversation";
pub const SSN_NOT_FOUND: &str = "999999999";
pub const SSN_VENDOR_ERROR: &str = "999999998";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Conversation {
    person: Person,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Person {
    name: Option<serde_json::Value>,
    #[serde(rename = "SSN")]
    ssn: Option<Ssn>,
    date_of_birth: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Ssn {
    number: String,
}

pub async fn conversation(
    State(vendors): State<super::ProofingState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let Ok(Conversation { person }) = serde_json::from_slice::<Conversation>(&body) else {
        return (
            StatusCode::BAD_REQUEST,
            Json(json!({ "Status": { "TransactionStatus": "error",
            "TransactionReasonCode": { "Code": "invalid_request" } } })),
        )
            .into_response();
    };
    let ssn: String =
        person.ssn.map(|s| s.number).unwrap_or_default().chars().filter(char::is_ascii_digit).collect();
    let complete = ssn.len() == 9 && person.name.is_some() && person.date_of_birth.is_some();
    if ssn == SSN_VENDOR_ERROR {
        return (StatusCode::INTERNAL_SERVER_ERROR, "vendor failure (magic SSN)").into_response();
    }
    let found = complete && ssn != SSN_NOT_FOUND;
    let id = vendors.checks.record(Check {
        id: 0,
        service: "resolution",
        at: 0,
        status: if found { "passed" } else { "failed" }.into(),
        reason: (!found).then(|| "identity_not_found".to_owned()),
        images: Vec::new(),
    });
    let item = |name: &str| json!({ "ItemName": name, "ItemStatus": if found { "pass" } else { "fail" } });
    Json(json!({
        "Status": {
            "ConversationId": id.to_string(),
            "TransactionStatus": if found { "passed" } else { "failed" },
        },
        "Products": [{
            "ProductType": "InstantVerify",
            "ExecutedStepName": "InstantVerify",
            "ProductStatus": if found { "pass" } else { "fail" },
            "Items": [item("SsnFullNameMatch"), item("SsnDeathMatchVerification"), item("DOBFullVerified"), item("AddrVerified")],
        }],
    }))
    .into_response()
}
