//! What server functions send to the browser. Nothing secret is ever part of these types.

use control::Role;
use control::people::OrgMembership;
use serde::{Deserialize, Serialize};

/// The signed-in person in their current organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub role: Role,
    /// Every organization this person may switch to.
    pub organizations: Vec<OrgMembership>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The Connections screen's documented paths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionPathsView {
    pub today: chrono::NaiveDate,
    pub paths: Vec<PathView>,
    /// Active members, for choosing an owner.
    pub people: Vec<Person>,
    pub can_edit: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathView {
    pub path: control::connection_path::ConnectionPath,
    pub renewal_due: Option<chrono::NaiveDate>,
    pub renewal: control::connection_path::Renewal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
}

/// The Exceptions screen: one page of the queue, who can own an exception, and whether the
/// caller may work it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub page: control::exception_queue::QueuePage,
    /// Active bookkeepers and owners.
    pub people: Vec<Person>,
    pub can_edit: bool,
}

/// One exception's screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionPageView {
    pub detail: control::exception_queue::ExceptionDetail,
    pub people: Vec<Person>,
    pub can_edit: bool,
}
