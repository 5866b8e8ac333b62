//! Authenticator apps (ST-6): TOTP per RFC 6238 — SHA-1, 6 digits, 30-second steps, one step
//! of tolerance either way — and refusal of a code whose step was already used.

use time::OffsetDateTime;
use totp_rs::{Algorithm, TOTP};

use super::tokens;

pub const STEP_SECS: u64 = 30;
pub const ISSUER: &str = "Sign-in service";

/// A new 160-bit secret, as RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    rand::random::<[u8; 20]>().to_vec()
}

fn totp(secret: &[u8], account: &str) -> TOTP {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        6,
        1,
        STEP_SECS,
        secret.to_vec(),
        Some(ISSUER.to_owned()),
        account.to_owned(),
    )
}

/// The secret in base32 (what a person types into the app) and the `otpauth://` URI (what a
/// QR code carries).
pub fn enrollment(secret: &[u8], account: &str) -> (String, String) {
    let t = totp(secret, account);
    (t.get_secret_base32(), t.get_url())
}

fn unix(now: OffsetDateTime) -> u64 {
    u64::try_from(now.unix_timestamp()).unwrap_or(0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TotpCheck {
    /// Valid for this time step (to be remembered against replay).
    Valid(u64),
    /// Valid, but its step is not newer than the last one accepted.
    Replayed,
    Wrong,
}

/// Checks `code` at `now` against the previous, current and next steps.
pub fn check(secret: &[u8], code: &str, now: OffsetDateTime, last_step: Option<u64>) -> TotpCheck {
    let t = totp(secret, "");
    let current = unix(now) / STEP_SECS;
    let matched = [current.saturating_sub(1), current, current + 1]
        .into_iter()
        .filter(|step| tokens::same(&t.generate(step * STEP_SECS), code.trim()))
        .max();
    match matched {
        Some(step) if last_step.is_some_and(|last| step <= last) => TotpCheck::Replayed,
        Some(step) => TotpCheck::Valid(step),
        None => TotpCheck::Wrong,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    /// RFC 6238 appendix B, SHA-1, truncated to 6 digits.
    #[test]
    fn matches_the_rfc_test_vectors() {
        let secret = b"12345678901234567890";
        let t = totp(secret, "");
        assert_eq!(t.generate(59), "287082");
        assert_eq!(t.generate(1_111_111_109), "081804");
        assert_eq!(t.generate(2_000_000_000), "279037");
    }

    #[test]
    fn accepts_one_step_of_drift_and_refuses_replays() {
        let secret = new_secret();
        let now = datetime!(2026-01-01 0:00:15 UTC);
        let t = totp(&secret, "");
        let code_now = t.generate(unix(now));
        let step = unix(now) / STEP_SECS;
        assert_eq!(check(&secret, &code_now, now, None), TotpCheck::Valid(step));
        assert_eq!(
            check(&secret, &code_now, now + time::Duration::seconds(30), None),
            TotpCheck::Valid(step)
        );
        assert_eq!(check(&secret, &code_now, now + time::Duration::seconds(60), None), TotpCheck::Wrong);
        assert_eq!(check(&secret, &code_now, now, Some(step)), TotpCheck::Replayed);
        let (base32, uri) = enrollment(&secret, "a@example.test");
        assert!(uri.starts_with("otpauth://totp/") && uri.contains(&base32), "{uri}");
    }
}
