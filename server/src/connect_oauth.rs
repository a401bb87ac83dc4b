//! The OAuth 2.0 authorization-code flows for the signed-in owner, QuickBooks and Wise (partner
//! OAuth, where the deployment is registered): `/connect/{provider}/start` sends the browser to
//! the provider (or the built-in emulator) with a one-time `state` kept in the session;
//! `/connect/{provider}/callback` checks it, exchanges the code, stores the connection with
//! its tokens sealed, and returns to the Connections screen with the outcome.

use app::ssr::guard::{Caller, current_caller};
use app::ssr::state::AppState;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use control::Role;
use control::connections::Provider;
use tower_sessions::Session;

const STATE_KEY: &str = "oauth_state";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connect/{provider}/start", get(start))
        .route("/connect/{provider}/callback", get(callback))
}

fn provider(name: &str) -> Option<Provider> {
    match name {
        "qbo" => Some(Provider::Qbo),
        "wise" => Some(Provider::Wise),
        _ => None,
    }
}

fn back(outcome: Result<Provider, String>) -> Response {
    let query = match outcome {
        Ok(p) => format!("connected={}", p.as_str()),
        Err(message) => format!(
            "error={}",
            url::form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>()
        ),
    };
    Redirect::to(&format!("/connections?{query}")).into_response()
}

async fn owner(state: &AppState, session: &Session) -> Result<Caller, Response> {
    match current_caller(&state.db, session).await {
        Ok(Some(c)) if c.role.allows(Role::Owner) => Ok(c),
        Ok(Some(_)) => Err((StatusCode::FORBIDDEN, "only an owner can connect").into_response()),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

/// The provider's consent URL and the state to expect back.
fn authorize(state: &AppState, provider: Provider, org: i64) -> Result<(String, String), String> {
    match provider {
        Provider::Qbo => {
            let client = control::sync::qbo_client(&state.sync_context("web"), org)
                .map_err(|e| e.message)?;
            let pending = client.oauth().authorize();
            Ok((pending.url.to_string(), pending.state.expose().to_string()))
        }
        Provider::Wise => {
            let config =
                state.connectors.wise_oauth.as_ref().ok_or(
                    "Wise partner OAuth is not configured on this server; use an API token",
                )?;
            let (url, csrf) = config.authorize_url().map_err(|e| e.to_string())?;
            Ok((url.to_string(), csrf))
        }
    }
}

async fn start(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
) -> Response {
    let Some(provider) = provider(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let caller = match owner(&state, &session).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let (url, expected) = match authorize(&state, provider, caller.organization_id) {
        Ok(v) => v,
        Err(message) => return back(Err(message)),
    };
    let saved = session
        .insert(
            STATE_KEY,
            (provider.as_str(), caller.organization_id, expected),
        )
        .await;
    if saved.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to(&url).into_response()
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(provider) = provider(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let caller = match owner(&state, &session).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let label = provider.label();
    let Ok(Some((kind, org, expected))) = session.remove::<(String, i64, String)>(STATE_KEY).await
    else {
        return back(Err(format!(
            "the {label} authorization expired or was already used; click Connect again"
        )));
    };
    if kind != provider.as_str() || org != caller.organization_id {
        return back(Err(format!(
            "the {label} authorization does not belong to this organization; click Connect again"
        )));
    }
    let query = query.unwrap_or_default();
    let ctx = state.sync_context("web");
    let result = match provider {
        Provider::Qbo => {
            let client = match control::sync::qbo_client(&ctx, org) {
                Ok(c) => c,
                Err(e) => return back(Err(e.message)),
            };
            let company = match client.connect(&qbo::Secret::new(expected), &query).await {
                Ok(c) => c,
                Err(e) => return back(Err(format!("QuickBooks: {e}"))),
            };
            let tokens = company.tokens().await;
            control::connect::qbo(&ctx, &caller.actor(), org, tokens, state.now()).await
        }
        Provider::Wise => {
            let params: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(query.as_bytes())
                    .into_owned()
                    .collect();
            if let Some(error) = params.get("error") {
                return back(Err(format!("Wise: authorization declined ({error})")));
            }
            let state_ok = params.get("state") == Some(&expected);
            let Some(code) = params.get("code").filter(|_| state_ok) else {
                return back(Err(
                    "Wise: the authorization answer did not match; click Connect again".into(),
                ));
            };
            let profile = params.get("profileId").and_then(|p| p.parse().ok());
            control::connect::wise_oauth(&ctx, &caller.actor(), org, code, profile, state.now())
                .await
        }
    };
    match result {
        Ok(_) => back(Ok(provider)),
        Err(e) => back(Err(e.to_string())),
    }
}
