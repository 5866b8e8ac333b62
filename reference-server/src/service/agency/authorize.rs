//! AG-1, AG-2: an agency's authorization request — checked before anything is sent back to
//! it — then sign-in, consent, and the authorization code.

use crate::domain::AccountId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{error_redirect, non_empty, with_query};
use crate::rules::oidc::{self, ACR_AUTH_ONLY, ACR_VERIFIED, Attribute, Attributes, ScopeProblem};
use crate::rules::tokens;
use crate::service::{ServiceResult, Services};
use crate::store::NewCode;

/// What the key sealing an authorization code's verified attributes is derived for.
pub const CODE_KEY: &str = "authorization-code identity";

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
    /// `urn:acr.login.gov:auth-only` (the default), or `urn:acr.login.gov:verified`.
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
    /// The agency asks for verified identity, which the account does not have: verify first.
    Verify,
    /// The account's verified identity waits for the personal key (after a reset), or for the
    /// password to be entered again in this session: the person verifies again or reactivates.
    Reactivate,
    /// The person is asked whether to share these attributes with the agency.
    Consent { agency: String, attributes: Vec<Attribute> },
    /// Back to the agency: with a code, or with an error.
    Redirect { url: String },
}

impl Services {
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
            Some(values) => {
                let values: Vec<&str> = values.collect();
                if values.contains(&ACR_VERIFIED) {
                    if !agency.verified {
                        return Err(refuse(
                            "unmet_authentication_requirements",
                            "This agency is not registered for verified identity (IAL2).",
                        ));
                    }
                    ACR_VERIFIED
                } else if values.contains(&ACR_AUTH_ONLY) {
                    ACR_AUTH_ONLY
                } else {
                    return Err(refuse(
                        "invalid_request",
                        &format!("acr_values must include {ACR_AUTH_ONLY} or {ACR_VERIFIED}."),
                    ));
                }
            }
        };
        if acr != ACR_VERIFIED
            && let Some(a) = attributes.iter().find(|a| a.verified())
        {
            return Err(refuse(
                "invalid_scope",
                &format!("The {a} scope needs verified identity (acr_values={ACR_VERIFIED})."),
            ));
        }
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

    /// Where a waiting request goes, given who is signed in and since when: sign in, verify
    /// identity, consent, or back to the agency with a code when consent covers the request
    /// (AG-2). `identity_key` is the data key the session holds, if any.
    pub async fn next_step(
        &self,
        request: &PendingAuthorization,
        account_id: Option<AccountId>,
        signed_in_at: Option<OffsetDateTime>,
        identity_key: Option<[u8; 32]>,
    ) -> ServiceResult<NextStep> {
        let (Some(account_id), Some(signed_in_at)) = (account_id, signed_in_at) else {
            return Ok(NextStep::SignIn);
        };
        let identity = self.identity_for(request, account_id, identity_key).await?;
        if let Err(step) = identity {
            return Ok(step);
        }
        let granted = self.store.consent(account_id, &request.client_id).await?;
        if granted
            .is_some_and(|g| oidc::consent_covers(&oidc::from_words(&g.attributes), &request.attributes))
        {
            let url = self.issue_code(request, account_id, signed_in_at, identity_key).await?;
            return Ok(NextStep::Redirect { url });
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
        account_id: AccountId,
        signed_in_at: OffsetDateTime,
        allow: bool,
        identity_key: Option<[u8; 32]>,
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
        if self.identity_for(request, account_id, identity_key).await?.is_err() {
            return Err(crate::service::ServiceError::Rejected(
                crate::service::Reason::VerificationStepOutOfOrder,
            ));
        }
        self.store.save_consent(account_id, &request.client_id, &oidc::to_words(&attributes), now).await?;
        self.issue_code(request, account_id, signed_in_at, identity_key).await
    }

    /// For a request asking for verified identity, the identity (or the step that gets it);
    /// `Ok(None)` for one that does not.
    async fn identity_for(
        &self,
        request: &PendingAuthorization,
        account_id: AccountId,
        identity_key: Option<[u8; 32]>,
    ) -> ServiceResult<Result<Option<crate::proofing::Identity>, NextStep>> {
        if request.acr != ACR_VERIFIED {
            return Ok(Ok(None));
        }
        use crate::service::identity::VerificationStatus;
        Ok(match self.verification_status(account_id).await? {
            // Pending at a Post Office does not count yet (IV-2); the verify page says so.
            VerificationStatus::Unverified
            | VerificationStatus::InPersonPending(_)
            | VerificationStatus::InPersonFailed { .. }
            | VerificationStatus::InPersonExpired { .. } => Err(NextStep::Verify),
            VerificationStatus::NeedsPersonalKey => Err(NextStep::Reactivate),
            VerificationStatus::Verified { .. } => {
                match self.verified_identity(account_id, identity_key).await? {
                    Some(identity) => Ok(Some(identity)),
                    None => Err(NextStep::Reactivate),
                }
            }
        })
    }

    async fn issue_code(
        &self,
        request: &PendingAuthorization,
        account_id: AccountId,
        auth_time: OffsetDateTime,
        identity_key: Option<[u8; 32]>,
    ) -> ServiceResult<String> {
        let code = tokens::new_token();
        let digest = tokens::digest(&code);
        // Verified attributes travel with the code, sealed under a key only the code carries.
        let identity_sealed = match self.identity_for(request, account_id, identity_key).await? {
            Ok(Some(identity)) => {
                let claims = crate::service::identity::identity_claims(&identity, &request.attributes);
                let key = crate::sealing::key_from_token(CODE_KEY, &code);
                Some(crate::sealing::seal(&key, claims.to_string().as_bytes()))
            }
            Ok(None) => None,
            Err(_) => {
                return Err(crate::service::ServiceError::Rejected(
                    crate::service::Reason::VerificationStepOutOfOrder,
                ));
            }
        };
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
            identity_sealed,
        };
        self.store.insert_authorization_code(&new, self.clock.now()).await?;
        Ok(with_query(&request.redirect_uri, &[("code", &code), ("state", &request.state)]))
    }
}
