//! Deleting what has expired, on a schedule: old links, codes, limiter events and sessions
//! are personal data the service no longer needs (see `Store::purge_expired` for how long each
//! is kept, so that a late click is still told "expired").

use std::sync::Arc;
use std::time::Duration as Wait;

use super::{ServiceResult, Services};
use crate::policy::secs;

/// How often the purge runs (real time: keeping the database small is not a rule of the
/// service, so it does not follow the service clock).
const EVERY: Wait = Wait::from_secs(10 * 60);

impl Services {
    /// Purges now, by the service clock; returns how many rows went.
    pub async fn purge_expired(&self) -> ServiceResult<u64> {
        let p = &self.policy;
        let window =
            [p.code_request_window_secs, p.confirmation_email_window_secs, p.password_attempt_window_secs]
                .into_iter()
                .max()
                .unwrap_or_default();
        Ok(self
            .store
            .purge_expired(
                self.clock.now(),
                secs(window),
                secs(p.session_idle_timeout_secs),
                secs(p.session_lifetime_secs),
            )
            .await?)
    }
}

/// Runs the purge at start and then every ten minutes.
pub fn spawn(services: Arc<Services>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match services.purge_expired().await {
                Ok(0) => {}
                Ok(gone) => tracing::info!(gone, "expired rows purged"),
                Err(error) => tracing::warn!(%error, "purge failed; trying again later"),
            }
            #[allow(clippy::disallowed_methods)] // see EVERY
            tokio::time::sleep(EVERY).await;
        }
    })
}
