//! The account page and its changes, each guarded by the current password.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::phone::code_page;
use super::{Field, Page, PageForm, page, page_with_error, redirect, render};
use crate::http::AppState;
use crate::http::reauth::reauthenticate;
use crate::http::session::Session;
use crate::http::signed_in::{Pages, SignedIn};
use crate::service::mfa::Delivery;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account))
        .route("/account/password", get(password_form).post(change_password))
        .route("/account/email", get(email_form).post(change_email))
        .route("/account/phone", get(phone_form).post(change_phone))
        .route("/account/phone/code", get(phone_code_form).post(confirm_phone))
        .route("/account/authenticator", get(app_start_form).post(start_app))
        .route("/account/authenticator/confirm", axum::routing::post(confirm_app))
        .route("/account/agencies/revoke", axum::routing::post(revoke_agency))
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    csrf: String,
    email: String,
    phone: String,
    has_app: bool,
    /// Agencies shared with: name, client id, what they receive.
    agencies: Vec<(String, String, String)>,
    notice: Option<String>,
    /// `unverified`, `verified`, `needs_personal_key`, `in_person_pending`, `in_person_failed`
    /// or `in_person_expired`, and how to say it.
    verification: (&'static str, String),
    /// While enrolled at a Post Office: the code to bring.
    enrollment_code: Option<String>,
}

async fn account(
    State(app): State<AppState>,
    session: Session,
    SignedIn(account_id, _): SignedIn<Pages>,
) -> Response {
    let Ok(Some(account)) = app.services.store.account(account_id).await else { return redirect("/sign-in") };
    let has_app = matches!(app.services.store.authenticator(account_id).await, Ok(Some(_)));
    let agencies = app.services.connected_agencies(account_id).await.unwrap_or_default();
    let agencies = agencies
        .into_iter()
        .map(|a| {
            let shared: Vec<&str> = a.attributes.iter().map(|x| x.label()).collect();
            let shared = if shared.is_empty() { "An identifier only".to_owned() } else { shared.join(", ") };
            (a.name, a.client_id, shared)
        })
        .collect();
    use crate::service::identity::VerificationStatus;
    let status = app.services.verification_status(account_id).await.unwrap_or(VerificationStatus::Unverified);
    let words = match &status {
        VerificationStatus::Unverified => "Not verified".to_owned(),
        VerificationStatus::Verified { at } => format!("Verified on {}", super::clock_time(*at)),
        VerificationStatus::NeedsPersonalKey => "Locked since your password was reset".to_owned(),
        VerificationStatus::InPersonPending(p) => format!(
            "Waiting for your visit to the {} Post Office, {}, {}: bring your ID and your enrollment code by {}",
            p.post_office.name,
            p.post_office.street_address,
            p.post_office.city,
            super::clock_time(p.deadline)
        ),
        VerificationStatus::InPersonFailed { at } => {
            format!("Not verified: the Post Office could not verify you ({})", super::clock_time(*at))
        }
        VerificationStatus::InPersonExpired { at } => {
            format!("Not verified: the Post Office visit deadline passed ({})", super::clock_time(*at))
        }
    };
    render(
        StatusCode::OK,
        AccountPage {
            csrf: session.csrf_token(),
            email: account.email.to_string(),
            phone: account.phone.map(|p| p.to_string()).unwrap_or_default(),
            has_app,
            agencies,
            notice: None,
            enrollment_code: match &status {
                VerificationStatus::InPersonPending(p) => Some(p.enrollment_code.clone()),
                _ => None,
            },
            verification: (status.code(), words),
        },
    )
}

#[derive(Deserialize)]
struct RevokeForm {
    client_id: String,
}

/// Stops sharing with an agency (its tokens stop working; it must ask again).
async fn revoke_agency(
    State(app): State<AppState>,
    session: Session,
    SignedIn(account_id, _): SignedIn<Pages>,
    Form(form): Form<RevokeForm>,
) -> Response {
    match app.services.revoke_agency(account_id, &form.client_id).await {
        Ok(_) => redirect("/account"),
        Err(error) => page_with_error(&session, error, Page { title: "Your account", ..Page::default() }),
    }
}

fn current_password_field<'a>() -> Field<'a> {
    Field::input("current_password", "Your current password", "password", "current-password")
}

fn edit_page<'a>(
    csrf: String,
    title: &'a str,
    action: &'a str,
    mut fields: Vec<Field<'a>>,
    submit: &'a str,
) -> Page<'a> {
    fields.insert(0, current_password_field());
    Page {
        title,
        intro: vec!["For your security, enter your current password first.".into()],
        csrf,
        form: Some(PageForm { action, fields, hidden: vec![], submit }),
        links: vec![("/account", "Back to your account")],
        ..Page::default()
    }
}

fn password_page<'a>(csrf: String) -> Page<'a> {
    let new = Field::new_password("new_password", "New password")
        .hint("At least 8 characters. Several words with spaces work well.");
    Page {
        name: "change_password",
        ..edit_page(csrf, "Change your password", "/account/password", vec![new], "Change password")
    }
}

async fn password_form(session: Session, _: SignedIn<Pages>) -> Response {
    page(StatusCode::OK, password_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct PasswordChange {
    current_password: String,
    new_password: String,
}

async fn change_password(
    State(app): State<AppState>,
    session: Session,
    Form(form): Form<PasswordChange>,
) -> Response {
    let result = match reauthenticate(&app, &session, &form.current_password).await {
        Ok(account_id) => {
            app.services.change_password(account_id, &form.current_password, &form.new_password).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => done(&session, "change_done", "Your password was changed."),
        Err(error) => page_with_error(&session, error, password_page(session.csrf_token())),
    }
}

fn done(session: &Session, name: &'static str, message: &str) -> Response {
    page(
        StatusCode::OK,
        Page {
            name,
            title: "Done",
            notice: Some(message.to_owned()),
            csrf: session.csrf_token(),
            links: vec![("/account", "Back to your account")],
            ..Page::default()
        },
    )
}

fn email_page<'a>(csrf: String) -> Page<'a> {
    let new = Field::input("email", "New email address", "email", "email");
    Page {
        name: "change_email",
        ..edit_page(csrf, "Change your email address", "/account/email", vec![new], "Send confirmation link")
    }
}

async fn email_form(session: Session, _: SignedIn<Pages>) -> Response {
    page(StatusCode::OK, email_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct EmailChange {
    current_password: String,
    email: String,
}

async fn change_email(
    State(app): State<AppState>,
    session: Session,
    Form(form): Form<EmailChange>,
) -> Response {
    let result = match reauthenticate(&app, &session, &form.current_password).await {
        Ok(account_id) => app.services.request_email_change(account_id, &form.email).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => done(
            &session,
            "email_change_sent",
            "Check the new address: follow the link we sent there. Until then your old address stays in use.",
        ),
        Err(error) => page_with_error(&session, error, email_page(session.csrf_token())),
    }
}

fn phone_page<'a>(csrf: String) -> Page<'a> {
    let fields = vec![Field::input("phone", "New phone number", "tel", "tel"), Field::delivery()];
    Page {
        name: "change_phone",
        ..edit_page(csrf, "Change your phone number", "/account/phone", fields, "Send code")
    }
}

async fn phone_form(session: Session, _: SignedIn<Pages>) -> Response {
    page(StatusCode::OK, phone_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct PhoneChange {
    current_password: String,
    phone: String,
    delivery: Delivery,
}

async fn change_phone(
    State(app): State<AppState>,
    session: Session,
    Form(form): Form<PhoneChange>,
) -> Response {
    let result = match reauthenticate(&app, &session, &form.current_password).await {
        Ok(account_id) => app.services.start_phone_change(account_id, &form.phone, form.delivery).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(number) => {
            session.update(|s| s.pending_new_phone = Some(number));
            redirect("/account/phone/code")
        }
        Err(error) => page_with_error(&session, error, phone_page(session.csrf_token())),
    }
}

fn phone_code_page<'a>(csrf: String) -> Page<'a> {
    let mut p =
        code_page(csrf, "/account/phone/code", "/account/phone", "We sent a code to your new number.".into());
    p.name = "change_phone_code";
    p.buttons.clear();
    p.links = vec![("/account/phone", "Send a new code, or use a different number")];
    p
}

async fn phone_code_form(session: Session) -> Response {
    if session.state().pending_new_phone.is_none() {
        return redirect("/account/phone");
    }
    page(StatusCode::OK, phone_code_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

async fn confirm_phone(
    State(app): State<AppState>,
    session: Session,
    SignedIn(account_id, _): SignedIn<Pages>,
    Form(form): Form<CodeForm>,
) -> Response {
    match app.services.confirm_phone_change(account_id, &form.code).await {
        Ok(()) => {
            session.update(|s| s.pending_new_phone = None);
            done(&session, "change_done", "Your phone number was changed.")
        }
        Err(error) => page_with_error(&session, error, phone_code_page(session.csrf_token())),
    }
}

fn app_start_page<'a>(csrf: String) -> Page<'a> {
    Page {
        name: "add_authenticator",
        ..edit_page(csrf, "Add an authenticator app", "/account/authenticator", vec![], "Continue")
    }
}

async fn app_start_form(session: Session, _: SignedIn<Pages>) -> Response {
    page(StatusCode::OK, app_start_page(session.csrf_token()))
}

#[derive(Deserialize)]
pub struct CurrentPassword {
    current_password: String,
}

/// Escapes text for HTML built outside a template.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The enrollment: a QR code of the `otpauth://` URI (made here, no script or image service),
/// the key to type instead, and the link for an app on this device.
fn enrollment_html(secret: &str, uri: &str) -> String {
    let qr = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            code.render::<qrcode::render::svg::Color>().min_dimensions(192, 192).quiet_zone(true).build()
        })
        .unwrap_or_default();
    // Inline SVG needs no XML declaration.
    let qr = qr.find("<svg").map_or("", |at| &qr[at..]);
    format!(
        r#"<figure class="qr" aria-label="QR code for your authenticator app">{qr}</figure>
<p>Scan the code with your app, or add an account with this key: <code id="authenticator-secret">{}</code></p>
<p>On the device with the app, you can <a href="{}">open this link</a> instead.</p>
<p>Then enter the 6-digit code the app shows.</p>"#,
        escape(secret),
        escape(uri),
    )
}

fn app_confirm_page<'a>(csrf: String, secret: &str, uri: &str) -> Page<'a> {
    Page {
        name: "authenticator_setup",
        title: "Set up your authenticator app",
        extra_html: Some(enrollment_html(secret, uri)),
        csrf,
        form: Some(PageForm {
            action: "/account/authenticator/confirm",
            fields: vec![Field::code("code", "Code from your app")],
            hidden: vec![],
            submit: "Add app",
        }),
        links: vec![("/account", "Cancel")],
        ..Page::default()
    }
}

async fn start_app(
    State(app): State<AppState>,
    session: Session,
    Form(form): Form<CurrentPassword>,
) -> Response {
    let result = match reauthenticate(&app, &session, &form.current_password).await {
        Ok(account_id) => app.services.start_authenticator(account_id).await,
        Err(error) => Err(error),
    };
    match result {
        Ok((sealed, secret, uri)) => {
            session.update(|s| s.pending_authenticator = Some(sealed));
            page(StatusCode::OK, app_confirm_page(session.csrf_token(), &secret, &uri))
        }
        Err(error) => page_with_error(&session, error, app_start_page(session.csrf_token())),
    }
}

async fn confirm_app(State(app): State<AppState>, session: Session, Form(form): Form<CodeForm>) -> Response {
    let state = session.state();
    let (Some(account_id), Some(sealed)) = (state.account_id, state.pending_authenticator) else {
        return redirect("/account/authenticator");
    };
    match app.services.confirm_authenticator(account_id, &sealed, &form.code).await {
        Ok(()) => {
            session.update(|s| s.pending_authenticator = None);
            done(&session, "change_done", "Your authenticator app was added. You can use it to sign in.")
        }
        Err(error) => {
            let retry = Page {
                title: "That code did not work",
                intro: vec!["Check the time on your device and try again with the newest code.".into()],
                links: vec![("/account/authenticator", "Start again")],
                ..Page::default()
            };
            page_with_error(&session, error, retry)
        }
    }
}
