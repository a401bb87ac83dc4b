//! Connections to QBO and Wise, the mapping with its test batch, the three owners, and sync
//! runs ("Sync now" and the live progress).

use crate::error::AppError;
use crate::model::{RunView, SyncView};
use leptos::prelude::*;
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
mod convert {
    use crate::model::{AccountView, ConnectionView, LagView, MappingView, RunView};
    use chrono::{DateTime, NaiveDate, Utc};
    use control::catalog::QboAccount;
    use control::connections::Connection;
    use control::mappings::Mapping;
    use control::runs::Run;

    pub fn stamp(t: DateTime<Utc>) -> String {
        t.format("%Y-%m-%d %H:%M UTC").to_string()
    }

    pub fn connection(c: Connection, today: NaiveDate, remind: i64) -> ConnectionView {
        let mut facts = Vec::new();
        if let Some(m) = c.facts.get("multicurrency").and_then(|v| v.as_bool()) {
            facts.push(("Multicurrency".into(), if m { "on" } else { "off" }.into()));
        }
        if let Some(h) = c.facts.get("home_currency").and_then(|v| v.as_str()) {
            facts.push(("Home currency".into(), h.into()));
        }
        if let Some(n) = c.facts.get("balances").and_then(|v| v.as_u64()) {
            facts.push(("Balances".into(), n.to_string()));
        }
        let expires_on = c.expires_at.map(|t| t.date_naive());
        ConnectionView {
            provider: c.provider.as_str().into(),
            label: c.provider.label().into(),
            status: c.status,
            display_name: c.display_name,
            external_id: c.external_id,
            auth_kind: c.auth_kind,
            days_left: expires_on.map(|d| (d - today).num_days()),
            renewal: control::connection_path::Renewal::of(expires_on, today, remind),
            expires_on,
            connected_at: stamp(c.connected_at),
            last_success_at: c.last_success_at.map(stamp),
            last_error: c.last_error,
            facts,
        }
    }

    pub fn account(a: &QboAccount) -> AccountView {
        AccountView {
            id: a.account_id.clone(),
            name: a.name.clone(),
            account_type: a.account_type.clone(),
            currency: a.currency.clone(),
        }
    }

    pub fn mapping(m: Mapping, accounts: &[QboAccount], test_run: Option<Run>) -> MappingView {
        let name = |id: &str| {
            accounts
                .iter()
                .find(|a| a.account_id == id)
                .map_or_else(|| format!("account {id}"), |a| a.name.clone())
        };
        MappingView {
            id: m.id,
            status: m.status,
            accounts: m
                .accounts
                .iter()
                .map(|(c, a)| (c.clone(), a.clone(), name(a)))
                .collect(),
            fee_account: m.fee_account_id.as_ref().map(|f| (f.clone(), name(f))),
            test_run: test_run.map(run),
            created_at: stamp(m.created_at),
        }
    }

    pub fn run(r: Run) -> RunView {
        let s = &r.stats;
        let mut facts = Vec::new();
        let mut fact = |label: &str, v: Option<String>| {
            if let Some(v) = v {
                facts.push((label.to_string(), v));
            }
        };
        let num = |k: &str| s.get(k).and_then(|v| v.as_u64()).map(|n| n.to_string());
        fact("Bank lines", num("bank_lines"));
        fact("Postings", num("book_entries"));
        fact(
            "Match rate",
            s.get("match_percent")
                .and_then(|v| v.as_f64())
                .map(|p| format!("{p:.1} %")),
        );
        fact("Suggested matches", num("suggested"));
        fact("Exceptions", num("exceptions"));
        fact("New bank lines", num("new_bank_lines"));
        let out = |k: &str| {
            s.get("outcome")
                .and_then(|o| o.get(k))
                .and_then(|v| v.as_u64())
                .map(|n| n.to_string())
        };
        fact("New exceptions", out("new_exceptions"));
        fact("Auto-resolved", out("auto_resolved"));
        fact("Reopened", out("reopened"));
        let ms = s
            .get("durations_ms")
            .and_then(|d| d.get("total"))
            .or_else(|| s.get("duration_ms"))
            .and_then(|v| v.as_u64());
        fact(
            "Duration",
            ms.map(|ms| format!("{:.1} s", ms as f64 / 1000.0)),
        );
        let sample = s
            .get("sample_exceptions")
            .and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .map(|e| {
                        let f =
                            |k: &str| e.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
                        (f("kind"), f("currency"), f("difference"), f("reason"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        RunView {
            id: r.id,
            purpose: r.purpose.label().into(),
            trigger: r.trigger.label().into(),
            status: r.status.as_str().into(),
            step: r.step,
            done: r.done,
            total: r.total,
            percent: r.percent,
            error: r.error,
            window: format!("{} – {}", r.window_from, r.window_to),
            created_at: stamp(r.created_at),
            finished_at: r.finished_at.map(stamp),
            spike: s.get("spike").and_then(|v| v.as_bool()).unwrap_or(false),
            facts,
            sample,
        }
    }

    pub fn lag(stats: &serde_json::Value) -> Vec<LagView> {
        serde_json::from_value::<Vec<control::telemetry::LagStats>>(
            stats.get("lag").cloned().unwrap_or_default(),
        )
        .unwrap_or_default()
        .into_iter()
        .map(|l| LagView {
            path: l.path.label().into(),
            pairs: l.pairs,
            median: control::telemetry::human_duration(l.median_secs),
            p95: control::telemetry::human_duration(l.p95_secs),
            cadence: l.cadence.label().into(),
        })
        .collect()
    }
}

/// The Connections and Mapping screens' data.
#[server(endpoint = "sync_overview")]
pub async fn sync_overview() -> Result<SyncView, AppError> {
    use crate::model::Person;
    use crate::ssr::{fail, guard::require, state::app_state};
    use control::connections::Provider;
    let caller = require::<SyncOverview>().await?;
    let state = app_state()?;
    let (db, org) = (&state.db, caller.organization_id);
    let today = state.now().date_naive();
    let conns = control::connections::list(db, org).await.map_err(fail)?;
    let settings = control::settings::get(db, org).await.map_err(fail)?;
    let pick = |p: Provider| {
        conns
            .iter()
            .find(|c| c.provider == p && c.is_live())
            .cloned()
            .map(|c| convert::connection(c, today, settings.reminder_window()))
    };
    let accounts = control::catalog::accounts(db, org).await.map_err(fail)?;
    let with_run = |m: Option<control::mappings::Mapping>| async {
        match m {
            Some(m) => {
                let run = match m.test_run_id {
                    Some(id) => control::runs::get(db, org, id).await.ok(),
                    None => None,
                };
                Some(convert::mapping(m, &accounts, run))
            }
            None => None,
        }
    };
    let active = with_run(control::mappings::active(db, org).await.map_err(fail)?).await;
    let pending = with_run(control::mappings::pending(db, org).await.map_err(fail)?).await;
    let people = control::members::list(db, org)
        .await
        .map_err(fail)?
        .into_iter()
        .filter(|m| m.active)
        .map(|m| Person {
            id: m.user_id,
            name: m.display_name,
        })
        .collect();
    let runs = control::runs::recent(db, org, 10).await.map_err(fail)?;
    let last = control::runs::last_success(db, org).await.map_err(fail)?;
    Ok(SyncView {
        qbo_configured: state.connectors.qbo.is_some(),
        wise_oauth_configured: state.connectors.wise_oauth.is_some(),
        qbo: pick(Provider::Qbo),
        wise: pick(Provider::Wise),
        balances: control::catalog::balances(db, org)
            .await
            .map_err(fail)?
            .into_iter()
            .map(|b| b.currency)
            .collect(),
        bank_accounts: accounts
            .iter()
            .filter(|a| a.account_type == "Bank" && a.active)
            .map(convert::account)
            .collect(),
        expense_accounts: accounts
            .iter()
            .filter(|a| a.account_type.contains("Expense") && a.active)
            .map(convert::account)
            .collect(),
        active_mapping: active,
        pending_mapping: pending,
        exceptions_owner: settings.exceptions_owner_id,
        setup_owner: settings.setup_owner_id,
        escalation_owner: settings.escalation_owner_id,
        people,
        runs: runs.into_iter().map(convert::run).collect(),
        lag: last.map(|r| convert::lag(&r.stats)).unwrap_or_default(),
        lag_rule: control::telemetry::RULE.into(),
        can_edit: caller.role.allows(control::Role::Owner),
        can_sync: caller.role.allows(control::Role::Bookkeeper),
        today,
    })
}

/// The running (or queued) run, else the newest one: what the progress bar polls.
#[server(endpoint = "run_status")]
pub async fn run_status() -> Result<Option<RunView>, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<RunStatus>().await?;
    let state = app_state()?;
    let org = caller.organization_id;
    if let Some(r) = control::runs::active(&state.db, org).await.map_err(fail)? {
        return Ok(Some(convert::run(r)));
    }
    Ok(control::runs::recent(&state.db, org, 1)
        .await
        .map_err(fail)?
        .into_iter()
        .next()
        .map(convert::run))
}

/// "Sync now": queues a production sync over the organization's window (or joins the one
/// already queued or running).
#[server(endpoint = "sync_now")]
pub async fn sync_now() -> Result<RunView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<SyncNow>().await?;
    let state = app_state()?;
    let queued = control::jobs::enqueue_sync(
        &state.db,
        caller.organization_id,
        control::runs::Trigger::Manual,
        Some(caller.user_id),
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(convert::run(queued.run().clone()))
}

/// Connects Wise with a personal API token (and optionally the PEM private key whose public
/// half is registered with Wise for SCA). `profile_id` may be empty: the only business profile.
#[server(endpoint = "wise_connect")]
pub async fn wise_connect(
    token: String,
    sca_key: String,
    profile_id: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<WiseConnect>().await?;
    let state = app_state()?;
    let profile = match profile_id.trim() {
        "" => None,
        p => Some(
            p.parse::<i64>()
                .map_err(|_| reject(AppError::Invalid("the profile id is a number".into())))?,
        ),
    };
    let key = Some(sca_key.trim().to_string()).filter(|k| !k.is_empty());
    control::connect::wise(
        &state.sync_context("web"),
        &caller.actor(),
        caller.organization_id,
        &token,
        key,
        profile,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Disconnects `qbo` (revoking the grant) or `wise`.
#[server(endpoint = "connection_disconnect")]
pub async fn connection_disconnect(provider: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    use control::connections::Provider;
    let caller = require::<ConnectionDisconnect>().await?;
    let state = app_state()?;
    let provider = match provider.as_str() {
        "qbo" => Provider::Qbo,
        "wise" => Provider::Wise,
        _ => return Err(reject(AppError::Invalid("unknown connection".into()))),
    };
    control::connect::disconnect(
        &state.sync_context("web"),
        &caller.actor(),
        caller.organization_id,
        provider,
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Proposes a mapping: `accounts[EUR]=<QBO account id>`…, and the Bank Charges account. It
/// stays pending until a test batch passes and the owner applies it.
#[server(endpoint = "mapping_propose")]
pub async fn mapping_propose(
    accounts: BTreeMap<String, String>,
    fee_account: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MappingPropose>().await?;
    let state = app_state()?;
    let draft = control::mappings::MappingDraft {
        accounts: accounts
            .into_iter()
            .filter(|(_, a)| !a.trim().is_empty())
            .collect(),
        fee_account_id: Some(fee_account.trim().to_string()).filter(|f| !f.is_empty()),
    };
    control::mappings::propose(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        draft,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Runs the test batch of the pending mapping over `from`–`to` (YYYY-MM-DD).
#[server(endpoint = "mapping_test")]
pub async fn mapping_test(from: String, to: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<MappingTest>().await?;
    let state = app_state()?;
    let date = |s: &str| {
        s.trim().parse::<chrono::NaiveDate>().map_err(|_| {
            reject(AppError::Invalid(format!(
                "{s:?} is not a date (YYYY-MM-DD)"
            )))
        })
    };
    let (from, to) = (date(&from)?, date(&to)?);
    let pending = control::mappings::pending(&state.db, caller.organization_id)
        .await
        .map_err(fail)?
        .ok_or_else(|| {
            reject(AppError::Invalid(
                "there is no pending mapping to test".into(),
            ))
        })?;
    let queued = control::runs::enqueue(
        &state.db,
        control::runs::NewRun {
            organization_id: caller.organization_id,
            purpose: control::runs::Purpose::TestBatch,
            trigger: control::runs::Trigger::Manual,
            mapping_id: Some(pending.id),
            window_from: from,
            window_to: to,
            requested_by: Some(caller.user_id),
        },
        state.now(),
    )
    .await
    .map_err(fail)?;
    if let control::runs::Enqueued::AlreadyActive(_) = queued {
        return Err(reject(AppError::Invalid(
            "a run is in progress; start the test batch when it has finished".into(),
        )));
    }
    Ok(())
}

/// Applies the pending mapping after its test batch passed.
#[server(endpoint = "mapping_apply")]
pub async fn mapping_apply(id: i64) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MappingApply>().await?;
    let state = app_state()?;
    control::mappings::apply(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Rejects the pending mapping.
#[server(endpoint = "mapping_reject")]
pub async fn mapping_reject(id: i64, note: String) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<MappingReject>().await?;
    let state = app_state()?;
    control::mappings::reject(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        id,
        note.trim(),
        state.now(),
    )
    .await
    .map_err(fail)
}

/// Names the exceptions owner, the setup owner and the vendor-escalation owner (empty = nobody).
#[server(endpoint = "owners_update")]
pub async fn owners_update(
    exceptions_owner: String,
    setup_owner: String,
    escalation_owner: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<OwnersUpdate>().await?;
    let state = app_state()?;
    let id = |s: &str| -> Result<Option<i64>, AppError> {
        match s.trim() {
            "" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| reject(AppError::Invalid("choose a person from the list".into()))),
        }
    };
    let mut settings = control::settings::get(&state.db, caller.organization_id)
        .await
        .map_err(fail)?;
    settings.exceptions_owner_id = id(&exceptions_owner)?;
    settings.setup_owner_id = id(&setup_owner)?;
    settings.escalation_owner_id = id(&escalation_owner)?;
    control::settings::update(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        settings,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// What needs attention on Home besides renewals: feed stalls, an exception spike, failing
/// connections and authorizations running out.
#[server(endpoint = "health_alerts")]
pub async fn health_alerts() -> Result<Vec<String>, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<HealthAlerts>().await?;
    let state = app_state()?;
    let (db, org) = (&state.db, caller.organization_id);
    let today = state.now().date_naive();
    let settings = control::settings::get(db, org).await.map_err(fail)?;
    let mut alerts = Vec::new();
    for c in control::connections::list(db, org).await.map_err(fail)? {
        if c.status == "failing" {
            alerts.push(format!(
                "{} is failing: {}",
                c.provider.label(),
                c.last_error.clone().unwrap_or_default()
            ));
        }
        if c.is_live()
            && let Some(t) = c.expires_at
        {
            use control::connection_path::Renewal;
            let ends = t.date_naive();
            match Renewal::of(Some(ends), today, settings.reminder_window()) {
                Renewal::DueSoon { days_left } => alerts.push(format!(
                    "{} authorization ends on {ends} ({days_left} days): reconnect before then",
                    c.provider.label()
                )),
                Renewal::Expired { days_ago } => alerts.push(format!(
                    "{} authorization ended on {ends} ({days_ago} days ago): reconnect to resume syncing",
                    c.provider.label()
                )),
                Renewal::Ok { .. } | Renewal::Unknown => {}
            }
        }
    }
    if let Some(m) = control::mappings::active(db, org).await.map_err(fail)? {
        for s in
            control::lines::feed_stalls(db, org, &m.accounts, today, i64::from(settings.stall_days))
                .await
                .map_err(fail)?
        {
            alerts.push(format!("Feed stall — {}", s.describe()));
        }
    }
    if let Some(r) = control::runs::last_success(db, org).await.map_err(fail)?
        && r.stats.get("spike").and_then(|v| v.as_bool()) == Some(true)
    {
        alerts.push(format!(
            "Exception spike in sync #{}: pause broad sync and switch to supervised batches until the cause is understood",
            r.id
        ));
    }
    Ok(alerts)
}

/// The organization's sync mode and thresholds.
#[server(endpoint = "sync_settings_get")]
pub async fn sync_settings_get() -> Result<crate::model::SyncSettingsView, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<SyncSettingsGet>().await?;
    let state = app_state()?;
    let s = control::settings::get(&state.db, caller.organization_id)
        .await
        .map_err(fail)?;
    Ok(crate::model::SyncSettingsView {
        sync_mode: s.sync_mode.as_str().into(),
        schedule_hours: s.schedule_hours,
        window_days: s.window_days,
        stall_days: s.stall_days,
        spike_percent: s.spike_percent,
        reminder_days: s.reminder_days,
    })
}

/// Sets the sync mode (supervised batch on a schedule, or near-continuous: also on verified
/// webhooks), the thresholds and how early renewal reminders start.
#[server(endpoint = "sync_settings_update")]
pub async fn sync_settings_update(
    sync_mode: String,
    schedule_hours: String,
    window_days: String,
    stall_days: String,
    spike_percent: String,
    reminder_days: String,
) -> Result<(), AppError> {
    use crate::ssr::{fail, guard::require, reject, state::app_state};
    let caller = require::<SyncSettingsUpdate>().await?;
    let state = app_state()?;
    let number = |label: &str, v: &str| {
        v.trim()
            .parse::<i32>()
            .map_err(|_| reject(AppError::Invalid(format!("{label} must be a whole number"))))
    };
    let mut s = control::settings::get(&state.db, caller.organization_id)
        .await
        .map_err(fail)?;
    s.sync_mode = control::settings::SyncMode::parse(&sync_mode).map_err(fail)?;
    s.schedule_hours = number("hours between scheduled runs", &schedule_hours)?;
    s.window_days = number("sync window", &window_days)?;
    s.stall_days = number("feed-stall threshold", &stall_days)?;
    s.spike_percent = number("spike threshold", &spike_percent)?;
    s.reminder_days = number("renewal reminder", &reminder_days)?;
    control::settings::update(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        s,
        state.now(),
    )
    .await
    .map_err(fail)?;
    Ok(())
}

/// Home's exception counts and chart data.
#[server(endpoint = "home_figures")]
pub async fn home_figures() -> Result<crate::model::HomeFigures, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<HomeFigures>().await?;
    let state = app_state()?;
    let f =
        control::dashboard::figures(&state.db, caller.organization_id, state.now().date_naive())
            .await
            .map_err(fail)?;
    let aging = control::collections::view(&state.db, caller.organization_id)
        .await
        .map_err(fail)?
        .aging;
    let (ar_aging, ar_currency) = aging
        .map(|a| (a.whole_unit_bars(), a.currency.unwrap_or_default()))
        .unwrap_or_default();
    Ok(crate::model::HomeFigures {
        open: f.open,
        unassigned: f.unassigned,
        overdue: f.overdue,
        exception_ages: f.exception_ages,
        lag: f.lag,
        match_rate: f
            .match_rate
            .into_iter()
            .map(|(id, p)| (format!("#{id}"), p))
            .collect(),
        ar_aging,
        ar_currency,
    })
}

/// Checks a personal API token and lists the profiles it can see with their balances
/// (nothing is stored), so the owner can pick the business profile.
#[server(endpoint = "wise_profiles")]
pub async fn wise_profiles(token: String) -> Result<Vec<crate::model::WiseProfileView>, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    require::<WiseProfiles>().await?;
    let state = app_state()?;
    let ctx = state.sync_context("web");
    let profiles = control::connect::wise_profiles(&ctx, token.trim())
        .await
        .map_err(fail)?;
    let mut out = Vec::new();
    for p in profiles {
        let balances = control::connect::wise_balance_currencies(&ctx, token.trim(), p.id)
            .await
            .unwrap_or_default();
        out.push(crate::model::WiseProfileView {
            id: p.id,
            name: p.name,
            business: p.business,
            balances,
        });
    }
    Ok(out)
}
