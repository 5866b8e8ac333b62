//! What each test-only variant of the server ([`Fixture`]) changes, as one layer around the
//! whole router (so that it can change a request before routing).

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};

use super::AppState;
use crate::fixture::Fixture;

/// What [`Fixture::InaccessiblePages`] adds to the sign-up page, outside its form.
const INACCESSIBLE: &str = r##"<img id="fixture-logo" src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==" width="40" height="40">
<p id="fixture-faint" style="color:#d8d8d8;background:#ffffff">Read our terms before you start.</p>
<input id="fixture-unlabelled" type="text">
<div id="fixture-wide" style="width:1000px;min-width:1000px">A banner as wide as a desktop screen</div>
<style>@media (min-width: 600px) and (max-width: 700px) { #fixture-tablet { width: 1100px; } }</style>
<div id="fixture-tablet">A notice laid out for a tablet</div>
<p id="fixture-cut" style="width:10em;height:1.3em;overflow:hidden">Your session ends after fifteen minutes without activity.</p>
</main>"##;

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
        Fixture::SecondPresentation => second::middleware(request, next).await,
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
        Fixture::UnknownResetAddressTold | Fixture::UnknownSignInAddressTold => {
            let told = match fixture {
                Fixture::UnknownResetAddressTold => "/api/v1/password/forgot",
                _ => "/api/v1/sign-in",
            };
            if request.method() != Method::POST || request.uri().path() != told {
                return next.run(request).await;
            }
            let (request, has_account) = match with_account_named(&app, request).await {
                Ok(read) => read,
                Err(refused) => return refused,
            };
            let mut response = next.run(request).await;
            if has_account == Some(false) {
                *response.status_mut() = StatusCode::NOT_FOUND;
            }
            response
        }
        Fixture::SignOutOnlyClearsCookie => {
            if request.method() != Method::POST || request.uri().path() != "/api/v1/sign-out" {
                return next.run(request).await;
            }
            let clear =
                format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0", crate::http::session::COOKIE_NAME);
            (
                [(header::SET_COOKIE, clear), (header::CONTENT_TYPE, "application/json".to_owned())],
                r#"{"outcome":"accepted","next":"sign_in"}"#,
            )
                .into_response()
        }
        Fixture::PasswordsCutAt72Bytes => cut_passwords(request, next).await,
        Fixture::ConfirmationEmailsPerSession => emails_per_session(&app, request, next).await,
        Fixture::MisuseReportsNotKept => {
            if request.method() != Method::POST || request.uri().path() != "/api/v1/misuse-reports" {
                return next.run(request).await;
            }
            let reference = crate::rules::tokens::new_reference();
            crate::http::error::accepted(serde_json::json!({ "reference": reference, "next": "done" }))
        }
        Fixture::UnreachableNumbersAccepted => {
            let phone_step = request.method() == Method::POST
                && matches!(request.uri().path(), "/api/v1/sign-up/phone" | "/api/v1/sign-up/phone/resend");
            let response = next.run(request).await;
            if !phone_step || response.status() != StatusCode::UNPROCESSABLE_ENTITY {
                return response;
            }
            let (parts, body) = response.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            if serde_json::from_slice::<serde_json::Value>(&bytes)
                .is_ok_and(|b| b["reason"] == "phone_unreachable")
            {
                return crate::http::error::accepted(serde_json::json!({ "next": "enter_code" }));
            }
            Response::from_parts(parts, Body::from(bytes))
        }
        Fixture::PasswordEchoed | Fixture::WeakPasswordsRefused => {
            if request.method() != Method::POST || request.uri().path() != "/api/v1/sign-up/password" {
                return next.run(request).await;
            }
            let (parts, bytes) = match read_body(request).await {
                Ok(read) => read,
                Err(refused) => return refused,
            };
            let password = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|b| b["password"].as_str().map(str::to_owned))
                .unwrap_or_default();
            if fixture == Fixture::WeakPasswordsRefused
                && crate::rules::password::strength(&password, &[]).score <= 2
            {
                return crate::http::error::ApiError::from(crate::service::ServiceError::Rejected(
                    crate::service::Reason::PasswordCommon,
                ))
                .into_response();
            }
            let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
            if fixture != Fixture::PasswordEchoed || !response.status().is_success() {
                return response;
            }
            // The answer as it was (its cookies too), with the password added.
            let (mut parts, body) = response.into_parts();
            let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let mut answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            answer["password"] = serde_json::Value::String(password);
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(answer.to_string()))
        }
        Fixture::DocumentsNotChecked | Fixture::VendorResultsShown => {
            if request.method() != Method::POST || request.uri().path() != "/api/v1/verification/documents" {
                return next.run(request).await;
            }
            let response = next.run(request).await;
            let (mut parts, body) = response.into_parts();
            let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            };
            let mut answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let refused_document = answer["reason"]
                .as_str()
                .is_some_and(|r| r.starts_with("document_") || r == "selfie_mismatch");
            if fixture == Fixture::DocumentsNotChecked && refused_document {
                return crate::http::error::accepted(serde_json::json!({ "next": "enter_ssn" }));
            }
            if fixture == Fixture::VendorResultsShown && parts.status.is_success() {
                answer["checks"] =
                    serde_json::json!({ "DocAuthResult": "Passed", "FaceMatchResult": "Pass" });
            }
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(answer.to_string()))
        }
        // Broken in the services (`service::broken!`), not in what crosses the wire.
        Fixture::ResetKeepsIdentity
        | Fixture::PasswordChangeLosesIdentity
        | Fixture::CodesWorkTwice
        | Fixture::SessionKeptAtSignIn
        | Fixture::OneSubjectForAllAgencies
        | Fixture::PersonalKeyKept
        | Fixture::NoKeyAfterReset
        | Fixture::NewsletterAfterAWeek
        | Fixture::InPersonNeverExpires
        | Fixture::CodeRequestsCountedPerInstance
        | Fixture::OlderCodesKept
        | Fixture::CountedCodes
        | Fixture::PersonalKeyRefusedOnceACodeIsSent
        | Fixture::NewEmailTakenAtRequest
        | Fixture::EmailChangeUnguarded
        | Fixture::PhoneChangeUnguarded
        | Fixture::AccountUsableWithoutPhone
        | Fixture::PasswordAloneOpensAccount
        | Fixture::AnySignUpCodeConfirms
        | Fixture::SignInVoiceOnlyForLandlines
        | Fixture::FirstSignUpNumberSticks
        | Fixture::NewPhoneTakenAtRequest
        | Fixture::AuthenticatorCodesReusable
        | Fixture::LandlinesRefused
        | Fixture::OneAccountPerIdentity
        | Fixture::PersonalKeyUseUntold
        | Fixture::PkceVerifierNotCompared
        | Fixture::PkceDemandedOfEveryAgency
        | Fixture::RetryAtFromLatestRequest
        | Fixture::OneReferenceForAllReports
        | Fixture::ShortAuthenticatorSecrets
        | Fixture::OneAuthenticatorSecret => next.run(request).await,
        Fixture::FocusHidden => {
            let hide =
                "\n*:focus, *:focus-visible { outline: none !important; box-shadow: none !important; }\n";
            appended(request, next, "/static/site.css", hide).await
        }
        Fixture::KeyboardTrap => {
            let trap = "\n;document.addEventListener('keydown', function (e) {\n\
                 var f = document.activeElement;\n\
                 if (e.key === 'Tab' && f && f.name === 'email' && location.pathname === '/sign-up') { e.preventDefault(); }\n\
                 }, true);\n";
            appended(request, next, "/static/strength.js", trap).await
        }
        Fixture::InaccessiblePages => {
            if request.method() != Method::GET || request.uri().path() != "/sign-up" {
                return next.run(request).await;
            }
            let mut response =
                rewrite_html(next.run(request).await, |html| html.replacen("</main>", INACCESSIBLE, 1)).await;
            // The faults need inline styles, which the service's policy forbids.
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(
                    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
                ),
            );
            response
        }
        Fixture::DeclineTakenAsConsent => {
            if request.method() != Method::POST || request.uri().path() != "/api/v1/agency/consent" {
                return next.run(request).await;
            }
            with_json_body(request, next, |decision| {
                if decision["allow"] == false {
                    decision["allow"] = serde_json::Value::Bool(true);
                }
            })
            .await
        }
        Fixture::ExistingAddressTold => {
            if request.method() != Method::POST || request.uri().path() != "/sign-up" {
                return next.run(request).await;
            }
            let (request, has_account) = match with_account_named(&app, request).await {
                Ok(read) => read,
                Err(refused) => return refused,
            };
            let response = next.run(request).await;
            if has_account == Some(true) {
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

/// The static file at `path` with `extra` appended (other requests pass untouched).
async fn appended(request: Request, next: Next, path: &str, extra: &str) -> Response {
    if request.uri().path() != path {
        return next.run(request).await;
    }
    let (mut parts, body) = next.run(request).await.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.remove(header::ETAG);
    Response::from_parts(parts, Body::from(String::from_utf8_lossy(&bytes).into_owned() + extra))
}

/// Confirmation emails sent, by session cookie, for [`Fixture::ConfirmationEmailsPerSession`].
static EMAILS_BY_SESSION: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<String, Vec<time::OffsetDateTime>>>,
> = std::sync::LazyLock::new(Default::default);

/// Sign-up emails through the API counted per session (the policy's limit and window) before
/// the real, per-address limit is reached.
async fn emails_per_session(app: &AppState, request: Request, next: Next) -> Response {
    let path = request.uri().path();
    let counted =
        request.method() == Method::POST && (path == "/api/v1/sign-up" || path == "/api/v1/sign-up/resend");
    if !counted {
        return next.run(request).await;
    }
    let named = format!("{}=", crate::http::session::COOKIE_NAME);
    let session_in = |value: &HeaderValue| {
        let value = value.to_str().ok()?;
        value.split(';').find_map(|c| c.trim().strip_prefix(named.as_str())).map(str::to_owned)
    };
    let sent = request.headers().get(header::COOKIE).and_then(session_in);
    let (now, p) = (app.services.clock.now(), &app.services.policy);
    let window = crate::policy::secs(p.confirmation_email_window_secs);
    let earlier = sent.as_ref().and_then(|s| EMAILS_BY_SESSION.lock().expect("lock").get(s).cloned());
    let limit = p.confirmation_email_limit;
    if let Err(retry_at) = crate::rules::throttle::admit(&earlier.unwrap_or_default(), now, limit, window) {
        return crate::http::error::ApiError::from(crate::service::rate_limited(retry_at, now))
            .into_response();
    }
    let response = next.run(request).await;
    // A first request has no session yet: it is counted under the one its answer starts.
    let session = sent.or_else(|| response.headers().get_all(header::SET_COOKIE).iter().find_map(session_in));
    if let (true, Some(session)) = (response.status().is_success(), session) {
        EMAILS_BY_SESSION.lock().expect("lock").entry(session).or_default().push(now);
    }
    response
}

/// The request's body, read whole.
async fn read_body(request: Request) -> Result<(axum::http::request::Parts, axum::body::Bytes), Response> {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, crate::http::MAX_BODY_BYTES).await {
        Ok(bytes) => Ok((parts, bytes)),
        Err(_) => Err(StatusCode::PAYLOAD_TOO_LARGE.into_response()),
    }
}

/// The request as it came, and whether the `email` its form or JSON body names has an
/// account (`None`: it names no valid address).
async fn with_account_named(app: &AppState, request: Request) -> Result<(Request, Option<bool>), Response> {
    let (parts, bytes) = read_body(request).await?;
    let named = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(json) => json.get("email").and_then(|e| e.as_str()).map(str::to_owned),
        Err(_) => {
            url::form_urlencoded::parse(&bytes).find(|(k, _)| k == "email").map(|(_, v)| v.into_owned())
        }
    };
    let has_account = match named.and_then(|e| crate::domain::Email::parse(&e).ok()) {
        Some(email) => Some(matches!(app.services.store.account_by_email(&email).await, Ok(Some(_)))),
        None => None,
    };
    Ok((Request::from_parts(parts, Body::from(bytes)), has_account))
}

/// Cuts every password field of a JSON API request to its first 72 bytes (on a character
/// boundary), where it is set and where it is checked alike.
async fn cut_passwords(request: Request, next: Next) -> Response {
    if request.method() != Method::POST || !request.uri().path().starts_with("/api/v1/") {
        return next.run(request).await;
    }
    with_json_body(request, next, |fields| {
        for name in ["password", "current_password", "new_password"] {
            if let Some(serde_json::Value::String(password)) = fields.get_mut(name) {
                let mut end = password.len().min(72);
                while !password.is_char_boundary(end) {
                    end -= 1;
                }
                password.truncate(end);
            }
        }
    })
    .await
}

/// Passes the request on with its JSON object body changed by `change` (other bodies as
/// they are).
async fn with_json_body(
    request: Request,
    next: Next,
    change: impl FnOnce(&mut serde_json::Value),
) -> Response {
    let (mut parts, bytes) = match read_body(request).await {
        Ok(read) => read,
        Err(refused) => return refused,
    };
    parts.headers.remove(header::CONTENT_LENGTH);
    let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(mut body) if body.is_object() => {
            change(&mut body);
            serde_json::to_vec(&body).map(axum::body::Bytes::from).unwrap_or(bytes)
        }
        _ => bytes,
    };
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

/// Renames the session cookie both ways and strips the page contract's markup from pages.
async fn unmarked(mut request: Request, next: Next) -> Response {
    rename_cookie_in(&mut request, UNMARKED_COOKIE);
    let response = next.run(request).await;
    rewrite_html(rename_cookie_out(response, UNMARKED_COOKIE), strip_markup).await
}

/// The session cookie, named `name` by the browser, as the server knows it.
fn rename_cookie_in(request: &mut Request, name: &str) {
    if let Some(cookies) = request.headers().get(header::COOKIE).and_then(|v| v.to_str().ok()) {
        let renamed =
            cookies.replace(&format!("{name}="), &format!("{}=", crate::http::session::COOKIE_NAME));
        if let Ok(value) = HeaderValue::from_str(&renamed) {
            request.headers_mut().insert(header::COOKIE, value);
        }
    }
}

/// The server's session cookie, named `name` for the browser.
fn rename_cookie_out(response: Response, name: &str) -> Response {
    let (mut parts, body) = response.into_parts();
    let set_cookies: Vec<HeaderValue> = parts.headers.get_all(header::SET_COOKIE).iter().cloned().collect();
    parts.headers.remove(header::SET_COOKIE);
    for value in set_cookies {
        let renamed = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix(&format!("{}=", crate::http::session::COOKIE_NAME)))
            .and_then(|rest| HeaderValue::from_str(&format!("{name}={rest}")).ok())
            .unwrap_or(value);
        parts.headers.append(header::SET_COOKIE, renamed);
    }
    Response::from_parts(parts, body)
}

/// The page contract's markup removed.
fn strip_markup(html: String) -> String {
    let markup = regex::Regex::new(r#" data-(page|outcome|reason|at)="[^"]*""#).expect("a valid regex");
    markup.replace_all(&html, "").into_owned()
}

/// An HTML answer's text passed through `change`; other answers as they are.
async fn rewrite_html(response: Response, change: impl FnOnce(String) -> String) -> Response {
    let (mut parts, body) = response.into_parts();
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
    let html = change(String::from_utf8_lossy(&bytes).into_owned());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(html))
}

/// The second presentation: the reference pages under other paths and words, with the
/// inputs many real services add.
mod second {
    use super::*;

    /// The server's path prefixes → this presentation's.
    const PATHS: [(&str, &str); 5] = [
        ("/sign-up", "/register"),
        ("/sign-in", "/login"),
        ("/sign-out", "/logout"),
        ("/account", "/profile"),
        ("/password", "/recover"),
    ];

    /// The reference pages' words → this presentation's (whole element texts).
    const WORDS: [(&str, &str); 8] = [
        (">Email address</label>", ">Email</label>"),
        ("<dt>Email address</dt>", "<dt>Email</dt>"),
        (">Submit</button>", ">Next</button>"),
        (">Security code</label>", ">One-time code</label>"),
        (">Sign in</button>", ">Log in</button>"),
        ("<h1>Sign in</h1>", "<h1>Log in</h1>"),
        (">Send code</button>", ">Text or call me</button>"),
        ("<h1>Create an account</h1>", "<h1>Register</h1>"),
    ];

    const COOKIE: &str = "SESSION";

    const TERMS: &str = r#"<div class="field"><input type="checkbox" id="terms" name="terms" value="yes"> <label for="terms">I accept the terms of use</label></div>"#;
    const CONFIRM: &str = r#"<div class="field"><label for="confirm_password">Confirm password</label><input id="confirm_password" name="confirm_password" type="password" autocomplete="new-password"></div>"#;

    fn to_server(path: &str) -> Option<String> {
        PATHS.iter().find_map(|(server, shown)| {
            let rest = path.strip_prefix(shown)?;
            (rest.is_empty() || rest.starts_with('/')).then(|| format!("{server}{rest}"))
        })
    }

    fn to_shown(path: &str) -> String {
        PATHS
            .iter()
            .find_map(|(server, shown)| {
                let rest = path.strip_prefix(server)?;
                (rest.is_empty() || rest.starts_with(['/', '?'])).then(|| format!("{shown}{rest}"))
            })
            .unwrap_or_else(|| path.to_owned())
    }

    fn page(status: StatusCode, title: &str, message: &str) -> Response {
        (status, Html(format!("<main><h1>{title}</h1><p role=\"alert\">{message}</p></main>")))
            .into_response()
    }

    pub async fn middleware(mut request: Request, next: Next) -> Response {
        // This presentation's paths, and the server's own (emailed links), both work.
        if let Some(path) = to_server(request.uri().path()) {
            let query = request.uri().query().map(|q| format!("?{q}")).unwrap_or_default();
            if let Ok(uri) = format!("{path}{query}").parse() {
                *request.uri_mut() = uri;
            }
        }
        rename_cookie_in(&mut request, COOKIE);
        let path = request.uri().path().to_owned();
        if request.method() == Method::POST && (path == "/sign-up" || path == "/sign-up/password") {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, crate::http::MAX_BODY_BYTES).await else {
                return StatusCode::PAYLOAD_TOO_LARGE.into_response();
            };
            let field = |name: &str| {
                url::form_urlencoded::parse(&bytes).find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
            };
            if path == "/sign-up" && field("terms").as_deref() != Some("yes") {
                return page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Register",
                    "Accept the terms of use to continue.",
                );
            }
            if path == "/sign-up/password" && field("confirm_password") != field("password") {
                return page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "Create a strong password",
                    "The passwords do not match.",
                );
            }
            request = Request::from_parts(parts, Body::from(bytes));
        }
        let mut response = rename_cookie_out(next.run(request).await, COOKIE);
        if let Some(shown) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|location| HeaderValue::from_str(&to_shown(location)).ok())
        {
            response.headers_mut().insert(header::LOCATION, shown);
        }
        rewrite_html(response, present).await
    }

    /// A page as this presentation shows it.
    fn present(html: String) -> String {
        let mut html = strip_markup(html);
        html = html.replace(
            r#"<form method="post" action="/sign-up" novalidate>"#,
            &format!(r#"<form method="post" action="/sign-up" novalidate>{TERMS}"#),
        );
        if html.contains(r#"action="/sign-up/password""#) {
            html = html.replacen(
                r#"<button type="submit">Continue</button>"#,
                &format!(r#"{CONFIRM}<button type="submit">Continue</button>"#),
                1,
            );
        }
        for (server, shown) in PATHS {
            for attribute in ["href", "action"] {
                html =
                    html.replace(&format!(r#"{attribute}="{server}"#), &format!(r#"{attribute}="{shown}"#));
            }
        }
        for (server, shown) in WORDS {
            html = html.replace(server, shown);
        }
        // What scenarios read, in other markup: the personal key whole, other ids.
        let key = regex::Regex::new(r#"<p class="personal-key" aria-label="Personal key">(.*?)</p>"#)
            .expect("a regex");
        html = key
            .replace(&html, |groups: &regex::Captures<'_>| {
                let whole =
                    groups[1].replace("</span><span>", "-").replace("<span>", "").replace("</span>", "");
                format!(r#"<p>Your personal key: <code id="recovery-code">{whole}</code></p>"#)
            })
            .into_owned();
        let scopes = regex::Regex::new(r#" data-attribute="[^"]*""#).expect("a regex");
        html = scopes.replace_all(&html, "").into_owned();
        html.replace(r#"id="authenticator-secret""#, r#"id="totp-secret""#)
            .replace(r#"id="agency-name""#, r#"id="requesting-agency""#)
    }
}
