//! Storage of the preflight checklist (the playbook's preflight and access-control tables),
//! the automatic checks computed from what the system can see, and the signed go / no-go
//! checkpoints. Every change is audited in the same transaction.

use super::{Check, Checkpoint, Decision, PreflightItem, failing, seed};
use crate::audit::{self, Actor, Change};
use crate::connections::Provider;
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use chrono::{DateTime, Utc};
use std::collections::BTreeSet;

#[derive(sqlx::FromRow)]
struct ItemRow {
    id: i64,
    seed_key: String,
    section: String,
    area: String,
    action: String,
    verification: String,
    owner_user_id: Option<i64>,
    owner_name: Option<String>,
    done: bool,
    done_at: Option<DateTime<Utc>>,
    done_by_name: Option<String>,
    note: String,
}

impl ItemRow {
    fn into_item(self) -> Result<PreflightItem> {
        Ok(PreflightItem {
            id: self.id,
            seed_key: self.seed_key,
            section: self
                .section
                .parse()
                .map_err(|e: String| ControlError::Internal(format!("stored item: {e}")))?,
            area: self.area,
            action: self.action,
            verification: self.verification,
            owner_user_id: self.owner_user_id,
            owner_name: self.owner_name,
            done: self.done,
            done_at: self.done_at,
            done_by_name: self.done_by_name,
            note: self.note,
        })
    }
}

const SELECT_ITEMS: &str = "SELECT i.id, i.seed_key, i.section, i.area, i.action, i.verification, \
    i.owner_user_id, o.display_name AS owner_name, i.done, i.done_at, d.display_name AS done_by_name, i.note \
    FROM preflight_items i LEFT JOIN users o ON o.id = i.owner_user_id \
    LEFT JOIN users d ON d.id = i.done_by";

/// The checklist in playbook order (the preflight table, then the access-control table).
pub async fn items(
    db: &Db,
    organization_id: i64,
    now: DateTime<Utc>,
) -> Result<Vec<PreflightItem>> {
    seed::ensure(db, organization_id, now).await?;
    let q = format!("{SELECT_ITEMS} WHERE i.organization_id = $1 ORDER BY i.position, i.id");
    let rows = on_pool!(db, pool => sqlx::query_as::<_, ItemRow>(&q).bind(organization_id).fetch_all(pool).await)?;
    rows.into_iter().map(ItemRow::into_item).collect()
}

async fn item_in(tx: &mut Tx, organization_id: i64, id: i64) -> Result<PreflightItem> {
    let q = format!("{SELECT_ITEMS} WHERE i.organization_id = $1 AND i.id = $2");
    let row = on_tx!(tx, conn => sqlx::query_as::<_, ItemRow>(&q).bind(organization_id).bind(id).fetch_optional(conn).await)?;
    row.ok_or(ControlError::NotFound("checklist item"))?
        .into_item()
}

/// What the owner records on an item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemUpdate {
    pub owner_user_id: Option<i64>,
    pub done: bool,
    pub note: String,
}

const MAX_NOTE: usize = 4000;

fn item_json(i: &PreflightItem) -> serde_json::Value {
    serde_json::json!({
        "area": i.area,
        "owner_user_id": i.owner_user_id,
        "done": i.done,
        "done_at": i.done_at,
        "note": i.note,
    })
}

/// Names an item's owner, marks it done (or not) and keeps a note. Who marked it done and
/// when is kept until it is unmarked.
pub async fn update_item(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    change: ItemUpdate,
    now: DateTime<Utc>,
) -> Result<PreflightItem> {
    if change.note.chars().count() > MAX_NOTE {
        return Err(ControlError::Invalid(format!(
            "the note may have at most {MAX_NOTE} characters"
        )));
    }
    let mut tx = db.begin().await?;
    let before = item_in(&mut tx, organization_id, id).await?;
    if let Some(owner) = change.owner_user_id {
        crate::members::require_active_member(&mut tx, owner, organization_id).await?;
    }
    // Marking done stamps who and when; unmarking clears them; otherwise they stay.
    const Q: &str = "UPDATE preflight_items SET owner_user_id = $1, note = $2, updated_at = $3, \
        done = $4, \
        done_at = CASE WHEN $4 AND NOT done THEN $3 WHEN $4 THEN done_at ELSE NULL END, \
        done_by = CASE WHEN $4 AND NOT done THEN $5 WHEN $4 THEN done_by ELSE NULL END \
        WHERE organization_id = $6 AND id = $7";
    on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(change.owner_user_id).bind(change.note.trim()).bind(now).bind(change.done)
        .bind(actor.user_id).bind(organization_id).bind(id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    let after = item_in(&mut tx, organization_id, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "preflight.item",
            subject: format!("preflight_item:{id}"),
            before: Some(item_json(&before)),
            after: Some(item_json(&after)),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// What the system can check for itself: both connections live, multicurrency on in
/// QuickBooks, every Wise balance mapped in the applied mapping, the three owners named (and
/// still active members).
pub async fn automatic_checks(db: &Db, organization_id: i64) -> Result<Vec<Check>> {
    let connections = crate::connections::list(db, organization_id).await?;
    let live = |p: Provider| connections.iter().find(|c| c.provider == p && c.is_live());
    let connected = |key: &str, label: &str, p: Provider| match live(p) {
        Some(c) if c.status == "failing" => Check::new(
            key,
            label,
            true,
            format!(
                "{} is connected but its last call failed: {}",
                c.display_name,
                c.last_error.as_deref().unwrap_or("no reason given")
            ),
        ),
        Some(c) => Check::new(
            key,
            label,
            true,
            format!("{} ({})", c.display_name, c.status),
        ),
        None => Check::new(
            key,
            label,
            false,
            "not connected: connect it on Connections",
        ),
    };
    let mut checks = vec![
        connected(
            "qbo_connected",
            "QuickBooks Online connected",
            Provider::Qbo,
        ),
        connected("wise_connected", "Wise connected", Provider::Wise),
    ];

    let multicurrency = match live(Provider::Qbo) {
        None => Check::new(
            "multicurrency",
            "Multicurrency on in QuickBooks",
            false,
            "unknown until QuickBooks is connected",
        ),
        Some(c) => match c.facts.get("multicurrency").and_then(|v| v.as_bool()) {
            Some(true) => Check::new(
                "multicurrency",
                "Multicurrency on in QuickBooks",
                true,
                "on (QuickBooks Preferences)",
            ),
            Some(false) => Check::new(
                "multicurrency",
                "Multicurrency on in QuickBooks",
                false,
                "off in QuickBooks Preferences: Wise's bill-payment app needs it; turn it on, then reconnect QuickBooks",
            ),
            None => Check::new(
                "multicurrency",
                "Multicurrency on in QuickBooks",
                false,
                "not known: reconnect QuickBooks so Clearline reads its preferences",
            ),
        },
    };
    checks.push(multicurrency);

    let balances: BTreeSet<String> = crate::catalog::balances(db, organization_id)
        .await?
        .into_iter()
        .map(|b| b.currency)
        .collect();
    let mapping = crate::mappings::active(db, organization_id).await?;
    let label = "Every Wise balance mapped";
    checks.push(match (&mapping, balances.is_empty()) {
        (_, true) => Check::new(
            "balances_mapped",
            label,
            false,
            "no Wise balances known: connect Wise first",
        ),
        (None, false) => Check::new(
            "balances_mapped",
            label,
            false,
            "no mapping is applied yet (Mapping)",
        ),
        (Some(m), false) => {
            let unmapped: Vec<&str> = balances
                .iter()
                .filter(|c| !m.accounts.contains_key(*c))
                .map(String::as_str)
                .collect();
            if unmapped.is_empty() {
                Check::new(
                    "balances_mapped",
                    label,
                    true,
                    format!(
                        "{} mapped (mapping #{})",
                        balances.iter().cloned().collect::<Vec<_>>().join(", "),
                        m.id
                    ),
                )
            } else {
                Check::new(
                    "balances_mapped",
                    label,
                    false,
                    format!("not mapped: {}", unmapped.join(", ")),
                )
            }
        }
    });

    let settings = crate::settings::get(db, organization_id).await?;
    let members = crate::members::list(db, organization_id).await?;
    let mut named = Vec::new();
    let mut missing = Vec::new();
    for (role, id) in [
        ("setup owner", settings.setup_owner_id),
        ("exceptions owner", settings.exceptions_owner_id),
        ("vendor-escalation owner", settings.escalation_owner_id),
    ] {
        match id.and_then(|id| members.iter().find(|m| m.user_id == id)) {
            Some(m) if m.active => named.push(format!("{role}: {}", m.display_name)),
            Some(m) => missing.push(format!(
                "{role} ({} is no longer an active member)",
                m.display_name
            )),
            None => missing.push(format!("no {role}")),
        }
    }
    let label = "Setup, exceptions and escalation owners named";
    checks.push(if missing.is_empty() {
        Check::new("owners_named", label, true, named.join(", "))
    } else {
        Check::new(
            "owners_named",
            label,
            false,
            format!("{} (Mapping → Owners)", missing.join(", ")),
        )
    });
    Ok(checks)
}

#[derive(sqlx::FromRow)]
struct CheckpointRow {
    id: i64,
    decision: String,
    note: String,
    checks: String,
    signed_by: i64,
    signed_by_name: String,
    signed_at: DateTime<Utc>,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Snapshot {
    checks: Vec<Check>,
    open_items: Vec<String>,
}

impl CheckpointRow {
    fn into_checkpoint(self) -> Result<Checkpoint> {
        let bad = |e: String| ControlError::Internal(format!("stored checkpoint: {e}"));
        let snapshot: Snapshot =
            serde_json::from_str(&self.checks).map_err(|e| bad(e.to_string()))?;
        Ok(Checkpoint {
            id: self.id,
            decision: self.decision.parse().map_err(bad)?,
            note: self.note,
            signed_by: self.signed_by,
            signed_by_name: self.signed_by_name,
            signed_at: self.signed_at,
            checks: snapshot.checks,
            open_items: snapshot.open_items,
        })
    }
}

const SELECT_CHECKPOINTS: &str = "SELECT c.id, c.decision, c.note, c.checks, c.signed_by, \
    u.display_name AS signed_by_name, c.signed_at \
    FROM preflight_checkpoints c JOIN users u ON u.id = c.signed_by";

/// Every signed checkpoint, newest first.
pub async fn checkpoints(db: &Db, organization_id: i64) -> Result<Vec<Checkpoint>> {
    let q = format!("{SELECT_CHECKPOINTS} WHERE c.organization_id = $1 ORDER BY c.id DESC");
    let rows = on_pool!(db, pool => sqlx::query_as::<_, CheckpointRow>(&q).bind(organization_id).fetch_all(pool).await)?;
    rows.into_iter()
        .map(CheckpointRow::into_checkpoint)
        .collect()
}

const MAX_CHECKPOINT_NOTE: usize = 2000;

/// Signs the go / no-go checkpoint. Refused while any automatic check fails (the message
/// names them); the automatic checks and the items still open are kept with the signature.
pub async fn sign(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    decision: Decision,
    note: &str,
    now: DateTime<Utc>,
) -> Result<Checkpoint> {
    let Some(signer) = actor.user_id else {
        return Err(ControlError::Invalid(
            "a named person signs the checkpoint".into(),
        ));
    };
    let note = note.trim();
    if note.chars().count() > MAX_CHECKPOINT_NOTE {
        return Err(ControlError::Invalid(format!(
            "the note may have at most {MAX_CHECKPOINT_NOTE} characters"
        )));
    }
    let checks = automatic_checks(db, organization_id).await?;
    let failed = failing(&checks);
    if !failed.is_empty() {
        return Err(ControlError::Conflict(format!(
            "the go / no-go checkpoint cannot be signed while automatic checks fail: {}",
            failed.join("; ")
        )));
    }
    let open_items: Vec<String> = items(db, organization_id, now)
        .await?
        .into_iter()
        .filter(|i| !i.done)
        .map(|i| i.area)
        .collect();
    let snapshot = Snapshot { checks, open_items };
    let snapshot_json =
        serde_json::to_string(&snapshot).map_err(|e| ControlError::Internal(e.to_string()))?;
    let before = checkpoints(db, organization_id).await?.into_iter().next();
    let mut tx = db.begin().await?;
    let id = on_tx!(&mut tx, conn => sqlx::query_scalar::<_, i64>("INSERT INTO preflight_checkpoints \
        (organization_id, decision, note, checks, signed_by, signed_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
        .bind(organization_id).bind(decision.as_str()).bind(note).bind(&snapshot_json).bind(signer).bind(now)
        .fetch_one(conn).await)?;
    let checkpoint_json = |decision: Decision, note: &str, snapshot: &Snapshot| {
        serde_json::json!({
            "decision": decision,
            "note": note,
            "checks": snapshot.checks.iter().map(|c| (c.key.clone(), c.passed)).collect::<std::collections::BTreeMap<_, _>>(),
            "open_items": snapshot.open_items,
        })
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "preflight.sign",
            subject: format!("preflight_checkpoint:{id}"),
            before: before.map(|b| {
                let mut j = checkpoint_json(
                    b.decision,
                    &b.note,
                    &Snapshot {
                        checks: b.checks,
                        open_items: b.open_items,
                    },
                );
                j["id"] = b.id.into();
                j["signed_at"] = serde_json::json!(b.signed_at);
                j
            }),
            after: Some(checkpoint_json(decision, note, &snapshot)),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    checkpoints(db, organization_id)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(ControlError::NotFound("checkpoint"))
}
