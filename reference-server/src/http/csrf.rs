//! Cross-site request forgery protection for every post to the pages, in one place: it must be
//! a form whose `csrf` field equals its session's token, whatever content type it claims, or it
//! never reaches a handler. (The JSON API under `/api/` needs no token: it only accepts
//! `application/json`, which other sites cannot send without a CORS preflight this server never
//! grants; the token endpoint is called by agencies' servers, which have no session, and prove
//! who they are with a client assertion or PKCE. The conformance hooks take JSON too.)

use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::Response;

use super::MAX_BODY_BYTES;
use super::session::Session;
use super::web::forged;

/// The pages that take `multipart/form-data` (and check its `csrf` field themselves).
pub const UPLOAD_PATHS: &[&str] = &["/verify/documents"];

pub async fn middleware(request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let to_pages = !path.starts_with("/api/") && !path.starts_with(super::hooks::PREFIX);
    if request.method() != Method::POST || !to_pages {
        return next.run(request).await;
    }
    let content_type =
        request.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    // An upload's body is too large to read twice: its handler checks the `csrf` field itself
    // (`http::identity::read_images` returns it), before anything it sent is used.
    if content_type.starts_with("multipart/form-data") && UPLOAD_PATHS.contains(&path) {
        return next.run(request).await;
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return forged();
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
