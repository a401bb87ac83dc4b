//! What the connections list, kept so the mapping screen renders without an API call: the
//! Wise balances of the chosen profile and the QBO chart of accounts.

use crate::db::{Db, on_pool, on_tx};
use crate::error::Result;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct WiseBalance {
    pub currency: String,
    pub balance_id: i64,
    pub profile_id: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct QboAccount {
    pub account_id: String,
    pub name: String,
    pub account_type: String,
    pub currency: Option<String>,
    pub active: bool,
}

/// Replaces the stored balances with `balances`.
pub async fn replace_balances(
    db: &Db,
    organization_id: i64,
    balances: &[WiseBalance],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("DELETE FROM wise_balances WHERE organization_id = $1")
        .bind(organization_id).execute(conn).await.map(|r| r.rows_affected()))?;
    for b in balances {
        on_tx!(&mut tx, conn => sqlx::query("INSERT INTO wise_balances (organization_id, currency, balance_id, profile_id, updated_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(organization_id).bind(&b.currency).bind(b.balance_id).bind(b.profile_id).bind(now)
            .execute(conn).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await
}

pub async fn balances(db: &Db, organization_id: i64) -> Result<Vec<WiseBalance>> {
    const Q: &str = "SELECT currency, balance_id, profile_id FROM wise_balances \
        WHERE organization_id = $1 ORDER BY currency";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, WiseBalance>(Q).bind(organization_id).fetch_all(pool).await)?,
    )
}

/// Replaces the stored chart of accounts with `accounts`.
pub async fn replace_accounts(
    db: &Db,
    organization_id: i64,
    accounts: &[QboAccount],
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query("DELETE FROM qbo_accounts WHERE organization_id = $1")
        .bind(organization_id).execute(conn).await.map(|r| r.rows_affected()))?;
    for a in accounts {
        on_tx!(&mut tx, conn => sqlx::query("INSERT INTO qbo_accounts (organization_id, account_id, name, account_type, currency, active, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(organization_id).bind(&a.account_id).bind(&a.name).bind(&a.account_type)
            .bind(&a.currency).bind(a.active).bind(now)
            .execute(conn).await.map(|r| r.rows_affected()))?;
    }
    tx.commit().await
}

pub async fn accounts(db: &Db, organization_id: i64) -> Result<Vec<QboAccount>> {
    const Q: &str = "SELECT account_id, name, account_type, currency, active FROM qbo_accounts \
        WHERE organization_id = $1 ORDER BY account_type, name";
    Ok(
        on_pool!(db, pool => sqlx::query_as::<_, QboAccount>(Q).bind(organization_id).fetch_all(pool).await)?,
    )
}
