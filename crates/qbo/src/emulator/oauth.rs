//! The emulator's OAuth endpoints (quickbooks-api.md §3.6): authorize redirects with
//! `code`/`state`/`realmId`; the token endpoint checks Basic auth, exchanges each code once,
//! rotates refresh tokens (per [`super::RefreshRotation`]) and kills the previous one; revoke
//! kills the whole grant.

use std::collections::HashMap;

use axum::Form;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use chrono::{Duration as ChronoDuration, Utc};
use rand::Rng;
use rand::distributions::Alphanumeric;
use serde_json::json;

use super::{EmulatorState, RefreshRotation, json_response, lock};
use crate::oauth::{Secret, Tokens};

fn random(prefix: &str) -> String {
    let tail: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    format!("{prefix}{tail}")
}

fn oauth_error(status: u16, error: &str) -> Response {
    json_response(status, &json!({"error": error}))
}

pub(super) async fn authorize(
    State(state): State<EmulatorState>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    state.count_kind(|c| c.oauth += 1);
    let cfg = &state.shared.config;
    let redirect = q.get("redirect_uri").cloned().unwrap_or_default();
    let state_param = q.get("state").cloned().unwrap_or_default();
    if q.get("client_id") != Some(&cfg.client_id)
        || redirect.is_empty()
        || q.get("response_type").map(String::as_str) != Some("code")
    {
        return oauth_error(400, "invalid_request");
    }
    let code = random("AB1");
    let realm = cfg.default_realm.clone();
    lock(&state.shared.tokens)
        .codes
        .insert(code.clone(), (realm.clone(), redirect.clone()));
    let mut url = match url::Url::parse(&redirect) {
        Ok(u) => u,
        Err(_) => return oauth_error(400, "invalid_request"),
    };
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &state_param)
        .append_pair("realmId", &realm);
    Redirect::to(url.as_str()).into_response()
}

fn client_ok(state: &EmulatorState, headers: &HeaderMap) -> bool {
    let cfg = &state.shared.config;
    let want = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", cfg.client_id, cfg.client_secret));
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .is_some_and(|v| v == want)
}

/// Mints a token pair for `realm`; `grant` reuses an existing grant id.
pub(super) fn mint(
    state: &EmulatorState,
    realm: &str,
    grant: Option<u64>,
    refresh: Option<String>,
) -> (String, String, u64) {
    let cfg = &state.shared.config;
    let mut t = lock(&state.shared.tokens);
    let grant = grant.unwrap_or_else(|| {
        t.next_grant += 1;
        t.next_grant
    });
    let access = random("eyJemu.");
    let refresh = refresh.unwrap_or_else(|| random("AB11"));
    let expires = Utc::now()
        + ChronoDuration::from_std(cfg.access_ttl).unwrap_or_else(|_| ChronoDuration::hours(1));
    let hard = t
        .refresh
        .values()
        .find(|(_, g, _)| *g == grant)
        .map(|(_, _, h)| *h)
        .unwrap_or_else(|| {
            Utc::now()
                + ChronoDuration::seconds(
                    i64::try_from(cfg.hard_ttl_secs).unwrap_or(i64::MAX / 2_000),
                )
        });
    t.access
        .insert(access.clone(), (realm.to_owned(), expires, grant));
    t.refresh
        .insert(refresh.clone(), (realm.to_owned(), grant, hard));
    (access, refresh, grant)
}

pub(super) fn issue(state: &EmulatorState, realm: &str, _hard: bool) -> (Tokens, u64) {
    let cfg = &state.shared.config;
    let (access, refresh, grant) = mint(state, realm, None, None);
    let now = Utc::now();
    (
        Tokens {
            realm_id: realm.to_owned(),
            access_token: Secret::new(access),
            refresh_token: Secret::new(refresh),
            access_expires_at: now
                + ChronoDuration::from_std(cfg.access_ttl)
                    .unwrap_or_else(|_| ChronoDuration::hours(1)),
            refresh_expires_at: now
                + ChronoDuration::seconds(i64::try_from(cfg.refresh_ttl_secs).unwrap_or(0)),
            refresh_hard_expires_at: Some(
                now + ChronoDuration::seconds(i64::try_from(cfg.hard_ttl_secs).unwrap_or(0)),
            ),
            obtained_at: now,
        },
        grant,
    )
}

pub(super) async fn token(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    state.count_kind(|c| c.oauth += 1);
    if !client_ok(&state, &headers) {
        return oauth_error(401, "invalid_client");
    }
    let cfg = state.shared.config.clone();
    let (realm, access, refresh, grant) = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => {
            let code = form.get("code").cloned().unwrap_or_default();
            // A code works exactly once.
            let Some((realm, redirect)) = lock(&state.shared.tokens).codes.remove(&code) else {
                return oauth_error(400, "invalid_grant");
            };
            if form.get("redirect_uri") != Some(&redirect) {
                return oauth_error(400, "invalid_grant");
            }
            let (a, r, g) = mint(&state, &realm, None, None);
            (realm, a, r, g)
        }
        Some("refresh_token") => {
            let old = form.get("refresh_token").cloned().unwrap_or_default();
            let found = lock(&state.shared.tokens).refresh.get(&old).cloned();
            let Some((realm, grant, _)) = found else {
                return json_response(
                    400,
                    &json!({"error": "invalid_grant", "error_description": "Token invalid"}),
                );
            };
            let keep = match cfg.rotation {
                RefreshRotation::Always => None,
                RefreshRotation::Never => Some(old.clone()),
            };
            let (a, r, g) = mint(&state, &realm, Some(grant), keep);
            if r != old {
                lock(&state.shared.tokens).refresh.remove(&old);
            }
            (realm, a, r, g)
        }
        _ => return oauth_error(400, "unsupported_grant_type"),
    };
    let _ = (realm, grant);
    let mut body = json!({
        "token_type": "bearer",
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": cfg.access_ttl.as_secs(),
        "x_refresh_token_expires_in": cfg.refresh_ttl_secs,
    });
    let wants_hard = headers
        .get("x-include-refresh-token-hard-expires-in")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if wants_hard {
        body["x_refresh_token_hard_expires_in"] = json!(cfg.hard_ttl_secs);
    }
    json_response(200, &body)
}

pub(super) async fn revoke(
    State(state): State<EmulatorState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    state.count_kind(|c| c.oauth += 1);
    if !client_ok(&state, &headers) {
        return oauth_error(401, "invalid_client");
    }
    let token = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v.get("token").and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default();
    let mut t = lock(&state.shared.tokens);
    let grant = t
        .refresh
        .get(&token)
        .map(|(_, g, _)| *g)
        .or_else(|| t.access.get(&token).map(|(_, _, g)| *g));
    if let Some(g) = grant {
        t.refresh.retain(|_, (_, gg, _)| *gg != g);
        t.access.retain(|_, (_, _, gg)| *gg != g);
    }
    // Revoke answers 200 whatever the token (its body is undocumented).
    json_response(200, &json!({}))
}
