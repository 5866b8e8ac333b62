//! Faults a team switches on over the inbox API to check its own retries (as Mailpit's chaos
//! options): the next SMTP commands answered with an error, messages accepted and then lost,
//! the SMS API failing or slow. Each count is spent as the faults happen; `DELETE /api/faults`
//! ends them all.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// The SMTP step a mail fault answers at.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpStage {
    /// `MAIL FROM`.
    Mail,
    /// Each `RCPT TO`.
    Rcpt,
    /// The end of `DATA`: the whole message was sent, then refused.
    #[default]
    Data,
}

/// Mail faults (`PUT /api/faults/smtp`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmtpFaults {
    /// The next this many commands at `stage` are answered with `code`.
    pub fail_next: u32,
    /// 4xx (try again later) or 5xx (permanent). Default 451.
    pub code: u16,
    pub stage: SmtpStage,
    /// The next this many messages are accepted (250) and never reach the inbox.
    pub drop_next: u32,
}

/// SMS and voice faults (`PUT /api/faults/sms`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsFaults {
    /// The next this many requests to create a text or call fail with HTTP `status` and the
    /// matching Twilio error (429: 20429, 503: 20503, else 500: 20500).
    pub fail_next: u32,
    pub status: u16,
    /// The next this many texts or calls are accepted, reported delivered, and never arrive.
    pub drop_next: u32,
    /// Every answer of the provider API waits this long, until changed.
    pub delay_ms: u64,
}

/// Both sets, shared by the servers and the API.
#[derive(Debug, Default)]
pub struct Faults {
    pub smtp: Mutex<SmtpFaults>,
    pub sms: Mutex<SmsFaults>,
}

/// What to do with one SMTP command or message.
#[derive(Debug, PartialEq, Eq)]
pub enum MailFault {
    Fail(u16),
    Drop,
}

fn spend(count: &mut u32) -> bool {
    let left = *count > 0;
    *count = count.saturating_sub(1);
    left
}

impl Faults {
    pub fn set_smtp(&self, mut faults: SmtpFaults) -> Result<(), String> {
        if faults.code == 0 {
            faults.code = 451;
        }
        if !(400..600).contains(&faults.code) {
            return Err(format!("code {} is not an SMTP error (4xx or 5xx)", faults.code));
        }
        *self.smtp.lock().expect("faults lock") = faults;
        Ok(())
    }

    pub fn set_sms(&self, mut faults: SmsFaults) -> Result<(), String> {
        if faults.status == 0 {
            faults.status = 500;
        }
        if !(400..600).contains(&faults.status) {
            return Err(format!("status {} is not an HTTP error (4xx or 5xx)", faults.status));
        }
        *self.sms.lock().expect("faults lock") = faults;
        Ok(())
    }

    pub fn clear(&self) {
        *self.smtp.lock().expect("faults lock") = SmtpFaults::default();
        *self.sms.lock().expect("faults lock") = SmsFaults::default();
    }

    pub fn snapshot(&self) -> (SmtpFaults, SmsFaults) {
        (self.smtp.lock().expect("faults lock").clone(), self.sms.lock().expect("faults lock").clone())
    }

    /// Called at each SMTP `stage`; at the end of `DATA` a message may also be dropped.
    pub fn mail_at(&self, stage: SmtpStage) -> Option<MailFault> {
        let mut f = self.smtp.lock().expect("faults lock");
        if f.stage == stage && spend(&mut f.fail_next) {
            return Some(MailFault::Fail(f.code));
        }
        (stage == SmtpStage::Data && spend(&mut f.drop_next)).then_some(MailFault::Drop)
    }

    /// Called for each request to create a text or call: the HTTP status and Twilio error
    /// code to fail it with, while `fail_next` lasts.
    pub fn sms_failure(&self) -> Option<(u16, u32)> {
        let mut f = self.sms.lock().expect("faults lock");
        spend(&mut f.fail_next).then(|| {
            let code = match f.status {
                429 => 20429,
                503 => 20503,
                _ => 20500,
            };
            (f.status, code)
        })
    }

    /// Called for each text or call accepted: whether it is to be lost.
    pub fn sms_drop(&self) -> bool {
        spend(&mut self.sms.lock().expect("faults lock").drop_next)
    }

    /// How long every provider answer waits.
    pub fn sms_delay(&self) -> Duration {
        Duration::from_millis(self.sms.lock().expect("faults lock").delay_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_is_spent_once_and_at_its_stage() {
        let faults = Faults::default();
        faults
            .set_smtp(SmtpFaults { fail_next: 2, stage: SmtpStage::Rcpt, drop_next: 1, ..Default::default() })
            .unwrap();
        assert_eq!(faults.mail_at(SmtpStage::Mail), None);
        assert_eq!(faults.mail_at(SmtpStage::Rcpt), Some(MailFault::Fail(451)));
        assert_eq!(faults.mail_at(SmtpStage::Rcpt), Some(MailFault::Fail(451)));
        assert_eq!(faults.mail_at(SmtpStage::Rcpt), None);
        assert_eq!(faults.mail_at(SmtpStage::Data), Some(MailFault::Drop));
        assert_eq!(faults.mail_at(SmtpStage::Data), None);
    }

    #[test]
    fn sms_failures_carry_twilio_codes() {
        let faults = Faults::default();
        faults.set_sms(SmsFaults { fail_next: 1, status: 429, drop_next: 1, ..Default::default() }).unwrap();
        assert_eq!(faults.sms_failure(), Some((429, 20429)));
        assert_eq!(faults.sms_failure(), None);
        assert!(faults.sms_drop());
        assert!(!faults.sms_drop());
    }

    #[test]
    fn codes_that_are_not_errors_are_refused() {
        let faults = Faults::default();
        assert!(faults.set_smtp(SmtpFaults { fail_next: 1, code: 250, ..Default::default() }).is_err());
        assert!(faults.set_sms(SmsFaults { fail_next: 1, status: 201, ..Default::default() }).is_err());
    }
}
