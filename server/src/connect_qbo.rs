//! QuickBooks' OAuth 2.0 authorization-code flow for the signed-in owner: `/connect/qbo/start`
//! sends the browser to Intuit (or the built-in emulator) with a one-time `state` kept in the
//! session; `/connect/qbo/callback` checks it, exchanges the code, stores the connection with
//! its tokens sealed, and returns to the Connections screen with the outcome.

use app::ssr::guard::current_caller;
use app::ssr::state::AppState;
use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use control::Role;
use tower_sessions::Session;

const STATE_KEY: &str = "qbo_oauth_state";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/connect/qbo/start", get(start))
        .route("/connect/qbo/callback", get(callback))
}

fn back(outcome: Result<&str, String>) -> Response {
    let query = match outcome {
        Ok(done) => format!("connected={done}"),
        Err(message) => format!(
            "error={}",
            url::form_urlencoded::byte_serialize(message.as_bytes()).collect::<String>()
        ),
    };
    Redirect::to(&format!("/connections?{query}")).into_response()
}

async fn owner(state: &AppState, session: &Session) -> Result<app::ssr::guard::Caller, Response> {
    match current_caller(&state.db, session).await {
        Ok(Some(c)) if c.role.allows(Role::Owner) => Ok(c),
        Ok(Some(_)) => Err((
            StatusCode::FORBIDDEN,
            "only an owner can connect QuickBooks",
        )
            .into_response()),
        Ok(None) => Err(Redirect::to("/login").into_response()),
        Err(_) => Err(StatusCode::INTERNAL_SERVER_ERROR.into_response()),
    }
}

async fn start(State(state): State<AppState>, session: Session) -> Response {
    let caller = match owner(&state, &session).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let ctx = state.sync_context("web");
    let client = match control::sync::qbo_client(&ctx, caller.organization_id) {
        Ok(c) => c,
        Err(e) => return back(Err(e.message)),
    };
    let pending = client.oauth().authorize();
    let saved = session
        .insert(
            STATE_KEY,
            (caller.organization_id, pending.state.expose().to_string()),
        )
        .await;
    if saved.is_err() {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    }
    Redirect::to(pending.url.as_str()).into_response()
}

async fn callback(
    State(state): State<AppState>,
    session: Session,
    RawQuery(query): RawQuery,
) -> Response {
    let caller = match owner(&state, &session).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let Ok(Some((org, expected))) = session.remove::<(i64, String)>(STATE_KEY).await else {
        return back(Err(
            "the QuickBooks authorization expired or was already used; click Connect again".into(),
        ));
    };
    if org != caller.organization_id {
        return back(Err(
            "you switched organization during the QuickBooks authorization; click Connect again"
                .into(),
        ));
    }
    let ctx = state.sync_context("web");
    let client = match control::sync::qbo_client(&ctx, org) {
        Ok(c) => c,
        Err(e) => return back(Err(e.message)),
    };
    let company = match client
        .connect(&qbo::Secret::new(expected), query.as_deref().unwrap_or(""))
        .await
    {
        Ok(c) => c,
        Err(e) => return back(Err(format!("QuickBooks: {e}"))),
    };
    let tokens = company.tokens().await;
    match control::connect::qbo(&ctx, &caller.actor(), org, tokens, state.now()).await {
        Ok(_) => back(Ok("qbo")),
        Err(e) => back(Err(e.to_string())),
    }
}
