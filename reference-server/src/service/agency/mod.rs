//! Agency sign-in (AG-1..AG-3, PV-3): the OpenID Connect provider's use cases. The registry
//! and discovery are here; each endpoint's use case has its own module.

mod authorize;
mod connections;
mod logout;
mod token;
mod userinfo;

use crate::domain::AccountId;
use std::collections::HashMap;

use jsonwebtoken::DecodingKey;
use serde_json::{Value, json};

pub use authorize::{AuthorizationParams, AuthorizeError, NextStep, PendingAuthorization};
pub use connections::ConnectedAgency;
pub use token::TokenRequest;

use super::{ServiceResult, Services};
use crate::config::AgencyConfig;
use crate::rules::oidc::{self, ACR_AUTH_ONLY, Attributes};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Paths of the provider's endpoints (after the issuer URL), as discovery announces them.
pub const AUTHORIZE_PATH: &str = "/openid_connect/authorize";
pub const TOKEN_PATH: &str = "/api/openid_connect/token";
pub const USERINFO_PATH: &str = "/api/openid_connect/userinfo";
pub const JWKS_PATH: &str = "/api/openid_connect/certs";
pub const LOGOUT_PATH: &str = "/openid_connect/logout";

/// An OAuth error of the token or userinfo endpoint (RFC 6749 section 5.2, RFC 6750 section
/// 3.1). Which HTTP status carries it is the endpoint's choice (`http/oidc.rs`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OAuthError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("{0}")]
    InvalidClient(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    UnsupportedGrantType(String),
    #[error("{0}")]
    InvalidToken(String),
    #[error("Something went wrong on our side.")]
    ServerError,
}

impl OAuthError {
    /// The `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) => "invalid_request",
            Self::InvalidClient(_) => "invalid_client",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnsupportedGrantType(_) => "unsupported_grant_type",
            Self::InvalidToken(_) => "invalid_token",
            Self::ServerError => "server_error",
        }
    }
}

impl From<super::ServiceError> for OAuthError {
    fn from(error: super::ServiceError) -> Self {
        tracing::error!(%error, "token endpoint failed");
        Self::ServerError
    }
}

impl From<crate::store::StoreError> for OAuthError {
    fn from(error: crate::store::StoreError) -> Self {
        super::ServiceError::from(error).into()
    }
}

/// A registered agency, its key parsed.
pub struct Agency {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed: Attributes,
    /// May ask for verified identity (IV-1).
    pub verified: bool,
    /// `None`: a public client, which must use PKCE.
    key: Option<DecodingKey>,
}

/// Every registered agency, by client id.
pub struct Agencies(HashMap<String, Agency>);

impl Agencies {
    pub fn new(configs: &[AgencyConfig]) -> anyhow::Result<Self> {
        let mut agencies = HashMap::new();
        for c in configs {
            c.validate()?;
            let key = c.decoding_key()?;
            let agency = Agency {
                client_id: c.client_id.clone(),
                name: c.name.clone(),
                redirect_uris: c.redirect_uris.clone(),
                post_logout_redirect_uris: c.post_logout_redirect_uris.clone(),
                allowed: c.attributes.iter().copied().collect(),
                verified: c.verified,
                key,
            };
            anyhow::ensure!(
                agencies.insert(c.client_id.clone(), agency).is_none(),
                "agency {} is registered twice",
                c.client_id
            );
        }
        Ok(Self(agencies))
    }

    pub fn get(&self, client_id: &str) -> Option<&Agency> {
        self.0.get(client_id)
    }
}

/// Appends `pairs` to `base`'s query.
fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut url = url::Url::parse(base).expect("registered URIs are checked at start-up");
    url.query_pairs_mut().extend_pairs(pairs);
    url.into()
}

fn error_redirect(redirect_uri: &str, error: &'static str, description: &str, state: Option<&str>) -> String {
    let mut pairs = vec![("error", error), ("error_description", description)];
    pairs.extend(state.map(|s| ("state", s)));
    with_query(redirect_uri, &pairs)
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|v| !v.is_empty())
}

impl Services {
    pub fn issuer(&self) -> &str {
        &self.public_url
    }

    fn agency(&self, client_id: &str) -> ServiceResult<&Agency> {
        self.agencies
            .get(client_id)
            .ok_or_else(|| anyhow::anyhow!("agency {client_id} is no longer registered").into())
    }

    /// The subject one agency sees for one account (AG-3).
    pub fn subject(&self, client_id: &str, account_id: AccountId) -> String {
        let client_id = if crate::service::broken!(self, OneSubjectForAllAgencies) { "" } else { client_id };
        oidc::pairwise_subject(&self.subject_key, client_id, account_id.get())
    }

    /// The discovery document (OpenID Connect Discovery 1.0).
    pub fn discovery(&self) -> Value {
        let at = |path: &str| format!("{}{path}", self.issuer());
        json!({
            "issuer": self.issuer(),
            "authorization_endpoint": at(AUTHORIZE_PATH),
            "token_endpoint": at(TOKEN_PATH),
            "userinfo_endpoint": at(USERINFO_PATH),
            "jwks_uri": at(JWKS_PATH),
            "end_session_endpoint": at(LOGOUT_PATH),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": ["private_key_jwt", "none"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "scopes_supported": ["openid", "email", "phone", "profile:name", "profile:birthdate", "address",
                                 "social_security_number"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "acr", "auth_time", "at_hash",
                                 "email", "email_verified", "phone", "phone_verified", "given_name",
                                 "family_name", "birthdate", "address", "social_security_number"],
            "acr_values_supported": [ACR_AUTH_ONLY, oidc::ACR_VERIFIED],
            "prompt_values_supported": ["login"],
        })
    }
}
