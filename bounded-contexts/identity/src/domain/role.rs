//! Roles beyond the everyone-may-buy-and-sell default.

use std::fmt;

/// Longest community name a moderator role may be scoped to.
const MAX_SCOPE: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Grants and revokes roles, moderates everywhere.
    Admin,
    /// Reads raw event streams.
    Analyst,
    /// Moderates one community.
    Moderator { community: String },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RoleError {
    #[error("unknown role {0:?}; known: admin, analyst, moderator")]
    Unknown(String),
    #[error("a moderator role needs the community it applies to as its scope")]
    ScopeRequired,
    #[error("role {0} takes no scope")]
    ScopeNotAllowed(&'static str),
    #[error("scope must be 1 to {MAX_SCOPE} characters of a-z, 0-9, _ and -")]
    BadScope,
}

impl Role {
    /// # Errors
    /// An unknown name, or a scope where none belongs (or none where one must).
    pub fn parse(name: &str, scope: Option<&str>) -> Result<Self, RoleError> {
        match (name, scope) {
            ("admin", None) => Ok(Self::Admin),
            ("analyst", None) => Ok(Self::Analyst),
            ("admin", Some(_)) => Err(RoleError::ScopeNotAllowed("admin")),
            ("analyst", Some(_)) => Err(RoleError::ScopeNotAllowed("analyst")),
            ("moderator", None) => Err(RoleError::ScopeRequired),
            ("moderator", Some(c)) => {
                let ok = !c.is_empty()
                    && c.len() <= MAX_SCOPE
                    && c.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'
                    });
                if ok {
                    Ok(Self::Moderator {
                        community: c.to_owned(),
                    })
                } else {
                    Err(RoleError::BadScope)
                }
            }
            (other, _) => Err(RoleError::Unknown(other.to_owned())),
        }
    }

    #[must_use]
    pub const fn name(&self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Analyst => "analyst",
            Self::Moderator { .. } => "moderator",
        }
    }

    #[must_use]
    pub fn scope(&self) -> Option<&str> {
        match self {
            Self::Moderator { community } => Some(community),
            Self::Admin | Self::Analyst => None,
        }
    }
}

/// The form tokens carry: `admin`, `analyst`, `moderator:<community>`.
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope() {
            Some(scope) => write!(f, "{}:{scope}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}
