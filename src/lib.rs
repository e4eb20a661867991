//! The `agora` composition root: command line, configuration, wiring of adapters into
//! contexts, and the HTTP server. No domain logic lives here.

pub mod app;
pub mod bench;
pub mod bench_messaging;
pub mod bench_orders;
pub mod cli;
pub mod ops;
pub mod projections_cli;
pub mod telemetry;
pub mod users_cli;
