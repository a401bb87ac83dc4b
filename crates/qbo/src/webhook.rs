//! Webhook verification and parsing (quickbooks-api.md §12). The `intuit-signature` header is
//! base64(HMAC-SHA256(verifier token, raw body)); it is checked over the exact bytes received,
//! in constant time, before anything is parsed. Both payloads are read: the legacy
//! `{"eventNotifications": [...]}` and the CloudEvents array (several realms per delivery).
//! Notifications carry ids only: fetch or run CDC to get data, and answer within 3 s.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use thiserror::Error;

use crate::oauth::Secret;

/// The header Intuit signs with.
pub const SIGNATURE_HEADER: &str = "intuit-signature";

/// Why a delivery was refused. Nothing of a refused delivery should be recorded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum WebhookError {
    #[error("no intuit-signature header")]
    MissingSignature,
    #[error("the intuit-signature does not match the body")]
    BadSignature,
    #[error("webhook body is neither a legacy nor a CloudEvents payload: {0}")]
    Malformed(String),
}

/// The operation a notification reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Operation {
    Create,
    Update,
    Delete,
    Merge,
    Void,
    Emailed,
    /// A verb this crate does not know yet (kept, not dropped).
    Other(String),
}

impl Operation {
    fn parse(s: &str) -> Self {
        match s.to_ascii_lowercase().as_str() {
            "create" | "created" => Self::Create,
            "update" | "updated" => Self::Update,
            "delete" | "deleted" => Self::Delete,
            "merge" | "merged" => Self::Merge,
            "void" | "voided" => Self::Void,
            "emailed" => Self::Emailed,
            _ => Self::Other(s.to_owned()),
        }
    }
}

/// Which payload style a notification came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadStyle {
    Legacy,
    CloudEvents,
}

/// One entity change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub realm_id: String,
    /// As Intuit's entity name (`Purchase`, `BillPayment`); CloudEvents' lower-case names are
    /// mapped back when known.
    pub entity: String,
    pub entity_id: String,
    pub operation: Operation,
    /// `lastUpdated` (legacy) or `time` (CloudEvents); events arrive out of order, so this,
    /// not arrival, decides which is newer.
    pub occurred_at: Option<DateTime<Utc>>,
    /// CloudEvents `id`, for dedupe.
    pub event_id: Option<String>,
    /// Merge events: the record merged away (`deletedId`/`deletedID`).
    pub deleted_id: Option<String>,
    pub style: PayloadStyle,
}

type HmacSha256 = Hmac<Sha256>;

/// The signature Intuit would send for `body`.
#[must_use]
pub fn sign(verifier_token: &Secret, body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(verifier_token.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    STANDARD.encode(mac.finalize().into_bytes())
}

/// Checks `signature` (the header value) over the raw `body`.
///
/// # Errors
/// [`WebhookError::MissingSignature`] or [`WebhookError::BadSignature`].
pub fn verify_signature(
    verifier_token: &Secret,
    body: &[u8],
    signature: Option<&str>,
) -> Result<(), WebhookError> {
    let signature = signature
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or(WebhookError::MissingSignature)?;
    let expected = STANDARD
        .decode(signature)
        .map_err(|_| WebhookError::BadSignature)?;
    let mut mac = HmacSha256::new_from_slice(verifier_token.expose().as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(body);
    // `verify_slice` compares in constant time.
    mac.verify_slice(&expected)
        .map_err(|_| WebhookError::BadSignature)
}

/// Verifies, then parses. The only entry point a handler needs.
///
/// # Errors
/// Signature errors (checked first), then [`WebhookError::Malformed`].
pub fn verify_and_parse(
    verifier_token: &Secret,
    body: &[u8],
    signature: Option<&str>,
) -> Result<Vec<Notification>, WebhookError> {
    verify_signature(verifier_token, body, signature)?;
    parse_notifications(body)
}

#[derive(Deserialize)]
struct Legacy {
    #[serde(rename = "eventNotifications", default)]
    event_notifications: Vec<LegacyNotification>,
}

#[derive(Deserialize)]
struct LegacyNotification {
    #[serde(rename = "realmId", default)]
    realm_id: String,
    #[serde(rename = "dataChangeEvent", default)]
    data_change_event: Option<LegacyChange>,
}

#[derive(Deserialize)]
struct LegacyChange {
    #[serde(default)]
    entities: Vec<LegacyEntity>,
}

#[derive(Deserialize)]
struct LegacyEntity {
    #[serde(default)]
    name: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    operation: String,
    #[serde(rename = "lastUpdated", default)]
    last_updated: Option<String>,
    #[serde(rename = "deletedId", alias = "deletedID", default)]
    deleted_id: Option<String>,
}

#[derive(Deserialize)]
struct CloudEvent {
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    time: Option<String>,
    #[serde(default)]
    intuitentityid: String,
    #[serde(default)]
    intuitaccountid: String,
    #[serde(default)]
    data: Option<serde_json::Value>,
}

/// Parses `lastUpdated`, which comes both as `…-0700` (no colon) and as `…Z`.
fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .or_else(|_| DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z"))
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

fn entity_name(lower: &str) -> String {
    crate::query::Entity::from_name(lower).map_or_else(|| lower.to_owned(), |e| e.name().to_owned())
}

/// Parses a body already verified: a JSON array is CloudEvents, an object legacy.
///
/// # Errors
/// [`WebhookError::Malformed`].
pub fn parse_notifications(body: &[u8]) -> Result<Vec<Notification>, WebhookError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    let malformed = |e: serde_json::Error| WebhookError::Malformed(e.to_string());
    match first {
        Some(b'[') => {
            let events: Vec<CloudEvent> = serde_json::from_slice(body).map_err(malformed)?;
            let mut out = Vec::new();
            for e in events {
                // qbo.<entity>.<operation>.v<N>; other types are not ours and are skipped.
                let parts: Vec<&str> = e.kind.split('.').collect();
                let [prefix, entity, op, version] = parts.as_slice() else {
                    continue;
                };
                if *prefix != "qbo" || !version.starts_with('v') {
                    continue;
                }
                let deleted_id = e
                    .data
                    .as_ref()
                    .and_then(|d| d.get("deletedId").or_else(|| d.get("deletedID")))
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                out.push(Notification {
                    realm_id: e.intuitaccountid,
                    entity: entity_name(entity),
                    entity_id: e.intuitentityid,
                    operation: Operation::parse(op),
                    occurred_at: e.time.as_deref().and_then(parse_time),
                    event_id: e.id,
                    deleted_id,
                    style: PayloadStyle::CloudEvents,
                });
            }
            Ok(out)
        }
        Some(b'{') => {
            let legacy: Legacy = serde_json::from_slice(body).map_err(malformed)?;
            let mut out = Vec::new();
            for n in legacy.event_notifications {
                for e in n.data_change_event.map(|d| d.entities).unwrap_or_default() {
                    out.push(Notification {
                        realm_id: n.realm_id.clone(),
                        entity: entity_name(&e.name),
                        entity_id: e.id,
                        operation: Operation::parse(&e.operation),
                        occurred_at: e.last_updated.as_deref().and_then(parse_time),
                        event_id: None,
                        deleted_id: e.deleted_id,
                        style: PayloadStyle::Legacy,
                    });
                }
            }
            Ok(out)
        }
        _ => Err(WebhookError::Malformed("empty or not JSON".to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_payload_with_both_time_spellings() {
        let body = br#"{"eventNotifications":[{"realmId":"1185883450","dataChangeEvent":{"entities":[
            {"name":"Customer","id":"1","operation":"Create","lastUpdated":"2015-10-05T14:42:19-0700"},
            {"name":"Purchase","id":"1204","operation":"Update","lastUpdated":"2025-09-08T20:52:31.657Z"},
            {"name":"Vendor","id":"5","operation":"Merge","deletedID":"6"}]}}]}"#;
        let token = Secret::new("verifier");
        let n = verify_and_parse(&token, body, Some(&sign(&token, body))).unwrap();
        assert_eq!(n.len(), 3);
        assert_eq!(
            n[0].occurred_at.unwrap().to_rfc3339(),
            "2015-10-05T21:42:19+00:00"
        );
        assert!(n[1].occurred_at.is_some());
        assert_eq!(n[2].deleted_id.as_deref(), Some("6"));
        assert_eq!(n[2].operation, Operation::Merge);
    }

    #[test]
    fn cloudevents_with_several_realms() {
        let body = br#"[{"specversion":"1.0","id":"e1","source":"intuit.x","type":"qbo.account.created.v1",
              "time":"2025-09-10T21:31:25.179851517Z","intuitentityid":"1234","intuitaccountid":"310687","data":{}},
            {"specversion":"1.0","id":"e2","type":"qbo.billpayment.voided.v1","intuitentityid":"9","intuitaccountid":"42"},
            {"specversion":"1.0","id":"e3","type":"other.thing","intuitentityid":"9","intuitaccountid":"42"}]"#;
        let n = parse_notifications(body).unwrap();
        assert_eq!(n.len(), 2);
        assert_eq!(
            (n[0].realm_id.as_str(), n[0].entity.as_str()),
            ("310687", "Account")
        );
        assert_eq!(
            (n[1].realm_id.as_str(), n[1].entity.as_str()),
            ("42", "BillPayment")
        );
        assert_eq!(n[1].operation, Operation::Void);
    }

    #[test]
    fn bad_signatures_are_refused_before_parsing() {
        let token = Secret::new("verifier");
        let body = b"[]";
        assert_eq!(
            verify_and_parse(&token, body, None),
            Err(WebhookError::MissingSignature)
        );
        assert_eq!(
            verify_and_parse(&token, body, Some(&sign(&Secret::new("other"), body))),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify_and_parse(&token, b"not json", Some("!!")),
            Err(WebhookError::BadSignature)
        );
    }
}
