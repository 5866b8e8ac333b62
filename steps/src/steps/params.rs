//! The scenarios' words for kinds of things, parsed once into types: how a code is delivered,
//! why a code, link or password is refused, and how an agency's exchange goes wrong. Each is a
//! cucumber parameter (`{delivery}`, …) and parses from a regex capture too; a phrase outside
//! the list fails the step, naming the phrases known.

use std::str::FromStr;

use cucumber::Parameter;

use crate::agency::{ClientAuth, Exchange, RedirectUri, Verifier};
use crate::driver::Delivery;

/// Finds `words` among `(phrase, value)` pairs.
fn one_of<T: Copy>(words: &str, known: &[(&str, T)]) -> Result<T, String> {
    known.iter().find(|(phrase, _)| *phrase == words).map(|(_, value)| *value).ok_or_else(|| {
        let phrases: Vec<&str> = known.iter().map(|(phrase, _)| *phrase).collect();
        format!("{words:?} is none of {}", phrases.join(", "))
    })
}

/// "text message" or "voice call".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(name = "delivery", regex = "text message|voice call")]
pub struct By(pub Delivery);

impl By {
    pub const TEXT: By = By(Delivery::Sms);

    /// The inbox channel the code arrives on.
    pub fn channel(self) -> &'static str {
        match self.0 {
            Delivery::Sms => "sms",
            Delivery::Voice => "voice",
        }
    }
}

impl FromStr for By {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, String> {
        one_of(words, &[("text message", By(Delivery::Sms)), ("voice call", By(Delivery::Voice))])
    }
}

/// Why an entered security code is refused, as its reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(name = "code_refusal", regex = "wrong|expired|already used|replaced by a newer code")]
pub struct CodeRefusal(pub &'static str);

impl FromStr for CodeRefusal {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, String> {
        one_of(
            words,
            &[
                ("wrong", CodeRefusal("code_wrong")),
                ("expired", CodeRefusal("code_expired")),
                ("already used", CodeRefusal("code_used")),
                ("replaced by a newer code", CodeRefusal("code_superseded")),
            ],
        )
    }
}

/// Why an emailed link is refused, as its reason code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(name = "link_refusal", regex = "expired|already used|replaced by a newer link|not valid")]
pub struct LinkRefusal(pub &'static str);

impl FromStr for LinkRefusal {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, String> {
        one_of(
            words,
            &[
                ("expired", LinkRefusal("link_expired")),
                ("already used", LinkRefusal("link_used")),
                ("replaced by a newer link", LinkRefusal("link_superseded")),
                ("not valid", LinkRefusal("link_invalid")),
            ],
        )
    }
}

/// What is said of a chosen password: accepted, or refused for a reason (its reason code).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(
    name = "password_verdict",
    regex = "accepted|refused as too short|refused as too long|refused as too common"
)]
pub struct PasswordVerdict(pub Option<&'static str>);

impl FromStr for PasswordVerdict {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, String> {
        one_of(
            words,
            &[
                ("accepted", PasswordVerdict(None)),
                ("refused as too short", PasswordVerdict(Some("password_too_short"))),
                ("refused as too long", PasswordVerdict(Some("password_too_long"))),
                ("refused as too common", PasswordVerdict(Some("password_common"))),
            ],
        )
    }
}

/// How an agency's code exchange is spoiled: its PKCE verifier, its client authentication or
/// the return address it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Parameter)]
#[param(
    name = "bad_exchange",
    regex = "with a wrong PKCE verifier|without its PKCE verifier|with a PKCE verifier it never committed to|with a client assertion signed by another key|with a client assertion for another audience|replaying its client assertion|with a client assertion that has expired|with a client assertion that claims to last an hour|with a client assertion not valid for another hour|with a client assertion issued five minutes from now|naming another return address|without naming its return address"
)]
pub struct BadExchange(pub Exchange);

impl FromStr for BadExchange {
    type Err = String;

    fn from_str(words: &str) -> Result<Self, String> {
        let ok = Exchange::AS_REGISTERED;
        let verifier = |verifier| BadExchange(Exchange { verifier, ..ok });
        let auth = |auth| BadExchange(Exchange { auth, ..ok });
        let redirect_uri = |redirect_uri| BadExchange(Exchange { redirect_uri, ..ok });
        one_of(
            words,
            &[
                ("with a wrong PKCE verifier", verifier(Verifier::Wrong)),
                ("without its PKCE verifier", verifier(Verifier::Missing)),
                ("with a PKCE verifier it never committed to", verifier(Verifier::Unrequested)),
                ("with a client assertion signed by another key", auth(ClientAuth::WrongKey)),
                ("with a client assertion for another audience", auth(ClientAuth::WrongAudience)),
                ("replaying its client assertion", auth(ClientAuth::ReplayedAssertion)),
                ("with a client assertion that has expired", auth(ClientAuth::ExpiredAssertion)),
                ("with a client assertion that claims to last an hour", auth(ClientAuth::LongLivedAssertion)),
                (
                    "with a client assertion not valid for another hour",
                    auth(ClientAuth::NotYetValidAssertion),
                ),
                (
                    "with a client assertion issued five minutes from now",
                    auth(ClientAuth::IssuedLaterAssertion),
                ),
                ("naming another return address", redirect_uri(RedirectUri::Another)),
                ("without naming its return address", redirect_uri(RedirectUri::Omitted)),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every phrase a parameter's regex admits parses, and nothing else does: the regex and
    /// the table cannot drift apart.
    fn agrees<T: FromStr + cucumber::Parameter>() {
        for phrase in T::REGEX.split('|') {
            assert!(phrase.parse::<T>().is_ok(), "{} admits {phrase:?} but cannot parse it", T::NAME);
        }
        assert!("something else".parse::<T>().is_err());
    }

    #[test]
    fn regexes_and_tables_agree() {
        agrees::<By>();
        agrees::<CodeRefusal>();
        agrees::<LinkRefusal>();
        agrees::<PasswordVerdict>();
        agrees::<BadExchange>();
    }
}
