//! The words of every email the service sends. Emails are only about account security (PV-1).

/// An email's subject and plain-text body; the HTML part is derived from the text.
#[derive(Debug, Clone)]
pub struct Notice {
    pub subject: String,
    pub text: String,
}

impl Notice {
    /// The text as simple HTML: paragraphs, with links made clickable.
    pub fn html(&self) -> String {
        let paragraphs: String = self
            .text
            .split("\n\n")
            .map(|p| {
                let p = escape(p.trim());
                let linked = p
                    .split(' ')
                    .map(|w| {
                        if w.starts_with("http://") || w.starts_with("https://") {
                            format!(r#"<a href="{w}">{w}</a>"#)
                        } else {
                            w.to_owned()
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ");
                format!("<p>{}</p>", linked.replace('\n', "<br>"))
            })
            .collect();
        format!("<!doctype html><html><body style=\"font-family:sans-serif\">{paragraphs}</body></html>")
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn hours_or_minutes(secs: u64) -> String {
    match secs {
        s if s % 3600 == 0 && s >= 3600 => format!("{} hour{}", s / 3600, if s == 3600 { "" } else { "s" }),
        s => format!("{} minute{}", s.div_ceil(60), if s <= 60 { "" } else { "s" }),
    }
}

pub fn confirm_email(link: &str, lifetime_secs: u64) -> Notice {
    Notice {
        subject: "Confirm your email address".into(),
        text: format!(
            "Someone, hopefully you, started creating an account with this email address.\n\n\
             To confirm the address and continue, open this link:\n{link}\n\n\
             The link works once and for {}. If you did not ask for this, ignore this email: \
             no account is created without the link.",
            hours_or_minutes(lifetime_secs)
        ),
    }
}

pub fn sign_up_attempt_for_existing_account(sign_in_url: &str, reset_url: &str, report_url: &str) -> Notice {
    Notice {
        subject: "Someone tried to create an account with your email address".into(),
        text: format!(
            "Someone tried to create a new account with this email address, which already has an account.\n\n\
             If it was you, sign in at {sign_in_url}\n\n\
             If you forgot your password, reset it at {reset_url}\n\n\
             If it was not you, your account is unchanged. To tell us someone is using your address, \
             open {report_url}"
        ),
    }
}

pub fn personal_key_used(sign_in_url: &str) -> Notice {
    Notice {
        subject: "Your personal key was used to sign in".into(),
        text: format!(
            "Your personal key was just used to sign in to your account, and a new personal key was issued. \
             The old key no longer works.\n\n\
             If this was you, keep the new key somewhere safe, away from your phone.\n\n\
             If it was not you, sign in at {sign_in_url} and change your password right away."
        ),
    }
}

pub fn reset_password(link: &str, lifetime_secs: u64) -> Notice {
    Notice {
        subject: "Reset your password".into(),
        text: format!(
            "Someone, hopefully you, asked to reset the password of the account for this email address.\n\n\
             To choose a new password, open this link:\n{link}\n\n\
             The link works once and for {}. You will still need your phone or personal key to sign in. \
             If you did not ask for this, ignore this email: your password stays as it is.",
            hours_or_minutes(lifetime_secs)
        ),
    }
}

pub fn password_changed(sign_in_url: &str) -> Notice {
    Notice {
        subject: "Your password was changed".into(),
        text: format!(
            "The password of your account was just changed.\n\n\
             If this was you, there is nothing more to do.\n\n\
             If it was not you, reset your password at {sign_in_url}password/forgot right away."
        ),
    }
}

pub fn confirm_new_email(link: &str, lifetime_secs: u64) -> Notice {
    Notice {
        subject: "Confirm your new email address".into(),
        text: format!(
            "Someone asked to make this the sign-in email address of their account.\n\n\
             To confirm it, open this link:\n{link}\n\n\
             The link works once and for {}. Until then the old address stays in use.",
            hours_or_minutes(lifetime_secs)
        ),
    }
}

pub fn email_change_requested(new_email: &str) -> Notice {
    Notice {
        subject: "A change of your email address was requested".into(),
        text: format!(
            "Someone signed in to your account asked to change its email address to {new_email}.\n\n\
             Nothing changes until that address is confirmed. If this was not you, change your password now."
        ),
    }
}

pub fn email_changed(new_email: &str) -> Notice {
    Notice {
        subject: "Your email address was changed".into(),
        text: format!(
            "The sign-in email address of your account is now {new_email}.\n\n\
             If this was not you, contact us right away."
        ),
    }
}

pub fn phone_changed() -> Notice {
    Notice {
        subject: "Your phone number was changed".into(),
        text: "The phone number where your account gets its security codes was just changed.\n\n\
               If this was not you, sign in and change your password right away."
            .into(),
    }
}

/// IV-2: the Post Office's result, once it reached the service.
pub fn in_person_result(passed: bool, expired: bool, account_url: &str) -> Notice {
    let (subject, text) = match (passed, expired) {
        (true, _) => (
            "Your identity was verified at the Post Office",
            "The Post Office confirmed your identity. Agencies that need a verified identity can now \
             receive the details you agree to share with them.",
        ),
        (false, true) => (
            "Your Post Office visit deadline has passed",
            "Your identity was not verified in person before the deadline, so your enrollment has \
             ended and the details you entered were deleted. You can start again, online or at a Post Office.",
        ),
        (false, false) => (
            "Your identity could not be verified at the Post Office",
            "The Post Office could not confirm your identity, so the details you entered were deleted. \
             You can try again, online or at a Post Office.",
        ),
    };
    Notice { subject: subject.into(), text: format!("{text}\n\nSee your account: {account_url}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_and_links() {
        let n = Notice { subject: "s".into(), text: "a <b> & c\n\nopen https://x.test/a?b=1&c=2 now".into() };
        let html = n.html();
        assert!(html.contains("a &lt;b&gt; &amp; c"));
        assert!(html.contains(r#"<a href="https://x.test/a?b=1&amp;c=2">"#), "{html}");
    }

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(hours_or_minutes(86_400), "24 hours");
        assert_eq!(hours_or_minutes(3_600), "1 hour");
        assert_eq!(hours_or_minutes(1_800), "30 minutes");
        assert_eq!(hours_or_minutes(90), "2 minutes");
    }
}
