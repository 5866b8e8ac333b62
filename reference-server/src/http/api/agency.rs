//! Agency sign-in for the person, as JSON: following an agency's request, consent, the
//! agencies shared with, and logout from an agency (AG-1..AG-3, PV-3). The agency's own
//! endpoints (token, userinfo, discovery) are in `http::oidc`.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use super::{ApiJson, answer};
use crate::http::AppState;
use crate::http::error::{ApiError, accepted};
use crate::http::oidc::{LogoutParams, end_session_for_agency};
use crate::http::session::Session;
use crate::http::signed_in::{Api, SignedIn};
use crate::service::agency::{AuthorizationParams, AuthorizeError, NextStep};
use crate::service::{Reason, ServiceError};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agency/authorize", get(authorize))
        .route("/agency/continue", get(continue_request))
        .route("/agency/consent", post(consent))
        .route("/agency/logout", get(logout))
        .route("/account/agencies", get(agencies))
        .route("/account/agencies/revoke", post(revoke))
}

type ApiResult = Result<Response, ApiError>;

fn refused(reason: &'static str, message: String) -> ApiError {
    ApiError::Invalid { status: StatusCode::BAD_REQUEST, reason, message }
}

fn step(next: NextStep) -> Response {
    match next {
        NextStep::SignIn => accepted(json!({ "next": "sign_in" })),
        NextStep::Verify => accepted(json!({ "next": "verify_identity" })),
        NextStep::Reactivate => accepted(json!({ "next": "reactivate_identity" })),
        NextStep::Consent { agency, attributes } => {
            accepted(json!({ "next": "consent", "agency": agency, "attributes": attributes }))
        }
        NextStep::Redirect { url } => accepted(json!({ "next": "redirect", "redirect_to": url })),
    }
}

/// Follows an agency's authorization request (the query of its `/openid_connect/authorize`
/// link). `next` is `sign_in`, `consent`, or `redirect` with `redirect_to`: the agency's
/// redirect URI with a `code`, or with an `error` it must be told.
#[utoipa::path(
    get,
    path = "/api/v1/agency/authorize",
    operation_id = "agency_authorize",
    tag = "agency",
    params(AuthorizationParams),
    responses(answer::Answers)
)]
pub(super) async fn authorize(
    State(app): State<AppState>,
    session: Session,
    Query(params): Query<AuthorizationParams>,
) -> ApiResult {
    match app.services.check_authorization(&params) {
        Ok(request) => {
            crate::http::oidc::remember_request(&session, request);
            continue_request(State(app), session).await
        }
        Err(AuthorizeError::NoRedirect { reason, message }) => Err(refused(reason, message)),
        Err(AuthorizeError::Redirect { url, .. }) => Ok(step(NextStep::Redirect { url })),
    }
}

/// After signing in (or creating an account) for an agency: where its request goes now.
#[utoipa::path(
    get,
    path = "/api/v1/agency/continue",
    operation_id = "agency_continue",
    tag = "agency",
    responses(answer::Answers)
)]
pub(super) async fn continue_request(State(app): State<AppState>, session: Session) -> ApiResult {
    let state = session.state();
    let request = state.agency_request.clone().ok_or(ServiceError::Rejected(Reason::NoAgencyRequest))?;
    let key = session.vault().identity_key;
    let next = app.services.next_step(&request, state.account_id, state.signed_in_at(), key).await?;
    if matches!(next, NextStep::Redirect { .. }) {
        session.update(|s| s.agency_request = None);
    }
    Ok(step(next))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Decision {
    /// `true` shares the attributes shown; `false` shares nothing and tells the agency so.
    allow: bool,
}

/// The answer to the consent question (AG-2).
#[utoipa::path(post, path = "/api/v1/agency/consent", operation_id = "agency_consent", tag = "agency", request_body = Decision, responses(answer::Answers))]
pub(super) async fn consent(
    State(app): State<AppState>,
    session: Session,
    ApiJson(body): ApiJson<Decision>,
) -> ApiResult {
    let state = session.state();
    let request = state.agency_request.clone().ok_or(ServiceError::Rejected(Reason::NoAgencyRequest))?;
    let (Some(account_id), Some(at)) = (state.account_id, state.signed_in_at()) else {
        return Err(ServiceError::SignedOut { locked_until: None }.into());
    };
    let key = session.vault().identity_key;
    let url = app.services.decide_consent(&request, account_id, at, body.allow, key).await?;
    session.update(|s| s.agency_request = None);
    Ok(step(NextStep::Redirect { url }))
}

/// The agencies this account shares with, and what each receives.
#[utoipa::path(
    get,
    path = "/api/v1/account/agencies",
    operation_id = "agency_list",
    tag = "agency",
    responses(answer::Answers)
)]
pub(super) async fn agencies(
    State(app): State<AppState>,
    SignedIn(account_id, _): SignedIn<Api>,
) -> ApiResult {
    let agencies = app.services.connected_agencies(account_id).await?;
    Ok(accepted(json!({ "agencies": agencies })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Revoke {
    client_id: String,
}

/// Stops sharing with an agency: its tokens stop working at once, and it must ask again.
#[utoipa::path(post, path = "/api/v1/account/agencies/revoke", operation_id = "agency_revoke", tag = "agency", request_body = Revoke, responses(answer::Answers))]
pub(super) async fn revoke(
    State(app): State<AppState>,
    SignedIn(account_id, _): SignedIn<Api>,
    ApiJson(body): ApiJson<Revoke>,
) -> ApiResult {
    if !app.services.revoke_agency(account_id, &body.client_id).await? {
        return Err(ServiceError::Rejected(Reason::AgencyNotConnected).into());
    }
    Ok(accepted(json!({ "next": "account" })))
}

/// Logout started by an agency: ends the session and answers where the person goes next.
#[utoipa::path(
    get,
    path = "/api/v1/agency/logout",
    operation_id = "agency_logout",
    tag = "agency",
    params(LogoutParams),
    responses(answer::Answers)
)]
pub(super) async fn logout(
    State(app): State<AppState>,
    session: Session,
    Query(params): Query<LogoutParams>,
) -> ApiResult {
    let url = end_session_for_agency(&app, &session, &params)
        .map_err(|(reason, message)| refused(reason, message))?;
    Ok(step(NextStep::Redirect { url }))
}
