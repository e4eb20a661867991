//! Application layer: commands as messages and the handler that runs them, plus the services
//! the HTTP edge needs beyond commands: password hashing, token issuing, refresh-token
//! families, account look-ups and login limits.

mod accounts;
mod commands;
mod config;
mod handler;
mod keys;
mod limits;
mod passwords;
mod refresh;
mod replies;

pub use accounts::{Account, AccountError, Accounts, email_stream};
pub use commands::IdentityCommand;
pub use config::IdentityConfig;
pub use handler::{IdentityHandler, SYSTEM_CLI};
pub use keys::{IssuedToken, Jwk, KeyError, SigningKey, TokenIssuer};
pub use limits::FailedLogins;
pub use passwords::{Password, PasswordError, PasswordHash, Passwords, WrongCredentials};
pub use refresh::{RefreshError, RefreshTokens, Rotated};
pub use replies::UserRef;
