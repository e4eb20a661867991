//! The admin check of the payments routes that only admins may use.

use http_kernel::{ApiError, Caller};

/// Checks that `caller` is an admin.
///
/// # Errors
/// 403 `forbidden`, saying that only admins may do `what`.
pub(super) fn require_admin(caller: &Caller, what: &str) -> Result<(), ApiError> {
    if caller.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("only admins may {what}")))
    }
}
