//! Password hashing: argon2id, salted, run off the async threads (it is deliberately slow),
//! one at a time per core: more at once only share the cores and thrash their caches (each
//! holds `memory_kib` of its own), so every one of them would finish later.

use std::sync::Arc;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::Argon2Config;

#[derive(Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
    /// One permit per core: the argon2 runs allowed at once.
    cores: Arc<tokio::sync::Semaphore>,
}

impl Passwords {
    pub fn new(config: &Argon2Config) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Ok(Self { argon2: config.argon2()?, cores: Arc::new(tokio::sync::Semaphore::new(cores)) })
    }

    /// Runs `work` (an argon2 run) on a blocking thread once a core is free for it.
    async fn on_a_core<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> anyhow::Result<T> + Send + 'static,
    ) -> anyhow::Result<T> {
        let _core = self.cores.acquire().await?;
        tokio::task::spawn_blocking(work).await?
    }

    /// A PHC string (`$argon2id$v=19$m=…`) holding the salt and parameters.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let (argon2, password) = (self.argon2.clone(), password.to_owned());
        self.on_a_core(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2
                .hash_password(password.as_bytes(), &salt)
                .map(|h| h.to_string())
                .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
        })
        .await
    }

    /// A key derived from `secret` (a password or personal key) with argon2id, under `salt`
    /// and this service's cost; returns the key and the salt and cost to derive it again,
    /// written as `m=…,t=…,p=…$<salt>`. With `kdf` (from earlier), derives under that instead.
    pub async fn derive_key(&self, secret: &str, kdf: Option<&str>) -> anyhow::Result<([u8; 32], String)> {
        let (argon2, secret) = (self.argon2.clone(), secret.to_owned());
        let kdf = kdf.map(str::to_owned);
        self.on_a_core(move || {
            let (argon2, salt, written) = match kdf {
                Some(written) => {
                    let (params, salt) =
                        written.split_once('$').ok_or_else(|| anyhow::anyhow!("stored kdf is corrupt"))?;
                    let number = |name: &str| -> anyhow::Result<u32> {
                        params
                            .split(',')
                            .find_map(|p| p.strip_prefix(name))
                            .and_then(|v| v.parse().ok())
                            .ok_or_else(|| anyhow::anyhow!("stored kdf lacks {name}"))
                    };
                    let params = Params::new(number("m=")?, number("t=")?, number("p=")?, Some(32))
                        .map_err(|e| anyhow::anyhow!("stored kdf: {e}"))?;
                    (Argon2::new(Algorithm::Argon2id, Version::V0x13, params), salt.to_owned(), written)
                }
                None => {
                    let p = argon2.params();
                    let salt = SaltString::generate(&mut OsRng).as_str().to_owned();
                    let written = format!("m={},t={},p={}${salt}", p.m_cost(), p.t_cost(), p.p_cost());
                    (argon2, salt, written)
                }
            };
            let mut key = [0u8; 32];
            argon2
                .hash_password_into(secret.as_bytes(), salt.as_bytes(), &mut key)
                .map_err(|e| anyhow::anyhow!("key derivation failed: {e}"))?;
            Ok((key, written))
        })
        .await
    }

    /// Whether `password` matches `phc` (constant-time comparison inside argon2).
    pub async fn verify(&self, password: &str, phc: &str) -> anyhow::Result<bool> {
        let (argon2, password, phc) = (self.argon2.clone(), password.to_owned(), phc.to_owned());
        self.on_a_core(move || {
            let parsed =
                PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("stored hash is corrupt: {e}"))?;
            Ok(argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_salted_argon2id_and_verify() {
        let passwords =
            Passwords::new(&Argon2Config { memory_kib: 64, iterations: 1, parallelism: 1 }).unwrap();
        let a = passwords.hash("correct horse").await.unwrap();
        let b = passwords.hash("correct horse").await.unwrap();
        assert!(a.starts_with("$argon2id$v=19$"), "{a}");
        assert_ne!(a, b, "salted");
        assert!(!a.contains("correct horse"));
        assert!(passwords.verify("correct horse", &a).await.unwrap());
        assert!(!passwords.verify("correct horsf", &a).await.unwrap());
    }

    #[tokio::test]
    async fn derived_keys_repeat_only_for_the_same_secret_and_salt() {
        let passwords =
            Passwords::new(&Argon2Config { memory_kib: 64, iterations: 1, parallelism: 1 }).unwrap();
        let (key, kdf) = passwords.derive_key("correct horse", None).await.unwrap();
        assert!(kdf.starts_with("m=64,t=1,p=1$"), "{kdf}");
        assert_eq!(passwords.derive_key("correct horse", Some(&kdf)).await.unwrap().0, key);
        assert_ne!(passwords.derive_key("correct horsf", Some(&kdf)).await.unwrap().0, key);
        assert_ne!(passwords.derive_key("correct horse", None).await.unwrap().0, key, "new salt");
    }
}
