//! The exception queue and statement upload over HTTP, as each role: a viewer reads and
//! exports but changes nothing (403), a bookkeeper works the queue and uploads, an anonymous
//! caller gets 401.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use control::findings::FoundException;
use control::{Role, lifecycle, results, testing};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn found(kind: &str, bank: &str, difference: &str, days_ago: i64) -> FoundException {
    let difference: Decimal = difference.parse().unwrap();
    FoundException {
        key: lifecycle::key("EUR", kind, [bank], []),
        kind: kind.into(),
        currency: "EUR".into(),
        size_minor: (difference.abs() * Decimal::ONE_HUNDRED)
            .round()
            .try_into()
            .unwrap(),
        difference,
        reason: format!("{kind}: {bank}"),
        bank_ids: vec![bank.into()],
        book_ids: vec![],
        occurred_on: Some(Utc::now().date_naive() - Duration::days(days_ago)),
    }
}

async fn seed(app: &TestApp, email: &str) -> i64 {
    let user: i64 = app.user_id(email).await.parse().unwrap();
    let org = control::members::organizations_of(&app.db, user)
        .await
        .unwrap()[0]
        .organization_id;
    let mut tx = app.db.begin().await.unwrap();
    results::store(
        &mut tx,
        org,
        1,
        &[],
        &[
            found("missing_in_books", "TRANSFER-1", "-120.00", 40),
            found("unbooked_fee", "TRANSFER-2", "-4.31", 3),
            found("missing_in_books", "CARD-3", "-46.22", 10),
        ],
        None,
        Utc::now(),
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    org
}

fn json_of(body: &str) -> Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

#[tokio::test]
async fn viewers_read_bookkeepers_work_the_queue_strangers_get_nothing() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let bob = app
            .signed_in("bob@books.example", "Studio Nord", Role::Bookkeeper)
            .await;
        let vic = app
            .signed_in("vic@audit.example", "Studio Nord", Role::Viewer)
            .await;
        let anonymous = app.client();
        seed(&app, "bob@books.example").await;
        let bob_id = app.user_id("bob@books.example").await;

        // Anonymous: nothing, not even the export link.
        let (status, _) = app.call(&anonymous, "exceptions_list", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let res = anonymous
            .get(app.url("/api/exceptions_export"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

        // The viewer reads the queue, oldest first, with the counts.
        let (status, body) = app.call(&vic, "exceptions_list", &[]).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let view = json_of(&body);
        assert_eq!(view["can_edit"], false);
        assert_eq!(view["page"]["total"], 3);
        assert_eq!(view["page"]["counts"]["unassigned"], 3);
        let ids: Vec<String> = view["page"]["rows"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].to_string())
            .collect();
        assert_eq!(view["page"]["rows"][0]["bank_ids"][0], "TRANSFER-1");
        let (status, body) = app
            .call(&vic, "exception_detail", &[("id", ids[0].as_str())])
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(
            json_of(&body)["detail"]["exception"]["kind"],
            "missing_in_books"
        );

        // …and exports the filter as CSV.
        let res = vic
            .get(app.url("/api/exceptions_export?kind=missing_in_books&sort=amount"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv"),
            "{:?}",
            res.headers()
        );
        assert!(
            res.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains("attachment; filename=\"exceptions-")
        );
        let csv = res.text().await.unwrap();
        let rows: Vec<&str> = csv.lines().collect();
        assert_eq!(rows.len(), 3, "{csv}");
        assert!(
            rows[1].contains("-120.00") && rows[2].contains("-46.22"),
            "{csv}"
        );

        // …but changes nothing.
        for (endpoint, form) in [
            (
                "exception_assign",
                vec![("id", ids[0].as_str()), ("owner", bob_id.as_str())],
            ),
            (
                "exceptions_bulk_assign",
                vec![("ids[0]", ids[0].as_str()), ("owner", "")],
            ),
            (
                "exception_plan",
                vec![
                    ("id", ids[0].as_str()),
                    ("next_action", "x"),
                    ("due_on", ""),
                ],
            ),
            (
                "exception_status",
                vec![
                    ("id", ids[0].as_str()),
                    ("status", "resolved"),
                    ("note", ""),
                ],
            ),
            (
                "exception_comment",
                vec![("id", ids[0].as_str()), ("body", "hello")],
            ),
        ] {
            let (status, _) = app.call(&vic, endpoint, &form).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "viewer calling {endpoint}");
        }
        let page = app.page(&vic, "/exceptions").await;
        assert!(
            page.contains("data-testid=\"exceptions-table\""),
            "the queue renders"
        );
        assert!(
            page.contains("class=\"count alarm\"")
                && page.contains("3 open exception(s) have no owner"),
            "the unassigned count is loud"
        );
        assert!(
            !page.contains("Assign selected"),
            "no bulk form for a viewer"
        );
        let page = app.page(&vic, &format!("/exceptions/{}", ids[0])).await;
        assert!(page.contains("TRANSFER-1"));
        assert!(
            !page.contains("name=\"next_action\""),
            "no work forms for a viewer"
        );

        // The bookkeeper works it: one assignment, then a bulk one with ticked rows.
        let (status, body) = app
            .call(
                &bob,
                "exception_assign",
                &[("id", ids[0].as_str()), ("owner", bob_id.as_str())],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app
            .call(
                &bob,
                "exceptions_bulk_assign",
                &[
                    ("ids[3]", ids[1].as_str()),
                    ("ids[7]", ids[2].as_str()),
                    ("owner", bob_id.as_str()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body.trim(), "2");
        let (status, body) = app
            .call(&bob, "exceptions_bulk_assign", &[("owner", "")])
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("choose at least one exception"), "{body}");

        let due = (Utc::now().date_naive() + Duration::days(5)).to_string();
        let (status, body) = app
            .call(
                &bob,
                "exception_plan",
                &[
                    ("id", ids[0].as_str()),
                    (
                        "next_action",
                        "Ask Ann whether the transfer was booked by hand",
                    ),
                    ("due_on", due.as_str()),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, body) = app
            .call(
                &bob,
                "exception_plan",
                &[
                    ("id", ids[0].as_str()),
                    ("next_action", "x"),
                    ("due_on", "5/1"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("is not a date"), "{body}");

        let (status, body) = app
            .call(
                &bob,
                "exception_status",
                &[
                    ("id", ids[1].as_str()),
                    ("status", "dismissed"),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("written reason"), "{body}");
        let (status, body) = app
            .call(
                &bob,
                "exception_status",
                &[
                    ("id", ids[1].as_str()),
                    ("status", "dismissed"),
                    ("note", "Wise refunded the fee."),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _) = app
            .call(
                &bob,
                "exception_comment",
                &[
                    ("id", ids[0].as_str()),
                    ("body", "Ann is on holiday until Monday."),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app
            .call(
                &bob,
                "exception_comment",
                &[("id", "999999"), ("body", "hi")],
            )
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let (_, body) = app
            .call(&vic, "exceptions_list", &[("owner", bob_id.as_str())])
            .await;
        let view = json_of(&body);
        assert_eq!(
            view["page"]["total"], 2,
            "the dismissed one left the active queue"
        );
        assert_eq!(view["page"]["counts"]["unassigned"], 0);
        let (status, body) = app.call(&vic, "exceptions_list", &[("min", "ten")]).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("minimum amount"), "{body}");
        let (_, body) = app
            .call(&vic, "exception_detail", &[("id", ids[0].as_str())])
            .await;
        let detail = json_of(&body)["detail"].clone();
        assert_eq!(
            detail["comments"][0]["body"],
            "Ann is on holiday until Monday."
        );
        let history: Vec<&str> = detail["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            history,
            vec!["exception.assign", "exception.plan", "exception.comment"]
        );
        let page = app.page(&bob, &format!("/exceptions/{}", ids[0])).await;
        assert!(
            page.contains("name=\"next_action\""),
            "work forms for a bookkeeper"
        );
        assert!(page.contains("Ask Ann whether the transfer was booked by hand"));
        app.stop().await;
    }
}

#[tokio::test]
async fn bookkeepers_upload_statements_viewers_cannot() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let bob = app
            .signed_in("bob@books.example", "Studio Nord", Role::Bookkeeper)
            .await;
        let vic = app
            .signed_in("vic@audit.example", "Studio Nord", Role::Viewer)
            .await;
        let content = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../crates/wise/tests/fixtures/march-2024-eur.csv"
        ))
        .unwrap();
        let post = |client: &reqwest::Client, endpoint: &str, body: Value| {
            let req = client
                .post(app.url(&format!("/api/{endpoint}")))
                .json(&body);
            async move {
                let res = req.send().await.unwrap();
                let status = res.status();
                (status, res.text().await.unwrap())
            }
        };
        let (status, _) = post(
            &vic,
            "upload_preview",
            json!({"file_name": "march.csv", "content": content}),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        let (status, body) = post(
            &bob,
            "upload_preview",
            json!({"file_name": "march.csv", "content": content}),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let preview = json_of(&body);
        assert_eq!(preview["currency"], "EUR");
        assert_eq!(preview["new"], 4);
        let sha = preview["sha256"].as_str().unwrap().to_string();

        let commit = json!({"file_name": "march.csv", "content": content, "sha256": sha});
        let (status, _) = post(&vic, "upload_commit", commit.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let (status, body) = post(&bob, "upload_commit", commit.clone()).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let outcome = json_of(&body);
        assert_eq!(outcome["added"], 4);
        assert!(outcome["run_id"].is_i64(), "{outcome}");
        let (_, body) = post(&bob, "upload_commit", commit).await;
        assert_eq!(json_of(&body)["added"], 0);

        // Bigger than axum's default body limit: the parser's reason, not a transport error.
        let junk = "Wise statement? ".repeat(200_000);
        let (status, body) = post(
            &bob,
            "upload_preview",
            json!({"file_name": "junk.txt", "content": junk}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("not a Wise statement"), "{body}");
        // Over the upload limit: said plainly.
        let huge = "x".repeat(control::statement_upload::MAX_UPLOAD_BYTES + 10);
        let (status, body) = post(
            &bob,
            "upload_preview",
            json!({"file_name": "huge.csv", "content": huge}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("at most 20.0 MB"), "{body}");
        app.stop().await;
    }
}
