//! Email over SMTP (lettre), as multipart/alternative text and HTML.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::notices::Notice;
use crate::config::SmtpConfig;

#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
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
}

impl MailError {
    /// Whether trying again cannot help by itself: the mail server refused for good (5xx), or
    /// the message cannot be built at all.
    pub fn is_permanent(&self) -> bool {
        match self {
            Self::Address(_) | Self::Build(_) => true,
            Self::Smtp(error) => error.is_permanent(),
        }
    }
}

impl Mailer {
    pub fn new(config: &SmtpConfig) -> Result<Self, MailError> {
        // Plain SMTP: the configured relay is local (the fake, or a relay on the host).
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host).port(config.port).build();
        Ok(Self { transport, from: config.from.parse()? })
    }

    pub async fn send(&self, to: &str, notice: &Notice) -> Result<(), MailError> {
        let message = Message::builder()
            .from(self.from.clone())
            .to(to.parse()?)
            .subject(&notice.subject)
            .multipart(MultiPart::alternative_plain_html(notice.text.clone(), notice.html()))?;
        self.transport.send(message).await?;
        Ok(())
    }
}
