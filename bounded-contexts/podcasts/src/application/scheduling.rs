//! `ScheduledPublishing`: an episode scheduled for a time is published by a durable timer (the
//! saga runtime's `saga_timers`), which survives a restart and fires once.
//!
//! | event | reaction |
//! |---|---|
//! | EpisodeScheduled | set timer `episode-publish:<schedule_id>` at `at` |
//! | EpisodeUnscheduled | cancel that timer |
//! | timer | send podcasts `publish_scheduled {episode_id, schedule_id}` (no effect unless that schedule still stands) |
//!
//! Each schedule has its own timer key: a cancelled timer is a tombstone the runtime never
//! revives, so rescheduling (a new schedule id) sets a new timer rather than reusing one.

use event_schemas::podcasts::{EpisodeEvent, EpisodeId};
use projections::Interest;
use projections::saga::{Dispatch, ProcessManager, Reaction, SetTimer};
use shared_kernel::{DomainEvent, Recorded};
use uuid::Uuid;

use crate::CONTEXT;

/// The process manager's name: its checkpoint and timer namespace.
pub const SCHEDULED_PUBLISHING: &str = "podcasts.scheduled_publishing";
/// The command the timer sends.
pub const PUBLISH_SCHEDULED: &str = "publish_scheduled";
const TIMER_PREFIX: &str = "episode-publish:";

/// The timer of one schedule.
#[must_use]
pub fn publish_timer_key(schedule_id: Uuid) -> String {
    format!("{TIMER_PREFIX}{schedule_id}")
}

#[derive(Debug, Default, Clone, Copy)]
pub struct ScheduledPublishing;

impl ProcessManager for ScheduledPublishing {
    fn name(&self) -> &'static str {
        SCHEDULED_PUBLISHING
    }

    fn handles(&self) -> Interest {
        Interest::Types(&[
            event_schemas::podcasts::EPISODE_SCHEDULED,
            event_schemas::podcasts::EPISODE_UNSCHEDULED,
        ])
    }

    fn react(&self, event: &Recorded) -> Reaction {
        let decoded =
            EpisodeEvent::decode(&event.event_type, event.schema_version, event.data.clone());
        match decoded {
            Ok(EpisodeEvent::Scheduled(s)) => Reaction {
                set_timers: vec![SetTimer {
                    key: publish_timer_key(s.schedule_id),
                    due_at: s.at,
                    from_reaction: false, // the time the host chose
                    payload: serde_json::json!({
                        "episode_id": s.episode_id, "schedule_id": s.schedule_id
                    }),
                }],
                ..Reaction::default()
            },
            Ok(EpisodeEvent::Unscheduled(u)) => Reaction {
                cancel_timers: vec![publish_timer_key(u.schedule_id)],
                ..Reaction::default()
            },
            Ok(_) => Reaction::default(),
            Err(e) => {
                tracing::warn!(error = %e, "episode event not understood; ignored");
                Reaction::default()
            }
        }
    }

    fn on_timer(&self, key: &str, payload: &serde_json::Value) -> Vec<Dispatch> {
        let schedule_id = payload["schedule_id"]
            .as_str()
            .or_else(|| key.strip_prefix(TIMER_PREFIX))
            .and_then(|id| id.parse::<Uuid>().ok());
        let episode_id = payload["episode_id"]
            .as_str()
            .and_then(|id| id.parse::<EpisodeId>().ok());
        let (Some(schedule_id), Some(episode_id)) = (schedule_id, episode_id) else {
            tracing::warn!(%key, "publishing timer without its episode; ignored");
            return vec![];
        };
        vec![Dispatch {
            context: CONTEXT.to_owned(),
            name: PUBLISH_SCHEDULED.to_owned(),
            payload: serde_json::json!({ "episode_id": episode_id, "schedule_id": schedule_id }),
        }]
    }
}
