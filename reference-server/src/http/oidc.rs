//! The OpenID Connect provider agencies talk to: discovery, keys, the authorization endpoint
//! with its consent page, the token and userinfo endpoints, and logout (AG-1..AG-3, PV-3).

use axum::extract::{FromRequest, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;

use super::AppState;
use super::session::Session;
use super::web::{CONTINUE_PATH, MessagePage, Refusal, redirect, render, render_refused};
use crate::service::ServiceResult;
use crate::service::agency::{
    AUTHORIZE_PATH, AuthorizationParams, AuthorizeError, JWKS_PATH, LOGOUT_PATH, NextStep, OAuthError,
    TOKEN_PATH, TokenRequest, USERINFO_PATH,
};

const CONSENT_PATH: &str = "/openid_connect/consent";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route(JWKS_PATH, get(jwks))
        .route(AUTHORIZE_PATH, get(authorize))
        .route(CONTINUE_PATH, get(continue_request))
        .route(CONSENT_PATH, get(consent_page).post(consent))
        .route(TOKEN_PATH, post(token))
        .route(USERINFO_PATH, get(userinfo).post(userinfo))
        .route(LOGOUT_PATH, get(logout))
}

async fn discovery(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(app.services.discovery())
}

async fn jwks(State(app): State<AppState>) -> Result<Response, super::error::ApiError> {
    let keys = app.services.signing_keys.jwks().await.map_err(crate::service::ServiceError::from)?;
    // Agencies may cache the keys briefly; a rotation keeps the previous key published.
    let mut response = Json(keys).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    Ok(response)
}

/// A request the person cannot be sent back from: said plainly, with no redirect.
pub fn refused_request(reason: &'static str, message: &str) -> Response {
    tracing::info!(reason, "agency request refused without redirect");
    render_refused(
        &Refusal::invalid(StatusCode::BAD_REQUEST, reason, message),
        MessagePage {
            name: "",
            title: "This sign-in request cannot be used",
            message,
            link: Some(("/", "Go to the sign-in service")),
        },
    )
}

async fn authorize(
    State(app): State<AppState>,
    session: Session,
    Query(params): Query<AuthorizationParams>,
) -> Response {
    match app.services.check_authorization(&params) {
        Ok(request) => {
            remember_request(&session, request);
            continue_request(State(app), session).await
        }
        Err(AuthorizeError::NoRedirect { reason, message }) => refused_request(reason, &message),
        Err(AuthorizeError::Redirect { url, .. }) => redirect(&url),
    }
}

/// Keeps an agency's checked request in the session. With `prompt=login`, whoever is signed
/// in here must sign in again: the session starts over, keeping only the request.
pub fn remember_request(session: &Session, request: crate::service::agency::PendingAuthorization) {
    let again = request.prompt_login;
    session.update(|s| {
        if again {
            s.restart();
        }
        s.agency_request = Some(request);
    });
    if again {
        session.rotate();
    }
}

/// Where the waiting request goes now: sign-in, consent, or back to the agency.
async fn continue_request(State(app): State<AppState>, session: Session) -> Response {
    let state = session.state();
    let Some(request) = state.agency_request.clone() else { return redirect("/account") };
    let key = session.vault().identity_key;
    match app.services.next_step(&request, state.account_id, state.signed_in_at(), key).await {
        Ok(NextStep::Consent { .. }) => redirect(CONSENT_PATH),
        other => follow(&session, other),
    }
}

fn follow(session: &Session, step: ServiceResult<NextStep>) -> Response {
    match step {
        Ok(NextStep::SignIn) => redirect("/sign-in"),
        Ok(NextStep::Verify) => redirect("/verify"),
        Ok(NextStep::Reactivate) => redirect("/verify/reactivate"),
        Ok(NextStep::Consent { .. }) => redirect(CONSENT_PATH),
        Ok(NextStep::Redirect { url }) => {
            session.update(|s| s.agency_request = None);
            redirect(&url)
        }
        Err(error) => try_again(error),
    }
}

fn try_again(error: crate::service::ServiceError) -> Response {
    let refused = Refusal::from(error);
    render_refused(
        &refused,
        MessagePage {
            name: "",
            title: "Please try again",
            message: &refused.message,
            link: Some(("/", "Start again")),
        },
    )
}

#[derive(askama::Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    csrf: String,
    agency: String,
    /// Scope and label of each attribute that would be shared.
    attributes: Vec<(&'static str, &'static str)>,
}

async fn consent_page(State(app): State<AppState>, session: Session) -> Response {
    let state = session.state();
    let Some(request) = state.agency_request.clone() else { return redirect("/account") };
    let key = session.vault().identity_key;
    match app.services.next_step(&request, state.account_id, state.signed_in_at(), key).await {
        Ok(NextStep::Consent { agency, attributes }) => render(
            StatusCode::OK,
            ConsentPage {
                csrf: session.csrf_token(),
                agency,
                attributes: attributes.iter().map(|a| (a.scope(), a.label())).collect(),
            },
        ),
        other => follow(&session, other),
    }
}

#[derive(Deserialize)]
struct ConsentForm {
    decision: String,
}

async fn consent(State(app): State<AppState>, session: Session, Form(form): Form<ConsentForm>) -> Response {
    let state = session.state();
    let (Some(request), Some(account_id), Some(at)) =
        (state.agency_request.clone(), state.account_id, state.signed_in_at())
    else {
        return redirect(CONTINUE_PATH);
    };
    let allow = match form.decision.as_str() {
        "allow" => true,
        "deny" => false,
        _ => return (StatusCode::BAD_REQUEST, "decision must be allow or deny").into_response(),
    };
    let key = session.vault().identity_key;
    match app.services.decide_consent(&request, account_id, at, allow, key).await {
        Ok(url) => {
            session.update(|s| s.agency_request = None);
            redirect(&url)
        }
        Err(error) => try_again(error),
    }
}

/// An OAuth error as the token and userinfo endpoints answer it (RFC 6749 section 5.2, RFC
/// 6750 section 3): a JSON body; a failed client or token authentication is 401, our own
/// failure 500, the rest 400. A 401 carries a `WWW-Authenticate` challenge in the scheme the
/// client used (`scheme`), and none when it used no Authorization header.
fn oauth_error(error: OAuthError, scheme: Option<&str>) -> Response {
    let status = match error {
        OAuthError::InvalidClient(_) | OAuthError::InvalidToken(_) => StatusCode::UNAUTHORIZED,
        OAuthError::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        OAuthError::InvalidRequest(_) | OAuthError::InvalidGrant(_) | OAuthError::UnsupportedGrantType(_) => {
            StatusCode::BAD_REQUEST
        }
    };
    let body = serde_json::json!({ "error": error.code(), "error_description": error.to_string() });
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED
        && let Some(scheme) = scheme
        && let Ok(value) = HeaderValue::from_str(&format!("{scheme} error=\"{}\"", error.code()))
    {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// The scheme of the request's Authorization header (`Basic`, `Bearer`, …), if it has one.
fn auth_scheme(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let scheme = value.split_whitespace().next()?;
    scheme.chars().all(|c| c.is_ascii_alphanumeric() || c == '-').then(|| scheme.to_owned())
}

/// The token endpoint. Its body must be a form with each parameter once; anything else is an
/// OAuth `invalid_request` in JSON, as client libraries expect (never axum's plain-text 415/422).
async fn token(State(app): State<AppState>, request: axum::extract::Request) -> Response {
    let scheme = auth_scheme(request.headers());
    let form = match Form::<TokenRequest>::from_request(request, &app).await {
        Ok(Form(form)) => form,
        Err(_) => {
            let error = OAuthError::InvalidRequest(
                "The body must be application/x-www-form-urlencoded, with each parameter at most once."
                    .into(),
            );
            return oauth_error(error, scheme.as_deref());
        }
    };
    match app.services.exchange_code(&form).await {
        Ok(body) => Json(body).into_response(),
        Err(error) => oauth_error(error, scheme.as_deref()),
    }
}

async fn userinfo(State(app): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(str::trim);
    let Some(bearer) = bearer.filter(|b| !b.is_empty()) else {
        return oauth_error(OAuthError::InvalidToken("No bearer token.".into()), Some("Bearer"));
    };
    match app.services.userinfo(bearer).await {
        Ok(claims) => Json(claims).into_response(),
        Err(error) => oauth_error(error, Some("Bearer")),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LogoutParams {
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
    /// Accepted for compatibility; the agency is identified by `client_id`.
    #[allow(dead_code)]
    pub id_token_hint: Option<String>,
}

/// RP-initiated logout, for pages and API alike: ends the session and answers where the
/// person goes, or why nobody is sent anywhere (reason, message).
pub fn end_session_for_agency(
    app: &AppState,
    session: &Session,
    params: &LogoutParams,
) -> Result<String, (&'static str, String)> {
    let url = app
        .services
        .logout_redirect(
            params.client_id.as_deref(),
            params.post_logout_redirect_uri.as_deref(),
            params.state.as_deref(),
        )
        .map_err(|refused| match refused {
            AuthorizeError::NoRedirect { reason, message } => (reason, message),
            AuthorizeError::Redirect { error, description, .. } => (error, description),
        })?;
    session.destroy();
    Ok(url)
}

/// RP-initiated logout: ends the session here, then back to the agency's registered address.
async fn logout(
    State(app): State<AppState>,
    session: Session,
    Query(params): Query<LogoutParams>,
) -> Response {
    match end_session_for_agency(&app, &session, &params) {
        Ok(url) => redirect(&url),
        Err((reason, message)) => refused_request(reason, &message),
    }
}
