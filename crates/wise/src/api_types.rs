//! Wire types for the Wise endpoints the client calls (reference §5–§10). Lenient by design:
//! unknown fields are ignored, enums keep unknown values, timestamps accept every Wise format.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::json_decimal;
use crate::wise_time;

/// `{ "value": 1749.47, "currency": "EUR" }`, value read exactly.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Money {
    #[serde(
        deserialize_with = "json_decimal::exact",
        serialize_with = "json_decimal::serialize_number"
    )]
    pub value: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProfileType {
    // v2 sends upper case, v1 lower case (reference §14 trap 16).
    #[serde(alias = "personal")]
    Personal,
    #[serde(alias = "business")]
    Business,
    #[serde(other)]
    Other,
}

/// `GET /v2/profiles` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: ProfileType,
    #[serde(default)]
    pub public_id: Option<String>,
    #[serde(default)]
    pub user_id: Option<i64>,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub business_name: Option<String>,
    #[serde(default)]
    pub current_state: Option<String>,
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    pub created_at: Option<DateTime<Utc>>,
}

/// `GET /v4/profiles/{id}/balances` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    pub id: i64,
    pub currency: String,
    /// `STANDARD` or `SAVINGS` (kept as text: new types may appear).
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
    pub amount: Money,
    #[serde(default)]
    pub reserved_amount: Option<Money>,
    #[serde(default)]
    pub cash_amount: Option<Money>,
    #[serde(default)]
    pub total_worth: Option<Money>,
    #[serde(default)]
    pub investment_state: Option<String>,
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    pub creation_time: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    pub modification_time: Option<DateTime<Utc>>,
    #[serde(default)]
    pub visible: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct TransferDetails {
    #[serde(default)]
    pub reference: Option<String>,
}

/// `GET /v1/transfers/{id}`. It carries no fee: take fees from the statement line.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    pub id: i64,
    #[serde(default)]
    pub user: Option<i64>,
    #[serde(default)]
    pub target_account: Option<i64>,
    #[serde(default)]
    pub source_account: Option<i64>,
    #[serde(default)]
    pub quote_uuid: Option<String>,
    /// Lower-case status (`outgoing_payment_sent`, `funds_refunded`, …); can move backwards.
    pub status: String,
    #[serde(default)]
    pub reference: Option<String>,
    #[serde(default, deserialize_with = "json_decimal::exact_opt")]
    pub rate: Option<Decimal>,
    /// `"2017-11-24 10:47:49"` (zone UNCONFIRMED, taken as UTC) or RFC 3339.
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    pub created: Option<DateTime<Utc>>,
    #[serde(default)]
    pub business: Option<i64>,
    #[serde(default)]
    pub details: TransferDetails,
    #[serde(default)]
    pub has_active_issues: Option<bool>,
    pub source_currency: String,
    #[serde(deserialize_with = "json_decimal::exact")]
    pub source_value: Decimal,
    pub target_currency: String,
    #[serde(deserialize_with = "json_decimal::exact")]
    pub target_value: Decimal,
    #[serde(default)]
    pub customer_transaction_id: Option<String>,
}

/// Filters for `GET /v1/transfers`. `profile` is always sent: without it Wise silently lists the
/// personal profile's transfers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TransferQuery {
    pub profile: i64,
    pub status: Vec<String>,
    pub created_date_start: Option<DateTime<Utc>>,
    pub created_date_end: Option<DateTime<Utc>>,
    /// Page size (Wise's maximum is UNCONFIRMED; 100 is used by default).
    pub page_size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ActivityResource {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub id: Option<String>,
}

/// One entry of the activity feed. Amounts are display strings, never summed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub resource: Option<ActivityResource>,
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub primary_amount: Option<String>,
    #[serde(default)]
    pub secondary_amount: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    pub created_on: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    pub updated_on: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ActivityPage {
    /// Pass back as `nextCursor`; `None` means the end.
    #[serde(default)]
    pub cursor: Option<String>,
    #[serde(default)]
    pub activities: Vec<Activity>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivityQuery {
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub status: Option<String>,
    /// 1..=100 (Wise default 10).
    pub size: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Delivery {
    pub version: String,
    pub url: String,
}

/// Body of `POST /v3/profiles/{id}/subscriptions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewSubscription {
    pub name: String,
    pub trigger_on: String,
    pub delivery: Delivery,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct SubscriptionScope {
    pub domain: String,
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Subscription {
    pub id: String,
    pub name: String,
    pub delivery: Delivery,
    pub trigger_on: String,
    #[serde(default)]
    pub scope: Option<SubscriptionScope>,
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    pub created_at: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_examples_parse() {
        let p: Vec<Profile> = serde_json::from_str(
            r#"[{"type":"PERSONAL","id":1,"createdAt":"2023-01-15T10:30:00","x":{}},
                {"type":"business","id":2},{"type":"ROBOT","id":3}]"#,
        )
        .unwrap();
        assert_eq!(p[1].kind, ProfileType::Business);
        assert_eq!(p[2].kind, ProfileType::Other);
        let t: Transfer = serde_json::from_str(
            r#"{"id":900000002,"status":"outgoing_payment_sent","rate":1.0,"created":"2024-03-10 09:12:40",
                "details":{"reference":"INV-1042"},"sourceCurrency":"EUR","sourceValue":1200.10,
                "targetCurrency":"EUR","targetValue":1200.10,"quote":null}"#,
        )
        .unwrap();
        assert_eq!(t.source_value.to_string(), "1200.10");
        assert!(t.created.is_some());
    }
}
