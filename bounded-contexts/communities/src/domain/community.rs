//! The Community aggregate: its name, owner, moderators, visibility and rules.
//!
//! A community's id is derived from its name ([`community_id_for`]): a name resolves to its
//! stream without a read model, and creating a name that exists meets the existing stream
//! (the store's per-stream version uniqueness settles a race), so no separate name-claim
//! stream (and no orphaned claim to clean up) is needed.

use std::collections::BTreeSet;

use event_schemas::communities::{
    CommunityCreated, CommunityEvent, CommunitySettingsChanged, ModeratorAppointed,
    ModeratorRemoved, Visibility,
};
use shared_kernel::ids::{CommunityId, UserId};
use shared_kernel::{Aggregate, TextRule, Timestamp};
use uuid::Uuid;

use super::error::{CommunitiesError, check_text};

const MIN_NAME: usize = 3;
const MAX_NAME: usize = 21;
const TITLE: TextRule = TextRule::line("title", 1, 100);
const DESCRIPTION: TextRule = TextRule::multiline("description", 0, 5_000);
const MAX_RULES: usize = 15;
const RULE: TextRule = TextRule::multiline("a rule", 1, 500);

/// The namespace of community ids (UUIDv5 of the lower-cased name). Never change it: every
/// stored community id depends on it.
const COMMUNITY_NAMESPACE: Uuid = Uuid::from_u128(0x6167_6f72_615f_636f_6d6d_756e_6974_6965);

/// A name as stored and compared: trimmed and lower-cased.
#[must_use]
pub fn normalize_name(name: &str) -> String {
    name.trim().to_ascii_lowercase()
}

/// The id of the community called `name` (any case).
#[must_use]
pub fn community_id_for(name: &str) -> CommunityId {
    CommunityId(Uuid::new_v5(
        &COMMUNITY_NAMESPACE,
        normalize_name(name).as_bytes(),
    ))
}

/// # Errors
/// The (normalized) name is not 3 to 21 of `a-z`, `0-9`, `_`.
pub fn validate_name(name: &str) -> Result<(), CommunitiesError> {
    let name = normalize_name(name);
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !ok_chars || !(MIN_NAME..=MAX_NAME).contains(&name.len()) {
        return Err(CommunitiesError::Invalid(format!(
            "name must be {MIN_NAME} to {MAX_NAME} of a-z, 0-9 and _"
        )));
    }
    Ok(())
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Community {
    pub id: CommunityId,
    pub name: String,
    pub title: String,
    pub description: String,
    pub rules: Vec<String>,
    pub visibility: Visibility,
    /// `None` until created.
    pub owner: Option<UserId>,
    pub moderators: BTreeSet<UserId>,
}

/// What a user provides to create a community.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommunity {
    pub name: String,
    pub title: String,
    pub description: String,
    pub rules: Vec<String>,
    pub visibility: Visibility,
    pub owner: UserId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommunityCommand {
    Create(NewCommunity),
    /// Fields left `None` keep their value. Moderators may change settings.
    ChangeSettings {
        actor: UserId,
        title: Option<String>,
        description: Option<String>,
        rules: Option<Vec<String>>,
        visibility: Option<Visibility>,
    },
    /// The owner appoints.
    AppointModerator {
        actor: UserId,
        user: UserId,
    },
    /// The owner removes anyone but themselves; a moderator may step down.
    RemoveModerator {
        actor: UserId,
        user: UserId,
    },
}

impl Community {
    #[must_use]
    pub const fn exists(&self) -> bool {
        self.owner.is_some()
    }

    #[must_use]
    pub fn is_moderator(&self, user: UserId) -> bool {
        self.moderators.contains(&user)
    }

    #[must_use]
    pub fn is_owner(&self, user: UserId) -> bool {
        self.owner == Some(user)
    }

    fn existing(&self) -> Result<(), CommunitiesError> {
        if self.exists() {
            Ok(())
        } else {
            Err(CommunitiesError::NotFound("community"))
        }
    }
}

fn check_settings(
    title: &str,
    description: &str,
    rules: &[String],
) -> Result<(), CommunitiesError> {
    check_text(&TITLE, title)?;
    check_text(&DESCRIPTION, description)?;
    if rules.len() > MAX_RULES {
        return Err(CommunitiesError::Invalid(format!(
            "at most {MAX_RULES} rules"
        )));
    }
    rules.iter().try_for_each(|rule| check_text(&RULE, rule))
}

impl Aggregate for Community {
    const KIND: &'static str = "community";
    type Command = CommunityCommand;
    type Event = CommunityEvent;
    type Error = CommunitiesError;

    fn decide(
        &self,
        command: CommunityCommand,
        _now: Timestamp,
    ) -> Result<Vec<CommunityEvent>, CommunitiesError> {
        match command {
            CommunityCommand::Create(new) => {
                if self.exists() {
                    return Err(CommunitiesError::AlreadyExists("community"));
                }
                validate_name(&new.name)?;
                let rules: Vec<String> = new.rules.iter().map(|r| r.trim().to_owned()).collect();
                check_settings(&new.title, &new.description, &rules)?;
                let name = normalize_name(&new.name);
                let community_id = community_id_for(&name);
                Ok(vec![
                    CommunityEvent::Created(CommunityCreated {
                        community_id,
                        name,
                        title: new.title.trim().to_owned(),
                        description: new.description,
                        rules,
                        visibility: new.visibility,
                        owner_id: new.owner,
                    }),
                    CommunityEvent::ModeratorAppointed(ModeratorAppointed {
                        community_id,
                        user_id: new.owner,
                        appointed_by: new.owner,
                    }),
                ])
            }
            CommunityCommand::ChangeSettings {
                actor,
                title,
                description,
                rules,
                visibility,
            } => {
                self.existing()?;
                if !self.is_moderator(actor) {
                    return Err(CommunitiesError::NotAModerator);
                }
                let title = title.map_or_else(|| self.title.clone(), |t| t.trim().to_owned());
                let description = description.unwrap_or_else(|| self.description.clone());
                let rules = rules.map_or_else(
                    || self.rules.clone(),
                    |r| r.iter().map(|x| x.trim().to_owned()).collect(),
                );
                let visibility = visibility.unwrap_or(self.visibility);
                check_settings(&title, &description, &rules)?;
                if title == self.title
                    && description == self.description
                    && rules == self.rules
                    && visibility == self.visibility
                {
                    return Ok(vec![]);
                }
                Ok(vec![CommunityEvent::SettingsChanged(
                    CommunitySettingsChanged {
                        community_id: self.id,
                        title,
                        description,
                        rules,
                        visibility,
                        changed_by: actor,
                    },
                )])
            }
            CommunityCommand::AppointModerator { actor, user } => {
                self.existing()?;
                if !self.is_owner(actor) {
                    return Err(CommunitiesError::NotTheOwner);
                }
                if self.is_moderator(user) {
                    return Ok(vec![]);
                }
                Ok(vec![CommunityEvent::ModeratorAppointed(
                    ModeratorAppointed {
                        community_id: self.id,
                        user_id: user,
                        appointed_by: actor,
                    },
                )])
            }
            CommunityCommand::RemoveModerator { actor, user } => {
                self.existing()?;
                let stepping_down = actor == user && self.is_moderator(actor);
                if !self.is_owner(actor) && !stepping_down {
                    return Err(CommunitiesError::NotTheOwner);
                }
                if self.is_owner(user) {
                    return Err(CommunitiesError::Forbidden(
                        "the owner always moderates their community".into(),
                    ));
                }
                if !self.is_moderator(user) {
                    return Ok(vec![]);
                }
                Ok(vec![CommunityEvent::ModeratorRemoved(ModeratorRemoved {
                    community_id: self.id,
                    user_id: user,
                    removed_by: actor,
                })])
            }
        }
    }

    fn evolve(mut self, event: &CommunityEvent) -> Self {
        match event {
            CommunityEvent::Created(e) => Self {
                id: e.community_id,
                name: e.name.clone(),
                title: e.title.clone(),
                description: e.description.clone(),
                rules: e.rules.clone(),
                visibility: e.visibility,
                owner: Some(e.owner_id),
                moderators: BTreeSet::new(),
            },
            CommunityEvent::SettingsChanged(e) => Self {
                title: e.title.clone(),
                description: e.description.clone(),
                rules: e.rules.clone(),
                visibility: e.visibility,
                ..self
            },
            CommunityEvent::ModeratorAppointed(e) => {
                self.moderators.insert(e.user_id);
                self
            }
            CommunityEvent::ModeratorRemoved(e) => {
                self.moderators.remove(&e.user_id);
                self
            }
        }
    }
}
