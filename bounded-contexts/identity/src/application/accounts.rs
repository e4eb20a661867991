//! Account look-ups straight from the event store.
//!
//! Login, refresh and `/me` read the aggregates rather than a read model on purpose: a login
//! right after sign-up, or after a password change, must see that change, and a lagging
//! projection would accept a password that was just replaced.

use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use shared_kernel::application::{ExecuteError, load};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate as _, DecodeError, EventStore, StoreError, StreamId};

use crate::domain::{EmailClaim, User, normalize_email};

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot decode stored identity event: {0}")]
    Decode(#[from] DecodeError),
}

impl<E: std::error::Error + 'static> From<ExecuteError<E>> for AccountError {
    fn from(e: ExecuteError<E>) -> Self {
        match e {
            ExecuteError::Store(e) => Self::Store(e),
            ExecuteError::Decode(e) => Self::Decode(e),
            other => Self::Store(StoreError::Corrupt(other.to_string())),
        }
    }
}

/// The uniqueness-guard stream of an address: `email-<hex sha256 of the normalised address>`.
/// Hashed so the stream id carries no personal data and always has a valid shape.
#[must_use]
pub fn email_stream(email: &str) -> StreamId {
    let digest = Sha256::digest(normalize_email(email).as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    StreamId::of(EmailClaim::KIND, hex)
}

/// A registered user as stored now, with the version of its stream it was read at: the
/// `gen` of tokens issued from it.
#[derive(Debug, Clone)]
pub struct Account {
    pub user: User,
    pub version: u64,
}

#[derive(Debug, Clone)]
pub struct Accounts {
    store: Arc<dyn EventStore>,
}

impl Accounts {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>) -> Self {
        Self { store }
    }

    /// The registered user `id`, if any, with its stream's version.
    ///
    /// # Errors
    /// Store failures or undecodable events.
    pub async fn find(&self, id: UserId) -> Result<Option<Account>, AccountError> {
        let loaded = load::<User>(self.store.as_ref(), &StreamId::of(User::KIND, id)).await?;
        Ok(loaded.state.registered.then_some(Account {
            user: loaded.state,
            version: loaded.version,
        }))
    }

    /// The registered user holding `email`, if any, with its stream's version.
    ///
    /// # Errors
    /// Store failures or undecodable events.
    pub async fn find_by_email(&self, email: &str) -> Result<Option<Account>, AccountError> {
        let claim = load::<EmailClaim>(self.store.as_ref(), &email_stream(email)).await?;
        match claim.state.holder {
            Some((holder, _)) => self.find(holder).await,
            None => Ok(None),
        }
    }
}
