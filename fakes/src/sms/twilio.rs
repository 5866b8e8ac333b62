//! The provider's REST API in Twilio's shape (`/2010-04-01/Accounts/{AccountSid}/…`):
//! creating texts and calls, reading them back by sid, Twilio's error JSON, and what follows a
//! request: delivery (or its fault), status callbacks, a call's TwiML fetched from its `Url`.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Value, json};
use time::OffsetDateTime;
use wiremock::{Request, Respond, ResponseTemplate};

use super::numbers::PhoneKind;
use super::webhooks::{self, spoken_text};
use super::{Channel, PhoneMessage, SmsCredentials, normalize};
use crate::faults::Faults;
use crate::inbox::Inbox;

pub const API_VERSION: &str = "2010-04-01";

/// Twilio's error body: its code, message, documentation link and the HTTP status.
pub fn error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

/// Everything a request's follow-up needs; cheap to clone into a task.
#[derive(Clone)]
pub struct Provider {
    pub credentials: SmsCredentials,
    pub inbox: Arc<Inbox<PhoneMessage>>,
    pub faults: Arc<Faults>,
    /// Every text and call created, as `GET` by sid returns it.
    pub records: Arc<Mutex<HashMap<String, Value>>>,
    /// Numbers the next sid.
    pub sids: Arc<AtomicU64>,
    /// Where follow-ups (late delivery, callbacks, TwiML fetches) run.
    pub runtime: tokio::runtime::Handle,
    pub http: reqwest::Client,
}

type Form = Vec<(String, String)>;

fn field<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.is_empty())
}

fn now_rfc2822() -> String {
    OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc2822).unwrap_or_default()
}

fn pairs(list: &[(&str, &str)]) -> Form {
    list.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// What a created text or call is to become.
enum Fate {
    Arrives,
    ArrivesLate(std::time::Duration),
    Lost,
    Undelivered,
}

impl Provider {
    /// The account's auth token, or an API key (`SK…`) and its secret, by HTTP basic auth;
    /// the path names the account either way.
    fn authorized(&self, request: &Request, account: &str) -> bool {
        let c = &self.credentials;
        let basic = |user: &str, secret: &str| {
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{secret}")))
        };
        let header = request.headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
        account == c.account_sid
            && (header == basic(&c.account_sid, &c.auth_token)
                || header == basic(&c.api_key_sid, &c.api_key_secret))
    }

    /// 32 hex digits after the two-letter prefix, as Twilio's sids.
    fn next_sid(&self) -> String {
        format!("{:032x}", self.sids.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn set_status(&self, sid: &str, status: &str, error: Option<(u32, &str)>) {
        let mut records = self.records.lock().expect("records lock");
        if let Some(record) = records.get_mut(sid) {
            record["status"] = json!(status);
            record["date_updated"] = json!(now_rfc2822());
            if record["sid"].as_str().is_some_and(|s| s.starts_with("SM")) {
                if status == "sent" || status == "delivered" {
                    record["date_sent"] = json!(now_rfc2822());
                }
                if let Some((code, message)) = error {
                    record["error_code"] = json!(code);
                    record["error_message"] = json!(message);
                }
            }
        }
    }

    fn create_message(&self, account: &str, form: &Form) -> ResponseTemplate {
        let Some(to) = field(form, "To") else {
            return error(400, 21604, "A 'To' phone number is required.");
        };
        let service = field(form, "MessagingServiceSid");
        if service.is_some_and(|s| !s.starts_with("MG")) {
            return error(400, 21701, "The Messaging Service Sid is invalid.");
        }
        let from = field(form, "From");
        if from.is_none() && service.is_none() {
            return error(400, 21603, "A 'From' phone number is required.");
        }
        let Some(body) = field(form, "Body") else {
            return error(400, 21602, "Message body is required.");
        };
        let kind = PhoneKind::of(&normalize(to));
        match kind {
            PhoneKind::Failing => return error(500, 20500, "Internal Server Error"),
            PhoneKind::Invalid => return error(400, 21211, &format!("Invalid 'To' Phone Number: {to}")),
            PhoneKind::Landline => {
                return error(400, 21614, &format!("'To' number {to} is not a valid mobile number"));
            }
            PhoneKind::OptedOut => return error(400, 21610, "Attempt to send to unsubscribed recipient"),
            _ => {}
        }
        let sid = format!("SM{}", self.next_sid());
        let record = json!({
            "account_sid": account,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now_rfc2822(),
            "date_sent": null,
            "date_updated": now_rfc2822(),
            "direction": "outbound-api",
            "error_code": null,
            "error_message": null,
            "from": from,
            "messaging_service_sid": service,
            "num_media": "0",
            "num_segments": "1",
            "price": null,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": { "media": format!("/{API_VERSION}/Accounts/{account}/Messages/{sid}/Media.json") },
            "to": to,
            "uri": format!("/{API_VERSION}/Accounts/{account}/Messages/{sid}.json"),
        });
        self.records.lock().expect("records lock").insert(sid.clone(), record.clone());
        let message = PhoneMessage {
            id: 0,
            sid: sid.clone(),
            channel: Channel::Sms,
            to: to.to_owned(),
            from: from.or(service).unwrap_or_default().to_owned(),
            body: body.to_owned(),
            twiml: None,
            received_at: OffsetDateTime::now_utc(),
        };
        let callback = field(form, "StatusCallback").map(|url| (url.to_owned(), "POST".to_owned()));
        self.deliver(message, self.fate(to), callback);
        ResponseTemplate::new(201).set_body_json(record)
    }

    fn create_call(&self, account: &str, form: &Form) -> ResponseTemplate {
        let Some(to) = field(form, "To") else {
            return error(400, 21201, "No 'To' number is specified");
        };
        let Some(from) = field(form, "From") else {
            return error(400, 21213, "No 'From' number is specified");
        };
        let url = field(form, "Url");
        let twiml = field(form, "Twiml");
        if url.is_none() && twiml.is_none() {
            return error(400, 21205, "Url or Twiml parameter is required.");
        }
        if let Some(url) = url
            && !url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        {
            return error(400, 21205, &format!("Url is not a valid URL: {url}"));
        }
        let kind = PhoneKind::of(&normalize(to));
        match kind {
            PhoneKind::Failing => return error(500, 20500, "Internal Server Error"),
            PhoneKind::Invalid => {
                return error(
                    400,
                    13224,
                    &format!("The phone number you are attempting to call, {to}, is not valid."),
                );
            }
            _ => {}
        }
        let sid = format!("CA{}", self.next_sid());
        let record = json!({
            "account_sid": account,
            "annotation": null,
            "answered_by": null,
            "api_version": API_VERSION,
            "caller_name": null,
            "date_created": now_rfc2822(),
            "date_updated": now_rfc2822(),
            "direction": "outbound-api",
            "duration": null,
            "end_time": null,
            "forwarded_from": null,
            "from": from,
            "from_formatted": from,
            "parent_call_sid": null,
            "phone_number_sid": null,
            "price": null,
            "price_unit": "USD",
            "sid": sid,
            "start_time": null,
            "status": "queued",
            "subresource_uris": {},
            "to": to,
            "to_formatted": to,
            "uri": format!("/{API_VERSION}/Accounts/{account}/Calls/{sid}.json"),
        });
        self.records.lock().expect("records lock").insert(sid.clone(), record.clone());
        let callback = field(form, "StatusCallback").map(|url| {
            (url.to_owned(), field(form, "StatusCallbackMethod").unwrap_or("POST").to_uppercase())
        });
        let message = PhoneMessage {
            id: 0,
            sid: sid.clone(),
            channel: Channel::Voice,
            to: to.to_owned(),
            from: from.to_owned(),
            body: twiml.map(spoken_text).unwrap_or_default(),
            twiml: twiml.map(str::to_owned),
            received_at: OffsetDateTime::now_utc(),
        };
        match url {
            // Twilio answers at once and fetches the TwiML when the call is answered.
            Some(url) => {
                let method = field(form, "Method").unwrap_or("POST").to_uppercase();
                self.call_by_url(message, url.to_owned(), method, self.fate(to), callback);
            }
            None => self.deliver(message, self.fate(to), callback),
        }
        ResponseTemplate::new(201).set_body_json(record)
    }

    /// What becomes of a text or call to `to`: its number's fault, or a switched-on drop.
    fn fate(&self, to: &str) -> Fate {
        match PhoneKind::of(&normalize(to)) {
            PhoneKind::Lost => Fate::Lost,
            PhoneKind::Unreachable => Fate::Undelivered,
            _ if self.faults.sms_drop() => Fate::Lost,
            PhoneKind::Late => Fate::ArrivesLate(PhoneKind::lateness(to)),
            _ => Fate::Arrives,
        }
    }

    /// Delivers now (so a reader of the inbox finds it as soon as the API has answered), or as
    /// the number's fault says; then posts the status callbacks.
    fn deliver(&self, message: PhoneMessage, fate: Fate, callback: Option<(String, String)>) {
        if let Fate::Arrives = fate {
            self.arrive(&message);
        }
        let provider = self.clone();
        self.runtime.spawn(async move {
            if let Fate::ArrivesLate(after) = fate {
                provider.set_status(&message.sid, "sent", None);
                tokio::time::sleep(after).await;
                provider.arrive(&message);
            }
            provider.finish(&message, matches!(fate, Fate::Undelivered), callback).await;
        });
    }

    /// A call whose TwiML is at `url`: fetched (following redirects), then what it says arrives.
    fn call_by_url(
        &self,
        mut message: PhoneMessage,
        url: String,
        method: String,
        fate: Fate,
        callback: Option<(String, String)>,
    ) {
        let provider = self.clone();
        self.runtime.spawn(async move {
            let params = provider.call_params(&message, "in-progress");
            let fetched = webhooks::fetch_twiml(
                &provider.http,
                &provider.credentials.auth_token,
                &method,
                &url,
                &params,
            )
            .await;
            match fetched {
                Ok(documents) => {
                    message.body = documents.iter().map(|d| spoken_text(d)).collect::<Vec<_>>().join(" ");
                    message.twiml = Some(documents.join("\n"));
                    provider.deliver(message, fate, callback);
                }
                Err(err) => {
                    // Twilio error 11200: the TwiML could not be retrieved; the call fails.
                    tracing::warn!(%url, error = %err, "fake provider could not fetch a call's TwiML");
                    provider.finish(&message, true, callback).await;
                }
            }
        });
    }

    fn arrive(&self, message: &PhoneMessage) {
        let stored = self.inbox.push(|id| PhoneMessage {
            id,
            received_at: OffsetDateTime::now_utc(),
            ..message.clone()
        });
        tracing::debug!(sid = %stored.sid, "delivered");
    }

    fn call_params(&self, message: &PhoneMessage, status: &str) -> Vec<(String, String)> {
        pairs(&[
            ("AccountSid", &self.credentials.account_sid),
            ("ApiVersion", API_VERSION),
            ("CallSid", &message.sid),
            ("CallStatus", status),
            ("Called", &message.to),
            ("Caller", &message.from),
            ("Direction", "outbound-api"),
            ("From", &message.from),
            ("To", &message.to),
        ])
    }

    /// The final status, and the callbacks Twilio sends for it: a text goes `sent` then
    /// `delivered` (or `undelivered` with error 30003); a call ends `completed` or `failed`.
    async fn finish(&self, message: &PhoneMessage, failed: bool, callback: Option<(String, String)>) {
        let statuses: &[&str] = match (message.channel, failed) {
            (Channel::Sms, false) => &["sent", "delivered"],
            (Channel::Sms, true) => &["sent", "undelivered"],
            (Channel::Voice, false) => &["completed"],
            (Channel::Voice, true) => &["failed"],
        };
        for status in statuses {
            let error = (*status == "undelivered").then_some((30003, "Unreachable destination handset"));
            self.set_status(&message.sid, status, error);
            let Some((url, method)) = &callback else { continue };
            let params = match message.channel {
                Channel::Sms => {
                    let mut params = pairs(&[
                        ("AccountSid", &self.credentials.account_sid),
                        ("ApiVersion", API_VERSION),
                        ("From", &message.from),
                        ("MessageSid", &message.sid),
                        ("MessageStatus", status),
                        ("SmsSid", &message.sid),
                        ("SmsStatus", status),
                        ("To", &message.to),
                    ]);
                    if let Some((code, _)) = error {
                        params.push(("ErrorCode".into(), code.to_string()));
                    }
                    params
                }
                Channel::Voice => {
                    let mut params = self.call_params(message, status);
                    params.push(("CallDuration".into(), if failed { "0" } else { "12" }.into()));
                    params
                }
            };
            webhooks::callback(&self.http, &self.credentials.auth_token, method, url, params).await;
        }
    }
}

impl Respond for Provider {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.answer(request).set_delay(self.faults.sms_delay())
    }
}

impl Provider {
    fn answer(&self, request: &Request) -> ResponseTemplate {
        let segments: Vec<&str> = request.url.path().trim_matches('/').split('/').collect();
        let (account, rest) = match segments.as_slice() {
            [API_VERSION, "Accounts", account, rest @ ..] => (*account, rest),
            _ => return error(404, 20404, "The requested resource was not found"),
        };
        if !self.authorized(request, account) {
            return error(401, 20003, "Authenticate");
        }
        let method = request.method.as_str();
        match (method, rest) {
            ("POST", [collection @ ("Messages.json" | "Calls.json")]) => {
                if let Some((status, code)) = self.faults.sms_failure() {
                    return error(status, code, "Service unavailable (fault injected)");
                }
                let form: Form = url::form_urlencoded::parse(&request.body).into_owned().collect();
                if *collection == "Messages.json" {
                    self.create_message(account, &form)
                } else {
                    self.create_call(account, &form)
                }
            }
            ("GET", ["Messages" | "Calls", resource]) => {
                let sid = resource.strip_suffix(".json").unwrap_or(resource);
                match self.records.lock().expect("records lock").get(sid) {
                    Some(record) => ResponseTemplate::new(200).set_body_json(record),
                    None => error(
                        404,
                        20404,
                        &format!(
                            "The requested resource /{API_VERSION}/Accounts/{account}/{} was not found",
                            rest.join("/")
                        ),
                    ),
                }
            }
            _ => error(404, 20404, "The requested resource was not found"),
        }
    }
}
