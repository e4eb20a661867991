//! The Episode aggregate and the ScheduledPublishing process manager, pure: publishing now or
//! at a time, a schedule's timer that publishes once and only while its schedule stands,
//! unpublishing, and who may do what.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly

use chrono::Duration;
use event_schemas::podcasts::{
    EpisodeEvent, EpisodeId, EpisodePublished, EpisodeScheduled, EpisodeUnscheduled, ShowId,
    ShowType,
};
use podcasts::application::{ScheduledPublishing, publish_timer_key};
use podcasts::domain::{Episode, EpisodeCommand, EpisodeError, EpisodeInput, EpisodeStatus};
use projections::saga::ProcessManager;
use shared_kernel::ids::UserId;
use shared_kernel::testing::{given, now};
use shared_kernel::{Cursor, DomainEvent, EventMetadata, Recorded, StreamId};
use uuid::Uuid;

fn input(number: Option<i64>) -> EpisodeInput {
    serde_json::from_value(serde_json::json!({
        "title": "The Italian Game", "audio_url": "https://cdn.example.org/1.mp3",
        "audio_bytes": 1000, "audio_type": "audio/mpeg", "duration_seconds": 60,
        "episode_number": number,
    }))
    .unwrap()
}

fn drafted(owner: UserId) -> (EpisodeId, ShowId, Vec<EpisodeEvent>) {
    let (episode_id, show_id) = (EpisodeId::new(), ShowId::new());
    let when = given::<Episode>(&[]).when(EpisodeCommand::Draft {
        episode_id,
        show_id,
        owner,
        show_type: ShowType::Episodic,
        input: input(None),
    });
    let history = when.events().to_vec();
    // The feed guid is fixed at the draft.
    assert_eq!(when.state().guid, episode_id.to_string());
    (episode_id, show_id, history)
}

fn recorded(event: &EpisodeEvent) -> Recorded {
    Recorded {
        event_id: Uuid::now_v7(),
        stream_id: StreamId::parse("episode-x").unwrap(),
        stream_version: 2,
        position: 2,
        cursor: Cursor::new(0, 2),
        event_type: event.event_type().to_owned(),
        schema_version: 1,
        data: event.to_data().unwrap(),
        metadata: EventMetadata::default(),
        recorded_at: now(),
    }
}

#[test]
fn a_scheduled_episode_is_published_by_its_timer_once() {
    let owner = UserId::new();
    let (episode_id, show_id, history) = drafted(owner);
    let mut episode = given::<Episode>(&history);
    let (schedule_id, at) = (Uuid::now_v7(), now() + Duration::hours(2));
    let scheduled = EpisodeEvent::Scheduled(EpisodeScheduled {
        episode_id,
        show_id,
        schedule_id,
        at,
    });
    let publish = EpisodeCommand::Publish {
        actor: owner,
        show_type: ShowType::Episodic,
        at: Some(at),
        schedule_id,
    };
    assert_eq!(episode.and(publish), vec![scheduled.clone()]);
    // The process manager sets the timer of this schedule, and its firing sends the command.
    let reaction = ScheduledPublishing.react(&recorded(&scheduled));
    assert_eq!(reaction.set_timers.len(), 1);
    assert_eq!(reaction.set_timers[0].key, publish_timer_key(schedule_id));
    assert_eq!(reaction.set_timers[0].due_at, at);
    let sent =
        ScheduledPublishing.on_timer(&reaction.set_timers[0].key, &reaction.set_timers[0].payload);
    assert_eq!(sent[0].name, "publish_scheduled");
    assert_eq!(sent[0].payload["schedule_id"], schedule_id.to_string());
    // The timer publishes at the scheduled time; a second firing changes nothing.
    assert_eq!(
        episode.and(EpisodeCommand::PublishScheduled { schedule_id }),
        vec![EpisodeEvent::Published(EpisodePublished {
            episode_id,
            show_id,
            published_at: at
        })]
    );
    episode
        .when(EpisodeCommand::PublishScheduled { schedule_id })
        .then_nothing();
}

#[test]
fn unscheduling_cancels_the_timer_and_a_stale_timer_publishes_nothing() {
    let owner = UserId::new();
    let (episode_id, show_id, history) = drafted(owner);
    let mut episode = given::<Episode>(&history);
    let schedule_id = Uuid::now_v7();
    let at = now() + Duration::hours(2);
    episode.and(EpisodeCommand::Publish {
        actor: owner,
        show_type: ShowType::Episodic,
        at: Some(at),
        schedule_id,
    });
    let unscheduled = EpisodeEvent::Unscheduled(EpisodeUnscheduled {
        episode_id,
        show_id,
        schedule_id,
    });
    assert_eq!(
        episode.and(EpisodeCommand::Unpublish { actor: owner }),
        vec![unscheduled.clone()]
    );
    let reaction = ScheduledPublishing.react(&recorded(&unscheduled));
    assert_eq!(reaction.cancel_timers, vec![publish_timer_key(schedule_id)]);
    let state = episode
        .when(EpisodeCommand::PublishScheduled { schedule_id })
        .then_nothing();
    assert_eq!(state.status, EpisodeStatus::Draft);
    // Rescheduled: a new schedule, the old one withdrawn.
    let again = Uuid::now_v7();
    let later = at + Duration::hours(1);
    episode.and(EpisodeCommand::Publish {
        actor: owner,
        show_type: ShowType::Episodic,
        at: Some(at),
        schedule_id: Uuid::now_v7(),
    });
    let events = episode.and(EpisodeCommand::Publish {
        actor: owner,
        show_type: ShowType::Episodic,
        at: Some(later),
        schedule_id: again,
    });
    assert!(
        matches!(events.as_slice(), [EpisodeEvent::Unscheduled(_), EpisodeEvent::Scheduled(s)] if s.schedule_id == again)
    );
}

#[test]
fn publishing_now_and_unpublishing_keep_the_guid_and_only_the_owner_may() {
    let owner = UserId::new();
    let stranger = UserId::new();
    let (episode_id, _, history) = drafted(owner);
    let mut episode = given::<Episode>(&history);
    // A stranger does not learn that a draft exists.
    episode
        .when(EpisodeCommand::Publish {
            actor: stranger,
            show_type: ShowType::Episodic,
            at: None,
            schedule_id: Uuid::now_v7(),
        })
        .then_rejects(EpisodeError::NotFound);
    episode.and(EpisodeCommand::Publish {
        actor: owner,
        show_type: ShowType::Episodic,
        at: None,
        schedule_id: Uuid::now_v7(),
    });
    // Published: visible, so a stranger is told it is not theirs.
    episode
        .when(EpisodeCommand::Unpublish { actor: stranger })
        .then_rejects(EpisodeError::NotOwner);
    let state = episode
        .when(EpisodeCommand::Unpublish { actor: owner })
        .then_accepts();
    assert_eq!(
        (state.status, state.guid),
        (EpisodeStatus::Draft, episode_id.to_string())
    );
    // A serial show's episode needs its number to be published.
    episode.and(EpisodeCommand::Unpublish { actor: owner });
    episode
        .when(EpisodeCommand::Publish {
            actor: owner,
            show_type: ShowType::Serial,
            at: None,
            schedule_id: Uuid::now_v7(),
        })
        .then_rejects(EpisodeError::NumberRequired);
}

#[test]
fn a_published_episode_refuses_another_time_and_checks_at_as_a_draft_does() {
    let owner = UserId::new();
    let (_, _, history) = drafted(owner);
    let publish = |at| EpisodeCommand::Publish {
        actor: owner,
        show_type: ShowType::Episodic,
        at,
        schedule_id: Uuid::now_v7(),
    };
    let mut episode = given::<Episode>(&history);
    // A draft: more than 366 days ahead is refused.
    let too_far = now() + Duration::days(367);
    assert!(matches!(
        episode.when(publish(Some(too_far))).error(),
        EpisodeError::Invalid(m) if m == "at must be within 366 days"
    ));
    episode.and(publish(None));
    // Published: the same `at` gets the same answer (it was accepted and ignored).
    assert!(matches!(
        episode.when(publish(Some(too_far))).error(),
        EpisodeError::Invalid(m) if m == "at must be within 366 days"
    ));
    // Another time, ahead or past, would be ignored: refused (409 already_published).
    for at in [now() + Duration::days(30), now() - Duration::days(30)] {
        episode
            .when(publish(Some(at)))
            .then_rejects(EpisodeError::AlreadyPublished);
    }
    // Publishing again, without a time or at the time it was published, changes nothing.
    episode.when(publish(None)).then_nothing();
    episode.when(publish(Some(now()))).then_nothing();
}
