//! The balance statement JSON exactly as
//! `GET /v1/profiles/{p}/balance-statements/{b}/statement.json?type=COMPACT` returns it
//! (reference §7). Transactions arrive newest first; unknown fields and unknown `details.type`
//! values are accepted; money is read exactly.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::json_decimal;
use crate::statement::{
    Currency, Header, LineTracker, Located, ParseOptions, Position, Statement, StatementError,
    StatementFormat, StatementLine, assemble, non_empty, strip_bom,
};
use crate::wise_time;

const FORMAT: StatementFormat = StatementFormat::Json;

/// A money object: `{ "value": -7.76, "currency": "EUR", "zero": false }`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WireMoney {
    #[serde(
        deserialize_with = "json_decimal::exact",
        serialize_with = "json_decimal::serialize_number"
    )]
    pub value: Decimal,
    pub currency: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireHolder {
    business_name: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireQuery {
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    interval_start: Option<DateTime<Utc>>,
    #[serde(default, deserialize_with = "wise_time::lenient_opt")]
    interval_end: Option<DateTime<Utc>>,
    currency: Option<String>,
    profile_id: Option<i64>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireRequest {
    profile_id: Option<i64>,
    balance_id: Option<i64>,
    currency: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStatement<'a> {
    #[serde(default)]
    account_holder: Option<WireHolder>,
    #[serde(borrow)]
    transactions: Vec<&'a RawValue>,
    #[serde(default)]
    start_of_statement_balance: Option<WireMoney>,
    #[serde(default)]
    end_of_statement_balance: Option<WireMoney>,
    #[serde(default)]
    query: Option<WireQuery>,
    #[serde(default)]
    request: Option<WireRequest>,
}

#[derive(Debug, Default, Deserialize)]
struct WireName {
    name: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireDetails {
    /// Kept as text: the list of types keeps growing (reference §7.2).
    #[serde(rename = "type")]
    kind: Option<String>,
    description: Option<String>,
    sender_name: Option<String>,
    recipient: Option<WireName>,
    merchant: Option<WireName>,
    payment_reference: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTransaction {
    date: String,
    amount: WireMoney,
    #[serde(default)]
    total_fees: Option<WireMoney>,
    #[serde(default)]
    details: WireDetails,
    running_balance: WireMoney,
    reference_number: String,
}

/// Parses a statement JSON document with default options.
pub fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    parse_with(bytes, &ParseOptions::default())
}

pub(crate) fn parse_with(
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Statement, StatementError> {
    let input = strip_bom(bytes);
    let text = std::str::from_utf8(input).map_err(|e| StatementError::Syntax {
        format: FORMAT,
        at: Position::at_offset(input, e.valid_up_to()),
        message: "not UTF-8".into(),
    })?;
    let wire: WireStatement = serde_json::from_str(text).map_err(|e| syntax(&e, 0, None))?;

    let currency_text = wire
        .query
        .as_ref()
        .and_then(|q| q.currency.clone())
        .or_else(|| wire.request.as_ref().and_then(|r| r.currency.clone()))
        .or_else(|| {
            wire.end_of_statement_balance
                .as_ref()
                .map(|m| m.currency.clone())
        })
        .ok_or_else(|| StatementError::Missing {
            format: FORMAT,
            at: Position::line(1),
            what: "statement currency (query.currency)".into(),
        })?;
    let currency = currency(
        &currency_text,
        Position::line(1).with_element("query.currency"),
    )?;

    let holder = wire.account_holder.as_ref().and_then(|h| {
        non_empty(h.business_name.as_deref()).or_else(|| {
            let full = format!(
                "{} {}",
                h.first_name.as_deref().unwrap_or(""),
                h.last_name.as_deref().unwrap_or("")
            );
            non_empty(Some(&full))
        })
    });

    let mut lines = Vec::with_capacity(wire.transactions.len());
    let mut tracker = LineTracker::new(input);
    for (i, raw) in wire.transactions.iter().enumerate() {
        let offset = raw.get().as_ptr() as usize - text.as_ptr() as usize;
        let element = format!("transactions[{i}]");
        let at = tracker.at(offset).with_element(element.clone());
        let tx: WireTransaction = serde_json::from_str(raw.get())
            .map_err(|e| syntax(&e, offset, Some((input, &element))))?;
        lines.push(Located {
            line: line(tx, raw.get(), &at)?,
            at,
        });
    }

    let money = |m: &Option<WireMoney>, what: &str| -> Result<Option<Decimal>, StatementError> {
        match m {
            None => Ok(None),
            Some(m) => {
                let c = self::currency(&m.currency, Position::line(1).with_element(what))?;
                if c != currency {
                    return Err(StatementError::Invalid {
                        format: FORMAT,
                        at: Position::line(1).with_element(what),
                        what: "currency".into(),
                        message: format!("{c} on a {currency} statement"),
                    });
                }
                Ok(Some(m.value))
            }
        }
    };

    let header = Header {
        format: FORMAT,
        account_holder: holder,
        profile_id: wire
            .query
            .as_ref()
            .and_then(|q| q.profile_id)
            .or_else(|| wire.request.as_ref().and_then(|r| r.profile_id)),
        balance_id: wire.request.as_ref().and_then(|r| r.balance_id),
        currency,
        interval_start: wire.query.as_ref().and_then(|q| q.interval_start),
        interval_end: wire.query.as_ref().and_then(|q| q.interval_end),
        opening_balance: money(&wire.start_of_statement_balance, "startOfStatementBalance")?,
        closing_balance: money(&wire.end_of_statement_balance, "endOfStatementBalance")?,
    };
    assemble(header, lines, true, options)
}

fn line(tx: WireTransaction, raw: &str, at: &Position) -> Result<StatementLine, StatementError> {
    let booked_at = wise_time::parse(&tx.date).ok_or_else(|| StatementError::Invalid {
        format: FORMAT,
        at: at.clone(),
        what: "date".into(),
        message: format!("unrecognised timestamp {:?}", tx.date),
    })?;
    let cur = currency(&tx.amount.currency, at.clone())?;
    let rb_cur = currency(&tx.running_balance.currency, at.clone())?;
    if rb_cur != cur {
        return Err(StatementError::Invalid {
            format: FORMAT,
            at: at.clone(),
            what: "runningBalance.currency".into(),
            message: format!("{rb_cur} differs from amount currency {cur}"),
        });
    }
    let d = tx.details;
    let counterparty = non_empty(d.sender_name.as_deref())
        .or_else(|| non_empty(d.recipient.as_ref().and_then(|r| r.name.as_deref())))
        .or_else(|| non_empty(d.merchant.as_ref().and_then(|m| m.name.as_deref())));
    Ok(StatementLine {
        reference_number: tx.reference_number,
        booked_at,
        amount: tx.amount.value,
        total_fees: tx.total_fees.map_or(Decimal::ZERO, |f| f.value),
        currency: cur,
        running_balance: tx.running_balance.value,
        counterparty,
        payment_reference: non_empty(d.payment_reference.as_deref()),
        description: d.description.unwrap_or_default(),
        details_type: d.kind.unwrap_or_else(|| "UNKNOWN".into()),
        raw: raw.to_owned(),
    })
}

fn currency(code: &str, at: Position) -> Result<Currency, StatementError> {
    Currency::parse(code).ok_or_else(|| StatementError::Invalid {
        format: FORMAT,
        at,
        what: "currency".into(),
        message: format!("{code:?} is not an ISO 4217 code"),
    })
}

/// Converts a serde_json error inside a sub-document at `offset` into a file position.
fn syntax(e: &serde_json::Error, offset: usize, sub: Option<(&[u8], &str)>) -> StatementError {
    let (at, message) = match sub {
        None => (
            Position {
                line: e.line() as u64,
                column: Some(e.column() as u64),
                element: None,
            },
            e.to_string(),
        ),
        Some((input, element)) => {
            let base = Position::at_offset(input, offset);
            let line = base.line + e.line().saturating_sub(1) as u64;
            let column = if e.line() <= 1 {
                base.column.unwrap_or(1) + e.column().saturating_sub(1) as u64
            } else {
                e.column() as u64
            };
            // serde_json appends its own "at line X column Y" relative to the sub-document.
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_owned();
            (
                Position {
                    line,
                    column: Some(column),
                    element: Some(element.to_owned()),
                },
                msg,
            )
        }
    };
    match e.classify() {
        serde_json::error::Category::Data => StatementError::Invalid {
            format: FORMAT,
            at,
            what: "field".into(),
            message,
        },
        _ => StatementError::Syntax {
            format: FORMAT,
            at,
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    const TX: &str = r#"{"type":"DEBIT","date":"2024-03-10T09:12:44.523110Z",
        "amount":{"value":-0.3,"currency":"EUR","zero":false},
        "totalFees":{"value":0.1,"currency":"EUR","zero":false},
        "details":{"type":"SOMETHING_NEW","description":"d","recipient":{"name":"Acme"},"paymentReference":""},
        "runningBalance":{"value":0.0,"currency":"EUR","zero":true},
        "referenceNumber":"TRANSFER-1","someNewField":1}"#;

    fn doc(txs: &str) -> String {
        format!(
            r#"{{"transactions":[{txs}],
            "startOfStatementBalance":{{"value":0.3,"currency":"EUR"}},
            "endOfStatementBalance":{{"value":0.0,"currency":"EUR"}},
            "query":{{"currency":"EUR","profileId":7,"intervalStart":"2024-03-01T00:00:00Z"}},
            "futureField":{{"x":[1,2]}}}}"#
        )
    }

    #[test]
    fn unknown_fields_and_types_are_accepted_and_money_is_exact() {
        let s = parse(doc(TX).as_bytes()).unwrap();
        assert_eq!(s.lines.len(), 1);
        let l = &s.lines[0];
        assert_eq!(l.details_type, "SOMETHING_NEW");
        assert_eq!(l.amount, dec("-0.3"));
        assert_eq!(l.payment_reference, None);
        assert_eq!(l.counterparty.as_deref(), Some("Acme"));
        assert_eq!(s.opening_balance, Some(dec("0.3")));
        assert_eq!(s.profile_id, Some(7));
        assert!(l.raw.contains("someNewField"));
    }

    #[test]
    fn point_one_plus_point_two_adds_up_exactly() {
        let a = TX
            .replace("-0.3", "-0.1")
            .replace("\"value\":0.0", "\"value\":0.2")
            .replace("TRANSFER-1", "A");
        let b = TX
            .replace("-0.3", "-0.2")
            .replace("2024-03-10T09", "2024-03-11T09")
            .replace("TRANSFER-1", "B");
        // newest first: b then a
        let s = parse(doc(&format!("{b},{a}")).as_bytes()).unwrap();
        assert_eq!(s.lines[0].reference_number, "A");
        assert_eq!(s.closing_balance, Some(Decimal::ZERO));
    }

    #[test]
    fn errors_point_at_the_transaction() {
        let bad = TX.replace("\"value\":-0.3", "\"value\":\"abc\"");
        let err = parse(doc(&bad).as_bytes()).unwrap_err();
        match err {
            StatementError::Invalid { at, .. } => {
                assert_eq!(at.element.as_deref(), Some("transactions[0]"));
                assert_eq!(at.line, 2);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse(b"{\"transactions\": [").unwrap_err(),
            StatementError::Syntax { .. }
        ));
    }

    #[test]
    fn broken_running_balance_is_rejected() {
        let bad = TX.replace("\"value\":0.0", "\"value\":0.5");
        assert!(matches!(
            parse(doc(&bad).as_bytes()).unwrap_err(),
            StatementError::Inconsistent { .. }
        ));
    }
}
