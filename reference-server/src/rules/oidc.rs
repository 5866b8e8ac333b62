//! Rules of agency sign-in (OpenID Connect) that need no I/O: scopes and the attributes they
//! share, consent coverage, PKCE, pairwise subject identifiers, and the access-token hash.

use std::collections::BTreeSet;
use std::fmt;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::Mac;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Assurance level of an account that signed in with a password and a second factor.
pub const ACR_AUTH_ONLY: &str = "urn:acr.login.gov:auth-only";
/// Verified identity (IAL2): the person's identity was verified (IV-1).
pub const ACR_VERIFIED: &str = "urn:acr.login.gov:verified";

/// Something about the person an agency may ask for (a scope besides `openid`).
/// Registered in configuration by scope name (`email`, `profile:name`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Attribute {
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "phone")]
    Phone,
    /// Verified: `given_name` and `family_name`.
    #[serde(rename = "profile:name")]
    Name,
    /// Verified: `birthdate`.
    #[serde(rename = "profile:birthdate")]
    Birthdate,
    /// Verified: `address`.
    #[serde(rename = "address")]
    Address,
    /// Verified: `social_security_number`.
    #[serde(rename = "social_security_number")]
    Ssn,
}

impl Attribute {
    pub const ALL: [Attribute; 6] = [
        Attribute::Email,
        Attribute::Phone,
        Attribute::Name,
        Attribute::Birthdate,
        Attribute::Address,
        Attribute::Ssn,
    ];

    pub fn scope(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "phone",
            Self::Name => "profile:name",
            Self::Birthdate => "profile:birthdate",
            Self::Address => "address",
            Self::Ssn => "social_security_number",
        }
    }

    /// How the consent page names it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Email => "Email address",
            Self::Phone => "Phone number",
            Self::Name => "Name (verified)",
            Self::Birthdate => "Date of birth (verified)",
            Self::Address => "Address (verified)",
            Self::Ssn => "Social Security number (verified)",
        }
    }

    /// Only verified identity can give it (IV-1): asked for only with verified identity.
    pub fn verified(self) -> bool {
        !matches!(self, Self::Email | Self::Phone)
    }

    pub fn from_scope(scope: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.scope() == scope)
    }
}

impl fmt::Display for Attribute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.scope())
    }
}

pub type Attributes = BTreeSet<Attribute>;

/// Why a `scope` parameter cannot be served.
#[derive(Debug, PartialEq, Eq)]
pub enum ScopeProblem {
    MissingOpenid,
    Unknown(String),
    NotAllowed(Attribute),
}

/// The attributes a space-separated `scope` asks for, checked against what the agency is
/// registered for. `openid` is required; unknown scopes are refused rather than ignored, so an
/// agency never believes it was given something it was not.
pub fn requested_attributes(scope: &str, allowed: &Attributes) -> Result<Attributes, ScopeProblem> {
    let mut openid = false;
    let mut wanted = Attributes::new();
    for word in scope.split_ascii_whitespace() {
        if word == "openid" {
            openid = true;
            continue;
        }
        let attribute = Attribute::from_scope(word).ok_or_else(|| ScopeProblem::Unknown(word.to_owned()))?;
        if !allowed.contains(&attribute) {
            return Err(ScopeProblem::NotAllowed(attribute));
        }
        wanted.insert(attribute);
    }
    if !openid {
        return Err(ScopeProblem::MissingOpenid);
    }
    Ok(wanted)
}

/// Stored form of a set of attributes: sorted scope names, space-separated.
pub fn to_words(attributes: &Attributes) -> String {
    attributes.iter().map(|a| a.scope()).collect::<Vec<_>>().join(" ")
}

pub fn from_words(words: &str) -> Attributes {
    words.split_ascii_whitespace().filter_map(Attribute::from_scope).collect()
}

/// Consent given earlier covers a request only when it includes every attribute asked for
/// (AG-2): asking for more asks the person again.
pub fn consent_covers(granted: &Attributes, requested: &Attributes) -> bool {
    requested.is_subset(granted)
}

/// PKCE (RFC 7636) with S256: the verifier's SHA-256, base64url, equals the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let valid_verifier = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    valid_verifier
        && super::tokens::same(&URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())), challenge)
}

/// A challenge is 43 base64url characters (a SHA-256).
pub fn valid_challenge(challenge: &str) -> bool {
    challenge.len() == 43 && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// The subject identifier one agency sees for one account (AG-3): stable for the pair, and
/// different for each agency, so agencies cannot join their records on it.
pub fn pairwise_subject(key: &[u8], client_id: &str, account_id: i64) -> String {
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(client_id.as_bytes());
    mac.update(&[0]);
    mac.update(&account_id.to_be_bytes());
    let bytes = mac.finalize().into_bytes();
    // Shaped as a UUID for agencies that store subjects in UUID columns.
    let h = hex::encode(&bytes[..16]);
    format!("{}-{}-{}-{}-{}", &h[..8], &h[8..12], &h[12..16], &h[16..20], &h[20..])
}

/// `at_hash`: the left half of the access token's SHA-256, base64url (OpenID Connect Core 3.1.3.6).
pub fn access_token_hash(access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(access_token.as_bytes())[..16])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both() -> Attributes {
        Attribute::ALL.into_iter().collect()
    }

    #[test]
    fn scopes_need_openid_and_stay_within_the_registration() {
        let email_only: Attributes = [Attribute::Email].into();
        assert_eq!(requested_attributes("openid email", &both()), Ok(email_only.clone()));
        assert_eq!(requested_attributes("email", &both()), Err(ScopeProblem::MissingOpenid));
        assert_eq!(
            requested_attributes("openid phone", &email_only),
            Err(ScopeProblem::NotAllowed(Attribute::Phone))
        );
        assert_eq!(requested_attributes("openid ssn", &both()), Err(ScopeProblem::Unknown("ssn".into())));
        assert_eq!(from_words(&to_words(&both())), both());
    }

    #[test]
    fn consent_is_asked_again_for_more() {
        let email: Attributes = [Attribute::Email].into();
        assert!(consent_covers(&both(), &email));
        assert!(consent_covers(&email, &email));
        assert!(!consent_covers(&email, &both()));
    }

    #[test]
    fn pkce_s256_matches_the_rfc_example() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(valid_challenge(challenge));
        assert!(pkce_matches(verifier, challenge));
        assert!(!pkce_matches("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", challenge));
        assert!(!pkce_matches("short", challenge));
    }

    #[test]
    fn subjects_are_stable_per_agency_and_differ_between_agencies() {
        let key = [7u8; 32];
        let a = pairwise_subject(&key, "agency-a", 1);
        assert_eq!(a, pairwise_subject(&key, "agency-a", 1));
        assert_ne!(a, pairwise_subject(&key, "agency-b", 1));
        assert_ne!(a, pairwise_subject(&key, "agency-a", 2));
        assert_eq!(a.len(), 36);
    }
}
