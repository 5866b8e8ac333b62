//! Secrets the service must read back (authenticator secrets, queued mail, contact data) are sealed with
//! XChaCha20-Poly1305 under a key kept outside the database.

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
}
