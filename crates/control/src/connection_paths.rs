//! Storage of the documented connection paths (see [`crate::connection_path`]). Every change
//! is audited with the record before and after.

use crate::audit::{self, Actor, Change};
use crate::connection_path::{ConnectionPath, PathKind, TestStatus};
use crate::db::{Db, on_pool, on_tx};
use crate::error::{ControlError, Result};
use chrono::{DateTime, NaiveDate, Utc};

#[derive(sqlx::FromRow)]
struct Row {
    path: String,
    owner_user_id: Option<i64>,
    owner_name: Option<String>,
    set_up_on: Option<NaiveDate>,
    authorized_on: Option<NaiveDate>,
    renews_on: Option<NaiveDate>,
    test_status: String,
    notes: String,
}

impl Row {
    fn into_path(self) -> Result<ConnectionPath> {
        let bad = |e: String| ControlError::Internal(format!("stored connection path: {e}"));
        Ok(ConnectionPath {
            kind: self.path.parse().map_err(bad)?,
            owner_user_id: self.owner_user_id,
            owner_name: self.owner_name,
            set_up_on: self.set_up_on,
            authorized_on: self.authorized_on,
            renews_on: self.renews_on,
            test_status: self.test_status.parse().map_err(bad)?,
            notes: self.notes,
        })
    }
}

const SELECT: &str = "SELECT p.path, p.owner_user_id, u.display_name AS owner_name, p.set_up_on, \
    p.authorized_on, p.renews_on, p.test_status, p.notes \
    FROM connection_paths p LEFT JOIN users u ON u.id = p.owner_user_id";

/// Both paths of an organization, in a fixed order; a path never edited comes back empty.
pub async fn list(db: &Db, organization_id: i64) -> Result<Vec<ConnectionPath>> {
    let q = format!("{SELECT} WHERE p.organization_id = $1");
    let rows = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).fetch_all(pool).await)?;
    let stored: Vec<ConnectionPath> = rows
        .into_iter()
        .map(Row::into_path)
        .collect::<Result<_>>()?;
    Ok(PathKind::ALL
        .into_iter()
        .map(|kind| {
            stored
                .iter()
                .find(|p| p.kind == kind)
                .cloned()
                .unwrap_or_else(|| ConnectionPath::empty(kind))
        })
        .collect())
}

/// What the owner edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathUpdate {
    pub owner_user_id: Option<i64>,
    pub set_up_on: Option<NaiveDate>,
    pub authorized_on: Option<NaiveDate>,
    pub renews_on: Option<NaiveDate>,
    pub test_status: TestStatus,
    pub notes: String,
}

const MAX_NOTES: usize = 4000;

/// Saves one path's record.
pub async fn update(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    kind: PathKind,
    change: PathUpdate,
    now: DateTime<Utc>,
) -> Result<ConnectionPath> {
    if change.notes.chars().count() > MAX_NOTES {
        return Err(ControlError::Invalid(format!(
            "notes may have at most {MAX_NOTES} characters"
        )));
    }
    if let (Some(from), Some(to)) = (change.authorized_on, change.renews_on)
        && to < from
    {
        return Err(ControlError::Invalid(
            "the renewal date is before the authorization date".into(),
        ));
    }
    if let (Some(set_up), Some(authorized)) = (change.set_up_on, change.authorized_on)
        && authorized < set_up
    {
        return Err(ControlError::Invalid(
            "the authorization date is before the set-up date".into(),
        ));
    }
    let before = list(db, organization_id)
        .await?
        .into_iter()
        .find(|p| p.kind == kind)
        .unwrap_or_else(|| ConnectionPath::empty(kind));
    let mut tx = db.begin().await?;
    if let Some(owner) = change.owner_user_id {
        crate::members::require_active_member(&mut tx, owner, organization_id).await?;
    }
    const UPSERT: &str = "INSERT INTO connection_paths \
        (organization_id, path, owner_user_id, set_up_on, authorized_on, renews_on, test_status, notes, updated_at) \
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
        ON CONFLICT (organization_id, path) DO UPDATE SET owner_user_id = EXCLUDED.owner_user_id, \
        set_up_on = EXCLUDED.set_up_on, authorized_on = EXCLUDED.authorized_on, \
        renews_on = EXCLUDED.renews_on, test_status = EXCLUDED.test_status, notes = EXCLUDED.notes, \
        updated_at = EXCLUDED.updated_at";
    on_tx!(&mut tx, conn => sqlx::query(UPSERT)
        .bind(organization_id)
        .bind(kind.as_str())
        .bind(change.owner_user_id)
        .bind(change.set_up_on)
        .bind(change.authorized_on)
        .bind(change.renews_on)
        .bind(change.test_status.as_str())
        .bind(&change.notes)
        .bind(now)
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    let after = ConnectionPath {
        kind,
        owner_user_id: change.owner_user_id,
        owner_name: None,
        set_up_on: change.set_up_on,
        authorized_on: change.authorized_on,
        renews_on: change.renews_on,
        test_status: change.test_status,
        notes: change.notes,
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "connection_path.update",
            subject: format!("connection_path:{kind}"),
            before: Some(record_json(&before)),
            after: Some(record_json(&after)),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    list(db, organization_id)
        .await?
        .into_iter()
        .find(|p| p.kind == kind)
        .ok_or(ControlError::NotFound("connection path"))
}

fn record_json(p: &ConnectionPath) -> serde_json::Value {
    serde_json::json!({
        "owner_user_id": p.owner_user_id,
        "set_up_on": p.set_up_on,
        "authorized_on": p.authorized_on,
        "renews_on": p.renews_on,
        "test_status": p.test_status,
        "notes": p.notes,
    })
}
