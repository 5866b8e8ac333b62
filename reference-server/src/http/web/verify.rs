//! Identity verification pages (IV-1): agree, upload the ID and a selfie, enter the SSN,
//! review and enter the password; reactivation with the personal key after a reset (PR-4).

use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::phone::show_personal_key;
use super::{Field, MessagePage, Page, PageForm, Refusal, page, page_with_error, redirect, render_refused};
use crate::http::AppState;
use crate::http::identity::{read_images, upload_limit};
use crate::http::reauth::reauthenticate;
use crate::http::session::Session;
use crate::http::signed_in::{Pages, SignedIn};
use crate::proofing::Identity;
use crate::service::identity::VerificationStatus;
use crate::service::{Reason, ServiceError};

pub fn routes(app: &AppState) -> Router<AppState> {
    Router::new()
        .route("/verify", get(start_page).post(agree))
        .route(
            "/verify/documents",
            get(documents_page).post(documents).layer(DefaultBodyLimit::max(upload_limit(app))),
        )
        .route("/verify/ssn", get(ssn_page).post(ssn))
        .route("/verify/review", get(review_page).post(finish))
        .route("/verify/reactivate", get(reactivate_page).post(reactivate))
}

fn consent_page(csrf: String) -> Page<'static> {
    Page {
        name: "verify_consent",
        title: "Verify your identity",
        intro: vec![
            "An agency needs to know it is really you. You will upload photos of the front and back of your \
             driver's license or state ID and a photo of yourself, and enter your Social Security number."
                .into(),
            "The photos are used only to check your identity and are deleted once checked. Nothing is decided \
             about you from them."
                .into(),
        ],
        csrf,
        form: Some(PageForm {
            action: "/verify",
            fields: vec![
                Field::input("agree", "I agree to have my ID, my photo and my details checked", "checkbox", "off")
                    .value("yes"),
            ],
            hidden: vec![],
            submit: "Continue",
        }),
        ..Page::default()
    }
}

async fn start_page(
    State(app): State<AppState>,
    session: Session,
    SignedIn(account_id, _): SignedIn<Pages>,
) -> Response {
    match app.services.verification_status(account_id).await {
        Ok(VerificationStatus::NeedsPersonalKey) => redirect("/verify/reactivate"),
        Ok(_) => page(StatusCode::OK, consent_page(session.csrf_token())),
        Err(error) => page_with_error(&session, error, consent_page(session.csrf_token())),
    }
}

#[derive(Deserialize)]
struct AgreeForm {
    agree: Option<String>,
}

async fn agree(
    State(app): State<AppState>,
    session: Session,
    _signed_in: SignedIn<Pages>,
    Form(form): Form<AgreeForm>,
) -> Response {
    match app.services.agree_to_verification(form.agree.as_deref() == Some("yes")) {
        Ok(progress) => {
            session.update_vault(|v| v.verification = Some(progress));
            redirect("/verify/documents")
        }
        Err(error) => page_with_error(&session, error, consent_page(session.csrf_token())),
    }
}

fn documents_form(csrf: String) -> Page<'static> {
    Page {
        name: "verify_documents",
        title: "Add photos of your ID",
        intro: vec![
            "Take the photos in good light, on a dark background, with all four corners showing.".into(),
        ],
        csrf,
        form: Some(PageForm {
            action: "/verify/documents",
            fields: vec![
                Field::input("front", "Front of your ID", "file", "off"),
                Field::input("back", "Back of your ID", "file", "off"),
                Field::input("selfie", "Photo of you", "file", "off")
                    .hint("Face the camera, without glasses or a hat."),
            ],
            hidden: vec![],
            submit: "Upload",
        }),
        links: vec![("/verify/in-person", "Verify in person at a Post Office instead")],
        ..Page::default()
    }
}

/// A step opened before its turn: refused, saying so, with the way back to the start.
pub(super) fn out_of_order(reason: Reason) -> Response {
    let refused = Refusal::from(ServiceError::Rejected(reason));
    render_refused(
        &refused,
        MessagePage {
            name: "",
            title: "Start verifying your identity",
            message: &refused.message,
            link: Some(("/verify", "Start verifying your identity")),
        },
    )
}

async fn documents_page(session: Session, _signed_in: SignedIn<Pages>) -> Response {
    if !session.vault().verification.is_some_and(|v| v.consented) {
        return out_of_order(Reason::VerificationConsentRequired);
    }
    page(StatusCode::OK, documents_form(session.csrf_token()))
}

async fn documents(
    State(app): State<AppState>,
    session: Session,
    SignedIn(account_id, _): SignedIn<Pages>,
    form: Multipart,
) -> Response {
    let (images, csrf) = match read_images(&app, form).await {
        Ok(read) => read,
        Err(refused) => {
            let mut p = documents_form(session.csrf_token());
            p.error = Some(refused.message.clone());
            return render_refused(&refused, super::FormTemplate { page: p });
        }
    };
    if !csrf.is_some_and(|token| session.csrf_matches(&token)) {
        return super::forged();
    }
    let mut progress = session.vault().verification.unwrap_or_default();
    let result = app.services.check_documents(account_id, &mut progress, images).await;
    session.update_vault(|v| v.verification = Some(progress));
    match result {
        Ok(_) => redirect("/verify/ssn"),
        Err(error) => page_with_error(&session, error, documents_form(session.csrf_token())),
    }
}

fn ssn_form(csrf: String) -> Page<'static> {
    Page {
        name: "verify_ssn",
        title: "Enter your Social Security number",
        intro: vec!["We check it, with the details on your ID, against public records.".into()],
        csrf,
        form: Some(PageForm {
            action: "/verify/ssn",
            fields: vec![
                Field::input("ssn", "Social Security number", "text", "off").hint("For example, 123-45-6789"),
            ],
            hidden: vec![],
            submit: "Continue",
        }),
        ..Page::default()
    }
}

async fn ssn_page(session: Session, _signed_in: SignedIn<Pages>) -> Response {
    if session.vault().verification.and_then(|v| v.identity).is_none() {
        return out_of_order(Reason::VerificationStepOutOfOrder);
    }
    page(StatusCode::OK, ssn_form(session.csrf_token()))
}

#[derive(Deserialize)]
struct SsnForm {
    ssn: String,
}

async fn ssn(
    State(app): State<AppState>,
    session: Session,
    SignedIn(account_id, _): SignedIn<Pages>,
    Form(form): Form<SsnForm>,
) -> Response {
    let mut progress = session.vault().verification.unwrap_or_default();
    let result = app.services.check_ssn(account_id, &mut progress, &form.ssn).await;
    session.update_vault(|v| v.verification = Some(progress));
    match result {
        Ok(()) => redirect("/verify/review"),
        Err(error) => page_with_error(&session, error, ssn_form(session.csrf_token())),
    }
}

fn review_form(csrf: String, identity: &Identity) -> Page<'static> {
    let a = &identity.address;
    let ssn = identity.social_security_number.as_deref().unwrap_or("");
    Page {
        name: "verify_review",
        title: "Check your details",
        intro: vec![
            format!("Name: {} {}", identity.given_name, identity.family_name),
            format!("Date of birth: {}", identity.birthdate),
            format!("Address: {}, {}, {} {}", a.street_address, a.locality, a.region, a.postal_code),
            format!("Social Security number: ***-**-{}", ssn.get(5..).unwrap_or("")),
            "Enter your password to finish. Your details are encrypted with it: nobody, not even us, can read them \
             without your password or your personal key."
                .into(),
        ],
        csrf,
        form: Some(PageForm {
            action: "/verify/review",
            fields: vec![Field::input("password", "Password", "password", "current-password")],
            hidden: vec![],
            submit: "Verify my identity",
        }),
        ..Page::default()
    }
}

async fn review_page(session: Session, _signed_in: SignedIn<Pages>) -> Response {
    match session.vault().verification {
        Some(v) if v.resolved => match &v.identity {
            Some(identity) => page(StatusCode::OK, review_form(session.csrf_token(), identity)),
            None => out_of_order(Reason::VerificationStepOutOfOrder),
        },
        _ => out_of_order(Reason::VerificationStepOutOfOrder),
    }
}

#[derive(Deserialize)]
struct PasswordForm {
    password: String,
}

async fn finish(State(app): State<AppState>, session: Session, Form(form): Form<PasswordForm>) -> Response {
    let progress = session.vault().verification.unwrap_or_default();
    let Some(identity) = progress.identity.clone() else {
        return out_of_order(Reason::VerificationStepOutOfOrder);
    };
    let result = match reauthenticate(&app, &session, &form.password).await {
        Ok(account_id) => app.services.finish_verification(account_id, &progress, &form.password).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(finished) => {
            session.update_vault(|v| {
                v.verification = None;
                v.identity_key = Some(finished.data_key);
            });
            // In person, the account page then shows the enrollment code and the deadline.
            show_personal_key(&session, &finished.personal_key)
        }
        Err(error) => page_with_error(&session, error, review_form(session.csrf_token(), &identity)),
    }
}

fn reactivate_form(csrf: String) -> Page<'static> {
    Page {
        name: "verify_reactivate",
        title: "Reactivate your verified identity",
        intro: vec![
            "Your password was reset, so your verified details are locked. Enter the personal key you saved when \
             you verified your identity, and your password, to unlock them."
                .into(),
        ],
        csrf,
        form: Some(PageForm {
            action: "/verify/reactivate",
            fields: vec![
                Field::input("personal_key", "Personal key", "text", "off"),
                Field::input("password", "Password", "password", "current-password"),
            ],
            hidden: vec![],
            submit: "Reactivate",
        }),
        links: vec![("/verify", "I do not have my personal key: verify my identity again")],
        ..Page::default()
    }
}

async fn reactivate_page(session: Session, _signed_in: SignedIn<Pages>) -> Response {
    page(StatusCode::OK, reactivate_form(session.csrf_token()))
}

#[derive(Deserialize)]
struct ReactivateForm {
    personal_key: String,
    password: String,
}

async fn reactivate(
    State(app): State<AppState>,
    session: Session,
    Form(form): Form<ReactivateForm>,
) -> Response {
    let result = match reauthenticate(&app, &session, &form.password).await {
        Ok(account_id) => {
            app.services.reactivate_identity(account_id, &form.personal_key, &form.password).await
        }
        Err(error) => Err(error),
    };
    match result {
        Ok((key, data_key)) => {
            session.update_vault(|v| v.identity_key = Some(data_key));
            show_personal_key(&session, &key)
        }
        Err(error) => page_with_error(&session, error, reactivate_form(session.csrf_token())),
    }
}
