//! The contract between a bounded context and the composition root.
//!
//! Each context's crate builds one [`Context`] from the [`Services`] the platform hands it:
//! its command handler, its read models, its process managers, its routes and any background
//! work. The composition root (the `agora` binary) registers each context with one line and
//! loops over the ones a process runs; it never reaches into a context's modules itself.
//!
//! Why a crate of its own: a `Context` names types of three crates (`shared-kernel`'s command
//! handler, `projections`' read models and process managers, `axum`'s router), and neither
//! `shared-kernel` (no I/O crates) nor `http-kernel` (no projector runtime) may depend on all of
//! them. Every context already depends on those three, so this crate adds nothing to their
//! builds but a few dozen lines.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use futures::future::BoxFuture;
use projections::saga::ProcessManager;
use projections::{Progress, Projection};
use shared_kernel::{Clock, CommandBus, CommandHandler, EventStore};
use sqlx::AnyPool;
use tokio_util::sync::CancellationToken;
use utoipa::Modify as _;

/// What the platform hands every context when it wires it: the shared adapters and settings.
/// Cheap to clone (handles only).
#[derive(Debug, Clone)]
pub struct Services {
    /// The event store commands load from and append to.
    pub store: Arc<dyn EventStore>,
    /// The time source of command handlers and process managers.
    pub clock: Arc<dyn Clock>,
    /// The read-model database (the SQL subset PostgreSQL and SQLite share).
    pub read: AnyPool,
    /// The command bus routes and process managers send on.
    pub bus: Arc<dyn CommandBus>,
    /// How far each read model has applied the log (read-your-writes waits).
    pub progress: Progress,
    /// How long a read with `Agora-Min-Position` may wait for its read model.
    pub read_wait: Duration,
    /// Cancelled when the process stops: background work ends with it.
    pub shutdown: CancellationToken,
}

impl Services {
    /// The state a context's routes share ([`http_kernel::ContextApi`]), naming `context`.
    #[must_use]
    pub fn api(&self, context: &'static str) -> http_kernel::ContextApi {
        http_kernel::ContextApi::new(
            context,
            Arc::clone(&self.bus),
            self.read.clone(),
            self.progress.clone(),
            self.read_wait,
        )
    }
}

/// Work a context runs in the background while the process serves (a periodic refresh, a
/// stream closed at shutdown). Built, not started: the composition root spawns it only when it
/// serves, so `migrate` or `projections status` can list a context's read models for free.
pub type Background = BoxFuture<'static, ()>;

/// One bounded context as the platform runs it. Built by the context's own crate
/// (`<context>::registration::context`), consumed by the composition root.
pub struct Context {
    /// The context's name: its command queue, its stream prefixes' owner, its topic segment.
    pub name: &'static str,
    /// Handles the commands addressed to [`name`](Self::name); `None` for a context without
    /// commands.
    pub handler: Option<Arc<dyn CommandHandler>>,
    /// The context's read models, applied together: one transaction per page of events.
    pub projections: Vec<Arc<dyn Projection>>,
    /// The context's process managers (sagas), each reacting to events with commands.
    pub process_managers: Vec<Arc<dyn ProcessManager>>,
    /// The context's HTTP routes (empty for a context without any).
    pub router: Router,
    /// Background work, spawned when the process serves.
    pub background: Vec<Background>,
    /// The OpenAPI description of [`router`](Self::router)'s routes, from the same declarations
    /// ([`Self::with_routes`]); the composition root merges every context's into one.
    pub openapi: utoipa::openapi::OpenApi,
}

impl Context {
    /// A context with nothing wired yet; the `with_*` methods add its parts.
    #[must_use]
    pub fn new(name: &'static str) -> Self {
        Self {
            name,
            handler: None,
            projections: Vec::new(),
            process_managers: Vec::new(),
            router: Router::new(),
            background: Vec::new(),
            openapi: utoipa::openapi::OpenApi::default(),
        }
    }

    /// Sets the command handler.
    #[must_use]
    pub fn with_handler(mut self, handler: Arc<dyn CommandHandler>) -> Self {
        self.handler = Some(handler);
        self
    }

    /// Adds read models.
    #[must_use]
    pub fn with_projections(
        mut self,
        projections: impl IntoIterator<Item = Arc<dyn Projection>>,
    ) -> Self {
        self.projections.extend(projections);
        self
    }

    /// Adds a process manager.
    #[must_use]
    pub fn with_process_manager(mut self, manager: Arc<dyn ProcessManager>) -> Self {
        self.process_managers.push(manager);
        self
    }

    /// Adds the context's routes, each declared once (`http_kernel::routes!` on an
    /// `http_kernel::Routes`, state applied): they are served, and described in the context's
    /// document, completed with what every operation of a context shares (its tag, the shared
    /// parameters and problem responses: `http_kernel::openapi::ContextOperations`).
    #[must_use]
    pub fn with_routes(mut self, routes: http_kernel::Routes) -> Self {
        let (router, mut doc) = routes.split_for_parts();
        http_kernel::openapi::ContextOperations { tag: self.name }.modify(&mut doc);
        let components = doc.components.get_or_insert_with(Default::default);
        for (name, schema) in http_kernel::openapi::shared_schemas() {
            components.schemas.entry(name).or_insert(schema);
        }
        self.router = self.router.merge(router);
        self.openapi.merge(doc);
        self
    }

    /// Adds background work.
    #[must_use]
    pub fn with_background(mut self, work: Background) -> Self {
        self.background.push(work);
        self
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("name", &self.name)
            .field("handler", &self.handler.is_some())
            .field(
                "projections",
                &self
                    .projections
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>(),
            )
            .field("process_managers", &self.process_managers.len())
            .field("background", &self.background.len())
            .field("openapi_paths", &self.openapi.paths.paths.len())
            .finish_non_exhaustive()
    }
}
