//! Which QBO bank account holds which Wise balance, and the Bank Charges account.
//!
//! A mapping is versioned: a change is `pending` until a test batch (a window reconciled under
//! the pending mapping) has run and the owner applies it; only the `active` version feeds
//! production reconciliation. Applying retires the previous version. Every step is audited.

use crate::audit::{self, Actor, Change};
use crate::catalog;
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the owner proposes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingDraft {
    /// Currency → QBO bank account id.
    pub accounts: BTreeMap<String, String>,
    pub fee_account_id: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    pub id: i64,
    /// `pending`, `active`, `retired` or `rejected`.
    pub status: String,
    pub accounts: BTreeMap<String, String>,
    pub fee_account_id: Option<String>,
    /// The test batch run for a pending mapping.
    pub test_run_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub note: String,
}

impl Mapping {
    pub fn recon_mapping(&self) -> recon::Mapping {
        recon::Mapping::new(self.accounts.clone())
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    status: String,
    accounts: String,
    fee_account_id: Option<String>,
    test_run_id: Option<i64>,
    created_at: DateTime<Utc>,
    decided_at: Option<DateTime<Utc>>,
    note: String,
}

impl Row {
    fn into_mapping(self) -> Result<Mapping> {
        Ok(Mapping {
            id: self.id,
            status: self.status,
            accounts: serde_json::from_str(&self.accounts)
                .map_err(|e| ControlError::Internal(format!("stored mapping: {e}")))?,
            fee_account_id: self.fee_account_id,
            test_run_id: self.test_run_id,
            created_at: self.created_at,
            decided_at: self.decided_at,
            note: self.note,
        })
    }
}

const SELECT: &str = "SELECT id, status, accounts, fee_account_id, test_run_id, created_at, \
    decided_at, note FROM mappings";

async fn with_status(db: &Db, organization_id: i64, status: &str) -> Result<Option<Mapping>> {
    let q = format!("{SELECT} WHERE organization_id = $1 AND status = $2");
    let row = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).bind(status).fetch_optional(pool).await)?;
    row.map(Row::into_mapping).transpose()
}

/// The mapping production reconciliation uses.
pub async fn active(db: &Db, organization_id: i64) -> Result<Option<Mapping>> {
    with_status(db, organization_id, "active").await
}

/// The change waiting for its test batch and the owner's decision.
pub async fn pending(db: &Db, organization_id: i64) -> Result<Option<Mapping>> {
    with_status(db, organization_id, "pending").await
}

pub async fn get(db: &Db, organization_id: i64, id: i64) -> Result<Mapping> {
    let q = format!("{SELECT} WHERE organization_id = $1 AND id = $2");
    let row = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).bind(id).fetch_optional(pool).await)?;
    row.ok_or(ControlError::NotFound("mapping"))?.into_mapping()
}

/// Checks a draft against what the connections list: every currency is a Wise balance, every
/// account an active QBO bank account used once, the fee account an expense account.
pub async fn validate(db: &Db, organization_id: i64, draft: &MappingDraft) -> Result<()> {
    let balances: BTreeSet<String> = catalog::balances(db, organization_id)
        .await?
        .into_iter()
        .map(|b| b.currency)
        .collect();
    let accounts = catalog::accounts(db, organization_id).await?;
    if draft.accounts.is_empty() {
        return Err(ControlError::Invalid(
            "map at least one Wise balance to a QuickBooks bank account".into(),
        ));
    }
    let mut used = BTreeSet::new();
    for (currency, account_id) in &draft.accounts {
        if !balances.contains(currency) {
            return Err(ControlError::Invalid(format!(
                "there is no Wise {currency} balance on the connected profile"
            )));
        }
        let Some(account) = accounts.iter().find(|a| &a.account_id == account_id) else {
            return Err(ControlError::Invalid(format!(
                "QuickBooks account {account_id} (for {currency}) does not exist"
            )));
        };
        if account.account_type != "Bank" || !account.active {
            return Err(ControlError::Invalid(format!(
                "{} (for {currency}) is not an active bank account",
                account.name
            )));
        }
        if let Some(c) = &account.currency
            && c != currency
        {
            return Err(ControlError::Invalid(format!(
                "{} is a {c} account; it cannot hold the Wise {currency} balance",
                account.name
            )));
        }
        if !used.insert(account_id) {
            return Err(ControlError::Invalid(format!(
                "{} is mapped to two balances",
                account.name
            )));
        }
    }
    if let Some(fee) = &draft.fee_account_id {
        match accounts.iter().find(|a| &a.account_id == fee) {
            Some(a) if a.account_type == "Expense" || a.account_type == "Other Expense" => {}
            Some(a) => {
                return Err(ControlError::Invalid(format!(
                    "{} is not an expense account; choose the Bank Charges account",
                    a.name
                )));
            }
            None => {
                return Err(ControlError::Invalid(format!(
                    "QuickBooks account {fee} does not exist"
                )));
            }
        }
    }
    Ok(())
}

/// Records a mapping change as pending (replacing an earlier pending one, which is rejected
/// as superseded). It applies only after a test batch, see [`apply`].
pub async fn propose(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    draft: MappingDraft,
    now: DateTime<Utc>,
) -> Result<Mapping> {
    validate(db, organization_id, &draft).await?;
    let accounts = serde_json::to_string(&draft.accounts)
        .map_err(|e| ControlError::Internal(e.to_string()))?;
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("UPDATE mappings SET status = 'rejected', decided_at = $1, \
        note = 'superseded by a newer change' WHERE organization_id = $2 AND status = 'pending'")
        .bind(now).bind(organization_id).execute(conn).await.map(|r| r.rows_affected()))?;
    const INSERT: &str = "INSERT INTO mappings (organization_id, status, accounts, fee_account_id, \
        created_by, created_at) VALUES ($1, 'pending', $2, $3, $4, $5) RETURNING id";
    let id = on_tx!(&mut tx, conn => sqlx::query_scalar::<_, i64>(INSERT)
        .bind(organization_id)
        .bind(&accounts)
        .bind(&draft.fee_account_id)
        .bind(actor.user_id)
        .bind(now)
        .fetch_one(conn)
        .await)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "mapping.propose",
            subject: format!("mapping:{id}"),
            before: None,
            after: serde_json::to_value(&draft).ok(),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    get(db, organization_id, id).await
}

/// Links the test batch run to the pending mapping.
pub(crate) async fn attach_test_run(tx: &mut Tx, mapping_id: i64, run_id: i64) -> Result<()> {
    on_tx!(tx, conn => sqlx::query("UPDATE mappings SET test_run_id = $1 WHERE id = $2 AND status = 'pending'")
        .bind(run_id).bind(mapping_id).execute(conn).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Applies a pending mapping whose test batch succeeded: it becomes active, the previous
/// active version is retired.
pub async fn apply(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    mapping_id: i64,
    now: DateTime<Utc>,
) -> Result<Mapping> {
    let m = get(db, organization_id, mapping_id).await?;
    if m.status != "pending" {
        return Err(ControlError::Conflict(format!(
            "this mapping is {}, not pending",
            m.status
        )));
    }
    let Some(run_id) = m.test_run_id else {
        return Err(ControlError::Conflict(
            "run a test batch under this mapping before applying it".into(),
        ));
    };
    let run = crate::runs::get(db, organization_id, run_id).await?;
    if run.status != crate::runs::RunStatus::Succeeded {
        return Err(ControlError::Conflict(format!(
            "the test batch has not passed (it is {})",
            run.status.label()
        )));
    }
    let before = active(db, organization_id).await?;
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("UPDATE mappings SET status = 'retired', decided_at = $1 \
        WHERE organization_id = $2 AND status = 'active'")
        .bind(now).bind(organization_id).execute(conn).await.map(|r| r.rows_affected()))?;
    let changed = on_tx!(&mut tx, conn => sqlx::query("UPDATE mappings SET status = 'active', decided_by = $1, \
        decided_at = $2 WHERE id = $3 AND status = 'pending'")
        .bind(actor.user_id).bind(now).bind(mapping_id).execute(conn).await.map(|r| r.rows_affected()))?;
    if changed != 1 {
        return Err(ControlError::Conflict(
            "the mapping changed meanwhile".into(),
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "mapping.apply",
            subject: format!("mapping:{mapping_id}"),
            before: before.map(|b| serde_json::json!({"id": b.id, "accounts": b.accounts, "fee_account_id": b.fee_account_id})),
            after: Some(serde_json::json!({"id": m.id, "accounts": m.accounts, "fee_account_id": m.fee_account_id, "test_run_id": run_id})),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    get(db, organization_id, mapping_id).await
}

/// Rejects a pending mapping (the owner reviewed the test batch and said no).
pub async fn reject(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    mapping_id: i64,
    note: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    let changed = on_tx!(&mut tx, conn => sqlx::query("UPDATE mappings SET status = 'rejected', decided_by = $1, \
        decided_at = $2, note = $3 WHERE organization_id = $4 AND id = $5 AND status = 'pending'")
        .bind(actor.user_id).bind(now).bind(note).bind(organization_id).bind(mapping_id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    if changed != 1 {
        return Err(ControlError::Conflict(
            "only a pending mapping can be rejected".into(),
        ));
    }
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "mapping.reject",
            subject: format!("mapping:{mapping_id}"),
            before: None,
            after: Some(serde_json::json!({"note": note})),
        },
        now,
    )
    .await?;
    tx.commit().await
}
