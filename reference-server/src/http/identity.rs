//! Identity verification's HTTP parts shared by the pages and the API: the session's vault
//! after a password was checked, and reading the uploaded images (`multipart/form-data`).

use axum::extract::Multipart;
use axum::http::StatusCode;

use super::AppState;
use super::refusal::Refusal;
use super::session::{Session, Vault};
use crate::domain::AccountId;
use crate::proofing::Images;
use crate::service::{ServiceError, ServiceResult};

/// The largest upload request: three images and the form's small fields.
pub fn upload_limit(app: &AppState) -> usize {
    3 * app.services.config.proofing.max_image_bytes + 64 * 1024
}

/// After the password was checked at sign-in: the verified identity's key, when the account
/// has one, kept in the session's vault (and nothing from an earlier person).
pub async fn unlock(
    app: &AppState,
    session: &Session,
    account_id: AccountId,
    password: &str,
) -> ServiceResult<()> {
    let identity_key = app.services.unlock_identity(account_id, password).await?;
    session.update_vault(|v| *v = Vault { identity_key, verification: None });
    Ok(())
}

/// The images `front`, `back` and `selfie` of a multipart form, each refused as soon as it
/// passes the size limit, and its `csrf` field when it has one.
pub async fn read_images(app: &AppState, mut form: Multipart) -> Result<(Images, Option<String>), Refusal> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        Refusal::invalid(
            e.status(),
            "unreadable_body",
            format!("The upload cannot be read: {}", e.body_text()),
        )
    };
    let max = app.services.config.proofing.max_image_bytes;
    let (mut front, mut back, mut selfie, mut csrf) = (None, None, None, None);
    while let Some(mut field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_owned();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(unreadable)? {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > max {
                return Err(
                    ServiceError::Rejected(crate::service::Reason::ImageTooLarge { max_bytes: max }).into()
                );
            }
        }
        match name.as_str() {
            "front" => front = Some(bytes),
            "back" => back = Some(bytes),
            "selfie" => selfie = Some(bytes),
            "csrf" => csrf = Some(String::from_utf8_lossy(&bytes).into_owned()),
            other => {
                return Err(Refusal::invalid(
                    StatusCode::BAD_REQUEST,
                    "invalid_fields",
                    format!("Unknown field {other:?}: send front, back and selfie."),
                ));
            }
        }
    }
    match (front, back, selfie) {
        // Their kind is checked by the service (`check_documents`), for pages and API alike.
        (Some(front), Some(back), Some(selfie)) => Ok((Images { front, back, selfie }, csrf)),
        _ => Err(Refusal::invalid(
            StatusCode::BAD_REQUEST,
            "missing_image",
            "Send three images: front and back of the ID (front, back) and a photo of yourself (selfie).",
        )),
    }
}
