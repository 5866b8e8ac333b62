//! Reads what the target delivered, through the fakes' HTTP inbox API.

use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
pub struct Mail {
    pub id: u64,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
    pub links: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct PhoneMessage {
    pub id: u64,
    pub channel: String,
    pub to: String,
    pub body: String,
    pub code: Option<String>,
}

#[derive(Deserialize)]
struct Listing<T> {
    cursor: u64,
    messages: Vec<T>,
}

#[derive(Clone)]
pub struct InboxClient {
    base: String,
    http: reqwest::Client,
    wait: Duration,
}

impl InboxClient {
    pub fn new(base_url: &str, wait: Duration) -> Self {
        Self {
            base: base_url.trim_end_matches('/').to_owned(),
            http: reqwest::Client::builder()
                .timeout(wait + Duration::from_secs(30))
                .build()
                .expect("HTTP client"),
            wait,
        }
    }

    async fn listing<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        to: &str,
    ) -> anyhow::Result<Listing<T>> {
        let response = self
            .http
            .get(format!("{}/api/{kind}", self.base))
            .query(&[("to", to)])
            .send()
            .await
            .with_context(|| format!("cannot reach the inbox API at {}", self.base))?;
        Ok(response.error_for_status()?.json().await?)
    }

    /// IV-2: the enrollment codes the fake Post Office issued.
    pub async fn enrollment_codes(&self) -> anyhow::Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Enrollment {
            enrollment_code: String,
        }
        let response = self
            .http
            .get(format!("{}/api/in-person", self.base))
            .send()
            .await
            .with_context(|| format!("cannot reach the fake Post Office at {}", self.base))?;
        let all: Vec<Enrollment> = response.error_for_status()?.json().await?;
        Ok(all.into_iter().map(|e| e.enrollment_code).collect())
    }

    /// IV-2: plays the visit to the Post Office: `passed`, `failed` or `expired`.
    pub async fn post_office_visit(&self, code: &str, result: &str) -> anyhow::Result<()> {
        let response = self
            .http
            .post(format!("{}/api/in-person/{code}", self.base))
            .json(&serde_json::json!({ "result": result }))
            .send()
            .await
            .with_context(|| format!("cannot reach the fake Post Office at {}", self.base))?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "the fake Post Office refused the visit for enrollment {code:?}: HTTP {status} {}",
            response.text().await.unwrap_or_default()
        );
        Ok(())
    }

    /// Messages to `to`, oldest first, and the inbox's cursor (newest id of any message).
    pub async fn mail(&self, to: &str) -> anyhow::Result<(u64, Vec<Mail>)> {
        let listing = self.listing::<Mail>("mail", to).await?;
        Ok((listing.cursor, listing.messages))
    }

    pub async fn phone(&self, to: &str) -> anyhow::Result<(u64, Vec<PhoneMessage>)> {
        let listing = self.listing::<PhoneMessage>("phone", to).await?;
        Ok((listing.cursor, listing.messages))
    }

    async fn wait_for<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        to: &str,
        after: u64,
        wait: Duration,
    ) -> anyhow::Result<Option<T>> {
        let response = self
            .http
            .get(format!("{}/api/{kind}/wait", self.base))
            .query(&[
                ("to", to),
                ("after", &after.to_string()),
                ("timeout_ms", &wait.as_millis().to_string()),
            ])
            .send()
            .await
            .with_context(|| format!("cannot reach the inbox API at {}", self.base))?;
        if response.status() == reqwest::StatusCode::NOT_FOUND {
            return Ok(None);
        }
        Ok(Some(response.error_for_status()?.json().await?))
    }

    /// The first email to `to` newer than `after`, waiting for it up to the target's limit.
    pub async fn next_mail(&self, to: &str, after: u64) -> anyhow::Result<Option<Mail>> {
        self.wait_for("mail", to, after, self.wait).await
    }

    /// Like [`Self::next_mail`] with a short wait: to show that nothing arrives.
    pub async fn mail_within(&self, to: &str, after: u64, wait: Duration) -> anyhow::Result<Option<Mail>> {
        self.wait_for("mail", to, after, wait).await
    }

    pub async fn phone_within(
        &self,
        to: &str,
        after: u64,
        wait: Duration,
    ) -> anyhow::Result<Option<PhoneMessage>> {
        self.wait_for("phone", to, after, wait).await
    }

    pub async fn next_phone_message(&self, to: &str, after: u64) -> anyhow::Result<Option<PhoneMessage>> {
        self.wait_for("phone", to, after, self.wait).await
    }
}
