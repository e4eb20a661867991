//! The shared kernel: the few types every bounded context agrees on, and the ports that
//! adapters implement. It depends on no database, web framework or broker crate, so domain
//! code that uses it stays pure and testable without I/O.

pub mod aggregate;
pub mod application;
pub mod cache;
pub mod clock;
pub mod command;
pub mod event;
pub mod filter;
pub mod ids;
pub mod money;
pub mod payments;
pub mod ports;
pub mod rejection;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod text;

pub use aggregate::{Aggregate, DecodeError, DomainEvent, SnapshotPolicy};
pub use cache::AggregateCache;
pub use clock::{Clock, FixedClock, SystemClock, Timestamp};
pub use command::{CommandEnvelope, CommandOutcome, CommandReply, ContextCommand};
pub use event::{
    Appended, Cursor, EventMetadata, ExpectedVersion, NewEvent, Recorded, Snapshot, StreamId,
    StreamIdError,
};
pub use filter::{EventFilter, TypeMatch};
pub use money::{Currency, Money, MoneyError};
pub use ports::{
    BusError, CheckpointStore, CommandBus, CommandHandler, EventFeed, EventStore, FeedError, Page,
    StoreError,
};
pub use rejection::{Rejection, RejectionKind};
pub use text::{TextError, TextRule};
