//! The keys that sign ID tokens (RS256): made on first start and kept in the data directory,
//! with the previous key still published after a rotation so tokens signed before it verify.
//! Making an RSA key takes up to half a second: on a fresh data directory it is made in the
//! background, and only the key set and token signing wait for it.

use std::path::{Path, PathBuf};

use super::later::Later;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rsa::RsaPrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CURRENT: &str = "oidc-signing-key.pem";
const PREVIOUS: &str = "oidc-signing-key.previous.pem";
const KEY_BITS: usize = 2048;

struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl SigningKey {
    fn new(private: &RsaPrivateKey) -> anyhow::Result<Self> {
        let b64 = |bytes: Vec<u8>| URL_SAFE_NO_PAD.encode(bytes);
        let (n, e) = (b64(private.n().to_bytes_be()), b64(private.e().to_bytes_be()));
        // The key id is the key's RFC 7638 thumbprint: stable, and derived from the key alone.
        let thumbprint = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
        let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint.as_bytes()));
        let der = private.to_pkcs1_der().context("cannot encode the signing key")?;
        Ok(Self {
            encoding: EncodingKey::from_rsa_der(der.as_bytes()),
            jwk: json!({ "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e }),
            kid,
        })
    }
}

pub struct SigningKeys(Later<Keys>);

struct Keys {
    current: SigningKey,
    previous: Option<SigningKey>,
}

impl Keys {
    fn new(current: &RsaPrivateKey, previous: Option<&RsaPrivateKey>) -> anyhow::Result<Self> {
        Ok(Self { current: SigningKey::new(current)?, previous: previous.map(SigningKey::new).transpose()? })
    }
}

impl SigningKeys {
    /// The keys in `data_dir`; when there is no current one, it is made in the background.
    pub fn load_or_create(data_dir: &Path) -> anyhow::Result<Self> {
        let previous = read(&data_dir.join(PREVIOUS))?;
        let path = data_dir.join(CURRENT);
        Ok(Self(match read(&path)? {
            Some(current) => Later::ready(Keys::new(&current, previous.as_ref())?),
            None => Later::spawn(async move {
                tokio::task::spawn_blocking(move || Keys::new(&create(&path)?, previous.as_ref())).await?
            }),
        }))
    }

    /// Makes a new current key; the current one becomes the previous one (still published),
    /// and the one before it is retired. Takes effect at the next start.
    pub fn rotate(data_dir: &Path) -> anyhow::Result<()> {
        let (current, previous) = (data_dir.join(CURRENT), data_dir.join(PREVIOUS));
        if current.exists() {
            std::fs::rename(&current, &previous)
                .with_context(|| format!("cannot move {} aside", current.display()))?;
        }
        create(&current)?;
        Ok(())
    }

    /// The JSON Web Key Set agencies verify ID tokens with.
    pub async fn jwks(&self) -> anyhow::Result<Value> {
        let keys = self.0.get().await?;
        let jwks: Vec<&Value> =
            std::iter::once(&keys.current).chain(&keys.previous).map(|k| &k.jwk).collect();
        Ok(json!({ "keys": jwks }))
    }

    pub async fn sign(&self, claims: &impl serde::Serialize) -> anyhow::Result<String> {
        let keys = self.0.get().await?;
        let header = Header { kid: Some(keys.current.kid.clone()), ..Header::new(Algorithm::RS256) };
        jsonwebtoken::encode(&header, claims, &keys.current.encoding).context("cannot sign a token")
    }

    #[cfg(test)]
    async fn current_kid(&self) -> String {
        self.0.get().await.expect("keys").current.kid.clone()
    }
}

fn read(path: &PathBuf) -> anyhow::Result<Option<RsaPrivateKey>> {
    match std::fs::read_to_string(path) {
        Ok(pem) => RsaPrivateKey::from_pkcs8_pem(&pem)
            .map(Some)
            .with_context(|| format!("{} is not a PKCS#8 RSA private key", path.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("cannot read {}", path.display())),
    }
}

/// Makes a key and writes it readable by the owner only, whole or not at all; if another
/// instance on this data directory made one meanwhile, that one is used.
fn create(path: &PathBuf) -> anyhow::Result<RsaPrivateKey> {
    let key = RsaPrivateKey::new(&mut rand::rngs::OsRng, KEY_BITS).context("cannot make a signing key")?;
    let pem = key.to_pkcs8_pem(LineEnding::LF).context("cannot encode the signing key")?;
    if crate::keyfile::create_once(path, pem.as_bytes())
        .with_context(|| format!("cannot create {}", path.display()))?
    {
        return Ok(key);
    }
    read(path)?.with_context(|| format!("{} vanished as it was made", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn keys_persist_and_rotation_keeps_the_previous_key_published() {
        let dir = tempfile::tempdir().unwrap();
        let first = SigningKeys::load_or_create(dir.path()).unwrap().current_kid().await;
        let again = SigningKeys::load_or_create(dir.path()).unwrap();
        assert_eq!(first, again.current_kid().await, "the key survives a restart");
        assert_eq!(again.jwks().await.unwrap()["keys"].as_array().unwrap().len(), 1);
        assert!(!dir.path().join("oidc-signing-key.pem.partial").exists(), "nothing left aside");

        SigningKeys::rotate(dir.path()).unwrap();
        let rotated = SigningKeys::load_or_create(dir.path()).unwrap();
        let current = rotated.current_kid().await;
        assert_ne!(current, first);
        let jwks = rotated.jwks().await.unwrap();
        let kids: Vec<&str> =
            jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert_eq!(kids, [current.as_str(), first.as_str()]);

        let token = rotated.sign(&json!({ "sub": "x" })).await.unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(current.as_str()));
        assert_eq!(header.alg, Algorithm::RS256);
    }
}
