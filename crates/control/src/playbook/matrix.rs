//! Storage of the Known vs Unknown matrix: the seeded rows, edits, rows an owner adds, and
//! evidence (a note, or a measurement the system attaches). Every change is audited with the
//! row before and after, in the same transaction.

use super::{MatrixRow, MatrixStatus, Measure, seed};
use crate::audit::{self, Actor, Change};
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use chrono::{DateTime, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    seed_key: Option<String>,
    area: String,
    known_now: String,
    verify_in_tenant: String,
    why_it_matters: String,
    measure: Option<String>,
    owner_user_id: Option<i64>,
    owner_name: Option<String>,
    status: String,
    evidence_note: String,
    measurement: Option<String>,
    measured_at: Option<DateTime<Utc>>,
    updated_at: DateTime<Utc>,
}

impl Row {
    fn into_row(self) -> Result<MatrixRow> {
        let bad = |e: String| ControlError::Internal(format!("stored matrix row: {e}"));
        Ok(MatrixRow {
            id: self.id,
            seed_key: self.seed_key,
            area: self.area,
            known_now: self.known_now,
            verify_in_tenant: self.verify_in_tenant,
            why_it_matters: self.why_it_matters,
            measure: self.measure.map(|m| m.parse()).transpose().map_err(bad)?,
            owner_user_id: self.owner_user_id,
            owner_name: self.owner_name,
            status: self.status.parse().map_err(bad)?,
            evidence_note: self.evidence_note,
            measurement: self.measurement,
            measured_at: self.measured_at,
            updated_at: self.updated_at,
        })
    }
}

const SELECT: &str = "SELECT r.id, r.seed_key, r.area, r.known_now, r.verify_in_tenant, \
    r.why_it_matters, r.measure, r.owner_user_id, u.display_name AS owner_name, r.status, \
    r.evidence_note, r.measurement, r.measured_at, r.updated_at \
    FROM matrix_rows r LEFT JOIN users u ON u.id = r.owner_user_id";

/// The organization's matrix in playbook order, rows added later at the end (seeding it on
/// the first read if the organization predates the playbook screens).
pub async fn list(db: &Db, organization_id: i64, now: DateTime<Utc>) -> Result<Vec<MatrixRow>> {
    seed::ensure(db, organization_id, now).await?;
    let q = format!("{SELECT} WHERE r.organization_id = $1 ORDER BY r.position, r.id");
    let rows = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).fetch_all(pool).await)?;
    rows.into_iter().map(Row::into_row).collect()
}

async fn get_in(tx: &mut Tx, organization_id: i64, id: i64) -> Result<MatrixRow> {
    let q = format!("{SELECT} WHERE r.organization_id = $1 AND r.id = $2");
    let row = on_tx!(tx, conn => sqlx::query_as::<_, Row>(&q).bind(organization_id).bind(id).fetch_optional(conn).await)?;
    row.ok_or(ControlError::NotFound("matrix row"))?.into_row()
}

/// The playbook's columns of a row and its owner: what only an owner edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowText {
    pub area: String,
    pub known_now: String,
    pub verify_in_tenant: String,
    pub why_it_matters: String,
    pub owner_user_id: Option<i64>,
}

/// Status and evidence note: what a bookkeeper may change too.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Evidence {
    pub status: MatrixStatus,
    pub note: String,
}

const MAX_AREA: usize = 200;
const MAX_TEXT: usize = 2000;
const MAX_NOTE: usize = 4000;

fn check_len(what: &str, text: &str, max: usize) -> Result<()> {
    if text.chars().count() > max {
        return Err(ControlError::Invalid(format!(
            "{what} may have at most {max} characters"
        )));
    }
    Ok(())
}

fn check_text(t: &RowText) -> Result<()> {
    if t.area.trim().is_empty() {
        return Err(ControlError::Invalid("name the area".into()));
    }
    check_len("the area", &t.area, MAX_AREA)?;
    check_len("\"known now\"", &t.known_now, MAX_TEXT)?;
    check_len("\"verify in tenant\"", &t.verify_in_tenant, MAX_TEXT)?;
    check_len("\"why it matters\"", &t.why_it_matters, MAX_TEXT)
}

fn record_json(r: &MatrixRow) -> serde_json::Value {
    serde_json::json!({
        "area": r.area,
        "known_now": r.known_now,
        "verify_in_tenant": r.verify_in_tenant,
        "why_it_matters": r.why_it_matters,
        "measure": r.measure,
        "owner_user_id": r.owner_user_id,
        "status": r.status,
        "evidence_note": r.evidence_note,
        "measurement": r.measurement,
        "measured_at": r.measured_at,
    })
}

async fn audited(
    mut tx: Tx,
    actor: &Actor,
    organization_id: i64,
    action: &str,
    before: Option<&MatrixRow>,
    id: i64,
    now: DateTime<Utc>,
) -> Result<MatrixRow> {
    let after = get_in(&mut tx, organization_id, id).await?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action,
            subject: format!("matrix_row:{id}"),
            before: before.map(record_json),
            after: Some(record_json(&after)),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

/// Sets a row's status and evidence note.
pub async fn set_evidence(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    evidence: Evidence,
    now: DateTime<Utc>,
) -> Result<MatrixRow> {
    check_len("the evidence note", &evidence.note, MAX_NOTE)?;
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, organization_id, id).await?;
    on_tx!(&mut tx, conn => sqlx::query("UPDATE matrix_rows SET status = $1, evidence_note = $2, \
        updated_at = $3 WHERE organization_id = $4 AND id = $5")
        .bind(evidence.status.as_str()).bind(evidence.note.trim()).bind(now).bind(organization_id).bind(id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    audited(
        tx,
        actor,
        organization_id,
        "matrix.evidence",
        Some(&before),
        id,
        now,
    )
    .await
}

/// Rewrites a row's playbook columns and names its owner (an active member, or nobody).
pub async fn edit(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    text: RowText,
    now: DateTime<Utc>,
) -> Result<MatrixRow> {
    check_text(&text)?;
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, organization_id, id).await?;
    if let Some(owner) = text.owner_user_id {
        crate::members::require_active_member(&mut tx, owner, organization_id).await?;
    }
    on_tx!(&mut tx, conn => sqlx::query("UPDATE matrix_rows SET area = $1, known_now = $2, \
        verify_in_tenant = $3, why_it_matters = $4, owner_user_id = $5, updated_at = $6 \
        WHERE organization_id = $7 AND id = $8")
        .bind(text.area.trim()).bind(text.known_now.trim()).bind(text.verify_in_tenant.trim())
        .bind(text.why_it_matters.trim()).bind(text.owner_user_id).bind(now)
        .bind(organization_id).bind(id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    audited(
        tx,
        actor,
        organization_id,
        "matrix.edit",
        Some(&before),
        id,
        now,
    )
    .await
}

/// Adds a row after the existing ones, unverified; `measure` names the measurement its
/// evidence can come from.
pub async fn add(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    text: RowText,
    measure: Option<Measure>,
    now: DateTime<Utc>,
) -> Result<MatrixRow> {
    check_text(&text)?;
    seed::ensure(db, organization_id, now).await?;
    let mut tx = db.begin().await?;
    if let Some(owner) = text.owner_user_id {
        crate::members::require_active_member(&mut tx, owner, organization_id).await?;
    }
    let id = on_tx!(&mut tx, conn => sqlx::query_scalar::<_, i64>("INSERT INTO matrix_rows (organization_id, \
        position, area, known_now, verify_in_tenant, why_it_matters, measure, owner_user_id, updated_at) \
        VALUES ($1, (SELECT COALESCE(MAX(position), 0) + 10 FROM matrix_rows WHERE organization_id = $1), \
        $2, $3, $4, $5, $6, $7, $8) RETURNING id")
        .bind(organization_id).bind(text.area.trim()).bind(text.known_now.trim())
        .bind(text.verify_in_tenant.trim()).bind(text.why_it_matters.trim())
        .bind(measure.map(|m| m.as_str())).bind(text.owner_user_id).bind(now)
        .fetch_one(conn).await)?;
    audited(tx, actor, organization_id, "matrix.add", None, id, now).await
}

/// Attaches what the system measures for the row's [`Measure`] as its evidence: the observed
/// posting cadence of the last successful sync, or the applied mapping. Refused when the row
/// has no measurement or nothing was measured yet.
pub async fn attach_measurement(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<MatrixRow> {
    let mut tx = db.begin().await?;
    let before = get_in(&mut tx, organization_id, id).await?;
    drop(tx);
    let Some(measure) = before.measure else {
        return Err(ControlError::Invalid(format!(
            "the system measures nothing for \"{}\": write the evidence as a note",
            before.area
        )));
    };
    let text = measurement(db, organization_id, measure).await?;
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("UPDATE matrix_rows SET measurement = $1, \
        measured_at = $2, updated_at = $2 WHERE organization_id = $3 AND id = $4")
        .bind(&text).bind(now).bind(organization_id).bind(id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    audited(
        tx,
        actor,
        organization_id,
        "matrix.attach",
        Some(&before),
        id,
        now,
    )
    .await
}

/// What the system can say for a measurement right now.
pub async fn measurement(db: &Db, organization_id: i64, measure: Measure) -> Result<String> {
    match measure {
        Measure::Cadence => {
            let run = crate::runs::last_success(db, organization_id)
                .await?
                .ok_or_else(|| {
                    ControlError::Conflict(
                        "no sync has succeeded yet: there is no observed cadence to attach".into(),
                    )
                })?;
            let lag: Vec<crate::telemetry::LagStats> =
                serde_json::from_value(run.stats.get("lag").cloned().unwrap_or_default())
                    .unwrap_or_default();
            if lag.is_empty() {
                return Err(ControlError::Conflict(format!(
                    "sync #{} matched no posting with a creation time: there is no observed cadence to attach",
                    run.id
                )));
            }
            Ok(super::cadence_evidence(&lag, run.id, run.finished_at))
        }
        Measure::Mapping => {
            let m = crate::mappings::active(db, organization_id)
                .await?
                .ok_or_else(|| {
                    ControlError::Conflict(
                        "no mapping is applied yet: there is no mapping to attach".into(),
                    )
                })?;
            let accounts = crate::catalog::accounts(db, organization_id).await?;
            let name = |id: &str| {
                accounts
                    .iter()
                    .find(|a| a.account_id == id)
                    .map_or_else(|| format!("account {id}"), |a| a.name.clone())
            };
            let pairs: Vec<String> = m
                .accounts
                .iter()
                .map(|(currency, account)| format!("Wise {currency} → {}", name(account)))
                .collect();
            let fees = m.fee_account_id.as_deref().map_or_else(
                || "no Bank Charges account".into(),
                |f| format!("fees → {}", name(f)),
            );
            let since = m
                .decided_at
                .map(|t| format!(", applied {}", t.format("%Y-%m-%d")))
                .unwrap_or_default();
            let test = m
                .test_run_id
                .map(|r| format!("; test batch #{r} passed"))
                .unwrap_or_default();
            Ok(format!(
                "Mapping #{}{since}: {}; {fees}{test}.",
                m.id,
                pairs.join(", ")
            ))
        }
    }
}
