//! Server-rendered pages. They work without JavaScript; every form carries a CSRF token.

mod account;
mod in_person;
mod misuse;
mod phone;
mod recovery;
mod signin;
mod signup;
mod verify;

use askama::Template;
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;
use super::session::Session;

pub fn routes(app: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/static/site.css", get(css))
        .route("/static/strength.js", get(strength_js))
        .merge(signup::routes())
        .merge(phone::routes())
        .merge(signin::routes())
        .merge(account::routes())
        .merge(recovery::routes())
        .merge(misuse::routes())
        .merge(verify::routes(app))
        .merge(in_person::routes())
}

pub use crate::http::refusal::{Refusal, clock_time};

pub fn render(status: StatusCode, template: impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

/// Where a waiting agency's request goes on after sign-in (served by `http/oidc.rs`, which
/// builds on these pages; defined here so the pages do not depend on it).
pub const CONTINUE_PATH: &str = "/openid_connect/continue";

/// Where a person goes once signed in: back to a waiting agency's request, or the account.
pub fn after_sign_in(session: &Session) -> Response {
    if session.state().agency_request.is_some() { redirect(CONTINUE_PATH) } else { redirect("/account") }
}

pub fn redirect(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}

#[derive(Template)]
#[template(path = "message.html")]
pub struct MessagePage<'a> {
    /// The page's name in the page contract (`data-page` on `<main>`); empty for refusals,
    /// which carry their outcome instead.
    pub name: &'a str,
    pub title: &'a str,
    pub message: &'a str,
    pub link: Option<(&'a str, &'a str)>,
}

/// The answer to a form whose CSRF token does not match the session's.
pub fn forged() -> Response {
    let refused = Refusal::invalid(StatusCode::FORBIDDEN, "csrf_token_invalid", "");
    render_refused(
        &refused,
        MessagePage {
            name: "",
            title: "Please try again",
            message: "This form has expired or did not come from this site. Go back, reload the page and submit it again.",
            link: Some(("/", "Start again")),
        },
    )
}

/// The field a refusal is about: the only field of a one-field form, or the one its reason
/// names (a wrong current password, a refused new password, phone or email).
fn field_in_error<'a>(reason: Option<&str>, fields: &[Field<'a>]) -> Option<&'a str> {
    let typed: Vec<&Field<'a>> = fields.iter().filter(|f| f.kind != "radio").collect();
    if let [only] = typed.as_slice() {
        return Some(only.name);
    }
    let reason = reason?;
    let wanted = |f: &&Field<'a>| match reason {
        "current_password_wrong" => f.name == "current_password",
        r if r.starts_with("password_") => f.strength,
        "invalid_phone" | "sms_not_supported" | "sms_opted_out" | "phone_unreachable" => f.kind == "tel",
        "invalid_email" | "already_registered" => f.kind == "email",
        _ => false,
    };
    typed.into_iter().find(wanted).map(|f| f.name)
}

/// Renders `template` as the page of `refusal`: its status, and its outcome on `<main>`.
pub fn render_refused(refusal: &Refusal, template: impl Template) -> Response {
    match template.render() {
        Ok(html) => {
            let html = html.replacen(MAIN, &format!("{MAIN}{}", refusal.page_attributes()), 1);
            (refusal.status, Html(html)).into_response()
        }
        Err(error) => {
            tracing::error!(%error, "template failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong on our side.").into_response()
        }
    }
}

/// How `base.html` opens the page's main content (where `render_refused` adds the outcome).
const MAIN: &str = "<main class=\"wrap\" id=\"main\"";

/// A page with an optional form, extra one-button forms and links (most pages are this).
#[derive(Default)]
pub struct Page<'a> {
    /// The page's name in the page contract (`data-page` on `<main>`).
    pub name: &'a str,
    pub title: &'a str,
    pub intro: Vec<String>,
    pub csrf: String,
    pub notice: Option<String>,
    /// Shown at the top (the error summary); the page is then rendered as this refusal.
    pub error: Option<String>,
    /// The field the error is about, where it is repeated.
    pub error_field: Option<&'a str>,
    pub form: Option<PageForm<'a>>,
    pub buttons: Vec<Button<'a>>,
    /// Markup the server built itself (a QR code), placed after the introduction.
    pub extra_html: Option<String>,
    pub links: Vec<(&'a str, &'a str)>,
}

pub struct PageForm<'a> {
    pub action: &'a str,
    pub fields: Vec<Field<'a>>,
    pub hidden: Vec<(&'a str, String)>,
    pub submit: &'a str,
}

impl PageForm<'_> {
    /// A form with a file input is sent as `multipart/form-data`.
    pub fn multipart(&self) -> bool {
        self.fields.iter().any(|f| f.kind == "file")
    }
}

pub struct Button<'a> {
    pub action: &'a str,
    pub submit: &'a str,
    pub hidden: Vec<(&'a str, String)>,
}

pub struct Field<'a> {
    pub name: &'a str,
    pub label: &'a str,
    /// An `<input type>`, or `radio` for a choice among `options`.
    pub kind: &'a str,
    pub autocomplete: &'a str,
    pub value: String,
    pub hint: Option<&'a str>,
    pub numeric: bool,
    pub options: Vec<(&'a str, &'a str)>,
    /// A new password: the strength meter follows it.
    pub strength: bool,
}

impl<'a> Field<'a> {
    pub fn input(name: &'a str, label: &'a str, kind: &'a str, autocomplete: &'a str) -> Self {
        Self {
            name,
            label,
            kind,
            autocomplete,
            value: String::new(),
            hint: None,
            numeric: false,
            options: Vec::new(),
            strength: false,
        }
    }

    /// A new password field with the strength meter under it.
    pub fn new_password(name: &'a str, label: &'a str) -> Self {
        Self { strength: true, ..Self::input(name, label, "password", "new-password") }
    }

    pub fn hint(mut self, hint: &'a str) -> Self {
        self.hint = Some(hint);
        self
    }

    pub fn value(mut self, value: &str) -> Self {
        self.value = value.to_owned();
        self
    }

    /// A one-time code: numeric keyboard, and the browser may fill it from a text message.
    pub fn code(name: &'a str, label: &'a str) -> Self {
        Self { numeric: true, ..Self::input(name, label, "text", "one-time-code") }
    }

    pub fn delivery() -> Self {
        Self {
            options: vec![("sms", "Text message (SMS)"), ("voice", "Phone call")],
            ..Self::input("delivery", "How should we send your security code?", "radio", "off")
        }
    }
}

#[derive(Template)]
#[template(path = "form.html")]
pub struct FormTemplate<'a> {
    pub page: Page<'a>,
}

/// The answer to an emailed link that cannot be used (expired, used, replaced, unknown),
/// pointing to where a new one can be had.
pub fn link_refused(error: crate::service::ServiceError, retry: (&str, &str)) -> Response {
    let refused = Refusal::from(error);
    let title = if refused.status == StatusCode::UNPROCESSABLE_ENTITY {
        "This link does not work"
    } else {
        "Please try again"
    };
    render_refused(&refused, MessagePage { name: "", title, message: &refused.message, link: Some(retry) })
}

/// The page an emailed link opens: the link is checked but not used, so a mail scanner that
/// fetches links cannot use it up; the person's button press posts `token` to `action`.
pub fn confirm_link_page(
    session: &Session,
    name: &'static str,
    title: &'static str,
    action: &'static str,
    token: &str,
) -> Response {
    page(
        StatusCode::OK,
        Page {
            name,
            title,
            intro: vec!["Press the button to continue.".into()],
            csrf: session.csrf_token(),
            form: Some(PageForm {
                action,
                fields: vec![],
                hidden: vec![("token", token.to_owned())],
                submit: "Continue",
            }),
            ..Page::default()
        },
    )
}

/// Renders a [`Page`]; with an error, under the status of that error.
pub fn page(status: StatusCode, page: Page<'_>) -> Response {
    render(status, FormTemplate { page })
}

/// Renders `page` with the words of `error` (ending the session when it signs out).
pub fn page_with_error(session: &Session, error: crate::service::ServiceError, mut p: Page<'_>) -> Response {
    let refused = Refusal::from(error);
    if refused.outcome == "signed_out" {
        session.destroy();
        return render_refused(
            &refused,
            MessagePage {
                name: "",
                title: "You have been signed out",
                message: &refused.message,
                link: Some(("/sign-in", "Sign in")),
            },
        );
    }
    p.error = Some(refused.message.clone());
    p.error_field = p.form.as_ref().and_then(|form| field_in_error(refused.reason, &form.fields));
    render_refused(&refused, FormTemplate { page: p })
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home;

async fn home(_session: Session) -> Response {
    render(StatusCode::OK, Home)
}

async fn strength_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../../static/strength.js"),
    )
        .into_response()
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../../static/site.css"),
    )
        .into_response()
}
