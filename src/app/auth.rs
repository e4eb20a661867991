//! What every route shares from the identity context, whatever contexts a process runs: the
//! key that signs access tokens, the verifier the authentication layer uses (with the revoked
//! tokens it refuses), refresh-token storage and the per-user write limit.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use identity::application::{RefreshTokens, SigningKey, TokenIssuer};
use identity::projections::{TokenRevocations, TokenRevocationsProjection};
use projections::Projection;
use sqlx::AnyPool;

use crate::config::ServeArgs;

/// Tokens: issued by the identity context, verified on every route of every process.
#[derive(Debug)]
pub struct Auth {
    issuer: Arc<TokenIssuer>,
    pub(crate) verifier: Arc<http_kernel::TokenVerifier>,
    pub(crate) revocations: Arc<TokenRevocations>,
    refresh: RefreshTokens,
    pub(crate) writes: Arc<http_kernel::KeyedLimiter<shared_kernel::ids::UserId>>,
}

impl Auth {
    /// Loads (or generates, and stores) the signing key, and creates the refresh-token tables
    /// when this process runs the identity context (they are its tables: a process without it
    /// never touches them).
    ///
    /// # Errors
    /// The key file cannot be read or written, or the tables cannot be created.
    pub async fn open(config: &ServeArgs, read: &AnyPool) -> anyhow::Result<Self> {
        let identity = config.identity_config();
        let key = match &identity.key_file {
            Some(path) => SigningKey::load_or_generate(path)?,
            None => SigningKey::generate()?,
        };
        let auth = Self::with_key(config, read, key);
        if config.runs(identity::CONTEXT) {
            auth.refresh
                .prepare()
                .await
                .context("cannot create the refresh-token tables")?;
        }
        Ok(auth)
    }

    /// With a key of its own that no file holds: for commands that list the contexts' parts
    /// but serve nothing (`migrate`, `projections`), so they write no key file.
    ///
    /// # Errors
    /// No key can be generated.
    pub fn ephemeral(config: &ServeArgs, read: &AnyPool) -> anyhow::Result<Self> {
        Ok(Self::with_key(config, read, SigningKey::generate()?))
    }

    fn with_key(config: &ServeArgs, read: &AnyPool, key: SigningKey) -> Self {
        let identity = config.identity_config();
        // Tokens taken back (revoked roles, logouts) are refused by every route's verifier.
        let revocations = Arc::new(TokenRevocations::new());
        let refused: Arc<dyn http_kernel::Revocations> = revocations.clone();
        Self {
            verifier: Arc::new(key.verifier().with_revocations(refused)),
            revocations,
            issuer: Arc::new(TokenIssuer::new(key, identity.access_ttl)),
            refresh: RefreshTokens::new(read.clone(), identity.refresh_ttl),
            writes: Arc::new(http_kernel::KeyedLimiter::new(
                identity.writes_per_user_per_minute,
                Duration::from_secs(60),
                "writes by this user",
            )),
        }
    }

    /// The issuer of access tokens (the identity context's routes).
    #[must_use]
    pub fn issuer(&self) -> Arc<TokenIssuer> {
        Arc::clone(&self.issuer)
    }

    /// Refresh-token storage (the identity context's routes).
    #[must_use]
    pub fn refresh(&self) -> RefreshTokens {
        self.refresh.clone()
    }

    /// The read model of revoked tokens that this process's verifier consults. Every process
    /// runs it, whatever contexts it runs (see `events::start_revocations`).
    #[must_use]
    pub fn revocations_projection(&self) -> Arc<dyn Projection> {
        Arc::new(TokenRevocationsProjection::new(Arc::clone(
            &self.revocations,
        )))
    }
}
