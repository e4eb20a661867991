//! Who may read what: the log and the platform-wide figures are for analysts (and admins);
//! a seller may read their own sales figures.

use http_kernel::{ApiError, Caller};

/// Whether `caller` reads as an analyst: the `analyst` or the `admin` role.
#[must_use]
pub fn is_analyst(caller: &Caller) -> bool {
    caller.has_role("analyst") || caller.is_admin()
}

/// 403 `forbidden` unless `caller` is an analyst or an admin.
///
/// # Errors
/// The caller holds neither role.
pub fn analyst(caller: &Caller) -> Result<(), ApiError> {
    if is_analyst(caller) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "this route is for analysts: the `analyst` or `admin` role".into(),
        ))
    }
}
