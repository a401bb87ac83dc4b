//! The playbook's rollout controls on every backend: the seeded matrix and checklist (once per
//! organization, also for organizations older than the screens), matrix evidence written and
//! measured, preflight checks that follow the real connections, mapping and owners, the
//! go / no-go checkpoint they gate, and the pilot from its frozen window to its promotion.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use control::audit::Actor;
use control::catalog::{self, QboAccount, WiseBalance};
use control::connections::{self, NewConnection, Provider};
use control::findings;
use control::lines::{self, BankLine, BookEntry};
use control::mappings::{self, MappingDraft};
use control::members::NewMember;
use control::password::NewPassword;
use control::playbook::matrix::{self, Evidence, RowText};
use control::playbook::preflight::{self, ItemUpdate};
use control::playbook::{Decision, MatrixStatus, Measure, Posted, pilot, seed};
use control::runs::{self, NewRun, Purpose, Trigger};
use control::secrets::Vault;
use control::settings::{self, Settings};
use control::telemetry::{Cadence, LagPath, LagStats};
use control::{ControlError, Db, Email, Role, members, testing};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// Runs `sql` with `args` bound as i64 (for the few facts a test sets directly).
async fn exec(db: &Db, sql: &str, args: &[i64]) {
    match db {
        Db::Sqlite(p) => {
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(*a);
            }
            q.execute(p).await.unwrap();
        }
        Db::Postgres(p) => {
            let mut q = sqlx::query(sql);
            for a in args {
                q = q.bind(*a);
            }
            q.execute(p).await.unwrap();
        }
    }
}

async fn count(db: &Db, sql: &str, org: i64) -> i64 {
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(sql)
            .bind(org)
            .fetch_one(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(sql)
            .bind(org)
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

struct World {
    db: Db,
    org: i64,
    owner: Actor,
    owner_id: i64,
    bookkeeper: Actor,
    bookkeeper_id: i64,
    now: DateTime<Utc>,
}

async fn world(backend: control::db::Backend) -> World {
    let db = testing::fresh(backend).await;
    let now = Utc::now();
    let ann = members::provision(
        &db,
        &Actor::system("test"),
        "Studio Nord",
        NewMember {
            email: Email::parse("ann@studio.example").unwrap(),
            display_name: "Ann".into(),
            role: Role::Owner,
            password: Some(NewPassword::parse("correct horse battery").unwrap()),
        },
        now,
    )
    .await
    .unwrap();
    let owner = Actor::user(ann.user_id, "ann@studio.example");
    let bob = members::add(
        &db,
        &owner,
        ann.organization_id,
        NewMember {
            email: Email::parse("bob@books.example").unwrap(),
            display_name: "Bob".into(),
            role: Role::Bookkeeper,
            password: Some(NewPassword::parse("bookkeeping is fun").unwrap()),
        },
        now,
    )
    .await
    .unwrap();
    World {
        db,
        org: ann.organization_id,
        owner,
        owner_id: ann.user_id,
        bookkeeper: Actor::user(bob.user_id, "bob@books.example"),
        bookkeeper_id: bob.user_id,
        now,
    }
}

impl World {
    async fn actions(&self) -> Vec<String> {
        control::audit::recent(&self.db, self.org, 500)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect()
    }

    async fn last_audit(&self, action: &str) -> control::audit::AuditEntry {
        control::audit::recent(&self.db, self.org, 500)
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.action == action)
            .unwrap_or_else(|| panic!("no {action} in the audit log"))
    }

    async fn connect(&self, provider: Provider, facts: serde_json::Value) {
        connections::save(
            &self.db,
            &Vault::from_key(&[7u8; 32]).unwrap(),
            &self.owner,
            self.org,
            NewConnection {
                provider,
                auth_kind: if provider == Provider::Qbo {
                    "oauth"
                } else {
                    "personal_token"
                },
                external_id: "4620816365".into(),
                display_name: "Studio Nord Books".into(),
                secret: "{}".into(),
                expires_at: None,
                facts,
            },
            self.now,
        )
        .await
        .unwrap();
    }

    async fn catalog(&self) {
        catalog::replace_balances(
            &self.db,
            self.org,
            &[
                WiseBalance {
                    currency: "EUR".into(),
                    balance_id: 1,
                    profile_id: 9,
                },
                WiseBalance {
                    currency: "GBP".into(),
                    balance_id: 2,
                    profile_id: 9,
                },
            ],
            self.now,
        )
        .await
        .unwrap();
        let bank = |id: &str, name: &str, c: &str| QboAccount {
            account_id: id.into(),
            name: name.into(),
            account_type: "Bank".into(),
            currency: Some(c.into()),
            active: true,
        };
        catalog::replace_accounts(
            &self.db,
            self.org,
            &[
                bank("35", "Wise EUR", "EUR"),
                bank("36", "Wise GBP", "GBP"),
                QboAccount {
                    account_id: "80".into(),
                    name: "Bank Charges".into(),
                    account_type: "Expense".into(),
                    currency: None,
                    active: true,
                },
            ],
            self.now,
        )
        .await
        .unwrap();
    }

    /// A run of `purpose` that succeeded with `stats` (queued, claimed and finished through
    /// the runs API, as a worker would).
    async fn succeeded_run(
        &self,
        purpose: Purpose,
        mapping: Option<i64>,
        (from, to): (&str, &str),
        stats: serde_json::Value,
    ) -> i64 {
        let queued = runs::enqueue(
            &self.db,
            NewRun {
                organization_id: self.org,
                purpose,
                trigger: Trigger::Manual,
                mapping_id: mapping,
                window_from: d(from),
                window_to: d(to),
                requested_by: self.owner.user_id,
            },
            self.now,
        )
        .await
        .unwrap();
        let run = runs::claim(&self.db, "test", Duration::seconds(60), self.now)
            .await
            .unwrap()
            .expect("the queued run");
        assert_eq!(run.id, queued.run().id);
        let mut tx = self.db.begin().await.unwrap();
        runs::finish_in(&mut tx, run.id, "test", &stats, self.now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        run.id
    }

    /// Proposes a mapping of `currencies`, passes its test batch and applies it.
    async fn apply_mapping(&self, currencies: &[&str]) -> i64 {
        let ids = BTreeMap::from([("EUR", "35"), ("GBP", "36")]);
        let draft = MappingDraft {
            accounts: currencies
                .iter()
                .map(|c| (c.to_string(), ids[c].to_string()))
                .collect(),
            fee_account_id: Some("80".into()),
        };
        let m = mappings::propose(&self.db, &self.owner, self.org, draft, self.now)
            .await
            .unwrap();
        self.succeeded_run(
            Purpose::TestBatch,
            Some(m.id),
            ("2024-03-01", "2024-03-31"),
            serde_json::json!({}),
        )
        .await;
        mappings::apply(&self.db, &self.owner, self.org, m.id, self.now)
            .await
            .unwrap()
            .id
    }

    async fn name_owners(&self, escalation: i64) {
        settings::update(
            &self.db,
            &self.owner,
            self.org,
            Settings {
                setup_owner_id: Some(self.owner_id),
                exceptions_owner_id: Some(self.bookkeeper_id),
                escalation_owner_id: Some(escalation),
                ..Settings::default()
            },
            self.now,
        )
        .await
        .unwrap();
    }
}

#[tokio::test]
async fn the_playbook_is_seeded_once_per_organization() {
    for backend in testing::backends() {
        let w = world(backend).await;
        let rows = matrix::list(&w.db, w.org, w.now).await.unwrap();
        assert_eq!(
            rows.iter().map(|r| r.area.as_str()).collect::<Vec<_>>(),
            [
                "Sync direction",
                "Export objects",
                "Cadence",
                "Failure behavior",
                "Support and certification"
            ]
        );
        assert!(rows.iter().all(|r| r.status == MatrixStatus::Unverified));
        assert_eq!(rows[2].measure, Some(Measure::Cadence));
        assert_eq!(
            rows[2].verify_in_tenant,
            "Trigger-to-post timing in your environment"
        );
        let items = preflight::items(&w.db, w.org, w.now).await.unwrap();
        assert_eq!(items.len(), 10);
        assert_eq!(items[0].area, "Access control");
        assert_eq!(items[9].area, "Go or no-go checkpoint");
        assert!(items.iter().all(|i| !i.done && i.owner_user_id.is_none()));

        // Seeding again (on creation, then lazily) changes nothing.
        seed::ensure(&w.db, w.org, w.now).await.unwrap();
        let mut tx = w.db.begin().await.unwrap();
        assert!(!seed::seed_in(&mut tx, w.org, w.now).await.unwrap());
        tx.commit().await.unwrap();
        assert_eq!(matrix::list(&w.db, w.org, w.now).await.unwrap(), rows);
        assert_eq!(preflight::items(&w.db, w.org, w.now).await.unwrap(), items);
        // Nobody changed anything: seeding is not in the audit log.
        assert!(!w.actions().await.iter().any(|a| a.starts_with("matrix")));

        // Another organization gets its own copy; an edit in one stays there.
        let other = control::organizations::create_with_owner(
            &w.db,
            &w.owner,
            "Agency Süd",
            w.owner_id,
            w.now,
        )
        .await
        .unwrap();
        matrix::set_evidence(
            &w.db,
            &w.owner,
            w.org,
            rows[0].id,
            Evidence {
                status: MatrixStatus::Verified,
                note: "One-way, confirmed.".into(),
            },
            w.now,
        )
        .await
        .unwrap();
        let theirs = matrix::list(&w.db, other, w.now).await.unwrap();
        assert_eq!(theirs.len(), 5);
        assert!(theirs.iter().all(|r| !rows.iter().any(|m| m.id == r.id)));
        assert_eq!(theirs[0].status, MatrixStatus::Unverified);
        // A row of one organization cannot be reached through another.
        assert!(matches!(
            matrix::set_evidence(
                &w.db,
                &w.owner,
                other,
                rows[1].id,
                Evidence {
                    status: MatrixStatus::Failed,
                    note: String::new()
                },
                w.now
            )
            .await,
            Err(ControlError::NotFound(_))
        ));

        // An organization from before the playbook screens is seeded on its first read, once,
        // even when two requests race for it.
        exec(
            &w.db,
            "INSERT INTO organizations (id, name, created_at) VALUES ($1, 'Old Studio', '2024-01-01T00:00:00Z')",
            &[9001],
        )
        .await;
        let (a, b) = tokio::join!(
            matrix::list(&w.db, 9001, w.now),
            preflight::items(&w.db, 9001, w.now)
        );
        assert_eq!(a.unwrap().len(), 5);
        assert_eq!(b.unwrap().len(), 10);
        assert_eq!(
            count(
                &w.db,
                "SELECT COUNT(*) FROM matrix_rows WHERE organization_id = $1",
                9001
            )
            .await,
            5
        );
        assert_eq!(
            count(
                &w.db,
                "SELECT COUNT(*) FROM preflight_items WHERE organization_id = $1",
                9001
            )
            .await,
            10
        );
    }
}

#[tokio::test]
async fn matrix_rows_are_edited_and_evidenced_with_an_audit_trail() {
    for backend in testing::backends() {
        let w = world(backend).await;
        let rows = matrix::list(&w.db, w.org, w.now).await.unwrap();
        let (export, cadence, failure) = (rows[1].id, rows[2].id, rows[3].id);

        // The bookkeeper records evidence and a status.
        let row = matrix::set_evidence(
            &w.db,
            &w.bookkeeper,
            w.org,
            failure,
            Evidence {
                status: MatrixStatus::Failed,
                note: "  A delayed post went unnoticed for two days.  ".into(),
            },
            w.now,
        )
        .await
        .unwrap();
        assert_eq!(row.status, MatrixStatus::Failed);
        assert_eq!(
            row.evidence_note,
            "A delayed post went unnoticed for two days."
        );
        let entry = w.last_audit("matrix.evidence").await;
        assert_eq!(entry.actor, "bob@books.example");
        assert!(
            entry
                .before_state
                .unwrap()
                .contains("\"status\":\"unverified\"")
        );
        assert!(entry.after_state.unwrap().contains("\"status\":\"failed\""));

        // The owner rewrites a row and names its owner, who must be an active member.
        let text = RowText {
            area: "Failure behavior (Wise feed)".into(),
            known_now: rows[3].known_now.clone(),
            verify_in_tenant: "What happens when the feed stops".into(),
            why_it_matters: rows[3].why_it_matters.clone(),
            owner_user_id: Some(w.bookkeeper_id),
        };
        let row = matrix::edit(&w.db, &w.owner, w.org, failure, text.clone(), w.now)
            .await
            .unwrap();
        assert_eq!(row.owner_name.as_deref(), Some("Bob"));
        assert_eq!(row.status, MatrixStatus::Failed, "evidence is kept");
        let stranger = RowText {
            owner_user_id: Some(424242),
            ..text.clone()
        };
        assert!(matches!(
            matrix::edit(&w.db, &w.owner, w.org, failure, stranger, w.now).await,
            Err(ControlError::Invalid(_))
        ));
        let nameless = RowText {
            area: "  ".into(),
            ..text.clone()
        };
        assert!(matches!(
            matrix::edit(&w.db, &w.owner, w.org, failure, nameless, w.now).await,
            Err(ControlError::Invalid(_))
        ));

        // The owner adds a row; it comes last.
        let added = matrix::add(
            &w.db,
            &w.owner,
            w.org,
            RowText {
                area: "Wise fees".into(),
                known_now: "Wise's app books fees as Bank Charges".into(),
                verify_in_tenant: "Every fee has a Bank Charges posting".into(),
                why_it_matters: "Unbooked fees drift the balance".into(),
                owner_user_id: None,
            },
            Some(Measure::Cadence),
            w.now,
        )
        .await
        .unwrap();
        let all = matrix::list(&w.db, w.org, w.now).await.unwrap();
        assert_eq!(all.last().unwrap().id, added.id);
        assert_eq!(all.last().unwrap().seed_key, None);

        // Measurements: refused where none applies or nothing was measured yet.
        assert!(matches!(
            matrix::attach_measurement(&w.db, &w.bookkeeper, w.org, failure, w.now).await,
            Err(ControlError::Invalid(_))
        ));
        let none_yet = matrix::attach_measurement(&w.db, &w.bookkeeper, w.org, cadence, w.now)
            .await
            .unwrap_err();
        assert!(
            none_yet.to_string().contains("no sync has succeeded"),
            "{none_yet}"
        );
        assert!(matches!(
            matrix::attach_measurement(&w.db, &w.bookkeeper, w.org, export, w.now).await,
            Err(ControlError::Conflict(_))
        ));

        // After a sync that measured posting lag, the observed cadence is attached as written.
        let lag = vec![LagStats {
            path: LagPath::BankFeed,
            pairs: 412,
            median_secs: 93_600,
            p95_secs: 187_200,
            cadence: Cadence::Batch,
        }];
        let run = w
            .succeeded_run(
                Purpose::Sync,
                None,
                ("2024-01-01", "2024-06-30"),
                serde_json::json!({ "lag": lag }),
            )
            .await;
        let row = matrix::attach_measurement(&w.db, &w.bookkeeper, w.org, cadence, w.now)
            .await
            .unwrap();
        let text = row.measurement.unwrap();
        assert!(
            text.starts_with(
                "Bank feed: median 1 d 2 h, p95 2 d 4 h → batch (412 matched pairs). Rule: near real time"
            ),
            "{text}"
        );
        assert!(text.contains(&format!("sync #{run}")));
        assert!(row.measured_at.is_some());
        let entry = w.last_audit("matrix.attach").await;
        assert!(entry.before_state.unwrap().contains("\"measurement\":null"));
        assert!(entry.after_state.unwrap().contains("median 1 d 2 h"));

        // And the applied mapping, once there is one.
        w.catalog().await;
        let mapping = w.apply_mapping(&["EUR", "GBP"]).await;
        let row = matrix::attach_measurement(&w.db, &w.owner, w.org, export, w.now)
            .await
            .unwrap();
        let text = row.measurement.unwrap();
        assert!(
            text.starts_with(&format!(
                "Mapping #{mapping}, applied {}: Wise EUR → Wise EUR, Wise GBP → Wise GBP; fees → Bank Charges; test batch #",
                w.now.format("%Y-%m-%d")
            )),
            "{text}"
        );

        let actions = w.actions().await;
        for action in [
            "matrix.evidence",
            "matrix.edit",
            "matrix.add",
            "matrix.attach",
        ] {
            assert!(actions.iter().any(|a| a == action), "{action} missing");
        }
    }
}

#[tokio::test]
async fn preflight_checks_follow_the_data_and_gate_the_signed_checkpoint() {
    for backend in testing::backends() {
        let w = world(backend).await;
        let failing = |checks: &[control::playbook::Check]| {
            checks
                .iter()
                .filter(|c| !c.passed)
                .map(|c| c.key.clone())
                .collect::<Vec<_>>()
        };
        let checks = preflight::automatic_checks(&w.db, w.org).await.unwrap();
        assert_eq!(
            failing(&checks),
            [
                "qbo_connected",
                "wise_connected",
                "multicurrency",
                "balances_mapped",
                "owners_named"
            ]
        );
        // Refused, naming what fails; nothing is stored or audited.
        let refused = preflight::sign(&w.db, &w.owner, w.org, Decision::Go, "", w.now)
            .await
            .unwrap_err();
        let message = refused.to_string();
        assert!(matches!(refused, ControlError::Conflict(_)));
        assert!(
            message.contains("QuickBooks Online connected") && message.contains("Wise connected"),
            "{message}"
        );
        assert!(
            preflight::checkpoints(&w.db, w.org)
                .await
                .unwrap()
                .is_empty()
        );
        assert!(!w.actions().await.iter().any(|a| a == "preflight.sign"));

        // QuickBooks without multicurrency.
        w.connect(
            Provider::Qbo,
            serde_json::json!({"multicurrency": false, "home_currency": "EUR"}),
        )
        .await;
        let checks = preflight::automatic_checks(&w.db, w.org).await.unwrap();
        assert!(checks[0].passed);
        assert!(
            checks[2].detail.contains("off in QuickBooks Preferences"),
            "{:?}",
            checks[2]
        );
        w.connect(Provider::Wise, serde_json::json!({"balances": 2}))
            .await;
        w.connect(
            Provider::Qbo,
            serde_json::json!({"multicurrency": true, "home_currency": "EUR"}),
        )
        .await;
        w.catalog().await;
        let checks = preflight::automatic_checks(&w.db, w.org).await.unwrap();
        assert_eq!(failing(&checks), ["balances_mapped", "owners_named"]);
        assert!(checks[3].detail.contains("no mapping is applied"));

        // Only EUR mapped: GBP is named.
        w.apply_mapping(&["EUR"]).await;
        let checks = preflight::automatic_checks(&w.db, w.org).await.unwrap();
        assert_eq!(checks[3].detail, "not mapped: GBP");
        w.apply_mapping(&["EUR", "GBP"]).await;
        w.name_owners(w.bookkeeper_id).await;
        let checks = preflight::automatic_checks(&w.db, w.org).await.unwrap();
        assert!(failing(&checks).is_empty(), "{checks:?}");
        assert_eq!(
            checks[4].detail,
            "setup owner: Ann, exceptions owner: Bob, vendor-escalation owner: Bob"
        );

        // A disconnected Wise fails its check again, and blocks the checkpoint by name.
        connections::disconnect(&w.db, &w.owner, w.org, Provider::Wise, w.now)
            .await
            .unwrap();
        let refused = preflight::sign(&w.db, &w.owner, w.org, Decision::Go, "", w.now)
            .await
            .unwrap_err()
            .to_string();
        assert!(refused.ends_with("fail: Wise connected"), "{refused}");
        w.connect(Provider::Wise, serde_json::json!({})).await;

        // All pass: the owner signs, and the checks and open items are kept with it.
        let go = preflight::sign(
            &w.db,
            &w.owner,
            w.org,
            Decision::Go,
            "Access validated with the team.",
            w.now,
        )
        .await
        .unwrap();
        assert_eq!(go.decision, Decision::Go);
        assert_eq!(go.signed_by_name, "Ann");
        assert_eq!(go.checks.len(), 5);
        assert_eq!(go.open_items.len(), 10);
        let entry = w.last_audit("preflight.sign").await;
        assert_eq!(entry.before_state, None);
        assert!(entry.after_state.unwrap().contains("\"decision\":\"go\""));

        // Checklist items: owner, done (with who and when), note — audited.
        let items = preflight::items(&w.db, w.org, w.now).await.unwrap();
        let item = preflight::update_item(
            &w.db,
            &w.owner,
            w.org,
            items[3].id,
            ItemUpdate {
                owner_user_id: Some(w.owner_id),
                done: true,
                note: "Named on the Mapping screen.".into(),
            },
            w.now,
        )
        .await
        .unwrap();
        assert!(item.done);
        assert_eq!(item.done_by_name.as_deref(), Some("Ann"));
        assert_eq!(item.owner_name.as_deref(), Some("Ann"));
        let later = w.now + Duration::hours(1);
        let again = preflight::update_item(
            &w.db,
            &w.bookkeeper,
            w.org,
            items[3].id,
            ItemUpdate {
                owner_user_id: Some(w.owner_id),
                done: true,
                note: "Still named.".into(),
            },
            later,
        )
        .await
        .unwrap();
        assert_eq!(again.done_at, item.done_at, "done stays stamped once");
        assert_eq!(again.done_by_name.as_deref(), Some("Ann"));
        let no_go = preflight::sign(
            &w.db,
            &w.owner,
            w.org,
            Decision::NoGo,
            "Wait for the SSO baseline.",
            later,
        )
        .await
        .unwrap();
        assert_eq!(no_go.open_items.len(), 9);
        let history = preflight::checkpoints(&w.db, w.org).await.unwrap();
        assert_eq!(
            history.iter().map(|c| c.decision).collect::<Vec<_>>(),
            [Decision::NoGo, Decision::Go]
        );
        let entry = w.last_audit("preflight.sign").await;
        assert!(entry.before_state.unwrap().contains("\"decision\":\"go\""));
        let undone = preflight::update_item(
            &w.db,
            &w.owner,
            w.org,
            items[3].id,
            ItemUpdate {
                owner_user_id: None,
                done: false,
                note: String::new(),
            },
            later,
        )
        .await
        .unwrap();
        assert!(!undone.done && undone.done_at.is_none() && undone.done_by_name.is_none());
        assert!(w.actions().await.iter().any(|a| a == "preflight.item"));

        // A named owner who leaves fails the owners check.
        members::set_active(&w.db, &w.owner, w.org, w.bookkeeper_id, false, later)
            .await
            .unwrap();
        let checks = preflight::automatic_checks(&w.db, w.org).await.unwrap();
        assert!(!checks[4].passed);
        assert!(
            checks[4]
                .detail
                .contains("exceptions owner (Bob is no longer an active member)"),
            "{}",
            checks[4].detail
        );
    }
}

fn line(reference: &str, at: &str, amount: i64, kind: &str) -> BankLine {
    BankLine {
        currency: "EUR".into(),
        reference: reference.into(),
        booked_at: t(at),
        amount: Decimal::from(amount),
        fee: Decimal::ZERO,
        counterparty: format!("Supplier {reference}"),
        payment_reference: reference.into(),
        description: format!("Payment {reference}"),
        details_type: kind.into(),
    }
}

fn posting(id: &str, day: &str, amount: i64, memo: &str, created: &str) -> BookEntry {
    BookEntry {
        external_id: format!("Purchase:{id}"),
        kind: "Purchase".into(),
        txn_date: d(day),
        amount: Decimal::from(amount),
        currency: Some("EUR".into()),
        bank_account_id: "35".into(),
        doc_number: String::new(),
        payment_ref_num: String::new(),
        private_note: String::new(),
        memo: memo.into(),
        counterparty: format!("Supplier {memo}"),
        created_at: Some(t(created)),
        is_bank_charge: false,
    }
}

/// The id of the first line with `reference` booked on or after `day`.
async fn line_id(db: &Db, reference: &str, day: &str) -> i64 {
    const Q: &str = "SELECT id FROM bank_lines WHERE reference = $1 AND booked_at >= $2 \
        ORDER BY booked_at LIMIT 1";
    let from = t(&format!("{day}T00:00:00Z"));
    match db {
        Db::Sqlite(p) => sqlx::query_scalar(Q)
            .bind(reference)
            .bind(from)
            .fetch_one(p)
            .await
            .unwrap(),
        Db::Postgres(p) => sqlx::query_scalar(Q)
            .bind(reference)
            .bind(from)
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

#[tokio::test]
async fn the_pilot_goes_from_a_frozen_window_to_production() {
    for backend in testing::backends() {
        let w = world(backend).await;
        w.catalog().await;
        w.apply_mapping(&["EUR", "GBP"]).await;
        let today = d("2024-04-20");
        let late = w.now + Duration::minutes(5);

        // March's EUR activity: one line posted within 20 minutes, one two days later, one
        // never, a reference Wise used twice (both posted), and April outside the window.
        let bank = vec![
            line("T-1", "2024-03-05T10:00:00Z", -100, "TRANSFER"),
            line("T-2", "2024-03-06T09:00:00Z", -50, "TRANSFER"),
            line("T-3", "2024-03-08T12:00:00Z", -30, "CARD"),
            line("R-9", "2024-03-10T08:00:00Z", -70, "TRANSFER"),
            line("R-9", "2024-03-20T08:00:00Z", -40, "TRANSFER"),
            line("T-4", "2024-04-02T08:00:00Z", -25, "TRANSFER"),
        ];
        let books = vec![
            posting("1", "2024-03-05", -100, "T-1", "2024-03-05T10:20:00Z"),
            posting("2", "2024-03-06", -50, "T-2", "2024-03-08T12:00:00Z"),
            posting("3", "2024-03-10", -70, "R-9", "2024-03-10T08:30:00Z"),
            posting("4", "2024-03-20", -40, "R-9", "2024-03-20T08:10:00Z"),
            posting("5", "2024-04-02", -25, "T-4", "2024-04-02T08:05:00Z"),
        ];
        let run = w
            .succeeded_run(
                Purpose::Sync,
                None,
                ("2024-01-01", "2024-04-19"),
                serde_json::json!({}),
            )
            .await;
        let mut tx = w.db.begin().await.unwrap();
        lines::upsert_bank_lines(&mut tx, w.org, &bank, "api", None, Some(run), w.now)
            .await
            .unwrap();
        lines::extend_coverage(&mut tx, w.org, "EUR", d("2024-01-01"), d("2024-04-19"))
            .await
            .unwrap();
        let accounts: HashSet<String> = ["35".to_string()].into();
        lines::sync_book_entries(&mut tx, w.org, &books, &accounts, Some(run), w.now)
            .await
            .unwrap();
        let found = findings::reconcile(
            &lines::bank_lines_in(&mut tx, w.org).await.unwrap(),
            &lines::book_entries_in(&mut tx, w.org).await.unwrap(),
            &BTreeMap::from([("EUR".to_string(), "35".to_string())]),
            &lines::coverage_in(&mut tx, w.org).await.unwrap(),
            &Default::default(),
        );
        // Stored as a sync stores them; nobody owns the new exceptions yet.
        control::results::store(
            &mut tx,
            w.org,
            run,
            &found.matches,
            &found.exceptions,
            None,
            w.now,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        // Nothing before the window is frozen.
        let view = pilot::view(&w.db, w.org, today).await.unwrap();
        assert!(view.window.is_none());
        assert!(view.gates.iter().all(|g| !g.passed));
        assert!(matches!(
            pilot::add_sample(
                &w.db,
                &w.bookkeeper,
                w.org,
                line_id(&w.db, "T-1", "2024-03-01").await,
                w.now
            )
            .await,
            Err(ControlError::Conflict(_))
        ));
        assert!(matches!(
            pilot::set_window(
                &w.db,
                &w.owner,
                w.org,
                d("2024-03-31"),
                d("2024-03-01"),
                w.now
            )
            .await,
            Err(ControlError::Invalid(_))
        ));
        assert!(matches!(
            pilot::set_window(
                &w.db,
                &w.owner,
                w.org,
                d("2024-01-01"),
                d("2024-04-30"),
                w.now
            )
            .await,
            Err(ControlError::Invalid(_))
        ));
        pilot::set_window(
            &w.db,
            &w.owner,
            w.org,
            d("2024-03-01"),
            d("2024-03-31"),
            w.now,
        )
        .await
        .unwrap();
        let view = pilot::view(&w.db, w.org, today).await.unwrap();
        assert_eq!(view.lines_in_window, 5);
        assert_eq!(view.candidates.len(), 5);
        assert_eq!(view.window.as_ref().unwrap().from, d("2024-03-01"));

        // The bookkeeper picks the sample set from the window.
        assert!(matches!(
            pilot::add_sample(
                &w.db,
                &w.bookkeeper,
                w.org,
                line_id(&w.db, "T-4", "2024-04-01").await,
                w.now
            )
            .await,
            Err(ControlError::Invalid(_))
        ));
        for (reference, day) in [
            ("T-1", "2024-03-01"),
            ("T-2", "2024-03-01"),
            ("T-3", "2024-03-01"),
            ("R-9", "2024-03-15"),
        ] {
            pilot::add_sample(
                &w.db,
                &w.bookkeeper,
                w.org,
                line_id(&w.db, reference, day).await,
                w.now,
            )
            .await
            .unwrap();
        }
        assert!(matches!(
            pilot::add_sample(
                &w.db,
                &w.bookkeeper,
                w.org,
                line_id(&w.db, "T-1", "2024-03-01").await,
                w.now
            )
            .await,
            Err(ControlError::Conflict(_))
        ));

        // Expected against posted, with timing, per sample.
        let view = pilot::view(&w.db, w.org, today).await.unwrap();
        assert_eq!(view.candidates.len(), 1);
        let by_ref = |r: &str| view.samples.iter().find(|s| s.reference == r).unwrap();
        let t1 = by_ref("T-1");
        assert_eq!(t1.posted, Posted::Matched, "{t1:?}");
        assert!(t1.agrees);
        assert_eq!(t1.expected, "-100");
        assert_eq!(t1.posted_total.as_deref(), Some("-100"));
        assert_eq!(t1.postings[0].external_id, "Purchase:1");
        assert_eq!(t1.lag_secs, Some(20 * 60));
        assert_eq!(t1.verdict, Some(Cadence::NearRealTime));
        assert_eq!(t1.path, Some(LagPath::BankFeed));
        let t2 = by_ref("T-2");
        assert_eq!(t2.lag_secs, Some(51 * 3600));
        assert_eq!(t2.verdict, Some(Cadence::Batch));
        let t3 = by_ref("T-3");
        assert_eq!(t3.posted, Posted::NotPosted);
        assert!(!t3.agrees && t3.postings.is_empty() && t3.verdict.is_none());
        // The second R-9 of the balance is R-9#2, and its own posting is found.
        let r9 = by_ref("R-9#2");
        assert_eq!(r9.expected, "-40");
        assert_eq!(r9.postings[0].external_id, "Purchase:4", "{r9:?}");
        assert_eq!(r9.lag_secs, Some(600));
        assert_eq!(view.overall, Some(Cadence::Batch));
        assert_eq!(view.timing[0].pairs, 3);

        // Gates: T-3 never posted; its exception has no owner; the fallback is untested.
        let gate = |v: &control::playbook::Pilot, key: &str| {
            v.gates.iter().find(|g| g.key == key).unwrap().clone()
        };
        let clean = gate(&view, "clean_cycle");
        assert!(!clean.passed);
        assert_eq!(clean.detail, "1 of 4 samples not posted");
        let handled = gate(&view, "exceptions_handled");
        assert!(!handled.passed);
        assert!(handled.detail.contains("1 have no owner"), "{handled:?}");
        let refused = pilot::promote(&w.db, &w.owner, w.org, late)
            .await
            .unwrap_err()
            .to_string();
        assert!(
            refused.contains("A clean cycle (1 of 4 samples not posted)")
                && refused.contains("Exceptions handled")
                && refused.contains("Fallback tested"),
            "{refused}"
        );

        // A narrower window drops the samples outside it, in the same audited change.
        pilot::set_window(
            &w.db,
            &w.owner,
            w.org,
            d("2024-03-01"),
            d("2024-03-15"),
            w.now,
        )
        .await
        .unwrap();
        let entry = w.last_audit("pilot.window").await;
        assert!(
            entry.after_state.unwrap().contains("\"samples_removed\":1"),
            "R-9#2 left"
        );
        let view = pilot::view(&w.db, w.org, today).await.unwrap();
        assert_eq!(view.samples.len(), 3);

        // T-3 leaves the sample set; its exception gets an owner but is overdue, then on time.
        let t3_id = view
            .samples
            .iter()
            .find(|s| s.reference == "T-3")
            .unwrap()
            .id;
        pilot::remove_sample(&w.db, &w.bookkeeper, w.org, t3_id, w.now)
            .await
            .unwrap();
        exec(
            &w.db,
            "UPDATE exceptions SET owner_user_id = $1, due_on = '2024-04-01' WHERE organization_id = $2",
            &[w.bookkeeper_id, w.org],
        )
        .await;
        let view = pilot::view(&w.db, w.org, today).await.unwrap();
        assert!(gate(&view, "clean_cycle").passed, "{:?}", view.gates);
        let handled = gate(&view, "exceptions_handled");
        assert!(
            !handled.passed && handled.detail.contains("1 are overdue"),
            "{handled:?}"
        );
        // Due after today (the view's and the promotion's).
        exec(
            &w.db,
            "UPDATE exceptions SET due_on = '2100-01-01' WHERE organization_id = $1",
            &[w.org],
        )
        .await;

        // The fallback is recorded with how it was tested.
        assert!(matches!(
            pilot::record_fallback(&w.db, &w.owner, w.org, true, " ", w.now).await,
            Err(ControlError::Invalid(_))
        ));
        pilot::record_fallback(
            &w.db,
            &w.owner,
            w.org,
            true,
            "Uploaded the March CSV in two batches; previews matched.",
            w.now,
        )
        .await
        .unwrap();
        let view = pilot::view(&w.db, w.org, today).await.unwrap();
        assert!(view.gates.iter().all(|g| g.passed), "{:?}", view.gates);
        assert_eq!(view.fallback_by_name.as_deref(), Some("Ann"));

        // Promoted, audited, and closed from then on.
        let gates = pilot::promote(&w.db, &w.owner, w.org, late).await.unwrap();
        assert_eq!(gates.len(), 3);
        let view = pilot::view(&w.db, w.org, today).await.unwrap();
        assert!(view.promoted_at.is_some());
        assert_eq!(view.promoted_by_name.as_deref(), Some("Ann"));
        let entry = w.last_audit("pilot.promote").await;
        assert!(
            entry
                .after_state
                .unwrap()
                .contains("\"gate\":\"clean_cycle\"")
        );
        for closed in [
            pilot::promote(&w.db, &w.owner, w.org, late)
                .await
                .map(|_| ()),
            pilot::set_window(
                &w.db,
                &w.owner,
                w.org,
                d("2024-03-01"),
                d("2024-03-02"),
                late,
            )
            .await,
            pilot::record_fallback(&w.db, &w.owner, w.org, false, "", late).await,
        ] {
            assert!(
                matches!(&closed, Err(ControlError::Conflict(m)) if m.contains("closed")),
                "{closed:?}"
            );
        }
        let actions = w.actions().await;
        for action in [
            "pilot.window",
            "pilot.sample_add",
            "pilot.sample_remove",
            "pilot.fallback",
            "pilot.promote",
        ] {
            assert!(actions.iter().any(|a| a == action), "{action} missing");
        }
    }
}
