//! Every screen of the product brief, with where it stands. Screens not built yet say so.

use control::Role;
use leptos::prelude::*;

pub struct ScreenInfo {
    pub id: &'static str,
    pub path: &'static str,
    pub title: &'static str,
    pub purpose: &'static str,
    /// `None` once built; otherwise the issue that builds it.
    pub planned_in: Option<u32>,
    pub needs: Role,
}

pub const SCREENS: &[ScreenInfo] = &[
    ScreenInfo {
        id: "home",
        path: "/",
        title: "Home",
        purpose: "Health at a glance.",
        planned_in: None,
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "connections",
        path: "/connections",
        title: "Connections",
        purpose: "Connect QuickBooks Online and Wise; the bank-feed and Wise-app paths, each with its test status and renewal date.",
        planned_in: None,
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "mapping",
        path: "/mapping",
        title: "Mapping",
        purpose: "Each Wise balance to one QuickBooks bank account, the Bank Charges account, and the named owners. Changes stay pending until a test batch passes.",
        planned_in: None,
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "matrix",
        path: "/matrix",
        title: "Known vs Unknown",
        purpose: "The playbook's matrix: what is known, what to verify in the tenant, owner, status and evidence.",
        planned_in: Some(7),
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "preflight",
        path: "/preflight",
        title: "Preflight",
        purpose: "The preflight and access-control checklist with automatic checks and the owner's go / no-go.",
        planned_in: Some(7),
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "pilot",
        path: "/pilot",
        title: "Pilot",
        purpose: "A frozen pilot window, traceable samples, trigger-to-post timing and the go-live gates.",
        planned_in: Some(7),
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "exceptions",
        path: "/exceptions",
        title: "Exceptions",
        purpose: "Every break between bank and books, with an owner, next action, due date and status.",
        planned_in: Some(7),
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "reconciliation",
        path: "/reconciliation",
        title: "Reconciliation",
        purpose: "Matched pairs and why, suggestions to review, unmatched lines and the balance proof per currency.",
        planned_in: Some(7),
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "weekly",
        path: "/weekly",
        title: "Weekly control run",
        purpose: "The weekly checklist: the bookkeeper prepares, the owner signs off.",
        planned_in: None,
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "collections",
        path: "/collections",
        title: "Collections",
        purpose: "A/R aging from QuickBooks and a named follow-up owner for every overdue invoice.",
        planned_in: None,
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "support",
        path: "/support",
        title: "Support & escalation",
        purpose: "Vendor contacts, the escalation owner and the incident log.",
        planned_in: None,
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "audit",
        path: "/audit",
        title: "Audit log",
        purpose: "Everything anyone did, append-only.",
        planned_in: None,
        needs: Role::Viewer,
    },
    ScreenInfo {
        id: "settings",
        path: "/settings",
        title: "Settings",
        purpose: "Members, roles and organizations.",
        planned_in: None,
        needs: Role::Owner,
    },
];

/// A screen that is not built yet: its purpose, and honestly that it is not there.
#[component]
pub fn Screen(id: &'static str) -> impl IntoView {
    let info = SCREENS.iter().find(|s| s.id == id);
    let title = info.map(|s| s.title).unwrap_or("Unknown screen");
    let purpose = info.map(|s| s.purpose).unwrap_or_default();
    let planned = info.and_then(|s| s.planned_in);
    view! {
        <h1>{title}</h1>
        <p class="purpose">{purpose}</p>
        {planned.map(|n| view! {
            <p class="not-built" role="note">
                "Not built yet. This screen is planned in issue #" {n} "; nothing here is live data."
            </p>
        })}
    }
}
