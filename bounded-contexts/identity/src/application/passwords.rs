//! Passwords: argon2id hashes (OWASP parameters), computed off the async runtime and bounded
//! in parallelism, since each hash takes ~19 MiB and tens of milliseconds of a core.

use std::sync::Arc;

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::TryRngCore as _;
use serde::{Deserialize, Serialize};
use tokio::sync::Semaphore;

/// Fewest and most characters a password may have. The upper bound keeps hashing cheap
/// enough that a long "password" is not a denial of service.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// A clear-text password, as received. Never printed, never serialised.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Password(String);

impl Password {
    #[must_use]
    pub fn new(clear: impl Into<String>) -> Self {
        Self(clear.into())
    }

    /// # Errors
    /// Too short or too long; the message names the rule, never the password.
    pub fn check_policy(&self) -> Result<(), PasswordError> {
        if self.0.chars().count() < MIN_PASSWORD_CHARS || self.0.len() > MAX_PASSWORD_BYTES {
            return Err(PasswordError::Policy(format!(
                "password must have at least {MIN_PASSWORD_CHARS} characters and at most \
                 {MAX_PASSWORD_BYTES} bytes"
            )));
        }
        Ok(())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// An argon2id PHC string. Travels in commands and `password_set` events; never printed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PasswordHash(String);

impl PasswordHash {
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    #[must_use]
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("{0}")]
    Policy(String),
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// A password that does not match, as the edge refuses it: `invalid_credentials` (401), with
/// a message that names only what the caller sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WrongCredentials {
    /// At login: the address or the password; which one is not said, so an attacker does not
    /// learn which addresses have accounts.
    #[error("e-mail address or password is wrong")]
    Login,
    /// At a password change (the caller is known, and sent no address): the current password.
    #[error("the current password is wrong")]
    CurrentPassword,
}

impl shared_kernel::Rejection for WrongCredentials {
    fn code_and_kind(&self) -> (&'static str, shared_kernel::RejectionKind) {
        (
            "invalid_credentials",
            shared_kernel::RejectionKind::Unauthenticated,
        )
    }
}

/// Hashes and verifies passwords.
#[derive(Debug, Clone)]
pub struct Passwords {
    argon2: Argon2<'static>,
    permits: Arc<Semaphore>,
    /// Verified against when an account does not exist, so that "no such account" takes as
    /// long as "wrong password" and logins do not reveal which addresses have accounts.
    dummy: Arc<String>,
}

impl Passwords {
    /// # Errors
    /// The argon2 parameters are rejected (not expected for the defaults).
    pub fn new() -> Result<Self, PasswordError> {
        // OWASP's argon2id recommendation: 19 MiB, 2 passes, 1 lane.
        let params = Params::new(19 * 1024, 2, 1, None)
            .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
        let parallel = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        let mut this = Self {
            argon2,
            permits: Arc::new(Semaphore::new(parallel * 2)),
            dummy: Arc::new(String::new()),
        };
        this.dummy = Arc::new(this.hash_now(b"not a password anyone has")?);
        Ok(this)
    }

    fn hash_now(&self, clear: &[u8]) -> Result<String, PasswordError> {
        let mut salt = [0_u8; 16];
        rand::rngs::OsRng
            .try_fill_bytes(&mut salt)
            .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        let salt =
            SaltString::encode_b64(&salt).map_err(|e| PasswordError::Hashing(e.to_string()))?;
        self.argon2
            .hash_password(clear, &salt)
            .map(|h| h.to_string())
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Self) -> T + Send + 'static,
    ) -> Result<T, PasswordError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| PasswordError::Hashing(e.to_string()))?;
        let this = self.clone();
        tokio::task::spawn_blocking(move || work(&this))
            .await
            .map_err(|e| PasswordError::Hashing(e.to_string()))
    }

    /// # Errors
    /// The password breaks the policy, or hashing failed.
    pub async fn hash(&self, password: Password) -> Result<PasswordHash, PasswordError> {
        password.check_policy()?;
        self.blocking(move |this| this.hash_now(password.0.as_bytes()))
            .await?
            .map(PasswordHash)
    }

    /// Whether `password` matches `hash`; with no hash (no such account) the same work is
    /// done against a dummy and the answer is `false`.
    ///
    /// # Errors
    /// Hashing could not run.
    pub async fn verify(
        &self,
        password: Password,
        hash: Option<String>,
    ) -> Result<bool, PasswordError> {
        self.blocking(move |this| {
            let known = hash.is_some();
            let phc = hash.unwrap_or_else(|| this.dummy.as_ref().clone());
            let Ok(parsed) = argon2::PasswordHash::new(&phc) else {
                return false;
            };
            this.argon2
                .verify_password(password.0.as_bytes(), &parsed)
                .is_ok()
                && known
        })
        .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_salted_and_verify() {
        let p = Passwords::new().unwrap();
        let a = p.hash(Password::new("correct horse")).await.unwrap();
        let b = p.hash(Password::new("correct horse")).await.unwrap();
        assert!(a.as_str().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert_ne!(a, b, "salted");
        assert!(!a.as_str().contains("correct horse"));
        assert!(
            p.verify(
                Password::new("correct horse"),
                Some(a.clone().into_string())
            )
            .await
            .unwrap()
        );
        assert!(
            !p.verify(Password::new("wrong horse!"), Some(a.into_string()))
                .await
                .unwrap()
        );
        assert!(
            !p.verify(Password::new("not a password anyone has"), None)
                .await
                .unwrap()
        );
        assert!(p.hash(Password::new("short")).await.is_err());
        assert_eq!(
            format!("{:?}", Password::new("secret123")),
            "Password(<redacted>)"
        );
        assert!(!format!("{b:?}").contains("argon2"));
    }
}
