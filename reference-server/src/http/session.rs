//! Server-side sessions: an opaque random cookie, state stored in the database under the
//! cookie's digest, an idle timeout from the policy, rotation and destruction on request.

use crate::domain::AccountId;
use crate::domain::Email;
use crate::domain::Phone;
use std::sync::{Arc, Mutex};

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::policy::secs;
use crate::rules::session::session_over;
use crate::rules::tokens;
use crate::sealing;

pub const COOKIE_NAME: &str = "sid";

/// What a session remembers between requests.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct SessionState {
    pub csrf: String,
    pub sign_up: Option<SignUpProgress>,
    /// The account whose password was just set, still completing sign-up.
    pub new_account: Option<AccountId>,
    /// The phone being confirmed during sign-up.
    pub pending_phone: Option<Phone>,
    /// Password checked, second factor still to come.
    pub authenticating: Option<AccountId>,
    /// Signed in.
    pub account_id: Option<AccountId>,
    /// A new phone waiting for its code (ST-5).
    pub pending_new_phone: Option<Phone>,
    /// An authenticator secret, sealed, waiting for its first code (ST-6).
    pub pending_authenticator: Option<String>,
    /// When the person signed in (Unix seconds): an agency's `auth_time`.
    pub signed_in_at: Option<i64>,
    /// An agency's sign-in request waiting for the person to sign in or consent (AG-1).
    pub agency_request: Option<crate::service::agency::PendingAuthorization>,
    /// The [`Vault`], sealed under a key only the session cookie carries (set when saved).
    pub vault: Option<String>,
}

/// What a session holds that the server's own keys must not open (PV-2): the data key of the
/// verified identity, and a verification in progress. Sealed under a key derived from the
/// session cookie, which the store keeps only as a digest.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Vault {
    pub identity_key: Option<[u8; 32]>,
    pub verification: Option<crate::service::identity::Verification>,
}

impl Vault {
    fn is_empty(&self) -> bool {
        self.identity_key.is_none() && self.verification.is_none()
    }
}

/// What the vault's key is derived for.
const VAULT_KEY: &str = "session vault";

impl SessionState {
    /// Starts over for another identity, keeping only an agency's waiting request and the
    /// form token.
    pub fn restart(&mut self) {
        let agency_request = self.agency_request.take();
        let csrf = std::mem::take(&mut self.csrf);
        *self = Self { csrf, agency_request, ..Self::default() };
    }

    pub fn signed_in_at(&self) -> Option<time::OffsetDateTime> {
        self.signed_in_at.and_then(|t| time::OffsetDateTime::from_unix_timestamp(t).ok())
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignUpProgress {
    pub email: Email,
    pub confirmed: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Fate {
    Keep,
    Rotate,
    Destroy,
}

struct Inner {
    /// The stored session's id digest; `None` for a session this request starts.
    id_digest: Option<String>,
    state: SessionState,
    vault: Vault,
    dirty: bool,
    fate: Fate,
}

/// The current request's session. Changes are saved when the response is sent.
#[derive(Clone)]
pub struct Session(Arc<Mutex<Inner>>);

impl Session {
    fn new(id_digest: Option<String>, state: SessionState, vault: Vault) -> Self {
        Self(Arc::new(Mutex::new(Inner { id_digest, state, vault, dirty: false, fate: Fate::Keep })))
    }

    pub fn vault(&self) -> Vault {
        self.0.lock().expect("session lock").vault.clone()
    }

    pub fn update_vault<T>(&self, change: impl FnOnce(&mut Vault) -> T) -> T {
        let mut inner = self.0.lock().expect("session lock");
        inner.dirty = true;
        change(&mut inner.vault)
    }

    /// The stored session's id digest, where counters kept beside the state live.
    pub fn id_digest(&self) -> Option<String> {
        self.0.lock().expect("session lock").id_digest.clone()
    }

    pub fn state(&self) -> SessionState {
        self.0.lock().expect("session lock").state.clone()
    }

    pub fn update<T>(&self, change: impl FnOnce(&mut SessionState) -> T) -> T {
        let mut inner = self.0.lock().expect("session lock");
        inner.dirty = true;
        change(&mut inner.state)
    }

    /// The session's anti-forgery token, created on first use.
    pub fn csrf_token(&self) -> String {
        let mut inner = self.0.lock().expect("session lock");
        if inner.state.csrf.is_empty() {
            inner.state.csrf = tokens::new_token();
            inner.dirty = true;
        }
        inner.state.csrf.clone()
    }

    pub fn csrf_matches(&self, submitted: &str) -> bool {
        let inner = self.0.lock().expect("session lock");
        !inner.state.csrf.is_empty() && tokens::same(&inner.state.csrf, submitted)
    }

    /// Signed in after the second factor: a fresh state for the account under a new session
    /// id (SI-5), remembering when (an agency's `auth_time`).
    pub fn sign_in(&self, account_id: AccountId, now: time::OffsetDateTime) {
        self.update(|s| {
            s.restart();
            s.account_id = Some(account_id);
            s.signed_in_at = Some(now.unix_timestamp());
        });
        self.rotate();
    }

    /// Issue a new session id for the same state (on any change of who is signed in).
    pub fn rotate(&self) {
        let mut inner = self.0.lock().expect("session lock");
        inner.fate = Fate::Rotate;
        inner.dirty = true;
    }

    /// End the session on the server and clear the cookie.
    pub fn destroy(&self) {
        let mut inner = self.0.lock().expect("session lock");
        inner.fate = Fate::Destroy;
        inner.state = SessionState::default();
        inner.vault = Vault::default();
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Session>().cloned().ok_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

fn cookie_value(request: &Request) -> Option<String> {
    request
        .headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.to_owned())
}

fn set_cookie(app: &AppState, value: &str, max_age: Option<u64>) -> HeaderValue {
    let secure = if app.services.public_url.starts_with("https://") { "; Secure" } else { "" };
    let max_age = max_age.map(|s| format!("; Max-Age={s}")).unwrap_or_default();
    HeaderValue::from_str(&format!("{COOKIE_NAME}={value}; Path=/; HttpOnly; SameSite=Lax{secure}{max_age}"))
        .expect("cookie header")
}

/// Loads the session before the handler and saves it after.
pub async fn middleware(State(app): State<AppState>, mut request: Request, next: Next) -> Response {
    match run(app, &mut request, next).await {
        Ok(response) => response,
        Err(error) => {
            tracing::error!(%error, "session storage failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Session storage is unavailable; try again.").into_response()
        }
    }
}

async fn run(app: AppState, request: &mut Request, next: Next) -> anyhow::Result<Response> {
    let store = &app.services.store;
    let now = app.services.clock.now();
    let idle = secs(app.services.policy.session_idle_timeout_secs);
    let lifetime = secs(app.services.policy.session_lifetime_secs);
    let mut existing = None;
    let mut state = SessionState::default();
    let mut vault = Vault::default();
    let cookie = cookie_value(request);
    if let Some(value) = &cookie {
        let digest = tokens::digest(value);
        if let Some(stored) = store.session(&digest).await? {
            if !session_over(stored.created_at, stored.last_seen_at, now, idle, lifetime) {
                state = serde_json::from_str(&stored.state).unwrap_or_default();
                if let Some(sealed) = state.vault.take() {
                    let opened = sealing::open(&sealing::key_from_token(VAULT_KEY, value), &sealed)?;
                    vault = serde_json::from_slice(&opened)?;
                }
                existing = Some(digest);
            } else {
                store.delete_session(&digest).await?;
            }
        }
    }
    let session = Session::new(existing.clone(), state, vault);
    request.extensions_mut().insert(session.clone());
    let mut response = next.run(std::mem::take(request)).await;

    let (mut state, vault, dirty, fate) = {
        let inner = session.0.lock().expect("session lock");
        (inner.state.clone(), inner.vault.clone(), inner.dirty, inner.fate)
    };
    // Sealed under the cookie the browser will hold after this response.
    let seal_vault = |state: &mut SessionState, value: &str| -> anyhow::Result<()> {
        state.vault = (!vault.is_empty())
            .then(|| {
                serde_json::to_vec(&vault)
                    .map(|v| sealing::seal(&sealing::key_from_token(VAULT_KEY, value), &v))
            })
            .transpose()?;
        Ok(())
    };
    let headers = response.headers_mut();
    if let Some(request) = &state.agency_request
        && let Ok(url) = url::Url::parse(&request.redirect_uri)
    {
        let origin = url.origin().ascii_serialization();
        headers.insert(
            axum::http::header::CONTENT_SECURITY_POLICY,
            super::content_security_policy(Some(&origin)),
        );
    }
    // Test-only breakage (SI-5): a rotation keeps the identifier the browser had.
    let fate = match fate {
        Fate::Rotate if crate::service::broken!(app.services, SessionKeptAtSignIn if existing.is_some()) => {
            Fate::Keep
        }
        fate => fate,
    };
    match (fate, &existing) {
        (Fate::Destroy, _) => {
            if let Some(digest) = &existing {
                store.delete_session(digest).await?;
            }
            headers.append(SET_COOKIE, set_cookie(&app, "", Some(0)));
        }
        (Fate::Rotate, _) | (Fate::Keep, None) if dirty => {
            if let Some(digest) = &existing {
                store.delete_session(digest).await?;
            }
            let value = tokens::new_token();
            seal_vault(&mut state, &value)?;
            store.create_session(&tokens::digest(&value), &serde_json::to_string(&state)?, now).await?;
            headers.append(SET_COOKIE, set_cookie(&app, &value, None));
        }
        (_, Some(digest)) if dirty => {
            // Update only: a session deleted while this request ran (signed out, or rotated by
            // a parallel request) stays deleted. The cookie is left alone: a parallel rotation
            // may just have set its successor.
            seal_vault(&mut state, cookie.as_deref().unwrap_or_default())?;
            store.save_session(digest, &serde_json::to_string(&state)?, now).await?;
        }
        (_, Some(digest)) => store.touch_session(digest, now).await?,
        _ => {}
    }
    Ok(response)
}
