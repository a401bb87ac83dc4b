//! Organizations: the client businesses whose books Clearline watches.

use crate::audit::{self, Actor, Change};
use crate::db::{Db, Tx, on_pool, on_tx};
use crate::error::{ControlError, Result};
use crate::role::Role;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// An organization name as typed: trimmed, 1–120 characters.
pub fn parse_name(input: &str) -> Result<String> {
    let name = input.trim();
    if name.is_empty() {
        return Err(ControlError::invalid("enter the organization's name"));
    }
    if name.chars().count() > 120 {
        return Err(ControlError::invalid(
            "the organization name may have at most 120 characters",
        ));
    }
    Ok(name.to_string())
}

pub async fn get(db: &Db, id: i64) -> Result<Option<Organization>> {
    const Q: &str = "SELECT id, name, created_at FROM organizations WHERE id = $1";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, Organization>(Q).bind(id).fetch_optional(pool).await)?,
    )
}

pub(crate) async fn by_name_in(tx: &mut Tx, name: &str) -> Result<Option<Organization>> {
    const Q: &str = "SELECT id, name, created_at FROM organizations WHERE name = $1";
    Ok(
        on_tx!(tx, conn => sqlx::query_as::<_, Organization>(Q).bind(name).fetch_optional(conn).await)?,
    )
}

pub(crate) async fn insert(tx: &mut Tx, name: &str, now: DateTime<Utc>) -> Result<i64> {
    const Q: &str = "INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id";
    Ok(
        on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(Q).bind(name).bind(now).fetch_one(conn).await)?,
    )
}

/// Creates an organization with `owner_user_id` as its owner (for someone who serves
/// several client businesses from one login).
pub async fn create_with_owner(
    db: &Db,
    actor: &Actor,
    name: &str,
    owner_user_id: i64,
    now: DateTime<Utc>,
) -> Result<i64> {
    let name = parse_name(name)?;
    let mut tx = db.begin().await?;
    let id = create_in(&mut tx, actor, &name, now).await?;
    crate::members::insert_membership_in(&mut tx, actor, owner_user_id, id, Role::Owner, now)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// Creates an organization (refusing a name that exists) and audits it.
pub(crate) async fn create_in(
    tx: &mut Tx,
    actor: &Actor,
    name: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    if by_name_in(tx, name).await?.is_some() {
        return Err(ControlError::Conflict(format!(
            "an organization named {name:?} exists already"
        )));
    }
    let id = insert(tx, name, now).await?;
    crate::playbook::seed::seed_in(tx, id, now).await?;
    audit::record(
        tx,
        actor,
        Change {
            organization_id: Some(id),
            action: "organization.create",
            subject: format!("organization:{id}"),
            before: None,
            after: Some(serde_json::json!({"name": name})),
        },
        now,
    )
    .await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_required() {
        assert_eq!(parse_name("  Studio Nord ").unwrap(), "Studio Nord");
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(121)).is_err());
    }
}
