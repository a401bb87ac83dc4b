//! Which organization is the demo (on servers started without Wise/QBO configuration) and the
//! day its seeded activity ends, so a restart seeds the emulators with the same data.

use crate::db::{Db, on_pool};
use crate::error::Result;
use chrono::NaiveDate;

pub async fn get(db: &Db) -> Result<Option<(i64, NaiveDate)>> {
    const Q: &str = "SELECT organization_id, anchor FROM demo WHERE id = 1";
    Ok(on_pool!(db, pool => sqlx::query_as(Q).fetch_optional(pool).await)?)
}

pub async fn remember(db: &Db, organization_id: i64, anchor: NaiveDate) -> Result<()> {
    const Q: &str = "INSERT INTO demo (id, organization_id, anchor) VALUES (1, $1, $2)";
    on_pool!(db, pool => sqlx::query(Q).bind(organization_id).bind(anchor).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}
