//! The published contract of Agora's events: one module per context, each event with a type
//! name (`agora.<context>.<event_name>`) and a schema version. Older versions stay readable
//! through upcasters; golden fixtures of every version live in `fixtures/` and must load.

pub mod cart;
pub mod communities;
pub mod compat;
pub mod identity;
pub mod inventory;
pub mod merchandise;
pub mod ordering;
pub mod payments;
pub mod podcasts;
pub mod schemas;
pub mod upcast;

pub use upcast::{Upcaster, decode_event};
