//! Building blocks shared by pages.

pub mod layout;
pub mod messages;
pub mod renewal;
pub mod sync_panel;

/// A full page load of `path`: drops every piece of client state (used after signing in,
/// switching organization, or signing out).
pub fn hard_navigate(path: &str) {
    #[cfg(feature = "hydrate")]
    if let Some(window) = web_sys::window() {
        let _ = window.location().assign(path);
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = path;
}
