//! The target's conformance clock hook: read and move the target's clock.

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::json;

#[derive(Clone, Debug)]
pub struct ClockHook {
    url: String,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Now {
    now: String,
}

impl ClockHook {
    pub fn new(url: &str) -> Self {
        Self { url: url.to_owned(), http: reqwest::Client::new() }
    }

    /// The target's current time, as it reports it (RFC 3339).
    pub async fn now(&self) -> anyhow::Result<String> {
        let response = self
            .http
            .get(&self.url)
            .send()
            .await
            .with_context(|| format!("cannot reach the clock hook {}", self.url))?;
        Ok(response.error_for_status()?.json::<Now>().await?.now)
    }

    pub async fn now_time(&self) -> anyhow::Result<time::OffsetDateTime> {
        Ok(time::OffsetDateTime::parse(&self.now().await?, &time::format_description::well_known::Rfc3339)?)
    }

    pub async fn advance(&self, seconds: u64) -> anyhow::Result<String> {
        let response = self
            .http
            .post(&self.url)
            .json(&json!({ "advance_seconds": seconds }))
            .send()
            .await
            .with_context(|| format!("cannot reach the clock hook {}", self.url))?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(
            status.is_success(),
            "the clock hook refused to move the clock: HTTP {status}: {text}"
        );
        Ok(serde_json::from_str::<Now>(&text)?.now)
    }
}

/// The target's time: its clock hook's when it has one, otherwise the real time (a target
/// without a hook runs on the real clock). The only place the suite reads the system clock.
pub async fn target_now(hook: Option<&ClockHook>) -> anyhow::Result<time::OffsetDateTime> {
    match hook {
        Some(hook) => hook.now_time().await,
        #[allow(clippy::disallowed_methods)] // see above: a target without a hook runs on real time
        None => Ok(time::OffsetDateTime::now_utc()),
    }
}
