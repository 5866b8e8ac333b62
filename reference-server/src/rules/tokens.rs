//! Random secrets for links, and how they are stored and compared.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A new unguessable token (256 bits, URL-safe base64).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A reference a person can read out or type: 8 characters in two groups, from an alphabet
/// without look-alikes (no 0/O, 1/I/L).
pub fn new_reference() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
    let mut rng = rand::rngs::OsRng;
    let pick = |rng: &mut rand::rngs::OsRng| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char;
    let chars: String = (0..8).map(|_| pick(&mut rng)).collect();
    format!("{}-{}", &chars[..4], &chars[4..])
}

/// What is stored instead of a token: its SHA-256, hex. Tokens carry 256 bits of entropy,
/// so a fast hash is enough, and looking a token up by its digest leaks nothing useful.
pub fn digest(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A keyed digest (HMAC-SHA-256, hex) of `value`: a lookup key for personal data (an email
/// address in a limiter's key, say) that does not reveal it to whoever reads the database.
pub fn keyed_digest(key: &[u8], value: &str) -> String {
    use hmac::Mac as _;
    let mut mac = hmac::Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(value.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares two secrets in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_distinct_and_digests_stable() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(digest(&a), digest(&a));
        assert_ne!(digest(&a), digest(&b));
        assert!(same(&a, &a.clone()));
        assert!(!same(&a, &b));
        assert!(!same("abc", "abcd"));
    }
}
