//! Every screen of the product brief, for the navigation: where it lives and who may open it.

use control::Role;

pub struct ScreenInfo {
    pub path: &'static str,
    pub title: &'static str,
    pub needs: Role,
}

pub const SCREENS: &[ScreenInfo] = &[
    ScreenInfo {
        path: "/",
        title: "Home",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/connections",
        title: "Connections",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/mapping",
        title: "Mapping",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/matrix",
        title: "Known vs Unknown",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/preflight",
        title: "Preflight",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/pilot",
        title: "Pilot",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/exceptions",
        title: "Exceptions",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/reconciliation",
        title: "Reconciliation",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/weekly",
        title: "Weekly control run",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/collections",
        title: "Collections",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/support",
        title: "Support & escalation",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/audit",
        title: "Audit log",
        needs: Role::Viewer,
    },
    ScreenInfo {
        path: "/upload",
        title: "Statement upload",
        needs: Role::Bookkeeper,
    },
    ScreenInfo {
        path: "/settings",
        title: "Settings",
        needs: Role::Owner,
    },
];
