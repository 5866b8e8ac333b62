//! HTTP: web pages, the JSON API (`/api/v1`), and the conformance hooks.

pub mod api;
pub mod client;
pub mod csrf;
pub mod error;
#[cfg(feature = "fixtures")]
mod fixture;
pub mod hooks;
pub mod identity;
pub mod oidc;
pub mod reauth;
pub mod refusal;
pub mod serve;
pub mod session;
pub mod signed_in;
pub mod web;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, header};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::service::Services;

/// Largest request body accepted (forms and JSON are small).
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub services: Arc<Services>,
}

/// The pages' content security policy: nothing from elsewhere, no framing, forms post here.
/// While an agency's request waits, forms may also lead to the agency's address (`agency`,
/// an origin): browsers apply `form-action` to the redirects a form submission causes.
pub fn content_security_policy(agency: Option<&str>) -> HeaderValue {
    let form_action = agency.map(|origin| format!("'self' {origin}")).unwrap_or_else(|| "'self'".into());
    HeaderValue::from_str(&format!(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
         form-action {form_action}; base-uri 'none'"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("default-src 'self'; form-action 'self'"))
}

/// An address that leads nowhere: for the JSON API, its own refusal; for a person, a page
/// that says so and leads back (an empty answer is no page a screen reader can announce).
async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    let message = "There is nothing at this address. Check it, or start again from the home page.";
    if uri.path().starts_with("/api/") {
        let answer = serde_json::json!({ "outcome": "rejected", "reason": "not_found", "message": message });
        return (axum::http::StatusCode::NOT_FOUND, axum::Json(answer)).into_response();
    }
    web::render(
        axum::http::StatusCode::NOT_FOUND,
        web::MessagePage {
            name: "",
            title: "Page not found",
            message,
            link: Some(("/", "Go to the home page")),
        },
    )
}

pub fn router(state: AppState) -> Router {
    let mut app = Router::new()
        .merge(web::routes(&state))
        .merge(oidc::routes())
        .nest("/api/v1", api::routes(&state))
        .route("/healthz", get(|| async { "ok" }))
        .fallback(not_found);
    if state.services.config.conformance_hooks {
        if state.services.config.conformance_hook_token.is_none() {
            tracing::warn!(
                "CONFORMANCE HOOKS ARE MOUNTED at /__conformance WITHOUT A TOKEN: anyone who reaches this address can \
                 move the server's clock. Never use this in production."
            );
        } else {
            tracing::warn!(
                "conformance hooks are mounted at /__conformance (token required); never in production"
            );
        }
        app = app.nest(hooks::PREFIX, hooks::routes(state.clone()));
    }
    let header = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    // Layers run bottom-up: the session is loaded before the CSRF check reads it.
    // Over https, browsers are told to come back only over https (a year, subdomains too).
    if state.services.public_url.starts_with("https://") {
        app = app.layer(header(header::STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains"));
    }
    let app = app
        .layer(axum::middleware::from_fn(csrf::middleware))
        .layer(axum::middleware::from_fn_with_state(state.clone(), session::middleware))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(SetResponseHeaderLayer::if_not_present(header::CONTENT_SECURITY_POLICY, content_security_policy(None)))
        .layer(header(header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .layer(header(header::REFERRER_POLICY, "no-referrer"))
        .layer(header(header::X_FRAME_OPTIONS, "DENY"))
        .layer(header(header::CACHE_CONTROL, "no-store"))
        // Spans record the path only: query strings carry link tokens, which must never be logged.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
        }));
    let app = if state.services.clock.is_manual() {
        app.layer(axum::middleware::from_fn_with_state(state.clone(), hooks::follow_shared_clock))
    } else {
        app
    };
    #[cfg(feature = "fixtures")]
    if let Some(fixture) = state.services.config.fixture {
        // Around the whole router, so that a variant can change a request before routing.
        let inner = app.with_state(state.clone());
        return Router::new()
            .fallback_service(inner)
            .layer(axum::middleware::from_fn_with_state((fixture, state), fixture::middleware));
    }
    app.with_state(state)
}
