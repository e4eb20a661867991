//! Settings of the identity context, resolved by the composition root.

use std::path::PathBuf;
use std::time::Duration;

/// Token lifetimes, the signing key's location and abuse limits. `Default` is the documented
/// default configuration (README, "Configuration").
#[derive(Debug, Clone)]
pub struct IdentityConfig {
    /// PKCS#8 PEM Ed25519 key; generated there (mode 0600) when missing. `None`: a key that
    /// lives only as long as the process (tests).
    pub key_file: Option<PathBuf>,
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    /// Mark the session cookie `Secure` (browsers then send it over HTTPS and localhost only).
    pub cookie_secure: bool,
    /// Failed logins per account within `login_failure_window` before logins are refused.
    pub login_failures_per_account: u32,
    pub login_failure_window: Duration,
    /// Login attempts per client address per minute (generous: many users share a NAT).
    pub logins_per_ip_per_minute: u32,
    /// Sign-ups per client address per hour.
    pub registrations_per_ip_per_hour: u32,
    /// Writes (non-GET requests) per authenticated user per minute, on every route.
    pub writes_per_user_per_minute: u32,
}

impl Default for IdentityConfig {
    fn default() -> Self {
        Self {
            key_file: None,
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            cookie_secure: true,
            login_failures_per_account: 5,
            login_failure_window: Duration::from_secs(15 * 60),
            logins_per_ip_per_minute: 60,
            registrations_per_ip_per_hour: 100,
            writes_per_user_per_minute: 120,
        }
    }
}
