//! Texts and voice calls through a provider speaking the Twilio REST shape.

use secrecy::ExposeSecret;
use serde::Deserialize;

use crate::config::SmsConfig;

#[derive(Clone)]
pub struct SmsClient {
    http: reqwest::Client,
    messages_url: String,
    calls_url: String,
    config: SmsConfig,
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Twilio 21614: the number cannot receive texts (a landline); a call may work.
    #[error("the number cannot receive text messages")]
    NotMobile,
    /// Twilio 21610: the person opted out of texts from us.
    #[error("the number has opted out of text messages")]
    OptedOut,
    /// Twilio 21211 (texts), 13224 (calls), 21217: not a phone number that can be reached.
    #[error("the number cannot be reached by text or call")]
    NotAPhone,
    #[error("the provider refused the request: HTTP {status}, error {code:?}: {message}")]
    Refused { status: u16, code: Option<u32>, message: String },
    #[error("the provider could not be reached: {0}")]
    Transport(#[from] reqwest::Error),
}

#[derive(Deserialize)]
struct ProviderError {
    code: Option<u32>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Created {
    sid: String,
}

impl SmsClient {
    pub fn new(config: &SmsConfig) -> Self {
        let base = config.base_url.trim_end_matches('/');
        let account = format!("{base}/2010-04-01/Accounts/{}", config.account_sid);
        Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(10))
                .build()
                .expect("HTTP client"),
            messages_url: format!("{account}/Messages.json"),
            calls_url: format!("{account}/Calls.json"),
            config: config.clone(),
        }
    }

    /// Sends a text; returns the provider's message id.
    pub async fn send_text(&self, to: &str, body: &str) -> Result<String, SmsError> {
        self.post(&self.messages_url, &[("To", to), ("From", &self.config.from), ("Body", body)]).await
    }

    /// Places a call that speaks `words`; returns the provider's call id.
    pub async fn call(&self, to: &str, words: &str) -> Result<String, SmsError> {
        let twiml = format!(
            "<Response><Say>{0}</Say><Pause length=\"1\"/><Say>{0}</Say></Response>",
            words.replace('&', "&amp;").replace('<', "&lt;")
        );
        self.post(&self.calls_url, &[("To", to), ("From", &self.config.from), ("Twiml", &twiml)]).await
    }

    async fn post(&self, url: &str, form: &[(&str, &str)]) -> Result<String, SmsError> {
        let response = self
            .http
            .post(url)
            .basic_auth(&self.config.account_sid, Some(self.config.auth_token.expose_secret()))
            .form(form)
            .send()
            .await?;
        let status = response.status();
        if status.is_success() {
            return Ok(response.json::<Created>().await?.sid);
        }
        let error: Option<ProviderError> = response.json().await.ok();
        let code = error.as_ref().and_then(|e| e.code);
        match code {
            Some(21614) => Err(SmsError::NotMobile),
            Some(21610) => Err(SmsError::OptedOut),
            Some(21211 | 13224 | 21217) => Err(SmsError::NotAPhone),
            _ => Err(SmsError::Refused {
                status: status.as_u16(),
                code,
                message: error.and_then(|e| e.message).unwrap_or_default(),
            }),
        }
    }
}
