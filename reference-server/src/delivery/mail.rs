//! Email over SMTP (lettre), as multipart/alternative text and HTML.

use std::time::Duration;

use lettre::Message;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;

use super::notices::Notice;
use crate::config::SmtpConfig;

/// How long connecting and the whole conversation may take (lettre's own default).
const TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct Mailer {
    host: String,
    port: u16,
    hello: ClientId,
    from: Mailbox,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("invalid address: {0}")]
    Address(#[from] lettre::address::AddressError),
    #[error("cannot build the message: {0}")]
    Build(#[from] lettre::error::Error),
    #[error("SMTP delivery failed: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
    #[error("cannot reach the mail server: {0}")]
    Connect(#[from] std::io::Error),
    #[error("the mail server did not answer within {} s", TIMEOUT.as_secs())]
    TimedOut,
}

impl MailError {
    /// Whether trying again cannot help by itself: the mail server refused for good (5xx), or
    /// the message cannot be built at all.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Address(_) | Self::Build(_) => true,
            Self::Smtp(error) => error.is_permanent(),
            Self::Connect(_) | Self::TimedOut => false,
        }
    }
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        Ok(Self {
            host: config.host.clone(),
            port: config.port,
            hello: ClientId::default(),
            from: config.from.parse()?,
        })
    }

    pub async fn send(&self, to: &str, notice: &Notice) -> Result<(), MailError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject(&notice.subject)
            .multipart(MultiPart::alternative_plain_html(notice.text.clone(), notice.html()))?;
        let body = message.formatted();
        tokio::time::timeout(TIMEOUT, self.deliver(message.envelope(), &body))
            .await
            .map_err(|_| MailError::TimedOut)?
    }

    /// One SMTP conversation over plain TCP: the configured relay is local (the fake, or a
    /// relay on the host). Without Nagle's algorithm: lettre writes a message and the "."
    /// that ends it in two writes, and the second would wait for the server to acknowledge
    /// the first, which it delays (40 ms on Linux) while it has no answer to send.
    async fn deliver(&self, envelope: &lettre::address::Envelope, body: &[u8]) -> Result<(), MailError> {
        let stream = tokio::net::TcpStream::connect((self.host.as_str(), self.port)).await?;
        stream.set_nodelay(true)?;
        let mut conversation =
            AsyncSmtpConnection::connect_with_transport(Box::new(stream), &self.hello).await?;
        match conversation.send(envelope, body).await {
            Ok(_) => {
                // Taken once the data is answered; a failed goodbye loses nothing.
                conversation.quit().await.ok();
                Ok(())
            }
            Err(error) => {
                conversation.abort().await;
                Err(error.into())
            }
        }
    }
}
