//! Webhook receivers: `POST /webhooks/wise` and `POST /webhooks/qbo`. Each verifies the
//! signature over the raw body first, records the events in the inbox, and answers at once;
//! the work happens in a later sync. A bad signature or body is answered 400 and nothing is
//! recorded.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use control::Db;
use control::webhook_inbox::{self, InboxEvent, Source};
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// What the receivers verify with.
#[derive(Clone)]
pub struct WebhookKeys {
    pub wise: wise::WebhookVerifier,
    /// Intuit's verifier token; without it QuickBooks deliveries are refused (503).
    pub qbo_verifier: Option<qbo::oauth::Secret>,
}

#[derive(Clone)]
struct Hooks {
    db: Db,
    keys: Arc<WebhookKeys>,
}

pub fn routes<S>(db: Db, keys: WebhookKeys) -> Router<S> {
    Router::new()
        .route("/webhooks/wise", post(wise_delivery))
        .route("/webhooks/qbo", post(qbo_delivery))
        .with_state(Hooks {
            db,
            keys: Arc::new(keys),
        })
}

type Answer = (StatusCode, &'static str);

async fn wise_delivery(State(hooks): State<Hooks>, headers: HeaderMap, body: Bytes) -> Answer {
    let delivery = match hooks.keys.wise.receive(&headers, &body) {
        Ok(d) => d,
        Err(e) => {
            tracing::warn!(error = %e, "Wise webhook refused");
            return (StatusCode::BAD_REQUEST, "refused");
        }
    };
    if delivery.test_notification {
        return (StatusCode::OK, "test notification acknowledged");
    }
    let event = &delivery.event;
    let profile = match &event.payload {
        wise::webhook::EventPayload::BalanceUpdate(m)
        | wise::webhook::EventPayload::BalanceCredit(m) => m.profile_id,
        wise::webhook::EventPayload::TransferStateChange(t) => t.profile_id,
        wise::webhook::EventPayload::Other => None,
    };
    let record = InboxEvent {
        source: Source::Wise,
        account_key: profile.map(|p| p.to_string()).unwrap_or_default(),
        event_type: event.event_type.clone(),
        event_key: digest(&event.dedupe_key()),
        occurred_at: event.occurred_at,
        payload: event.raw.clone(),
    };
    store(&hooks.db, &[record]).await
}

async fn qbo_delivery(State(hooks): State<Hooks>, headers: HeaderMap, body: Bytes) -> Answer {
    let Some(token) = &hooks.keys.qbo_verifier else {
        tracing::warn!("QuickBooks webhook received but CLEARLINE_QBO_WEBHOOK_VERIFIER is not set");
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            "QuickBooks webhooks are not configured",
        );
    };
    let signature = headers
        .get("intuit-signature")
        .and_then(|v| v.to_str().ok());
    let notifications = match qbo::webhook::verify_and_parse(token, &body, signature) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!(error = %e, "QuickBooks webhook refused");
            return (StatusCode::BAD_REQUEST, "refused");
        }
    };
    let records: Vec<InboxEvent> = notifications
        .iter()
        .map(|n| {
            let operation = format!("{:?}", n.operation);
            let when = n.occurred_at.map(|t| t.to_rfc3339()).unwrap_or_default();
            let identity = match &n.event_id {
                Some(id) => id.clone(),
                None => format!(
                    "{}|{}|{}|{operation}|{when}",
                    n.realm_id, n.entity, n.entity_id
                ),
            };
            InboxEvent {
                source: Source::Qbo,
                account_key: n.realm_id.clone(),
                event_type: format!("{}.{}", n.entity, operation.to_lowercase()),
                event_key: digest(&identity),
                occurred_at: n.occurred_at,
                payload: serde_json::json!({
                    "realmId": n.realm_id,
                    "entity": n.entity,
                    "id": n.entity_id,
                    "operation": operation,
                    "occurredAt": n.occurred_at,
                    "deletedId": n.deleted_id,
                })
                .to_string(),
            }
        })
        .collect();
    store(&hooks.db, &records).await
}

async fn store(db: &Db, events: &[InboxEvent]) -> Answer {
    match webhook_inbox::record(db, events, chrono::Utc::now()).await {
        Ok(added) => {
            tracing::info!(received = events.len(), added, "webhook recorded");
            (StatusCode::OK, "recorded")
        }
        Err(e) => {
            // 500 makes the sender retry later; nothing was half-written (one transaction).
            tracing::error!(error = %e, "webhook could not be recorded");
            (StatusCode::INTERNAL_SERVER_ERROR, "try again later")
        }
    }
}

fn digest(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}
