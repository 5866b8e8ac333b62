//! Identity-proofing vendors, over HTTP: document verification (photo ID and selfie, shaped
//! like LexisNexis TrueID), identity resolution (shaped like LexisNexis Instant Verify) and
//! in-person proofing at a Post Office (shaped like the USPS in-person proofing API).
//! The images go to the vendor and nowhere else: they are never stored (IV-3).

mod documents;
mod in_person;
mod resolution;

use secrecy::ExposeSecret as _;
use serde::{Deserialize, Serialize};

use crate::config::ProofingConfig;

pub use documents::DocumentProblem;
pub use in_person::{PostOffice, VisitResult};

/// What verification establishes about a person: what the document says, and the SSN they
/// entered. The only thing kept (sealed; `service::identity`) and the only thing agencies get.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    pub address: Address,
    /// Nine digits, once entered.
    #[serde(default)]
    pub social_security_number: Option<String>,
}

/// An address as OpenID Connect's `address` claim has it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub street_address: String,
    pub locality: String,
    pub region: String,
    pub postal_code: String,
}

/// The three images of a remote verification, as uploaded.
pub struct Images {
    pub front: Vec<u8>,
    pub back: Vec<u8>,
    pub selfie: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum VendorError {
    #[error("the identity-proofing service could not be reached: {0}")]
    Transport(#[from] reqwest::Error),
    #[error("the identity-proofing service answered HTTP {0}")]
    Status(u16),
    #[error("the identity-proofing service's answer does not fit: {0}")]
    Answer(String),
}

#[derive(Clone)]
pub struct Proofing {
    http: reqwest::Client,
    config: ProofingConfig,
}

impl Proofing {
    pub fn new(config: &ProofingConfig) -> Self {
        Self {
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(30))
                .build()
                .expect("HTTP client"),
            config: config.clone(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.url.trim_end_matches('/'))
    }

    async fn post(&self, path: &str, body: &serde_json::Value) -> Result<serde_json::Value, VendorError> {
        let response = self
            .http
            .post(self.url(path))
            .basic_auth(&self.config.username, Some(self.config.password.expose_secret()))
            .json(body)
            .send()
            .await?;
        if !response.status().is_success() {
            return Err(VendorError::Status(response.status().as_u16()));
        }
        response.json().await.map_err(|e| VendorError::Answer(e.to_string()))
    }
}
