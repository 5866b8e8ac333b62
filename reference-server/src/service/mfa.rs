//! Second factors: security codes by text or voice (PH-*, OTP-*) and the personal key (PK-*),
//! with the account-level lockout shared by both (OTP-5, PK-5).

use crate::domain::AccountId;
use crate::domain::Phone;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Reason, ServiceError, ServiceResult, Services};
use crate::delivery::{SmsError, notices};
use crate::policy::secs;
use crate::rules::lockout::{Attempts, WrongEntry};
use crate::rules::otp::{self, Entered};
use crate::rules::personal_key;
use crate::store::CodePurpose;

/// How a code reaches the phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Delivery {
    Sms,
    Voice,
}

impl Services {
    /// Sends a new code to `phone`, replacing earlier ones, within the request limit (OTP-4).
    pub async fn send_code(
        &self,
        account_id: AccountId,
        purpose: CodePurpose,
        phone: &Phone,
        delivery: Delivery,
    ) -> ServiceResult<()> {
        let now = self.clock.now();
        self.refuse_while_locked(account_id, now).await?;
        if super::broken!(
            self,
            LandlinesRefused if delivery == Delivery::Voice && self.instance_memory.takes_no_texts(phone)
        ) {
            return Err(ServiceError::Rejected(Reason::PhoneUnreachable));
        }
        let p = &self.policy;
        self.limit(
            &format!("code-request:{account_id}"),
            p.code_request_limit,
            p.code_request_window_secs,
            now,
        )
        .await?;
        #[cfg(feature = "fixtures")]
        let code = if super::broken!(self, CountedCodes) {
            self.instance_memory.counted_code(p.code_digits)
        } else {
            otp::new_code(p.code_digits)
        };
        #[cfg(not(feature = "fixtures"))]
        let code = otp::new_code(p.code_digits);
        let expires_at = now + secs(p.code_lifetime_secs);
        let digest = otp::digest(&self.code_key, &code);
        let supersede = !super::broken!(self, OlderCodesKept if purpose == CodePurpose::SignIn);
        let id =
            self.store.create_code(account_id, purpose, phone, &digest, now, expires_at, supersede).await?;
        let minutes = p.code_lifetime_secs.div_ceil(60);
        let text =
            || format!("{code} is your security code. It expires in {minutes} minutes. Never share it.");
        let spoken = || {
            let digits: Vec<String> = code.chars().map(String::from).collect();
            format!("Your security code is {}.", digits.join(", "))
        };
        let sent = match delivery {
            Delivery::Voice if super::broken!(self, SignInVoiceOnlyForLandlines if purpose == CodePurpose::SignIn) => {
                match self.sms.send_text(phone, &text()).await {
                    Err(SmsError::NotMobile) => self.sms.call(phone, &spoken()).await,
                    texted => texted,
                }
            }
            Delivery::Sms => self.sms.send_text(phone, &text()).await,
            Delivery::Voice => self.sms.call(phone, &spoken()).await,
        };
        let Err(error) = sent else { return Ok(()) };
        self.store.withdraw_code(id, now).await?;
        #[cfg(feature = "fixtures")]
        if super::broken!(self, LandlinesRefused if matches!(error, SmsError::NotMobile)) {
            self.instance_memory.remember_no_texts(phone);
        }
        Err(match error {
            SmsError::NotMobile => ServiceError::Rejected(Reason::SmsNotSupported),
            SmsError::OptedOut => ServiceError::Rejected(Reason::SmsOptedOut),
            SmsError::NotAPhone => ServiceError::Rejected(Reason::PhoneUnreachable),
            other => {
                tracing::warn!(error = %other, "security code not delivered");
                ServiceError::Delivery(
                    "We could not reach your phone. Try again, or choose the other way to get the code."
                        .into(),
                )
            }
        })
    }

    /// Checks an entered code (OTP-1 … OTP-3, OTP-5). Returns the phone the code was sent to.
    pub async fn check_code(
        &self,
        account_id: AccountId,
        purpose: CodePurpose,
        entered: &str,
    ) -> ServiceResult<Phone> {
        let now = self.clock.now();
        let seen = self.refuse_while_locked(account_id, now).await?;
        let entered: String = entered.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let digest = otp::digest(&self.code_key, &entered);
        let Some(row) = self.store.code_for_entry(account_id, purpose, &digest).await? else {
            return Err(ServiceError::Rejected(Reason::NoCodeSent));
        };
        match otp::classify(&digest, std::slice::from_ref(&row.code), now) {
            Entered::Valid(_) => {
                if !super::broken!(self, CodesWorkTwice) && !self.store.use_code(row.id, now).await? {
                    return Err(ServiceError::Rejected(Reason::CodeUsed));
                }
                self.store.clear_failures(account_id).await?;
                Ok(row.phone)
            }
            Entered::Expired => Err(ServiceError::Rejected(Reason::CodeExpired)),
            Entered::Used => Err(ServiceError::Rejected(Reason::CodeUsed)),
            Entered::Superseded => Err(ServiceError::Rejected(Reason::CodeSuperseded)),
            Entered::Wrong if super::broken!(self, AnySignUpCodeConfirms if purpose == CodePurpose::ConfirmPhone) => {
                Ok(row.phone)
            }
            Entered::Wrong => Err(self
                .failed_attempt(account_id, seen, |remaining| Reason::CodeWrong { remaining })
                .await?),
        }
    }

    /// OTP-5 / PK-5: while entry is locked, codes are neither sent nor checked. Returns the
    /// wrong-entry state it read, for [`Services::failed_attempt`] to start from.
    pub(crate) async fn refuse_while_locked(
        &self,
        account_id: AccountId,
        now: OffsetDateTime,
    ) -> ServiceResult<Attempts> {
        let attempts = self.store.attempts(account_id).await?.unwrap_or_default();
        match self.policy.lockout().locked(&attempts, now) {
            Some(until) => Err(ServiceError::Locked { until }),
            None => Ok(attempts),
        }
    }

    /// Counts a wrong code or key; the one that reaches the limit signs the person out.
    /// `seen`: the state [`Services::refuse_while_locked`] read in this request (the store
    /// reads it afresh if it changed since).
    pub(crate) async fn failed_attempt(
        &self,
        account_id: AccountId,
        seen: Attempts,
        reason: impl Fn(u32) -> Reason,
    ) -> ServiceResult<ServiceError> {
        let decision =
            self.store.record_wrong_entry(account_id, &self.policy.lockout(), self.clock.now(), seen).await?;
        Ok(match decision {
            Some(WrongEntry::Counted { remaining }) => ServiceError::Rejected(reason(remaining)),
            Some(WrongEntry::LocksNow { until }) => ServiceError::SignedOut { locked_until: Some(until) },
            Some(WrongEntry::AlreadyLocked { until }) => ServiceError::Locked { until },
            None => ServiceError::SignedOut { locked_until: None },
        })
    }

    /// A new personal key for the account, shown once; only its hash is kept.
    pub(crate) async fn new_personal_key(&self) -> ServiceResult<(String, String)> {
        let key = personal_key::new_key(self.policy.personal_key_length);
        let hash = self.passwords.hash(&personal_key::normalize(&key)).await?;
        Ok((key, hash))
    }

    /// Confirms the sign-up phone with its code (PH-2) and issues the first personal key
    /// (PK-1): the account is complete. Returns the key, to be shown once.
    pub async fn confirm_phone(&self, account_id: AccountId, entered: &str) -> ServiceResult<String> {
        let phone = self.check_code(account_id, CodePurpose::ConfirmPhone, entered).await?;
        let (key, hash) = self.new_personal_key().await?;
        self.store.complete_sign_up(account_id, &phone, &hash, self.clock.now()).await?;
        Ok(key)
    }

    /// Signs in with the personal key instead of a code (PK-2): the key is replaced at once
    /// (PK-3), wrong keys count toward the lockout (PK-5), and the owner is told (PV-1).
    /// Returns the new key, to be shown once.
    pub async fn use_personal_key(&self, account_id: AccountId, entered: &str) -> ServiceResult<String> {
        let now = self.clock.now();
        let seen = self.refuse_while_locked(account_id, now).await?;
        let account =
            self.store.account(account_id).await?.ok_or(ServiceError::SignedOut { locked_until: None })?;
        let Some(old_hash) = account.personal_key_hash else {
            return Err(self
                .failed_attempt(account_id, seen, |remaining| Reason::PersonalKeyWrong { remaining })
                .await?);
        };
        if !self.passwords.verify(&personal_key::normalize(entered), &old_hash).await? {
            return Err(self
                .failed_attempt(account_id, seen, |remaining| Reason::PersonalKeyWrong { remaining })
                .await?);
        }
        if super::broken!(
            self,
            PersonalKeyRefusedOnceACodeIsSent
                if crate::fixture::sign_in_code_waiting(&self.store, account_id, now).await?
        ) {
            let remaining = self.policy.code_attempt_limit;
            return Err(ServiceError::Rejected(Reason::PersonalKeyWrong { remaining }));
        }
        let key = if super::broken!(self, PersonalKeyKept) {
            entered.to_owned()
        } else {
            let (key, hash) = self.new_personal_key().await?;
            if !self.store.replace_personal_key(account_id, &old_hash, &hash).await? {
                // Another request used the same key first.
                return Err(ServiceError::Rejected(Reason::PersonalKeyWrong { remaining: 0 }));
            }
            self.rewrap_for_personal_key(account_id, entered, &key).await?;
            key
        };
        self.store.clear_failures(account_id).await?;
        if !super::broken!(self, PersonalKeyUseUntold) {
            self.notify(&account.email, &notices::personal_key_used(&self.link("/"))).await;
        }
        Ok(key)
    }
}
