//! Wise webhook deliveries: signature verification, lenient event parsing, and ordering.
//!
//! `X-Signature-SHA256` is an RSA PKCS#1 v1.5 SHA-256 signature over the **raw body bytes**
//! (not an HMAC, and never over re-serialized JSON), verified before anything is parsed.
//! Deliveries are at-least-once and unordered: [`order_and_dedupe`] sorts by `occurred_at`
//! (then `step_id`) and drops repeats.

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;
use rust_decimal::Decimal;
use serde::Deserialize;
use std::collections::HashSet;

use crate::json_decimal;
use crate::signature::{KeyError, PublicKey};
use crate::wise_time;

/// Wise's production webhook key (reference §10.2).
pub const WISE_PRODUCTION_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvO8vXV+JksBzZAY6GhSO
XdoTCfhXaaiZ+qAbtaDBiu2AGkGVpmEygFmWP4Li9m5+Ni85BhVvZOodM9epgW3F
bA5Q1SexvAF1PPjX4JpMstak/QhAgl1qMSqEevL8cmUeTgcMuVWCJmlge9h7B1CS
D4rtlimGZozG39rUBDg6Qt2K+P4wBfLblL0k4C4YUdLnpGYEDIth+i8XsRpFlogx
CAFyH9+knYsDbR43UJ9shtc42Ybd40Afihj8KnYKXzchyQ42aC8aZ/h5hyZ28yVy
Oj3Vos0VdBIs/gAyJ/4yyQFCXYte64I7ssrlbGRaco4nKF3HmaNhxwyKyJafz19e
HwIDAQAB
-----END PUBLIC KEY-----";

/// Wise's sandbox webhook key (reference §10.2).
pub const WISE_SANDBOX_KEY_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwpb91cEYuyJNQepZAVfP
ZIlPZfNUefH+n6w9SW3fykqKu938cR7WadQv87oF2VuT+fDt7kqeRziTmPSUhqPU
ys/V2Q1rlfJuXbE+Gga37t7zwd0egQ+KyOEHQOpcTwKmtZ81ieGHynAQzsn1We3j
wt760MsCPJ7GMT141ByQM+yW1Bx+4SG3IGjXWyqOWrcXsxAvIXkpUD/jK/L958Cg
nZEgz0BSEh0QxYLITnW1lLokSx/dTianWPFEhMC9BgijempgNXHNfcVirg1lPSyg
z7KqoKUN0oHqWLr2U1A+7kqrl6O2nx3CKs1bj1hToT1+p4kcMoHXA7kA+VBLUpEs
VwIDAQAB
-----END PUBLIC KEY-----";

/// Why a delivery was refused. Every variant means "answer 400 and record nothing".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("webhook delivery has no X-Signature-SHA256 header")]
    MissingSignature,
    #[error("webhook signature does not verify against any configured Wise key")]
    BadSignature,
    #[error("webhook body is not a Wise event: {0}")]
    Malformed(String),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl WebhookError {
    /// The HTTP status a receiver answers with: always 400, so Wise retries at most 3 times.
    pub fn status_code(&self) -> u16 {
        400
    }
}

/// Verifies deliveries against one or more public keys (production, sandbox, or the emulator's).
#[derive(Debug, Clone)]
pub struct WebhookVerifier {
    keys: Vec<PublicKey>,
}

impl WebhookVerifier {
    pub fn wise_production() -> WebhookVerifier {
        Self::from_pems(&[WISE_PRODUCTION_KEY_PEM]).expect("built-in key parses")
    }
    pub fn wise_sandbox() -> WebhookVerifier {
        Self::from_pems(&[WISE_SANDBOX_KEY_PEM]).expect("built-in key parses")
    }
    pub fn from_pems(pems: &[&str]) -> Result<WebhookVerifier, WebhookError> {
        let keys = pems
            .iter()
            .map(|p| PublicKey::from_pem(p))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(WebhookVerifier { keys })
    }
    pub fn from_keys(keys: Vec<PublicKey>) -> WebhookVerifier {
        WebhookVerifier { keys }
    }

    /// Checks `signature_b64` over exactly `body`.
    pub fn verify(&self, body: &[u8], signature_b64: &str) -> Result<(), WebhookError> {
        if self
            .keys
            .iter()
            .any(|k| k.verify_base64(body, signature_b64))
        {
            Ok(())
        } else {
            Err(WebhookError::BadSignature)
        }
    }

    /// Verifies and parses one delivery. The docs' test-notification example uses a lower-case
    /// `x-signature` header, so that is read when `X-Signature-SHA256` is absent.
    pub fn receive(&self, headers: &HeaderMap, body: &[u8]) -> Result<Delivery, WebhookError> {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let signature = header("x-signature-sha256")
            .or_else(|| header("x-signature"))
            .ok_or(WebhookError::MissingSignature)?;
        self.verify(body, &signature)?;
        let event = WebhookEvent::parse(body)?;
        Ok(Delivery {
            delivery_id: header("x-delivery-id"),
            test_notification: header("x-test-notification")
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            event,
        })
    }
}

/// A verified delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub delivery_id: Option<String>,
    /// Test notifications carry dummy data (ids = 0): acknowledge, do not process.
    pub test_notification: bool,
    pub event: WebhookEvent,
}

/// One event, with the fields reconciliation needs; the rest stays in `raw`.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookEvent {
    pub event_type: String,
    pub schema_version: Option<String>,
    pub subscription_id: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub occurred_at: Option<DateTime<Utc>>,
    pub payload: EventPayload,
    /// The body exactly as delivered.
    pub raw: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum EventPayload {
    BalanceUpdate(BalanceMovement),
    BalanceCredit(BalanceMovement),
    TransferStateChange(TransferStateChange),
    /// An event type this crate does not model; see `raw`.
    Other,
}

/// `balances#update` (v3) or `balances#credit` (v2). `#credit` has no `balance_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceMovement {
    /// `data.resource.id`: the account id per the docs (not the balance id; UNCONFIRMED for
    /// `#credit`).
    pub resource_id: Option<i64>,
    pub profile_id: Option<i64>,
    pub balance_id: Option<i64>,
    /// Signed: negative for `transaction_type = debit`. Whether it includes fees is UNCONFIRMED.
    pub amount: Decimal,
    pub currency: String,
    pub transaction_type: String,
    pub post_transaction_balance: Option<Decimal>,
    pub step_id: Option<i64>,
    pub channel_name: Option<String>,
    pub transfer_reference: Option<String>,
}

/// `transfers#state-change` (v2.0.0 and v4.0.0).
#[derive(Debug, Clone, PartialEq)]
pub struct TransferStateChange {
    pub transfer_id: Option<i64>,
    pub profile_id: Option<i64>,
    pub account_id: Option<i64>,
    pub current_state: String,
    pub previous_state: Option<String>,
}

#[derive(Deserialize)]
struct WireEnvelope {
    event_type: String,
    #[serde(default)]
    schema_version: Option<String>,
    #[serde(default)]
    subscription_id: Option<String>,
    #[serde(default)]
    sent_at: Option<String>,
    #[serde(default)]
    data: Option<Box<serde_json::value::RawValue>>,
}

#[derive(Deserialize, Default)]
struct WireResource {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(default)]
    profile_id: Option<serde_json::Value>,
    #[serde(default)]
    account_id: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct WireBalanceData {
    #[serde(default)]
    resource: WireResource,
    #[serde(deserialize_with = "json_decimal::exact")]
    amount: Decimal,
    #[serde(default)]
    balance_id: Option<serde_json::Value>,
    #[serde(default)]
    channel_name: Option<String>,
    currency: String,
    #[serde(default)]
    occurred_at: Option<String>,
    #[serde(default, deserialize_with = "json_decimal::exact_opt")]
    post_transaction_balance_amount: Option<Decimal>,
    #[serde(default)]
    step_id: Option<serde_json::Value>,
    #[serde(default)]
    transaction_type: Option<String>,
    #[serde(default)]
    transfer_reference: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct WireTransferData {
    #[serde(default)]
    resource: WireResource,
    current_state: String,
    #[serde(default)]
    previous_state: Option<String>,
    #[serde(default)]
    occurred_at: Option<String>,
}

#[derive(Deserialize)]
struct WireOccurred {
    #[serde(default)]
    occurred_at: Option<String>,
}

/// Ids arrive as numbers or strings depending on event and schema version.
fn id(v: &Option<serde_json::Value>) -> Option<i64> {
    match v.as_ref()? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn text(v: &Option<serde_json::Value>) -> Option<String> {
    match v.as_ref()? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn time(s: &Option<String>) -> Option<DateTime<Utc>> {
    s.as_deref().and_then(wise_time::parse)
}

impl WebhookEvent {
    /// Parses an event body (call only after verifying the signature).
    pub fn parse(body: &[u8]) -> Result<WebhookEvent, WebhookError> {
        let bad = |e: serde_json::Error| WebhookError::Malformed(e.to_string());
        let raw =
            std::str::from_utf8(body).map_err(|_| WebhookError::Malformed("not UTF-8".into()))?;
        let env: WireEnvelope = serde_json::from_str(raw).map_err(bad)?;
        let data = env.data.as_deref().map_or("{}", |d| d.get());
        let (payload, occurred_at) = match env.event_type.as_str() {
            "balances#update" | "balances#credit" => {
                let d: WireBalanceData = serde_json::from_str(data).map_err(bad)?;
                let tt = d
                    .transaction_type
                    .clone()
                    .unwrap_or_else(|| "credit".into());
                // `amount` is unsigned on the wire; the direction is in transaction_type.
                let amount = if tt.eq_ignore_ascii_case("debit") {
                    -d.amount.abs()
                } else {
                    d.amount.abs()
                };
                let m = BalanceMovement {
                    resource_id: id(&d.resource.id),
                    profile_id: id(&d.resource.profile_id),
                    balance_id: id(&d.balance_id),
                    amount,
                    currency: d.currency,
                    transaction_type: tt,
                    post_transaction_balance: d.post_transaction_balance_amount,
                    step_id: id(&d.step_id),
                    channel_name: d.channel_name,
                    transfer_reference: text(&d.transfer_reference),
                };
                let p = if env.event_type == "balances#update" {
                    EventPayload::BalanceUpdate(m)
                } else {
                    EventPayload::BalanceCredit(m)
                };
                (p, time(&d.occurred_at))
            }
            "transfers#state-change" => {
                let d: WireTransferData = serde_json::from_str(data).map_err(bad)?;
                (
                    EventPayload::TransferStateChange(TransferStateChange {
                        transfer_id: id(&d.resource.id),
                        profile_id: id(&d.resource.profile_id),
                        account_id: id(&d.resource.account_id),
                        current_state: d.current_state,
                        previous_state: d.previous_state,
                    }),
                    time(&d.occurred_at),
                )
            }
            _ => {
                let d: Option<WireOccurred> = serde_json::from_str(data).ok();
                (EventPayload::Other, d.and_then(|d| time(&d.occurred_at)))
            }
        };
        Ok(WebhookEvent {
            event_type: env.event_type,
            schema_version: env.schema_version,
            subscription_id: env.subscription_id,
            sent_at: time(&env.sent_at),
            occurred_at,
            payload,
            raw: raw.to_owned(),
        })
    }

    /// What makes two deliveries the same event (reference §10.3):
    /// `(event_type, resource, step_id | occurred_at, state or movement)`.
    pub fn dedupe_key(&self) -> String {
        let when = self.occurred_at.map(|t| t.to_rfc3339()).unwrap_or_default();
        match &self.payload {
            EventPayload::BalanceUpdate(m) | EventPayload::BalanceCredit(m) => format!(
                "{}|{:?}|{:?}|{:?}|{}|{}|{}",
                self.event_type,
                m.resource_id,
                m.balance_id,
                m.step_id,
                if m.step_id.is_some() { "" } else { &when },
                m.amount,
                m.currency
            ),
            EventPayload::TransferStateChange(t) => format!(
                "{}|{:?}|{}|{}",
                self.event_type, t.transfer_id, when, t.current_state
            ),
            EventPayload::Other => self.raw.clone(),
        }
    }

    fn step_id(&self) -> Option<i64> {
        match &self.payload {
            EventPayload::BalanceUpdate(m) | EventPayload::BalanceCredit(m) => m.step_id,
            _ => None,
        }
    }
}

/// Orders events by when they happened (not when they were sent), `step_id` breaking ties, and
/// keeps the first of each duplicate. Events without `occurred_at` sort last.
pub fn order_and_dedupe(events: impl IntoIterator<Item = WebhookEvent>) -> Vec<WebhookEvent> {
    let mut seen = HashSet::new();
    let mut v: Vec<WebhookEvent> = events
        .into_iter()
        .filter(|e| seen.insert(e.dedupe_key()))
        .collect();
    v.sort_by_key(|e| (e.occurred_at.is_none(), e.occurred_at, e.step_id()));
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::PrivateKey;
    use std::str::FromStr;

    const UPDATE: &str = r#"{"data":{"resource":{"id":2,"profile_id":2,"type":"balance-account"},"amount":70,"balance_id":111,"channel_name":"TRANSFER","currency":"GBP","occurred_at":"2023-03-08T14:55:38Z","post_transaction_balance_amount":88.93,"step_id":1234567,"transaction_type":"debit","transfer_reference":"BNK-1234567"},"subscription_id":"f2264fe5","event_type":"balances#update","schema_version":"3.0.0","sent_at":"2023-03-08T14:55:39Z"}"#;
    const CREDIT: &str = r#"{"data":{"resource":{"type":"balance-account","id":111,"profile_id":222},"transaction_type":"credit","amount":1.23,"currency":"EUR","post_transaction_balance_amount":2.34,"occurred_at":"2020-01-01T12:34:56Z"},"subscription_id":"0123","event_type":"balances#credit","schema_version":"2.0.0","sent_at":"2020-01-01T12:34:56Z"}"#;
    const STATE: &str = r#"{"data":{"resource":{"type":"transfer","id":111,"profile_id":222,"account_id":333},"current_state":"processing","previous_state":"incoming_payment_waiting","occurred_at":"2020-01-01T12:34:56Z"},"subscription_id":"01234567-89ab-cdef-0123-456789abcdef","event_type":"transfers#state-change","schema_version":"2.0.0","sent_at":"2020-01-01T12:34:56Z"}"#;

    #[test]
    fn parses_the_three_events_leniently() {
        let u = WebhookEvent::parse(UPDATE.as_bytes()).unwrap();
        let EventPayload::BalanceUpdate(m) = &u.payload else {
            panic!()
        };
        assert_eq!(m.amount, Decimal::from(-70));
        assert_eq!(m.balance_id, Some(111));
        assert_eq!(m.post_transaction_balance, Decimal::from_str("88.93").ok());
        assert_eq!(m.transfer_reference.as_deref(), Some("BNK-1234567"));

        let c = WebhookEvent::parse(CREDIT.as_bytes()).unwrap();
        assert!(matches!(&c.payload, EventPayload::BalanceCredit(m) if m.balance_id.is_none()));

        let s = WebhookEvent::parse(STATE.as_bytes()).unwrap();
        assert!(
            matches!(&s.payload, EventPayload::TransferStateChange(t) if t.transfer_id == Some(111) && t.current_state == "processing")
        );
        let other = WebhookEvent::parse(
            br#"{"event_type":"swift-in#credit","data":{"occurred_at":"2020-01-01T00:00:00Z","x":1},"new":true}"#,
        )
        .unwrap();
        assert_eq!(other.payload, EventPayload::Other);
        assert!(WebhookEvent::parse(b"[]").is_err());
    }

    #[test]
    fn signature_is_over_the_raw_bytes() {
        let key = PrivateKey::generate(1024).unwrap();
        let verifier = WebhookVerifier::from_keys(vec![key.public_key()]);
        let sig = key.sign_base64(STATE.as_bytes());
        let mut headers = HeaderMap::new();
        headers.insert("X-Signature-SHA256", sig.parse().unwrap());
        headers.insert("X-Delivery-Id", "d-1".parse().unwrap());
        let d = verifier.receive(&headers, STATE.as_bytes()).unwrap();
        assert_eq!(d.delivery_id.as_deref(), Some("d-1"));
        assert!(!d.test_notification);

        // Re-serializing the same JSON changes the bytes and must fail.
        let reserialized =
            serde_json::to_vec(&serde_json::from_str::<serde_json::Value>(STATE).unwrap()).unwrap();
        assert_eq!(
            verifier.receive(&headers, &reserialized),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verifier.receive(&HeaderMap::new(), STATE.as_bytes()),
            Err(WebhookError::MissingSignature)
        );
        // Wise's own keys do not verify a signature made by ours.
        assert_eq!(
            WebhookVerifier::wise_production().verify(STATE.as_bytes(), &sig),
            Err(WebhookError::BadSignature)
        );
        assert!(WebhookVerifier::wise_sandbox().keys.len() == 1);
    }

    #[test]
    fn ordering_uses_occurred_at_and_drops_duplicates() {
        let a = WebhookEvent::parse(STATE.as_bytes()).unwrap();
        let later = STATE
            .replace("\"processing\"", "\"outgoing_payment_sent\"")
            .replace("12:34:56Z\"},", "12:40:00Z\"},");
        let b = WebhookEvent::parse(later.as_bytes()).unwrap();
        let ordered = order_and_dedupe(vec![b.clone(), a.clone(), b.clone(), a.clone()]);
        assert_eq!(ordered, vec![a, b]);
    }
}
