//! The weekly control run on every backend: one run per organization and ISO week, evidence
//! read from the stored rows, maker-checker, justified sign-off of failing checks, the lock,
//! withdrawal when covered data changes (and only then, also through a real sync against the
//! emulators), the audit trail and the CSV export.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use control::audit::Actor;
use control::connection_path::{PathKind, TestStatus};
use control::connection_paths::{self, PathUpdate};
use control::members::NewMember;
use control::password::NewPassword;
use control::weekly::{self, WeeklyRun};
use control::weekly_run::{Check, RunStatus, Week};
use control::{ControlError, Db, Email, Role, members, support, testing};

/// 2026-W23 runs from Monday 1 June to Sunday 7 June.
fn wednesday() -> DateTime<Utc> {
    "2026-06-03T10:00:00Z".parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Runs one statement on whichever backend `db` is.
macro_rules! exec {
    ($db:expr, $sql:expr $(, $arg:expr)* $(,)?) => {
        match $db {
            Db::Sqlite(p) => { sqlx::query($sql)$(.bind($arg))*.execute(p).await.unwrap(); }
            Db::Postgres(p) => { sqlx::query($sql)$(.bind($arg))*.execute(p).await.unwrap(); }
        }
    };
}

struct Studio {
    db: Db,
    org: i64,
    owner: Actor,
    bookkeeper: Actor,
    bookkeeper_id: i64,
}

async fn person(db: &Db, org: i64, email: &str, role: Role) -> (Actor, i64) {
    let m = members::add(
        db,
        &Actor::system("test"),
        org,
        NewMember {
            email: Email::parse(email).unwrap(),
            display_name: email.split('@').next().unwrap().to_string(),
            role,
            password: Some(NewPassword::parse("correct horse battery").unwrap()),
        },
        wednesday(),
    )
    .await
    .unwrap();
    (Actor::user(m.user_id, email), m.user_id)
}

async fn studio(db: Db, name: &str) -> Studio {
    let owner = members::provision(
        &db,
        &Actor::system("test"),
        name,
        NewMember {
            email: Email::parse(&format!(
                "ann@{}.example",
                name.to_lowercase().replace(' ', "")
            ))
            .unwrap(),
            display_name: "Ann".into(),
            role: Role::Owner,
            password: Some(NewPassword::parse("correct horse battery").unwrap()),
        },
        wednesday(),
    )
    .await
    .unwrap();
    let org = owner.organization_id;
    let (bookkeeper, bookkeeper_id) = person(
        &db,
        org,
        &format!("ben@{}.example", name.to_lowercase().replace(' ', "")),
        Role::Bookkeeper,
    )
    .await;
    Studio {
        owner: Actor::user(owner.user_id, "ann@studio"),
        db,
        org,
        bookkeeper,
        bookkeeper_id,
    }
}

#[allow(clippy::too_many_arguments)]
async fn exception(
    db: &Db,
    org: i64,
    key: &str,
    status: &str,
    owner: Option<i64>,
    next_action: &str,
    due_on: Option<NaiveDate>,
    occurred_on: NaiveDate,
) {
    exec!(
        db,
        "INSERT INTO exceptions (organization_id, exception_key, kind, currency, difference, \
         size_minor, reason, bank_ids, book_ids, occurred_on, status, owner_user_id, next_action, \
         due_on, present, opened_at, updated_at) VALUES ($1, $2, 'missing_in_books', 'EUR', '-12.50', \
         1250, 'no posting', '[]', '[]', $3, $4, $5, $6, $7, $8, $9, $9)",
        org,
        key,
        occurred_on,
        status,
        owner,
        next_action,
        due_on,
        true,
        wednesday(),
    );
}

async fn matched(db: &Db, org: i64, key: &str, bank_at: &str) {
    let at: DateTime<Utc> = bank_at.parse().unwrap();
    exec!(
        db,
        "INSERT INTO recon_matches (organization_id, match_key, run_id, kind, status, confidence, \
         reason, currency, bank_ids, book_ids, bank_at, posted_at, lag_seconds, path) \
         VALUES ($1, $2, 1, 'one_to_one', 'matched', '1.00', 'same amount and reference', 'EUR', \
         '[]', '[]', $3, $3, 0, 'bank_feed')",
        org,
        key,
        at,
    );
}

/// The bookkeeper marks every lane done (with notes) and hands the run over.
async fn prepare(s: &Studio, by: &Actor, run: i64) {
    for lane in control::weekly_run::LANES {
        weekly::set_item(
            &s.db,
            by,
            s.org,
            run,
            lane.key,
            mark(true, format!("checked {}", lane.title)),
            wednesday(),
        )
        .await
        .unwrap();
    }
    weekly::mark_ready(&s.db, by, s.org, run, wednesday())
        .await
        .unwrap();
}

fn mark(done: bool, note: String) -> weekly::Mark {
    weekly::Mark { done, note }
}

fn fact<'a>(run: &'a WeeklyRun, lane: &str, label: &str) -> &'a control::weekly_run::Evidence {
    run.items
        .iter()
        .find(|i| i.key == lane)
        .unwrap()
        .facts
        .iter()
        .find(|f| f.label == label)
        .unwrap_or_else(|| panic!("no {label:?} in {lane}"))
}

fn check(run: &WeeklyRun, lane: &str) -> Check {
    run.items.iter().find(|i| i.key == lane).unwrap().check
}

fn conflict(e: ControlError) -> String {
    match e {
        ControlError::Conflict(m) | ControlError::Invalid(m) => m,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn actions(db: &Db, org: i64) -> Vec<String> {
    control::audit::recent(db, org, 500)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.action)
        .collect()
}

#[tokio::test]
async fn one_run_per_organization_and_iso_week() {
    for backend in testing::backends() {
        let s = studio(testing::fresh(backend).await, "Studio Nord").await;
        let other = members::provision(
            &s.db,
            &Actor::system("test"),
            "Studio Süd",
            NewMember {
                email: Email::parse("sue@sud.example").unwrap(),
                display_name: "Sue".into(),
                role: Role::Owner,
                password: Some(NewPassword::parse("correct horse battery").unwrap()),
            },
            wednesday(),
        )
        .await
        .unwrap();
        // Opening the page from several tabs at once creates the run once.
        let ids = futures_join(&s.db, s.org).await;
        assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
        let sunday = "2026-06-07T23:59:00Z".parse().unwrap();
        assert_eq!(weekly::ensure(&s.db, s.org, sunday).await.unwrap(), ids[0]);
        let run = weekly::current(&s.db, s.org, wednesday()).await.unwrap();
        assert_eq!(
            run.week,
            Week {
                year: 2026,
                week: 23
            }
        );
        assert_eq!(run.status, RunStatus::Open);
        assert_eq!(run.items.len(), 6);
        assert_eq!(run.items[0].lane, "Access health");
        assert_eq!(run.items[5].lane, "Wise re-authorization");
        assert!(run.live_evidence);

        // Another organization, and the next week, get their own.
        let theirs = weekly::ensure(&s.db, other.organization_id, wednesday())
            .await
            .unwrap();
        assert_ne!(theirs, ids[0]);
        let monday = "2026-06-08T00:00:00Z".parse().unwrap();
        let next = weekly::ensure(&s.db, s.org, monday).await.unwrap();
        assert_ne!(next, ids[0]);
        let history = weekly::history(&s.db, s.org, 10).await.unwrap();
        assert_eq!(
            history.iter().map(|h| h.week.code()).collect::<Vec<_>>(),
            ["2026-W24", "2026-W23"]
        );
        let created = actions(&s.db, s.org)
            .await
            .into_iter()
            .filter(|a| a == "weekly.create")
            .count();
        assert_eq!(created, 2);
        // Runs are per organization: another organization's id is not found.
        let e = weekly::get(&s.db, s.org, theirs, wednesday())
            .await
            .unwrap_err();
        assert!(matches!(e, ControlError::NotFound(_)), "{e:?}");
    }
}

async fn futures_join(db: &Db, org: i64) -> Vec<i64> {
    let (a, b, c, d) = tokio::join!(
        weekly::ensure(db, org, wednesday()),
        weekly::ensure(db, org, wednesday()),
        weekly::ensure(db, org, wednesday()),
        weekly::ensure(db, org, wednesday()),
    );
    vec![a.unwrap(), b.unwrap(), c.unwrap(), d.unwrap()]
}

#[tokio::test]
async fn evidence_is_read_from_the_stored_rows() {
    for backend in testing::backends() {
        let s = studio(testing::fresh(backend).await, "Studio Nord").await;
        let (db, org, ben) = (&s.db, s.org, Some(s.bookkeeper_id));
        let day = d("2026-06-01");
        exception(
            db,
            org,
            "E1",
            "open",
            ben,
            "call the bank",
            Some(d("2026-06-10")),
            day,
        )
        .await;
        exception(db, org, "E2", "in_progress", None, "", None, day).await;
        exception(
            db,
            org,
            "E3",
            "waiting_on_vendor",
            ben,
            "chase Wise",
            Some(d("2026-06-01")),
            day,
        )
        .await;
        exception(
            db,
            org,
            "E4",
            "resolved",
            None,
            "",
            Some(d("2026-05-01")),
            day,
        )
        .await;
        // Authorized 78 days ago: the 90-day consent ends in 12 days.
        connection_paths::update(
            db,
            &s.owner,
            org,
            PathKind::BankFeed,
            PathUpdate {
                owner_user_id: None,
                set_up_on: None,
                authorized_on: Some(d("2026-03-17")),
                renews_on: None,
                test_status: TestStatus::Passed,
                notes: String::new(),
            },
            wednesday(),
        )
        .await
        .unwrap();

        let run = weekly::current(db, org, wednesday()).await.unwrap();
        assert_eq!(fact(&run, "exceptions", "Active exceptions").value, "3");
        let unassigned = fact(&run, "exceptions", "Unassigned active exceptions");
        assert_eq!(
            (unassigned.value.as_str(), unassigned.ok),
            ("1", Some(false))
        );
        assert_eq!(
            fact(
                &run,
                "exceptions",
                "Active exceptions without a next action"
            )
            .value,
            "1"
        );
        assert_eq!(fact(&run, "exceptions", "Overdue").value, "1");
        assert_eq!(check(&run, "exceptions"), Check::Fail);
        let renewal = fact(
            &run,
            "wise_reauthorization",
            "Days to Wise bank-feed renewal",
        );
        assert_eq!(renewal.value, "12 (renew by 2026-06-15: renew now)");
        assert_eq!(renewal.ok, Some(false));
        assert_eq!(
            fact(&run, "access_health", "Active owners (recovery login)").value,
            "1"
        );
        assert_eq!(
            fact(&run, "access_health", "QuickBooks Online connection").value,
            "not connected"
        );
        assert_eq!(check(&run, "access_health"), Check::Fail);
        assert_eq!(
            fact(&run, "reconciliation", "Last successful sync").value,
            "never"
        );
        assert_eq!(
            fact(&run, "collections", "A/R aging fetched").value,
            "never"
        );
        assert_eq!(check(&run, "support_risk"), Check::Fail);

        // Fixing the rows fixes the evidence.
        exec!(
            db,
            "UPDATE exceptions SET owner_user_id = $1, next_action = 'book it', due_on = NULL \
             WHERE organization_id = $2",
            s.bookkeeper_id,
            org
        );
        connection_paths::update(
            db,
            &s.owner,
            org,
            PathKind::BankFeed,
            PathUpdate {
                owner_user_id: None,
                set_up_on: None,
                authorized_on: Some(d("2026-06-01")),
                renews_on: None,
                test_status: TestStatus::Passed,
                notes: String::new(),
            },
            wednesday(),
        )
        .await
        .unwrap();
        support::save_contact(
            db,
            &s.owner,
            org,
            None,
            support::ContactInput {
                name: "Wise Business support".into(),
                company: "Wise".into(),
                channel: "https://wise.com/help".into(),
                notes: String::new(),
            },
            wednesday(),
        )
        .await
        .unwrap();
        support::set_escalation_owner(db, &s.owner, org, s.owner.user_id, wednesday())
            .await
            .unwrap();
        let run = weekly::current(db, org, wednesday()).await.unwrap();
        assert_eq!(check(&run, "exceptions"), Check::Pass, "{:?}", run.items[2]);
        assert_eq!(check(&run, "wise_reauthorization"), Check::Pass);
        assert_eq!(check(&run, "support_risk"), Check::Pass);
        assert_eq!(fact(&run, "support_risk", "Escalation owner").value, "Ann");
    }
}

#[tokio::test]
async fn the_bookkeeper_prepares_the_owner_signs_and_the_run_locks() {
    for backend in testing::backends() {
        let s = studio(testing::fresh(backend).await, "Studio Nord").await;
        let (db, org) = (&s.db, s.org);
        let run = weekly::ensure(db, org, wednesday()).await.unwrap();

        // Every lane must be done before the hand-over.
        for lane in &control::weekly_run::LANES[..5] {
            weekly::set_item(
                db,
                &s.bookkeeper,
                org,
                run,
                lane.key,
                mark(true, "ok".into()),
                wednesday(),
            )
            .await
            .unwrap();
        }
        let e = weekly::mark_ready(db, &s.bookkeeper, org, run, wednesday())
            .await
            .unwrap_err();
        assert!(conflict(e).contains("Wise re-authorization"));
        let e = weekly::set_item(
            db,
            &s.bookkeeper,
            org,
            run,
            "nope",
            mark(true, "".into()),
            wednesday(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ControlError::NotFound(_)));
        prepare(&s, &s.bookkeeper, run).await;
        let e = weekly::set_item(
            db,
            &s.bookkeeper,
            org,
            run,
            "collections",
            mark(false, "".into()),
            wednesday(),
        )
        .await
        .unwrap_err();
        assert!(conflict(e).contains("ready for sign-off"));

        // Only an owner signs, and failing checks need a written justification.
        let e = weekly::sign(db, &s.bookkeeper, org, run, "all fine", wednesday())
            .await
            .unwrap_err();
        assert!(conflict(e).contains("Only an owner"));
        let e = weekly::sign(db, &s.owner, org, run, "", wednesday())
            .await
            .unwrap_err();
        let msg = conflict(e);
        assert!(msg.contains("automatic check(s) fail"), "{msg}");
        assert!(msg.contains("Access health"), "{msg}");
        let e = weekly::sign(db, &s.owner, org, run, "fine", wednesday())
            .await
            .unwrap_err();
        assert!(conflict(e).contains("justification"));
        let signed = weekly::sign(
            db,
            &s.owner,
            org,
            run,
            "New studio: QuickBooks connects next week; nothing to reconcile yet.",
            wednesday(),
        )
        .await
        .unwrap();
        assert_eq!(signed.status, RunStatus::Signed);
        assert!(signed.is_locked());
        assert!(!signed.live_evidence);
        assert_eq!(signed.signed_by, s.owner.user_id);
        assert_eq!(signed.prepared_by, Some(s.bookkeeper_id));
        assert_eq!(signed.covered_to, Some(d("2026-06-03")));
        let snapshot = weekly::snapshot(db, org, run).await.unwrap().unwrap();
        assert_eq!(snapshot.evidence.len(), 6);
        assert_eq!(snapshot.fingerprint.count, 0);

        // Locked: nothing changes any more, and the evidence stays as signed.
        let e = weekly::set_item(
            db,
            &s.bookkeeper,
            org,
            run,
            "collections",
            mark(false, "".into()),
            wednesday(),
        )
        .await
        .unwrap_err();
        assert!(conflict(e).contains("locked"));
        assert!(
            conflict(
                weekly::reopen(db, &s.owner, org, run, wednesday())
                    .await
                    .unwrap_err()
            )
            .contains("locked")
        );
        assert!(
            conflict(
                weekly::mark_ready(db, &s.bookkeeper, org, run, wednesday())
                    .await
                    .unwrap_err()
            )
            .contains("locked")
        );
        let again = weekly::sign(db, &s.owner, org, run, "again, to be sure", wednesday())
            .await
            .unwrap_err();
        assert!(conflict(again).contains("already signed"));
        support::set_escalation_owner(db, &s.owner, org, s.owner.user_id, wednesday())
            .await
            .unwrap();
        let later = weekly::get(db, org, run, wednesday()).await.unwrap();
        assert_eq!(
            fact(&later, "support_risk", "Escalation owner").value,
            "nobody named",
            "the snapshot, not today's settings"
        );

        let log = actions(db, org).await;
        for a in [
            "weekly.create",
            "weekly.item",
            "weekly.ready",
            "weekly.sign",
        ] {
            assert!(log.iter().any(|l| l == a), "{a} missing from {log:?}");
        }
        let sign = control::audit::recent(db, org, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.action == "weekly.sign")
            .unwrap();
        assert!(sign.before_state.unwrap().contains("\"ready\""));
        let after = sign.after_state.unwrap();
        assert!(
            after.contains("\"signed\"") && after.contains("nothing to reconcile"),
            "{after}"
        );
    }
}

#[tokio::test]
async fn maker_and_checker_are_never_the_same_person() {
    for backend in testing::backends() {
        let s = studio(testing::fresh(backend).await, "Solo Studio").await;
        let (db, org) = (&s.db, s.org);
        let (cleo, _) = person(db, org, "cleo@solo.example", Role::Owner).await;
        let run = weekly::ensure(db, org, wednesday()).await.unwrap();
        // The owner prepares the run herself…
        prepare(&s, &s.owner, run).await;
        let e = weekly::sign(db, &s.owner, org, run, "justified: first week", wednesday())
            .await
            .unwrap_err();
        let msg = conflict(e);
        assert!(msg.contains("maker-checker"), "{msg}");
        assert_eq!(
            weekly::get(db, org, run, wednesday()).await.unwrap().status,
            RunStatus::Ready
        );

        // …and an owner who changed even one item is a maker too.
        weekly::reopen(db, &s.bookkeeper, org, run, wednesday())
            .await
            .unwrap();
        prepare(&s, &s.bookkeeper, run).await;
        weekly::reopen(db, &s.bookkeeper, org, run, wednesday())
            .await
            .unwrap();
        weekly::set_item(
            db,
            &cleo,
            org,
            run,
            "collections",
            mark(true, "I looked too".into()),
            wednesday(),
        )
        .await
        .unwrap();
        weekly::mark_ready(db, &s.bookkeeper, org, run, wednesday())
            .await
            .unwrap();
        let e = weekly::sign(db, &cleo, org, run, "justified: first week", wednesday())
            .await
            .unwrap_err();
        assert!(conflict(e).contains("maker-checker"));
        // Ann touched no item in this round: she may sign.
        let signed = weekly::sign(db, &s.owner, org, run, "justified: first week", wednesday())
            .await
            .unwrap();
        assert_eq!(signed.status, RunStatus::Signed);
        assert!(actions(db, org).await.iter().any(|a| a == "weekly.reopen"));
    }
}

#[tokio::test]
async fn a_change_to_the_covered_week_withdraws_the_sign_off_and_nothing_else_does() {
    for backend in testing::backends() {
        let s = studio(testing::fresh(backend).await, "Studio Nord").await;
        let (db, org, ben) = (&s.db, s.org, Some(s.bookkeeper_id));
        exception(
            db,
            org,
            "EUR|missing_in_books|X1|",
            "open",
            ben,
            "book",
            None,
            d("2026-06-01"),
        )
        .await;
        exception(
            db,
            org,
            "EUR|missing_in_books|X2|",
            "open",
            ben,
            "book",
            None,
            d("2026-05-28"),
        )
        .await;
        matched(
            db,
            org,
            "EUR|one_to_one|M1|Purchase:1",
            "2026-06-02T09:00:00Z",
        )
        .await;
        matched(
            db,
            org,
            "EUR|one_to_one|M2|Purchase:2",
            "2026-05-31T23:00:00Z",
        )
        .await;
        let run = weekly::ensure(db, org, wednesday()).await.unwrap();
        prepare(&s, &s.bookkeeper, run).await;
        weekly::sign(
            db,
            &s.owner,
            org,
            run,
            "justified: connections pending",
            wednesday(),
        )
        .await
        .unwrap();
        let snapshot = weekly::snapshot(db, org, run).await.unwrap().unwrap();
        let keys: Vec<&str> = snapshot.covered.iter().map(|c| c.key.as_str()).collect();
        assert_eq!(
            keys,
            ["EUR|missing_in_books|X1|", "EUR|one_to_one|M1|Purchase:1"]
        );
        assert_eq!(snapshot.fingerprint.count, 2);

        let later = wednesday() + Duration::hours(5);
        assert!(weekly::recheck(db, org, later).await.unwrap().is_empty());
        // The week before, and days after the sign-off, were never covered.
        exec!(
            db,
            "UPDATE exceptions SET status = 'resolved' WHERE exception_key = $1",
            "EUR|missing_in_books|X2|"
        );
        exception(
            db,
            org,
            "EUR|missing_in_books|X3|",
            "open",
            None,
            "",
            None,
            d("2026-06-05"),
        )
        .await;
        matched(
            db,
            org,
            "EUR|one_to_one|M3|Purchase:3",
            "2026-06-04T00:00:00Z",
        )
        .await;
        assert!(weekly::recheck(db, org, later).await.unwrap().is_empty());
        assert_eq!(
            weekly::get(db, org, run, later).await.unwrap().status,
            RunStatus::Signed
        );
        assert!(weekly::withdrawn(db, org).await.unwrap().is_empty());

        // A covered exception changes status: the sign-off no longer holds.
        exec!(
            db,
            "UPDATE exceptions SET status = 'dismissed' WHERE exception_key = $1",
            "EUR|missing_in_books|X1|"
        );
        assert_eq!(weekly::recheck(db, org, later).await.unwrap(), [run]);
        let withdrawn = weekly::get(db, org, run, later).await.unwrap();
        assert_eq!(withdrawn.status, RunStatus::Withdrawn);
        assert_eq!(withdrawn.withdrawn_at, Some(later));
        let reason = withdrawn.withdrawn_reason.clone().unwrap();
        assert!(reason.starts_with("1 covered item(s) changed"), "{reason}");
        assert!(
            reason.contains("EUR|missing_in_books|X1|: open → dismissed"),
            "{reason}"
        );
        assert_eq!(weekly::withdrawn(db, org).await.unwrap().len(), 1);
        // Withdrawn once: later rechecks leave it be.
        assert!(weekly::recheck(db, org, later).await.unwrap().is_empty());
        let entry = control::audit::recent(db, org, 100)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.action == "weekly.withdraw")
            .unwrap();
        assert_eq!(entry.actor, "weekly");
        assert!(entry.before_state.unwrap().contains("\"signed\""));
        assert!(entry.after_state.unwrap().contains("open → dismissed"));

        // Reopened, it is prepared and signed again over the current data.
        weekly::reopen(db, &s.bookkeeper, org, run, later)
            .await
            .unwrap();
        assert!(weekly::withdrawn(db, org).await.unwrap().is_empty());
        let reopened = weekly::get(db, org, run, later).await.unwrap();
        assert_eq!(reopened.status, RunStatus::Open);
        assert!(reopened.live_evidence && reopened.fingerprint.is_none());
        weekly::mark_ready(db, &s.bookkeeper, org, run, later)
            .await
            .unwrap();
        weekly::sign(db, &s.owner, org, run, "justified: re-checked", later)
            .await
            .unwrap();
        assert!(weekly::recheck(db, org, later).await.unwrap().is_empty());
        // A match that disappears withdraws it too.
        exec!(
            db,
            "DELETE FROM recon_matches WHERE match_key = $1",
            "EUR|one_to_one|M1|Purchase:1"
        );
        assert_eq!(weekly::recheck(db, org, later).await.unwrap(), [run]);
        let reason = weekly::get(db, org, run, later)
            .await
            .unwrap()
            .withdrawn_reason
            .unwrap();
        assert!(reason.contains("is gone"), "{reason}");
    }
}

#[tokio::test]
async fn the_csv_export_has_one_row_per_lane() {
    for backend in testing::backends() {
        let s = studio(testing::fresh(backend).await, "Studio Nord").await;
        let (db, org) = (&s.db, s.org);
        let run = weekly::ensure(db, org, wednesday()).await.unwrap();
        prepare(&s, &s.bookkeeper, run).await;
        weekly::reopen(db, &s.bookkeeper, org, run, wednesday())
            .await
            .unwrap();
        weekly::set_item(
            db,
            &s.bookkeeper,
            org,
            run,
            "exceptions",
            mark(true, "=SUM(A1), \"see\" queue".into()),
            wednesday(),
        )
        .await
        .unwrap();
        weekly::mark_ready(db, &s.bookkeeper, org, run, wednesday())
            .await
            .unwrap();
        let signed = weekly::sign(db, &s.owner, org, run, "Justified, see notes", wednesday())
            .await
            .unwrap();
        let csv = weekly::csv(&signed);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 7, "{csv}");
        assert!(lines[0].starts_with("week,run status,lane,what you do"));
        assert!(
            lines[1].starts_with("2026-W23,Signed off,Access health,"),
            "{}",
            lines[1]
        );
        assert!(
            lines[3].contains("\"'=SUM(A1), \"\"see\"\" queue\""),
            "{}",
            lines[3]
        );
        assert!(
            lines[3].contains("Unassigned active exceptions: 0 [ok]"),
            "{}",
            lines[3]
        );
        assert!(csv.contains("\"Justified, see notes\""));
        assert!(csv.contains(",ben,"), "done by and prepared by: {csv}");
    }
}

// ---- through a real sync ----

mod synced {
    use super::*;
    use control::mappings::{self, MappingDraft};
    use control::runs::{self, Enqueued, NewRun, Purpose, RunStatus as SyncStatus, Trigger};
    use control::secrets::Vault;
    use control::sync::{Connectors, Context};
    use control::{connect, weekly_run};
    use qbo::emulator::{AccountSeed, EmulatorConfig as QboConfig};
    use std::collections::BTreeMap;
    use wise::emulator::{EUR_BALANCE_ID, Emulator as WiseEmulator};

    const FROM: &str = "2024-01-01";
    const TO: &str = "2024-06-30";

    struct World {
        s: Studio,
        ctx: Context,
        _wise: WiseEmulator,
        qbo: qbo::emulator::Emulator,
        realm: String,
        eur: String,
        office: String,
        /// The EUR line left out of the books: reference, amount, day.
        missing: (String, rust_decimal::Decimal, NaiveDate),
    }

    async fn world(db: Db) -> World {
        let s = studio(db, "Studio Nord").await;
        let wise = WiseEmulator::start(wise::emulator::EmulatorConfig::default())
            .await
            .unwrap();
        let qbo = qbo::emulator::Emulator::start(QboConfig::default())
            .await
            .unwrap();
        let realm = qbo.state().config().default_realm.clone();
        let st = qbo.state();
        st.set_preferences(&realm, true, "EUR");
        let eur = st.add_account(&realm, AccountSeed::bank("Wise EUR", "EUR"));
        let fees = st.add_account(&realm, AccountSeed::expense("Bank Charges"));
        let office = st.add_account(&realm, AccountSeed::expense("Office"));
        let (from, to) = (d(FROM), d(TO));
        let mut missing = None;
        for e in &wise.ledger(EUR_BALANCE_ID).unwrap().entries {
            let day = e.date.date_naive();
            if day < from || day > to {
                continue;
            }
            // Leave the first card payment of May out of the books.
            if missing.is_none() && e.details_type == "CARD" && day >= d("2024-05-01") {
                missing = Some((e.reference_number.clone(), e.amount, day));
                continue;
            }
            let memo = e
                .payment_reference
                .clone()
                .unwrap_or(e.reference_number.clone());
            st.add_posting(&realm, &eur, &office, e.amount, day, &memo);
        }
        let missing = missing.expect("a card payment in May");
        // A client payment early in the same week, booked: the week covers a match too.
        let monday = weekly_run::Week::of(missing.2).start();
        let paid = wise
            .append_entry(
                EUR_BALANCE_ID,
                wise::emulator::ledger::Entry {
                    reference_number: "TRANSFER-955000001".into(),
                    date: monday.and_hms_opt(12, 0, 0).unwrap().and_utc(),
                    amount: rust_decimal::Decimal::new(42_000, 2),
                    fees: rust_decimal::Decimal::ZERO,
                    details_type: "DEPOSIT",
                    description: "Received money from Client 9 with reference INV-9001".into(),
                    counterparty: Some("Client 9".into()),
                    payment_reference: Some("INV-9001".into()),
                    running_balance: rust_decimal::Decimal::ZERO,
                },
            )
            .unwrap();
        st.add_posting(&realm, &eur, &office, paid.amount, monday, "INV-9001");
        let ctx = Context {
            db: s.db.clone(),
            vault: Vault::from_key(&[7u8; 32]).unwrap(),
            connectors: Connectors {
                wise_base_url: wise.base_url(),
                wise_retry: wise::RetryPolicy {
                    max_attempts: 2,
                    base_delay: std::time::Duration::from_millis(5),
                    max_delay: std::time::Duration::from_millis(20),
                    max_retry_after: std::time::Duration::from_secs(1),
                    request_timeout: std::time::Duration::from_secs(5),
                },
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
            worker: "test-worker".into(),
            lease: chrono::Duration::seconds(30),
        };
        let tokens = qbo.state().issue_tokens(&realm);
        connect::qbo(&ctx, &s.owner, s.org, tokens, Utc::now())
            .await
            .unwrap();
        connect::wise(
            &ctx,
            &s.owner,
            s.org,
            "personal-token",
            None,
            None,
            Utc::now(),
        )
        .await
        .unwrap();
        let m = mappings::propose(
            &s.db,
            &s.owner,
            s.org,
            MappingDraft {
                accounts: BTreeMap::from([("EUR".to_string(), eur.clone())]),
                fee_account_id: Some(fees),
            },
            Utc::now(),
        )
        .await
        .unwrap();
        let w = World {
            s,
            ctx,
            _wise: wise,
            qbo,
            realm,
            eur,
            office,
            missing,
        };
        w.run(Purpose::TestBatch, Some(m.id)).await;
        mappings::apply(&w.s.db, &w.s.owner, w.s.org, m.id, Utc::now())
            .await
            .unwrap();
        w
    }

    impl World {
        async fn run(&self, purpose: Purpose, mapping: Option<i64>) -> runs::Run {
            let queued = runs::enqueue(
                &self.s.db,
                NewRun {
                    organization_id: self.s.org,
                    purpose,
                    trigger: Trigger::Manual,
                    mapping_id: mapping,
                    window_from: d(FROM),
                    window_to: d(TO),
                    requested_by: self.s.owner.user_id,
                },
                Utc::now(),
            )
            .await
            .unwrap();
            let Enqueued::New(run) = queued else {
                panic!("a run is already active")
            };
            control::sync::drain(&self.ctx).await.unwrap();
            let run = runs::get(&self.s.db, self.s.org, run.id).await.unwrap();
            assert_eq!(run.status, SyncStatus::Succeeded, "{:?}", run.error);
            run
        }
    }

    #[tokio::test]
    async fn a_sync_that_changes_the_signed_week_withdraws_it_and_an_identical_one_does_not() {
        for backend in testing::backends() {
            let w = world(testing::fresh(backend).await).await;
            w.run(Purpose::Sync, None).await;
            let (db, org) = (&w.s.db, w.s.org);
            // The run of the week the unbooked card payment falls in, signed on its Sunday.
            let week = weekly_run::Week::of(w.missing.2);
            let sunday = week.end().and_hms_opt(18, 0, 0).unwrap().and_utc();
            let run = weekly::ensure(db, org, sunday).await.unwrap();
            let live = weekly::get(db, org, run, sunday).await.unwrap();
            assert!(
                fact(&live, "reconciliation", "Match rate")
                    .value
                    .ends_with('%'),
                "{:?}",
                live.items[1]
            );
            assert_ne!(fact(&live, "exceptions", "Active exceptions").value, "0");
            for lane in weekly_run::LANES {
                weekly::set_item(
                    db,
                    &w.s.bookkeeper,
                    org,
                    run,
                    lane.key,
                    mark(true, "done".into()),
                    sunday,
                )
                .await
                .unwrap();
            }
            weekly::mark_ready(db, &w.s.bookkeeper, org, run, sunday)
                .await
                .unwrap();
            weekly::sign(db, &w.s.owner, org, run, "justified: test studio", sunday)
                .await
                .unwrap();
            let snapshot = weekly::snapshot(db, org, run).await.unwrap().unwrap();
            assert!(
                snapshot.covered.iter().any(|c| c.what == "match"),
                "{snapshot:?}"
            );
            assert!(
                snapshot
                    .covered
                    .iter()
                    .any(|c| c.what == "exception" && c.key.contains(&w.missing.0)),
                "{:?}",
                snapshot.covered
            );

            // The same data again: the sign-off holds.
            w.run(Purpose::Sync, None).await;
            assert_eq!(
                weekly::get(db, org, run, sunday).await.unwrap().status,
                RunStatus::Signed
            );
            // A posting far outside the week changes nothing it covered.
            w.qbo.state().add_posting(
                &w.realm,
                &w.eur,
                &w.office,
                rust_decimal::Decimal::new(-4321, 2),
                d("2024-02-14"),
                "stray",
            );
            w.run(Purpose::Sync, None).await;
            assert_eq!(
                weekly::get(db, org, run, sunday).await.unwrap().status,
                RunStatus::Signed
            );

            // The bookkeeper books the missing card payment: the week's exception resolves,
            // a match appears, and the sync withdraws the sign-off by itself.
            w.qbo.state().add_posting(
                &w.realm,
                &w.eur,
                &w.office,
                w.missing.1,
                w.missing.2,
                &w.missing.0,
            );
            w.run(Purpose::Sync, None).await;
            let withdrawn = weekly::get(db, org, run, sunday).await.unwrap();
            assert_eq!(withdrawn.status, RunStatus::Withdrawn);
            let reason = withdrawn.withdrawn_reason.unwrap();
            assert!(reason.contains(&w.missing.0), "{reason}");
            assert!(reason.contains("open → resolved"), "{reason}");
            let log = actions(db, org).await;
            assert!(log.iter().any(|a| a == "weekly.withdraw"));
        }
    }
}
