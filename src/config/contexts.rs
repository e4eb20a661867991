//! The configuration sections of individual contexts: identity's tokens and abuse limits,
//! the order saga's deadlines, the simulated payment provider and the commission rate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

/// Tokens and abuse limits of the identity context.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Identity")]
pub struct IdentityArgs {
    /// Ed25519 private key (PKCS#8 PEM) that signs access tokens; generated (mode 0600) when
    /// missing. Default: `<data-dir>/keys/jwt-ed25519.pem`. Share one file between processes.
    #[arg(long, env = "AGORA_JWT_PRIVATE_KEY_FILE")]
    pub jwt_private_key_file: Option<PathBuf>,

    /// Lifetime of access tokens, in seconds.
    #[arg(long, env = "AGORA_ACCESS_TOKEN_TTL_SECS", default_value_t = 900)]
    pub access_token_ttl_secs: u64,

    /// Lifetime of refresh tokens, in seconds.
    #[arg(long, env = "AGORA_REFRESH_TOKEN_TTL_SECS", default_value_t = 30 * 24 * 3600)]
    pub refresh_token_ttl_secs: u64,

    /// Mark the `agora_session` cookie `Secure` (`false` only for plain-HTTP test set-ups).
    #[arg(long, env = "AGORA_SESSION_COOKIE_SECURE", default_value_t = true, action = clap::ArgAction::Set)]
    pub session_cookie_secure: bool,

    /// Failed logins per account within the window before the account's logins get 429.
    #[arg(long, env = "AGORA_LOGIN_FAILURES_PER_ACCOUNT", default_value_t = 5)]
    pub login_failures_per_account: u32,

    /// The failed-login window, in seconds.
    #[arg(long, env = "AGORA_LOGIN_FAILURE_WINDOW_SECS", default_value_t = 900)]
    pub login_failure_window_secs: u64,

    /// Login and refresh attempts per client address per minute.
    #[arg(long, env = "AGORA_LOGINS_PER_IP_PER_MINUTE", default_value_t = 60)]
    pub logins_per_ip_per_minute: u32,

    /// Sign-ups per client address per hour.
    #[arg(
        long,
        env = "AGORA_REGISTRATIONS_PER_IP_PER_HOUR",
        default_value_t = 100
    )]
    pub registrations_per_ip_per_hour: u32,

    /// Writes (non-GET requests) per user per minute.
    #[arg(long, env = "AGORA_WRITES_PER_USER_PER_MINUTE", default_value_t = 120)]
    pub writes_per_user_per_minute: u32,
}

impl IdentityArgs {
    /// The identity context's settings, with the key in `data_dir` unless configured.
    #[must_use]
    pub fn config(&self, data_dir: &Path) -> identity::application::IdentityConfig {
        identity::application::IdentityConfig {
            key_file: Some(self.key_file(data_dir)),
            access_ttl: Duration::from_secs(self.access_token_ttl_secs.max(1)),
            refresh_ttl: Duration::from_secs(self.refresh_token_ttl_secs.max(1)),
            cookie_secure: self.session_cookie_secure,
            login_failures_per_account: self.login_failures_per_account,
            login_failure_window: Duration::from_secs(self.login_failure_window_secs),
            logins_per_ip_per_minute: self.logins_per_ip_per_minute,
            registrations_per_ip_per_hour: self.registrations_per_ip_per_hour,
            writes_per_user_per_minute: self.writes_per_user_per_minute,
        }
    }

    /// The signing key's file: the configured one, or `<data_dir>/keys/jwt-ed25519.pem`.
    #[must_use]
    pub fn key_file(&self, data_dir: &Path) -> PathBuf {
        self.jwt_private_key_file
            .clone()
            .unwrap_or_else(|| data_dir.join("keys").join("jwt-ed25519.pem"))
    }
}

/// Deadlines of the order saga and of carts.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Ordering")]
pub struct OrderingArgs {
    /// How long a placed order waits for its payment (authorised, stock reserved, captured)
    /// before it is cancelled, its authorisation voided and any stock released, in
    /// milliseconds.
    #[arg(long, env = "AGORA_ORDER_PAYMENT_TIMEOUT_MS", default_value_t = 30_000)]
    pub order_payment_timeout_ms: u64,

    /// How long inventory holds an order's stock reservation, in seconds.
    #[arg(long, env = "AGORA_ORDER_RESERVATION_TTL_SECS", default_value_t = 15 * 60)]
    pub order_reservation_ttl_secs: u64,

    /// How long a cart nobody touches (no line added, changed or removed) lives before it is
    /// abandoned and emptied (`CartAbandoned`), in seconds.
    #[arg(long, env = "AGORA_CART_TTL_SECS", default_value_t = 7 * 24 * 60 * 60)]
    pub cart_ttl_secs: u64,
    /// How long after a seller's delivery the buyer may ask to return its lines, in seconds
    /// (default 30 days).
    #[arg(long, env = "AGORA_ORDER_RETURN_WINDOW_SECS", default_value_t = 30 * 24 * 60 * 60)]
    pub order_return_window_secs: u64,
}

impl OrderingArgs {
    /// The ordering context's settings.
    #[must_use]
    pub fn config(&self) -> ordering::OrderingConfig {
        ordering::OrderingConfig {
            payment_timeout: Duration::from_millis(self.order_payment_timeout_ms.max(1)),
            reservation_ttl: Duration::from_secs(self.order_reservation_ttl_secs.max(1)),
            cart_ttl: Duration::from_secs(self.cart_ttl_secs.max(1)),
            return_window: Duration::from_secs(self.order_return_window_secs),
        }
    }
}

/// The simulated payment provider and the platform's commission on sellers' sales.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Payments")]
pub struct PaymentsArgs {
    /// How long the simulated provider takes to answer for the test token `tok_slow`, in
    /// milliseconds.
    #[arg(long, env = "AGORA_PAYMENT_SLOW_DELAY_MS", default_value_t = 5_000)]
    pub payment_slow_delay_ms: u64,

    /// The platform's commission on delivered lines, in basis points (0 to 10000; 1000 =
    /// 10 %): the platform keeps floor(gross × bps / 10000) of an order, the seller the rest.
    #[arg(
        long,
        env = "AGORA_COMMISSION_BPS",
        default_value_t = 1_000,
        value_parser = clap::value_parser!(u16).range(0..=10_000)
    )]
    pub commission_bps: u16,
}

impl PaymentsArgs {
    /// The simulated provider's settings.
    #[must_use]
    pub fn config(&self) -> infrastructure::payments::SimulatedProviderConfig {
        infrastructure::payments::SimulatedProviderConfig {
            slow_delay: Duration::from_millis(self.payment_slow_delay_ms),
        }
    }

    /// The commission rate (the parser already kept it within 0..=10000).
    #[must_use]
    pub fn commission(&self) -> payments::domain::CommissionRate {
        payments::domain::CommissionRate::new(u32::from(self.commission_bps))
            .unwrap_or(payments::domain::CommissionRate::DEFAULT)
    }
}

/// The podcasts context: where podcast apps reach this platform, and the secret behind
/// listener hashes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Podcasts")]
pub struct PodcastsArgs {
    /// The public base URL of this platform, as podcast apps reach it (scheme, host, port,
    /// no trailing slash): feed and enclosure URLs start with it, and every show's
    /// `podcast:guid` derives from its feed URL when the show is created.
    #[arg(long, env = "AGORA_PUBLIC_BASE_URL", default_value = podcasts::application::DEFAULT_PUBLIC_BASE_URL)]
    pub public_base_url: String,

    /// The server secret (hex) the daily salts of download listeners derive from; generated
    /// (32 random bytes, mode 0600) when missing. Default:
    /// `<data-dir>/keys/podcasts-listener-secret`. Share one file between processes.
    #[arg(long, env = "AGORA_PODCASTS_LISTENER_SECRET_FILE")]
    pub podcasts_listener_secret_file: Option<PathBuf>,
}

impl PodcastsArgs {
    /// The podcasts context's settings, with the secret file in `data_dir` unless configured.
    ///
    /// # Errors
    /// The secret file cannot be read or created.
    pub fn config(&self, data_dir: &Path) -> anyhow::Result<podcasts::application::PodcastsConfig> {
        let file = self
            .podcasts_listener_secret_file
            .clone()
            .unwrap_or_else(|| data_dir.join("keys").join("podcasts-listener-secret"));
        let secret = podcasts::application::load_or_generate_secret(&file)
            .map_err(|e| anyhow::anyhow!("podcasts listener secret {}: {e}", file.display()))?;
        Ok(podcasts::application::PodcastsConfig::new(
            &self.public_base_url,
            secret,
        ))
    }
}

/// The analysts' routes.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Analytics")]
pub struct AnalyticsArgs {
    /// Events buffered per `/api/v1/events/live` connection: a client that falls this far
    /// behind is sent a final `overflow` event naming where to resume, and closed.
    #[arg(long, env = "AGORA_EVENTS_LIVE_BUFFER", default_value_t = 1_024,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub events_live_buffer: u32,
}
