//! Connections, mapping with a test batch, sync runs and the exception lifecycle, end to end
//! through the real Wise and QBO clients against the emulators, on every backend.

use chrono::{Duration, NaiveDate, Utc};
use control::audit::Actor;
use control::connections::Provider;
use control::exception_status::ExceptionStatus;
use control::mappings::{self, MappingDraft};
use control::members::NewMember;
use control::password::NewPassword;
use control::runs::{self, Enqueued, NewRun, Purpose, RunStatus, Trigger};
use control::secrets::Vault;
use control::sync::{Connectors, Context};
use control::{Db, Email, Role, catalog, connect, connections, lines, members, testing};
use qbo::emulator::{AccountSeed, EmulatorConfig as QboConfig, FaultKind};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use wise::emulator::{BUSINESS_PROFILE_ID, EUR_BALANCE_ID, Emulator as WiseEmulator};

const FROM: &str = "2024-01-01";
const TO: &str = "2024-06-30";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

struct World {
    db: Db,
    ctx: Context,
    wise: WiseEmulator,
    qbo: qbo::emulator::Emulator,
    realm: String,
    org: i64,
    owner: Actor,
    eur: String,
    gbp: String,
    fees: String,
    /// The EUR line left out of the books, and its amount.
    missing: (String, Decimal),
}

async fn world(db: Db) -> World {
    let now = Utc::now();
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
        now,
    )
    .await
    .unwrap();
    let wise = WiseEmulator::start(wise::emulator::EmulatorConfig::default())
        .await
        .unwrap();
    let qbo = qbo::emulator::Emulator::start(QboConfig::default())
        .await
        .unwrap();
    let realm = qbo.state().config().default_realm.clone();
    let s = qbo.state();
    s.set_preferences(&realm, true, "EUR");
    let eur = s.add_account(&realm, AccountSeed::bank("Wise EUR", "EUR"));
    let gbp = s.add_account(&realm, AccountSeed::bank("Wise GBP", "GBP"));
    let fees = s.add_account(&realm, AccountSeed::expense("Bank Charges"));
    let office = s.add_account(&realm, AccountSeed::expense("Office"));
    let (from, to) = (d(FROM), d(TO));
    let mut missing = None;
    for (balance, account) in [
        (EUR_BALANCE_ID, &eur),
        (wise::emulator::GBP_BALANCE_ID, &gbp),
    ] {
        let ledger = wise.ledger(balance).unwrap();
        for e in &ledger.entries {
            let day = e.date.date_naive();
            if day < from || day > to {
                continue;
            }
            if balance == EUR_BALANCE_ID && missing.is_none() && e.details_type == "CARD" {
                missing = Some((e.reference_number.clone(), e.amount));
                continue;
            }
            let memo = e
                .payment_reference
                .clone()
                .unwrap_or(e.reference_number.clone());
            s.add_posting(&realm, account, &office, e.amount, day, &memo);
        }
    }
    let config = qbo::ClientConfig {
        retry: qbo::retry::RetryPolicy::fast(),
        ..qbo::ClientConfig::new(
            qbo.endpoints(),
            qbo::OAuthConfig::new(
                "emulator-client",
                qbo::Secret::new("emulator-secret"),
                "http://127.0.0.1:1/callback".parse().unwrap(),
            ),
        )
    };
    let ctx = Context {
        db: db.clone(),
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
            qbo: Some(config),
            wise_oauth: Some(wise::OAuthConfig {
                client_id: "clearline".into(),
                client_secret: "clearline-secret".into(),
                authorize_url: format!("{}/oauth/authorize/", wise.base_url()),
                token_url: format!("{}/oauth/token", wise.base_url()),
                redirect_uri: "http://127.0.0.1:1/connect/wise/callback".into(),
            }),
        },
        worker: "test-worker".into(),
        lease: Duration::seconds(30),
    };
    World {
        db,
        ctx,
        wise,
        qbo,
        realm,
        org: owner.organization_id,
        owner: Actor::user(owner.user_id, "ann@studio.example"),
        eur,
        gbp,
        fees,
        missing: missing.unwrap(),
    }
}

impl World {
    async fn connect_both(&self) {
        let tokens = self.qbo.state().issue_tokens(&self.realm);
        let c = connect::qbo(&self.ctx, &self.owner, self.org, tokens, Utc::now())
            .await
            .unwrap();
        assert_eq!(c.display_name, "Clearline Demo Studio");
        assert_eq!(c.facts["multicurrency"], true);
        let c = connect::wise(
            &self.ctx,
            &self.owner,
            self.org,
            "personal-token",
            None,
            None,
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(c.external_id, BUSINESS_PROFILE_ID.to_string());
    }

    async fn map_and_apply(&self) {
        let draft = MappingDraft {
            accounts: BTreeMap::from([
                ("EUR".to_string(), self.eur.clone()),
                ("GBP".to_string(), self.gbp.clone()),
            ]),
            fee_account_id: Some(self.fees.clone()),
        };
        let m = mappings::propose(&self.db, &self.owner, self.org, draft, Utc::now())
            .await
            .unwrap();
        let refused = mappings::apply(&self.db, &self.owner, self.org, m.id, Utc::now()).await;
        assert!(refused.unwrap_err().to_string().contains("test batch"));
        let run = self
            .enqueue(Purpose::TestBatch, Some(m.id), "2024-03-01", TO)
            .await;
        assert_eq!(control::sync::drain(&self.ctx).await.unwrap(), 1);
        let run = runs::get(&self.db, self.org, run).await.unwrap();
        assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
        assert!(run.stats["bank_lines"].as_u64().unwrap() > 10);
        // A test batch writes nothing to production.
        assert!(
            lines::bank_lines(&self.db, self.org)
                .await
                .unwrap()
                .is_empty()
        );
        let applied = mappings::apply(&self.db, &self.owner, self.org, m.id, Utc::now())
            .await
            .unwrap();
        assert_eq!(applied.status, "active");
    }

    async fn enqueue(&self, purpose: Purpose, mapping: Option<i64>, from: &str, to: &str) -> i64 {
        match runs::enqueue(
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
            Utc::now(),
        )
        .await
        .unwrap()
        {
            Enqueued::New(r) => r.id,
            Enqueued::AlreadyActive(r) => panic!("run {} already active", r.id),
        }
    }

    async fn sync(&self) -> runs::Run {
        let id = self.enqueue(Purpose::Sync, None, FROM, TO).await;
        control::sync::drain(&self.ctx).await.unwrap();
        runs::get(&self.db, self.org, id).await.unwrap()
    }

    async fn exception_statuses(&self) -> BTreeMap<String, String> {
        let rows: Vec<(String, String)> = match &self.db {
            Db::Sqlite(p) => sqlx::query_as(
                "SELECT exception_key, status FROM exceptions WHERE organization_id = $1",
            )
            .bind(self.org)
            .fetch_all(p)
            .await
            .unwrap(),
            Db::Postgres(p) => sqlx::query_as(
                "SELECT exception_key, status FROM exceptions WHERE organization_id = $1",
            )
            .bind(self.org)
            .fetch_all(p)
            .await
            .unwrap(),
        };
        rows.into_iter().collect()
    }
}

#[tokio::test]
async fn connect_map_test_batch_sync_and_lifecycle() {
    for backend in testing::backends() {
        let w = world(testing::fresh(backend).await).await;
        w.connect_both().await;
        assert_eq!(catalog::balances(&w.db, w.org).await.unwrap().len(), 2);
        // The secret is sealed at rest: the stored text is not the token.
        let stored: String = match &w.db {
            Db::Sqlite(p) => {
                sqlx::query_scalar("SELECT secret FROM connections WHERE provider = 'wise'")
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
            Db::Postgres(p) => {
                sqlx::query_scalar("SELECT secret FROM connections WHERE provider = 'wise'")
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
        };
        assert!(!stored.contains("personal-token"));

        // Production sync is refused until a mapping is active.
        let run = w.sync().await;
        assert_eq!(run.status, RunStatus::Failed);
        assert!(run.error.unwrap().contains("no active mapping"));

        w.map_and_apply().await;
        let first = w.sync().await;
        assert_eq!(first.status, RunStatus::Succeeded, "{:?}", first.error);
        assert_eq!(first.percent, 100);
        let fetched = first.stats["fetched_bank_lines"].as_u64().unwrap();
        assert!(fetched >= 50, "{}", first.stats);
        assert_eq!(first.stats["new_bank_lines"].as_u64().unwrap(), fetched);
        let exceptions = w.exception_statuses().await;
        let missing_key = format!("EUR|missing_in_books|{}|", w.missing.0);
        assert_eq!(
            exceptions.get(&missing_key).map(String::as_str),
            Some("open"),
            "{exceptions:?}"
        );
        assert!(first.stats["lag"].as_array().is_some_and(|a| !a.is_empty()));

        // The same window again adds nothing and changes nothing.
        let again = w.sync().await;
        assert_eq!(again.status, RunStatus::Succeeded);
        assert_eq!(again.stats["new_bank_lines"], 0);
        assert_eq!(again.stats["books"]["added"], 0);
        assert_eq!(again.stats["outcome"]["new_exceptions"], 0);
        assert_eq!(w.exception_statuses().await, exceptions);

        // The bookkeeper books the missing line: the exception resolves itself, audited.
        let day = d("2024-01-01");
        let ledger = w.wise.ledger(EUR_BALANCE_ID).unwrap();
        let entry = ledger
            .entries
            .iter()
            .find(|e| e.reference_number == w.missing.0)
            .unwrap();
        let office = w.fees.clone();
        let id = w.qbo.state().add_posting(
            &w.realm,
            &w.eur,
            &office,
            w.missing.1,
            entry.date.date_naive().max(day),
            &w.missing.0,
        );
        let fixed = w.sync().await;
        assert_eq!(
            fixed.stats["outcome"]["auto_resolved"], 1,
            "{}",
            fixed.stats
        );
        assert_eq!(w.exception_statuses().await[&missing_key], "resolved");
        let audit = control::audit::recent(&w.db, w.org, 50).await.unwrap();
        assert!(audit.iter().any(|a| a.action == "exception.auto_resolve"));

        // It comes back when the posting is deleted again: reopened.
        w.qbo.state().delete(&w.realm, "Purchase", &id).unwrap();
        let back = w.sync().await;
        assert_eq!(back.stats["outcome"]["reopened"], 1, "{}", back.stats);
        assert_eq!(back.stats["books"]["deleted"], 1);
        assert_eq!(w.exception_statuses().await[&missing_key], "open");

        // Statuses are the lifecycle's.
        assert!(ExceptionStatus::Open.is_active());
        let _ = Provider::Qbo;
    }
}

#[tokio::test]
async fn faults_leave_the_previous_state_and_the_next_run_completes() {
    for backend in testing::backends() {
        let w = world(testing::fresh(backend).await).await;
        w.connect_both().await;
        w.map_and_apply().await;
        let good = w.sync().await;
        assert_eq!(good.status, RunStatus::Succeeded);
        let before = w.exception_statuses().await;
        let lines_before = lines::bank_lines(&w.db, w.org).await.unwrap().len();

        // A 500 storm from QBO after Wise was fetched: nothing is written.
        w.qbo.state().inject(FaultKind::ServerError, 50);
        let failed = w.sync().await;
        assert_eq!(failed.status, RunStatus::Failed);
        let reason = failed.error.unwrap();
        assert!(reason.starts_with("QuickBooks:"), "{reason}");
        let conn = connections::get(&w.db, w.org, Provider::Qbo)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conn.status, "failing");
        assert!(conn.last_error.is_some());
        assert_eq!(w.exception_statuses().await, before);
        assert_eq!(
            lines::bank_lines(&w.db, w.org).await.unwrap().len(),
            lines_before
        );
        w.qbo.state().clear_faults();

        // A 429 storm.
        w.qbo.state().inject(FaultKind::Throttle, 50);
        let throttled = w.sync().await;
        assert_eq!(throttled.status, RunStatus::Failed);
        assert!(throttled.error.unwrap().starts_with("QuickBooks:"));
        w.qbo.state().clear_faults();

        // Wise refusing the token.
        w.wise.inject(wise::emulator::Fault::Unauthorized);
        let refused = w.sync().await;
        assert_eq!(refused.status, RunStatus::Failed);
        assert!(refused.error.unwrap().starts_with("Wise:"));

        // An expired QBO access token is refreshed and the new one stored.
        w.qbo.state().expire_access_tokens();
        let next = w.sync().await;
        assert_eq!(next.status, RunStatus::Succeeded, "{:?}", next.error);
        let conn = connections::get(&w.db, w.org, Provider::Qbo)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(conn.status, "connected");
        assert_eq!(w.exception_statuses().await, before);
    }
}

#[tokio::test]
async fn one_worker_wins_a_run_and_a_dead_worker_is_retried() {
    for backend in testing::backends() {
        let w = world(testing::fresh(backend).await).await;
        let run = w.enqueue(Purpose::Sync, None, FROM, TO).await;
        // A second request joins the first.
        let again = runs::enqueue(
            &w.db,
            NewRun {
                organization_id: w.org,
                purpose: Purpose::Sync,
                trigger: Trigger::Manual,
                mapping_id: None,
                window_from: d(FROM),
                window_to: d(TO),
                requested_by: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
        assert!(matches!(again, Enqueued::AlreadyActive(ref r) if r.id == run));
        let now = Utc::now();
        let (a, b) = tokio::join!(
            runs::claim(&w.db, "a", Duration::seconds(1), now),
            runs::claim(&w.db, "b", Duration::seconds(1), now)
        );
        let claimed: Vec<_> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
        assert_eq!(claimed.len(), 1);
        // The worker dies; after the lease the run is failed and a retry queued.
        assert!(runs::reap(&w.db, now).await.unwrap().is_empty());
        let reaped = runs::reap(&w.db, now + Duration::seconds(2)).await.unwrap();
        assert_eq!(reaped, vec![run]);
        let dead = runs::get(&w.db, w.org, run).await.unwrap();
        assert_eq!(dead.status, RunStatus::Failed);
        assert_eq!(dead.error.as_deref(), Some(runs::INTERRUPTED));
        let retry = runs::active(&w.db, w.org).await.unwrap().unwrap();
        assert_eq!(retry.trigger, Trigger::Retry);
        // The dead worker's late writes are refused.
        assert!(
            !runs::progress(
                &w.db,
                run,
                claimed[0].id.to_string().as_str(),
                "x",
                0,
                0,
                0,
                now
            )
            .await
            .unwrap()
        );
    }
}

#[tokio::test]
async fn a_feed_that_stops_posting_is_detected() {
    for backend in testing::backends() {
        let w = world(testing::fresh(backend).await).await;
        w.connect_both().await;
        w.map_and_apply().await;
        assert_eq!(w.sync().await.status, RunStatus::Succeeded);
        let accounts = mappings::active(&w.db, w.org)
            .await
            .unwrap()
            .unwrap()
            .accounts;
        // Every line of the window was posted (but one card line): no stall at the window end.
        let end = d(TO);
        let stalls = lines::feed_stalls(&w.db, w.org, &accounts, end, 3)
            .await
            .unwrap();
        assert!(stalls.is_empty(), "{stalls:?}");
        // The books stop at TO while the bank goes on: the next sync brings newer bank lines.
        let later = runs::enqueue(
            &w.db,
            NewRun {
                organization_id: w.org,
                purpose: Purpose::Sync,
                trigger: Trigger::Manual,
                mapping_id: None,
                window_from: d(FROM),
                window_to: d("2024-08-31"),
                requested_by: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
        control::sync::drain(&w.ctx).await.unwrap();
        assert_eq!(
            runs::get(&w.db, w.org, later.run().id)
                .await
                .unwrap()
                .status,
            RunStatus::Succeeded
        );
        let stalls = lines::feed_stalls(&w.db, w.org, &accounts, d("2024-09-01"), 3)
            .await
            .unwrap();
        assert_eq!(stalls.len(), 2, "{stalls:?}");
        assert!(stalls[0].days >= 3);
        assert!(
            stalls[0]
                .describe()
                .contains("no posting on the mapped QuickBooks account after")
        );
    }
}

#[tokio::test]
async fn schedule_webhooks_owners_and_disconnect() {
    use control::jobs;
    use control::settings::{self, SyncMode};
    use control::webhook_inbox::{self, InboxEvent, Source};
    for backend in testing::backends() {
        let w = world(testing::fresh(backend).await).await;
        w.connect_both().await;
        w.map_and_apply().await;
        // New exceptions go to the exceptions owner.
        let mut s = settings::get(&w.db, w.org).await.unwrap();
        s.exceptions_owner_id = w.owner.user_id;
        settings::update(&w.db, &w.owner, w.org, s.clone(), Utc::now())
            .await
            .unwrap();

        // Nothing synced yet: the schedule queues a run at once, and not twice.
        let now = Utc::now();
        let tick = jobs::tick(&w.db, now).await.unwrap();
        assert_eq!(tick.scheduled.len(), 1);
        assert!(jobs::tick(&w.db, now).await.unwrap().scheduled.is_empty());
        control::sync::drain(&w.ctx).await.unwrap();
        assert_eq!(w.sync().await.status, RunStatus::Succeeded);
        let owners: Vec<Option<i64>> = match &w.db {
            Db::Sqlite(p) => sqlx::query_scalar("SELECT owner_user_id FROM exceptions")
                .fetch_all(p)
                .await
                .unwrap(),
            Db::Postgres(p) => sqlx::query_scalar("SELECT owner_user_id FROM exceptions")
                .fetch_all(p)
                .await
                .unwrap(),
        };
        assert!(!owners.is_empty() && owners.iter().all(|o| *o == w.owner.user_id));
        // Not due again until the interval has passed.
        assert!(
            jobs::tick(&w.db, now + Duration::hours(23))
                .await
                .unwrap()
                .scheduled
                .is_empty()
        );
        assert_eq!(
            jobs::tick(&w.db, now + Duration::hours(25))
                .await
                .unwrap()
                .scheduled
                .len(),
            1
        );
        control::sync::drain(&w.ctx).await.unwrap();

        // A verified webhook syncs only an organization in near-continuous mode.
        let event = |key: &str| InboxEvent {
            source: Source::Wise,
            account_key: BUSINESS_PROFILE_ID.to_string(),
            event_type: "balances#update".into(),
            event_key: key.into(),
            occurred_at: Some(Utc::now()),
            payload: "{}".into(),
        };
        webhook_inbox::record(&w.db, &[event("e1")], Utc::now())
            .await
            .unwrap();
        let t = jobs::tick(&w.db, Utc::now()).await.unwrap();
        assert_eq!((t.webhooks_processed, t.from_webhooks.len()), (1, 0));
        s.sync_mode = SyncMode::Continuous;
        settings::update(&w.db, &w.owner, w.org, s, Utc::now())
            .await
            .unwrap();
        webhook_inbox::record(&w.db, &[event("e2")], Utc::now())
            .await
            .unwrap();
        let t = jobs::tick(&w.db, Utc::now()).await.unwrap();
        assert_eq!((t.webhooks_processed, t.from_webhooks.len()), (1, 1));
        control::sync::drain(&w.ctx).await.unwrap();
        let run = runs::get(&w.db, w.org, t.from_webhooks[0]).await.unwrap();
        assert_eq!(
            (run.trigger, run.status),
            (Trigger::Webhook, RunStatus::Succeeded)
        );

        // Disconnecting QBO revokes the grant and wipes the secret; a sync then says why.
        let before = w.qbo.state().requests().oauth;
        connect::disconnect(&w.ctx, &w.owner, w.org, Provider::Qbo, Utc::now())
            .await
            .unwrap();
        assert!(w.qbo.state().requests().oauth > before, "revoke was called");
        assert!(
            connections::secret(&w.db, &w.ctx.vault, w.org, Provider::Qbo)
                .await
                .unwrap()
                .is_none()
        );
        let run = w.sync().await;
        assert_eq!(run.error.as_deref(), Some("QuickBooks is not connected"));
        assert!(
            jobs::tick(&w.db, Utc::now() + Duration::days(3))
                .await
                .unwrap()
                .scheduled
                .is_empty()
        );
    }
}

#[tokio::test]
async fn wise_partner_oauth_connects_syncs_and_stores_rotated_tokens() {
    use control::sync::WiseSecret;
    for backend in testing::backends() {
        let w = world(testing::fresh(backend).await).await;
        w.connect_both().await;
        w.map_and_apply().await;
        // The consent page answers with a code (the emulated user consents at once).
        let (url, state) = w
            .ctx
            .connectors
            .wise_oauth
            .as_ref()
            .unwrap()
            .authorize_url()
            .unwrap();
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let res = http.get(url.as_str()).send().await.unwrap();
        let location = url::Url::parse(res.headers()["location"].to_str().unwrap()).unwrap();
        let q: BTreeMap<String, String> = location.query_pairs().into_owned().collect();
        assert_eq!(q["state"], state);
        let conn = connect::wise_oauth(
            &w.ctx,
            &w.owner,
            w.org,
            &q["code"],
            q["profileId"].parse().ok(),
            Utc::now(),
        )
        .await
        .unwrap();
        assert_eq!(conn.auth_kind, "oauth");
        // Make the access token look expired: the client refreshes, the new pair is stored.
        let stored = connections::secret(&w.db, &w.ctx.vault, w.org, Provider::Wise)
            .await
            .unwrap()
            .unwrap();
        let WiseSecret::OAuth {
            access_token,
            refresh_token,
            ..
        } = serde_json::from_str(&stored).unwrap()
        else {
            panic!("not an OAuth secret");
        };
        let expired = serde_json::to_string(&WiseSecret::OAuth {
            access_token: access_token.clone(),
            refresh_token,
            expires_at: Some(Utc::now() - Duration::hours(1)),
        })
        .unwrap();
        connections::store_secret(
            &w.db,
            &w.ctx.vault,
            w.org,
            Provider::Wise,
            &expired,
            None,
            Utc::now(),
        )
        .await
        .unwrap();
        let refreshes = w.wise.refresh_count();
        let run = w.sync().await;
        assert_eq!(run.status, RunStatus::Succeeded, "{:?}", run.error);
        assert!(w.wise.refresh_count() > refreshes);
        let mut rotated = false;
        for _ in 0..50 {
            let now = connections::secret(&w.db, &w.ctx.vault, w.org, Provider::Wise)
                .await
                .unwrap()
                .unwrap();
            if let WiseSecret::OAuth {
                access_token: fresh,
                ..
            } = serde_json::from_str(&now).unwrap()
                && fresh != access_token
            {
                rotated = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(rotated, "the refreshed tokens were stored");
    }
}
