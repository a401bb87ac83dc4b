//! The Connections screen's documented paths over HTTP: members read, owners edit, bad input
//! is refused with a clear message.

mod common;

use common::TestApp;
use control::{Role, testing};
use reqwest::StatusCode;

#[tokio::test]
async fn owners_document_the_paths_and_everyone_sees_the_renewal() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let owner = app
            .signed_in("ann@studio.example", "Studio Nord", Role::Owner)
            .await;
        let viewer = app
            .signed_in("vic@audit.example", "Studio Nord", Role::Viewer)
            .await;
        let ann = app.user_id("ann@studio.example").await;
        let today = chrono::Utc::now().date_naive();
        let authorized = (today - chrono::Days::new(80)).to_string();
        let form = [
            ("path", "bank_feed"),
            ("owner_user_id", ann.as_str()),
            ("set_up_on", authorized.as_str()),
            ("authorized_on", authorized.as_str()),
            ("renews_on", ""),
            ("test_status", "passed"),
            ("notes", "Feed reconnected; matched, not added."),
        ];
        let (status, body) = app.call(&owner, "connection_path_update", &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        let (status, view) = app.call(&viewer, "connection_paths_list", &[]).await;
        assert_eq!(status, StatusCode::OK);
        let view: serde_json::Value = serde_json::from_str(&view).unwrap();
        assert_eq!(view["can_edit"], false);
        let feed = &view["paths"][0];
        assert_eq!(feed["path"]["kind"], "bank_feed");
        assert_eq!(feed["path"]["owner_name"], "ann");
        assert_eq!(feed["renewal"]["DueSoon"]["days_left"], 10, "{feed}");

        let page = app.page(&viewer, "/connections").await;
        assert!(page.contains("Renew now"), "the warning is on the page");
        assert!(
            !page.contains("name=\"notes\""),
            "no edit form for a viewer"
        );
        let home = app.page(&viewer, "/").await;
        assert!(
            home.contains("Needs attention") && home.contains("Renew now"),
            "Home raises the renewal alert"
        );

        // Home's connection health: both API connections (never connected) and both paths,
        // each row judged against the reminder window.
        let (status, health) = app.call(&viewer, "connection_health", &[]).await;
        assert_eq!(status, StatusCode::OK, "{health}");
        let health: serde_json::Value = serde_json::from_str(&health).unwrap();
        assert_eq!(health["reminder_days"], 14);
        let rows = health["rows"].as_array().unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
        assert_eq!(
            names,
            [
                "QuickBooks Online",
                "Wise",
                "Bank feed (managed in QuickBooks)",
                "Wise bill-payment app (set up in Wise)"
            ]
        );
        assert_eq!(rows[0]["state"], "not connected");
        assert_eq!(rows[0]["level"], "bad");
        assert_eq!(rows[2]["level"], "warn", "{}", rows[2]);
        assert_eq!(rows[2]["renewal"]["DueSoon"]["days_left"], 10);
        assert!(home.contains("data-testid=\"connection-health\""));
        assert!(
            home.contains("Test passed — owner ann"),
            "the path's row on Home"
        );

        // A shorter reminder window (Settings, owners only) quiets the feed's reminder.
        let settings = [
            ("sync_mode", "batch"),
            ("schedule_hours", "24"),
            ("window_days", "183"),
            ("stall_days", "3"),
            ("spike_percent", "10"),
            ("reminder_days", "7"),
        ];
        let (status, _) = app.call(&viewer, "sync_settings_update", &settings).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = app.call(&owner, "sync_settings_update", &settings).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (_, health) = app.call(&viewer, "connection_health", &[]).await;
        let health: serde_json::Value = serde_json::from_str(&health).unwrap();
        assert_eq!(health["reminder_days"], 7);
        assert_eq!(health["rows"][2]["level"], "ok", "{}", health["rows"][2]);
        let (_, view) = app.call(&viewer, "connection_paths_list", &[]).await;
        let view: serde_json::Value = serde_json::from_str(&view).unwrap();
        assert_eq!(view["paths"][0]["renewal"]["Ok"]["days_left"], 10);
        let home = app.page(&viewer, "/").await;
        assert!(
            !home.contains("Needs attention"),
            "no renewal alert at 10 days with a 7-day window"
        );
        let mut wrong = settings;
        wrong[5].1 = "120";
        let (status, body) = app.call(&owner, "sync_settings_update", &wrong).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("between 1 and 90"), "{body}");

        for (field, value, expect) in [
            ("authorized_on", "01/09/2026", "not a date"),
            ("test_status", "maybe", "unknown test status"),
            ("path", "carrier_pigeon", "unknown connection path"),
            ("renews_on", "2000-01-01", "before the authorization date"),
        ] {
            let mut bad = form;
            bad.iter_mut().find(|(k, _)| *k == field).unwrap().1 = value;
            let (status, body) = app.call(&owner, "connection_path_update", &bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
            assert!(body.contains(expect), "{field}: {body}");
        }
        app.stop().await;
    }
}
