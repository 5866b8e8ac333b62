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
            }
        }
        Ok(claims)
    }
}
