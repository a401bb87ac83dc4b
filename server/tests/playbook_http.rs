//! The Known vs Unknown matrix, Preflight and Pilot over HTTP, per role: a viewer reads and
//! is refused every change (403), a bookkeeper records matrix evidence and picks pilot
//! samples, an owner edits, signs the go / no-go checkpoint (refused while an automatic check
//! fails) and is refused a promotion whose gates fail. On every backend.

mod common;

use chrono::{Duration, Utc};
use common::TestApp;
use control::audit::Actor;
use control::catalog::{self, QboAccount, WiseBalance};
use control::connections::{self, NewConnection, Provider};
use control::lines::{self, BankLine};
use control::mappings::{self, MappingDraft};
use control::runs::{self, NewRun, Purpose, Trigger};
use control::secrets::Vault;
use control::{Db, Role, settings, testing};
use reqwest::StatusCode;
use rust_decimal::Decimal;
use serde_json::Value;
use std::collections::BTreeMap;

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

/// Everything the automatic checks look at, made true: both connections (QBO with
/// multicurrency on), the balances, an applied mapping after a passed test batch, the three
/// owners.
async fn make_ready(db: &Db, org: i64, owner: i64, bookkeeper: i64) {
    let now = Utc::now();
    let actor = Actor::system("test");
    let vault = Vault::from_key(&[7u8; 32]).unwrap();
    for (provider, facts) in [
        (Provider::Qbo, serde_json::json!({"multicurrency": true})),
        (Provider::Wise, serde_json::json!({})),
    ] {
        connections::save(
            db,
            &vault,
            &actor,
            org,
            NewConnection {
                provider,
                auth_kind: "oauth",
                external_id: "1".into(),
                display_name: "Studio Nord".into(),
                secret: "{}".into(),
                expires_at: None,
                facts,
            },
            now,
        )
        .await
        .unwrap();
    }
    catalog::replace_balances(
        db,
        org,
        &[WiseBalance {
            currency: "EUR".into(),
            balance_id: 1,
            profile_id: 9,
        }],
        now,
    )
    .await
    .unwrap();
    catalog::replace_accounts(
        db,
        org,
        &[QboAccount {
            account_id: "35".into(),
            name: "Wise EUR".into(),
            account_type: "Bank".into(),
            currency: Some("EUR".into()),
            active: true,
        }],
        now,
    )
    .await
    .unwrap();
    let m = mappings::propose(
        db,
        &actor,
        org,
        MappingDraft {
            accounts: BTreeMap::from([("EUR".to_string(), "35".to_string())]),
            fee_account_id: None,
        },
        now,
    )
    .await
    .unwrap();
    runs::enqueue(
        db,
        NewRun {
            organization_id: org,
            purpose: Purpose::TestBatch,
            trigger: Trigger::Manual,
            mapping_id: Some(m.id),
            window_from: "2024-03-01".parse().unwrap(),
            window_to: "2024-03-31".parse().unwrap(),
            requested_by: None,
        },
        now,
    )
    .await
    .unwrap();
    let run = runs::claim(db, "test", Duration::seconds(60), now)
        .await
        .unwrap()
        .unwrap();
    let mut tx = db.begin().await.unwrap();
    runs::finish_in(&mut tx, run.id, "test", &serde_json::json!({}), now)
        .await
        .unwrap();
    lines::upsert_bank_lines(
        &mut tx,
        org,
        &[BankLine {
            currency: "EUR".into(),
            reference: "TRANSFER-1".into(),
            booked_at: "2024-03-05T10:00:00Z".parse().unwrap(),
            amount: Decimal::from(-120),
            fee: Decimal::ZERO,
            counterparty: "Paper Co".into(),
            payment_reference: "INV-1".into(),
            description: "Sent money to Paper Co".into(),
            details_type: "TRANSFER".into(),
        }],
        "api",
        None,
        None,
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    mappings::apply(db, &actor, org, m.id, now).await.unwrap();
    settings::update(
        db,
        &actor,
        org,
        settings::Settings {
            setup_owner_id: Some(owner),
            exceptions_owner_id: Some(bookkeeper),
            escalation_owner_id: Some(owner),
            ..settings::Settings::default()
        },
        now,
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn each_role_does_what_the_playbook_screens_allow() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let owner = app
            .signed_in("ann@studio.example", "Studio Nord", Role::Owner)
            .await;
        let bookkeeper = app
            .signed_in("bob@books.example", "Studio Nord", Role::Bookkeeper)
            .await;
        let viewer = app
            .signed_in("vic@audit.example", "Studio Nord", Role::Viewer)
            .await;
        let org = json(&app, &owner, "me", &[]).await["organization_id"]
            .as_i64()
            .unwrap();

        // Everyone reads; the seeded matrix and checklist are there.
        let matrix = json(&app, &viewer, "matrix_list", &[]).await;
        let rows = matrix["rows"].as_array().unwrap();
        assert_eq!(rows.len(), 5);
        assert_eq!(matrix["can_record"], false);
        assert_eq!(matrix["can_edit"], false);
        let cadence = rows.iter().find(|r| r["area"] == "Cadence").unwrap()["id"].to_string();
        let failure = rows
            .iter()
            .find(|r| r["area"] == "Failure behavior")
            .unwrap()["id"]
            .to_string();
        let preflight = json(&app, &viewer, "preflight_view", &[]).await;
        assert_eq!(preflight["items"].as_array().unwrap().len(), 10);
        assert_eq!(preflight["can_edit"], false);
        let item = preflight["items"][0]["id"].to_string();
        let pilot = json(&app, &viewer, "pilot_view", &[]).await;
        assert_eq!(pilot["can_sample"], false);

        // A viewer changes nothing.
        let evidence = [
            ("id", failure.as_str()),
            ("status", "verified"),
            ("note", "checked"),
        ];
        for (endpoint, form) in [
            ("matrix_evidence", &evidence[..]),
            ("matrix_attach", &[("id", cadence.as_str())][..]),
            ("pilot_sample_add", &[("bank_line_id", "1")][..]),
            ("preflight_sign", &[("decision", "go"), ("note", "")][..]),
        ] {
            let (status, body) = app.call(&viewer, endpoint, form).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "viewer {endpoint}: {body}");
        }

        // The bookkeeper records evidence; measuring needs a sync first (a plain refusal).
        json(&app, &bookkeeper, "matrix_evidence", &evidence).await;
        let (status, body) = app
            .call(&bookkeeper, "matrix_attach", &[("id", cadence.as_str())])
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("no sync has succeeded"), "{body}");
        let (status, _) = app
            .call(
                &bookkeeper,
                "matrix_evidence",
                &[("id", failure.as_str()), ("status", "sure"), ("note", "")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        // …but neither edits the playbook's columns, signs, nor runs the pilot's owner steps.
        let edit = [
            ("id", failure.as_str()),
            ("area", "Failure"),
            ("known_now", ""),
            ("verify_in_tenant", ""),
            ("why_it_matters", ""),
            ("owner_user_id", ""),
        ];
        for (endpoint, form) in [
            ("matrix_edit", &edit[..]),
            ("preflight_sign", &[("decision", "go"), ("note", "")][..]),
            (
                "preflight_item_update",
                &[("id", item.as_str()), ("owner_user_id", ""), ("note", "")][..],
            ),
            (
                "pilot_window",
                &[("from", "2024-03-01"), ("to", "2024-03-31")][..],
            ),
            ("pilot_promote", &[][..]),
        ] {
            let (status, body) = app.call(&bookkeeper, endpoint, form).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "bookkeeper {endpoint}: {body}"
            );
        }
        let matrix = json(&app, &owner, "matrix_list", &[]).await;
        let row = matrix["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["area"] == "Failure behavior")
            .unwrap()
            .clone();
        assert_eq!(row["status"], "verified");
        assert_eq!(row["evidence_note"], "checked");

        // The owner edits a row and names its owner.
        let bob = app.user_id("bob@books.example").await;
        let mut edit = edit.to_vec();
        edit[1] = ("area", "Failure behavior (feed)");
        edit[5] = ("owner_user_id", bob.as_str());
        json(&app, &owner, "matrix_edit", &edit).await;
        let matrix = json(&app, &owner, "matrix_list", &[]).await;
        assert!(matrix.to_string().contains("Failure behavior (feed)"));
        assert!(matrix.to_string().contains("\"owner_name\":\"bob\""));

        // The checkpoint is refused while checks fail, naming them.
        let (status, body) = app
            .call(
                &owner,
                "preflight_sign",
                &[("decision", "go"), ("note", "")],
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(
            body.contains("QuickBooks Online connected") && body.contains("owners named"),
            "{body}"
        );

        // Once everything is in place, the owner signs; the history shows who and what.
        let ann = app.user_id("ann@studio.example").await.parse().unwrap();
        make_ready(&app.db, org, ann, bob.parse().unwrap()).await;
        let view = json(&app, &owner, "preflight_view", &[]).await;
        assert!(
            view["checks"]
                .as_array()
                .unwrap()
                .iter()
                .all(|c| c["passed"] == true),
            "{}",
            view["checks"]
        );
        json(
            &app,
            &owner,
            "preflight_item_update",
            &[
                ("id", item.as_str()),
                ("owner_user_id", bob.as_str()),
                ("done", "true"),
                ("note", "Everyone signs in."),
            ],
        )
        .await;
        json(
            &app,
            &owner,
            "preflight_sign",
            &[("decision", "go"), ("note", "Access validated.")],
        )
        .await;
        let view = json(&app, &owner, "preflight_view", &[]).await;
        assert_eq!(view["items"][0]["done"], true);
        assert_eq!(view["items"][0]["done_by_name"], "ann");
        let signed = &view["checkpoints"][0];
        assert_eq!(signed["decision"], "go");
        assert_eq!(signed["signed_by_name"], "ann");
        assert_eq!(signed["note"], "Access validated.");
        assert_eq!(signed["open_items"].as_array().unwrap().len(), 9);
        // An unchecked box (no `done` field) unmarks the item.
        json(
            &app,
            &owner,
            "preflight_item_update",
            &[("id", item.as_str()), ("owner_user_id", ""), ("note", "")],
        )
        .await;
        let view = json(&app, &owner, "preflight_view", &[]).await;
        assert_eq!(view["items"][0]["done"], false);

        // The pilot: the owner freezes the window, the bookkeeper picks a sample, the promotion
        // is refused while its gates fail.
        let (status, _) = app
            .call(
                &owner,
                "pilot_window",
                &[("from", "2024-03-01"), ("to", "March")],
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        json(
            &app,
            &owner,
            "pilot_window",
            &[("from", "2024-03-01"), ("to", "2024-03-31")],
        )
        .await;
        let pilot = json(&app, &bookkeeper, "pilot_view", &[]).await;
        assert_eq!(pilot["can_sample"], true);
        assert_eq!(pilot["can_edit"], false);
        let line = pilot["pilot"]["candidates"][0]["bank_line_id"].to_string();
        json(
            &app,
            &bookkeeper,
            "pilot_sample_add",
            &[("bank_line_id", line.as_str())],
        )
        .await;
        let pilot = json(&app, &viewer, "pilot_view", &[]).await;
        let sample = &pilot["pilot"]["samples"][0];
        assert_eq!(sample["reference"], "TRANSFER-1");
        assert_eq!(sample["expected"], "-120");
        assert_eq!(sample["posted"], "not_posted");
        let (status, body) = app.call(&owner, "pilot_promote", &[]).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("A clean cycle"), "{body}");
        let sample_id = sample["id"].to_string();
        let (status, _) = app
            .call(
                &viewer,
                "pilot_sample_remove",
                &[("id", sample_id.as_str())],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        json(
            &app,
            &bookkeeper,
            "pilot_sample_remove",
            &[("id", sample_id.as_str())],
        )
        .await;
        json(
            &app,
            &owner,
            "pilot_fallback",
            &[("tested", "true"), ("note", "Uploaded March as CSV.")],
        )
        .await;

        // All of it is in the audit log, by whom.
        let log = json(&app, &owner, "audit_recent", &[]).await.to_string();
        for action in [
            "matrix.evidence",
            "matrix.edit",
            "preflight.item",
            "preflight.sign",
            "pilot.window",
            "pilot.sample_add",
            "pilot.sample_remove",
            "pilot.fallback",
        ] {
            assert!(log.contains(action), "audit misses {action}");
        }
        assert!(log.contains("bob@books.example"));

        // The pages render on the server with the seeded rows.
        let html = app.page(&viewer, "/matrix").await;
        assert!(html.contains("Trigger-to-post timing in your environment"));
        assert!(!html.contains("Not built yet"));
        let html = app.page(&owner, "/preflight").await;
        assert!(html.contains("Go / no-go checkpoint") && html.contains("Access validated."));
        let html = app.page(&bookkeeper, "/pilot").await;
        assert!(html.contains("2024-03-01 – 2024-03-31"));
        app.stop().await;
    }
}
