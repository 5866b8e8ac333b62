//! A Twilio-shaped SMS and voice provider that keeps what it is asked to deliver.
//!
//! The REST API of `twilio`: `POST …/Accounts/{AccountSid}/Messages.json` (`To`, `From` or
//! `MessagingServiceSid`, `Body`, `StatusCallback`) and `…/Calls.json` (`To`, `From`, `Twiml`
//! or `Url` + `Method`, `StatusCallback` + `StatusCallbackMethod`), `GET` of either by sid,
//! with HTTP basic auth by the account's auth token or an API key (`SK…`) and its secret.
//! Answers are Twilio's: 201 and the resource (`SM…`/`CA…` sids, status `queued`), or its
//! error JSON (`code`, `message`, `more_info`, `status`). Then, as Twilio does, a call by `Url`
//! fetches its TwiML (following `<Redirect>`), and status callbacks are posted, signed with
//! `X-Twilio-Signature` (see `webhooks`).
//!
//! Fault injection by the destination number (E.164), and over the inbox API (`faults`):
//!
//! | number            | texts                                   | calls        |
//! |-------------------|-----------------------------------------|--------------|
//! | `+15551xxxxxx`    | refused: 400, error 21614 (landline, not a mobile number) | arrive |
//! | `+15552xxxxxx`    | refused: 400, error 21610 (recipient opted out)           | arrive |
//! | `+15553xxxxxx`    | 500, error 20500 (provider failure)                       | 500, 20500 |
//! | `+15554xxxxxx`    | accepted, reported `delivered`, never arrive (lost)       | the same, `completed` |
//! | `+15555xxxxSS`    | arrive SS seconds late (`sent` until then)                | the same |
//! | `+15556xxxxxx`    | refused: 400, error 21211 (not a phone number)            | refused: 400, 13224 |
//! | `+15557xxxxxx`    | accepted, then `undelivered`, error 30003 (unreachable)   | accepted, then `failed` |
//! | anything else     | arrive                                  | arrive       |

mod numbers;
mod twilio;
pub mod webhooks;

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;

use regex::Regex;
use serde::Serialize;
use time::OffsetDateTime;
use wiremock::matchers::path_regex;
use wiremock::{Mock, MockServer};

pub use numbers::PhoneKind;

use crate::faults::Faults;
use crate::inbox::{Delivered, Inbox};

/// Account credentials the fake accepts (HTTP basic auth): the account's own, or an API key.
#[derive(Clone, Debug, Serialize)]
pub struct SmsCredentials {
    pub account_sid: String,
    /// Also what webhooks are signed with.
    pub auth_token: String,
    pub api_key_sid: String,
    pub api_key_secret: String,
}

impl Default for SmsCredentials {
    fn default() -> Self {
        Self {
            account_sid: "ACfake00000000000000000000000000".into(),
            auth_token: "fake-auth-token".into(),
            api_key_sid: "SKfake00000000000000000000000000".into(),
            api_key_secret: "fake-api-key-secret".into(),
        }
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
    faults: Arc<Faults>,
}

impl FakeSms {
    pub async fn start(addr: SocketAddr, credentials: SmsCredentials) -> anyhow::Result<Self> {
        Self::start_with(addr, credentials, Arc::default()).await
    }

    /// Starts the provider, answering with the `faults` switched on (see `faults`).
    pub async fn start_with(
        addr: SocketAddr,
        credentials: SmsCredentials,
        faults: Arc<Faults>,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(addr)?;
        let server = MockServer::builder().listener(listener).disable_request_recording().start().await;
        let inbox = Arc::new(Inbox::default());
        let provider = twilio::Provider {
            credentials: credentials.clone(),
            inbox: inbox.clone(),
            faults: faults.clone(),
            records: Arc::new(Mutex::new(HashMap::new())),
            sids: Arc::new(AtomicU64::new(0)),
            runtime: tokio::runtime::Handle::current(),
            http: webhooks::client(),
        };
        Mock::given(path_regex(r"^/2010-04-01/")).respond_with(provider).mount(&server).await;
        Ok(Self { server, credentials, inbox, faults })
    }

    /// The faults this provider answers with (shared with the mail fake under `Fakes`).
    pub fn faults(&self) -> &Faults {
        &self.faults
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
}
