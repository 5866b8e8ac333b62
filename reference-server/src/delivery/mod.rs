//! Getting messages to people: email over SMTP, texts and calls through an SMS provider.

pub mod mail;
pub mod notices;
pub mod sms;

pub use mail::Mailer;
pub use sms::{SmsClient, SmsError};
