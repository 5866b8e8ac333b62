//! An Amazon SES v2 `SendEmail`-shaped endpoint (`POST /v2/email/outbound-emails`), for
//! services that send mail through the API rather than SMTP. Messages land in the same inbox
//! as SMTP's. A SigV4 `Authorization` header is required as AWS requires it, but its signature
//! is not checked (the fake knows no secret keys). Simple and raw content; templates are not
//! supported and are refused as such.

use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;

use crate::mail::{Content, FakeMail};

pub const PATH: &str = "/v2/email/outbound-emails";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SendEmail {
    from_email_address: Option<String>,
    #[serde(default)]
    destination: Destination,
    content: EmailContent,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
struct Destination {
    to_addresses: Vec<String>,
    cc_addresses: Vec<String>,
    bcc_addresses: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct EmailContent {
    simple: Option<Simple>,
    raw: Option<Raw>,
    template: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Simple {
    subject: Text,
    body: Body,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Body {
    text: Option<Text>,
    html: Option<Text>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Text {
    data: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Raw {
    /// Base64 of the MIME message (the JSON form of a blob).
    data: String,
}

/// AWS's REST-JSON error: the type in a header and a `message`.
fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response {
    (status, [("x-amzn-ErrorType", kind)], Json(json!({ "message": message }))).into_response()
}

fn signed(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("AWS4-HMAC-SHA256 ") && v.contains("Credential="))
}

/// Addresses in the `To` and `Cc` headers of a raw message (SES's rule when it names none).
fn header_recipients(raw: &[u8]) -> Vec<String> {
    let Ok((headers, _)) = mailparse::parse_headers(raw) else { return Vec::new() };
    headers
        .iter()
        .filter(|h| h.get_key_ref().eq_ignore_ascii_case("to") || h.get_key_ref().eq_ignore_ascii_case("cc"))
        .filter_map(|h| mailparse::addrparse_header(h).ok())
        .flat_map(|list| list.iter().cloned().collect::<Vec<_>>())
        .flat_map(|addr| match addr {
            mailparse::MailAddr::Single(one) => vec![one.addr],
            mailparse::MailAddr::Group(group) => group.addrs.into_iter().map(|a| a.addr).collect(),
        })
        .collect()
}

/// Answers one `SendEmail`; the body is read as JSON whatever its content type, as AWS does.
pub fn send_email(mail: &FakeMail, headers: &HeaderMap, body: &[u8]) -> Response {
    if !signed(headers) {
        return aws_error(
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    }
    let request: SendEmail = match serde_json::from_slice(body) {
        Ok(request) => request,
        Err(error) => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                &format!("Invalid request: {error}"),
            );
        }
    };
    let d = request.destination;
    let mut to: Vec<String> =
        d.to_addresses.into_iter().chain(d.cc_addresses).chain(d.bcc_addresses).collect();
    let content = match request.content {
        EmailContent { simple: Some(simple), raw: None, template: None } => {
            if simple.body.text.is_none() && simple.body.html.is_none() {
                return aws_error(
                    StatusCode::BAD_REQUEST,
                    "BadRequestException",
                    "Body must have Text or Html.",
                );
            }
            Content::Simple {
                subject: simple.subject.data,
                text: simple.body.text.map(|t| t.data).unwrap_or_default(),
                html: simple.body.html.map(|h| h.data),
            }
        }
        EmailContent { raw: Some(raw), simple: None, template: None } => {
            match base64::engine::general_purpose::STANDARD.decode(raw.data.trim()) {
                Ok(bytes) => Content::Raw(bytes),
                Err(_) => {
                    return aws_error(
                        StatusCode::BAD_REQUEST,
                        "BadRequestException",
                        "Raw.Data is not base64.",
                    );
                }
            }
        }
        EmailContent { template: Some(_), simple: None, raw: None } => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                "Templates are not supported by this fake.",
            );
        }
        _ => {
            return aws_error(
                StatusCode::BAD_REQUEST,
                "BadRequestException",
                "Exactly one of Simple, Raw or Template is required.",
            );
        }
    };
    let Some(from) = request.from_email_address else {
        return aws_error(StatusCode::BAD_REQUEST, "BadRequestException", "FromEmailAddress is required.");
    };
    if let (true, Content::Raw(raw)) = (to.is_empty(), &content) {
        to = header_recipients(raw);
    }
    if to.is_empty() {
        return aws_error(
            StatusCode::BAD_REQUEST,
            "BadRequestException",
            "At least one destination address is required.",
        );
    }
    match mail.store(from, to, content) {
        Ok(stored) => Json(json!({ "MessageId": format!("{:016x}-fake-ses", stored.id) })).into_response(),
        Err(message) => aws_error(StatusCode::BAD_REQUEST, "BadRequestException", &message),
    }
}
