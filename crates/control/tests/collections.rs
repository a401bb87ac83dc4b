//! Collections on every backend: the A/R aging fetched through the real QBO client from the
//! emulator's open invoices (one in every bucket), cached; follow-up owners that survive a
//! refresh; the follow-up log with its rules; everything audited.

use chrono::{DateTime, NaiveDate, Utc};
use control::audit::Actor;
use control::collections::{self, NewFollowUp};
use control::follow_up::Outcome;
use control::members::NewMember;
use control::password::NewPassword;
use control::secrets::Vault;
use control::sync::{Connectors, Context};
use control::{ControlError, Db, Email, Role, connect, members, testing, weekly};
use qbo::emulator::{EmulatorConfig, InvoiceSeed};
use rust_decimal::Decimal;
use serde_json::json;

fn now() -> DateTime<Utc> {
    "2026-06-03T10:00:00Z".parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn eur(cents: i64) -> Decimal {
    Decimal::new(cents, 2)
}

struct World {
    db: Db,
    ctx: Context,
    qbo: qbo::emulator::Emulator,
    realm: String,
    org: i64,
    owner: Actor,
    bookkeeper: Actor,
    bookkeeper_id: i64,
    /// Invoice Id per bucket: current, 1–30, 31–60, 61–90, 91+.
    invoices: Vec<String>,
}

async fn world(db: Db) -> World {
    let owner = members::provision(
        &db,
        &Actor::system("test"),
        "Studio Nord",
        NewMember {
            email: Email::parse("ann@studio.example").unwrap(),
            display_name: "Ann".into(),
            role: Role::Owner,
            password: Some(NewPassword::parse("correct horse battery").unwrap()),
        },
        now(),
    )
    .await
    .unwrap();
    let org = owner.organization_id;
    let ben = members::add(
        &db,
        &Actor::system("test"),
        org,
        NewMember {
            email: Email::parse("ben@studio.example").unwrap(),
            display_name: "Ben".into(),
            role: Role::Bookkeeper,
            password: Some(NewPassword::parse("correct horse battery").unwrap()),
        },
        now(),
    )
    .await
    .unwrap();
    let qbo = qbo::emulator::Emulator::start(EmulatorConfig::default())
        .await
        .unwrap();
    let realm = qbo.state().config().default_realm.clone();
    let s = qbo.state();
    s.set_preferences(&realm, true, "EUR");
    let red = s.add_customer(&realm, "Red Rock Records");
    let blue = s.add_customer(&realm, "Blue Fern Café");
    let invoice = |customer: &str, doc: &str, cents: i64, due: &str, balance: Option<i64>| {
        s.add_invoice(
            &realm,
            InvoiceSeed {
                customer_id: customer.to_string(),
                doc_number: doc.into(),
                amount: eur(cents),
                balance: balance.map(eur),
                txn_date: d(due) - chrono::Duration::days(30),
                due_date: d(due),
                currency: None,
            },
        )
    };
    let invoices = vec![
        invoice(&red, "1001", 120_000, "2026-06-20", None),
        invoice(&blue, "1002", 45_000, "2026-05-20", None),
        invoice(&red, "1003", 80_000, "2026-04-20", Some(30_000)),
        invoice(&blue, "1004", 25_000, "2026-03-20", None),
        invoice(&red, "1005", 99_900, "2026-01-15", None),
    ];
    // Paid in full: not in the aging.
    invoice(&blue, "0999", 10_000, "2026-02-01", Some(0));
    let ctx = Context {
        db: db.clone(),
        vault: Vault::from_key(&[7u8; 32]).unwrap(),
        connectors: Connectors {
            wise_base_url: "http://127.0.0.1:9".into(),
            wise_retry: wise::RetryPolicy::default(),
            qbo: Some(qbo::ClientConfig {
                retry: qbo::retry::RetryPolicy::fast(),
                ..qbo::ClientConfig::new(
                    qbo.endpoints(),
                    qbo::OAuthConfig::new(
                        "emulator-client",
                        qbo::Secret::new("emulator-secret"),
                        "http://127.0.0.1:1/callback".parse().unwrap(),
                    ),
                )
            }),
            wise_oauth: None,
        },
        worker: "test".into(),
        lease: chrono::Duration::seconds(30),
    };
    World {
        owner: Actor::user(owner.user_id, "ann@studio.example"),
        bookkeeper: Actor::user(ben.user_id, "ben@studio.example"),
        bookkeeper_id: ben.user_id,
        db,
        ctx,
        qbo,
        realm,
        org,
        invoices,
    }
}

impl World {
    async fn connect(&self) {
        let tokens = self.qbo.state().issue_tokens(&self.realm);
        connect::qbo(&self.ctx, &self.owner, self.org, tokens, Utc::now())
            .await
            .unwrap();
    }
}

fn key(id: &str) -> String {
    format!("invoice:{id}")
}

#[tokio::test]
async fn the_aging_comes_from_quickbooks_and_every_overdue_invoice_gets_an_owner() {
    for backend in testing::backends() {
        let w = world(testing::fresh(backend).await).await;
        let (db, org) = (&w.db, w.org);

        // Nothing fetched yet, and no QuickBooks to fetch from: said plainly.
        let empty = collections::view(db, org).await.unwrap();
        assert!(empty.aging.is_none() && empty.invoices.is_empty());
        let e = collections::refresh(&w.ctx, &w.bookkeeper, org, now())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("QuickBooks is not connected"), "{e}");

        w.connect().await;
        let r = collections::refresh(&w.ctx, &w.bookkeeper, org, now())
            .await
            .unwrap();
        assert_eq!((r.open, r.overdue, r.closed), (5, 4, 0));
        let v = collections::view(db, org).await.unwrap();
        let aging = v.aging.clone().unwrap();
        assert_eq!(aging.report_date, d("2026-06-03"));
        assert_eq!(
            aging.buckets,
            [
                "Current",
                "1–30 days",
                "31–60 days",
                "61–90 days",
                "91+ days"
            ]
        );
        assert_eq!(
            aging.bucket_totals,
            [
                eur(120_000),
                eur(45_000),
                eur(30_000),
                eur(25_000),
                eur(99_900)
            ]
        );
        assert_eq!(aging.total, eur(319_900));
        assert_eq!(aging.customers.len(), 2);
        assert_eq!(aging.fetched_by_name.as_deref(), Some("Ben"));
        // Most overdue first; the partly paid one shows what is still open.
        let docs: Vec<&str> = v.invoices.iter().map(|i| i.doc_number.as_str()).collect();
        assert_eq!(docs, ["1005", "1004", "1003", "1002", "1001"]);
        let partly = &v.invoices[2];
        assert_eq!(partly.open_balance, eur(30_000));
        assert_eq!(partly.amount, Some(eur(80_000)));
        assert_eq!(partly.days_overdue, 44);
        assert_eq!(partly.bucket, "31–60 days");
        assert_eq!(partly.key, key(&w.invoices[2]));
        assert!(!v.invoices[4].is_overdue());
        assert_eq!((v.overdue, v.unassigned_overdue), (4, 4));
        let run = weekly::current(db, org, now()).await.unwrap();
        let lane = run.items.iter().find(|i| i.key == "collections").unwrap();
        assert_eq!(lane.check, control::weekly_run::Check::Fail);
        assert!(
            lane.facts
                .iter()
                .any(|f| f.label == "Overdue invoices without a follow-up owner" && f.value == "4")
        );

        // Owners must be members; every overdue invoice named, the lane passes.
        let e = collections::assign(
            db,
            &w.bookkeeper,
            org,
            &key(&w.invoices[1]),
            Some(9999),
            now(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ControlError::Invalid(_)), "{e:?}");
        let e = collections::assign(db, &w.bookkeeper, org, "invoice:nope", None, now())
            .await
            .unwrap_err();
        assert!(matches!(e, ControlError::NotFound(_)));
        for id in &w.invoices[1..] {
            collections::assign(
                db,
                &w.bookkeeper,
                org,
                &key(id),
                Some(w.bookkeeper_id),
                now(),
            )
            .await
            .unwrap();
        }
        let v = collections::view(db, org).await.unwrap();
        assert_eq!(v.unassigned_overdue, 0);
        assert_eq!(v.invoices[0].owner_name.as_deref(), Some("Ben"));
        let run = weekly::current(db, org, now()).await.unwrap();
        let lane = run.items.iter().find(|i| i.key == "collections").unwrap();
        assert_eq!(
            lane.check,
            control::weekly_run::Check::Pass,
            "{:?}",
            lane.facts
        );

        // Paid in QuickBooks: the next refresh closes it; owners elsewhere stay.
        w.qbo
            .state()
            .update(&w.realm, "Invoice", &w.invoices[4], json!({"Balance": 0}))
            .unwrap();
        let later: DateTime<Utc> = "2026-06-04T09:00:00Z".parse().unwrap();
        let r = collections::refresh(&w.ctx, &w.owner, org, later)
            .await
            .unwrap();
        assert_eq!((r.open, r.overdue, r.closed), (4, 3, 1));
        let v = collections::view(db, org).await.unwrap();
        assert!(v.invoices.iter().all(|i| i.doc_number != "1005"));
        assert!(
            v.invoices
                .iter()
                .filter(|i| i.is_overdue())
                .all(|i| i.owner_user_id.is_some())
        );
        assert_eq!(v.invoices[0].days_overdue, 76, "a day later");

        let log: Vec<String> = control::audit::recent(db, org, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        assert_eq!(
            log.iter().filter(|a| *a == "collections.refresh").count(),
            2
        );
        assert_eq!(log.iter().filter(|a| *a == "collections.assign").count(), 4);
    }
}

#[tokio::test]
async fn follow_ups_are_logged_per_invoice_with_who_and_when() {
    for backend in testing::backends() {
        let w = world(testing::fresh(backend).await).await;
        let (db, org) = (&w.db, w.org);
        w.connect().await;
        collections::refresh(&w.ctx, &w.bookkeeper, org, now())
            .await
            .unwrap();
        let invoice = key(&w.invoices[3]);
        let follow_up =
            |contacted: &str, promised: Option<&str>, outcome: Outcome, note: &str| NewFollowUp {
                contacted_on: d(contacted),
                promised_on: promised.map(d),
                outcome,
                note: note.into(),
            };
        for (bad, why) in [
            (
                follow_up("2026-06-04", None, Outcome::NoResponse, ""),
                "future",
            ),
            (
                follow_up("2026-06-02", None, Outcome::Promised, ""),
                "promised date",
            ),
            (
                follow_up("2026-06-02", Some("2026-06-01"), Outcome::Promised, ""),
                "before the contact date",
            ),
        ] {
            let e = collections::log_follow_up(db, &w.bookkeeper, org, &invoice, bad, now())
                .await
                .unwrap_err();
            assert!(e.to_string().contains(why), "{e}");
        }
        let e = collections::log_follow_up(
            db,
            &w.bookkeeper,
            org,
            "invoice:404",
            follow_up("2026-06-02", None, Outcome::NoResponse, ""),
            now(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ControlError::NotFound(_)));

        collections::log_follow_up(
            db,
            &w.bookkeeper,
            org,
            &invoice,
            follow_up("2026-05-28", None, Outcome::NoResponse, "voicemail"),
            now(),
        )
        .await
        .unwrap();
        collections::log_follow_up(
            db,
            &w.owner,
            org,
            &invoice,
            follow_up(
                "2026-06-02",
                Some("2026-06-12"),
                Outcome::Promised,
                "  pays on the 12th ",
            ),
            now(),
        )
        .await
        .unwrap();
        let v = collections::view(db, org).await.unwrap();
        let inv = v.invoices.iter().find(|i| i.key == invoice).unwrap();
        assert_eq!(inv.follow_ups.len(), 2);
        let newest = &inv.follow_ups[0];
        assert_eq!(newest.outcome, Outcome::Promised);
        assert_eq!(newest.promised_on, Some(d("2026-06-12")));
        assert_eq!(newest.note, "pays on the 12th");
        assert_eq!(newest.by_name.as_deref(), Some("Ann"));
        assert_eq!(inv.follow_ups[1].by_name.as_deref(), Some("Ben"));
        // Follow-ups are kept across refreshes.
        collections::refresh(&w.ctx, &w.bookkeeper, org, now())
            .await
            .unwrap();
        let v = collections::view(db, org).await.unwrap();
        assert_eq!(
            v.invoices
                .iter()
                .find(|i| i.key == invoice)
                .unwrap()
                .follow_ups
                .len(),
            2
        );
        let entry = control::audit::recent(db, org, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.action == "collections.follow_up")
            .unwrap();
        assert!(entry.after_state.unwrap().contains("2026-06-12"));
    }
}
