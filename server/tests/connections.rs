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
