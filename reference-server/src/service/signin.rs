//! The first sign-in step: email and password (SI-1 … SI-3).

use super::{Reason, ServiceError, ServiceResult, Services};
use crate::domain::Email;
use crate::store::Account;

impl Services {
    /// Checks email and password. Unknown addresses and wrong passwords get one answer and
    /// cost the same argon2 verification (SI-2); wrong passwords are limited per account
    /// (SI-3).
    pub async fn verify_password(&self, raw_email: &str, password: &str) -> ServiceResult<Account> {
        let now = self.clock.now();
        let account = match Email::parse(raw_email) {
            Ok(email) => self.store.account_by_email(&email).await?,
            Err(_) => None,
        };
        let Some(account) = account else {
            self.passwords.verify(password, &self.dummy_password_hash).await?;
            return Err(ServiceError::Rejected(Reason::CredentialsInvalid));
        };
        let p = &self.policy;
        let key = format!("password-failure:{}", account.id);
        self.check_limit(&key, p.password_attempt_limit, p.password_attempt_window_secs, now).await?;
        if !self.passwords.verify(password, &account.password_hash).await? {
            self.store.record_event(&key, now).await?;
            return Err(ServiceError::Rejected(Reason::CredentialsInvalid));
        }
        Ok(account)
    }
}
