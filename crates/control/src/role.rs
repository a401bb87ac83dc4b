//! Roles a person holds in one organization.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a member may do in an organization. Ordered by power: a stronger role may do
/// everything a weaker one may.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads everything, changes nothing (e.g. an external accountant).
    Viewer,
    /// Works the exception queue and prepares the weekly control run.
    Bookkeeper,
    /// Connects systems, manages members, approves writes and signs off.
    Owner,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Bookkeeper, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Bookkeeper => "bookkeeper",
            Role::Owner => "owner",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Bookkeeper => "Bookkeeper",
            Role::Owner => "Owner",
        }
    }

    /// Whether a member holding `self` may do something that needs `required`.
    pub fn allows(self, required: Role) -> bool {
        self >= required
    }

    /// The strongest role that is still too weak for `required`, if any.
    pub fn just_below(required: Role) -> Option<Role> {
        match required {
            Role::Viewer => None,
            Role::Bookkeeper => Some(Role::Viewer),
            Role::Owner => Some(Role::Bookkeeper),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected owner, bookkeeper or viewer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "viewer" => Ok(Role::Viewer),
            "bookkeeper" => Ok(Role::Bookkeeper),
            "owner" => Ok(Role::Owner),
            _ => Err(UnknownRole(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stronger_roles_include_weaker_ones() {
        assert!(Role::Owner.allows(Role::Bookkeeper));
        assert!(Role::Bookkeeper.allows(Role::Viewer));
        assert!(!Role::Viewer.allows(Role::Bookkeeper));
        assert!(!Role::Bookkeeper.allows(Role::Owner));
    }

    #[test]
    fn parses_what_it_prints() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!("admin".parse::<Role>().is_err());
        assert_eq!(" Owner ".parse::<Role>(), Ok(Role::Owner));
    }

    #[test]
    fn just_below_is_too_weak() {
        for role in Role::ALL {
            if let Some(weaker) = Role::just_below(role) {
                assert!(!weaker.allows(role));
            }
        }
    }
}
