//! Mail leaves through the outbox: a use case seals the message into the database and answers
//! at once; a worker sends it afterwards and retries until the mail server takes it. So no
//! answer waits for the mail server, an answer for an address with an account takes as long as
//! one for an address without (PR-2, SU-5), and a mail-server outage loses nothing. Only a
//! message the mail server refuses for good (5xx) several times over is given up.

use std::sync::Arc;
use std::time::Duration as Wait;

use serde::{Deserialize, Serialize};

use super::{ServiceResult, Services};
use crate::delivery::notices::Notice;
use crate::sealing;

/// Messages one worker pass claims.
const BATCH: u32 = 32;
/// How long a claim holds a message from other workers (service time).
const CLAIM: time::Duration = time::Duration::minutes(2);
/// The longest wait between tries while the mail server refuses.
const MAX_BACKOFF: Wait = Wait::from_secs(60);
/// Tries of a message the mail server refuses for good (5xx) before it is dropped: a relay
/// being reconfigured may refuse a few, but retrying a bounce for ever would only block.
const PERMANENT_TRIES: u32 = 3;

#[derive(Serialize, Deserialize)]
struct Sealed {
    to: String,
    subject: String,
    text: String,
}

impl Services {
    /// An outbox message, to seal: for a store call that queues it in its own transaction.
    pub(crate) fn outbox_message(&self, to: &str, notice: &Notice) -> ServiceResult<Vec<u8>> {
        let message =
            Sealed { to: to.to_owned(), subject: notice.subject.clone(), text: notice.text.clone() };
        Ok(serde_json::to_vec(&message).map_err(anyhow::Error::from)?)
    }

    /// Queues `notice` for `to`; it is sent after the answer, and retried until it is.
    pub async fn send_mail(&self, to: &str, notice: &Notice) -> ServiceResult<()> {
        let sealed = sealing::seal(&self.seal_key, &self.outbox_message(to, notice)?);
        self.store.enqueue_mail(&sealed, self.clock.now()).await?;
        self.outbox.notify_one();
        Ok(())
    }

    /// One pass: sends what is waiting. Returns how many could not be sent.
    pub async fn deliver_waiting_mail(&self) -> ServiceResult<usize> {
        let mut failed = 0;
        loop {
            let batch = self.store.claim_mail(BATCH, CLAIM, self.clock.now()).await?;
            if batch.is_empty() {
                return Ok(failed);
            }
            for mail in batch {
                let message: Sealed = match sealing::open(&self.seal_key, &mail.sealed)
                    .and_then(|bytes| Ok(serde_json::from_slice(&bytes)?))
                {
                    Ok(message) => message,
                    Err(error) => {
                        // Sealed under another key (the key file was replaced): it can never be sent.
                        tracing::error!(id = mail.id, %error, "an outbox message cannot be opened; dropped");
                        self.store.mail_sent(mail.id).await?;
                        continue;
                    }
                };
                let notice = Notice { subject: message.subject, text: message.text };
                match self.mailer.send(&message.to, &notice).await {
                    Ok(()) => self.store.mail_sent(mail.id).await?,
                    Err(error) if error.is_permanent() && mail.attempts + 1 >= PERMANENT_TRIES => {
                        tracing::error!(id = mail.id, attempts = mail.attempts + 1, %error, "mail refused for good; dropped");
                        self.store.mail_sent(mail.id).await?;
                    }
                    Err(error) => {
                        tracing::warn!(id = mail.id, attempts = mail.attempts + 1, %error, "mail not sent yet; will retry");
                        self.store.mail_failed(mail.id).await?;
                        failed += 1;
                    }
                }
            }
            if failed > 0 {
                return Ok(failed);
            }
        }
    }
}

/// Waits before trying the mail server again. Real time on purpose: a retry delay is about the
/// mail server recovering, not a rule of the service, so it does not follow the service clock.
#[allow(clippy::disallowed_methods)]
async fn pause(wait: Wait) {
    tokio::time::sleep(wait).await;
}

/// The worker: sends waiting mail whenever some is queued, and retries failures with a
/// growing pause (1 s, 2 s, 4 s … up to a minute) until the mail server takes them.
pub fn spawn_worker(services: Arc<Services>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut backoff = Wait::from_secs(1);
        loop {
            match services.deliver_waiting_mail().await {
                Ok(0) => {
                    backoff = Wait::from_secs(1);
                    services.outbox.notified().await;
                }
                Ok(_) => {
                    tokio::select! {
                        () = pause(backoff) => {}
                        () = services.outbox.notified() => {}
                    }
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
                Err(error) => {
                    tracing::error!(%error, "the outbox cannot be read; retrying");
                    pause(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    })
}
