//! Pure domain code: no clock, no I/O, no async. Passwords never reach it: it is handed
//! finished hashes.

mod email_claim;
mod role;
mod user;

pub use email_claim::{ABANDONED_AFTER_SECS, EmailClaim, EmailClaimCommand, EmailClaimError};
pub use role::{Role, RoleError};
pub use user::{NewUser, PASSWORD_CHANGED, User, UserCommand, UserError, normalize_email};
