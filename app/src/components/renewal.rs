//! How an authorization's renewal state is said, the same on every screen.

use control::connection_path::Renewal;

/// The sentence and its CSS class (`renewal ok|warn|danger`).
pub fn renewal_words(renewal: Renewal, due: Option<chrono::NaiveDate>) -> (String, &'static str) {
    let due = due.map(|d| d.to_string()).unwrap_or_default();
    match renewal {
        Renewal::Unknown => ("Renewal: no date known".into(), "renewal"),
        Renewal::Ok { days_left } => (
            format!("Renews on {due} ({days_left} days left)"),
            "renewal ok",
        ),
        Renewal::DueSoon { days_left } => (
            format!("Renew now: the authorization ends on {due} ({days_left} days left)"),
            "renewal warn",
        ),
        Renewal::Expired { days_ago } => (
            format!(
                "Expired on {due} ({days_ago} days ago): syncing through this path has stopped"
            ),
            "renewal danger",
        ),
    }
}
