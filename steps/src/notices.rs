//! Security notices (PV-1) told apart by what their subject says.
//!
//! Each event has a pattern over the email's subject; a notice is read as an event when its
//! pattern matches and no other event's does, so "your email address was changed" is never
//! taken for "a change was requested". A target words its subjects its own way in
//! `[notices]` (`password_changed = "(?i)new password set"`), one regex per event it renames.

use std::collections::BTreeMap;

use regex::Regex;

use crate::inbox::Mail;

/// The account events the person is told about by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    SignUpAttempt,
    PersonalKeyUsed,
    PasswordChanged,
    EmailChangeRequested,
    EmailChanged,
    PhoneChanged,
    /// IV-2: the Post Office's result reached the service.
    InPersonPassed,
    InPersonFailed,
    InPersonExpired,
}

impl Notice {
    pub const ALL: [Self; 9] = [
        Self::SignUpAttempt,
        Self::PersonalKeyUsed,
        Self::PasswordChanged,
        Self::EmailChangeRequested,
        Self::EmailChanged,
        Self::PhoneChanged,
        Self::InPersonPassed,
        Self::InPersonFailed,
        Self::InPersonExpired,
    ];

    /// The name a target file uses in `[notices]`.
    pub fn name(self) -> &'static str {
        match self {
            Self::SignUpAttempt => "sign_up_attempt",
            Self::PersonalKeyUsed => "personal_key_used",
            Self::PasswordChanged => "password_changed",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChanged => "email_changed",
            Self::PhoneChanged => "phone_changed",
            Self::InPersonPassed => "in_person_passed",
            Self::InPersonFailed => "in_person_failed",
            Self::InPersonExpired => "in_person_expired",
        }
    }

    /// What a subject naming this event says, in plain English wordings.
    fn default_pattern(self) -> &'static str {
        match self {
            Self::SignUpAttempt => {
                r"(?i)(tried|attempt).*\b(create|creating|open|opening|sign up)\b.*account|account.*already exists"
            }
            Self::PersonalKeyUsed => r"(?i)personal key.*\bused\b|\bused\b.*personal key",
            Self::PasswordChanged => r"(?i)password\b.*\b(was|has been)\s+(changed|updated|reset)\b",
            Self::EmailChangeRequested => {
                r"(?i)\bchange\b.*\b(email|address)\b.*\b(requested|asked)\b|\b(request|requested|asked)\b.*\bto change\b.*\b(email|address)\b"
            }
            Self::EmailChanged => r"(?i)\b(email|address)\b.*\b(was|has been)\s+(changed|updated)\b",
            Self::PhoneChanged => r"(?i)\bphone\b.*\b(was|has been)\s+(changed|updated)\b",
            Self::InPersonPassed => {
                r"(?i)\b(identity|you)\b.*\b(was|were|has been|have been|is|are)\s+verified\b"
            }
            Self::InPersonFailed => {
                r"(?i)\b(could not|couldn't|cannot|can't|unable to|not)\s+(be\s+)?verif|\bverification\b.*\bfailed\b"
            }
            Self::InPersonExpired => r"(?i)\bdeadline\b.*\bpassed\b|\bexpired\b",
        }
    }
}

/// The patterns a run reads notices by: the defaults, with a target's own in place of some.
#[derive(Debug, Clone)]
pub struct NoticePatterns(Vec<(Notice, Regex)>);

impl NoticePatterns {
    /// The defaults, with `overrides` (event name → regex) in their place.
    pub fn new(overrides: &BTreeMap<String, String>) -> anyhow::Result<Self> {
        for name in overrides.keys() {
            anyhow::ensure!(
                Notice::ALL.iter().any(|n| n.name() == name),
                "notices: {name:?} is not one of {}",
                Notice::ALL.map(Notice::name).join(", ")
            );
        }
        let patterns = Notice::ALL
            .iter()
            .map(|notice| {
                let pattern = overrides.get(notice.name()).map_or(notice.default_pattern(), String::as_str);
                Regex::new(pattern)
                    .map(|regex| (*notice, regex))
                    .map_err(|e| anyhow::anyhow!("notices.{}: {e}", notice.name()))
            })
            .collect::<anyhow::Result<_>>()?;
        Ok(Self(patterns))
    }

    /// The events `subject` reads as.
    pub fn read(&self, subject: &str) -> Vec<Notice> {
        self.0.iter().filter(|(_, regex)| regex.is_match(subject)).map(|(notice, _)| *notice).collect()
    }

    /// Fails, saying what the email reads as, unless it names `expected` and nothing else.
    pub fn expect(&self, mail: &Mail, expected: Notice) -> anyhow::Result<()> {
        let read = self.read(&mail.subject);
        anyhow::ensure!(
            read == [expected],
            "expected an email about {}, got {:?}, which reads as {} (see [notices] in the target file to \
             match your wording)",
            expected.name(),
            mail.subject,
            if read.is_empty() {
                "no account event".to_owned()
            } else {
                read.iter().map(|n| n.name()).collect::<Vec<_>>().join(" and ")
            }
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> NoticePatterns {
        NoticePatterns::new(&BTreeMap::new()).unwrap()
    }

    #[test]
    fn each_wording_reads_as_one_event() {
        let cases = [
            ("Someone tried to create an account with your email address", Notice::SignUpAttempt),
            ("An account already exists for this address", Notice::SignUpAttempt),
            ("Your personal key was used to sign in", Notice::PersonalKeyUsed),
            ("Your password was changed", Notice::PasswordChanged),
            ("Your password has been updated", Notice::PasswordChanged),
            ("A change of your email address was requested", Notice::EmailChangeRequested),
            ("Someone asked to change your email address", Notice::EmailChangeRequested),
            ("Your email address was changed", Notice::EmailChanged),
            ("Your email address has been updated", Notice::EmailChanged),
            ("Your phone number was changed", Notice::PhoneChanged),
            ("Your identity was verified at the Post Office", Notice::InPersonPassed),
            ("You have been verified in person", Notice::InPersonPassed),
            ("Your identity could not be verified at the Post Office", Notice::InPersonFailed),
            ("In-person verification failed", Notice::InPersonFailed),
            ("Your Post Office visit deadline has passed", Notice::InPersonExpired),
            ("Your in-person enrollment expired", Notice::InPersonExpired),
        ];
        for (subject, expected) in cases {
            assert_eq!(defaults().read(subject), [expected], "{subject}");
        }
    }

    #[test]
    fn other_mail_reads_as_no_event() {
        for subject in ["Confirm your email address", "Reset your password", "Confirm your new email address"]
        {
            assert_eq!(defaults().read(subject), [], "{subject}");
        }
    }

    #[test]
    fn a_target_words_its_own_and_bad_names_or_patterns_are_refused() {
        let own = BTreeMap::from([("password_changed".to_owned(), "(?i)new password set".to_owned())]);
        let patterns = NoticePatterns::new(&own).unwrap();
        assert_eq!(patterns.read("New password set"), [Notice::PasswordChanged]);
        assert_eq!(patterns.read("Your password was changed"), []);
        let unknown = BTreeMap::from([("password_chnaged".to_owned(), "x".to_owned())]);
        assert!(NoticePatterns::new(&unknown).unwrap_err().to_string().contains("password_changed"));
        let broken = BTreeMap::from([("phone_changed".to_owned(), "(".to_owned())]);
        assert!(NoticePatterns::new(&broken).unwrap_err().to_string().contains("notices.phone_changed"));
    }
}
