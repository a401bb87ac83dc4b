//! Writes, used only after a named human approved them (DESIGN.md, verify-then-post). The one
//! write today books an unbooked Wise fee as a Purchase to "Bank Charges" on the mapped bank
//! account (quickbooks-api.md §11.1). Every write carries a `requestid` derived from the
//! business key, so a retry after a timeout, or after a process restart, returns QBO's
//! original answer instead of a duplicate transaction (§11.2).

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::value::RawValue;

use crate::client::{ApiRequest, Company, Method};
use crate::error::QboError;
use crate::query::{Entity, single};
use crate::wire::Purchase;

/// QBO's `requestid` length limit (batch: 36).
pub const MAX_REQUEST_ID: usize = 50;

/// A Wise fee to book.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankChargeRequest {
    /// Deterministic from the business key, e.g. `fee-wise-TRF-88123`; ≤ 50 characters.
    pub request_id: String,
    /// The QBO bank account mapped to the Wise balance.
    pub bank_account_id: String,
    /// The "Bank Charges" expense account.
    pub fee_account_id: String,
    /// Positive, in the bank account's currency.
    pub amount: Decimal,
    pub txn_date: NaiveDate,
    /// Required when multicurrency is on (must match the bank account); `None` otherwise.
    pub currency: Option<String>,
    /// Home-currency units per one unit of `currency`; QBO's stored rate when `None`.
    pub exchange_rate: Option<Decimal>,
    /// The payee (e.g. a "Wise" vendor).
    pub vendor_id: Option<String>,
    /// `PrivateNote`: name the source (e.g. the Wise transfer id) for an app-level dedupe.
    pub private_note: String,
    /// The line's description.
    pub description: String,
}

#[derive(Serialize)]
struct RefOut<'a> {
    value: &'a str,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LineDetailOut<'a> {
    account_ref: RefOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct LineOut<'a> {
    detail_type: &'static str,
    /// The decimal's own text as a JSON number: exact, never through `f64`.
    amount: Box<RawValue>,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    account_based_expense_line_detail: LineDetailOut<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PurchaseOut<'a> {
    payment_type: &'static str,
    account_ref: RefOut<'a>,
    txn_date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    entity_ref: Option<RefOut<'a>>,
    #[serde(skip_serializing_if = "str::is_empty")]
    private_note: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency_ref: Option<RefOut<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    exchange_rate: Option<Box<RawValue>>,
    line: Vec<LineOut<'a>>,
}

fn number(d: Decimal) -> Result<Box<RawValue>, QboError> {
    RawValue::from_string(d.normalize().to_string())
        .map_err(|e| QboError::InvalidRequest(format!("amount {d}: {e}")))
}

impl BankChargeRequest {
    /// The JSON body QBO receives.
    ///
    /// # Errors
    /// [`QboError::InvalidRequest`] for a non-positive amount, a bad request id, or a
    /// missing account.
    pub fn to_body(&self) -> Result<String, QboError> {
        let invalid = |m: &str| Err(QboError::InvalidRequest(m.to_owned()));
        if self.request_id.is_empty() || self.request_id.chars().count() > MAX_REQUEST_ID {
            return invalid("requestid must be 1 to 50 characters");
        }
        if self.amount <= Decimal::ZERO {
            return invalid("a bank charge must be a positive amount");
        }
        if self.bank_account_id.is_empty() || self.fee_account_id.is_empty() {
            return invalid("bank and fee accounts are required");
        }
        if self.exchange_rate.is_some() && self.currency.is_none() {
            return invalid("an exchange rate needs a currency");
        }
        let body = PurchaseOut {
            // An expense paid from a bank account is `Cash` in QBO's terms.
            payment_type: "Cash",
            account_ref: RefOut {
                value: &self.bank_account_id,
                kind: None,
            },
            txn_date: self.txn_date.format("%Y-%m-%d").to_string(),
            entity_ref: self.vendor_id.as_deref().map(|v| RefOut {
                value: v,
                kind: Some("Vendor"),
            }),
            private_note: &self.private_note,
            currency_ref: self.currency.as_deref().map(|c| RefOut {
                value: c,
                kind: None,
            }),
            exchange_rate: self.exchange_rate.map(number).transpose()?,
            line: vec![LineOut {
                detail_type: "AccountBasedExpenseLineDetail",
                amount: number(self.amount)?,
                description: &self.description,
                account_based_expense_line_detail: LineDetailOut {
                    account_ref: RefOut {
                        value: &self.fee_account_id,
                        kind: None,
                    },
                },
            }],
        };
        serde_json::to_string(&body).map_err(|e| QboError::InvalidRequest(e.to_string()))
    }
}

impl Company {
    /// Creates the fee Purchase. Safe to call again with the same request: QBO (and the
    /// emulator) answer a repeated `requestid` with the original response.
    ///
    /// # Errors
    /// [`QboError::InvalidRequest`] before sending; API errors (e.g. 6000 when the currency
    /// does not match the account).
    pub async fn create_bank_charge(
        &self,
        request: &BankChargeRequest,
    ) -> Result<Purchase, QboError> {
        let body = request.to_body()?;
        let resp = self
            .send(ApiRequest {
                method: Method::Post,
                path: "purchase".to_owned(),
                params: vec![("requestid".to_owned(), request.request_id.clone())],
                body: Some(("application/json", body)),
            })
            .await?;
        let mut r = single(&resp.body, Entity::Purchase, &resp.intuit_tid)?;
        r.purchase.pop().ok_or_else(|| QboError::Decode {
            what: "Purchase",
            message: "no Purchase in the create response".to_owned(),
            intuit_tid: resp.intuit_tid,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fee() -> BankChargeRequest {
        BankChargeRequest {
            request_id: "fee-wise-TRF-88123".into(),
            bank_account_id: "35".into(),
            fee_account_id: "8".into(),
            amount: Decimal::new(415, 2),
            txn_date: NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
            currency: Some("EUR".into()),
            exchange_rate: Some(Decimal::new(10832, 4)),
            vendor_id: Some("61".into()),
            private_note: "Wise fee, transfer 88123".into(),
            description: "Bank fee".into(),
        }
    }

    #[test]
    fn the_body_is_exact_and_shaped_like_intuits_sample() {
        let body = fee().to_body().unwrap();
        assert!(body.contains(r#""Amount":4.15"#), "{body}");
        assert!(body.contains(r#""ExchangeRate":1.0832"#), "{body}");
        assert!(body.contains(r#""PaymentType":"Cash""#));
        assert!(body.contains(r#""EntityRef":{"value":"61","type":"Vendor"}"#));
        assert!(body.contains(r#""AccountBasedExpenseLineDetail":{"AccountRef":{"value":"8"}}"#));
    }

    #[test]
    fn bad_requests_are_not_sent() {
        let mut f = fee();
        f.amount = Decimal::ZERO;
        assert!(f.to_body().is_err());
        let mut f = fee();
        f.request_id = "x".repeat(51);
        assert!(f.to_body().is_err());
        let mut f = fee();
        f.currency = None;
        assert!(f.to_body().is_err());
    }
}
