//! AG-1, client authentication with `private_key_jwt` (RFC 7523 section 3, OpenID Connect Core
//! section 9): what a client assertion must claim once its signature is verified. The
//! assertion names the agency as both issuer and subject, is addressed to this service, is
//! used within a short window, and carries a `jti` (which the store accepts only once).

use std::fmt;

use serde::Deserialize;
use time::{Duration, OffsetDateTime};

/// The longest an assertion may claim to stay valid: a longer one is refused.
pub const MAX_LIFETIME: Duration = Duration::minutes(10);
/// How far the agency's clock may run ahead of ours for `iat` and `nbf`.
pub const CLOCK_SKEW: Duration = Duration::minutes(1);

/// The claims judged here (the signature is checked before).
#[derive(Debug, Clone, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub sub: String,
    pub aud: Audience,
    pub exp: i64,
    pub iat: Option<i64>,
    pub nbf: Option<i64>,
    pub jti: Option<String>,
}

/// `aud`: one audience or several.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains_any(&self, accepted: &[String]) -> bool {
        match self {
            Self::One(aud) => accepted.contains(aud),
            Self::Many(auds) => auds.iter().any(|aud| accepted.contains(aud)),
        }
    }
}

/// An assertion that passed: its `jti`, to be accepted once until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    pub jti: String,
    pub expires_at: OffsetDateTime,
}

/// Why an assertion is refused (an `invalid_client` answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    NotFromTheClient,
    SubjectIsNotTheClient,
    WrongAudience,
    Expired,
    LivesTooLong,
    IssuedInTheFuture,
    NotYetValid,
    NoJti,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::NotFromTheClient => "The client assertion's iss must be the client id.",
            Self::SubjectIsNotTheClient => "The client assertion's sub must be the client id.",
            Self::WrongAudience => {
                "The client assertion's aud must be this service's token endpoint or issuer."
            }
            Self::Expired => "The client assertion has expired.",
            Self::LivesTooLong => "The client assertion's exp is more than 10 minutes away.",
            Self::IssuedInTheFuture => "The client assertion's iat is in the future.",
            Self::NotYetValid => "The client assertion is not valid yet (nbf).",
            Self::NoJti => "The client assertion has no jti.",
        })
    }
}

/// Judges `claims` of an assertion from `client_id`, for any of the `audiences`, at `now`.
pub fn check(
    claims: &Claims,
    client_id: &str,
    audiences: &[String],
    now: OffsetDateTime,
) -> Result<Accepted, Problem> {
    if claims.iss != client_id {
        return Err(Problem::NotFromTheClient);
    }
    if claims.sub != client_id {
        return Err(Problem::SubjectIsNotTheClient);
    }
    if !claims.aud.contains_any(audiences) {
        return Err(Problem::WrongAudience);
    }
    let at = |seconds: i64| OffsetDateTime::from_unix_timestamp(seconds).ok();
    let expires_at =
        at(claims.exp).ok_or(if claims.exp > 0 { Problem::LivesTooLong } else { Problem::Expired })?;
    if expires_at <= now {
        return Err(Problem::Expired);
    }
    if expires_at > now + MAX_LIFETIME {
        return Err(Problem::LivesTooLong);
    }
    if claims.iat.is_some_and(|iat| at(iat).is_none_or(|iat| iat > now + CLOCK_SKEW)) {
        return Err(Problem::IssuedInTheFuture);
    }
    if claims.nbf.is_some_and(|nbf| at(nbf).is_none_or(|nbf| nbf > now + CLOCK_SKEW)) {
        return Err(Problem::NotYetValid);
    }
    let jti = claims.jti.clone().filter(|j| !j.is_empty()).ok_or(Problem::NoJti)?;
    Ok(Accepted { jti, expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-01-01 12:00 UTC);
    const CLIENT: &str = "urn:gov:example:benefits";

    fn audiences() -> Vec<String> {
        vec!["https://idp.example/api/openid_connect/token".into(), "https://idp.example".into()]
    }

    fn claims() -> Claims {
        let now = NOW.unix_timestamp();
        Claims {
            iss: CLIENT.into(),
            sub: CLIENT.into(),
            aud: Audience::One("https://idp.example/api/openid_connect/token".into()),
            exp: now + 300,
            iat: Some(now),
            nbf: None,
            jti: Some("one".into()),
        }
    }

    fn judged(change: impl FnOnce(&mut Claims)) -> Result<Accepted, Problem> {
        let mut claims = claims();
        change(&mut claims);
        check(&claims, CLIENT, &audiences(), NOW)
    }

    #[test]
    fn a_fresh_assertion_from_the_client_to_this_service_passes() {
        let accepted = judged(|_| {}).unwrap();
        assert_eq!(accepted, Accepted { jti: "one".into(), expires_at: NOW + Duration::seconds(300) });
        assert!(
            judged(|c| c.aud = Audience::Many(vec!["other".into(), "https://idp.example".into()])).is_ok()
        );
    }

    #[test]
    fn each_claim_is_checked() {
        assert_eq!(judged(|c| c.iss = "someone-else".into()), Err(Problem::NotFromTheClient));
        assert_eq!(judged(|c| c.sub = "someone-else".into()), Err(Problem::SubjectIsNotTheClient));
        assert_eq!(
            judged(|c| c.aud = Audience::One("https://elsewhere".into())),
            Err(Problem::WrongAudience)
        );
        assert_eq!(judged(|c| c.jti = None), Err(Problem::NoJti));
        assert_eq!(judged(|c| c.jti = Some(String::new())), Err(Problem::NoJti));
        assert_eq!(judged(|c| c.exp = i64::MAX), Err(Problem::LivesTooLong));
    }

    #[test]
    fn the_window_edges() {
        let now = NOW.unix_timestamp();
        assert_eq!(judged(|c| c.exp = now), Err(Problem::Expired), "exp is exclusive");
        assert!(judged(|c| c.exp = now + 1).is_ok());
        assert!(judged(|c| c.exp = now + 600).is_ok());
        assert_eq!(judged(|c| c.exp = now + 601), Err(Problem::LivesTooLong));
        assert!(judged(|c| c.iat = Some(now + 60)).is_ok(), "a minute of clock skew");
        assert_eq!(judged(|c| c.iat = Some(now + 61)), Err(Problem::IssuedInTheFuture));
        assert!(judged(|c| c.nbf = Some(now + 60)).is_ok());
        assert_eq!(judged(|c| c.nbf = Some(now + 61)), Err(Problem::NotYetValid));
    }
}
