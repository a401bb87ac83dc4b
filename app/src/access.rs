//! Who may call which server function: the one table every access decision reads.
//!
//! The server checks it twice with the same code (`ssr::guard::authorize`): in a middleware
//! in front of `/api/*`, before the request body is even read, and inside each server
//! function (which also runs without HTTP during server-side rendering). A server function
//! missing from this table is refused.

use control::Role;

/// What a caller needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (signing in, first-run setup, signing out).
    Public,
    /// An active member of the current organization with at least this role.
    Member(Role),
}

/// The prefix under which server functions are served.
pub const API_PREFIX: &str = "/api/";

/// Endpoint name (the part after `/api/`) → what it needs.
pub const ACCESS: &[(&str, Access)] = &[
    ("login", Access::Public),
    ("logout", Access::Public),
    ("setup_status", Access::Public),
    ("setup_complete", Access::Public),
    ("me", Access::Member(Role::Viewer)),
    ("switch_organization", Access::Member(Role::Viewer)),
    ("audit_recent", Access::Member(Role::Viewer)),
    ("audit_search", Access::Member(Role::Viewer)),
    ("audit_export", Access::Member(Role::Viewer)),
    ("connection_paths_list", Access::Member(Role::Viewer)),
    ("connection_health", Access::Member(Role::Viewer)),
    ("connection_path_update", Access::Member(Role::Owner)),
    ("members_list", Access::Member(Role::Owner)),
    ("members_add", Access::Member(Role::Owner)),
    ("members_role", Access::Member(Role::Owner)),
    ("members_active", Access::Member(Role::Owner)),
    ("organization_create", Access::Member(Role::Owner)),
    ("sync_overview", Access::Member(Role::Viewer)),
    ("run_status", Access::Member(Role::Viewer)),
    ("sync_now", Access::Member(Role::Bookkeeper)),
    ("wise_connect", Access::Member(Role::Owner)),
    ("wise_profiles", Access::Member(Role::Owner)),
    ("connection_disconnect", Access::Member(Role::Owner)),
    ("mapping_propose", Access::Member(Role::Owner)),
    ("mapping_test", Access::Member(Role::Owner)),
    ("mapping_apply", Access::Member(Role::Owner)),
    ("mapping_reject", Access::Member(Role::Owner)),
    ("owners_update", Access::Member(Role::Owner)),
    ("health_alerts", Access::Member(Role::Viewer)),
    ("sync_settings_get", Access::Member(Role::Owner)),
    ("sync_settings_update", Access::Member(Role::Owner)),
    ("reconciliation_page", Access::Member(Role::Viewer)),
    ("match_decide", Access::Member(Role::Bookkeeper)),
    ("home_figures", Access::Member(Role::Viewer)),
    ("fee_draft", Access::Member(Role::Viewer)),
    ("fee_book", Access::Member(Role::Owner)),
    ("exceptions_list", Access::Member(Role::Viewer)),
    ("exception_detail", Access::Member(Role::Viewer)),
    ("exceptions_export", Access::Member(Role::Viewer)),
    ("exception_assign", Access::Member(Role::Bookkeeper)),
    ("exceptions_bulk_assign", Access::Member(Role::Bookkeeper)),
    ("exception_plan", Access::Member(Role::Bookkeeper)),
    ("exception_status", Access::Member(Role::Bookkeeper)),
    ("exception_comment", Access::Member(Role::Bookkeeper)),
    ("upload_preview", Access::Member(Role::Bookkeeper)),
    ("upload_commit", Access::Member(Role::Bookkeeper)),
    ("matrix_list", Access::Member(Role::Viewer)),
    ("matrix_evidence", Access::Member(Role::Bookkeeper)),
    ("matrix_attach", Access::Member(Role::Bookkeeper)),
    ("matrix_edit", Access::Member(Role::Owner)),
    ("matrix_add", Access::Member(Role::Owner)),
    ("preflight_view", Access::Member(Role::Viewer)),
    ("preflight_item_update", Access::Member(Role::Owner)),
    ("preflight_sign", Access::Member(Role::Owner)),
    ("pilot_view", Access::Member(Role::Viewer)),
    ("pilot_window", Access::Member(Role::Owner)),
    ("pilot_sample_add", Access::Member(Role::Bookkeeper)),
    ("pilot_sample_remove", Access::Member(Role::Bookkeeper)),
    ("pilot_fallback", Access::Member(Role::Owner)),
    ("pilot_promote", Access::Member(Role::Owner)),
    ("weekly_current", Access::Member(Role::Viewer)),
    ("weekly_get", Access::Member(Role::Viewer)),
    ("weekly_csv", Access::Member(Role::Viewer)),
    ("weekly_alerts", Access::Member(Role::Viewer)),
    ("weekly_item_update", Access::Member(Role::Bookkeeper)),
    ("weekly_ready", Access::Member(Role::Bookkeeper)),
    ("weekly_reopen", Access::Member(Role::Bookkeeper)),
    ("weekly_sign", Access::Member(Role::Owner)),
    ("collections_view", Access::Member(Role::Viewer)),
    ("collections_refresh", Access::Member(Role::Bookkeeper)),
    ("collection_assign", Access::Member(Role::Bookkeeper)),
    ("collection_follow_up", Access::Member(Role::Bookkeeper)),
    ("support_view", Access::Member(Role::Viewer)),
    ("incident_open", Access::Member(Role::Bookkeeper)),
    ("incident_update", Access::Member(Role::Bookkeeper)),
    ("vendor_contact_save", Access::Member(Role::Owner)),
    ("vendor_contact_delete", Access::Member(Role::Owner)),
    ("escalation_owner_update", Access::Member(Role::Owner)),
];

/// The rule for a server function path like `/api/members_add`, if it has one.
pub fn rule_for_path(path: &str) -> Option<Access> {
    let name = path.strip_prefix(API_PREFIX)?;
    ACCESS.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_appears_once() {
        let mut names: Vec<_> = ACCESS.iter().map(|(n, _)| *n).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ACCESS.len());
    }

    #[test]
    fn unknown_paths_have_no_rule() {
        assert_eq!(rule_for_path("/api/login"), Some(Access::Public));
        assert_eq!(rule_for_path("/api/nope"), None);
        assert_eq!(rule_for_path("/login"), None);
    }
}
