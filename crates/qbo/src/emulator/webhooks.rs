//! Webhook bodies the emulator emits (quickbooks-api.md §12), signed like Intuit signs them.

use serde_json::{Value, json};

use super::store::ChangeEvent;
use crate::oauth::Secret;

/// Which payload the emulator sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookStyle {
    /// `{"eventNotifications": [{"realmId", "dataChangeEvent": {"entities": [...]}}]}`.
    Legacy,
    /// A CloudEvents 1.0 array, several realms in one delivery.
    CloudEvents,
}

fn verb(op: &str) -> &'static str {
    match op {
        "Create" => "created",
        "Delete" => "deleted",
        "Void" => "voided",
        _ => "updated",
    }
}

/// The body and its `intuit-signature`.
pub(crate) fn payload(
    events: &[ChangeEvent],
    style: WebhookStyle,
    verifier_token: &str,
) -> (Vec<u8>, String) {
    let body: Value = match style {
        WebhookStyle::Legacy => {
            let mut realms: Vec<&str> = events.iter().map(|e| e.realm.as_str()).collect();
            realms.dedup();
            realms.sort_unstable();
            realms.dedup();
            json!({"eventNotifications": realms.iter().map(|r| json!({
                "realmId": r,
                "dataChangeEvent": {"entities": events.iter().filter(|e| e.realm == *r).map(|e| json!({
                    "name": e.entity, "id": e.id, "operation": e.operation,
                    // The documented legacy spelling: offset without a colon.
                    "lastUpdated": e.at.format("%Y-%m-%dT%H:%M:%S%.3f%z").to_string(),
                })).collect::<Vec<_>>()}
            })).collect::<Vec<_>>()})
        }
        WebhookStyle::CloudEvents => Value::Array(
            events
                .iter()
                .map(|e| json!({
                    "specversion": "1.0",
                    "id": uuid::Uuid::new_v4().to_string(),
                    "source": "intuit.emulator",
                    "type": format!("qbo.{}.{}.v1", e.entity.to_ascii_lowercase(), verb(e.operation)),
                    "datacontenttype": "application/json",
                    "time": e.at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
                    "intuitentityid": e.id,
                    "intuitaccountid": e.realm,
                    "data": {}
                }))
                .collect(),
        ),
    };
    let bytes = body.to_string().into_bytes();
    let signature = crate::webhook::sign(&Secret::new(verifier_token), &bytes);
    (bytes, signature)
}
