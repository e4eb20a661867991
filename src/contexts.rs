//! Every bounded context this binary knows, registered in one place. Adding a context: write
//! its crate (with a `registration::context` function building its [`Context`]) and add one
//! line to [`ALL`]; the composition root loops over the ones a process runs.

use std::sync::Arc;

use context_kit::{Context, Services};
use infrastructure::payments::SimulatedPaymentProvider;

use crate::app::Auth;
use crate::config::ServeArgs;

/// What a registration may build its context from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The platform's adapters and shared settings.
    pub services: &'a Services,
    /// The process's configuration (a context picks its own section).
    pub config: &'a ServeArgs,
    /// The signing key and refresh-token storage the identity context issues tokens with.
    pub auth: &'a Auth,
}

/// One context: its name (what `--contexts` selects) and how to build it.
#[derive(Debug, Clone, Copy)]
pub struct Registration {
    /// The context's name, as its crate's `CONTEXT`.
    pub name: &'static str,
    /// The HTTP paths the context serves, as path prefixes (`{..}` stands for one segment):
    /// the gateway routes a request to the context whose prefix matches it (one with a
    /// `{..}` segment wins over a plain one, else the longest). `agora gateway-config` reads
    /// these; `tests/gateway.rs` checks them against every context's OpenAPI paths.
    pub routes: &'static [&'static str],
    /// Those of its routes that are live streams (server-sent events): the gateway passes them
    /// through unbuffered, with a long read timeout.
    pub live: &'static [&'static str],
    /// Builds the context from the platform's services and configuration.
    pub build: fn(Inputs<'_>) -> anyhow::Result<Context>,
}

/// Every context, in the order they are wired (one line each, so rustfmt leaves them be).
#[rustfmt::skip]
pub const ALL: &[Registration] = &[
    Registration { name: identity::CONTEXT, routes: &["/api/v1/users", "/api/v1/me", "/api/v1/sessions", "/.well-known/jwks.json"], live: &[], build: |i| Ok(identity::registration::context(i.services, i.auth.issuer(), i.auth.refresh(), &i.config.identity_config())?) },
    Registration { name: merchandise::CONTEXT, routes: &["/api/v1/products"], live: &[], build: |i| Ok(merchandise::registration::context(i.services)) },
    Registration { name: inventory::CONTEXT, routes: &["/api/v1/inventory"], live: &[], build: |i| Ok(inventory::registration::context(i.services)) },
    Registration { name: ordering::CONTEXT, routes: &["/api/v1/cart", "/api/v1/orders", "/api/v1/sellers/me/fulfilments"], live: &[], build: |i| Ok(ordering::registration::context(i.services, i.config.ordering.config())) },
    Registration { name: payments::CONTEXT, routes: &["/api/v1/payments", "/api/v1/sellers/me/balance", "/api/v1/sellers/me/payouts", "/api/v1/wallet", "/api/v1/wallets"], live: &[], build: |i| Ok(payments::registration::context(i.services, Arc::new(SimulatedPaymentProvider::new(i.config.payments.config())), i.config.payments.commission())) },
    Registration { name: communities::CONTEXT, routes: &["/api/v1/communities", "/api/v1/posts", "/api/v1/comments", "/api/v1/reports", "/api/v1/users/{id}/karma"], live: &["/api/v1/posts/{id}/comments/live"], build: |i| Ok(communities::registration::context(i.services)) },
    Registration { name: podcasts::CONTEXT, routes: &["/api/v1/shows", "/api/v1/episodes", "/api/v1/me/subscriptions", "/api/v1/me/subscriptions.opml"], live: &[], build: |i| Ok(podcasts::registration::context(i.services, i.config.podcasts.config(&i.config.storage.data_dir)?)) },
    Registration { name: recommendations::CONTEXT, routes: &["/api/v1/me/recommendations", "/api/v1/products/{id}/also-bought", "/api/v1/shows/{id}/similar"], live: &[], build: |i| Ok(recommendations::registration::context(i.services)) },
    Registration { name: analytics::CONTEXT, routes: &["/analytics", "/api/v1/analytics", "/api/v1/events", "/api/v1/schemas", "/api/v1/streams"], live: &["/api/v1/events/live"], build: |i| Ok(analytics::registration::context_with(i.services, i.config.analytics.events_live_buffer as usize)) },
];

/// The names of every context.
#[must_use]
pub fn names() -> Vec<&'static str> {
    ALL.iter().map(|r| r.name).collect()
}

/// The contexts `config` selects, built.
///
/// # Errors
/// A context cannot be built (its settings are unusable).
pub fn build(inputs: Inputs<'_>) -> anyhow::Result<Vec<Context>> {
    ALL.iter()
        .filter(|r| inputs.config.runs(r.name))
        .map(|r| (r.build)(inputs))
        .collect()
}
