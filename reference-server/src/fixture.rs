//! Test-only variants of the server (cargo feature `fixtures`, compiled into test builds
//! only): other presentations and deliberately broken services that the conformance suite must
//! pass or fail by the right requirement ID. One build serves them all; the variant is chosen
//! when the server starts (`Config::fixture`).

use std::str::FromStr;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::http::AppState;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fixture {
    /// Pages with none of the suite's `data-*` markup and a session cookie named
    /// `session_id`: the suite recognises them only through a target file's mapping.
    Unmarked,
    /// Broken: asking for the password step before confirming the email is a 500 page.
    PasswordStepServerError,
    /// Broken: confirmation links work for one hour instead of 24.
    OneHourLinks,
    /// Broken: signing up with an address that has an account says so on the page.
    ExistingAddressTold,
}

impl FromStr for Fixture {
    type Err = String;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(match name {
            "unmarked" => Self::Unmarked,
            "password-step-server-error" => Self::PasswordStepServerError,
            "one-hour-links" => Self::OneHourLinks,
            "existing-address-told" => Self::ExistingAddressTold,
            other => return Err(format!("no fixture {other:?}")),
        })
    }
}

impl Fixture {
    /// The policy the variant runs under.
    pub fn policy(self, mut policy: crate::Policy) -> crate::Policy {
        if self == Self::OneHourLinks {
            policy.confirmation_link_lifetime_secs = 3600;
        }
        policy
    }
}

/// The session cookie's name under [`Fixture::Unmarked`].
const UNMARKED_COOKIE: &str = "session_id";

/// Wraps every request and answer in what the variant changes.
pub async fn middleware(
    State((fixture, app)): State<(Fixture, AppState)>,
    request: Request,
    next: Next,
) -> Response {
    match fixture {
        Fixture::Unmarked => unmarked(request, next).await,
        Fixture::PasswordStepServerError => {
            let password_step =
                request.method() == Method::GET && request.uri().path() == "/sign-up/password";
            let response = next.run(request).await;
            if password_step && response.status() == StatusCode::FORBIDDEN {
                return (StatusCode::INTERNAL_SERVER_ERROR, Html("<h1>Internal Server Error</h1>"))
                    .into_response();
            }
            response
        }
        Fixture::OneHourLinks => next.run(request).await,
        Fixture::ExistingAddressTold => {
            if request.method() != Method::POST || request.uri().path() != "/sign-up" {
                return next.run(request).await;
            }
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, crate::http::MAX_BODY_BYTES).await else {
                return StatusCode::PAYLOAD_TOO_LARGE.into_response();
            };
            let email = url::form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "email")
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default();
            let exists = matches!(app.services.store.account_by_email(&email).await, Ok(Some(_)));
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            if exists {
                return Html(
                    "<main class=\"wrap\" id=\"main\" data-page=\"check_email\"><h1>Check your email</h1>\
                     <p>You already have an account. Sign in instead.</p></main>",
                )
                .into_response();
            }
            response
        }
    }
}

/// Renames the session cookie both ways and strips the page contract's markup from pages.
async fn unmarked(mut request: Request, next: Next) -> Response {
    if let Some(cookies) = request.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()) {
        let renamed = cookies
            .replace(&format!("{UNMARKED_COOKIE}="), &format!("{}=", crate::http::session::COOKIE_NAME));
        if let Ok(value) = HeaderValue::from_str(&renamed) {
            request.headers_mut().insert(header::COOKIE, value);
        }
    }
    let response = next.run(request).await;
    let (mut parts, body) = response.into_parts();
    let set_cookies: Vec<HeaderValue> = parts.headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    parts.headers.remove(header::SET_COOKIE);
    for value in set_cookies {
        let renamed = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix(&format!("{}=", crate::http::session::COOKIE_NAME)))
            .and_then(|rest| HeaderValue::from_str(&format!("{UNMARKED_COOKIE}={rest}")).ok())
            .unwrap_or(value);
        parts.headers.append(header::SET_COOKIE, renamed);
    }
    let is_html = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !is_html {
        return Response::from_parts(parts, body);
    }
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let html = String::from_utf8_lossy(&bytes);
    let markup = regex::Regex::new(r#" data-(page|outcome|reason|at)="[^"]*""#).expect("a valid regex");
    let stripped = markup.replace_all(&html, "").into_owned();
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(stripped))
}
