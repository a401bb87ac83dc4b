//! Statement upload on every backend: Wise's March statement for the EUR balance, in each
//! format Wise offers, previewed and committed; a broken file is refused with the parser's
//! reason and leaves nothing behind; committing twice adds nothing.

use chrono::{DateTime, NaiveDate, Utc};
use control::audit::Actor;
use control::lines::{self, BankLine};
use control::members::NewMember;
use control::password::NewPassword;
use control::runs::{self, Purpose, RunStatus};
use control::statement_upload::LineStatus;
use control::{ControlError, Db, Email, Role, members, testing, uploads};

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/../wise/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

const JSON: &str = "march-2024-eur.json";
const CSV: &str = "march-2024-eur.csv";
const CAMT: &str = "march-2024-eur.camt053.xml";

fn now() -> DateTime<Utc> {
    "2024-04-02T09:00:00Z".parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn bookkeeper(db: &Db) -> (Actor, i64) {
    let p = members::provision(
        db,
        &Actor::system("test"),
        "Studio Nord",
        NewMember {
            email: Email::parse("bob@books.example").unwrap(),
            display_name: "Bob".into(),
            role: Role::Bookkeeper,
            password: Some(NewPassword::parse("correct horse battery").unwrap()),
        },
        now(),
    )
    .await
    .unwrap();
    (
        Actor::user(p.user_id, "bob@books.example"),
        p.organization_id,
    )
}

/// Rows in the tables an upload writes.
async fn written(db: &Db, org: i64) -> (usize, i64, usize, usize) {
    let lines = lines::bank_lines(db, org).await.unwrap().len();
    let payloads: i64 = match db {
        Db::Sqlite(p) => sqlx::query_scalar("SELECT COUNT(*) FROM raw_payloads")
            .fetch_one(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM raw_payloads")
            .fetch_one(p)
            .await
            .unwrap(),
    };
    let mut tx = db.begin().await.unwrap();
    let coverage = lines::coverage_in(&mut tx, org).await.unwrap().len();
    drop(tx);
    let audited = control::audit::recent(db, org, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "upload.commit")
        .count();
    (lines, payloads, coverage, audited)
}

#[tokio::test]
async fn a_statement_is_previewed_then_committed_once() {
    for backend in testing::backends() {
        let db = testing::fresh(backend).await;
        let (bob, org) = bookkeeper(&db).await;
        let json = fixture(JSON);

        let preview = uploads::preview(&db, org, "march.json", &json)
            .await
            .unwrap();
        assert_eq!(preview.currency, "EUR");
        assert_eq!(preview.format, "statement JSON");
        assert_eq!(
            (preview.period_from, preview.period_to),
            (d("2024-03-01"), d("2024-03-31"))
        );
        assert_eq!((preview.new, preview.known, preview.conflicting), (4, 0, 0));
        assert_eq!(preview.lines.len(), 4);
        assert!(preview.lines.iter().all(|l| l.status == LineStatus::New));
        assert_eq!(
            written(&db, org).await,
            (0, 0, 0, 0),
            "a preview writes nothing"
        );

        let done = uploads::commit(&db, &bob, org, "march.json", &json, &preview.sha256, now())
            .await
            .unwrap();
        assert_eq!((done.added, done.known, done.conflicting), (4, 0, 0));
        assert_eq!(written(&db, org).await, (4, 1, 1, 1));
        let stored = lines::bank_lines(&db, org).await.unwrap();
        assert!(stored.iter().any(|l| l.reference == "TRANSFER-900000002"
            && l.amount == "-1204.31".parse().unwrap()
            && l.fee == "4.31".parse().unwrap()));
        let mut tx = db.begin().await.unwrap();
        let coverage = lines::coverage_in(&mut tx, org).await.unwrap();
        drop(tx);
        assert_eq!(coverage["EUR"], (d("2024-03-01"), d("2024-03-31")));

        // A sync run is queued for the statement's period, so the lines get reconciled.
        let run = runs::get(&db, org, done.run_id.unwrap()).await.unwrap();
        assert_eq!(run.purpose, Purpose::Sync);
        assert_eq!(run.status, RunStatus::Queued);
        assert_eq!(
            (run.window_from, run.window_to),
            (d("2024-03-01"), d("2024-03-31"))
        );
        assert_eq!(run.requested_by, bob.user_id);
        assert!(!done.run_was_active);

        let entry = control::audit::recent(&db, org, 10)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.action == "upload.commit")
            .unwrap();
        assert_eq!(entry.actor, "bob@books.example");
        let after: serde_json::Value =
            serde_json::from_str(entry.after_state.as_deref().unwrap()).unwrap();
        assert_eq!(after["file_name"], "march.json");
        assert_eq!(after["added"], 4);
        assert_eq!(after["sha256"], preview.sha256.as_str());
        assert_eq!(entry.before_state.as_deref(), Some("{\"coverage\":null}"));

        // The same file again, and the same statement as CSV and camt.053: all known.
        let again = uploads::commit(&db, &bob, org, "march.json", &json, &preview.sha256, now())
            .await
            .unwrap();
        assert_eq!((again.added, again.known, again.run_id), (0, 4, None));
        for name in [CSV, CAMT] {
            let text = fixture(name);
            let p = uploads::preview(&db, org, name, &text).await.unwrap();
            assert_eq!((p.new, p.known, p.conflicting), (0, 4, 0), "{name}");
            let c = uploads::commit(&db, &bob, org, name, &text, &p.sha256, now())
                .await
                .unwrap();
            assert_eq!(c.added, 0, "{name}");
        }
        let (lines, payloads, coverage, audited) = written(&db, org).await;
        assert_eq!(
            (lines, payloads, coverage),
            (4, 3, 1),
            "raw files kept once each"
        );
        assert_eq!(
            audited, 4,
            "every commit is audited, even one that adds nothing"
        );
    }
}

#[tokio::test]
async fn a_line_stored_differently_is_a_conflict_and_is_not_added() {
    for backend in testing::backends() {
        let db = testing::fresh(backend).await;
        let (bob, org) = bookkeeper(&db).await;
        // The API stored the card payment an hour later than the file says (a time-zone slip).
        let mut tx = db.begin().await.unwrap();
        lines::upsert_bank_lines(
            &mut tx,
            org,
            &[BankLine {
                currency: "EUR".into(),
                reference: "CARD-1234567890".into(),
                booked_at: "2024-03-15T19:30:05Z".parse().unwrap(),
                amount: "-46.22".parse().unwrap(),
                fee: "0".parse().unwrap(),
                counterparty: "Example Cloud Inc".into(),
                payment_reference: String::new(),
                description: "Card transaction".into(),
                details_type: "CARD".into(),
            }],
            "api",
            None,
            None,
            now(),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        let csv = fixture(CSV);
        let p = uploads::preview(&db, org, "march.csv", &csv).await.unwrap();
        assert_eq!((p.new, p.known, p.conflicting), (3, 0, 1));
        let conflict = &p.lines[0];
        assert_eq!(
            conflict.status,
            LineStatus::Conflicting,
            "conflicts are listed first"
        );
        assert_eq!(conflict.reference, "CARD-1234567890");
        assert_eq!(
            conflict.stored[0].booked_at,
            "2024-03-15T19:30:05Z".parse::<DateTime<Utc>>().unwrap()
        );

        // A different file than the one previewed is refused.
        let json = fixture(JSON);
        assert!(matches!(
            uploads::commit(&db, &bob, org, "march.csv", &json, &p.sha256, now()).await,
            Err(ControlError::Conflict(m)) if m.contains("previewed")
        ));
        let done = uploads::commit(&db, &bob, org, "march.csv", &csv, &p.sha256, now())
            .await
            .unwrap();
        assert_eq!((done.added, done.conflicting), (3, 1));
        let card: Vec<_> = lines::bank_lines(&db, org)
            .await
            .unwrap()
            .into_iter()
            .filter(|l| l.reference == "CARD-1234567890")
            .collect();
        assert_eq!(card.len(), 1, "no second version of the card payment");
    }
}

#[tokio::test]
async fn a_malformed_file_is_refused_with_the_parsers_reason_and_writes_nothing() {
    for backend in testing::backends() {
        let db = testing::fresh(backend).await;
        let (bob, org) = bookkeeper(&db).await;
        let broken = fixture(CSV).replace("-1204.31", "-12O4.31");
        let reason = wise::parse_statement(broken.as_bytes())
            .unwrap_err()
            .to_string();
        for result in [
            uploads::preview(&db, org, "march.csv", &broken)
                .await
                .map(|_| ()),
            uploads::commit(&db, &bob, org, "march.csv", &broken, "", now())
                .await
                .map(|_| ()),
        ] {
            let Err(ControlError::Invalid(message)) = result else {
                panic!("a malformed file must be refused: {result:?}")
            };
            assert!(message.contains(&reason), "{message} / {reason}");
        }
        let truncated = &fixture(JSON)[..900];
        let Err(ControlError::Invalid(message)) =
            uploads::preview(&db, org, "march.json", truncated).await
        else {
            panic!("truncated JSON must be refused")
        };
        assert!(message.contains("statement JSON"), "{message}");
        assert_eq!(written(&db, org).await, (0, 0, 0, 0));
        assert!(runs::active(&db, org).await.unwrap().is_none());
    }
}
