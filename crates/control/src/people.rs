//! How people appear to the rest of Clearline (and the browser): plain data, no storage.

use crate::role::Role;
use serde::{Deserialize, Serialize};

/// A person as a member of one organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// Both the membership and the person's account are active.
    pub active: bool,
}

/// One organization a person may work in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgMembership {
    pub organization_id: i64,
    pub organization_name: String,
    pub role: Role,
}
