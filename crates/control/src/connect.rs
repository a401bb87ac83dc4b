//! Making a connection: check the credentials against the provider through the real client,
//! learn what the mapping needs (company name and preferences, profiles and balances, the chart
//! of accounts) and store the connection with its secret sealed.

use crate::audit::Actor;
use crate::catalog::{self, QboAccount, WiseBalance};
use crate::connections::{self, Connection, NewConnection, Provider};
use crate::error::{ControlError, Result};
use crate::sync::{Context, WiseSecret};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

fn provider_error(provider: Provider, e: impl std::fmt::Display) -> ControlError {
    ControlError::Invalid(format!("{}: {e}", provider.label()))
}

/// Stores a QBO connection from freshly obtained tokens (after the OAuth callback).
pub async fn qbo(
    ctx: &Context,
    actor: &Actor,
    organization_id: i64,
    tokens: qbo::Tokens,
    now: DateTime<Utc>,
) -> Result<Connection> {
    let fail = |e: crate::sync::Failure| ControlError::Invalid(e.message);
    let company = crate::sync::qbo_client(ctx, organization_id)
        .map_err(fail)?
        .company(tokens.clone());
    let info = company
        .company_info()
        .await
        .map_err(|e| provider_error(Provider::Qbo, e))?;
    let prefs = company
        .preferences()
        .await
        .map_err(|e| provider_error(Provider::Qbo, e))?;
    let accounts = qbo_accounts(&company).await?;
    let tokens = company.tokens().await;
    let conn = connections::save(
        &ctx.db,
        &ctx.vault,
        actor,
        organization_id,
        NewConnection {
            provider: Provider::Qbo,
            auth_kind: "oauth",
            external_id: tokens.realm_id.clone(),
            display_name: info
                .company_name
                .or(info.legal_name)
                .unwrap_or_else(|| format!("Company {}", tokens.realm_id)),
            secret: serde_json::to_string(&tokens)
                .map_err(|e| ControlError::Internal(e.to_string()))?,
            expires_at: Some(tokens.refresh_deadline()),
            facts: serde_json::json!({
                "multicurrency": prefs.multicurrency_enabled(),
                "home_currency": prefs.home_currency(),
                "country": info.country,
            }),
        },
        now,
    )
    .await?;
    catalog::replace_accounts(&ctx.db, organization_id, &accounts, now).await?;
    Ok(conn)
}

async fn qbo_accounts(company: &qbo::Company) -> Result<Vec<QboAccount>> {
    Ok(company
        .accounts(true)
        .await
        .map_err(|e| provider_error(Provider::Qbo, e))?
        .into_iter()
        .map(|a| QboAccount {
            account_id: a.id,
            name: a.name.unwrap_or_default(),
            account_type: a.account_type.unwrap_or_default(),
            currency: a.currency_ref.map(|c| c.value),
            active: a.active.unwrap_or(true),
        })
        .collect())
}

fn personal_client(ctx: &Context, token: &str) -> Result<wise::WiseClient> {
    wise::WiseClient::builder(
        ctx.connectors.wise_base_url.clone(),
        wise::Auth::Personal(token.into()),
    )
    .retry(ctx.connectors.wise_retry.clone())
    .build()
    .map_err(|e| provider_error(Provider::Wise, e))
}

/// A Wise profile the token can see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WiseProfile {
    pub id: i64,
    pub name: String,
    pub business: bool,
}

fn profiles_of(list: Vec<wise::api_types::Profile>) -> Vec<WiseProfile> {
    list.into_iter()
        .map(|p| WiseProfile {
            id: p.id,
            business: matches!(p.kind, wise::api_types::ProfileType::Business),
            name: p
                .business_name
                .clone()
                .or(p.full_name.clone())
                .unwrap_or_else(|| format!("Profile {}", p.id)),
        })
        .collect()
}

/// Checks a personal token and lists its profiles (nothing is stored).
pub async fn wise_profiles(ctx: &Context, token: &str) -> Result<Vec<WiseProfile>> {
    let client = personal_client(ctx, token)?;
    let profiles = client
        .profiles()
        .await
        .map_err(|e| provider_error(Provider::Wise, e))?;
    Ok(profiles_of(profiles))
}

/// The balance currencies of one profile the token can see (nothing is stored).
pub async fn wise_balance_currencies(
    ctx: &Context,
    token: &str,
    profile_id: i64,
) -> Result<Vec<String>> {
    let client = personal_client(ctx, token)?;
    let mut currencies: Vec<String> = client
        .balances(profile_id)
        .await
        .map_err(|e| provider_error(Provider::Wise, e))?
        .into_iter()
        .map(|b| b.currency)
        .collect();
    currencies.sort();
    Ok(currencies)
}

/// Stores a Wise connection made with a personal API token.
pub async fn wise(
    ctx: &Context,
    actor: &Actor,
    organization_id: i64,
    token: &str,
    sca_key_pem: Option<String>,
    profile_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Connection> {
    let token = token.trim();
    if token.is_empty() {
        return Err(ControlError::Invalid("enter the Wise API token".into()));
    }
    if let Some(pem) = &sca_key_pem {
        wise::PrivateKey::from_pem(pem).map_err(|e| {
            ControlError::Invalid(format!("the SCA private key is not a PEM RSA key: {e}"))
        })?;
    }
    let client = personal_client(ctx, token)?;
    let secret = WiseSecret::Personal {
        token: token.to_owned(),
        sca_key_pem,
    };
    save_wise(
        ctx,
        actor,
        organization_id,
        &client,
        secret,
        "personal_token",
        profile_id,
        now,
    )
    .await
}

/// Stores a Wise connection from partner OAuth: exchanges the one-time `code` of the redirect
/// (the profile the user chose comes with it as `profileId`).
pub async fn wise_oauth(
    ctx: &Context,
    actor: &Actor,
    organization_id: i64,
    code: &str,
    profile_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Connection> {
    let config = ctx.connectors.wise_oauth.clone().ok_or_else(|| {
        ControlError::Invalid("Wise partner OAuth is not configured on this server".into())
    })?;
    let session = wise::OAuthSession::exchange_code(config, code, None)
        .await
        .map_err(|e| provider_error(Provider::Wise, e))?;
    let secret = WiseSecret::from_tokens(&session.tokens().await);
    let client = wise::WiseClient::builder(
        ctx.connectors.wise_base_url.clone(),
        wise::Auth::OAuth(std::sync::Arc::new(session)),
    )
    .retry(ctx.connectors.wise_retry.clone())
    .build()
    .map_err(|e| provider_error(Provider::Wise, e))?;
    save_wise(
        ctx,
        actor,
        organization_id,
        &client,
        secret,
        "oauth",
        profile_id,
        now,
    )
    .await
}

/// Picks the profile (the given one, or the only business profile), lists its balances and
/// stores the connection.
#[allow(clippy::too_many_arguments)]
async fn save_wise(
    ctx: &Context,
    actor: &Actor,
    organization_id: i64,
    client: &wise::WiseClient,
    secret: WiseSecret,
    auth_kind: &'static str,
    profile_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Connection> {
    let profiles = profiles_of(
        client
            .profiles()
            .await
            .map_err(|e| provider_error(Provider::Wise, e))?,
    );
    let chosen = match profile_id {
        Some(id) => profiles.iter().find(|p| p.id == id).ok_or_else(|| {
            ControlError::Invalid("that profile is not visible to this token".into())
        })?,
        None => {
            let business: Vec<&WiseProfile> = profiles.iter().filter(|p| p.business).collect();
            match business.as_slice() {
                [one] => *one,
                [] => {
                    return Err(ControlError::Invalid(
                        "this token sees no business profile".into(),
                    ));
                }
                _ => {
                    return Err(ControlError::Invalid(
                        "this token sees several business profiles; pick one".into(),
                    ));
                }
            }
        }
    };
    let balances: Vec<WiseBalance> = client
        .balances(chosen.id)
        .await
        .map_err(|e| provider_error(Provider::Wise, e))?
        .into_iter()
        .map(|b| WiseBalance {
            currency: b.currency,
            balance_id: b.id,
            profile_id: chosen.id,
        })
        .collect();
    let conn = connections::save(
        &ctx.db,
        &ctx.vault,
        actor,
        organization_id,
        NewConnection {
            provider: Provider::Wise,
            auth_kind,
            external_id: chosen.id.to_string(),
            display_name: chosen.name.clone(),
            secret: serde_json::to_string(&secret)
                .map_err(|e| ControlError::Internal(e.to_string()))?,
            expires_at: None,
            facts: serde_json::json!({"business": chosen.business, "balances": balances.len()}),
        },
        now,
    )
    .await?;
    catalog::replace_balances(&ctx.db, organization_id, &balances, now).await?;
    Ok(conn)
}

/// Revokes (QBO) and forgets a connection.
pub async fn disconnect(
    ctx: &Context,
    actor: &Actor,
    organization_id: i64,
    provider: Provider,
    now: DateTime<Utc>,
) -> Result<()> {
    if provider == Provider::Qbo
        && let Some(secret) =
            connections::secret(&ctx.db, &ctx.vault, organization_id, provider).await?
        && let Ok(tokens) = serde_json::from_str::<qbo::Tokens>(&secret)
        && let Ok(client) = crate::sync::qbo_client(ctx, organization_id)
    {
        // Revocation failing (already revoked, Intuit down) must not keep a dead connection.
        if let Err(e) = client.company(tokens).revoke().await {
            tracing::warn!(organization = organization_id, error = %e, "QBO revoke failed");
        }
    }
    connections::disconnect(&ctx.db, actor, organization_id, provider, now).await
}
