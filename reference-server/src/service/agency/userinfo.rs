//! The userinfo endpoint (PV-3): only what the person agreed to share, while the token lives.

use serde_json::{Value, json};

use super::OAuthError;
use crate::rules::oidc::{self, Attribute};
use crate::rules::tokens;
use crate::service::Services;

impl Services {
    /// Userinfo: only what the person agreed to share, while the token is live (PV-3).
    pub async fn userinfo(&self, bearer: &str) -> Result<Value, OAuthError> {
        let invalid = || OAuthError::InvalidToken("The access token is not valid.".into());
        let token = self.store.access_token(&tokens::digest(bearer)).await?.ok_or_else(invalid)?;
        if token.revoked || self.clock.now() >= token.expires_at {
            return Err(invalid());
        }
        let account = self.store.account(token.account_id).await?.ok_or_else(invalid)?;
        let mut claims = json!({ "sub": self.subject(&token.client_id, token.account_id) });
        for attribute in oidc::from_words(&token.attributes) {
            match attribute {
                Attribute::Email => {
                    claims["email"] = json!(account.email);
                    claims["email_verified"] = json!(true);
                }
                Attribute::Phone => {
                    if let Some(phone) = &account.phone {
                        claims["phone"] = json!(phone);
                        claims["phone_verified"] = json!(true);
                    }
                }
                // Verified attributes come sealed with the token, below.
                Attribute::Name | Attribute::Birthdate | Attribute::Address | Attribute::Ssn => {}
            }
        }
        if let Some(sealed) = &token.identity_sealed {
            let key = crate::sealing::key_from_token(super::token::TOKEN_KEY, bearer);
            let opened = crate::sealing::open(&key, sealed).map_err(crate::service::ServiceError::from)?;
            let verified: Value = serde_json::from_slice(&opened)
                .map_err(|e| crate::service::ServiceError::from(anyhow::Error::from(e)))?;
            if let (Some(claims), Value::Object(verified)) = (claims.as_object_mut(), verified) {
                claims.extend(verified);
            }
        }
        Ok(claims)
    }
}
