//! Browsers kept for the next scenario. Starting a Chromium costs far more than a scenario's
//! page loads, so a browser a scenario is done with is wiped and handed to the next one.
//!
//! Wiped means the target cannot tell it from a new browser: every cookie of every site is
//! deleted, the storage of every origin the scenario visited (local storage, IndexedDB, cache
//! storage, service workers) is cleared, the HTTP cache is emptied, and the scenario's tab —
//! which holds its session storage and history — is closed for a new one. A browser that
//! cannot be wiped is closed, never reused.

use std::collections::BTreeSet;
use std::sync::Mutex;

use fantoccini::Client;
use fantoccini::wd::WebDriverCompatibleCommand;
use serde_json::{Value, json};

use super::chromedriver::Endpoint;

/// Idle browsers of one ChromeDriver.
#[derive(Debug)]
pub struct BrowserPool {
    endpoint: Endpoint,
    idle: Mutex<Vec<Client>>,
}

impl BrowserPool {
    pub fn new(endpoint: Endpoint) -> Self {
        Self { endpoint, idle: Mutex::new(Vec::new()) }
    }

    /// An idle browser, or a new one when none is idle.
    pub async fn take(&self) -> anyhow::Result<Client> {
        let idle = self.idle.lock().expect("browser pool lock").pop();
        match idle {
            Some(client) => Ok(client),
            None => super::browser::new_client(&self.endpoint).await,
        }
    }

    /// Takes back a browser a scenario is done with: wiped, it waits for the next scenario;
    /// when wiping fails, it is closed.
    pub async fn give_back(&self, client: Client, visited: &BTreeSet<String>) {
        match wipe(&client, visited).await {
            Ok(()) => self.idle.lock().expect("browser pool lock").push(client),
            Err(_) => {
                client.close().await.ok();
            }
        }
    }

    /// Closes every idle browser (the run is over).
    pub async fn close_all(&self) {
        let idle = std::mem::take(&mut *self.idle.lock().expect("browser pool lock"));
        for client in idle {
            client.close().await.ok();
        }
    }
}

/// Leaves nothing of the last scenario in the browser (see the module's comment).
pub async fn wipe(client: &Client, visited: &BTreeSet<String>) -> anyhow::Result<()> {
    // A fresh tab first: the old one (its session storage, its history) is closed after.
    let new = client.new_window(true).await?;
    client.close_window().await?;
    client.switch_to_window(new.handle).await?;
    devtools(client, "Network.clearBrowserCookies", json!({})).await?;
    devtools(client, "Network.clearBrowserCache", json!({})).await?;
    for origin in visited {
        devtools(client, "Storage.clearDataForOrigin", json!({ "origin": origin, "storageTypes": "all" }))
            .await?;
    }
    Ok(())
}

/// A Chrome DevTools command, through ChromeDriver's `goog/cdp/execute` endpoint.
pub(crate) async fn devtools(client: &Client, cmd: &'static str, params: Value) -> anyhow::Result<Value> {
    Ok(client.issue_cmd(DevTools { cmd, params }).await?)
}

#[derive(Debug)]
struct DevTools {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for DevTools {
    fn endpoint(&self, base_url: &url::Url, session_id: Option<&str>) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!("session/{}/goog/cdp/execute", session_id.unwrap_or_default()))
    }

    fn method_and_body(&self, _request_url: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()))
    }
}
