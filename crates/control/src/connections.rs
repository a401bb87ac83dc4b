//! The live connections of an organization to QBO and Wise. Tokens and keys are sealed with
//! the [`Vault`] (bound to organization and provider) before they reach the database, are
//! opened only to make an API call, and never appear in what this module returns.

use crate::audit::{self, Actor, Change};
use crate::db::{Db, on_pool, on_tx};
use crate::error::{ControlError, Result};
use crate::secrets::Vault;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Qbo,
    Wise,
}

impl Provider {
    pub fn as_str(self) -> &'static str {
        match self {
            Provider::Qbo => "qbo",
            Provider::Wise => "wise",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Provider::Qbo => "QuickBooks Online",
            Provider::Wise => "Wise",
        }
    }
    fn parse(s: &str) -> Result<Provider> {
        match s {
            "qbo" => Ok(Provider::Qbo),
            "wise" => Ok(Provider::Wise),
            other => Err(ControlError::Internal(format!("stored provider {other:?}"))),
        }
    }
}

/// What is stored about a connection, minus the secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub provider: Provider,
    /// `connected`, `failing` (the last call failed) or `disconnected`.
    pub status: String,
    /// `oauth` or `personal_token`.
    pub auth_kind: String,
    /// QBO realm id or Wise profile id.
    pub external_id: String,
    /// Company or profile name.
    pub display_name: String,
    /// When the authorization runs out (QBO refresh token deadline, Wise OAuth grant).
    pub expires_at: Option<DateTime<Utc>>,
    pub connected_at: DateTime<Utc>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub last_error_at: Option<DateTime<Utc>>,
    /// Facts learned on connect (QBO multicurrency, home currency; Wise profile type…).
    pub facts: serde_json::Value,
}

impl Connection {
    pub fn is_live(&self) -> bool {
        self.status != "disconnected"
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    provider: String,
    status: String,
    auth_kind: String,
    external_id: String,
    display_name: String,
    expires_at: Option<DateTime<Utc>>,
    connected_at: DateTime<Utc>,
    last_success_at: Option<DateTime<Utc>>,
    last_error: Option<String>,
    last_error_at: Option<DateTime<Utc>>,
    facts: String,
}

impl Row {
    fn into_connection(self) -> Result<Connection> {
        Ok(Connection {
            provider: Provider::parse(&self.provider)?,
            status: self.status,
            auth_kind: self.auth_kind,
            external_id: self.external_id,
            display_name: self.display_name,
            expires_at: self.expires_at,
            connected_at: self.connected_at,
            last_success_at: self.last_success_at,
            last_error: self.last_error,
            last_error_at: self.last_error_at,
            facts: serde_json::from_str(&self.facts).unwrap_or_default(),
        })
    }
}

const SELECT: &str = "SELECT provider, status, auth_kind, external_id, display_name, expires_at, \
    connected_at, last_success_at, last_error, last_error_at, facts FROM connections";

/// The organization's connections (live or disconnected), QBO first.
pub async fn list(db: &Db, organization_id: i64) -> Result<Vec<Connection>> {
    let q = format!("{SELECT} WHERE organization_id = $1 ORDER BY provider");
    let rows = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q).bind(organization_id).fetch_all(pool).await)?;
    rows.into_iter().map(Row::into_connection).collect()
}

pub async fn get(db: &Db, organization_id: i64, provider: Provider) -> Result<Option<Connection>> {
    let q = format!("{SELECT} WHERE organization_id = $1 AND provider = $2");
    let row = on_pool!(db, pool => sqlx::query_as::<_, Row>(&q)
        .bind(organization_id)
        .bind(provider.as_str())
        .fetch_optional(pool)
        .await)?;
    row.map(Row::into_connection).transpose()
}

fn context(organization_id: i64, provider: Provider) -> String {
    format!("connection:{organization_id}:{}", provider.as_str())
}

/// The opened secret of a live connection (JSON whose shape the caller owns).
pub async fn secret(
    db: &Db,
    vault: &Vault,
    organization_id: i64,
    provider: Provider,
) -> Result<Option<String>> {
    const Q: &str = "SELECT secret FROM connections WHERE organization_id = $1 AND provider = $2 \
        AND status <> 'disconnected'";
    let sealed = on_pool!(db, pool => sqlx::query_scalar::<_, String>(Q)
        .bind(organization_id)
        .bind(provider.as_str())
        .fetch_optional(pool)
        .await)?;
    sealed
        .map(|s| {
            vault
                .open(&context(organization_id, provider), &s)
                .map_err(|e| ControlError::Internal(format!("stored credentials: {e}")))
        })
        .transpose()
}

/// A connection being made.
#[derive(Clone, Debug)]
pub struct NewConnection {
    pub provider: Provider,
    pub auth_kind: &'static str,
    pub external_id: String,
    pub display_name: String,
    /// Plain secret JSON; sealed before it is stored.
    pub secret: String,
    pub expires_at: Option<DateTime<Utc>>,
    pub facts: serde_json::Value,
}

/// Saves (or replaces) a connection as `connected`; audited without the secret.
pub async fn save(
    db: &Db,
    vault: &Vault,
    actor: &Actor,
    organization_id: i64,
    new: NewConnection,
    now: DateTime<Utc>,
) -> Result<Connection> {
    let sealed = vault.seal(&context(organization_id, new.provider), &new.secret);
    let before = get(db, organization_id, new.provider).await?;
    const UPSERT: &str = "INSERT INTO connections (organization_id, provider, status, auth_kind, \
        external_id, display_name, secret, expires_at, connected_by, connected_at, facts, updated_at) \
        VALUES ($1, $2, 'connected', $3, $4, $5, $6, $7, $8, $9, $10, $9) \
        ON CONFLICT (organization_id, provider) DO UPDATE SET status = 'connected', \
        auth_kind = EXCLUDED.auth_kind, external_id = EXCLUDED.external_id, \
        display_name = EXCLUDED.display_name, secret = EXCLUDED.secret, \
        expires_at = EXCLUDED.expires_at, connected_by = EXCLUDED.connected_by, \
        connected_at = EXCLUDED.connected_at, facts = EXCLUDED.facts, last_error = NULL, \
        last_error_at = NULL, updated_at = EXCLUDED.updated_at";
    let mut tx = db.begin().await?;
    on_tx!(&mut tx, conn => sqlx::query(UPSERT)
        .bind(organization_id)
        .bind(new.provider.as_str())
        .bind(new.auth_kind)
        .bind(&new.external_id)
        .bind(&new.display_name)
        .bind(&sealed)
        .bind(new.expires_at)
        .bind(actor.user_id)
        .bind(now)
        .bind(new.facts.to_string())
        .execute(conn)
        .await
        .map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "connection.connect",
            subject: format!("connection:{}", new.provider.as_str()),
            before: before.as_ref().map(public_json),
            after: Some(serde_json::json!({
                "auth_kind": new.auth_kind, "external_id": new.external_id,
                "display_name": new.display_name, "expires_at": new.expires_at,
            })),
        },
        now,
    )
    .await?;
    tx.commit().await?;
    get(db, organization_id, new.provider)
        .await?
        .ok_or(ControlError::NotFound("connection"))
}

fn public_json(c: &Connection) -> serde_json::Value {
    serde_json::json!({
        "status": c.status, "auth_kind": c.auth_kind, "external_id": c.external_id,
        "display_name": c.display_name, "expires_at": c.expires_at,
    })
}

/// Replaces the sealed secret after a token refresh (no audit: nothing a person changed).
pub async fn store_secret(
    db: &Db,
    vault: &Vault,
    organization_id: i64,
    provider: Provider,
    secret: &str,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let sealed = vault.seal(&context(organization_id, provider), secret);
    const Q: &str = "UPDATE connections SET secret = $1, expires_at = $2, updated_at = $3 \
        WHERE organization_id = $4 AND provider = $5 AND status <> 'disconnected'";
    on_pool!(db, pool => sqlx::query(Q)
        .bind(&sealed)
        .bind(expires_at)
        .bind(now)
        .bind(organization_id)
        .bind(provider.as_str())
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a successful call: the connection is healthy.
pub async fn mark_success(
    db: &Db,
    organization_id: i64,
    provider: Provider,
    now: DateTime<Utc>,
) -> Result<()> {
    const Q: &str = "UPDATE connections SET status = 'connected', last_success_at = $1, \
        last_error = NULL, last_error_at = NULL, updated_at = $1 \
        WHERE organization_id = $2 AND provider = $3 AND status <> 'disconnected'";
    on_pool!(db, pool => sqlx::query(Q).bind(now).bind(organization_id).bind(provider.as_str()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Records a failed call with its reason in plain words.
pub async fn mark_failure(
    db: &Db,
    organization_id: i64,
    provider: Provider,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    const Q: &str = "UPDATE connections SET status = 'failing', last_error = $1, last_error_at = $2, \
        updated_at = $2 WHERE organization_id = $3 AND provider = $4 AND status <> 'disconnected'";
    on_pool!(db, pool => sqlx::query(Q).bind(reason).bind(now).bind(organization_id).bind(provider.as_str()).execute(pool).await.map(|r| r.rows_affected()))?;
    Ok(())
}

/// Marks a connection disconnected and wipes its secret (the caller revokes first).
pub async fn disconnect(
    db: &Db,
    actor: &Actor,
    organization_id: i64,
    provider: Provider,
    now: DateTime<Utc>,
) -> Result<()> {
    let before = get(db, organization_id, provider)
        .await?
        .ok_or(ControlError::NotFound("connection"))?;
    let mut tx = db.begin().await?;
    const Q: &str = "UPDATE connections SET status = 'disconnected', secret = '', expires_at = NULL, \
        updated_at = $1 WHERE organization_id = $2 AND provider = $3";
    on_tx!(&mut tx, conn => sqlx::query(Q).bind(now).bind(organization_id).bind(provider.as_str()).execute(conn).await.map(|r| r.rows_affected()))?;
    audit::record(
        &mut tx,
        actor,
        Change {
            organization_id: Some(organization_id),
            action: "connection.disconnect",
            subject: format!("connection:{}", provider.as_str()),
            before: Some(public_json(&before)),
            after: Some(serde_json::json!({"status": "disconnected"})),
        },
        now,
    )
    .await?;
    tx.commit().await
}

/// Organizations whose live connection to `provider` has this external id (a webhook's
/// profile or realm).
pub async fn organizations_by_external(
    db: &Db,
    provider: Provider,
    external_id: &str,
) -> Result<Vec<i64>> {
    const Q: &str = "SELECT organization_id FROM connections WHERE provider = $1 \
        AND external_id = $2 AND status <> 'disconnected' ORDER BY organization_id";
    Ok(
        on_pool!(db, pool => sqlx::query_scalar::<_, i64>(Q).bind(provider.as_str()).bind(external_id).fetch_all(pool).await)?,
    )
}
