//! Security codes (OTP-1 … OTP-6): generation, storage digest, and what an entered code means.

use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;
use time::OffsetDateTime;

use super::tokens;

/// A new code of `digits` decimal digits from the operating system's CSPRNG.
pub fn new_code(digits: u32) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..digits).map(|_| char::from(b'0' + rng.gen_range(0..10u8))).collect()
}

/// What is stored instead of a code: HMAC-SHA256 under the server's secret key. A code has
/// few digits, so a plain hash could be reversed by trying them all; the key prevents that
/// for anyone holding only the database.
pub fn digest(key: &[u8], code: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(code.trim().as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A stored code, as far as the rules are concerned.
#[derive(Debug, Clone)]
pub struct StoredCode {
    pub digest: String,
    pub expires_at: OffsetDateTime,
    pub used: bool,
    pub superseded: bool,
}

/// What an entered code is, checked against every code sent for the same purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entered {
    /// The newest code, unused and within its lifetime.
    Valid(usize),
    /// Matches a code that has expired (the entry does not count as a wrong attempt).
    Expired,
    /// Matches a code that was already used.
    Used,
    /// Matches a code that a newer one replaced.
    Superseded,
    /// Matches nothing: a wrong attempt.
    Wrong,
}

/// Classifies `entered_digest` against `codes`, comparing every digest in constant time.
/// A code is valid only while `now < expires_at` (it stops working at its expiry instant).
pub fn classify(entered_digest: &str, codes: &[StoredCode], now: OffsetDateTime) -> Entered {
    let mut found = None;
    for (i, code) in codes.iter().enumerate() {
        if tokens::same(&code.digest, entered_digest) && found.is_none() {
            found = Some(i);
        }
    }
    let Some(i) = found else { return Entered::Wrong };
    let code = &codes[i];
    if code.used {
        Entered::Used
    } else if code.superseded {
        Entered::Superseded
    } else if now >= code.expires_at {
        Entered::Expired
    } else {
        Entered::Valid(i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::Duration;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-01-01 0:00 UTC);

    #[test]
    fn codes_have_the_requested_digits_and_vary() {
        let codes: Vec<String> = (0..50).map(|_| new_code(6)).collect();
        assert!(codes.iter().all(|c| c.len() == 6 && c.chars().all(|d| d.is_ascii_digit())));
        assert!(codes.iter().collect::<std::collections::HashSet<_>>().len() > 45);
        assert_eq!(new_code(8).len(), 8);
    }

    #[test]
    fn a_code_works_until_its_expiry_instant() {
        let key = b"k";
        let stored = |code: &str, used, superseded| StoredCode {
            digest: digest(key, code),
            expires_at: T0 + Duration::minutes(5),
            used,
            superseded,
        };
        let codes =
            [stored("111111", false, true), stored("222222", true, false), stored("333333", false, false)];
        let at = |s: i64| T0 + Duration::seconds(s);
        assert_eq!(classify(&digest(key, "333333"), &codes, at(299)), Entered::Valid(2));
        assert_eq!(classify(&digest(key, "333333"), &codes, at(300)), Entered::Expired);
        assert_eq!(classify(&digest(key, "111111"), &codes, at(1)), Entered::Superseded);
        assert_eq!(classify(&digest(key, "222222"), &codes, at(1)), Entered::Used);
        assert_eq!(classify(&digest(key, "444444"), &codes, at(1)), Entered::Wrong);
        assert_ne!(digest(b"other key", "333333"), digest(key, "333333"));
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// A code is valid iff it is unused, not replaced, and younger than its lifetime;
            /// and only an exact match is ever anything but wrong.
            #[test]
            fn valid_iff_unused_newest_and_young(
                used in any::<bool>(),
                superseded in any::<bool>(),
                age in 0i64..1000,
                lifetime in 1i64..700,
                entered in "[0-9]{6}",
            ) {
                let key = b"property key";
                let code = StoredCode {
                    digest: digest(key, "123456"),
                    expires_at: T0 + Duration::seconds(lifetime),
                    used,
                    superseded,
                };
                let now = T0 + Duration::seconds(age);
                let verdict = classify(&digest(key, "123456"), std::slice::from_ref(&code), now);
                prop_assert_eq!(verdict == Entered::Valid(0), !used && !superseded && age < lifetime);
                if entered != "123456" {
                    prop_assert_eq!(classify(&digest(key, &entered), &[code], now), Entered::Wrong);
                }
            }
        }
    }
}
