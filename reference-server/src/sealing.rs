//! Secrets the service must read back are sealed with XChaCha20-Poly1305. Two tiers share this
//! code, not their keys: what the service must read without the person (authenticator secrets,
//! queued mail, contact data) under a key kept outside the database; verified identity under a
//! random key per account that only the person's password or personal key unwraps
//! (`service::identity`), or, for an agency's hand-off, a key only a session cookie, an
//! authorization code or an access token carries ([`key_from_token`]).

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

pub fn seal(key: &[u8; 32], plaintext: &[u8]) -> String {
    let nonce: [u8; 24] = rand::random();
    let cipher = XChaCha20Poly1305::new(key.into());
    let sealed = cipher.encrypt(XNonce::from_slice(&nonce), plaintext).expect("encryption cannot fail");
    base64::engine::general_purpose::STANDARD.encode([nonce.as_slice(), &sealed].concat())
}

pub fn open(key: &[u8; 32], sealed: &str) -> anyhow::Result<Vec<u8>> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(sealed)?;
    anyhow::ensure!(bytes.len() > 24, "sealed value too short");
    let (nonce, ciphertext) = bytes.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), ciphertext)
        .map_err(|_| anyhow::anyhow!("sealed value does not open with this key"))
}

/// A fresh random key (a data key, wrapped by the keys below).
pub fn new_key() -> [u8; 32] {
    rand::random()
}

/// A sealing key carried by a bearer secret (session cookie, authorization code, access token):
/// HMAC-SHA-256 of the secret under `purpose`. The store keeps only the secret's SHA-256
/// (`rules::tokens::digest`), from which this key cannot be computed.
pub fn key_from_token(purpose: &str, token: &str) -> [u8; 32] {
    use hmac::Mac as _;
    let mut mac =
        <hmac::Hmac<sha2::Sha256> as hmac::Mac>::new_from_slice(purpose.as_bytes()).expect("any key length");
    mac.update(token.as_bytes());
    mac.finalize().into_bytes().into()
}

/// Seals a key under another (wrapping).
pub fn wrap(kek: &[u8; 32], key: &[u8; 32]) -> String {
    seal(kek, key)
}

pub fn unwrap(kek: &[u8; 32], wrapped: &str) -> anyhow::Result<[u8; 32]> {
    open(kek, wrapped)?.try_into().map_err(|_| anyhow::anyhow!("a wrapped key is not 32 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key() {
        let key = [7u8; 32];
        let sealed = seal(&key, b"secret");
        assert_ne!(seal(&key, b"secret"), sealed, "random nonces");
        assert_eq!(open(&key, &sealed).unwrap(), b"secret");
        assert!(open(&[8u8; 32], &sealed).is_err());
    }

    #[test]
    fn keys_wrap_and_token_keys_differ_from_digests() {
        let (kek, key) = (new_key(), new_key());
        assert_eq!(unwrap(&kek, &wrap(&kek, &key)).unwrap(), key);
        assert!(unwrap(&new_key(), &wrap(&kek, &key)).is_err());
        let a = key_from_token("session", "t");
        assert_eq!(a, key_from_token("session", "t"));
        assert_ne!(a, key_from_token("code", "t"));
        assert_ne!(hex::encode(a), crate::rules::tokens::digest("t"));
    }
}
