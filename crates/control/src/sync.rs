//! One run, end to end: pull Wise statements and QBO postings for the window through the real
//! clients, keep the raw payloads, upsert the normalized lines, reconcile everything stored and
//! store matches and exceptions — or, for a test batch, reconcile the window under the pending
//! mapping and keep the result on the run only.
//!
//! Nothing is written until everything is fetched, and all writes (payloads, lines, results and
//! the run's success) commit in one transaction: a 429 storm, a 500, an expired token or a
//! killed process leaves the previous consistent state and a failed run with a plain reason.

use crate::audit::{self, Actor, Change};
use crate::catalog::{self, QboAccount, WiseBalance};
use crate::connections::{self, Provider};
use crate::db::Db;
use crate::error::ControlError;
use crate::findings::{self, Findings};
use crate::lifecycle;
use crate::lines::{self, BankLine, BookEntry};
use crate::mappings::{self, Mapping};
use crate::runs::{self, Purpose, Run};
use crate::secrets::Vault;
use crate::settings;
use crate::telemetry;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

/// Where the deployment's connectors point (the real services, or the built-in emulators).
#[derive(Clone, Debug)]
pub struct Connectors {
    pub wise_base_url: String,
    pub wise_retry: wise::RetryPolicy,
    /// `None` when the deployment has no Intuit app configured.
    pub qbo: Option<qbo::ClientConfig>,
    /// Wise partner OAuth, where the deployment is registered with Wise.
    pub wise_oauth: Option<wise::OAuthConfig>,
}

/// What a Wise connection keeps sealed.
#[derive(Clone, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WiseSecret {
    Personal {
        token: String,
        #[serde(default)]
        sca_key_pem: Option<String>,
    },
    /// Partner OAuth: refreshed (and rotated) by the client; the newest pair is stored back.
    #[serde(rename = "oauth")]
    OAuth {
        access_token: String,
        refresh_token: Option<String>,
        expires_at: Option<DateTime<Utc>>,
    },
}

impl WiseSecret {
    pub fn from_tokens(t: &wise::TokenSet) -> WiseSecret {
        WiseSecret::OAuth {
            access_token: t.access_token.expose().to_owned(),
            refresh_token: t.refresh_token.as_ref().map(|r| r.expose().to_owned()),
            expires_at: t.expires_at,
        }
    }
}

/// Everything a worker needs.
#[derive(Clone)]
pub struct Context {
    pub db: Db,
    pub vault: Vault,
    pub connectors: Connectors,
    /// This worker's lease name.
    pub worker: String,
    /// How long a claim lasts without renewal; a run whose worker died is retried after it.
    pub lease: Duration,
}

/// Why a run failed, in words for the person reading the run list.
#[derive(Debug)]
pub struct Failure {
    pub provider: Option<Provider>,
    pub message: String,
}

impl From<ControlError> for Failure {
    fn from(e: ControlError) -> Self {
        Failure {
            provider: None,
            message: e.to_string(),
        }
    }
}

fn wise_failure(e: impl std::fmt::Display) -> Failure {
    Failure {
        provider: Some(Provider::Wise),
        message: format!("Wise: {e}"),
    }
}

fn qbo_failure(e: impl std::fmt::Display) -> Failure {
    Failure {
        provider: Some(Provider::Qbo),
        message: format!("QuickBooks: {e}"),
    }
}

/// Claims and runs queued runs until none is left; returns how many ran.
pub async fn drain(ctx: &Context) -> crate::Result<usize> {
    let mut n = 0;
    while let Some(run) = runs::claim(&ctx.db, &ctx.worker, ctx.lease, Utc::now()).await? {
        execute(ctx, run).await;
        n += 1;
    }
    Ok(n)
}

/// Runs one claimed run to success or a recorded failure.
pub async fn execute(ctx: &Context, run: Run) {
    let heartbeat = spawn_heartbeat(ctx, run.id);
    let started = Instant::now();
    let result = attempt(ctx, &run, started).await;
    heartbeat.abort();
    let now = Utc::now();
    match result {
        Ok(()) => {
            tracing::info!(
                run = run.id,
                organization = run.organization_id,
                ms = started.elapsed().as_millis() as u64,
                "run succeeded"
            );
        }
        Err(failure) => {
            tracing::warn!(run = run.id, organization = run.organization_id, reason = %failure.message, "run failed");
            let stats = json!({"duration_ms": started.elapsed().as_millis() as u64});
            if let Err(e) =
                runs::fail(&ctx.db, run.id, &ctx.worker, &failure.message, &stats, now).await
            {
                tracing::error!(run = run.id, error = %e, "could not record the failed run");
            }
            if let Some(p) = failure.provider {
                let _ = connections::mark_failure(
                    &ctx.db,
                    run.organization_id,
                    p,
                    &failure.message,
                    now,
                )
                .await;
            }
        }
    }
}

fn spawn_heartbeat(ctx: &Context, run_id: i64) -> tokio::task::JoinHandle<()> {
    let db = ctx.db.clone();
    let worker = ctx.worker.clone();
    let lease = ctx.lease;
    let every = (lease / 3)
        .to_std()
        .unwrap_or(std::time::Duration::from_secs(5));
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let _ = runs::renew(&db, run_id, &worker, Utc::now() + lease).await;
        }
    })
}

struct Progress<'a> {
    ctx: &'a Context,
    run_id: i64,
}

impl Progress<'_> {
    async fn set(&self, step: &str, done: i64, total: i64, percent: i32) -> Result<(), Failure> {
        let live = runs::progress(
            &self.ctx.db,
            self.run_id,
            &self.ctx.worker,
            step,
            done,
            total,
            percent,
            Utc::now() + self.ctx.lease,
        )
        .await?;
        if live {
            Ok(())
        } else {
            Err(Failure {
                provider: None,
                message: "the run was taken over after its lease expired".into(),
            })
        }
    }
}

/// What was fetched for a run.
struct Fetched {
    /// (currency, raw statement JSON, its lines, its balance proof)
    statements: Vec<(
        String,
        String,
        Vec<BankLine>,
        Option<crate::reconciliation::Proof>,
    )>,
    qbo_pages: Vec<String>,
    books: Vec<BookEntry>,
    balances: Vec<WiseBalance>,
    accounts: Vec<QboAccount>,
    wise_ms: u64,
    qbo_ms: u64,
}

async fn attempt(ctx: &Context, run: &Run, started: Instant) -> Result<(), Failure> {
    let progress = Progress {
        ctx,
        run_id: run.id,
    };
    let org = run.organization_id;
    let mapping = match run.purpose {
        Purpose::Sync => mappings::active(&ctx.db, org)
            .await?
            .ok_or_else(|| Failure {
                provider: None,
                message:
                    "no active mapping: map each Wise balance to a QuickBooks bank account and \
                      pass a test batch first"
                        .into(),
            })?,
        Purpose::TestBatch => {
            let id = run.mapping_id.ok_or_else(|| Failure {
                provider: None,
                message: "a test batch needs a pending mapping".into(),
            })?;
            mappings::get(&ctx.db, org, id).await?
        }
    };
    let fetched = fetch(ctx, run, &mapping, &progress).await?;
    match run.purpose {
        Purpose::TestBatch => finish_test_batch(ctx, run, &mapping, fetched, started).await,
        Purpose::Sync => {
            progress.set("Saving and reconciling", 0, 0, 75).await?;
            finish_sync(ctx, run, &mapping, fetched, started).await
        }
    }
}

fn window_bounds(run: &Run) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = run.window_from.and_time(NaiveTime::MIN).and_utc();
    let end = (run.window_to + Duration::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc()
        - Duration::milliseconds(1);
    (start, end)
}

async fn fetch(
    ctx: &Context,
    run: &Run,
    mapping: &Mapping,
    progress: &Progress<'_>,
) -> Result<Fetched, Failure> {
    let org = run.organization_id;
    let t = Instant::now();
    progress
        .set(
            "Fetching Wise statements",
            0,
            mapping.accounts.len() as i64,
            5,
        )
        .await?;
    let (wise, profile_id) = wise_client(ctx, org).await?;
    let balances: Vec<WiseBalance> = wise
        .balances(profile_id)
        .await
        .map_err(wise_failure)?
        .into_iter()
        .map(|b| WiseBalance {
            currency: b.currency,
            balance_id: b.id,
            profile_id,
        })
        .collect();
    let (start, end) = window_bounds(run);
    let mut statements = Vec::new();
    let n = mapping.accounts.len();
    for (i, currency) in mapping.accounts.keys().enumerate() {
        let balance = balances
            .iter()
            .find(|b| &b.currency == currency)
            .ok_or_else(|| Failure {
                provider: Some(Provider::Wise),
                message: format!(
                    "the Wise profile has no {currency} balance any more; update the mapping"
                ),
            })?;
        for (s, e) in wise::client::statement_windows(start, end) {
            let bytes = wise
                .statement_json(profile_id, balance.balance_id, currency, s, e)
                .await
                .map_err(wise_failure)?;
            let statement = wise::parse_statement(&bytes).map_err(|e| Failure {
                provider: Some(Provider::Wise),
                message: format!("Wise sent a {currency} statement Clearline cannot read: {e}"),
            })?;
            let lines = statement
                .lines
                .iter()
                .map(BankLine::from_statement)
                .collect();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let proof = crate::reconciliation::Proof::of(&statement);
            statements.push((currency.clone(), text, lines, proof));
        }
        progress
            .set(
                "Fetching Wise statements",
                (i + 1) as i64,
                n as i64,
                5 + (35 * (i + 1) / n.max(1)) as i32,
            )
            .await?;
    }
    let wise_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    progress
        .set("Fetching QuickBooks postings", 0, 0, 40)
        .await?;
    let company = qbo_company(ctx, org).await?;
    let accounts: Vec<QboAccount> = company
        .accounts(true)
        .await
        .map_err(qbo_failure)?
        .into_iter()
        .map(|a| QboAccount {
            account_id: a.id.clone(),
            name: a.name.clone().unwrap_or_default(),
            account_type: a.account_type.clone().unwrap_or_default(),
            currency: a.currency_ref.as_ref().map(|c| c.value.clone()),
            active: a.active.unwrap_or(true),
        })
        .collect();
    let (response, qbo_pages) = company
        .bank_transactions_raw(None)
        .await
        .map_err(qbo_failure)?;
    let selection = qbo::postings::AccountSelection {
        bank_account_ids: mapping.accounts.values().cloned().collect(),
        fee_account_ids: mapping.fee_account_id.iter().cloned().collect(),
    };
    let books: Vec<BookEntry> = qbo::postings::bank_postings(&response, &selection)
        .map_err(|e| qbo_failure(format!("a posting Clearline cannot read: {e}")))?
        .into_iter()
        .map(BookEntry::from_posting)
        .collect();
    progress
        .set(
            "Fetching QuickBooks postings",
            books.len() as i64,
            books.len() as i64,
            70,
        )
        .await?;
    Ok(Fetched {
        statements,
        qbo_pages,
        books,
        balances,
        accounts,
        wise_ms,
        qbo_ms: t.elapsed().as_millis() as u64,
    })
}

async fn wise_client(ctx: &Context, org: i64) -> Result<(wise::WiseClient, i64), Failure> {
    let not_connected = || Failure {
        provider: None,
        message: "Wise is not connected".into(),
    };
    let conn = connections::get(&ctx.db, org, Provider::Wise)
        .await?
        .filter(connections::Connection::is_live)
        .ok_or_else(not_connected)?;
    let secret = connections::secret(&ctx.db, &ctx.vault, org, Provider::Wise)
        .await?
        .ok_or_else(not_connected)?;
    let secret: WiseSecret = serde_json::from_str(&secret)
        .map_err(|_| wise_failure("the stored credentials are unreadable; connect Wise again"))?;
    let profile_id: i64 = conn
        .external_id
        .parse()
        .map_err(|_| wise_failure("the stored profile id is not a number; connect Wise again"))?;
    let builder = match secret {
        WiseSecret::Personal { token, sca_key_pem } => {
            let mut builder = wise::WiseClient::builder(
                ctx.connectors.wise_base_url.clone(),
                wise::Auth::Personal(token.into()),
            );
            if let Some(pem) = sca_key_pem {
                let key = wise::PrivateKey::from_pem(&pem).map_err(wise_failure)?;
                builder = builder.sca_key(key);
            }
            builder
        }
        WiseSecret::OAuth {
            access_token,
            refresh_token,
            expires_at,
        } => {
            let config = ctx.connectors.wise_oauth.clone().ok_or_else(|| {
                wise_failure("partner OAuth is not configured on this server any more")
            })?;
            let tokens = wise::TokenSet {
                access_token: access_token.into(),
                refresh_token: refresh_token.map(Into::into),
                expires_at,
            };
            let session =
                wise::OAuthSession::from_tokens(config, tokens, Some(persist_wise(ctx, org)));
            wise::WiseClient::builder(
                ctx.connectors.wise_base_url.clone(),
                wise::Auth::OAuth(std::sync::Arc::new(session)),
            )
        }
    };
    let builder = builder.retry(ctx.connectors.wise_retry.clone());
    Ok((builder.build().map_err(wise_failure)?, profile_id))
}

/// Stores every rotated Wise token pair of `org`, sealed (the refresh runs under the client's
/// lock; storing happens right after, on the runtime).
fn persist_wise(ctx: &Context, org: i64) -> wise::PersistTokens {
    let db = ctx.db.clone();
    let vault = ctx.vault.clone();
    std::sync::Arc::new(move |tokens: &wise::TokenSet| {
        let Ok(text) = serde_json::to_string(&WiseSecret::from_tokens(tokens)) else {
            return;
        };
        let (db, vault) = (db.clone(), vault.clone());
        tokio::spawn(async move {
            if let Err(e) =
                connections::store_secret(&db, &vault, org, Provider::Wise, &text, None, Utc::now())
                    .await
            {
                tracing::error!(organization = org, error = %e, "could not store rotated Wise tokens");
            }
        });
    })
}

/// The QBO client of a deployment, persisting every rotated token of `org` sealed.
pub fn qbo_client(ctx: &Context, org: i64) -> Result<qbo::QboClient, Failure> {
    let config = ctx.connectors.qbo.clone().ok_or_else(|| Failure {
        provider: Some(Provider::Qbo),
        message: "QuickBooks is not configured on this server".into(),
    })?;
    let db = ctx.db.clone();
    let vault = ctx.vault.clone();
    let sink = qbo::token_sink(move |tokens: qbo::Tokens| {
        let db = db.clone();
        let vault = vault.clone();
        async move {
            let text = serde_json::to_string(&tokens).map_err(|e| e.to_string())?;
            connections::store_secret(
                &db,
                &vault,
                org,
                Provider::Qbo,
                &text,
                Some(tokens.refresh_deadline()),
                Utc::now(),
            )
            .await
            .map_err(|e| e.to_string())
        }
    });
    qbo::QboClient::new(config, sink).map_err(qbo_failure)
}

pub async fn qbo_company(ctx: &Context, org: i64) -> Result<qbo::Company, Failure> {
    let not_connected = || Failure {
        provider: None,
        message: "QuickBooks is not connected".into(),
    };
    let secret = connections::secret(&ctx.db, &ctx.vault, org, Provider::Qbo)
        .await?
        .ok_or_else(not_connected)?;
    let tokens: qbo::Tokens = serde_json::from_str(&secret).map_err(|_| {
        qbo_failure("the stored credentials are unreadable; connect QuickBooks again")
    })?;
    Ok(qbo_client(ctx, org)?.company(tokens))
}

fn summary(f: &Findings) -> serde_json::Value {
    json!({
        "bank_lines": f.bank_lines,
        "book_entries": f.book_entries,
        "matched_bank_lines": f.matched_bank_lines,
        "match_percent": f.match_percent(),
        "matches": f.matches.len(),
        "suggested": f.suggested,
        "exceptions": f.exceptions.len(),
        "exceptions_by_kind": f.by_kind,
    })
}

async fn finish_test_batch(
    ctx: &Context,
    run: &Run,
    mapping: &Mapping,
    fetched: Fetched,
    started: Instant,
) -> Result<(), Failure> {
    let lines: Vec<BankLine> = fetched
        .statements
        .into_iter()
        .flat_map(|(_, _, l, _)| l)
        .collect::<Vec<_>>();
    let mut seen = HashSet::new();
    let lines: Vec<BankLine> = lines
        .into_iter()
        .filter(|l| seen.insert(l.identity()))
        .collect();
    let periods: BTreeMap<String, _> = mapping
        .accounts
        .keys()
        .map(|c| (c.clone(), (run.window_from, run.window_to)))
        .collect();
    let found = findings::reconcile(
        &lines,
        &fetched.books,
        &mapping.accounts,
        &periods,
        &Default::default(),
    );
    let sample: Vec<_> = found
        .exceptions
        .iter()
        .take(25)
        .map(|e| json!({"kind": e.kind, "currency": e.currency, "difference": e.difference.to_string(), "reason": e.reason, "bank": e.bank_ids, "books": e.book_ids}))
        .collect();
    let mut stats = summary(&found);
    stats["sample_exceptions"] = json!(sample);
    stats["duration_ms"] = json!(started.elapsed().as_millis() as u64);
    let now = Utc::now();
    let db = &ctx.db;
    catalog::replace_balances(db, run.organization_id, &fetched.balances, now).await?;
    catalog::replace_accounts(db, run.organization_id, &fetched.accounts, now).await?;
    let mut tx = db.begin().await?;
    runs::finish_in(&mut tx, run.id, &ctx.worker, &stats, now).await?;
    tx.commit().await?;
    mark_healthy(ctx, run.organization_id, now).await;
    Ok(())
}

async fn mark_healthy(ctx: &Context, org: i64, now: DateTime<Utc>) {
    for p in [Provider::Wise, Provider::Qbo] {
        let _ = connections::mark_success(&ctx.db, org, p, now).await;
    }
}

async fn finish_sync(
    ctx: &Context,
    run: &Run,
    mapping: &Mapping,
    fetched: Fetched,
    started: Instant,
) -> Result<(), Failure> {
    let org = run.organization_id;
    let db = &ctx.db;
    let now = Utc::now();
    let t = Instant::now();
    catalog::replace_balances(db, org, &fetched.balances, now).await?;
    catalog::replace_accounts(db, org, &fetched.accounts, now).await?;
    let mut tx = db.begin().await?;
    let mut fetched_lines = 0usize;
    let mut new_lines = 0u64;
    for (currency, text, statement_lines, proof) in &fetched.statements {
        if let Some(proof) = proof {
            crate::reconciliation::record_proof_in(&mut tx, org, proof, Some(run.id), now).await?;
        }
        let payload =
            lines::keep_payload(&mut tx, org, "wise_statement", text, Some(run.id), now).await?;
        fetched_lines += statement_lines.len();
        new_lines += lines::upsert_bank_lines(
            &mut tx,
            org,
            statement_lines,
            "api",
            Some(payload),
            Some(run.id),
            now,
        )
        .await?;
        lines::extend_coverage(&mut tx, org, currency, run.window_from, run.window_to).await?;
    }
    for page in &fetched.qbo_pages {
        lines::keep_payload(&mut tx, org, "qbo_query", page, Some(run.id), now).await?;
    }
    let accounts: HashSet<String> = mapping.accounts.values().cloned().collect();
    let book_changes =
        lines::sync_book_entries(&mut tx, org, &fetched.books, &accounts, Some(run.id), now)
            .await?;
    let save_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    let all_lines = lines::bank_lines_in(&mut tx, org).await?;
    let all_books = lines::book_entries_in(&mut tx, org).await?;
    let periods = lines::coverage_in(&mut tx, org).await?;
    let decisions = crate::reconciliation::decisions_in(&mut tx, org).await?;
    let found = findings::reconcile(
        &all_lines,
        &all_books,
        &mapping.accounts,
        &periods,
        &decisions,
    );
    let reconcile_ms = t.elapsed().as_millis() as u64;

    let t = Instant::now();
    let org_settings = settings::get_in(&mut tx, org).await?;
    let outcome = crate::results::store(
        &mut tx,
        org,
        run.id,
        &found.matches,
        &found.exceptions,
        org_settings.exceptions_owner_id,
        now,
    )
    .await?;
    let lags: Vec<(telemetry::LagPath, i64)> = found
        .matches
        .iter()
        .filter_map(|m| m.lag_seconds.map(|l| (m.path, l)))
        .collect();
    let spike = lifecycle::is_spike(
        outcome.new_exceptions,
        fetched_lines,
        org_settings.spike_percent.max(1) as u32,
    ) && run.trigger != runs::Trigger::Setup;
    let mut stats = summary(&found);
    stats["fetched_bank_lines"] = json!(fetched_lines);
    stats["new_bank_lines"] = json!(new_lines);
    stats["books"] = json!(book_changes);
    stats["outcome"] = json!(outcome);
    stats["spike"] = json!(spike);
    stats["lag"] = json!(telemetry::lag_stats(&lags));
    stats["lag_histogram"] = json!(telemetry::lag_histogram(lags.iter().map(|l| l.1)));
    stats["durations_ms"] = json!({
        "wise": fetched.wise_ms, "qbo": fetched.qbo_ms, "save": save_ms,
        "reconcile": reconcile_ms, "results": t.elapsed().as_millis() as u64,
        "total": started.elapsed().as_millis() as u64,
    });
    audit::record(
        &mut tx,
        &Actor::system("sync"),
        Change {
            organization_id: Some(org),
            action: "sync.run",
            subject: format!("run:{}", run.id),
            before: None,
            after: Some(
                json!({"new_bank_lines": new_lines, "books": book_changes, "outcome": outcome}),
            ),
        },
        now,
    )
    .await?;
    runs::finish_in(&mut tx, run.id, &ctx.worker, &stats, Utc::now()).await?;
    tx.commit().await?;
    mark_healthy(ctx, org, Utc::now()).await;
    crate::weekly::recheck_after_sync(db, org).await;
    Ok(())
}
