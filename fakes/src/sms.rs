//! A Twilio-shaped SMS and voice provider that keeps what it is asked to deliver.
//!
//! It answers `POST /2010-04-01/Accounts/{AccountSid}/Messages.json` (form `To`, `From`,
//! `Body`) and `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` (form `To`, `From`,
//! `Twiml`) with HTTP basic auth `AccountSid:AuthToken`, like the real API: 201 and a JSON
//! resource whose `sid` starts with `SM` (texts) or `CA` (calls).
//!
//! Fault injection, by the destination number (E.164):
//!
//! | number            | texts                                   | calls        |
//! |-------------------|-----------------------------------------|--------------|
//! | `+15551xxxxxx`    | refused: 400, Twilio error 21614 (landline, not a mobile number) | delivered |
//! | `+15552xxxxxx`    | refused: 400, Twilio error 21610 (recipient opted out)           | delivered |
//! | `+15553xxxxxx`    | 500, Twilio error 20500 (provider failure)                       | 500, 20500 |
//! | anything else     | delivered                               | delivered    |

use std::net::{SocketAddr, TcpListener};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use base64::Engine;
use regex::Regex;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use crate::inbox::{Delivered, Inbox};

/// How a destination number behaves, decided by its prefix (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PhoneKind {
    Mobile,
    Landline,
    OptedOut,
    Failing,
}

impl PhoneKind {
    pub fn of(number: &str) -> Self {
        match number.strip_prefix("+1555").and_then(|rest| rest.chars().next()) {
            Some('1') => Self::Landline,
            Some('2') => Self::OptedOut,
            Some('3') => Self::Failing,
            _ => Self::Mobile,
        }
    }

    /// The prefix of numbers of this kind (`None` for mobile, which is everything else).
    pub fn prefix(self) -> Option<&'static str> {
        match self {
            Self::Mobile => None,
            Self::Landline => Some("+15551"),
            Self::OptedOut => Some("+15552"),
            Self::Failing => Some("+15553"),
        }
    }
}

/// Account credentials the fake accepts (HTTP basic auth).
#[derive(Clone, Debug, Serialize)]
pub struct SmsCredentials {
    pub account_sid: String,
    pub auth_token: String,
}

impl Default for SmsCredentials {
    fn default() -> Self {
        Self { account_sid: "ACfake00000000000000000000000000".into(), auth_token: "fake-auth-token".into() }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Sms,
    Voice,
}

/// A text sent, or a call placed, through the fake provider.
#[derive(Clone, Debug, Serialize)]
pub struct PhoneMessage {
    pub id: u64,
    pub sid: String,
    pub channel: Channel,
    pub to: String,
    pub from: String,
    /// The text of an SMS, or what a call says (the `<Say>` elements of its TwiML).
    pub body: String,
    /// The TwiML of a call.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub twiml: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
}

impl PhoneMessage {
    /// The security code in the message: the first run of 4 to 10 digits, where a spoken code
    /// may separate its digits with spaces, commas or dots ("1, 2, 3, 4, 5, 6").
    pub fn code(&self) -> Option<String> {
        extract_code(&self.body)
    }
}

impl Delivered for PhoneMessage {
    fn id(&self) -> u64 {
        self.id
    }
    fn is_for(&self, recipient: &str) -> bool {
        normalize(&self.to) == normalize(recipient)
    }
}

/// Digits and a leading `+` only, so `+1 (555) 000-1234` matches `+15550001234`.
pub fn normalize(number: &str) -> String {
    number.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
}

static CODE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\d(?:[ ,.\-]{0,2}\d){3,9}").expect("code pattern"));

pub fn extract_code(text: &str) -> Option<String> {
    CODE.find(text).map(|m| m.as_str().chars().filter(char::is_ascii_digit).collect())
}

/// The running provider fake and what it has delivered.
pub struct FakeSms {
    server: MockServer,
    credentials: SmsCredentials,
    inbox: Arc<Inbox<PhoneMessage>>,
}

impl FakeSms {
    pub async fn start(addr: SocketAddr, credentials: SmsCredentials) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let server = MockServer::builder().listener(listener).disable_request_recording().start().await;
        let inbox = Arc::new(Inbox::default());
        Mock::given(method("POST"))
            .and(path_regex(r"^/2010-04-01/Accounts/[^/]+/(Messages|Calls)\.json$"))
            .respond_with(Provider { credentials: credentials.clone(), inbox: inbox.clone() })
            .mount(&server)
            .await;
        Ok(Self { server, credentials, inbox })
    }

    /// The provider's base URL, e.g. `http://127.0.0.1:41234`.
    pub fn base_url(&self) -> String {
        self.server.uri()
    }

    pub fn addr(&self) -> SocketAddr {
        *self.server.address()
    }

    pub fn credentials(&self) -> &SmsCredentials {
        &self.credentials
    }

    pub fn inbox(&self) -> &Inbox<PhoneMessage> {
        &self.inbox
    }

    /// Texts to `to`, oldest first.
    pub fn messages(&self, to: &str) -> Vec<PhoneMessage> {
        self.of_channel(to, Channel::Sms)
    }

    /// Calls to `to`, oldest first.
    pub fn calls(&self, to: &str) -> Vec<PhoneMessage> {
        self.of_channel(to, Channel::Voice)
    }

    /// The code in the newest text or call to `to`.
    pub fn latest_code(&self, to: &str) -> Option<String> {
        self.inbox.latest(to).and_then(|m| m.code())
    }

    /// Waits for a text or call to `to` carrying a code (one already there counts).
    pub async fn wait_for_code(&self, to: &str, timeout: Duration) -> Option<String> {
        self.inbox.wait_for(to, timeout).await.and_then(|m| m.code())
    }

    pub fn clear(&self) {
        self.inbox.clear();
    }

    fn of_channel(&self, to: &str, channel: Channel) -> Vec<PhoneMessage> {
        self.inbox.filtered(Some(to)).into_iter().filter(|m| m.channel == channel).collect()
    }
}

struct Provider {
    credentials: SmsCredentials,
    inbox: Arc<Inbox<PhoneMessage>>,
}

fn twilio_error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status,
    }))
}

impl Provider {
    fn authorized(&self, request: &Request) -> bool {
        let expected = base64::engine::general_purpose::STANDARD
            .encode(format!("{}:{}", self.credentials.account_sid, self.credentials.auth_token));
        let path_sid = request.url.path_segments().and_then(|mut s| s.nth(2)).unwrap_or_default();
        let header = request.headers.get("authorization").and_then(|v| v.to_str().ok());
        path_sid == self.credentials.account_sid && header == Some(&format!("Basic {expected}"))
    }
}

impl Respond for Provider {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if !self.authorized(request) {
            return twilio_error(401, 20003, "Authenticate");
        }
        let form: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let channel = if request.url.path().ends_with("/Calls.json") { Channel::Voice } else { Channel::Sms };
        let Some(to) = field("To").filter(|t| !t.is_empty()) else {
            return twilio_error(400, 21604, "A 'To' phone number is required.");
        };
        let from = field("From").unwrap_or_default();
        let (body, twiml) = match channel {
            Channel::Sms => match field("Body") {
                Some(body) if !body.is_empty() => (body, None),
                _ => return twilio_error(400, 21602, "Message body is required."),
            },
            Channel::Voice => match field("Twiml") {
                Some(twiml) if !twiml.is_empty() => (spoken_text(&twiml), Some(twiml)),
                _ => return twilio_error(400, 21205, "Url or Twiml parameter is required."),
            },
        };
        match (PhoneKind::of(&normalize(&to)), channel) {
            (PhoneKind::Failing, _) => return twilio_error(500, 20500, "Internal Server Error"),
            (PhoneKind::Landline, Channel::Sms) => {
                return twilio_error(400, 21614, &format!("'To' number {to} is not a valid mobile number"));
            }
            (PhoneKind::OptedOut, Channel::Sms) => {
                return twilio_error(400, 21610, "Attempt to send to unsubscribed recipient");
            }
            _ => {}
        }
        let prefix = match channel {
            Channel::Sms => "SM",
            Channel::Voice => "CA",
        };
        let stored = self.inbox.push(|id| PhoneMessage {
            id,
            sid: format!("{prefix}{id:032x}"),
            channel,
            to: to.clone(),
            from: from.clone(),
            body: body.clone(),
            twiml,
            received_at: OffsetDateTime::now_utc(),
        });
        let created =
            stored.received_at.format(&time::format_description::well_known::Rfc2822).unwrap_or_default();
        let mut resource = json!({
            "sid": stored.sid,
            "account_sid": self.credentials.account_sid,
            "to": to,
            "from": from,
            "status": "queued",
            "date_created": created,
        });
        if channel == Channel::Sms {
            resource["body"] = json!(body);
            resource["num_segments"] = json!("1");
        }
        ResponseTemplate::new(201).set_body_json(resource)
    }
}

static SAY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)<Say[^>]*>(.*?)</Say>").expect("say pattern"));

/// What a call would say: the text of its `<Say>` elements, or the TwiML itself without tags.
fn spoken_text(twiml: &str) -> String {
    let said: Vec<&str> =
        SAY.captures_iter(twiml).filter_map(|c| c.get(1)).map(|m| m.as_str().trim()).collect();
    if said.is_empty() { twiml.to_owned() } else { said.join(" ") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_found_written_or_spoken() {
        assert_eq!(extract_code("123456 is your security code."), Some("123456".into()));
        assert_eq!(extract_code("Your code is 1, 2, 3, 4, 5, 6. Again: 1, 2"), Some("123456".into()));
        assert_eq!(extract_code("Your code is 0 4 2 9 1 7."), Some("042917".into()));
        assert_eq!(extract_code("no code here, only 12"), None);
    }

    #[test]
    fn number_kinds_follow_the_documented_prefixes() {
        assert_eq!(PhoneKind::of("+15551000001"), PhoneKind::Landline);
        assert_eq!(PhoneKind::of("+15552000001"), PhoneKind::OptedOut);
        assert_eq!(PhoneKind::of("+15553000001"), PhoneKind::Failing);
        assert_eq!(PhoneKind::of("+15550000001"), PhoneKind::Mobile);
        assert_eq!(PhoneKind::of("+442071838750"), PhoneKind::Mobile);
    }

    #[test]
    fn spoken_text_is_taken_from_say_elements() {
        let twiml =
            r#"<Response><Say voice="alice">Your code is 1, 2, 3.</Say><Pause/><Say>Bye</Say></Response>"#;
        assert_eq!(spoken_text(twiml), "Your code is 1, 2, 3. Bye");
    }
}
