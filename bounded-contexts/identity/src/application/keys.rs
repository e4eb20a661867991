//! The token signing key (Ed25519) and access tokens (EdDSA JWTs with a `kid`).
//!
//! The key pair is generated on first start into a PEM file (PKCS#8, mode 0600) or loaded from
//! it; the `kid` is the key's RFC 7638 JWK thumbprint, so it names the key and nothing else.
//! Public keys are published as a JWK set for verifiers in other processes.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey as _, EncodePrivateKey as _};
use http_kernel::caller::{AUDIENCE, ISSUER};
use http_kernel::{AccessClaims, TokenVerifier};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::TryRngCore as _;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use shared_kernel::Timestamp;
use shared_kernel::ids::UserId;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read signing key {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write signing key {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("signing key {0} is not a PKCS#8 PEM Ed25519 private key")]
    Format(PathBuf),
    #[error("no randomness for a new key: {0}")]
    Random(String),
    #[error("cannot sign token: {0}")]
    Sign(#[source] jsonwebtoken::errors::Error),
}

/// An Ed25519 signing key with its `kid`.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    encoding: EncodingKey,
    public: [u8; 32],
    pem: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn from_dalek(key: &ed25519_dalek::SigningKey, origin: &Path) -> Result<Self, KeyError> {
        let format = || KeyError::Format(origin.to_path_buf());
        let der = key.to_pkcs8_der().map_err(|_| format())?;
        let pem = key.to_pkcs8_pem(LineEnding::LF).map_err(|_| format())?;
        let public = key.verifying_key().to_bytes();
        Ok(Self {
            kid: thumbprint(&public),
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            public,
            pem: pem.to_string(),
        })
    }

    /// A new random key.
    ///
    /// # Errors
    /// The operating system has no randomness to give.
    pub fn generate() -> Result<Self, KeyError> {
        let mut seed = [0_u8; 32];
        rand::rngs::OsRng
            .try_fill_bytes(&mut seed)
            .map_err(|e| KeyError::Random(e.to_string()))?;
        Self::from_dalek(
            &ed25519_dalek::SigningKey::from_bytes(&seed),
            Path::new("<generated>"),
        )
    }

    /// # Errors
    /// Not a PKCS#8 PEM Ed25519 private key.
    pub fn from_pem(pem: &str, origin: &Path) -> Result<Self, KeyError> {
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(pem)
            .map_err(|_| KeyError::Format(origin.to_path_buf()))?;
        Self::from_dalek(&key, origin)
    }

    /// Loads the key at `path`, or generates one there (directories 0700, file 0600) if there
    /// is none. Two processes starting together both end up with the one that was written
    /// first.
    ///
    /// # Errors
    /// The file cannot be read or written, or holds something else than an Ed25519 key.
    pub fn load_or_generate(path: &Path) -> Result<Self, KeyError> {
        let read = |path: &Path| {
            std::fs::read_to_string(path).map_err(|source| KeyError::Read {
                path: path.to_path_buf(),
                source,
            })
        };
        if path.exists() {
            return Self::from_pem(&read(path)?, path);
        }
        let write_error = |source| KeyError::Write {
            path: path.to_path_buf(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
            builder.create(dir).map_err(write_error)?;
        }
        let key = Self::generate()?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        match options.open(path) {
            Ok(mut file) => {
                file.write_all(key.pem.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(write_error)?;
                tracing::info!(path = %path.display(), kid = %key.kid, "generated a token signing key");
                Ok(key)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                Self::from_pem(&read(path)?, path)
            }
            Err(e) => Err(write_error(e)),
        }
    }

    #[must_use]
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The raw 32-byte public key.
    #[must_use]
    pub const fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// The public key as a JWK (RFC 8037).
    #[must_use]
    pub fn jwk(&self) -> Jwk {
        Jwk {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            alg: "EdDSA".into(),
            key_use: "sig".into(),
            kid: self.kid.clone(),
            x: URL_SAFE_NO_PAD.encode(self.public),
        }
    }

    /// A verifier that trusts this key.
    #[must_use]
    pub fn verifier(&self) -> TokenVerifier {
        TokenVerifier::new([(self.kid.clone(), self.public)])
    }

    /// Signs arbitrary access claims (tests forge expired tokens with it).
    ///
    /// # Errors
    /// Signing failed.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(KeyError::Sign)
    }
}

/// An Ed25519 public key as a JSON Web Key (RFC 8037), as `/.well-known/jwks.json` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Jwk {
    /// `OKP`.
    pub kty: String,
    /// `Ed25519`.
    pub crv: String,
    /// `EdDSA`.
    pub alg: String,
    /// `sig`.
    #[serde(rename = "use")]
    pub key_use: String,
    /// The key id access tokens name in their header.
    pub kid: String,
    /// The public key, base64url.
    pub x: String,
}

/// RFC 7638 thumbprint of an Ed25519 public key.
fn thumbprint(public: &[u8; 32]) -> String {
    let canonical = format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
        URL_SAFE_NO_PAD.encode(public)
    );
    URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
}

/// A freshly issued access token.
#[derive(Clone)]
pub struct IssuedToken {
    pub token: String,
    pub expires_in: Duration,
}

impl std::fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IssuedToken")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Issues short-lived access tokens.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    key: SigningKey,
    ttl: Duration,
}

impl TokenIssuer {
    #[must_use]
    pub const fn new(key: SigningKey, ttl: Duration) -> Self {
        Self { key, ttl }
    }

    #[must_use]
    pub const fn key(&self) -> &SigningKey {
        &self.key
    }

    /// An access token for `user` with `roles`, read from version `generation` of the user's
    /// account, valid from `now` for the configured time.
    ///
    /// # Errors
    /// Signing failed.
    pub fn issue(
        &self,
        user: UserId,
        roles: Vec<String>,
        generation: u64,
        now: Timestamp,
    ) -> Result<IssuedToken, KeyError> {
        let iat = now.timestamp();
        let ttl = i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        let claims = AccessClaims {
            sub: user.to_string(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            iat,
            exp: iat.saturating_add(ttl),
            jti: uuid::Uuid::now_v7().to_string(),
            roles,
            generation,
        };
        Ok(IssuedToken {
            token: self.key.sign(&claims)?,
            expires_in: self.ttl,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_generated_once_with_tight_permissions_and_reloaded() {
        let dir =
            std::env::temp_dir().join(format!("agora-keys-{}", uuid::Uuid::now_v7().simple()));
        let path = dir.join("keys").join("jwt-ed25519.pem");
        let first = SigningKey::load_or_generate(&path).unwrap();
        let again = SigningKey::load_or_generate(&path).unwrap();
        assert_eq!(first.kid(), again.kid());
        assert_eq!(first.public_key(), again.public_key());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn issued_tokens_verify_with_the_key_and_not_another() {
        let key = SigningKey::generate().unwrap();
        let issuer = TokenIssuer::new(key.clone(), Duration::from_secs(60));
        let user = UserId::new();
        let t = issuer
            .issue(user, vec!["admin".into()], 3, chrono::Utc::now())
            .unwrap();
        let caller = key.verifier().verify(&t.token).unwrap();
        assert_eq!(caller.user_id, user);
        assert!(caller.is_admin());
        let other = SigningKey::generate().unwrap();
        assert!(other.verifier().verify(&t.token).is_err());
        // A different key presented under the right kid: still refused.
        let impostor = TokenVerifier::new([(key.kid().to_owned(), other.public_key())]);
        assert!(impostor.verify(&t.token).is_err());
        let expired = issuer
            .issue(
                user,
                vec![],
                3,
                chrono::Utc::now() - chrono::Duration::hours(1),
            )
            .unwrap();
        assert!(key.verifier().verify(&expired.token).is_err());
    }
}
