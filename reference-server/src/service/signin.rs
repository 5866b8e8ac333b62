//! The first sign-in step: email and password (SI-1 … SI-3).

use std::net::IpAddr;

use super::{PerClient, Reason, ServiceError, ServiceResult, Services};
use crate::domain::{AccountId, Email};
use crate::store::Account;

impl Services {
    /// Checks email and password. Unknown addresses and wrong passwords get one answer and
    /// cost the same argon2 verification (SI-2); wrong passwords are limited per address
    /// (SI-3), whether or not it has an account, so the limit tells nobody which addresses do.
    /// With `[limits] per_client_wrong_passwords`, a client address is also limited across
    /// every address it tries (password spraying).
    pub async fn verify_password(
        &self,
        client: Option<IpAddr>,
        raw_email: &str,
        password: &str,
    ) -> ServiceResult<Account> {
        let now = self.clock.now();
        let (address, account) = match Email::parse(raw_email) {
            Ok(email) => (email.to_string(), self.store.account_by_email(&email).await?),
            Err(_) => (raw_email.trim().to_lowercase(), None),
        };
        let p = &self.policy;
        let key = self.address_key("password-failure", &address);
        let per_client = self.per_client(client, PerClient::WrongPasswords);
        if let Some((client_key, limit, window)) = &per_client {
            self.check_limit(client_key, *limit, *window, now).await?;
        }
        self.check_limit(&key, p.password_attempt_limit, p.password_attempt_window_secs, now).await?;
        let matches = match &account {
            Some(account) => self.passwords.verify(password, &account.password_hash).await?,
            None => self.passwords.verify(password, &self.dummy_password_hash.get().await?).await?,
        };
        match account {
            Some(account) if matches => {
                if super::broken!(
                    self,
                    NewsletterAfterAWeek if now - account.created_at >= time::Duration::days(7)
                ) {
                    let tips = crate::delivery::notices::Notice {
                        subject: "Five tips to get more from your account".into(),
                        text: "Did you know you can share your account with more agencies? Read our tips."
                            .into(),
                    };
                    self.notify(&account.email, &tips).await;
                }
                Ok(account)
            }
            _ => {
                self.store.record_event(&key, now).await?;
                if let Some((client_key, _, _)) = &per_client {
                    self.store.record_event(client_key, now).await?;
                }
                Err(ServiceError::Rejected(Reason::CredentialsInvalid))
            }
        }
    }

    /// A wrong current password in settings (ST-2) also counts against the account's
    /// sign-in limit (SI-3): otherwise a stolen session could guess without that limit.
    pub async fn count_wrong_password(&self, account_id: AccountId) -> ServiceResult<()> {
        if let Some(account) = self.store.account(account_id).await? {
            let key = self.address_key("password-failure", &account.email);
            self.store.record_event(&key, self.clock.now()).await?;
        }
        Ok(())
    }
}
