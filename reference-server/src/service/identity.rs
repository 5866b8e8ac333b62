//! Identity verification (IV-1, IV-3) and where the verified identity lives (PV-2, PR-4).
//!
//! Remote verification: the person agrees to the checks, uploads a photo ID (front and back)
//! and a selfie, which go to the document-verification vendor and are dropped; enters their
//! SSN, which identity resolution checks with what the document says; then enters their
//! password, and receives a new personal key. What was established is sealed under a random
//! data key, wrapped under a key derived from the password and under one derived from the
//! personal key: the server's keys open neither. While signed in, the unwrapped data key is
//! kept in the session, sealed under a key only the session cookie carries (`http::session`).
//!
//! In person (IV-2, `service::in_person`): instead of uploading, the person chooses a
//! participating Post Office and enters the details on their ID; the rest is the same, but the
//! sealed identity waits (pending) until the Post Office says they passed.
//!
//! A reset without the personal key leaves the identity wrapped only under that key
//! (deactivated) until the person enters it; then it is wrapped again under the new password
//! and a new personal key is issued.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Reason, ServiceError, ServiceResult, Services};
use crate::domain::AccountId;
use crate::proofing::{DocumentProblem, Identity, Images, PostOffice, VendorError};
use crate::rules::oidc::{Attribute, Attributes};
use crate::rules::personal_key;
use crate::sealing;
use crate::store::Wrapped;

/// A verification in progress, kept in the session (sealed under its cookie's key).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Verification {
    pub consented: bool,
    /// What the document says, once the vendor vouched for it.
    pub identity: Option<Identity>,
    /// The SSN was entered and the person found.
    pub resolved: bool,
    /// In person (IV-2): the Post Offices found near the person, and the one they chose.
    #[serde(default)]
    pub post_offices: Vec<PostOffice>,
    #[serde(default)]
    pub post_office: Option<PostOffice>,
}

/// An enrollment to verify at a Post Office, as the person sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InPerson {
    pub enrollment_code: String,
    pub post_office: PostOffice,
    pub deadline: OffsetDateTime,
}

/// Where an account stands with identity verification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VerificationStatus {
    Unverified,
    Verified {
        at: OffsetDateTime,
    },
    /// A reset without the personal key: the personal key (or verifying again) restores it.
    NeedsPersonalKey,
    /// Enrolled to verify at a Post Office, which has not answered yet (IV-2).
    InPersonPending(InPerson),
    /// The Post Office could not verify the person; they may verify again.
    InPersonFailed {
        at: OffsetDateTime,
    },
    /// The deadline passed without a visit; they may verify again.
    InPersonExpired {
        at: OffsetDateTime,
    },
}

impl VerificationStatus {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Unverified => "unverified",
            Self::Verified { .. } => "verified",
            Self::NeedsPersonalKey => "needs_personal_key",
            Self::InPersonPending(_) => "in_person_pending",
            Self::InPersonFailed { .. } => "in_person_failed",
            Self::InPersonExpired { .. } => "in_person_expired",
        }
    }
}

/// The end of a verification: the new personal key (shown once), the data key (kept in the
/// session for agencies), and for one at a Post Office, the enrollment.
pub struct Finished {
    pub personal_key: String,
    pub data_key: [u8; 32],
    pub in_person: Option<InPerson>,
}

impl From<VendorError> for ServiceError {
    fn from(error: VendorError) -> Self {
        Self::ProofingUnavailable(error.to_string())
    }
}

fn is_image(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xFF, 0xD8, 0xFF]) || bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

fn is_test_document(bytes: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, Value>>(bytes).is_ok()
}

/// The nine digits of an SSN written with or without dashes and spaces.
fn ssn_digits(entered: &str) -> Option<String> {
    let digits: String = entered.chars().filter(|c| !matches!(c, '-' | ' ')).collect();
    (digits.len() == 9 && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

impl Services {
    pub async fn verification_status(&self, account_id: AccountId) -> ServiceResult<VerificationStatus> {
        use crate::store::EnrollmentStatus as E;
        let profile = self.store.profile(account_id).await?;
        if let Some(p) = profile.as_ref().filter(|p| p.active()) {
            return Ok(VerificationStatus::Verified { at: p.verified_at });
        }
        let enrollment = self.store.enrollment(account_id).await?;
        if let Some(e) = enrollment.as_ref().filter(|e| e.status == E::Pending) {
            return Ok(VerificationStatus::InPersonPending(self.in_person_view(e)?));
        }
        if profile.is_some() {
            return Ok(VerificationStatus::NeedsPersonalKey);
        }
        Ok(match enrollment {
            Some(e) if e.status == E::Failed => {
                VerificationStatus::InPersonFailed { at: e.decided_at.unwrap_or(e.deadline) }
            }
            Some(e) if e.status == E::Expired => {
                VerificationStatus::InPersonExpired { at: e.decided_at.unwrap_or(e.deadline) }
            }
            _ => VerificationStatus::Unverified,
        })
    }

    /// The first step: the person agrees to have their ID and details checked.
    pub fn agree_to_verification(&self, agree: bool) -> ServiceResult<Verification> {
        if !agree {
            return Err(ServiceError::Rejected(Reason::VerificationConsentRequired));
        }
        Ok(Verification { consented: true, ..Verification::default() })
    }

    /// An upload is a JPEG or PNG within the size limit (or, where accepted, a test document).
    pub fn check_image(&self, bytes: &[u8]) -> ServiceResult<()> {
        let config = &self.config.proofing;
        if bytes.len() > config.max_image_bytes {
            return Err(ServiceError::Rejected(Reason::ImageTooLarge { max_bytes: config.max_image_bytes }));
        }
        if is_image(bytes) || (config.accept_test_documents && is_test_document(bytes)) {
            return Ok(());
        }
        Err(ServiceError::Rejected(Reason::UnsupportedImage))
    }

    /// Sends the images to the document-verification vendor (they are not kept: IV-3) and
    /// returns what the document says. Each check counts against the attempt limit.
    pub async fn check_documents(
        &self,
        account_id: AccountId,
        progress: &mut Verification,
        images: Images,
    ) -> ServiceResult<Identity> {
        if !progress.consented {
            return Err(ServiceError::Rejected(Reason::VerificationConsentRequired));
        }
        for image in [&images.front, &images.back, &images.selfie] {
            self.check_image(image)?;
        }
        let p = &self.policy;
        let key = format!("verification-documents:{account_id}");
        self.limit(&key, p.verification_attempt_limit, p.verification_attempt_window_secs, self.clock.now())
            .await?;
        let verdict = self.proofing.check_documents(&images).await?;
        drop(images);
        *progress = Verification { consented: true, ..Verification::default() };
        let identity = verdict.map_err(|problem| {
            ServiceError::Rejected(match problem {
                DocumentProblem::Unreadable => Reason::DocumentUnreadable,
                DocumentProblem::Expired => Reason::DocumentExpired,
                DocumentProblem::Failed => Reason::DocumentFailed,
                DocumentProblem::SelfieMismatch => Reason::SelfieMismatch,
            })
        })?;
        progress.identity = Some(identity.clone());
        Ok(identity)
    }

    /// The SSN, checked with the document's details by identity resolution. Each look-up
    /// counts against the attempt limit.
    pub async fn check_ssn(
        &self,
        account_id: AccountId,
        progress: &mut Verification,
        ssn: &str,
    ) -> ServiceResult<()> {
        let Some(identity) = progress.identity.as_mut() else {
            return Err(ServiceError::Rejected(Reason::VerificationStepOutOfOrder));
        };
        let ssn = ssn_digits(ssn).ok_or(ServiceError::Rejected(Reason::SsnInvalid))?;
        let p = &self.policy;
        let key = format!("verification-resolution:{account_id}");
        self.limit(&key, p.verification_attempt_limit, p.verification_attempt_window_secs, self.clock.now())
            .await?;
        progress.resolved = false;
        if super::broken!(
            self,
            OneAccountPerIdentity if self.instance_memory.ssn_owner(&ssn, account_id) != account_id
        ) {
            return Err(ServiceError::Rejected(Reason::IdentityNotFound));
        }
        if !self.proofing.resolve(identity, &ssn).await? {
            return Err(ServiceError::Rejected(Reason::IdentityNotFound));
        }
        identity.social_security_number = Some(ssn);
        progress.resolved = true;
        Ok(())
    }

    /// The last step, after the password was checked (`http::reauth`): seals the identity under
    /// a new data key, wrapped under the password and a new personal key. In person, the
    /// person is enrolled at the Post Office first, and the identity waits for its result.
    pub async fn finish_verification(
        &self,
        account_id: AccountId,
        progress: &Verification,
        password: &str,
    ) -> ServiceResult<Finished> {
        let identity = match &progress.identity {
            Some(identity) if progress.resolved => identity,
            _ => return Err(ServiceError::Rejected(Reason::VerificationStepOutOfOrder)),
        };
        let now = self.clock.now();
        let enrollment = match &progress.post_office {
            Some(office) => Some(self.enroll_in_person(account_id, identity, office, now).await?),
            None => None,
        };
        let data_key = sealing::new_key();
        let sealed = sealing::seal(&data_key, &serde_json::to_vec(identity).map_err(anyhow::Error::from)?);
        let (key, hash) = self.new_personal_key().await?;
        let wrapped = self.wrap(&data_key, password, &key).await?;
        // No email for a remote verification: PV-1 lists the security messages, and this is not
        // one of them. In person, the result is mailed (`service::in_person`).
        let stored = enrollment.as_ref().map(|(stored, _)| stored);
        self.store.save_profile(account_id, &sealed, &wrapped, &hash, stored, now).await?;
        Ok(Finished { personal_key: key, data_key, in_person: enrollment.map(|(_, view)| view) })
    }

    async fn wrap(&self, data_key: &[u8; 32], password: &str, personal_key: &str) -> ServiceResult<Wrapped> {
        let (by_password, password_kdf) = self.passwords.derive_key(password, None).await?;
        let normalized = personal_key::normalize(personal_key);
        let (by_key, personal_key_kdf) = self.passwords.derive_key(&normalized, None).await?;
        Ok(Wrapped {
            key_by_password: sealing::wrap(&by_password, data_key),
            password_kdf,
            key_by_personal_key: sealing::wrap(&by_key, data_key),
            personal_key_kdf,
        })
    }

    /// At sign-in, with the password just checked: the data key, when the account has an
    /// active verified identity.
    pub async fn unlock_identity(
        &self,
        account_id: AccountId,
        password: &str,
    ) -> ServiceResult<Option<[u8; 32]>> {
        let Some((wrapped, kdf)) = self.store.profile(account_id).await?.and_then(|p| p.key_by_password)
        else {
            return Ok(None);
        };
        let (kek, _) = self.passwords.derive_key(password, Some(&kdf)).await?;
        // The password was just verified, so a key that does not unwrap is a fault, not a
        // guess. It must not stop the person signing in: the identity stays locked, and an
        // agency asking for it sends them to reactivate it.
        match sealing::unwrap(&kek, &wrapped) {
            Ok(key) => Ok(Some(key)),
            Err(error) => {
                tracing::error!(%error, %account_id, "the verified identity does not unwrap with the password");
                Ok(None)
            }
        }
    }

    /// The verified identity, opened with the data key the session holds.
    pub async fn verified_identity(
        &self,
        account_id: AccountId,
        data_key: Option<[u8; 32]>,
    ) -> ServiceResult<Option<Identity>> {
        let (Some(profile), Some(data_key)) = (self.store.profile(account_id).await?, data_key) else {
            return Ok(None);
        };
        if !profile.active() {
            return Ok(None);
        }
        let Ok(bytes) = sealing::open(&data_key, &profile.identity_sealed) else {
            // A key from before the identity was verified again: not this identity's.
            return Ok(None);
        };
        Ok(Some(serde_json::from_slice(&bytes).map_err(anyhow::Error::from)?))
    }

    /// PR-4: after a reset, the personal key that wraps the identity restores it, wrapped again
    /// under the current password (checked by the caller) and a new personal key. Wrong keys
    /// count toward the lockout (PK-5). Returns the new key and the data key.
    pub async fn reactivate_identity(
        &self,
        account_id: AccountId,
        entered_key: &str,
        password: &str,
    ) -> ServiceResult<(String, [u8; 32])> {
        let now = self.clock.now();
        let seen = self.refuse_while_locked(account_id, now).await?;
        let profile = self
            .store
            .profile(account_id)
            .await?
            .filter(|p| !p.active())
            .ok_or(ServiceError::Rejected(Reason::NothingToReactivate))?;
        let (wrapped, kdf) = &profile.key_by_personal_key;
        let (kek, _) = self.passwords.derive_key(&personal_key::normalize(entered_key), Some(kdf)).await?;
        let Ok(data_key) = sealing::unwrap(&kek, wrapped) else {
            return Err(self
                .failed_attempt(account_id, seen, |remaining| Reason::PersonalKeyWrong { remaining })
                .await?);
        };
        self.store.clear_failures(account_id).await?;
        let (key, hash) = self.new_personal_key().await?;
        let wrapped = self.wrap(&data_key, password, &key).await?;
        self.store.reactivate_profile(account_id, &wrapped, &hash).await?;
        Ok((key, data_key))
    }

    /// A password change (the current one just checked) wraps the data key again under the
    /// new password.
    pub(crate) async fn rewrap_for_password(
        &self,
        account_id: AccountId,
        current: &str,
        new: &str,
    ) -> ServiceResult<()> {
        let Some(data_key) = self.unlock_identity(account_id, current).await? else {
            return Ok(());
        };
        let (kek, kdf) = self.passwords.derive_key(new, None).await?;
        self.store.rewrap_password(account_id, &sealing::wrap(&kek, &data_key), &kdf).await?;
        Ok(())
    }

    /// A personal key used to sign in is replaced (PK-3): the identity it wraps follows to the
    /// new key. A key that does not unwrap it (one issued after a reset) leaves it as it is.
    pub(crate) async fn rewrap_for_personal_key(
        &self,
        account_id: AccountId,
        used: &str,
        new: &str,
    ) -> ServiceResult<()> {
        let Some(profile) = self.store.profile(account_id).await? else {
            return Ok(());
        };
        let (wrapped, kdf) = &profile.key_by_personal_key;
        let (kek, _) = self.passwords.derive_key(&personal_key::normalize(used), Some(kdf)).await?;
        let Ok(data_key) = sealing::unwrap(&kek, wrapped) else {
            return Ok(());
        };
        let (kek, kdf) = self.passwords.derive_key(&personal_key::normalize(new), None).await?;
        self.store.rewrap_personal_key(account_id, &sealing::wrap(&kek, &data_key), &kdf).await?;
        Ok(())
    }
}

/// The verified claims an agency receives: only the attributes consented to, nothing about how
/// verification went (IV-3).
pub fn identity_claims(identity: &Identity, attributes: &Attributes) -> Value {
    let mut claims = json!({});
    for attribute in attributes {
        match attribute {
            Attribute::Name => {
                claims["given_name"] = json!(identity.given_name);
                claims["family_name"] = json!(identity.family_name);
            }
            Attribute::Birthdate => claims["birthdate"] = json!(identity.birthdate),
            Attribute::Address => {
                let a = &identity.address;
                claims["address"] = json!({
                    "formatted": format!("{}\n{}, {} {}", a.street_address, a.locality, a.region, a.postal_code),
                    "street_address": a.street_address,
                    "locality": a.locality,
                    "region": a.region,
                    "postal_code": a.postal_code,
                });
            }
            Attribute::Ssn => {
                if let Some(ssn) = &identity.social_security_number {
                    claims["social_security_number"] = json!(ssn);
                }
            }
            Attribute::Email | Attribute::Phone => {}
        }
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssns_are_nine_digits() {
        assert_eq!(ssn_digits("123-45-6789").as_deref(), Some("123456789"));
        assert_eq!(ssn_digits("123 45 6789").as_deref(), Some("123456789"));
        assert_eq!(ssn_digits("12345678"), None);
        assert_eq!(ssn_digits("12345678a"), None);
    }

    #[test]
    fn only_images_or_test_documents_are_uploads() {
        assert!(is_image(b"\xFF\xD8\xFF\xE0rest"));
        assert!(is_image(b"\x89PNG\r\n\x1a\nrest"));
        assert!(!is_image(b"GIF89a"));
        assert!(is_test_document(br#"{"portrait_match":"Fail"}"#));
        assert!(!is_test_document(b"[1]"));
    }
}
