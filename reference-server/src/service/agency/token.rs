//! The token endpoint (AG-1): the agency authenticates (a `private_key_jwt` client assertion,
//! or PKCE alone for a public client), spends its code once, and gets an access token and a
//! signed ID token.

use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Agency, JWT_BEARER, OAuthError, TOKEN_PATH, non_empty};
use crate::policy::secs;
use crate::rules::client_assertion::{self, Claims};
use crate::rules::{oidc, tokens};
use crate::sealing;
use crate::service::Services;

/// What the key sealing an access token's verified attributes is derived for.
pub const TOKEN_KEY: &str = "access-token identity";

/// The token endpoint's form (RFC 6749 section 4.1.3, RFC 7523, RFC 7636).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct TokenRequest {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub client_id: Option<String>,
    pub client_assertion_type: Option<String>,
    pub client_assertion: Option<String>,
}

/// The `iss` of a JWT, read without verifying it (only to find the key to verify with).
fn unverified_issuer(jwt: &str) -> Option<String> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("iss")?.as_str().map(str::to_owned)
}

impl Services {
    /// The token endpoint: authenticates the agency, spends the code once, and issues an
    /// access token and a signed ID token.
    pub async fn exchange_code(&self, form: &TokenRequest) -> Result<Value, OAuthError> {
        let now = self.clock.now();
        if form.grant_type.as_deref() != Some("authorization_code") {
            return Err(OAuthError::UnsupportedGrantType("Only authorization_code is supported.".into()));
        }
        let agency = self.authenticate_agency(form, now).await?;
        let code_value =
            non_empty(&form.code).ok_or_else(|| OAuthError::InvalidRequest("code is required.".into()))?;
        let code = self
            .store
            .authorization_code(&tokens::digest(code_value))
            .await?
            .filter(|c| c.client_id == agency.client_id)
            .ok_or_else(|| OAuthError::InvalidGrant("The code is not valid for this agency.".into()))?;
        if now - code.created_at >= secs(self.policy.authorization_code_lifetime_secs) {
            return Err(OAuthError::InvalidGrant("The code has expired.".into()));
        }
        // RFC 6749 section 4.1.3: the authorization request always names its redirect_uri
        // here, so the exchange must name the same one.
        match non_empty(&form.redirect_uri) {
            None => {
                return Err(OAuthError::InvalidRequest(
                    "redirect_uri is required: the authorization request named one.".into(),
                ));
            }
            Some(uri) if uri != code.redirect_uri => {
                return Err(OAuthError::InvalidGrant(
                    "redirect_uri does not match the authorization request.".into(),
                ));
            }
            Some(_) => {}
        }
        match (&code.code_challenge, non_empty(&form.code_verifier)) {
            (Some(challenge), Some(verifier))
                if oidc::pkce_matches(verifier, challenge)
                    || crate::service::broken!(self, PkceVerifierNotCompared) => {}
            (Some(_), Some(_)) => {
                return Err(OAuthError::InvalidGrant("The PKCE code_verifier does not match.".into()));
            }
            (Some(_), None) => {
                return Err(OAuthError::InvalidGrant("code_verifier is required (PKCE).".into()));
            }
            (None, _) if agency.key.is_none() || crate::service::broken!(self, PkceDemandedOfEveryAgency) => {
                return Err(OAuthError::InvalidGrant("This code was issued without PKCE.".into()));
            }
            // RFC 9700 section 2.1.1: a verifier for a code issued without a challenge means the
            // challenge was stripped from the request (a PKCE downgrade).
            (None, Some(_)) => {
                return Err(OAuthError::InvalidGrant(
                    "code_verifier was sent, but the code was issued without a code_challenge.".into(),
                ));
            }
            (None, None) => {}
        }
        if !self.store.use_authorization_code(code.id, now).await? {
            tracing::warn!(client_id = %agency.client_id, "authorization code reused; its tokens are revoked");
            return Err(OAuthError::InvalidGrant(
                "The code was already used; tokens issued with it are revoked.".into(),
            ));
        }
        let access_token = tokens::new_token();
        let lifetime = secs(self.policy.access_token_lifetime_secs);
        // Verified attributes move from the code's key to the token's.
        let identity_sealed = match &code.identity_sealed {
            Some(sealed) => {
                let opened =
                    sealing::open(&sealing::key_from_token(super::authorize::CODE_KEY, code_value), sealed)
                        .map_err(crate::service::ServiceError::from)?;
                Some(sealing::seal(&sealing::key_from_token(TOKEN_KEY, &access_token), &opened))
            }
            None => None,
        };
        self.store
            .insert_access_token(
                &tokens::digest(&access_token),
                &code,
                now + lifetime,
                identity_sealed.as_deref(),
            )
            .await?;
        let claims = json!({
            "iss": self.issuer(),
            "sub": self.subject(&agency.client_id, code.account_id),
            "aud": agency.client_id,
            "exp": (now + lifetime).unix_timestamp(),
            "iat": now.unix_timestamp(),
            "nonce": code.nonce,
            "acr": code.acr,
            "auth_time": code.auth_time.unix_timestamp(),
            "at_hash": oidc::access_token_hash(&access_token),
        });
        let id_token = self.signing_keys.sign(&claims).await.map_err(crate::service::ServiceError::from)?;
        Ok(json!({
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": self.policy.access_token_lifetime_secs,
            "id_token": id_token,
        }))
    }

    /// `private_key_jwt` (RFC 7523) for agencies with a registered key; a public client names
    /// itself and proves possession with PKCE instead.
    async fn authenticate_agency(
        &self,
        form: &TokenRequest,
        now: OffsetDateTime,
    ) -> Result<&Agency, OAuthError> {
        let Some(assertion) = non_empty(&form.client_assertion) else {
            let client_id = non_empty(&form.client_id)
                .ok_or_else(|| OAuthError::InvalidClient("No client authentication.".into()))?;
            let agency = self
                .agencies
                .get(client_id)
                .ok_or_else(|| OAuthError::InvalidClient("Unknown client.".into()))?;
            if agency.key.is_some() {
                return Err(OAuthError::InvalidClient(
                    "This agency must authenticate with private_key_jwt.".into(),
                ));
            }
            return Ok(agency);
        };
        if form.client_assertion_type.as_deref() != Some(JWT_BEARER) {
            return Err(OAuthError::InvalidClient(format!("client_assertion_type must be {JWT_BEARER}.")));
        }
        // The issuer names the key to verify with; nothing else is trusted before verification.
        let claimed = unverified_issuer(assertion)
            .ok_or_else(|| OAuthError::InvalidClient("The client assertion is not a JWT.".into()))?;
        let agency =
            self.agencies.get(&claimed).ok_or_else(|| OAuthError::InvalidClient("Unknown client.".into()))?;
        if form.client_id.as_deref().is_some_and(|id| id != agency.client_id) {
            return Err(OAuthError::InvalidClient("client_id does not match the client assertion.".into()));
        }
        let key = agency
            .key
            .as_ref()
            .ok_or_else(|| OAuthError::InvalidClient("This agency has no registered key.".into()))?;
        // Only the signature is verified here; the claims are judged by the rule, on the
        // service's clock (not the machine's).
        let mut validation = Validation::new(Algorithm::RS256);
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Claims>(assertion, key, &validation)
            .map_err(|error| {
                tracing::info!(client_id = %agency.client_id, %error, "client assertion refused");
                OAuthError::InvalidClient(
                    "The client assertion is not a JWT signed with the agency's registered key, with the claims \
                     iss, sub, aud and exp."
                        .into(),
                )
            })?
            .claims;
        let audiences = [format!("{}{TOKEN_PATH}", self.issuer()), self.issuer().to_owned()];
        let accepted = client_assertion::check(&claims, &agency.client_id, &audiences, now)
            .map_err(|problem| OAuthError::InvalidClient(problem.to_string()))?;
        if !self.store.record_assertion(&agency.client_id, &accepted.jti, accepted.expires_at, now).await? {
            return Err(OAuthError::InvalidClient("The client assertion was already used.".into()));
        }
        Ok(agency)
    }
}
