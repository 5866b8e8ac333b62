//! An agency, as a relying party built on the `openidconnect` crate: it discovers the
//! target's provider, builds authorization requests (state, nonce, PKCE), exchanges codes
//! authenticating with `private_key_jwt` or PKCE alone, verifies ID tokens by the target's
//! clock, and calls userinfo. Abuse cases bend exactly one of these on purpose.

use anyhow::Context as _;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreTokenResponse,
};
use openidconnect::{
    AuthType, AuthenticationContextClass, AuthorizationCode, ClientId, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse as _, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope,
    TokenResponse as _,
};
use rsa::pkcs8::{EncodePrivateKey as _, EncodePublicKey as _, LineEnding};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::target::AgencySettings;

pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
pub const ACR_AUTH_ONLY: &str = "urn:acr.login.gov:auth-only";
pub const ACR_VERIFIED: &str = "urn:acr.login.gov:verified";

/// A new RSA key pair as PEM: (PKCS#8 private key, SPKI public key).
pub fn new_key_pair() -> anyhow::Result<(String, String)> {
    let private = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048)?;
    let public = private.to_public_key().to_public_key_pem(LineEnding::LF)?;
    Ok((private.to_pkcs8_pem(LineEnding::LF)?.to_string(), public))
}

/// What an authorization request asks for, and which of its parts a scenario bends.
#[derive(Debug, Clone, Default)]
pub struct RequestOptions {
    pub scopes: Vec<String>,
    /// Leave PKCE out (for a public client, the target must refuse).
    pub without_pkce: bool,
    /// Send the person back somewhere the agency did not register.
    pub redirect_uri: Option<String>,
    pub acr: Option<String>,
    pub prompt_login: bool,
    /// Claim to be an agency the target does not know.
    pub client_id: Option<String>,
}

/// One authorization request, with what the agency keeps to check the answer.
#[derive(Debug)]
pub struct Request {
    pub url: String,
    pub state: String,
    pub nonce: String,
    pub pkce_verifier: Option<String>,
}

/// How the agency authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientAuth {
    /// As registered: `private_key_jwt` with its key, or PKCE alone for a public client.
    AsRegistered,
    /// A client assertion signed by a key the target never saw.
    WrongKey,
    /// A client assertion addressed to another audience.
    WrongAudience,
    /// The same client assertion as the previous exchange (a replay).
    ReplayedAssertion,
    /// A client assertion whose `exp` has passed.
    ExpiredAssertion,
    /// A client assertion claiming to stay valid for an hour (beyond any sensible window).
    LongLivedAssertion,
    /// A client assertion with `nbf` an hour ahead (its `exp` within the window).
    NotYetValidAssertion,
    /// A client assertion with `iat` five minutes ahead (its `exp` within the window).
    IssuedLaterAssertion,
}

/// How the agency proves PKCE at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verifier {
    Right,
    Wrong,
    Missing,
    /// A verifier for a code requested without a challenge (a PKCE downgrade).
    Unrequested,
}

/// Which `redirect_uri` the agency names at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectUri {
    /// The one its authorization request named.
    AsRequested,
    /// Another address.
    Another,
    /// None at all.
    Omitted,
}

/// How the agency makes its token request: as it should, or spoiled in one respect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    pub verifier: Verifier,
    pub auth: ClientAuth,
    pub redirect_uri: RedirectUri,
}

impl Exchange {
    pub const AS_REGISTERED: Exchange = Exchange {
        verifier: Verifier::Right,
        auth: ClientAuth::AsRegistered,
        redirect_uri: RedirectUri::AsRequested,
    };
}

/// A refusal from the token endpoint, as RFC 6749 section 5.2 shapes it.
#[derive(Debug, Clone)]
pub struct TokenRefusal {
    pub error: String,
    pub description: String,
}

pub struct Agency {
    pub name: String,
    pub settings: AgencySettings,
    metadata: CoreProviderMetadata,
    http: reqwest::Client,
    key: Option<EncodingKey>,
    last_assertion: Option<String>,
    /// From the discovery document (the crate's metadata type keeps only the core fields).
    end_session_endpoint: Option<String>,
}

impl Agency {
    /// Discovers the target's provider (discovery document and keys).
    pub async fn discover(name: &str, issuer: &str, settings: AgencySettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            // An OAuth client must not follow redirects (SSRF), as the crate's docs advise.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        let issuer_url = IssuerUrl::new(issuer.to_owned()).context("oidc.issuer is not a URL")?;
        let metadata = CoreProviderMetadata::discover_async(issuer_url, &http).await.map_err(|e| {
            anyhow::anyhow!("discovery at {issuer}/.well-known/openid-configuration failed: {e}")
        })?;
        let key = settings
            .private_key_pem
            .as_deref()
            .map(|pem| EncodingKey::from_rsa_pem(pem.as_bytes()))
            .transpose()
            .with_context(|| format!("agency {name}'s private key is not an RSA key in PEM"))?;
        let raw: Value = http
            .get(format!("{}/.well-known/openid-configuration", issuer.trim_end_matches('/')))
            .send()
            .await?
            .json()
            .await?;
        let end_session_endpoint = raw.get("end_session_endpoint").and_then(Value::as_str).map(str::to_owned);
        Ok(Self {
            name: name.to_owned(),
            settings,
            metadata,
            http,
            key,
            last_assertion: None,
            end_session_endpoint,
        })
    }

    pub fn is_public(&self) -> bool {
        self.key.is_none()
    }

    fn client(
        &self,
        client_id: &str,
    ) -> anyhow::Result<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
    > {
        let redirect = RedirectUrl::new(self.settings.redirect_uri.clone())?;
        Ok(CoreClient::from_provider_metadata(
            self.metadata.clone(),
            ClientId::new(client_id.to_owned()),
            None,
        )
        .set_redirect_uri(redirect)
        .set_auth_type(AuthType::RequestBody))
    }

    pub fn token_endpoint(&self) -> anyhow::Result<String> {
        Ok(self.metadata.token_endpoint().context("discovery names no token_endpoint")?.to_string())
    }

    /// Builds an authorization request: fresh state and nonce, PKCE S256 unless told not to.
    pub fn request(&self, options: &RequestOptions) -> anyhow::Result<Request> {
        let client = self.client(options.client_id.as_deref().unwrap_or(&self.settings.client_id))?;
        let mut builder = client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &options.scopes {
            builder = builder.add_scope(Scope::new(scope.clone()));
        }
        let mut pkce_verifier = None;
        if !options.without_pkce {
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            builder = builder.set_pkce_challenge(challenge);
            pkce_verifier = Some(verifier.secret().clone());
        }
        builder = builder.add_auth_context_value(AuthenticationContextClass::new(
            options.acr.clone().unwrap_or_else(|| ACR_AUTH_ONLY.to_owned()),
        ));
        if options.prompt_login {
            builder = builder.add_prompt(openidconnect::core::CoreAuthPrompt::Login);
        }
        if let Some(uri) = &options.redirect_uri {
            builder = builder.set_redirect_uri(std::borrow::Cow::Owned(RedirectUrl::new(uri.clone())?));
        }
        let (url, state, nonce) = builder.url();
        Ok(Request {
            url: url.to_string(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            pkce_verifier,
        })
    }

    /// A client assertion (RFC 7523) for the token endpoint, valid from the target's `now`.
    fn assertion(&mut self, auth: ClientAuth, now: OffsetDateTime) -> anyhow::Result<Option<String>> {
        if auth == ClientAuth::ReplayedAssertion {
            return self.last_assertion.clone().context("no earlier client assertion to replay").map(Some);
        }
        let Some(key) = &self.key else { return Ok(None) };
        let audience = match auth {
            ClientAuth::WrongAudience => "https://another-provider.example/token".to_owned(),
            _ => self.token_endpoint()?,
        };
        let now = now.unix_timestamp();
        let (iat, exp) = match auth {
            ClientAuth::ExpiredAssertion => (now - 600, now - 300),
            ClientAuth::LongLivedAssertion => (now, now + 3600),
            // Within the exp window, so that only the future iat is wrong.
            ClientAuth::IssuedLaterAssertion => (now + 300, now + 360),
            _ => (now, now + 300),
        };
        let mut claims = json!({
            "iss": self.settings.client_id,
            "sub": self.settings.client_id,
            "aud": audience,
            "jti": CsrfToken::new_random().secret(),
            "iat": iat,
            "exp": exp,
        });
        match auth {
            ClientAuth::NotYetValidAssertion => claims["nbf"] = json!(now + 3600),
            ClientAuth::ExpiredAssertion
            | ClientAuth::LongLivedAssertion
            | ClientAuth::IssuedLaterAssertion => {}
            // Valid from now, as many agencies' libraries write it: a service must take it.
            _ => claims["nbf"] = json!(now),
        }
        let header = Header::new(Algorithm::RS256);
        let token = match auth {
            ClientAuth::WrongKey => {
                let (other, _) = new_key_pair()?;
                jsonwebtoken::encode(&header, &claims, &EncodingKey::from_rsa_pem(other.as_bytes())?)?
            }
            _ => jsonwebtoken::encode(&header, &claims, key)?,
        };
        self.last_assertion = Some(token.clone());
        Ok(Some(token))
    }

    /// Exchanges a code at the token endpoint.
    pub async fn exchange(
        &mut self,
        code: &str,
        request: &Request,
        how: Exchange,
        now: OffsetDateTime,
    ) -> anyhow::Result<Result<CoreTokenResponse, TokenRefusal>> {
        let assertion = self.assertion(how.auth, now)?;
        let mut client = self.client(&self.settings.client_id)?;
        match how.redirect_uri {
            RedirectUri::AsRequested => {}
            RedirectUri::Another => {
                let another = format!("{}-elsewhere", self.settings.redirect_uri);
                client = client.set_redirect_uri(RedirectUrl::new(another)?);
            }
            // The library always names the client's redirect URI: this request is made by hand.
            RedirectUri::Omitted => {
                return self.exchange_without_redirect_uri(code, request, assertion).await;
            }
        }
        let mut exchange = client.exchange_code(AuthorizationCode::new(code.to_owned()))?;
        match (how.verifier, &request.pkce_verifier) {
            (Verifier::Right, Some(v)) => {
                exchange = exchange.set_pkce_verifier(PkceCodeVerifier::new(v.clone()))
            }
            (Verifier::Wrong | Verifier::Unrequested, _) => {
                let (_, other) = PkceCodeChallenge::new_random_sha256();
                exchange = exchange.set_pkce_verifier(other);
            }
            _ => {}
        }
        if let Some(assertion) = assertion {
            exchange = exchange
                .add_extra_param("client_assertion_type", CLIENT_ASSERTION_TYPE)
                .add_extra_param("client_assertion", assertion);
        }
        match exchange.request_async(&self.http).await {
            Ok(tokens) => Ok(Ok(tokens)),
            Err(RequestTokenError::ServerResponse(e)) => Ok(Err(TokenRefusal {
                error: e.error().as_ref().to_owned(),
                description: e.error_description().cloned().unwrap_or_default(),
            })),
            Err(e) => Err(anyhow::anyhow!("the token endpoint did not answer as OAuth 2.0 says: {e:?}")),
        }
    }

    /// A token request that names no `redirect_uri`, made by hand; the answer is read as RFC
    /// 6749 section 5 says, and anything else is an error naming what came back.
    async fn exchange_without_redirect_uri(
        &self,
        code: &str,
        request: &Request,
        assertion: Option<String>,
    ) -> anyhow::Result<Result<CoreTokenResponse, TokenRefusal>> {
        let endpoint = self.token_endpoint()?;
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("client_id", self.settings.client_id.clone()),
        ];
        form.extend(request.pkce_verifier.clone().map(|v| ("code_verifier", v)));
        if let Some(assertion) = assertion {
            form.push(("client_assertion_type", CLIENT_ASSERTION_TYPE.to_owned()));
            form.push(("client_assertion", assertion));
        }
        let response = self.http.post(&endpoint).form(&form).send().await?;
        let status = response.status().as_u16();
        let text = response.text().await?;
        if status == 200 {
            return serde_json::from_str(&text).map(Ok).map_err(|e| {
                anyhow::anyhow!("the token endpoint answered 200 with no token response ({e}): {text}")
            });
        }
        let body: Value = serde_json::from_str(&text).map_err(|_| {
            anyhow::anyhow!("the token endpoint answered {status} with no OAuth error JSON: {text:?}")
        })?;
        let error =
            body["error"].as_str().with_context(|| format!("the {status} answer has no error: {text}"))?;
        Ok(Err(TokenRefusal {
            error: error.to_owned(),
            description: body["error_description"].as_str().unwrap_or_default().to_owned(),
        }))
    }

    /// Verifies the ID token as an agency must: signature by the provider's published key,
    /// issuer, audience, expiry by the target's clock, the nonce sent, and the access-token hash.
    pub fn verify_id_token(
        &self,
        tokens: &CoreTokenResponse,
        nonce: &str,
        now: OffsetDateTime,
    ) -> anyhow::Result<CoreIdTokenClaims> {
        let id_token = tokens.id_token().context("the token response has no id_token")?;
        let client = self.client(&self.settings.client_id)?;
        let at = chrono::DateTime::from_timestamp(now.unix_timestamp(), 0).context("time out of range")?;
        let verifier = client.id_token_verifier().set_time_fn(move || at);
        let claims = id_token
            .claims(&verifier, &Nonce::new(nonce.to_owned()))
            .map_err(|e| anyhow::anyhow!("the ID token does not verify: {e}"))?
            .clone();
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token.signing_alg()?;
            let key = id_token.signing_key(&verifier)?;
            let actual = openidconnect::AccessTokenHash::from_token(tokens.access_token(), alg, key)?;
            anyhow::ensure!(&actual == expected, "the ID token's at_hash does not match the access token");
        }
        Ok(claims)
    }

    /// Calls userinfo with a bearer token: the status and the JSON body.
    pub async fn userinfo(&self, access_token: &str) -> anyhow::Result<(u16, Value)> {
        let url = self.metadata.userinfo_endpoint().context("discovery names no userinfo_endpoint")?;
        let response = self.http.get(url.as_str()).bearer_auth(access_token).send().await?;
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        Ok((status, body))
    }

    /// The logout link this agency sends a person to.
    pub fn logout_url(&self, post_logout_redirect_uri: &str, state: &str) -> anyhow::Result<String> {
        let endpoint =
            self.end_session_endpoint.as_deref().context("discovery names no end_session_endpoint")?;
        let mut url = url::Url::parse(endpoint)?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("post_logout_redirect_uri", post_logout_redirect_uri)
            .append_pair("state", state);
        Ok(url.into())
    }
}
