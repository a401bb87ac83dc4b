//! Support & escalation (DESIGN.md screen 11; the playbook's "Support path" and "Unclear
//! support path" rows): the vendor contacts to call when the connection breaks, the internal
//! escalation owner (kept in [`crate::settings`]) and the incident log. Every change audited.

use crate::audit::{self, Actor, Change};
use crate::db::{Db, on_pool, on_tx};
use crate::error::{ControlError, Result};
use crate::incident::{IncidentStatus, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

const MAX_SHORT: usize = 200;
const MAX_NOTES: usize = 4000;

fn text(field: &str, value: &str, required: bool, max: usize) -> Result<String> {
    let v = value.trim();
    if required && v.is_empty() {
        return Err(ControlError::invalid(format!("{field} is required")));
    }
    if v.chars().count() > max {
        return Err(ControlError::invalid(format!(
            "{field} may have at most {max} characters"
        )));
    }
    Ok(v.to_string())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct VendorContact {
    pub id: i64,
    pub name: String,
    pub company: String,
    /// How to reach them: e-mail, phone, portal URL.
    pub channel: String,
    pub notes: String,
    pub updated_at: DateTime<Utc>,
}

/// A contact as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContactInput {
    pub name: String,
    pub company: String,
    pub channel: String,
    pub notes: String,
}

impl ContactInput {
    fn checked(&self) -> Result<ContactInput> {
        Ok(ContactInput {
            name: text("the name", &self.name, true, MAX_SHORT)?,
            company: text("the company", &self.company, true, MAX_SHORT)?,
            channel: text("the channel", &self.channel, true, MAX_SHORT)?,
            notes: text("the notes", &self.notes, false, MAX_NOTES)?,
        })
    }
}

fn contact_json(c: &ContactInput) -> serde_json::Value {
    json!({"name": c.name, "company": c.company, "channel": c.channel, "notes": c.notes})
}

pub async fn contacts(db: &Db, organization_id: i64) -> Result<Vec<VendorContact>> {
    const Q: &str = "SELECT id, name, company, channel, notes, updated_at FROM vendor_contacts \
        WHERE organization_id = $1 ORDER BY company, name, id";
    Ok(on_pool!(db, pool => sqlx::query_as::<_, VendorContact>(Q)
        .bind(organization_id).fetch_all(pool).await)?)
}

async fn contact(db: &Db, organization_id: i64, id: i64) -> Result<VendorContact> {
    const Q: &str = "SELECT id, name, company, channel, notes, updated_at FROM vendor_contacts \
        WHERE organization_id = $1 AND id = $2";
    on_pool!(db, pool => sqlx::query_as::<_, VendorContact>(Q)
        .bind(organization_id).bind(id).fetch_optional(pool).await)?
    .ok_or(ControlError::NotFound("vendor contact"))
}

/// Adds a contact (`id` = `None`) or changes one; returns its id.
pub async fn save_contact(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: Option<i64>,
    input: ContactInput,
    now: DateTime<Utc>,
) -> Result<i64> {
    let input = input.checked()?;
    let before = match id {
        Some(id) => Some(contact(db, organization_id, id).await?),
        None => None,
    };
    let mut tx = db.begin().await?;
    let id = match id {
        Some(id) => {
            const Q: &str = "UPDATE vendor_contacts SET name = $1, company = $2, channel = $3, \
                notes = $4, updated_at = $5 WHERE organization_id = $6 AND id = $7";
            on_tx!(&mut tx, conn => sqlx::query(Q)
                .bind(&input.name).bind(&input.company).bind(&input.channel).bind(&input.notes)
                .bind(now).bind(organization_id).bind(id)
                .execute(conn).await.map(|r| r.rows_affected()))?;
            id
        }
        None => {
            const Q: &str = "INSERT INTO vendor_contacts (organization_id, name, company, channel, \
                notes, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id";
            on_tx!(&mut tx, conn => sqlx::query_scalar::<_, i64>(Q)
                .bind(organization_id).bind(&input.name).bind(&input.company)
                .bind(&input.channel).bind(&input.notes).bind(now)
                .fetch_one(conn).await)?
        }
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: if before.is_some() {
                "support.contact_update"
            } else {
                "support.contact_add"
            },
            subject: format!("vendor_contact:{id}"),
            before: before.map(|c| {
                contact_json(&ContactInput {
                    name: c.name,
                    company: c.company,
                    channel: c.channel,
                    notes: c.notes,
                })
            }),
            after: Some(contact_json(&input)),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_contact(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = contact(db, organization_id, id).await?;
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("DELETE FROM vendor_contacts WHERE organization_id = $1 AND id = $2")
        .bind(organization_id).bind(id).execute(conn).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "support.contact_delete",
            subject: format!("vendor_contact:{id}"),
            before: Some(contact_json(&ContactInput {
                name: before.name,
                company: before.company,
                channel: before.channel,
                notes: before.notes,
            })),
            after: None,
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// Names (or clears) the internal escalation owner: the one setting the owner edits here.
pub async fn set_escalation_owner(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    owner: Option<i64>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut settings = crate::settings::get(db, organization_id).await?;
    settings.escalation_owner_id = owner;
    crate::settings::update(db, actor, organization_id, settings, now).await?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    pub title: String,
    pub severity: Severity,
    pub owner_user_id: Option<i64>,
    pub owner_name: Option<String>,
    pub status: IncidentStatus,
    pub notes: String,
    pub opened_at: DateTime<Utc>,
    pub opened_by_name: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct IncidentRow {
    id: i64,
    title: String,
    severity: String,
    owner_user_id: Option<i64>,
    owner_name: Option<String>,
    status: String,
    notes: String,
    opened_at: DateTime<Utc>,
    opened_by_name: Option<String>,
    closed_at: Option<DateTime<Utc>>,
}

impl IncidentRow {
    fn into_incident(self) -> Result<Incident> {
        Ok(Incident {
            id: self.id,
            title: self.title,
            severity: self.severity.parse().map_err(ControlError::Internal)?,
            owner_user_id: self.owner_user_id,
            owner_name: self.owner_name,
            status: self.status.parse().map_err(ControlError::Internal)?,
            notes: self.notes,
            opened_at: self.opened_at,
            opened_by_name: self.opened_by_name,
            closed_at: self.closed_at,
        })
    }
}

const INCIDENT_SELECT: &str = "SELECT i.id, i.title, i.severity, i.owner_user_id, \
    o.display_name AS owner_name, i.status, i.notes, i.opened_at, b.display_name AS opened_by_name, \
    i.closed_at FROM incidents i LEFT JOIN users o ON o.id = i.owner_user_id \
    LEFT JOIN users b ON b.id = i.opened_by";

/// Open incidents first, then the newest.
pub async fn incidents(db: &Db, organization_id: i64, limit: i64) -> Result<Vec<Incident>> {
    let q = format!(
        "{INCIDENT_SELECT} WHERE i.organization_id = $1 \
         ORDER BY (CASE WHEN i.status = 'open' THEN 0 ELSE 1 END), i.id DESC LIMIT $2"
    );
    let rows = on_pool!(db, pool => sqlx::query_as::<_, IncidentRow>(&q)
        .bind(organization_id).bind(limit).fetch_all(pool).await)?;
    rows.into_iter().map(IncidentRow::into_incident).collect()
}

pub async fn incident(db: &Db, organization_id: i64, id: i64) -> Result<Incident> {
    let q = format!("{INCIDENT_SELECT} WHERE i.organization_id = $1 AND i.id = $2");
    on_pool!(db, pool => sqlx::query_as::<_, IncidentRow>(&q)
        .bind(organization_id).bind(id).fetch_optional(pool).await)?
    .ok_or(ControlError::NotFound("incident"))?
    .into_incident()
}

fn incident_json(i: &Incident) -> serde_json::Value {
    json!({
        "title": i.title, "severity": i.severity, "owner_user_id": i.owner_user_id,
        "status": i.status, "notes": i.notes, "closed_at": i.closed_at,
    })
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewIncident {
    pub title: String,
    pub severity: Severity,
    pub owner_user_id: Option<i64>,
    pub notes: String,
}

/// Opens an incident; returns its id.
pub async fn open_incident(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    new: NewIncident,
    now: DateTime<Utc>,
) -> Result<i64> {
    let title = text("the title", &new.title, true, MAX_SHORT)?;
    let notes = text("the notes", &new.notes, false, MAX_NOTES)?;
    let mut tx = db.begin().await?;
    if let Some(owner) = new.owner_user_id {
        crate::members::require_active_member(&mut tx, owner, organization_id).await?;
    }
    const Q: &str = "INSERT INTO incidents (organization_id, title, severity, owner_user_id, status, \
        notes, opened_at, opened_by, updated_at) VALUES ($1, $2, $3, $4, 'open', $5, $6, $7, $6) \
        RETURNING id";
    let id: i64 = on_tx!(&mut tx, conn => sqlx::query_scalar(Q)
        .bind(organization_id).bind(&title).bind(new.severity.as_str()).bind(new.owner_user_id)
        .bind(&notes).bind(now).bind(actor.user_id)
        .fetch_one(conn).await)?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "support.incident_open",
            subject: format!("incident:{id}"),
            before: None,
            after: Some(json!({
                "title": title, "severity": new.severity, "owner_user_id": new.owner_user_id,
                "status": "open", "notes": notes,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What changes on an incident; closing stamps `closed_at`, reopening clears it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IncidentUpdate {
    pub severity: Severity,
    pub owner_user_id: Option<i64>,
    pub status: IncidentStatus,
    pub notes: String,
}

pub async fn update_incident(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    id: i64,
    change: IncidentUpdate,
    now: DateTime<Utc>,
) -> Result<Incident> {
    let notes = text("the notes", &change.notes, false, MAX_NOTES)?;
    let before = incident(db, organization_id, id).await?;
    let closed_at = match (before.status, change.status) {
        (_, IncidentStatus::Open) => None,
        (IncidentStatus::Closed, IncidentStatus::Closed) => before.closed_at,
        (IncidentStatus::Open, IncidentStatus::Closed) => Some(now),
    };
    let mut tx = db.begin().await?;
    if let Some(owner) = change.owner_user_id
        && Some(owner) != before.owner_user_id
    {
        crate::members::require_active_member(&mut tx, owner, organization_id).await?;
    }
    const Q: &str = "UPDATE incidents SET severity = $1, owner_user_id = $2, status = $3, notes = $4, \
        closed_at = $5, updated_at = $6 WHERE organization_id = $7 AND id = $8";
    on_tx!(&mut tx, conn => sqlx::query(Q)
        .bind(change.severity.as_str()).bind(change.owner_user_id).bind(change.status.as_str())
        .bind(&notes).bind(closed_at).bind(now).bind(organization_id).bind(id)
        .execute(conn).await.map(|r| r.rows_affected()))?;
    let after = Incident {
        severity: change.severity,
        owner_user_id: change.owner_user_id,
        status: change.status,
        notes,
        closed_at,
        ..before.clone()
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: match (before.status, change.status) {
                (IncidentStatus::Open, IncidentStatus::Closed) => "support.incident_close",
                (IncidentStatus::Closed, IncidentStatus::Open) => "support.incident_reopen",
                _ => "support.incident_update",
            },
            subject: format!("incident:{id}"),
            before: Some(incident_json(&before)),
            after: Some(incident_json(&after)),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    incident(db, organization_id, id).await
}

/// What the weekly control run reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counts {
    pub vendor_contacts: i64,
    pub open_incidents: i64,
}

pub async fn counts(db: &Db, organization_id: i64) -> Result<Counts> {
    const Q: &str = "SELECT \
        (SELECT COUNT(*) FROM vendor_contacts WHERE organization_id = $1), \
        (SELECT COUNT(*) FROM incidents WHERE organization_id = $1 AND status = 'open')";
    let (vendor_contacts, open_incidents): (i64, i64) =
        on_pool!(db, pool => sqlx::query_as(Q).bind(organization_id).fetch_one(pool).await)?;
    Ok(Counts {
        vendor_contacts,
        open_incidents,
    })
}
