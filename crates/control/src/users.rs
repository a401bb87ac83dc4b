//! People who can sign in. A person is global; what they may do is per organization
//! (see [`crate::members`]).

use crate::db::{Db, Tx, on_pool, on_tx};
use crate::email::Email;
use crate::error::{ControlError, Result};
use crate::password;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub created_at: DateTime<Utc>,
}

/// The stored hash never leaves this module's callers in the storage layer: it has no
/// `Serialize`, so it cannot reach the browser by accident.
#[derive(sqlx::FromRow)]
struct Credentials {
    id: i64,
    active: bool,
    password_hash: String,
}

const COLUMNS: &str = "id, email, display_name, active, created_at";

/// A display name as typed: trimmed, 1–100 characters.
pub fn parse_display_name(input: &str) -> Result<String> {
    let name = input.trim();
    if name.is_empty() {
        return Err(ControlError::invalid("enter a name"));
    }
    if name.chars().count() > 100 {
        return Err(ControlError::invalid(
            "the name may have at most 100 characters",
        ));
    }
    Ok(name.to_string())
}

pub async fn get(db: &Db, id: i64) -> Result<Option<User>> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE id = $1");
    Ok(on_pool!(db, pool => sqlx::query_as::<_, User>(&q).bind(id).fetch_optional(pool).await)?)
}

pub async fn by_email(db: &Db, email: &Email) -> Result<Option<User>> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    Ok(on_pool!(db, pool => sqlx::query_as::<_, User>(&q)
        .bind(email.as_str())
        .fetch_optional(pool)
        .await)?)
}

pub async fn count(db: &Db) -> Result<i64> {
    Ok(
        on_pool!(db, pool => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await)?,
    )
}

/// Checks an e-mail and password. Unknown e-mail, wrong password and a deactivated account
/// all give the same [`ControlError::BadCredentials`], after the same amount of work.
pub async fn authenticate(db: &Db, email: &str, password: String) -> Result<User> {
    let creds = match Email::parse(email) {
        Ok(email) => on_pool!(db, pool => sqlx::query_as::<_, Credentials>(
                "SELECT id, active, password_hash FROM users WHERE email = $1")
            .bind(email.as_str())
            .fetch_optional(pool)
            .await)?,
        Err(_) => None,
    };
    let stored = creds.as_ref().map(|c| c.password_hash.clone());
    let ok = password::verify(password, stored).await?;
    match creds {
        Some(c) if ok && c.active => get(db, c.id).await?.ok_or(ControlError::BadCredentials),
        _ => Err(ControlError::BadCredentials),
    }
}

pub(crate) async fn by_email_in(tx: &mut Tx, email: &Email) -> Result<Option<User>> {
    let q = format!("SELECT {COLUMNS} FROM users WHERE email = $1");
    Ok(on_tx!(tx, conn => sqlx::query_as::<_, User>(&q)
        .bind(email.as_str())
        .fetch_optional(conn)
        .await)?)
}

pub(crate) async fn insert(
    tx: &mut Tx,
    email: &Email,
    display_name: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<i64> {
    const Q: &str = "INSERT INTO users (email, display_name, password_hash, active, created_at) \
        VALUES ($1, $2, $3, $4, $5) RETURNING id";
    Ok(on_tx!(tx, conn => sqlx::query_scalar::<_, i64>(Q)
        .bind(email.as_str())
        .bind(display_name)
        .bind(password_hash)
        .bind(true)
        .bind(now)
        .fetch_one(conn)
        .await)?)
}
