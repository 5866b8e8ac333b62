//! Changing the account: password, email, phone, authenticator app (ST-1 … ST-6, PV-1).

use super::mfa::Delivery;
use super::{Reason, ServiceError, ServiceResult, Services};
use crate::delivery::notices;
use crate::domain::AccountId;
use crate::domain::Email;
use crate::domain::Phone;
use crate::policy::secs;
use crate::rules::tokens;
use crate::rules::totp::{self, TotpCheck};
use crate::sealing;
use crate::store::{Account, CodePurpose, LinkPurpose};

impl Services {
    async fn signed_in_account(&self, account_id: AccountId) -> ServiceResult<Account> {
        self.store.account(account_id).await?.ok_or(ServiceError::SignedOut { locked_until: None })
    }

    /// Whether `password` is the account's current password (ST-1).
    pub async fn current_password_matches(
        &self,
        account_id: AccountId,
        password: &str,
    ) -> ServiceResult<bool> {
        let account = self.signed_in_account(account_id).await?;
        Ok(self.passwords.verify(password, &account.password_hash).await?)
    }

    /// Sets a new password (the current one just checked), wrapping the verified identity's
    /// key under it too (PV-2).
    pub async fn change_password(
        &self,
        account_id: AccountId,
        current: &str,
        new_password: &str,
    ) -> ServiceResult<()> {
        self.check_new_password(new_password)?;
        let account = self.signed_in_account(account_id).await?;
        let hash = self.passwords.hash(new_password).await?;
        self.store.set_password(account_id, &hash).await?;
        if !super::broken!(self, PasswordChangeLosesIdentity) {
            self.rewrap_for_password(account_id, current, new_password).await?;
        }
        self.notify(&account.email, &notices::password_changed(&self.link("/"))).await;
        Ok(())
    }

    /// Sends a confirmation link to the new address and tells the old one (ST-4, PV-1).
    pub async fn request_email_change(&self, account_id: AccountId, raw_email: &str) -> ServiceResult<()> {
        let new_email = Email::parse(raw_email).map_err(|_| ServiceError::Rejected(Reason::InvalidEmail))?;
        let account = self.signed_in_account(account_id).await?;
        let now = self.clock.now();
        let p = &self.policy;
        self.limit(
            &format!("email-change:{account_id}"),
            p.confirmation_email_limit,
            p.confirmation_email_window_secs,
            now,
        )
        .await?;
        let token = tokens::new_token();
        let expires_at = now + secs(p.confirmation_link_lifetime_secs);
        self.store
            .create_email_link(
                LinkPurpose::ConfirmNewEmail,
                &new_email,
                Some(account_id),
                &tokens::digest(&token),
                now,
                expires_at,
            )
            .await?;
        let link = self.link(&format!("/account/email/confirm?token={token}"));
        self.send_mail(&new_email, &notices::confirm_new_email(&link, p.confirmation_link_lifetime_secs))
            .await?;
        self.notify(&account.email, &notices::email_change_requested(&new_email)).await;
        #[cfg(feature = "fixtures")]
        if super::broken!(
            self,
            NewEmailTakenAtRequest if self.store.set_email(account_id, &new_email).await?
        ) {
            self.instance_memory.remember_old_email(account_id, account.email);
        }
        Ok(())
    }

    /// Following the link makes the new address the sign-in address; both are told.
    pub async fn confirm_email_change(&self, token: &str) -> ServiceResult<Email> {
        let link = self.use_link(LinkPurpose::ConfirmNewEmail, token).await?;
        let account_id = link.account_id.ok_or(ServiceError::Rejected(Reason::LinkInvalid))?;
        let old = self.signed_in_account(account_id).await?.email;
        // The broken variant took the new address already; it still tells the one it replaced.
        #[cfg(feature = "fixtures")]
        let (old, taken) = match self.instance_memory.take_old_email(account_id) {
            Some(earlier) => (earlier, true),
            None => (old, false),
        };
        #[cfg(not(feature = "fixtures"))]
        let taken = false;
        if !taken && !self.store.set_email(account_id, &link.email).await? {
            return Err(ServiceError::Rejected(Reason::AlreadyRegistered));
        }
        for to in [&old, &link.email] {
            self.notify(to, &notices::email_changed(&link.email)).await;
        }
        Ok(link.email)
    }

    /// Sends a code to the new number at once (ST-5). Returns the normalized number.
    pub async fn start_phone_change(
        &self,
        account_id: AccountId,
        raw_phone: &str,
        delivery: Delivery,
    ) -> ServiceResult<Phone> {
        let number = Phone::parse(raw_phone).map_err(|_| ServiceError::Rejected(Reason::InvalidPhone))?;
        self.send_code(account_id, CodePurpose::ChangePhone, &number, delivery).await?;
        if super::broken!(self, NewPhoneTakenAtRequest) {
            self.store.set_phone(account_id, &number).await?;
        }
        Ok(number)
    }

    pub async fn confirm_phone_change(&self, account_id: AccountId, code: &str) -> ServiceResult<()> {
        let number = self.check_code(account_id, CodePurpose::ChangePhone, code).await?;
        let account = self.signed_in_account(account_id).await?;
        self.store.set_phone(account_id, &number).await?;
        self.notify(&account.email, &notices::phone_changed()).await;
        Ok(())
    }

    /// A new authenticator secret, sealed for the session until confirmed, with the base32
    /// secret and `otpauth://` URI to show.
    pub async fn start_authenticator(
        &self,
        account_id: AccountId,
    ) -> ServiceResult<(String, String, String)> {
        let account = self.signed_in_account(account_id).await?;
        let mut secret = totp::new_secret();
        if super::broken!(self, ShortAuthenticatorSecrets) {
            secret.truncate(8);
        }
        if super::broken!(self, OneAuthenticatorSecret) {
            secret = b"one secret for all".to_vec();
        }
        let (base32, uri) = totp::enrollment(&secret, &account.email);
        Ok((sealing::seal(&self.seal_key, &secret), base32, uri))
    }

    /// Keeps the authenticator once a code from it proves the person set it up.
    pub async fn confirm_authenticator(
        &self,
        account_id: AccountId,
        sealed: &str,
        code: &str,
    ) -> ServiceResult<()> {
        let secret = sealing::open(&self.seal_key, sealed)?;
        match totp::check(&secret, code, self.clock.now(), None) {
            TotpCheck::Valid(step) => Ok(self.store.set_authenticator(account_id, sealed, step).await?),
            _ => Err(ServiceError::Rejected(Reason::CodeWrong { remaining: self.policy.code_attempt_limit })),
        }
    }

    /// Signs in with an authenticator code (ST-6): each time step's code works once, and wrong
    /// codes count toward the lockout.
    pub async fn check_authenticator(&self, account_id: AccountId, code: &str) -> ServiceResult<()> {
        let now = self.clock.now();
        let seen = self.refuse_while_locked(account_id, now).await?;
        let (sealed, last_step) = self
            .store
            .authenticator(account_id)
            .await?
            .ok_or(ServiceError::Rejected(Reason::NoAuthenticator))?;
        let secret = sealing::open(&self.seal_key, &sealed)?;
        let reusable = super::broken!(self, AuthenticatorCodesReusable);
        match totp::check(&secret, code, now, if reusable { None } else { last_step }) {
            TotpCheck::Valid(step)
                if reusable || self.store.use_authenticator_step(account_id, step).await? =>
            {
                self.store.clear_failures(account_id).await?;
                Ok(())
            }
            TotpCheck::Valid(_) | TotpCheck::Replayed => Err(ServiceError::Rejected(Reason::CodeUsed)),
            TotpCheck::Wrong => Err(self
                .failed_attempt(account_id, seen, |remaining| Reason::CodeWrong { remaining })
                .await?),
        }
    }

    /// After a password reset, the first full sign-in issues a new personal key (PK-4).
    pub async fn reissue_personal_key_if_due(&self, account_id: AccountId) -> ServiceResult<Option<String>> {
        if !self.store.take_personal_key_reissue(account_id).await? {
            return Ok(None);
        }
        let (key, hash) = self.new_personal_key().await?;
        self.store.set_personal_key(account_id, &hash).await?;
        Ok(Some(key))
    }
}
