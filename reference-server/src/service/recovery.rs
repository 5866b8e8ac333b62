//! Forgotten passwords (PR-1 … PR-3, PK-4).

use std::net::IpAddr;

use super::{PerClient, ServiceError, ServiceResult, Services};
use crate::delivery::notices;
use crate::domain::Email;
use crate::policy::secs;
use crate::rules::tokens;
use crate::service::Reason;
use crate::store::LinkPurpose;

impl Services {
    /// Emails a reset link when the address has an account; the answer is the same either
    /// way (PR-2), and so is the limit on requests.
    pub async fn request_password_reset(&self, client: Option<IpAddr>, raw_email: &str) -> ServiceResult<()> {
        let email = Email::parse(raw_email).map_err(|_| ServiceError::Rejected(Reason::InvalidEmail))?;
        let now = self.clock.now();
        let p = &self.policy;
        if let Some((key, limit, window)) = self.per_client(client, PerClient::Emails) {
            self.limit(&key, limit, window, now).await?;
        }
        self.limit(
            &self.address_key("reset-email", &email),
            p.confirmation_email_limit,
            p.confirmation_email_window_secs,
            now,
        )
        .await?;
        let Some(account) = self.store.account_by_email(&email).await? else { return Ok(()) };
        let token = tokens::new_token();
        let expires_at = now + secs(p.reset_link_lifetime_secs);
        self.store
            .create_email_link(
                LinkPurpose::ResetPassword,
                &email,
                Some(account.id),
                &tokens::digest(&token),
                now,
                expires_at,
            )
            .await?;
        let notice = notices::reset_password(
            &self.link(&format!("/password/reset?token={token}")),
            p.reset_link_lifetime_secs,
        );
        self.send_mail(&email, &notice).await
    }

    /// Sets a new password through a reset link. The person still signs in with a second
    /// factor afterwards, and that sign-in issues a new personal key (PK-4).
    pub async fn reset_password(&self, token: &str, new_password: &str) -> ServiceResult<()> {
        let link = self.usable_link(LinkPurpose::ResetPassword, token).await?;
        self.check_new_password(new_password)?;
        let account_id = link.account_id.ok_or(ServiceError::Rejected(Reason::LinkInvalid))?;
        let hash = self.passwords.hash(new_password).await?;
        self.use_link(LinkPurpose::ResetPassword, token).await?;
        self.store.set_password(account_id, &hash).await?;
        // PR-4: the old password's key is gone; the verified identity waits for the personal key.
        if !super::broken!(self, ResetKeepsIdentity) {
            self.store.deactivate_profile(account_id).await?;
        }
        if !super::broken!(self, NoKeyAfterReset) {
            self.store.mark_personal_key_reissue(account_id).await?;
        }
        self.notify(&link.email, &notices::password_changed(&self.link("/"))).await;
        Ok(())
    }

    /// Queues a security notice; a failure to queue it is logged, not shown (the change
    /// itself is done).
    pub(crate) async fn notify(&self, to: &str, notice: &notices::Notice) {
        if let Err(error) = self.send_mail(to, notice).await {
            tracing::error!(%error, subject = %notice.subject, "security notice not queued");
        }
    }
}
