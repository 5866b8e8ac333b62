//! The target's deliveries hook (`[deliveries]`, optional): asked before a check that a
//! message did *not* come. Once the service says nothing it queued still waits to be handed to
//! the mail server or SMS provider, one look at the inbox decides. Without the hook, the suite
//! watches the inbox for the quiet period instead, which a service slower to send than that
//! would pass.

use std::time::Duration;

use anyhow::Context as _;
use serde::Deserialize;

/// Pause between two asks while the service still has messages waiting (real time: this waits
/// for deliveries, not for a rule).
const BETWEEN_ASKS: Duration = Duration::from_millis(20);

#[derive(Clone, Debug)]
pub struct DeliveriesHook {
    url: String,
    token: Option<String>,
    http: reqwest::Client,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Waiting {
    waiting: u64,
}

impl DeliveriesHook {
    pub fn new(settings: &crate::target::DeliveriesSettings) -> Self {
        Self { url: settings.hook_url.clone(), token: settings.token.clone(), http: reqwest::Client::new() }
    }

    /// How many messages the service says still wait to be sent.
    pub async fn waiting(&self) -> anyhow::Result<u64> {
        let request = self.http.get(&self.url);
        let request = match &self.token {
            Some(token) => request.bearer_auth(token),
            None => request,
        };
        let response =
            request.send().await.with_context(|| format!("cannot reach the deliveries hook {}", self.url))?;
        let status = response.status();
        let text = response.text().await?;
        anyhow::ensure!(
            status.is_success(),
            "the deliveries hook {} answered HTTP {status}: {text}",
            self.url
        );
        let answer: Waiting = serde_json::from_str(&text).with_context(|| {
            format!("the deliveries hook {} answered {text:?}, not {{\"waiting\": <count>}}", self.url)
        })?;
        Ok(answer.waiting)
    }

    /// Returns once the service says nothing waits; fails, saying how many still did, if it
    /// keeps saying so for `within`.
    pub async fn settled(&self, within: Duration) -> anyhow::Result<()> {
        let mut last = None;
        let drained = tokio::time::timeout(within, async {
            loop {
                match self.waiting().await? {
                    0 => return anyhow::Ok(()),
                    waiting => last = Some(waiting),
                }
                #[allow(clippy::disallowed_methods)] // see BETWEEN_ASKS
                tokio::time::sleep(BETWEEN_ASKS).await;
            }
        })
        .await;
        drained.unwrap_or_else(|_| {
            let waiting = last.map_or_else(|| "no answer".to_owned(), |n| format!("{n} message(s) waiting"));
            anyhow::bail!(
                "the deliveries hook {} still said {waiting} after {} s, so whether a message comes \
                 cannot be told",
                self.url,
                within.as_secs()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// A hook on loopback answering `answer(n)` to its n-th ask.
    async fn hook(answer: fn(u64) -> (u16, String)) -> DeliveriesHook {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/deliveries", listener.local_addr().unwrap());
        let asks = Arc::new(AtomicU64::new(0));
        let app = axum::Router::new().route(
            "/deliveries",
            axum::routing::get(move || async move {
                let (status, body) = answer(asks.fetch_add(1, Ordering::SeqCst));
                (axum::http::StatusCode::from_u16(status).unwrap(), body)
            }),
        );
        tokio::spawn(async move { axum::serve(listener, app).await.ok() });
        DeliveriesHook::new(&crate::target::DeliveriesSettings { hook_url: url, token: None })
    }

    #[tokio::test]
    async fn settles_once_the_service_says_nothing_waits() {
        let draining = hook(|n| (200, format!(r#"{{"waiting": {}}}"#, 3u64.saturating_sub(n)))).await;
        draining.settled(Duration::from_secs(5)).await.expect("settled on the fourth ask");
    }

    #[tokio::test]
    async fn never_settled_and_odd_answers_fail_saying_what_was_seen() {
        let stuck = hook(|_| (200, r#"{"waiting": 2}"#.into())).await;
        let error = stuck.settled(Duration::from_millis(200)).await.unwrap_err().to_string();
        assert!(error.contains("2 message(s) waiting"), "{error}");
        let refused = hook(|_| (404, "no such hook".into())).await;
        let error = refused.settled(Duration::from_secs(1)).await.unwrap_err().to_string();
        assert!(error.contains("404") && error.contains("no such hook"), "{error}");
        let odd = hook(|_| (200, r#"{"pending": 0}"#.into())).await;
        let error = odd.settled(Duration::from_secs(1)).await.unwrap_err().to_string();
        assert!(error.contains(r#"not {"waiting": <count>}"#), "{error}");
    }
}
