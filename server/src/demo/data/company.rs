//! The company's master data: chart of accounts, customers, vendors and client invoices, with
//! the balances the postings leave them at.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Value, json};

use super::Record;
use super::activity::{Activity, add_days};
use super::cast::{self, Party};
use super::qbo_json::{ACCOUNTS, at_hour, currency_ref, exchange_rate, meta, money, reference};

fn set_up(start: NaiveDate) -> Value {
    meta(at_hour(add_days(start, -60), 9, 0))
}

pub(super) fn accounts(start: NaiveDate) -> Vec<Record> {
    ACCOUNTS
        .iter()
        .map(|(key, name, kind, sub, currency)| {
            let classification = match *kind {
                "Expense" => "Expense",
                "Income" => "Revenue",
                "Accounts Payable" => "Liability",
                _ => "Asset",
            };
            let mut v = json!({
                "Name": name, "FullyQualifiedName": name, "AccountType": kind, "AccountSubType": sub,
                "Classification": classification, "Active": true, "SubAccount": false,
                "CurrentBalance": 0, "MetaData": set_up(start),
            });
            v["CurrencyRef"] = currency_ref(currency.unwrap_or("EUR"));
            Record {
                key: format!("account:{key}"),
                entity: "Account",
                value: v,
            }
        })
        .collect()
}

fn party_record(
    kind: &str,
    entity: &'static str,
    p: &Party,
    balance: i64,
    start: NaiveDate,
) -> Record {
    Record {
        key: format!("{kind}:{}", p.key),
        entity,
        value: json!({
            "DisplayName": p.name, "CompanyName": p.name, "Active": true,
            "CurrencyRef": currency_ref(p.currency), "Balance": money(balance),
            "MetaData": set_up(start),
        }),
    }
}

pub(super) fn customers(activity: &Activity, open: &[i64]) -> Vec<Record> {
    let mut balance: BTreeMap<&str, i64> = BTreeMap::new();
    for (inv, o) in activity.invoices.iter().zip(open) {
        *balance.entry(inv.client.key).or_default() += o;
    }
    cast::CLIENTS
        .iter()
        .map(|c| c.party)
        .chain([cast::WORKSHOP_CLIENT])
        .map(|p| {
            let b = balance.get(p.key).copied().unwrap_or(0);
            party_record("customer", "Customer", &p, b, activity.period.0)
        })
        .collect()
}

/// `owed`: open bill amounts per supplier key.
pub(super) fn vendors(activity: &Activity, owed: &BTreeMap<&str, i64>) -> Vec<Record> {
    cast::SUPPLIERS
        .iter()
        .map(|s| s.party)
        .chain(cast::SHOPS.iter().map(|s| s.party))
        .chain(cast::STRANGERS.iter().map(|s| s.0))
        .map(|p| {
            let balance = owed.get(p.key).copied().unwrap_or(0);
            party_record("vendor", "Vendor", &p, balance, activity.period.0)
        })
        .collect()
}

pub(super) fn invoices(activity: &Activity, open: &[i64]) -> Vec<Record> {
    let mut order: Vec<usize> = (0..activity.invoices.len()).collect();
    order.sort_by_key(|&i| activity.invoices[i].number.clone());
    order
        .into_iter()
        .map(|i| {
            let inv = &activity.invoices[i];
            let c = inv.client;
            Record {
                key: format!("invoice:{}", inv.number),
                entity: "Invoice",
                value: json!({
                    "DocNumber": inv.number, "TxnDate": inv.issued.to_string(), "DueDate": inv.due.to_string(),
                    "CustomerRef": reference(&format!("customer:{}", c.key), c.name),
                    "CurrencyRef": currency_ref(c.currency), "ExchangeRate": exchange_rate(c.currency),
                    "Line": [{"DetailType": "SalesItemLineDetail", "Amount": money(inv.cents), "Description": inv.work,
                              "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Design services"}}}],
                    "Balance": money(open[i]), "EmailStatus": "EmailSent",
                    "MetaData": meta(at_hour(inv.issued, 10, 0)),
                }),
            }
        })
        .collect()
}
