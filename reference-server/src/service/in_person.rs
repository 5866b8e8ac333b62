//! Verifying in person at a Post Office (IV-2): the person finds participating Post Offices
//! near a ZIP code, chooses one, and enters the details as on their ID; then, as online, their
//! SSN and their password (`service::identity`). They are enrolled at the Post Office, get an
//! enrollment code and a deadline, and the sealed identity waits. A job asks the Post Office
//! for results at least every `in_person_result_check_secs`: passed makes the identity count,
//! failed or a passed deadline deletes it; either way the person is emailed.

use std::sync::Arc;

use serde::Deserialize;
use time::OffsetDateTime;

use super::identity::{InPerson, Verification};
use super::{Reason, ServiceError, ServiceResult, Services};
use crate::delivery::notices;
use crate::domain::AccountId;
use crate::policy::secs;
use crate::proofing::{Address, Identity, PostOffice, VisitResult};
use crate::sealing;
use crate::store::{Enrollment, EnrollmentStatus, NewEnrollment};

/// Enrollments read from the store at a time within a pass.
const BATCH: u32 = 100;

/// The details on the person's ID, typed in (the Post Office checks them against the ID).
#[derive(Clone, Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdDetails {
    pub given_name: String,
    pub family_name: String,
    /// `YYYY-MM-DD`.
    pub birthdate: String,
    pub street_address: String,
    pub city: String,
    /// Two letters, e.g. `VA`.
    pub state: String,
    pub zip: String,
}

/// Five digits, or ZIP+4.
fn zip5(entered: &str) -> Option<String> {
    let zip = entered.trim();
    let (five, four) = zip.split_once('-').unwrap_or((zip, ""));
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(five, 5) && (four.is_empty() || digits(four, 4))).then(|| five.to_owned())
}

fn valid_birthdate(text: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(text, format).is_ok()
}

impl IdDetails {
    fn identity(self) -> Option<Identity> {
        let filled = |s: &str| {
            let s = s.trim();
            (!s.is_empty() && s.len() <= 100 && !s.chars().any(char::is_control)).then(|| s.to_owned())
        };
        let state = self.state.trim().to_ascii_uppercase();
        if state.len() != 2
            || !state.bytes().all(|b| b.is_ascii_uppercase())
            || !valid_birthdate(self.birthdate.trim())
        {
            return None;
        }
        Some(Identity {
            given_name: filled(&self.given_name)?,
            family_name: filled(&self.family_name)?,
            birthdate: self.birthdate.trim().to_owned(),
            address: Address {
                street_address: filled(&self.street_address)?,
                locality: filled(&self.city)?,
                region: state,
                postal_code: zip5(&self.zip)?,
            },
            social_security_number: None,
        })
    }
}

impl Services {
    /// The participating Post Offices near a ZIP code (kept in the verification, to choose).
    pub async fn find_post_offices(
        &self,
        progress: &mut Verification,
        zip: &str,
    ) -> ServiceResult<Vec<PostOffice>> {
        if !progress.consented {
            return Err(ServiceError::Rejected(Reason::VerificationConsentRequired));
        }
        let zip = zip5(zip).ok_or(ServiceError::Rejected(Reason::ZipInvalid))?;
        let offices = self.proofing.post_offices(&zip).await?;
        if offices.is_empty() {
            return Err(ServiceError::Rejected(Reason::NoPostOfficeNearby));
        }
        *progress =
            Verification { consented: true, post_offices: offices.clone(), ..Verification::default() };
        Ok(offices)
    }

    /// The person chooses one of the Post Offices found (by its place in the list, from 0).
    pub fn choose_post_office(&self, progress: &mut Verification, index: usize) -> ServiceResult<PostOffice> {
        if progress.post_offices.is_empty() {
            return Err(ServiceError::Rejected(Reason::VerificationStepOutOfOrder));
        }
        let office = progress
            .post_offices
            .get(index)
            .cloned()
            .ok_or(ServiceError::Rejected(Reason::PostOfficeUnknown))?;
        progress.post_office = Some(office.clone());
        progress.identity = None;
        progress.resolved = false;
        Ok(office)
    }

    /// The details as on the ID, in place of what a document check would have read.
    pub fn enter_id_details(
        &self,
        progress: &mut Verification,
        details: IdDetails,
    ) -> ServiceResult<Identity> {
        if progress.post_office.is_none() {
            return Err(ServiceError::Rejected(Reason::VerificationStepOutOfOrder));
        }
        let identity = details.identity().ok_or(ServiceError::Rejected(Reason::IdDetailsInvalid))?;
        progress.identity = Some(identity.clone());
        progress.resolved = false;
        Ok(identity)
    }

    /// Enrolls the person at the Post Office: what to store, and what to show them.
    pub(crate) async fn enroll_in_person(
        &self,
        account_id: AccountId,
        identity: &Identity,
        office: &PostOffice,
        now: OffsetDateTime,
    ) -> ServiceResult<(NewEnrollment, InPerson)> {
        let account =
            self.store.account(account_id).await?.ok_or(ServiceError::SignedOut { locked_until: None })?;
        // A random name for the person at USPS: nothing there links back to the account id.
        let unique_id = crate::rules::tokens::new_token();
        let code = self.proofing.enroll(&unique_id, identity, account.email.as_ref()).await?;
        let deadline = now + secs(self.policy.in_person_deadline_secs);
        let post_office = serde_json::to_string(office).map_err(anyhow::Error::from)?;
        let view = InPerson { enrollment_code: code.clone(), post_office: office.clone(), deadline };
        Ok((NewEnrollment { code, unique_id, post_office, deadline }, view))
    }

    pub(crate) fn in_person_view(&self, enrollment: &Enrollment) -> ServiceResult<InPerson> {
        let post_office = serde_json::from_str(&enrollment.post_office).map_err(anyhow::Error::from)?;
        Ok(InPerson { enrollment_code: enrollment.code.clone(), post_office, deadline: enrollment.deadline })
    }

    /// One pass of the result job, at the service clock's now: each pending enrollment past its
    /// deadline expires; the others are asked about. Returns how many were decided.
    pub async fn check_in_person_results(&self) -> ServiceResult<usize> {
        let now = self.clock.now();
        let mut decided = 0;
        let mut after = None;
        loop {
            let page = self.store.pending_enrollments(after, BATCH).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.deadline, last.account_id));
            decided += self.decide_page(&page, now).await?;
        }
        Ok(decided)
    }

    /// Asks about (or expires) each enrollment of one page; returns how many were decided.
    async fn decide_page(&self, page: &[Enrollment], now: OffsetDateTime) -> ServiceResult<usize> {
        let mut decided = 0;
        for enrollment in page {
            let status = if now > enrollment.deadline && !super::broken!(self, InPersonNeverExpires) {
                EnrollmentStatus::Expired
            } else {
                match self.proofing.visit_result(&enrollment.unique_id, &enrollment.code).await {
                    Ok(VisitResult::Pending) => continue,
                    Ok(VisitResult::Passed) => EnrollmentStatus::Passed,
                    Ok(VisitResult::Failed) => EnrollmentStatus::Failed,
                    Ok(VisitResult::Expired) => EnrollmentStatus::Expired,
                    Err(error) => {
                        tracing::warn!(%error, "an in-person result could not be read; asking again next pass");
                        continue;
                    }
                }
            };
            if self.decide(enrollment, status, now).await? {
                decided += 1;
            }
        }
        Ok(decided)
    }

    async fn decide(
        &self,
        enrollment: &Enrollment,
        status: EnrollmentStatus,
        now: OffsetDateTime,
    ) -> ServiceResult<bool> {
        let Some(account) = self.store.account(enrollment.account_id).await? else { return Ok(false) };
        let notice = notices::in_person_result(
            status == EnrollmentStatus::Passed,
            status == EnrollmentStatus::Expired,
            &self.link("/account"),
        );
        let sealed = sealing::seal(&self.seal_key, &self.outbox_message(account.email.as_ref(), &notice)?);
        let decided = self
            .store
            .decide_enrollment(enrollment.account_id, &enrollment.code, status, &sealed, now)
            .await?;
        if decided {
            tracing::info!(status = status.code(), "an in-person enrollment was decided");
            self.outbox.notify_one();
        }
        Ok(decided)
    }
}

/// The result job under the system clock: a pass at start and every
/// `in_person_result_check_secs`. Real time on purpose: under the system clock, real time is the
/// service clock; under a manual clock, the clock hook runs a pass whenever it moves time.
pub fn spawn_result_job(services: Arc<Services>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = std::time::Duration::from_secs(services.policy.in_person_result_check_secs.max(1));
        loop {
            if let Err(error) = services.check_in_person_results().await {
                tracing::warn!(%error, "the in-person result job failed; trying again next pass");
            }
            #[allow(clippy::disallowed_methods)] // see above
            tokio::time::sleep(every).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details() -> IdDetails {
        IdDetails {
            given_name: "Jane".into(),
            family_name: "Doe".into(),
            birthdate: "1985-07-04".into(),
            street_address: "1 Main St".into(),
            city: "Springfield".into(),
            state: "va".into(),
            zip: "22150-1234".into(),
        }
    }

    #[test]
    fn id_details_are_checked_and_tidied() {
        let identity = details().identity().expect("valid details");
        assert_eq!(identity.address.region, "VA");
        assert_eq!(identity.address.postal_code, "22150");
        assert!(IdDetails { birthdate: "1985-02-30".into(), ..details() }.identity().is_none());
        assert!(IdDetails { state: "Virginia".into(), ..details() }.identity().is_none());
        assert!(IdDetails { given_name: " ".into(), ..details() }.identity().is_none());
        assert!(IdDetails { zip: "2215".into(), ..details() }.identity().is_none());
    }

    #[test]
    fn zip_codes_are_five_digits_or_zip_plus_four() {
        assert_eq!(zip5("22150").as_deref(), Some("22150"));
        assert_eq!(zip5(" 22150-1234 ").as_deref(), Some("22150"));
        assert_eq!(zip5("22150-12"), None);
        assert_eq!(zip5("2215a"), None);
    }
}
