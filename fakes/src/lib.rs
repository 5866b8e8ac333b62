//! Fake delivery providers for the conformance suite.
//!
//! * [`mail::FakeMail`]: a real SMTP server (the `mailin` protocol core on tokio, with
//!   STARTTLS, implicit TLS, optional AUTH) that keeps every message it receives, decoded, in
//!   an inbox.
//! * [`sms::FakeSms`]: a Twilio-shaped SMS and voice provider (wiremock) that keeps every text
//!   and call it is asked to deliver, with documented fault-injection numbers.
//! * [`api`]: an HTTP inbox API (JSON) and a small HTML page over both, for people and for
//!   tools that are not written in Rust; also an Amazon SES v2 `SendEmail` endpoint, and the
//!   switches of [`faults`] (failures, lost messages, a slow provider).
//! * [`proofing`]: identity-proofing vendors (document verification, identity resolution),
//!   their outcomes chosen by test documents and magic values.
//!
//! Everything can be started in-process on port 0 ([`Fakes::start`]) or as the `fakes` binary.

// The fakes stamp what they receive with the real time of arrival; rules never read it.
#![allow(clippy::disallowed_methods)]

pub mod api;
pub mod cli;
pub mod faults;
pub mod inbox;
pub mod mail;
pub mod proofing;
pub mod ses;
pub mod sms;

use std::net::SocketAddr;
use std::sync::Arc;

pub use inbox::Inbox;
pub use mail::{FakeMail, Mail, MailConfig};
pub use sms::{FakeSms, PhoneKind, PhoneMessage, SmsCredentials};

/// Where to listen. Port 0 picks a free port.
#[derive(Clone, Debug)]
pub struct FakesConfig {
    pub mail: MailConfig,
    pub sms: SocketAddr,
    pub api: SocketAddr,
    pub credentials: SmsCredentials,
}

impl FakesConfig {
    /// Every fake on a free loopback port, with the default credentials.
    pub fn ephemeral() -> Self {
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        Self { mail: MailConfig::on(any), sms: any, api: any, credentials: SmsCredentials::default() }
    }
}

/// Both fakes and the inbox API, running.
#[derive(Clone)]
pub struct Fakes {
    pub mail: Arc<FakeMail>,
    pub sms: Arc<FakeSms>,
    pub api_addr: SocketAddr,
    pub proofing: Arc<proofing::Vendors>,
}

impl Fakes {
    pub async fn start(config: FakesConfig) -> anyhow::Result<Self> {
        let faults = Arc::new(faults::Faults::default());
        let mail = Arc::new(FakeMail::start_with(config.mail, faults.clone()).await?);
        let sms = Arc::new(FakeSms::start_with(config.sms, config.credentials, faults).await?);
        let listener = tokio::net::TcpListener::bind(config.api).await?;
        let api_addr = listener.local_addr()?;
        let proofing = Arc::new(proofing::Vendors::default());
        let router = api::router(mail.clone(), sms.clone(), proofing.clone());
        tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "inbox API stopped");
            }
        });
        Ok(Self { mail, sms, api_addr, proofing })
    }

    /// The inbox API's base URL, e.g. `http://127.0.0.1:8026`.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// The settings a sign-in service needs to deliver through these fakes.
    pub fn settings(&self) -> api::Settings {
        api::Settings::of(&self.mail, &self.sms, &self.api_url())
    }
}
