//! The podcasts command handler: one dispatch over the four aggregates. Episode and
//! subscription commands read the show first (its owner, its type, whether it was deleted):
//! a decision on one stream with a fact read from another, which is safe because a show's
//! owner never changes and a deletion is final.

use std::sync::Arc;

use async_trait::async_trait;
use event_schemas::podcasts::{EpisodeId, ShowId};
use shared_kernel::application::{
    CommandKit, Handled, accept, decode, finish, rejected, require_system, require_user,
};
use shared_kernel::ids::{UserId, derive_id};
use shared_kernel::{
    Aggregate, Clock, CommandEnvelope, CommandHandler, CommandReply, EventStore, StoreError,
    StreamId,
};

use super::{
    DownloadOutcome, DownloadRequest, EpisodeRequest, EpisodeWritten, PodcastsCommand,
    PodcastsConfig, ShowRequest, ShowWritten, SubscriptionRequest, SubscriptionState,
};
use crate::domain::{
    CountDownload, Download, Episode, EpisodeCommand, EpisodeError, Show, ShowCommand, ShowError,
    Subscription, SubscriptionCommand, download_key,
};

#[derive(Debug)]
pub struct PodcastsHandler {
    kit: CommandKit,
    config: PodcastsConfig,
}

#[must_use]
pub fn show_stream(show_id: ShowId) -> StreamId {
    StreamId::of(Show::KIND, show_id)
}

#[must_use]
pub fn episode_stream(episode_id: EpisodeId) -> StreamId {
    StreamId::of(Episode::KIND, episode_id)
}

#[must_use]
pub fn subscription_stream(show_id: ShowId, user_id: UserId) -> StreamId {
    StreamId::of(Subscription::KIND, format!("{show_id}_{user_id}"))
}

#[must_use]
pub fn download_stream(episode_id: EpisodeId, day: &str, listener: &str) -> StreamId {
    StreamId::of(Download::KIND, download_key(episode_id, day, listener))
}

impl PodcastsHandler {
    #[must_use]
    pub fn new(store: Arc<dyn EventStore>, clock: Arc<dyn Clock>, config: PodcastsConfig) -> Self {
        Self {
            kit: CommandKit::new(store, clock),
            config,
        }
    }

    async fn run(&self, envelope: &CommandEnvelope) -> Handled {
        match decode(envelope)? {
            PodcastsCommand::Show(request) => self.show(envelope, request).await,
            PodcastsCommand::Episode(request) => self.episode(envelope, request).await,
            PodcastsCommand::Subscription(request) => self.subscription(envelope, request).await,
            PodcastsCommand::Download(request) => {
                require_system(envelope, "only the platform counts downloads")?;
                self.download(envelope, request).await
            }
        }
    }

    async fn show(&self, envelope: &CommandEnvelope, request: ShowRequest) -> Handled {
        let actor = require_user(envelope)?;
        let (show_id, command) = match request {
            ShowRequest::CreateShow { show_id, show } => (
                show_id,
                ShowCommand::Create {
                    show_id,
                    owner: actor,
                    feed_url: self.config.feed_url(show_id),
                    input: show,
                },
            ),
            ShowRequest::EditShow { show_id, patch } => {
                (show_id, ShowCommand::Edit { actor, patch })
            }
            ShowRequest::DeleteShow { show_id } => (show_id, ShowCommand::Delete { actor }),
        };
        let stream = show_stream(show_id);
        let result = self
            .kit
            .execute::<Show>(&stream, command, &envelope.event_metadata())
            .await;
        accept(envelope, &stream, result, |done| {
            ShowWritten::from(&*done.state)
        })
    }

    /// The show as it is now (refusing an unknown one).
    async fn existing_show(
        &self,
        envelope: &CommandEnvelope,
        show_id: ShowId,
    ) -> Result<Show, shared_kernel::application::Stop> {
        let show = self.kit.state::<Show>(&show_stream(show_id)).await?;
        if !show.created {
            return Err(rejected(envelope, &ShowError::NotFound).into());
        }
        Ok(show)
    }

    async fn episode(&self, envelope: &CommandEnvelope, request: EpisodeRequest) -> Handled {
        let (episode_id, command) = match request {
            EpisodeRequest::DraftEpisode {
                episode_id,
                show_id,
                episode,
            } => {
                let actor = require_user(envelope)?;
                let show = self.existing_show(envelope, show_id).await?;
                show.owned_by(actor).map_err(|e| rejected(envelope, &e))?;
                let command = EpisodeCommand::Draft {
                    episode_id,
                    show_id,
                    owner: actor,
                    show_type: show.show_type(),
                    input: episode,
                };
                (episode_id, command)
            }
            EpisodeRequest::PublishScheduled {
                episode_id,
                schedule_id,
            } => {
                require_system(envelope, "only the scheduling timer sends this command")?;
                (episode_id, EpisodeCommand::PublishScheduled { schedule_id })
            }
            EpisodeRequest::EditEpisode { episode_id, patch } => {
                let actor = require_user(envelope)?;
                let show = self.show_of_episode(envelope, episode_id, actor).await?;
                let command = EpisodeCommand::Edit {
                    actor,
                    show_type: show.show_type(),
                    patch,
                };
                (episode_id, command)
            }
            EpisodeRequest::PublishEpisode { episode_id, at } => {
                let actor = require_user(envelope)?;
                let show = self.show_of_episode(envelope, episode_id, actor).await?;
                let command = EpisodeCommand::Publish {
                    actor,
                    show_type: show.show_type(),
                    at,
                    schedule_id: derive_id(envelope.command_id, "schedule"),
                };
                (episode_id, command)
            }
            EpisodeRequest::UnpublishEpisode { episode_id } => {
                let actor = require_user(envelope)?;
                self.show_of_episode(envelope, episode_id, actor).await?;
                (episode_id, EpisodeCommand::Unpublish { actor })
            }
        };
        let stream = episode_stream(episode_id);
        let result = self
            .kit
            .execute::<Episode>(&stream, command, &envelope.event_metadata())
            .await;
        accept(envelope, &stream, result, |done| {
            EpisodeWritten::from(&*done.state)
        })
    }

    /// The show of an episode its owner is changing: an episode of a deleted show is gone
    /// with it. Strangers learn nothing here (the episode's own decision refuses them).
    async fn show_of_episode(
        &self,
        envelope: &CommandEnvelope,
        episode_id: EpisodeId,
        actor: UserId,
    ) -> Result<Show, shared_kernel::application::Stop> {
        let episode = self
            .kit
            .state::<Episode>(&episode_stream(episode_id))
            .await?;
        if episode.details.is_none() {
            return Err(rejected(envelope, &EpisodeError::NotFound).into());
        }
        let show = self
            .kit
            .state::<Show>(&show_stream(episode.show_id))
            .await?;
        if show.deleted && episode.owner == actor {
            return Err(rejected(envelope, &ShowError::Deleted).into());
        }
        Ok(show)
    }

    async fn subscription(
        &self,
        envelope: &CommandEnvelope,
        request: SubscriptionRequest,
    ) -> Handled {
        let user_id = require_user(envelope)?;
        let command = match request {
            SubscriptionRequest::Subscribe { show_id } => {
                let show = self.existing_show(envelope, show_id).await?;
                if show.deleted {
                    return Err(rejected(envelope, &ShowError::Deleted).into());
                }
                SubscriptionCommand::Subscribe { show_id, user_id }
            }
            SubscriptionRequest::Unsubscribe { show_id } => {
                // A deleted show may still be left; an unknown one is not found.
                self.existing_show(envelope, show_id).await?;
                SubscriptionCommand::Unsubscribe { show_id, user_id }
            }
        };
        let show_id = match command {
            SubscriptionCommand::Subscribe { show_id, .. }
            | SubscriptionCommand::Unsubscribe { show_id, .. } => show_id,
        };
        let stream = subscription_stream(show_id, user_id);
        // Many clients of one listener may race (an app's retries): one stream, taken in turn.
        let result = self
            .kit
            .execute_contended::<Subscription>(&stream, command, &envelope.event_metadata())
            .await;
        accept(envelope, &stream, result, |done| SubscriptionState {
            show_id: show_id.to_string(),
            subscribed: done.state.subscribed,
        })
    }

    async fn download(&self, envelope: &CommandEnvelope, request: DownloadRequest) -> Handled {
        let DownloadRequest::CountDownload {
            episode_id,
            show_id,
            day,
            listener,
        } = request;
        let stream = download_stream(episode_id, &day, &listener);
        let command = CountDownload {
            episode_id,
            show_id,
            day,
            listener,
            at: self.kit.clock.now(),
        };
        let result = self
            .kit
            .execute::<Download>(&stream, command, &envelope.event_metadata())
            .await;
        accept(envelope, &stream, result, |done| DownloadOutcome {
            counted: done.appended.is_some(),
        })
    }
}

#[async_trait]
impl CommandHandler for PodcastsHandler {
    async fn handle(&self, envelope: CommandEnvelope) -> Result<CommandReply, StoreError> {
        finish(self.run(&envelope).await)
    }
}
