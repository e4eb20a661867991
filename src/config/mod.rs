//! Configuration: the clap structs themselves, one section per concern, flattened into
//! `agora serve`. Every setting has a flag and an environment variable (README.md lists them);
//! flags win over the environment, the environment over the defaults. There is no second
//! copy: the platform is built from [`ServeArgs`] as parsed.

mod contexts;
mod sections;

use std::ffi::OsString;

use anyhow::Context as _;
use clap::{Args, CommandFactory, FromArgMatches, Parser};

pub use self::contexts::{AnalyticsArgs, IdentityArgs, OrderingArgs, PaymentsArgs, PodcastsArgs};
pub use self::sections::{EventFeedKind, FeedArgs, HttpArgs, MessagingArgs, StorageArgs};

/// Everything `agora serve` is configured with.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Run only these contexts (comma-separated); all when unset.
    #[arg(long, env = "AGORA_CONTEXTS", value_delimiter = ',')]
    pub contexts: Vec<String>,

    #[command(flatten)]
    pub http: HttpArgs,

    #[command(flatten)]
    pub storage: StorageArgs,

    #[command(flatten)]
    pub messaging: MessagingArgs,

    #[command(flatten)]
    pub feed: FeedArgs,

    #[command(flatten)]
    pub identity: IdentityArgs,

    #[command(flatten)]
    pub ordering: OrderingArgs,

    #[command(flatten)]
    pub payments: PaymentsArgs,

    #[command(flatten)]
    pub podcasts: PodcastsArgs,

    #[command(flatten)]
    pub analytics: AnalyticsArgs,
}

/// `serve`'s flags as a command of their own, to parse a list of them.
#[derive(Debug, Parser)]
#[command(name = "agora-serve")]
struct ServeFlags {
    #[command(flatten)]
    serve: ServeArgs,
}

impl ServeArgs {
    /// `serve`'s flags parsed from a list, as `agora serve <flags>` reads them: the
    /// environment fills what the flags leave unset.
    ///
    /// # Errors
    /// An unknown flag or an invalid value.
    pub fn from_flags<I, T>(flags: I) -> Result<Self, clap::Error>
    where
        I: IntoIterator<Item = T>,
        T: Into<OsString> + Clone,
    {
        let argv: Vec<OsString> = std::iter::once(OsString::from("agora-serve"))
            .chain(flags.into_iter().map(Into::into))
            .collect();
        ServeFlags::try_parse_from(argv).map(|f| f.serve)
    }

    /// The documented defaults: what clap gives with no flag and no environment variable
    /// (tests and one-shot commands start from these).
    ///
    /// # Errors
    /// Never in practice: the defaults are valid values of their flags.
    pub fn defaults() -> Result<Self, clap::Error> {
        let command = ServeFlags::command().mut_args(|arg| arg.env(None::<&'static str>));
        let matches = command.try_get_matches_from(["agora-serve"])?;
        ServeFlags::from_arg_matches(&matches).map(|f| f.serve)
    }

    /// The defaults with this storage (one-shot commands: migrate, projections).
    ///
    /// # Errors
    /// Never in practice (see [`defaults`](Self::defaults)).
    pub fn with_storage(storage: StorageArgs) -> Result<Self, clap::Error> {
        Ok(Self {
            storage,
            ..Self::defaults()?
        })
    }

    /// Checks the context names and creates the data directory of an embedded database.
    ///
    /// # Errors
    /// An unknown context name, or a data directory that cannot be created.
    pub fn validate(&self) -> anyhow::Result<()> {
        let known = crate::contexts::names();
        for c in &self.contexts {
            anyhow::ensure!(
                known.contains(&c.as_str()),
                "unknown context {c:?}; known: {}",
                known.join(", ")
            );
        }
        if self.storage.database_url.is_none() {
            let dir = &self.storage.data_dir;
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create data directory {}", dir.display()))?;
        }
        Ok(())
    }

    /// Whether this process runs `context` (`--contexts` unset: every context).
    #[must_use]
    pub fn runs(&self, context: &str) -> bool {
        self.contexts.is_empty() || self.contexts.iter().any(|c| c == context)
    }

    /// The contexts this process runs, as a stable name: `all`, or the sorted names joined
    /// with `+`. Processes running the same set share a Kafka consumer group (and split its
    /// partitions); any other set reads every partition itself.
    #[must_use]
    pub fn contexts_key(&self) -> String {
        let known = crate::contexts::names();
        let mut runs: Vec<&str> = known.iter().copied().filter(|c| self.runs(c)).collect();
        if runs.len() == known.len() {
            return "all".to_owned();
        }
        runs.sort_unstable();
        runs.join("+")
    }

    /// The identity context's settings (the key file defaults to the data directory).
    #[must_use]
    pub fn identity_config(&self) -> identity::application::IdentityConfig {
        self.identity.config(&self.storage.data_dir)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn defaults_are_the_documented_ones() {
        let d = ServeArgs::defaults().unwrap();
        assert_eq!(d.http.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(d.http.command_timeout_ms, 10_000);
        assert_eq!(d.storage.db_pool_size, 16);
        assert_eq!(d.messaging.kafka_partitions, 6);
        assert_eq!(d.feed.event_feed, EventFeedKind::Store);
        assert!(d.identity.session_cookie_secure);
        assert_eq!(d.ordering.order_payment_timeout_ms, 30_000);
        assert_eq!(d.ordering.cart_ttl_secs, 604_800);
        assert_eq!(d.ordering.order_return_window_secs, 2_592_000);
        assert_eq!(d.payments.payment_slow_delay_ms, 5_000);
        assert_eq!(d.payments.commission_bps, 1_000);
        assert_eq!(d.podcasts.public_base_url, "http://127.0.0.1:8080");
        assert!(d.contexts.is_empty());
    }

    #[test]
    fn the_commission_is_basis_points_up_to_one_hundred_percent() {
        let s = ServeArgs::from_flags(["--commission-bps", "250"]).unwrap();
        assert_eq!(s.payments.commission().bps(), 250);
        assert!(ServeArgs::from_flags(["--commission-bps", "10001"]).is_err());
    }

    #[test]
    fn flags_override_defaults() {
        let s = ServeArgs::from_flags(["--contexts", "ordering,payments", "--read-wait-ms", "7"])
            .unwrap();
        assert_eq!(s.contexts, ["ordering", "payments"]);
        assert_eq!(s.http.read_wait_ms, 7);
        assert_eq!(s.contexts_key(), "ordering+payments");
    }
}
