//! The inbox HTTP API (JSON) and an HTML page listing mail, texts and calls.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/settings` | where the fakes listen and the SMS credentials to configure |
//! | `GET /api/mail?to=` | messages (all, or to one recipient), oldest first |
//! | `GET /api/mail/latest?to=` | the newest message to `to` (404 when none) |
//! | `GET /api/mail/wait?to=&after=&timeout_ms=` | the first message to `to` with id > `after`, waiting for it (404 on time-out) |
//! | `GET /api/mail/{id}` | one message, with its links |
//! | `DELETE /api/mail` | forget every message |
//! | `GET /api/phone?to=&channel=sms\|voice` | texts and calls, oldest first |
//! | `GET /api/phone/latest?to=` | the newest text or call to `to`, with its `code` |
//! | `GET /api/phone/wait?to=&after=&timeout_ms=` | as for mail |
//! | `DELETE /api/phone` | forget every text and call |
//! | `GET /api/faults` | the faults switched on (see `faults`) |
//! | `PUT /api/faults/smtp` | e.g. `{"fail_next": 2, "code": 451, "stage": "data"}`, `{"drop_next": 1}` |
//! | `PUT /api/faults/sms` | e.g. `{"fail_next": 1, "status": 503}`, `{"drop_next": 1}`, `{"delay_ms": 2000}` |
//! | `DELETE /api/faults` | switch every fault off |
//! | `POST /v2/email/outbound-emails` | Amazon SES v2 `SendEmail` (see `ses`) |
//! | `POST /restws/identity/v3/accounts/{a}/workflows/{w}/conversations` | document verification (see `proofing::documents`) |
//! | `POST /restws/identity/v2/{a}/{w}/conversation` | identity resolution (see `proofing::resolution`) |
//! | `POST /ivs-ippaas-api/IPPRest/resources/rest/{getIppFacilityList,optInIPPApplicant,getProofingResults}` | in-person proofing at a Post Office (see `proofing::in_person`) |
//! | `GET /api/in-person`, `POST /api/in-person/{code}` | the enrollments; play a visit: `{"result": "passed"}` (or `failed`, `expired`) |
//! | `GET /api/proofing`, `DELETE /api/proofing` | what the proofing fakes were asked (never the images); `DELETE` forgets enrollments too |
//! | `GET /` | the HTML page |

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::inbox::{Delivered, Inbox};
use crate::mail::FakeMail;
use crate::sms::{Channel, FakeSms, PhoneMessage};

/// Longest a `wait` request may hold the connection.
const MAX_WAIT: Duration = Duration::from_secs(60);

/// What a sign-in service must be configured with to deliver through the fakes.
#[derive(Clone, Debug, Serialize)]
pub struct Settings {
    pub smtp_host: String,
    /// SMTP, STARTTLS offered, AUTH optional.
    pub smtp_port: u16,
    /// SMTP with TLS from the first byte, when started with one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub smtps_port: Option<u16>,
    /// SHA-256 of the TLS certificate, to pin or compare.
    pub smtp_tls_fingerprint: String,
    pub sms_base_url: String,
    pub sms_account_sid: String,
    pub sms_auth_token: String,
    /// An API key (`SK…`) and secret the provider accepts instead of the auth token.
    pub sms_api_key_sid: String,
    pub sms_api_key_secret: String,
    /// Base URL of the SES v2-shaped mail API (`POST /v2/email/outbound-emails`).
    pub ses_endpoint: String,
    /// Base URL of the identity-proofing fakes (document verification, identity resolution)
    /// and their HTTP Basic credentials.
    pub proofing_url: String,
    pub proofing_username: String,
    pub proofing_password: String,
    pub inbox_url: String,
}

impl Settings {
    pub fn of(mail: &FakeMail, sms: &FakeSms, inbox_url: &str) -> Self {
        Self {
            smtp_host: mail.addr().ip().to_string(),
            smtp_port: mail.addr().port(),
            smtps_port: mail.tls_addr().map(|a| a.port()),
            smtp_tls_fingerprint: mail.fingerprint().to_owned(),
            sms_base_url: sms.base_url(),
            sms_account_sid: sms.credentials().account_sid.clone(),
            sms_auth_token: sms.credentials().auth_token.clone(),
            sms_api_key_sid: sms.credentials().api_key_sid.clone(),
            sms_api_key_secret: sms.credentials().api_key_secret.clone(),
            ses_endpoint: inbox_url.to_owned(),
            proofing_url: inbox_url.to_owned(),
            proofing_username: crate::proofing::USERNAME.to_owned(),
            proofing_password: crate::proofing::PASSWORD.to_owned(),
            inbox_url: inbox_url.to_owned(),
        }
    }
}

#[derive(Clone)]
struct Fakes {
    mail: Arc<FakeMail>,
    sms: Arc<FakeSms>,
    proofing: Arc<crate::proofing::Vendors>,
}

pub fn router(mail: Arc<FakeMail>, sms: Arc<FakeSms>, proofing: Arc<crate::proofing::Vendors>) -> Router {
    Router::new()
        .route("/", get(page))
        .route("/api/settings", get(settings))
        .route("/api/mail", get(list_mail).delete(clear_mail))
        .route("/api/mail/latest", get(latest_mail))
        .route("/api/mail/wait", get(wait_mail))
        .route("/api/mail/{id}", get(one_mail))
        .route("/api/phone", get(list_phone).delete(clear_phone))
        .route("/api/phone/latest", get(latest_phone))
        .route("/api/phone/wait", get(wait_phone))
        .route("/api/faults", get(faults).delete(clear_faults))
        .route("/api/faults/smtp", put(set_smtp_faults))
        .route("/api/faults/sms", put(set_sms_faults))
        .route(crate::ses::PATH, post(ses_send_email))
        .with_state(Fakes { mail, sms, proofing: proofing.clone() })
        .merge(crate::proofing::router(proofing))
}

#[derive(Deserialize)]
struct Filter {
    to: Option<String>,
    channel: Option<Channel>,
}

#[derive(Deserialize)]
struct Wait {
    to: String,
    #[serde(default)]
    after: u64,
    #[serde(default = "default_wait_ms")]
    timeout_ms: u64,
}

fn default_wait_ms() -> u64 {
    5_000
}

fn not_found(what: &str) -> Response {
    (StatusCode::NOT_FOUND, Json(json!({ "error": what }))).into_response()
}

fn found<T: Serialize>(item: Option<T>, what: &str) -> Response {
    match item {
        Some(item) => Json(item).into_response(),
        None => not_found(what),
    }
}

async fn wait<T: Delivered + Serialize>(inbox: &Inbox<T>, q: Wait) -> Response {
    let timeout = Duration::from_millis(q.timeout_ms).min(MAX_WAIT);
    found(inbox.wait_after(&q.to, q.after, timeout).await, "nothing arrived before the time-out")
}

async fn settings(State(f): State<Fakes>, headers: axum::http::HeaderMap) -> Json<Settings> {
    let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("localhost");
    Json(Settings::of(&f.mail, &f.sms, &format!("http://{host}")))
}

async fn list_mail(State(f): State<Fakes>, Query(q): Query<Filter>) -> Response {
    Json(json!({ "cursor": f.mail.inbox().cursor(), "messages": f.mail.inbox().filtered(q.to.as_deref()) }))
        .into_response()
}

async fn latest_mail(State(f): State<Fakes>, Query(q): Query<Filter>) -> Response {
    let Some(to) = q.to else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "the `to` parameter is required" })))
            .into_response();
    };
    found(f.mail.inbox().latest(&to), "no message to that recipient")
}

async fn wait_mail(State(f): State<Fakes>, Query(q): Query<Wait>) -> Response {
    wait(f.mail.inbox(), q).await
}

async fn one_mail(State(f): State<Fakes>, Path(id): Path<u64>) -> Response {
    found(f.mail.inbox().get(id), "no message with that id")
}

async fn clear_mail(State(f): State<Fakes>) -> StatusCode {
    f.mail.clear();
    StatusCode::NO_CONTENT
}

#[derive(Serialize)]
struct WithCode {
    #[serde(flatten)]
    message: PhoneMessage,
    code: Option<String>,
}

fn with_code(message: PhoneMessage) -> WithCode {
    WithCode { code: message.code(), message }
}

async fn list_phone(State(f): State<Fakes>, Query(q): Query<Filter>) -> Response {
    let messages: Vec<WithCode> = f
        .sms
        .inbox()
        .filtered(q.to.as_deref())
        .into_iter()
        .filter(|m| q.channel.is_none_or(|c| c == m.channel))
        .map(with_code)
        .collect();
    Json(json!({ "cursor": f.sms.inbox().cursor(), "messages": messages })).into_response()
}

async fn latest_phone(State(f): State<Fakes>, Query(q): Query<Filter>) -> Response {
    let Some(to) = q.to else {
        return (StatusCode::BAD_REQUEST, Json(json!({ "error": "the `to` parameter is required" })))
            .into_response();
    };
    found(f.sms.inbox().latest(&to).map(with_code), "no text or call to that number")
}

async fn wait_phone(State(f): State<Fakes>, Query(q): Query<Wait>) -> Response {
    let timeout = Duration::from_millis(q.timeout_ms).min(MAX_WAIT);
    found(
        f.sms.inbox().wait_after(&q.to, q.after, timeout).await.map(with_code),
        "nothing arrived before the time-out",
    )
}

async fn clear_phone(State(f): State<Fakes>) -> StatusCode {
    f.sms.clear();
    StatusCode::NO_CONTENT
}

async fn faults(State(f): State<Fakes>) -> Response {
    let (smtp, _) = f.mail.faults().snapshot();
    let (_, sms) = f.sms.faults().snapshot();
    Json(json!({ "smtp": smtp, "sms": sms })).into_response()
}

async fn clear_faults(State(f): State<Fakes>) -> StatusCode {
    f.mail.faults().clear();
    f.sms.faults().clear();
    StatusCode::NO_CONTENT
}

fn switched(result: Result<(), String>) -> Response {
    match result {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response(),
    }
}

fn bad_json(error: axum::extract::rejection::JsonRejection) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": error.body_text() }))).into_response()
}

async fn set_smtp_faults(
    State(f): State<Fakes>,
    body: Result<Json<crate::faults::SmtpFaults>, axum::extract::rejection::JsonRejection>,
) -> Response {
    match body {
        Ok(Json(faults)) => switched(f.mail.faults().set_smtp(faults)),
        Err(error) => bad_json(error),
    }
}

async fn set_sms_faults(
    State(f): State<Fakes>,
    body: Result<Json<crate::faults::SmsFaults>, axum::extract::rejection::JsonRejection>,
) -> Response {
    match body {
        Ok(Json(faults)) => switched(f.sms.faults().set_sms(faults)),
        Err(error) => bad_json(error),
    }
}

async fn ses_send_email(
    State(f): State<Fakes>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    crate::ses::send_email(&f.mail, &headers, &body)
}

/// Escapes text for HTML element content and attribute values.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

async fn page(State(f): State<Fakes>) -> Html<String> {
    let mut mail = String::new();
    for m in f.mail.inbox().all().iter().rev() {
        let links: String =
            m.links.iter().map(|l| format!(r#"<li><a href="{0}">{0}</a></li>"#, esc(l))).collect();
        mail.push_str(&format!(
            "<article><h3>{subject}</h3><p class=meta>to {to} · {at}</p><pre>{text}</pre><ul>{links}</ul></article>",
            subject = esc(&m.subject),
            to = esc(&m.to.join(", ")),
            at = m.received_at,
            text = esc(&m.text),
        ));
    }
    let mut phone = String::new();
    for m in f.sms.inbox().all().iter().rev() {
        phone.push_str(&format!(
            "<article><h3>{kind} to {to}</h3><p class=meta>{at}{code}</p><pre>{body}</pre></article>",
            kind = if m.channel == Channel::Sms { "Text" } else { "Call" },
            to = esc(&m.to),
            at = m.received_at,
            code = m.code().map(|c| format!(" · code <strong>{c}</strong>")).unwrap_or_default(),
            body = esc(&m.body),
        ));
    }
    let mut proofing = String::new();
    for c in f.proofing.checks.all().iter().rev() {
        let images: Vec<String> =
            c.images.iter().map(|i| format!("{} {} ({} bytes)", i.side, i.kind, i.bytes)).collect();
        proofing.push_str(&format!(
            "<article><h3>{service}: {status}{reason}</h3><p class=meta>{at}</p><p>{images}</p></article>",
            service = if c.service == "documents" { "Document check" } else { "Identity look-up" },
            status = esc(&c.status),
            reason = c.reason.as_deref().map(|r| format!(" ({})", esc(r))).unwrap_or_default(),
            at = c.at,
            images = esc(&images.join(", ")),
        ));
    }
    for e in f.proofing.enrollments.all().iter().rev() {
        proofing.push_str(&format!(
            "<article><h3>Post Office enrollment {code}: {result:?}</h3><p class=meta>asked for its result \
             {polled} times · play the visit: <code>POST /api/in-person/{code}</code></p></article>",
            code = esc(&e.enrollment_code),
            result = e.result,
            polled = e.polled,
        ));
    }
    let empty = "<p>Nothing yet.</p>";
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5"><title>Fake inbox</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1b1b1b}}
h1{{font-size:1.5rem}}section{{display:grid;gap:1rem}}article{{border:1px solid #dfe1e2;border-radius:.25rem;padding:.5rem 1rem}}
h3{{margin:.25rem 0;font-size:1.05rem}}.meta{{color:#565c65;margin:0;font-size:.9rem}}pre{{white-space:pre-wrap;font:inherit}}a{{color:#005ea2;word-break:break-all}}</style></head>
<body><h1>Fake inbox</h1><p class=meta>Refreshes every 5 seconds. JSON at <code>/api/mail</code> and <code>/api/phone</code>.</p>
<h2>Email</h2><section>{mail}</section><h2>Texts and calls</h2><section>{phone}</section>
<h2>Identity checks</h2><section>{proofing}</section></body></html>"#,
        mail = if mail.is_empty() { empty } else { &mail },
        phone = if phone.is_empty() { empty } else { &phone },
        proofing = if proofing.is_empty() { empty } else { &proofing },
    ))
}
