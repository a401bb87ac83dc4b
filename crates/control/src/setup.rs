//! First-run setup: while nobody has an account, the server prints a one-time link whose
//! token lets one person create the first organization and become its owner.
//!
//! Only a SHA-256 of the token is stored. Using it is a single conditional UPDATE, so two
//! people racing with the same link cannot both succeed.

use crate::audit::Actor;
use crate::db::{Db, on_pool, on_tx};
use crate::email::Email;
use crate::error::{ControlError, Result};
use crate::members::{self, NewMember, Provisioned};
use crate::password::{self, NewPassword};
use crate::role::Role;
use crate::users;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};

/// What the first owner fills in.
#[derive(Clone, Debug)]
pub struct FirstOwner {
    pub organization_name: String,
    pub email: Email,
    pub display_name: String,
    pub password: NewPassword,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// Issues a fresh setup token if nobody has an account yet, and returns it (to print once).
/// Tokens issued at earlier starts and never used are withdrawn: only the newest link works.
pub async fn issue_token_if_needed(db: &Db, now: DateTime<Utc>) -> Result<Option<String>> {
    if users::count(db).await? > 0 {
        return Ok(None);
    }
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = hex::encode(bytes);
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("DELETE FROM setup_tokens WHERE used_at IS NULL")
        .execute(conn)
        .await.map(|r| r.rows_affected()))?;
    on_tx!(&mut tx, conn => sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
        .bind(token_hash(&token))
        .bind(now)
        .execute(conn)
        .await.map(|r| r.rows_affected()))?;
    tx.commit().await?;
    Ok(Some(token))
}

/// Whether `token` can still be used (for showing the form or a clear refusal).
pub async fn token_is_valid(db: &Db, token: &str) -> Result<bool> {
    const Q: &str = "SELECT COUNT(*) FROM setup_tokens WHERE token_hash = $1 AND used_at IS NULL";
    let n = on_pool!(db, pool => sqlx::query_scalar::<_, i64>(Q)
        .bind(token_hash(token))
        .fetch_one(pool)
        .await)?;
    Ok(n > 0)
}

pub const INVALID_TOKEN: &str = "this setup link is not valid or was already used; sign in, or restart Clearline to print a new link if nobody has an account yet";

/// Uses the token: creates the organization and its owner, and burns the token, all in one
/// transaction. Any failure leaves the token usable and nothing written.
pub async fn complete(
    db: &Db,
    token: &str,
    first: FirstOwner,
    now: DateTime<Utc>,
) -> Result<Provisioned> {
    let hash = password::hash(&first.password).await?;
    let mut tx = db.begin().await?;
    const BURN: &str =
        "UPDATE setup_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL";
    let burned = on_tx!(&mut tx, conn => sqlx::query(BURN)
        .bind(now)
        .bind(token_hash(token))
        .execute(conn)
        .await.map(|r| r.rows_affected()))?;
    if burned != 1 {
        return Err(ControlError::invalid(INVALID_TOKEN));
    }
    let actor = Actor::system(format!("setup:{}", first.email));
    let new = NewMember {
        email: first.email,
        display_name: first.display_name,
        role: Role::Owner,
        password: Some(first.password),
    };
    let done = members::provision_in(
        &mut tx,
        &actor,
        &first.organization_name,
        &new,
        Some(&hash),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(done)
}
