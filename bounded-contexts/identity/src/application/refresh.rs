//! Refresh tokens with rotation: each refresh token is good for one use and is replaced by a
//! new one of the same family; presenting a used token again (a stolen copy, or the legitimate
//! client after the thief) revokes the whole family, so both must log in again.
//!
//! Tokens are 256 random bits; only their SHA-256 is stored (a read of the table gives nothing
//! to present). The tables live in the read-model database, in SQL both dialects share; the
//! single-use guarantee is the conditional `UPDATE ... WHERE used_at IS NULL`, which only one
//! of two racing rotations can win on PostgreSQL and on SQLite.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::TryRngCore as _;
use sha2::{Digest as _, Sha256};
use shared_kernel::Timestamp;
use shared_kernel::ids::UserId;
use sqlx::{AnyPool, Row as _};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS identity_refresh_families (
        family_id  TEXT PRIMARY KEY,
        user_id    TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        revoked_at BIGINT
    )",
    "CREATE INDEX IF NOT EXISTS identity_refresh_families_user
        ON identity_refresh_families (user_id)",
    "CREATE TABLE IF NOT EXISTS identity_refresh_tokens (
        token_hash TEXT PRIMARY KEY,
        family_id  TEXT NOT NULL,
        user_id    TEXT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at    BIGINT
    )",
];

#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error("unknown refresh token")]
    Unknown,
    #[error("refresh token expired")]
    Expired,
    #[error("refresh token family revoked")]
    Revoked,
    /// A used token came back: its family is now revoked.
    #[error("refresh token reused; its family is revoked")]
    Reused,
    #[error("no randomness for a token: {0}")]
    Random(String),
    #[error("refresh-token database: {0}")]
    Database(#[from] sqlx::Error),
}

/// The outcome of a rotation: whose token it was and its successor.
#[derive(Clone)]
pub struct Rotated {
    pub user_id: UserId,
    pub refresh_token: String,
}

impl std::fmt::Debug for Rotated {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rotated")
            .field("user_id", &self.user_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone)]
pub struct RefreshTokens {
    pool: AnyPool,
    ttl: Duration,
}

fn hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn new_token() -> Result<String, RefreshError> {
    let mut bytes = [0_u8; 32];
    rand::rngs::OsRng
        .try_fill_bytes(&mut bytes)
        .map_err(|e| RefreshError::Random(e.to_string()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

impl RefreshTokens {
    #[must_use]
    pub const fn new(pool: AnyPool, ttl: Duration) -> Self {
        Self { pool, ttl }
    }

    /// Creates the tables if they are missing (under the schema lock, as projections do).
    ///
    /// # Errors
    /// The database failed.
    pub async fn prepare(&self) -> Result<(), RefreshError> {
        projections::create_tables(&self.pool, SCHEMA).await?;
        Ok(())
    }

    fn expiry(&self, now: Timestamp) -> i64 {
        now.timestamp()
            .saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2))
    }

    /// Starts a family for a fresh login and returns its first token.
    ///
    /// # Errors
    /// The database failed.
    pub async fn start_family(&self, user: UserId, now: Timestamp) -> Result<String, RefreshError> {
        let family = uuid::Uuid::now_v7().to_string();
        let token = new_token()?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO identity_refresh_families (family_id, user_id, created_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(&family)
        .bind(user.to_string())
        .bind(now.timestamp())
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO identity_refresh_tokens (token_hash, family_id, user_id, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(hash(&token))
        .bind(&family)
        .bind(user.to_string())
        .bind(self.expiry(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Spends `token` and returns its successor in the same family.
    ///
    /// # Errors
    /// Unknown, expired, revoked or reused tokens (reuse revokes the family), database errors.
    pub async fn rotate(&self, token: &str, now: Timestamp) -> Result<Rotated, RefreshError> {
        let token_hash = hash(token);
        let at = now.timestamp();
        let mut tx = self.pool.begin().await?;
        let spent = sqlx::query(
            "UPDATE identity_refresh_tokens SET used_at = $1 \
             WHERE token_hash = $2 AND used_at IS NULL \
             RETURNING family_id, user_id, expires_at",
        )
        .bind(at)
        .bind(&token_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = spent else {
            drop(tx);
            return Err(self.refused(&token_hash, at).await);
        };
        let family: String = row.try_get("family_id")?;
        let user: String = row.try_get("user_id")?;
        let expires_at: i64 = row.try_get("expires_at")?;
        let revoked = sqlx::query(
            "SELECT family_id FROM identity_refresh_families \
             WHERE family_id = $1 AND revoked_at IS NULL",
        )
        .bind(&family)
        .fetch_optional(&mut *tx)
        .await?
        .is_none();
        if revoked {
            return Err(RefreshError::Revoked);
        }
        if expires_at <= at {
            return Err(RefreshError::Expired);
        }
        let user_id = user.parse::<UserId>().map_err(|_| RefreshError::Unknown)?;
        let next = new_token()?;
        sqlx::query(
            "INSERT INTO identity_refresh_tokens (token_hash, family_id, user_id, expires_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(hash(&next))
        .bind(&family)
        .bind(&user)
        .bind(self.expiry(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Rotated {
            user_id,
            refresh_token: next,
        })
    }

    /// Why a token could not be spent; a used one revokes its family.
    async fn refused(&self, token_hash: &str, at: i64) -> RefreshError {
        let used = sqlx::query(
            "SELECT family_id, user_id FROM identity_refresh_tokens WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await;
        match used {
            Ok(Some(row)) => {
                let family: String = row.try_get("family_id").unwrap_or_default();
                let user: String = row.try_get("user_id").unwrap_or_default();
                if let Err(e) = self.revoke_family(&family, at).await {
                    return e;
                }
                tracing::warn!(user_id = %user, family_id = %family, "refresh token reused; family revoked");
                RefreshError::Reused
            }
            Ok(None) => RefreshError::Unknown,
            Err(e) => RefreshError::Database(e),
        }
    }

    async fn revoke_family(&self, family: &str, at: i64) -> Result<(), RefreshError> {
        sqlx::query(
            "UPDATE identity_refresh_families SET revoked_at = $1 \
             WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(at)
        .bind(family)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Revokes the family `token` belongs to (logout). Unknown tokens are ignored.
    ///
    /// # Errors
    /// The database failed.
    pub async fn revoke(&self, token: &str, now: Timestamp) -> Result<(), RefreshError> {
        let row =
            sqlx::query("SELECT family_id FROM identity_refresh_tokens WHERE token_hash = $1")
                .bind(hash(token))
                .fetch_optional(&self.pool)
                .await?;
        if let Some(row) = row {
            let family: String = row.try_get("family_id")?;
            self.revoke_family(&family, now.timestamp()).await?;
        }
        Ok(())
    }

    /// Revokes every family of `user` (after a password change).
    ///
    /// # Errors
    /// The database failed.
    pub async fn revoke_user(&self, user: UserId, now: Timestamp) -> Result<(), RefreshError> {
        sqlx::query(
            "UPDATE identity_refresh_families SET revoked_at = $1 \
             WHERE user_id = $2 AND revoked_at IS NULL",
        )
        .bind(now.timestamp())
        .bind(user.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
