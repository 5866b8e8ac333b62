//! Creating an account: email, confirmation link, password (SU-*, PW-*).

use crate::delivery::notices;
use crate::domain::AccountId;
use crate::domain::Email;
use crate::policy::secs;
use crate::rules::{password, tokens};
use crate::store::{EmailLink, LinkPurpose};

use std::net::IpAddr;

use super::{PerClient, Reason, ServiceError, ServiceResult, Services};

/// How long the link to report misuse works (a notice may be read days later).
const MISUSE_REPORT_LINK_LIFETIME: time::Duration = time::Duration::days(30);

impl Services {
    /// Sends a confirmation link to `raw_email`, or, when the address already has an account,
    /// tells its owner. Both look the same to the caller (SU-5). Returns the normalized address.
    pub async fn start_sign_up(&self, client: Option<IpAddr>, raw_email: &str) -> ServiceResult<Email> {
        let email = Email::parse(raw_email).map_err(|_| ServiceError::Rejected(Reason::InvalidEmail))?;
        self.send_confirmation(client, &email).await?;
        Ok(email)
    }

    /// "Send again" (SU-3): a new link; older ones stop working.
    pub async fn resend_confirmation(&self, client: Option<IpAddr>, email: &Email) -> ServiceResult<()> {
        self.send_confirmation(client, email).await
    }

    async fn send_confirmation(&self, client: Option<IpAddr>, email: &Email) -> ServiceResult<()> {
        let now = self.clock.now();
        let p = &self.policy;
        if let Some((key, limit, window)) = self.per_client(client, PerClient::Emails) {
            self.limit(&key, limit, window, now).await?;
        }
        self.limit(
            &self.address_key("confirmation-email", email),
            p.confirmation_email_limit,
            p.confirmation_email_window_secs,
            now,
        )
        .await?;
        let notice = if let Some(account) = self.store.account_by_email(email).await? {
            // SU-7: the notice carries a link to say the address is being misused.
            let token = tokens::new_token();
            let expires_at = now + MISUSE_REPORT_LINK_LIFETIME;
            self.store
                .create_email_link(
                    LinkPurpose::ReportMisuse,
                    email,
                    Some(account.id),
                    &tokens::digest(&token),
                    now,
                    expires_at,
                )
                .await?;
            notices::sign_up_attempt_for_existing_account(
                &self.link("/"),
                &self.link("/password/forgot"),
                &self.link(&format!("/report-misuse?token={token}")),
            )
        } else {
            let token = tokens::new_token();
            let expires_at = now + secs(p.confirmation_link_lifetime_secs);
            self.store
                .create_email_link(
                    LinkPurpose::ConfirmSignUp,
                    email,
                    None,
                    &tokens::digest(&token),
                    now,
                    expires_at,
                )
                .await?;
            notices::confirm_email(
                &self.link(&format!("/sign-up/confirm?token={token}")),
                p.confirmation_link_lifetime_secs,
            )
        };
        self.send_mail(email, &notice).await
    }

    /// A link to report misuse: any one the service sent and not expired (a notice about an
    /// earlier attempt still works after a later one).
    pub async fn misuse_report_link(&self, token: &str) -> ServiceResult<EmailLink> {
        let Some(link) =
            self.store.email_link(LinkPurpose::ReportMisuse, &tokens::digest(token.trim())).await?
        else {
            return Err(ServiceError::Rejected(Reason::LinkInvalid));
        };
        if self.clock.now() >= link.expires_at {
            return Err(ServiceError::Rejected(Reason::LinkExpired));
        }
        Ok(link)
    }

    /// Receives a report that someone is misusing an address (SU-7); returns its reference.
    /// The same link reported again gets the same reference.
    pub async fn report_misuse(&self, token: &str) -> ServiceResult<String> {
        let link = self.misuse_report_link(token).await?;
        let account_id = link.account_id.ok_or(ServiceError::Rejected(Reason::LinkInvalid))?;
        let new_reference = if super::broken!(self, OneReferenceForAllReports) {
            "SAME-0000".into()
        } else {
            tokens::new_reference()
        };
        let reference =
            self.store.record_misuse_report(link.id, account_id, &new_reference, self.clock.now()).await?;
        tracing::warn!(account = %account_id, %reference, "misuse of an address reported");
        Ok(reference)
    }

    /// Uses a confirmation link: it must be the newest, unused and unexpired (SU-3, SU-6).
    /// Returns the confirmed address.
    pub async fn confirm_sign_up(&self, token: &str) -> ServiceResult<Email> {
        let link = self.use_link(LinkPurpose::ConfirmSignUp, token).await?;
        if self.store.account_by_email(&link.email).await?.is_some() {
            return Err(ServiceError::Rejected(Reason::AlreadyRegistered));
        }
        Ok(link.email)
    }

    /// The link for `token` if it is the newest of its kind, unused and unexpired.
    pub async fn usable_link(&self, purpose: LinkPurpose, token: &str) -> ServiceResult<EmailLink> {
        let now = self.clock.now();
        let rejected = |reason| Err(ServiceError::Rejected(reason));
        let Some(link) = self.store.email_link(purpose, &tokens::digest(token.trim())).await? else {
            return rejected(Reason::LinkInvalid);
        };
        if link.used_at.is_some() {
            return rejected(Reason::LinkUsed);
        }
        if link.superseded_at.is_some() {
            return rejected(Reason::LinkSuperseded);
        }
        if now >= link.expires_at {
            return rejected(Reason::LinkExpired);
        }
        Ok(link)
    }

    /// Uses a link once: [`Self::usable_link`], then marked used atomically.
    pub(crate) async fn use_link(&self, purpose: LinkPurpose, token: &str) -> ServiceResult<EmailLink> {
        let link = self.usable_link(purpose, token).await?;
        if !self.store.use_email_link(link.id, self.clock.now()).await? {
            return Err(ServiceError::Rejected(Reason::LinkUsed));
        }
        Ok(link)
    }

    /// Refuses a new password that breaks PW-1 … PW-4.
    pub(crate) fn check_new_password(&self, new_password: &str) -> ServiceResult<()> {
        password::check(new_password, &self.policy, &self.common_passwords).map_err(|problem| {
            ServiceError::Rejected(match problem {
                password::PasswordProblem::TooShort { min } => Reason::PasswordTooShort { min },
                password::PasswordProblem::TooLong { max } => Reason::PasswordTooLong { max },
                password::PasswordProblem::Common => Reason::PasswordCommon,
                password::PasswordProblem::ControlCharacters => Reason::PasswordControlCharacters,
            })
        })
    }

    /// Creates the account for a confirmed address with a password that follows the rules.
    pub async fn create_account(&self, email: &Email, new_password: &str) -> ServiceResult<AccountId> {
        self.check_new_password(new_password)?;
        let hash = self.passwords.hash(new_password).await?;
        let now = self.clock.now();
        self.store
            .create_account(email, &hash, now)
            .await?
            .ok_or(ServiceError::Rejected(Reason::AlreadyRegistered))
    }
}
