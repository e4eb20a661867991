//! The `agora` composition root: command line, configuration, the registry of contexts, the
//! wiring of adapters into them, and the HTTP server. No domain logic and no benchmark lives
//! here (the benchmarks are the `agora-bench` crate, which this root depends on, never the
//! other way round).

pub mod app;
pub mod cli;
pub mod config;
pub mod contexts;
pub mod deploy;
pub mod events_cli;
pub mod gateway;
pub mod launcher;
pub mod openapi;
pub mod ops;
pub mod projections_cli;
pub mod telemetry;
pub mod users_cli;
