//! Agency sign-in (AG-1..AG-3, PV-3): the OpenID Connect provider's use cases — checking an
//! agency's request, consent, authorization codes, the token exchange and userinfo.

use std::collections::HashMap;

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{ServiceResult, Services};
use crate::config::AgencyConfig;
use crate::policy::secs;
use crate::rules::oidc::{self, ACR_AUTH_ONLY, ACR_VERIFIED, Attribute, Attributes, ScopeProblem};
use crate::rules::tokens;
use crate::store::NewCode;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Paths of the provider's endpoints (after the issuer URL), as discovery announces them.
pub const AUTHORIZE_PATH: &str = "/openid_connect/authorize";
pub const TOKEN_PATH: &str = "/api/openid_connect/token";
pub const USERINFO_PATH: &str = "/api/openid_connect/userinfo";
pub const JWKS_PATH: &str = "/api/openid_connect/certs";
pub const LOGOUT_PATH: &str = "/openid_connect/logout";

/// A registered agency, its key parsed.
pub struct Agency {
    pub client_id: String,
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub allowed: Attributes,
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

/// The query of an authorization request, as sent (everything optional, checked here).
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuthorizationParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    /// Only `code`.
    pub response_type: Option<String>,
    /// `openid`, and any of `email`, `phone` the agency is registered for.
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    /// Only `S256`.
    pub code_challenge_method: Option<String>,
    /// `urn:acr.login.gov:auth-only` (the default).
    pub acr_values: Option<String>,
    /// `login` asks the person to sign in again even when signed in.
    pub prompt: Option<String>,
}

/// A checked request, remembered in the session while the person signs in and consents.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PendingAuthorization {
    pub client_id: String,
    pub redirect_uri: String,
    pub attributes: Attributes,
    pub state: String,
    pub nonce: String,
    pub code_challenge: Option<String>,
    pub acr: String,
    /// `prompt=login`: whoever is signed in must sign in again.
    pub prompt_login: bool,
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthorizeError {
    /// The agency or its redirect URI cannot be trusted: the person is shown the problem and
    /// never redirected anywhere (an open redirector otherwise).
    NoRedirect { reason: &'static str, message: String },
    /// Told to the agency at its registered redirect URI.
    Redirect { url: String, error: &'static str, description: String },
}

/// Where an agency's request goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// The person must sign in (or create an account) first.
    SignIn,
    /// The person is asked whether to share these attributes with the agency.
    Consent { agency: String, attributes: Vec<Attribute> },
    /// Back to the agency: with a code, or with an error.
    Redirect { url: String },
}

/// An OAuth error from the token or userinfo endpoint (RFC 6749 section 5.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: u16,
    pub error: &'static str,
    pub description: String,
}

impl OAuthError {
    fn new(status: u16, error: &'static str, description: impl Into<String>) -> Self {
        Self { status, error, description: description.into() }
    }

    fn grant(description: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", description)
    }

    fn client(description: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", description)
    }

    pub fn body(&self) -> Value {
        json!({ "error": self.error, "error_description": self.description })
    }
}

impl From<super::ServiceError> for OAuthError {
    fn from(error: super::ServiceError) -> Self {
        tracing::error!(%error, "token endpoint failed");
        Self::new(500, "server_error", "Something went wrong on our side.")
    }
}

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

#[derive(Debug, Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    exp: i64,
    jti: Option<String>,
}

/// How long a client assertion may claim to stay valid: a longer one is refused.
const MAX_ASSERTION_LIFETIME_SECS: i64 = 600;

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

    /// Checks an agency's request (AG-1). The client and redirect URI are checked first: until
    /// both are known good, nothing may be sent to the redirect URI.
    pub fn check_authorization(
        &self,
        params: &AuthorizationParams,
    ) -> Result<PendingAuthorization, AuthorizeError> {
        let no_redirect =
            |reason, message: &str| AuthorizeError::NoRedirect { reason, message: message.to_owned() };
        let client_id = non_empty(&params.client_id).ok_or_else(|| {
            no_redirect("client_id_missing", "The agency's request names no agency (client_id).")
        })?;
        let agency = self.agencies.get(client_id).ok_or_else(|| {
            no_redirect(
                "unknown_client",
                "The agency that sent you here is not registered with this service.",
            )
        })?;
        let redirect_uri = non_empty(&params.redirect_uri).ok_or_else(|| {
            no_redirect("redirect_uri_missing", "The agency's request does not say where to send you back.")
        })?;
        if !agency.redirect_uris.iter().any(|r| r == redirect_uri) {
            return Err(no_redirect(
                "redirect_uri_not_registered",
                "The agency asked to send you back to an address it has not registered, so we will not send you there.",
            ));
        }
        let state = non_empty(&params.state);
        let refuse = |error, description: &str| AuthorizeError::Redirect {
            url: error_redirect(redirect_uri, error, description, state),
            error,
            description: description.to_owned(),
        };
        if params.response_type.as_deref() != Some("code") {
            return Err(refuse("unsupported_response_type", "Only response_type=code is supported."));
        }
        let state = state.ok_or_else(|| refuse("invalid_request", "state is required."))?;
        let nonce =
            non_empty(&params.nonce).ok_or_else(|| refuse("invalid_request", "nonce is required."))?;
        if state.len() > 1024 || nonce.len() > 1024 {
            return Err(refuse("invalid_request", "state and nonce must be at most 1024 characters."));
        }
        let attributes = oidc::requested_attributes(params.scope.as_deref().unwrap_or(""), &agency.allowed)
            .map_err(|problem| match problem {
            ScopeProblem::MissingOpenid => refuse("invalid_scope", "The scope must include openid."),
            ScopeProblem::Unknown(s) => refuse("invalid_scope", &format!("Unknown scope {s:?}.")),
            ScopeProblem::NotAllowed(a) => {
                refuse("invalid_scope", &format!("This agency is not registered for the {a} scope."))
            }
        })?;
        let code_challenge =
            match (non_empty(&params.code_challenge), params.code_challenge_method.as_deref()) {
                (None, _) if agency.key.is_none() => {
                    return Err(refuse(
                        "invalid_request",
                        "PKCE (code_challenge with S256) is required for this agency.",
                    ));
                }
                (None, _) => None,
                (Some(c), Some("S256")) if oidc::valid_challenge(c) => Some(c.to_owned()),
                (Some(_), Some("S256")) => {
                    return Err(refuse("invalid_request", "code_challenge is not a S256 challenge."));
                }
                (Some(_), _) => return Err(refuse("invalid_request", "code_challenge_method must be S256.")),
            };
        let acr = match params.acr_values.as_deref().map(str::split_ascii_whitespace) {
            None => ACR_AUTH_ONLY,
            Some(mut values) => {
                let values: Vec<&str> = values.by_ref().collect();
                if values.contains(&ACR_VERIFIED) {
                    return Err(refuse(
                        "unmet_authentication_requirements",
                        "Verified identity (IAL2) is not available: this service does not verify identity yet.",
                    ));
                }
                if !values.contains(&ACR_AUTH_ONLY) {
                    return Err(refuse(
                        "invalid_request",
                        &format!("acr_values must include {ACR_AUTH_ONLY}, the only level offered."),
                    ));
                }
                ACR_AUTH_ONLY
            }
        };
        let prompt_login = match params.prompt.as_deref() {
            None | Some("") => false,
            Some("login") => true,
            Some("none") => return Err(refuse("login_required", "prompt=none is not supported.")),
            Some(other) => {
                return Err(refuse("invalid_request", &format!("prompt={other} is not supported.")));
            }
        };
        Ok(PendingAuthorization {
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            attributes,
            state: state.to_owned(),
            nonce: nonce.to_owned(),
            code_challenge,
            acr: acr.to_owned(),
            prompt_login,
        })
    }

    /// Where a waiting request goes, given who is signed in and since when: sign in, consent,
    /// or back to the agency with a code when consent covers the request (AG-2).
    pub async fn next_step(
        &self,
        request: &PendingAuthorization,
        account_id: Option<i64>,
        signed_in_at: Option<OffsetDateTime>,
    ) -> ServiceResult<NextStep> {
        let (Some(account_id), Some(signed_in_at)) = (account_id, signed_in_at) else {
            return Ok(NextStep::SignIn);
        };
        let granted = self.store.consent(account_id, &request.client_id).await?;
        if granted
            .is_some_and(|g| oidc::consent_covers(&oidc::from_words(&g.attributes), &request.attributes))
        {
            return Ok(NextStep::Redirect { url: self.issue_code(request, account_id, signed_in_at).await? });
        }
        let agency = self.agency(&request.client_id)?;
        Ok(NextStep::Consent {
            agency: agency.name.clone(),
            attributes: request.attributes.iter().copied().collect(),
        })
    }

    /// The person's answer on the consent page. Agreeing remembers the consent (adding to what
    /// was agreed before) and sends a code; declining sends `access_denied` and shares nothing.
    pub async fn decide_consent(
        &self,
        request: &PendingAuthorization,
        account_id: i64,
        signed_in_at: OffsetDateTime,
        allow: bool,
    ) -> ServiceResult<String> {
        if !allow {
            return Ok(error_redirect(
                &request.redirect_uri,
                "access_denied",
                "The person declined to share their information.",
                Some(&request.state),
            ));
        }
        let earlier = self.store.consent(account_id, &request.client_id).await?;
        let mut attributes = earlier.map(|c| oidc::from_words(&c.attributes)).unwrap_or_default();
        attributes.extend(request.attributes.iter().copied());
        let now = self.clock.now();
        self.store.save_consent(account_id, &request.client_id, &oidc::to_words(&attributes), now).await?;
        self.issue_code(request, account_id, signed_in_at).await
    }

    fn agency(&self, client_id: &str) -> ServiceResult<&Agency> {
        self.agencies
            .get(client_id)
            .ok_or_else(|| anyhow::anyhow!("agency {client_id} is no longer registered").into())
    }

    async fn issue_code(
        &self,
        request: &PendingAuthorization,
        account_id: i64,
        auth_time: OffsetDateTime,
    ) -> ServiceResult<String> {
        let code = tokens::new_token();
        let digest = tokens::digest(&code);
        let new = NewCode {
            code_digest: &digest,
            client_id: &request.client_id,
            account_id,
            redirect_uri: &request.redirect_uri,
            attributes: &oidc::to_words(&request.attributes),
            nonce: &request.nonce,
            code_challenge: request.code_challenge.as_deref(),
            acr: &request.acr,
            auth_time,
        };
        self.store.insert_authorization_code(&new, self.clock.now()).await?;
        Ok(with_query(&request.redirect_uri, &[("code", &code), ("state", &request.state)]))
    }

    /// The token endpoint: authenticates the agency, spends the code once, and issues an
    /// access token and a signed ID token.
    pub async fn exchange_code(&self, form: &TokenRequest) -> Result<Value, OAuthError> {
        let now = self.clock.now();
        if form.grant_type.as_deref() != Some("authorization_code") {
            return Err(OAuthError::new(
                400,
                "unsupported_grant_type",
                "Only authorization_code is supported.",
            ));
        }
        let agency = self.authenticate_agency(form, now).await?;
        let code_value = non_empty(&form.code)
            .ok_or_else(|| OAuthError::new(400, "invalid_request", "code is required."))?;
        let code = self
            .store
            .authorization_code(&tokens::digest(code_value))
            .await
            .map_err(super::ServiceError::from)?
            .filter(|c| c.client_id == agency.client_id)
            .ok_or_else(|| OAuthError::grant("The code is not valid for this agency."))?;
        if now - code.created_at >= secs(self.policy.authorization_code_lifetime_secs) {
            return Err(OAuthError::grant("The code has expired."));
        }
        if form.redirect_uri.as_deref().is_some_and(|r| r != code.redirect_uri) {
            return Err(OAuthError::grant("redirect_uri does not match the authorization request."));
        }
        match (&code.code_challenge, non_empty(&form.code_verifier)) {
            (Some(challenge), Some(verifier)) if oidc::pkce_matches(verifier, challenge) => {}
            (Some(_), Some(_)) => return Err(OAuthError::grant("The PKCE code_verifier does not match.")),
            (Some(_), None) => return Err(OAuthError::grant("code_verifier is required (PKCE).")),
            (None, _) if agency.key.is_none() => {
                return Err(OAuthError::grant("This code was issued without PKCE."));
            }
            (None, _) => {}
        }
        if !self.store.use_authorization_code(code.id, now).await.map_err(super::ServiceError::from)? {
            tracing::warn!(client_id = %agency.client_id, "authorization code reused; its tokens are revoked");
            return Err(OAuthError::grant("The code was already used; tokens issued with it are revoked."));
        }
        let access_token = tokens::new_token();
        let lifetime = secs(self.policy.access_token_lifetime_secs);
        self.store
            .insert_access_token(&tokens::digest(&access_token), &code, now + lifetime)
            .await
            .map_err(super::ServiceError::from)?;
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
        let id_token = self.signing_keys.sign(&claims).map_err(super::ServiceError::from)?;
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
            let client_id =
                non_empty(&form.client_id).ok_or_else(|| OAuthError::client("No client authentication."))?;
            let agency = self.agencies.get(client_id).ok_or_else(|| OAuthError::client("Unknown client."))?;
            if agency.key.is_some() {
                return Err(OAuthError::client("This agency must authenticate with private_key_jwt."));
            }
            return Ok(agency);
        };
        if form.client_assertion_type.as_deref() != Some(JWT_BEARER) {
            return Err(OAuthError::client(format!("client_assertion_type must be {JWT_BEARER}.")));
        }
        // The issuer names the key to verify with; nothing else is trusted before verification.
        let claimed = unverified_issuer(assertion)
            .ok_or_else(|| OAuthError::client("The client assertion is not a JWT."))?;
        let agency = self.agencies.get(&claimed).ok_or_else(|| OAuthError::client("Unknown client."))?;
        if form.client_id.as_deref().is_some_and(|id| id != agency.client_id) {
            return Err(OAuthError::client("client_id does not match the client assertion."));
        }
        let key =
            agency.key.as_ref().ok_or_else(|| OAuthError::client("This agency has no registered key."))?;
        let mut validation = Validation::new(Algorithm::RS256);
        // Expiry is judged by the service's clock below, not the machine's.
        validation.validate_exp = false;
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        validation.set_issuer(&[&agency.client_id]);
        validation.set_audience(&[format!("{}{TOKEN_PATH}", self.issuer()), self.issuer().to_owned()]);
        let claims = jsonwebtoken::decode::<AssertionClaims>(assertion, key, &validation)
            .map_err(|e| OAuthError::client(format!("The client assertion is not valid: {e}.")))?
            .claims;
        if claims.sub != claims.iss {
            return Err(OAuthError::client("The client assertion's sub must be the client id."));
        }
        let (now_s, exp) = (now.unix_timestamp(), claims.exp);
        if exp <= now_s || exp > now_s + MAX_ASSERTION_LIFETIME_SECS {
            return Err(OAuthError::client("The client assertion has expired or lives too long."));
        }
        let jti = claims
            .jti
            .filter(|j| !j.is_empty())
            .ok_or_else(|| OAuthError::client("The client assertion has no jti."))?;
        let expires_at = OffsetDateTime::from_unix_timestamp(exp)
            .map_err(|_| OAuthError::client("exp is out of range."))?;
        if !self
            .store
            .record_assertion(&agency.client_id, &jti, expires_at, now)
            .await
            .map_err(super::ServiceError::from)?
        {
            return Err(OAuthError::client("The client assertion was already used."));
        }
        Ok(agency)
    }

    /// The subject one agency sees for one account (AG-3).
    pub fn subject(&self, client_id: &str, account_id: i64) -> String {
        oidc::pairwise_subject(&self.subject_key, client_id, account_id)
    }

    /// Userinfo: only what the person agreed to share, while the token is live (PV-3).
    pub async fn userinfo(&self, bearer: &str) -> Result<Value, OAuthError> {
        let invalid = || OAuthError::new(401, "invalid_token", "The access token is not valid.");
        let token = self
            .store
            .access_token(&tokens::digest(bearer))
            .await
            .map_err(super::ServiceError::from)?
            .ok_or_else(invalid)?;
        if token.revoked || self.clock.now() >= token.expires_at {
            return Err(invalid());
        }
        let account = self
            .store
            .account(token.account_id)
            .await
            .map_err(super::ServiceError::from)?
            .ok_or_else(invalid)?;
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

    /// The agencies the person has agreed to share with, and what (for the account page).
    pub async fn connected_agencies(&self, account_id: i64) -> ServiceResult<Vec<ConnectedAgency>> {
        let consents = self.store.consents(account_id).await?;
        Ok(consents
            .into_iter()
            .map(|c| ConnectedAgency {
                name: self.agencies.get(&c.client_id).map_or_else(|| c.client_id.clone(), |a| a.name.clone()),
                attributes: oidc::from_words(&c.attributes).into_iter().collect(),
                client_id: c.client_id,
                granted_at: c.granted_at,
            })
            .collect())
    }

    /// Withdraws consent: the agency's tokens stop working and the next request asks again.
    pub async fn revoke_agency(&self, account_id: i64, client_id: &str) -> ServiceResult<bool> {
        Ok(self.store.revoke_consent(account_id, client_id).await?)
    }

    /// RP-initiated logout: where to send the person after signing them out, when the agency
    /// registered that address.
    pub fn logout_redirect(
        &self,
        client_id: Option<&str>,
        post_logout_redirect_uri: Option<&str>,
        state: Option<&str>,
    ) -> Result<String, AuthorizeError> {
        let refuse =
            |reason, message: &str| AuthorizeError::NoRedirect { reason, message: message.to_owned() };
        let agency = client_id.and_then(|id| self.agencies.get(id)).ok_or_else(|| {
            refuse("unknown_client", "The agency that sent you here is not registered with this service.")
        })?;
        let uri = post_logout_redirect_uri
            .filter(|u| agency.post_logout_redirect_uris.iter().any(|r| r == u))
            .ok_or_else(|| {
                refuse(
                    "post_logout_redirect_uri_not_registered",
                    "The agency asked to send you to an address it has not registered, so we will not send you there.",
                )
            })?;
        Ok(match state.filter(|s| !s.is_empty()) {
            Some(state) => with_query(uri, &[("state", state)]),
            None => uri.to_owned(),
        })
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
            "scopes_supported": ["openid", "email", "phone"],
            "claims_supported": ["iss", "sub", "aud", "exp", "iat", "nonce", "acr", "auth_time", "at_hash",
                                 "email", "email_verified", "phone", "phone_verified"],
            "acr_values_supported": [ACR_AUTH_ONLY],
            "prompt_values_supported": ["login"],
        })
    }
}

/// An agency the person shares with.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectedAgency {
    pub client_id: String,
    pub name: String,
    #[schema(value_type = Vec<String>)]
    pub attributes: Vec<Attribute>,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String)]
    pub granted_at: OffsetDateTime,
}

/// The `iss` of a JWT, read without verifying it (only to find the key to verify with).
fn unverified_issuer(jwt: &str) -> Option<String> {
    use base64::Engine;
    let payload = jwt.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value.get("iss")?.as_str().map(str::to_owned)
}
