//! Cross-site request forgery protection for every form post, in one place: a form's `csrf`
//! field must equal its session's token, or the post never reaches a handler. (The JSON API
//! needs no token: it only accepts `application/json`, which other sites cannot send without
//! a CORS preflight this server never grants.)

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::MAX_BODY_BYTES;
use super::session::Session;
use super::web::forged;

pub async fn middleware(request: Request, next: Next) -> Response {
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    // The token endpoint is called by agencies' servers, which have no session: they prove
    // who they are with a signed client assertion or PKCE instead.
    let for_agencies = request.uri().path() == crate::service::agency::TOKEN_PATH;
    if request.method() != Method::POST || !is_form || for_agencies {
        return next.run(request).await;
    }
    let Some(session) = request.extensions().get::<Session>().cloned() else {
        return forged();
    };
    let (parts, body) = request.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else { return forged() };
    let submitted =
        url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
    if !submitted.is_some_and(|token| session.csrf_matches(&token)) {
        return forged();
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}
