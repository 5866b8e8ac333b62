//! Document verification, shaped like LexisNexis TrueID: `POST
//! /restws/identity/v3/accounts/{account}/workflows/{workflow}/conversations` with
//! `Document.Front`, `Document.Back` and `Document.Selfie` as base64 images; the answer's
//! `Status.TransactionStatus` is `passed` or `failed`, and `Products[0].ParameterDetails`
//! carries the fields read (`IDAUTH_FIELD_DATA`), the document's verdict and alerts
//! (`AUTHENTICATION_RESULT`) and the selfie comparison (`PORTRAIT_MATCH_RESULT`).
//!
//! A **test document** is a JSON object uploaded in place of an image (front, back or selfie;
//! fields given on several are merged, the front's first):
//!
//! ```json
//! { "document": { "first_name": "Jane", "last_name": "Doe", "dob": "1985-07-04",
//!                 "address1": "1 Main St", "city": "Springfield", "state": "VA",
//!                 "zipcode": "22150", "document_number": "D1234567", "expiration": "2031-01-01" },
//!   "doc_auth_result": "Passed",        // or "Failed", or "Unknown" (the images cannot be read)
//!   "failed_alerts": [ { "name": "Document Expired", "result": "Failed" } ],
//!   "portrait_match": "Pass" }          // or "Fail": the selfie is not the document's holder
//! ```
//!
//! A JPEG or PNG with no description passes with [`default_person`]; anything else (not an
//! image, not a test document) cannot be read (`Unknown`).

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Check, ImageSeen, authorized, unauthorized};

pub const PATH: &str = "/restws/identity/v3/accounts/{account}/workflows/{workflow}/conversations";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Conversation {
    document: Option<Images>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Images {
    front: Option<String>,
    back: Option<String>,
    selfie: Option<String>,
}

/// What a test document describes; every part optional.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TestDocument {
    pub document: Person,
    pub doc_auth_result: Option<String>,
    pub failed_alerts: Vec<Alert>,
    pub portrait_match: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Person {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub dob: Option<String>,
    pub address1: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub zipcode: Option<String>,
    pub document_number: Option<String>,
    pub expiration: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub name: String,
    #[serde(default = "failed")]
    pub result: String,
}

fn failed() -> String {
    "Failed".into()
}

/// The person a plain image is read as.
pub fn default_person() -> Person {
    Person {
        first_name: Some("FAKEY".into()),
        last_name: Some("MCFAKERSON".into()),
        dob: Some("1938-10-06".into()),
        address1: Some("1 FAKE RD".into()),
        city: Some("GREAT FALLS".into()),
        state: Some("MT".into()),
        zipcode: Some("59010".into()),
        document_number: Some("1111111111111".into()),
        expiration: Some("2099-12-31".into()),
    }
}

/// What one uploaded image is.
enum Image {
    Picture(&'static str),
    Test(Box<TestDocument>),
    Unreadable(&'static str),
}

fn read(bytes: &[u8]) -> Image {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Image::Picture("jpeg");
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Image::Picture("png");
    }
    match serde_json::from_slice::<TestDocument>(bytes) {
        Ok(doc) => Image::Test(Box::new(doc)),
        Err(_) if bytes.trim_ascii_start().starts_with(b"{") => Image::Unreadable("bad-test-document"),
        Err(_) => Image::Unreadable("unknown"),
    }
}

fn merge(into: &mut Person, from: &Person) {
    macro_rules! take {
        ($($f:ident),*) => {$( if into.$f.is_none() { into.$f = from.$f.clone(); } )*};
    }
    take!(first_name, last_name, dob, address1, city, state, zipcode, document_number, expiration);
}

pub async fn conversation(
    State(vendors): State<super::ProofingState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if !authorized(&headers) {
        return unauthorized();
    }
    let Ok(Conversation { document: Some(images) }) = serde_json::from_slice::<Conversation>(&body) else {
        return bad_request("the body is not a conversation with a Document");
    };
    let mut seen = Vec::new();
    let mut sides = Vec::new();
    for (side, image) in [("front", &images.front), ("back", &images.back), ("selfie", &images.selfie)] {
        let Some(encoded) = image else {
            return bad_request(&format!("Document.{} is missing", capitalised(side)));
        };
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(encoded) else {
            return bad_request(&format!("Document.{} is not base64", capitalised(side)));
        };
        let image = read(&bytes);
        let kind = match &image {
            Image::Picture(kind) | Image::Unreadable(kind) => *kind,
            Image::Test(_) => "test-document",
        };
        seen.push(ImageSeen { side, bytes: bytes.len(), kind });
        sides.push((side, image));
    }
    let verdict = judge(&sides);
    let conversation_id = vendors.checks.record(Check {
        id: 0,
        service: "documents",
        at: 0,
        status: if verdict.passed() { "passed" } else { "failed" }.into(),
        reason: verdict.reason().map(str::to_owned),
        images: seen,
    });
    Json(verdict.answer(conversation_id)).into_response()
}

fn capitalised(side: &str) -> String {
    let mut s = side.to_owned();
    s[..1].make_ascii_uppercase();
    s
}

fn bad_request(why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "Status": { "TransactionStatus": "error",
        "TransactionReasonCode": { "Code": "invalid_request", "Description": why } } })),
    )
        .into_response()
}

struct Verdict {
    doc_auth_result: String,
    alerts: Vec<Alert>,
    portrait_match: String,
    person: Option<Person>,
}

impl Verdict {
    fn passed(&self) -> bool {
        self.doc_auth_result == "Passed" && self.portrait_match == "Pass"
    }

    fn reason(&self) -> Option<&'static str> {
        match self.doc_auth_result.as_str() {
            "Passed" if self.portrait_match == "Pass" => None,
            "Passed" => Some("selfie_mismatch"),
            "Unknown" => Some("document_unreadable"),
            _ if self.alerts.iter().any(|a| a.name.to_ascii_lowercase().contains("expired")) => {
                Some("document_expired")
            }
            _ => Some("document_failed"),
        }
    }

    fn answer(&self, conversation_id: u64) -> Value {
        let mut details = vec![param("AUTHENTICATION_RESULT", "DocAuthResult", &self.doc_auth_result)];
        for (i, alert) in self.alerts.iter().enumerate() {
            details.push(param(
                "AUTHENTICATION_RESULT",
                &format!("Alert_{}_AuthenticationResult", i + 1),
                &alert.result,
            ));
            details.push(param("AUTHENTICATION_RESULT", &format!("Alert_{}_AlertName", i + 1), &alert.name));
        }
        details.push(param("PORTRAIT_MATCH_RESULT", "FaceMatchResult", &self.portrait_match));
        if let Some(p) = &self.person {
            let field = |name: &str, value: &Option<String>| {
                value.as_deref().map(|v| param("IDAUTH_FIELD_DATA", name, v))
            };
            let (year, month, day) = split_date(p.dob.as_deref());
            let (ey, em, ed) = split_date(p.expiration.as_deref());
            details.extend(
                [
                    field("Fields_FirstName", &p.first_name),
                    field("Fields_Surname", &p.last_name),
                    field("Fields_DOB_Year", &year),
                    field("Fields_DOB_Month", &month),
                    field("Fields_DOB_Day", &day),
                    field("Fields_AddressLine1", &p.address1),
                    field("Fields_City", &p.city),
                    field("Fields_State", &p.state),
                    field("Fields_PostalCode", &p.zipcode),
                    field("Fields_DocumentNumber", &p.document_number),
                    field("Fields_ExpirationDate_Year", &ey),
                    field("Fields_ExpirationDate_Month", &em),
                    field("Fields_ExpirationDate_Day", &ed),
                ]
                .into_iter()
                .flatten(),
            );
        }
        let passed = self.passed();
        json!({
            "Status": {
                "ConversationId": conversation_id.to_string(),
                "TransactionStatus": if passed { "passed" } else { "failed" },
                "TransactionReasonCode": { "Code": if passed { "trueid_pass" } else { "trueid_fail" } },
            },
            "Products": [{
                "ProductType": "TrueID",
                "ExecutedStepName": "True_ID_Step",
                "ProductStatus": if passed { "pass" } else { "fail" },
                "ParameterDetails": details,
            }],
        })
    }
}

fn param(group: &str, name: &str, value: &str) -> Value {
    json!({ "Group": group, "Name": name, "Values": [{ "Value": value }] })
}

fn split_date(date: Option<&str>) -> (Option<String>, Option<String>, Option<String>) {
    let mut parts = date.unwrap_or("").splitn(3, '-').map(|s| Some(s.to_owned()));
    match (parts.next().flatten(), parts.next().flatten(), parts.next().flatten()) {
        (Some(y), Some(m), Some(d)) => (Some(y), Some(m), Some(d)),
        _ => (None, None, None),
    }
}

fn judge(sides: &[(&'static str, Image)]) -> Verdict {
    let mut result = None;
    let mut alerts = Vec::new();
    let mut portrait = None;
    let mut person = Person::default();
    let mut unreadable = false;
    for (_, image) in sides {
        match image {
            Image::Unreadable(_) => unreadable = true,
            Image::Picture(_) => {}
            Image::Test(doc) => {
                result = result.or(doc.doc_auth_result.clone());
                alerts.extend(doc.failed_alerts.iter().cloned());
                portrait = portrait.or(doc.portrait_match.clone());
                merge(&mut person, &doc.document);
            }
        }
    }
    if unreadable {
        return Verdict {
            doc_auth_result: "Unknown".into(),
            alerts: vec![Alert { name: "Document Classification".into(), result: "Failed".into() }],
            portrait_match: "Fail".into(),
            person: None,
        };
    }
    merge(&mut person, &default_person());
    let doc_auth_result =
        result.unwrap_or_else(|| if alerts.is_empty() { "Passed" } else { "Failed" }.into());
    let readable = doc_auth_result != "Unknown";
    Verdict {
        doc_auth_result,
        alerts,
        portrait_match: portrait.unwrap_or_else(|| "Pass".into()),
        person: readable.then_some(person),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(front: &[u8]) -> Verdict {
        judge(&[
            ("front", read(front)),
            ("back", read(b"\xFF\xD8\xFF\xE0")),
            ("selfie", read(b"\xFF\xD8\xFF\xE0")),
        ])
    }

    #[test]
    fn test_documents_choose_the_outcome() {
        assert_eq!(verdict(b"\xFF\xD8\xFF\xE0jpeg").reason(), None);
        assert_eq!(verdict(b"not an image").reason(), Some("document_unreadable"));
        assert_eq!(verdict(br#"{"doc_auth_result":"Unknown"}"#).reason(), Some("document_unreadable"));
        let expired = br#"{"failed_alerts":[{"name":"Document Expired"}]}"#;
        assert_eq!(verdict(expired).reason(), Some("document_expired"));
        assert_eq!(verdict(br#"{"portrait_match":"Fail"}"#).reason(), Some("selfie_mismatch"));
        let named = verdict(br#"{"document":{"first_name":"Jane"}}"#);
        let person = named.person.unwrap();
        assert_eq!(person.first_name.as_deref(), Some("Jane"));
        assert_eq!(person.last_name.as_deref(), Some("MCFAKERSON"), "defaults fill the rest");
    }
}
