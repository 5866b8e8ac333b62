//! Password hashing: argon2id, salted, run off the async threads (it is deliberately slow).

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::config::Argon2Config;

#[derive(Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
}

impl Passwords {
    pub fn new(config: &Argon2Config) -> anyhow::Result<Self> {
        let params = Params::new(config.memory_kib, config.iterations, config.parallelism, None)
            .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
        Ok(Self { argon2: Argon2::new(Algorithm::Argon2id, Version::V0x13, params) })
    }

    /// A PHC string (`$argon2id$v=19$m=…`) holding the salt and parameters.
    pub async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let (argon2, password) = (self.argon2.clone(), password.to_owned());
        tokio::task::spawn_blocking(move || {
            let salt = SaltString::generate(&mut OsRng);
            argon2.hash_password(password.as_bytes(), &salt).map(|h| h.to_string())
        })
        .await?
        .map_err(|e| anyhow::anyhow!("hashing failed: {e}"))
    }

    /// Whether `password` matches `phc` (constant-time comparison inside argon2).
    pub async fn verify(&self, password: &str, phc: &str) -> anyhow::Result<bool> {
        let (argon2, password, phc) = (self.argon2.clone(), password.to_owned(), phc.to_owned());
        tokio::task::spawn_blocking(move || {
            let parsed =
                PasswordHash::new(&phc).map_err(|e| anyhow::anyhow!("stored hash is corrupt: {e}"))?;
            Ok(argon2.verify_password(password.as_bytes(), &parsed).is_ok())
        })
        .await?
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
}
