//! The Subscription aggregate (`subscription-<show>_<user>`): one listener's subscription to
//! one show. Subscribing twice, or unsubscribing when not subscribed, changes nothing: both are
//! idempotent, and racing subscribers of one show never touch the same stream.

use event_schemas::podcasts::{ShowId, ShowSubscribed, ShowUnsubscribed, SubscriptionEvent};
use shared_kernel::ids::UserId;
use shared_kernel::{Aggregate, RejectionKind, Timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionCommand {
    Subscribe { show_id: ShowId, user_id: UserId },
    Unsubscribe { show_id: ShowId, user_id: UserId },
}

/// Subscriptions refuse nothing themselves (the handler checks that the show exists).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("subscriptions refuse nothing")]
pub struct SubscriptionError;

impl shared_kernel::Rejection for SubscriptionError {
    fn code_and_kind(&self) -> (&'static str, RejectionKind) {
        ("conflict", RejectionKind::Conflict)
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Subscription {
    pub subscribed: bool,
}

impl Aggregate for Subscription {
    const KIND: &'static str = "subscription";
    type Command = SubscriptionCommand;
    type Event = SubscriptionEvent;
    type Error = SubscriptionError;

    fn decide(
        &self,
        command: SubscriptionCommand,
        _now: Timestamp,
    ) -> Result<Vec<SubscriptionEvent>, SubscriptionError> {
        Ok(match command {
            SubscriptionCommand::Subscribe { show_id, user_id } if !self.subscribed => {
                vec![SubscriptionEvent::Subscribed(ShowSubscribed {
                    show_id,
                    user_id,
                })]
            }
            SubscriptionCommand::Unsubscribe { show_id, user_id } if self.subscribed => {
                vec![SubscriptionEvent::Unsubscribed(ShowUnsubscribed {
                    show_id,
                    user_id,
                })]
            }
            _ => vec![],
        })
    }

    fn evolve(self, event: &SubscriptionEvent) -> Self {
        Self {
            subscribed: matches!(event, SubscriptionEvent::Subscribed(_)),
        }
    }
}
