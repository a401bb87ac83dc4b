//! Screens 9–11 over HTTP, per role, on every backend: the weekly control run (viewer reads,
//! bookkeeper prepares, owner signs; maker-checker, justification, lock, CSV, withdrawal flagged
//! for Home), collections against the demo's QuickBooks, and support & escalation.

mod common;

use common::TestApp;
use control::{Db, Role, testing};
use reqwest::StatusCode;
use serde_json::Value;
use server::demo_org;

async fn json(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Value {
    let (status, body) = app.call(client, endpoint, form).await;
    assert_eq!(status, StatusCode::OK, "{endpoint}: {body}");
    serde_json::from_str(&body).unwrap_or(Value::Null)
}

async fn refused(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
    status: StatusCode,
) -> String {
    let (got, body) = app.call(client, endpoint, form).await;
    assert_eq!(got, status, "{endpoint}: {body}");
    body
}

const LANES: [&str; 6] = [
    "access_health",
    "reconciliation",
    "exceptions",
    "collections",
    "support_risk",
    "wise_reauthorization",
];

async fn prepare(app: &TestApp, client: &reqwest::Client, run: &str) {
    for lane in LANES {
        json(
            app,
            client,
            "weekly_item_update",
            &[
                ("run_id", run),
                ("item", lane),
                ("done", "on"),
                ("note", "checked"),
            ],
        )
        .await;
    }
    json(app, client, "weekly_ready", &[("run_id", run)]).await;
}

async fn exec(db: &Db, sql: &str, org: i64, day: chrono::NaiveDate) {
    let now = chrono::Utc::now();
    match db {
        Db::Sqlite(p) => {
            sqlx::query(sql)
                .bind(org)
                .bind(day)
                .bind(now)
                .execute(p)
                .await
                .unwrap();
        }
        Db::Postgres(p) => {
            sqlx::query(sql)
                .bind(org)
                .bind(day)
                .bind(now)
                .execute(p)
                .await
                .unwrap();
        }
    }
}

#[tokio::test]
async fn the_weekly_run_per_role() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let org = "Studio Nord";
        let owner = app.signed_in("ann@studio.example", org, Role::Owner).await;
        let bookkeeper = app
            .signed_in("ben@studio.example", org, Role::Bookkeeper)
            .await;
        let viewer = app.signed_in("vic@studio.example", org, Role::Viewer).await;

        // Everyone reads; the first look creates the week's run once.
        let page = json(&app, &viewer, "weekly_current", &[]).await;
        let again = json(&app, &owner, "weekly_current", &[]).await;
        let run = page["run"]["id"].to_string();
        assert_eq!(again["run"]["id"], page["run"]["id"]);
        assert_eq!(page["run"]["status"], "open");
        assert_eq!(page["run"]["items"].as_array().unwrap().len(), 6);
        assert_eq!(page["can_prepare"], false);
        assert_eq!(again["can_sign"], true);
        let facts = page["run"]["items"][2]["facts"].to_string();
        assert!(facts.contains("Unassigned active exceptions"), "{facts}");

        // A viewer changes nothing.
        let item = [
            ("run_id", run.as_str()),
            ("item", "collections"),
            ("done", "on"),
            ("note", "x"),
        ];
        refused(
            &app,
            &viewer,
            "weekly_item_update",
            &item,
            StatusCode::FORBIDDEN,
        )
        .await;
        refused(
            &app,
            &viewer,
            "weekly_ready",
            &[("run_id", &run)],
            StatusCode::FORBIDDEN,
        )
        .await;

        // The bookkeeper prepares; not signing (owner only), not before everything is done.
        json(&app, &bookkeeper, "weekly_item_update", &item).await;
        let body = refused(
            &app,
            &bookkeeper,
            "weekly_ready",
            &[("run_id", &run)],
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(body.contains("Not done yet"), "{body}");
        prepare(&app, &bookkeeper, &run).await;
        refused(
            &app,
            &bookkeeper,
            "weekly_sign",
            &[("run_id", &run), ("justification", "looks fine to me")],
            StatusCode::FORBIDDEN,
        )
        .await;

        // The owner signs; failing checks (nothing connected) need a justification.
        let body = refused(
            &app,
            &owner,
            "weekly_sign",
            &[("run_id", &run), ("justification", "")],
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(body.contains("automatic check(s) fail"), "{body}");
        json(
            &app,
            &owner,
            "weekly_sign",
            &[
                ("run_id", &run),
                (
                    "justification",
                    "New studio: connections are set up next week.",
                ),
            ],
        )
        .await;
        let signed = json(&app, &viewer, "weekly_get", &[("id", &run)]).await;
        assert_eq!(signed["status"], "signed");
        assert_eq!(signed["signed_by"], "ann");
        assert_eq!(signed["prepared_by"], "ben");
        assert_eq!(signed["live_evidence"], false);

        // Locked.
        let body = refused(
            &app,
            &bookkeeper,
            "weekly_item_update",
            &item,
            StatusCode::CONFLICT,
        )
        .await;
        assert!(body.contains("locked"), "{body}");

        // The CSV export (a GET link), for every member, never for strangers.
        let csv_url = app.url(&format!("/api/weekly_csv?id={run}"));
        let res = viewer.get(&csv_url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment")
        );
        let csv = res.text().await.unwrap();
        assert_eq!(csv.lines().count(), 7, "{csv}");
        assert!(csv.contains("Signed off"));
        let res = app.client().get(&csv_url).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

        // The pages render on the server.
        let html = app.page(&viewer, "/weekly").await;
        assert!(
            html.contains("Weekly control run") && html.contains("Signed off"),
            "{html}"
        );
        let html = app.page(&viewer, &format!("/weekly/{run}/print")).await;
        assert!(
            html.contains("sign-off report") && html.contains("New studio"),
            "{html}"
        );

        // Home: this week's status; a covered change withdraws the sign-off and flags it.
        let alerts = json(&app, &viewer, "weekly_alerts", &[]).await;
        assert_eq!(alerts["current_status"], "signed");
        assert!(alerts["withdrawn"].as_array().unwrap().is_empty());
        let org_id: i64 = json(&app, &owner, "me", &[]).await["organization_id"]
            .as_i64()
            .unwrap();
        exec(
            &app.db,
            "INSERT INTO exceptions (organization_id, exception_key, kind, currency, size_minor, \
             reason, bank_ids, book_ids, occurred_on, status, present, opened_at, updated_at) \
             VALUES ($1, 'EUR|missing_in_books|LATE-1|', 'missing_in_books', 'EUR', 500, 'late', \
             '[]', '[]', $2, 'open', TRUE, $3, $3)",
            org_id,
            chrono::Utc::now().date_naive(),
        )
        .await;
        let alerts = json(&app, &viewer, "weekly_alerts", &[]).await;
        assert_eq!(alerts["current_status"], "withdrawn", "{alerts}");
        let reason = alerts["withdrawn"][0]["withdrawn_reason"].as_str().unwrap();
        assert!(reason.contains("LATE-1"), "{reason}");
        let html = app.page(&viewer, "/").await;
        assert!(
            html.contains("data-testid=\"weekly-alerts\""),
            "Home flags it: {html}"
        );
        let (_, audit) = app.call(&viewer, "audit_recent", &[]).await;
        assert!(audit.contains("weekly.withdraw"), "{audit}");
        // Reopened by the bookkeeper, the alert goes.
        json(&app, &bookkeeper, "weekly_reopen", &[("run_id", &run)]).await;
        let alerts = json(&app, &viewer, "weekly_alerts", &[]).await;
        assert!(alerts["withdrawn"].as_array().unwrap().is_empty());

        // An owner who prepared a run is refused the sign-off.
        let solo = app
            .signed_in("sol@solo.example", "Solo Studio", Role::Owner)
            .await;
        let run = json(&app, &solo, "weekly_current", &[]).await["run"]["id"].to_string();
        prepare(&app, &solo, &run).await;
        let body = refused(
            &app,
            &solo,
            "weekly_sign",
            &[("run_id", &run), ("justification", "all fine, honestly")],
            StatusCode::CONFLICT,
        )
        .await;
        assert!(body.contains("maker-checker"), "{body}");
        // Runs of another organization are not found.
        refused(
            &app,
            &solo,
            "weekly_get",
            &[("id", "1")],
            StatusCode::NOT_FOUND,
        )
        .await;
        app.stop().await;
    }
}

#[tokio::test]
async fn support_and_escalation_per_role() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let org = "Studio Nord";
        let owner = app.signed_in("ann@studio.example", org, Role::Owner).await;
        let bookkeeper = app
            .signed_in("ben@studio.example", org, Role::Bookkeeper)
            .await;
        let viewer = app.signed_in("vic@studio.example", org, Role::Viewer).await;
        let contact = [
            ("id", ""),
            ("name", "Wise Business support"),
            ("company", "Wise"),
            ("channel", "https://wise.com/help"),
            ("notes", "Replies within a working day"),
        ];
        refused(
            &app,
            &bookkeeper,
            "vendor_contact_save",
            &contact,
            StatusCode::FORBIDDEN,
        )
        .await;
        json(&app, &owner, "vendor_contact_save", &contact).await;
        let ann = app.user_id("ann@studio.example").await;
        refused(
            &app,
            &bookkeeper,
            "escalation_owner_update",
            &[("owner", &ann)],
            StatusCode::FORBIDDEN,
        )
        .await;
        json(&app, &owner, "escalation_owner_update", &[("owner", &ann)]).await;

        let incident = [
            ("title", "Bank feed stopped"),
            ("severity", "high"),
            ("owner", ""),
            ("notes", "No postings since Friday"),
        ];
        refused(
            &app,
            &viewer,
            "incident_open",
            &incident,
            StatusCode::FORBIDDEN,
        )
        .await;
        json(&app, &bookkeeper, "incident_open", &incident).await;
        let body = refused(
            &app,
            &bookkeeper,
            "incident_open",
            &[
                ("title", "x"),
                ("severity", "dire"),
                ("owner", ""),
                ("notes", ""),
            ],
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(body.contains("unknown severity"), "{body}");
        let view = json(&app, &viewer, "support_view", &[]).await;
        assert_eq!(view["escalation_owner"], "ann");
        assert_eq!(view["contacts"][0]["company"], "Wise");
        assert_eq!(view["can_configure"], false);
        assert_eq!(view["can_log"], false);
        let id = view["incidents"][0]["id"].to_string();
        json(
            &app,
            &bookkeeper,
            "incident_update",
            &[
                ("id", &id),
                ("severity", "medium"),
                ("owner", &ann),
                ("status", "closed"),
                ("notes", "Re-authorized; feed back"),
            ],
        )
        .await;
        let view = json(&app, &viewer, "support_view", &[]).await;
        assert_eq!(view["incidents"][0]["status"], "closed");
        assert!(view["incidents"][0]["closed_at"].is_string());
        let html = app.page(&viewer, "/support").await;
        assert!(html.contains("Wise Business support") && html.contains("Fast recovery moves"));

        // The weekly run sees it: the support lane passes.
        let page = json(&app, &viewer, "weekly_current", &[]).await;
        let support = &page["run"]["items"][4];
        assert_eq!(support["check"], "pass", "{support}");
        app.stop().await;
    }
}

#[tokio::test]
async fn collections_against_the_demo_quickbooks() {
    for backend in testing::backends() {
        let app = TestApp::spawn_with(backend, |s| s.demo = true).await;
        let sign_in = |email: &'static str, password: &'static str| {
            let client = app.client();
            let app = &app;
            async move {
                let (status, body) = app
                    .call(
                        &client,
                        "login",
                        &[("email", email), ("password", password)],
                    )
                    .await;
                assert_eq!(status, StatusCode::OK, "{body}");
                client
            }
        };
        let owner = sign_in(demo_org::OWNER_EMAIL, demo_org::OWNER_PASSWORD).await;
        let bookkeeper = sign_in(demo_org::BOOKKEEPER_EMAIL, demo_org::BOOKKEEPER_PASSWORD).await;
        let empty = json(&app, &owner, "collections_view", &[]).await;
        assert!(empty["aging"].is_null());
        json(&app, &bookkeeper, "collections_refresh", &[]).await;
        let view = json(&app, &owner, "collections_view", &[]).await;
        let buckets = view["aging"]["buckets"].as_array().unwrap();
        assert_eq!(buckets.len(), 5, "{view}");
        assert!(
            buckets.iter().all(
                |b| b["amount"] != "0.00" && !b["amount"].as_str().unwrap().starts_with("0.00")
            ),
            "the demo has open invoices in every bucket: {buckets:?}"
        );
        let overdue = view["overdue"].as_u64().unwrap();
        assert!(overdue >= 4, "{view}");
        assert_eq!(view["unassigned_overdue"].as_u64().unwrap(), overdue);
        let first = &view["invoices"][0];
        assert!(first["days_overdue"].as_i64().unwrap() > 90);
        let key = first["key"].as_str().unwrap();
        let ben = app.user_id(demo_org::BOOKKEEPER_EMAIL).await;
        json(
            &app,
            &bookkeeper,
            "collection_assign",
            &[("invoice", key), ("owner", &ben)],
        )
        .await;
        let today = chrono::Utc::now().date_naive().to_string();
        json(
            &app,
            &bookkeeper,
            "collection_follow_up",
            &[
                ("invoice", key),
                ("contacted_on", &today),
                ("outcome", "promised"),
                ("promised_on", &today),
                ("note", "Paying this week"),
            ],
        )
        .await;
        let body = refused(
            &app,
            &bookkeeper,
            "collection_follow_up",
            &[
                ("invoice", key),
                ("contacted_on", "yesterday"),
                ("outcome", "promised"),
                ("promised_on", ""),
                ("note", ""),
            ],
            StatusCode::BAD_REQUEST,
        )
        .await;
        assert!(body.contains("not a date"), "{body}");
        let view = json(&app, &owner, "collections_view", &[]).await;
        assert_eq!(view["unassigned_overdue"].as_u64().unwrap(), overdue - 1);
        assert_eq!(view["invoices"][0]["owner"], "Ben Bookkeeper");
        assert_eq!(
            view["invoices"][0]["follow_ups"][0]["note"],
            "Paying this week"
        );
        let html = app.page(&owner, "/collections").await;
        assert!(html.contains("have no follow-up owner"), "loudly: {html}");
        app.stop().await;
    }
}
