//! The target's conformance clock hook: read and move the target's clock.

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::json;

#[derive(Clone, Debug)]
pub struct ClockHook {
    url: String,
    token: Option<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
struct Now {
    now: String,
}

impl ClockHook {
    pub fn new(settings: &crate::target::ClockSettings) -> Self {
        Self { url: settings.hook_url.clone(), token: settings.token.clone(), http: reqwest::Client::new() }
    }

    /// A request to the hook, with its token when the target file gives one.
    fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let request = self.http.request(method, &self.url);
        match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    }

    /// The target's current time, as it reports it (RFC 3339).
    pub async fn now(&self) -> anyhow::Result<String> {
        let response = self
            .request(reqwest::Method::GET)
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
            .request(reqwest::Method::POST)
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
