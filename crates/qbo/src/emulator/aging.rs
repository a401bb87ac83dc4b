//! The two A/R aging reports, computed from open invoices (quickbooks-api.md §9.4) and shaped
//! like Intuit's JSON (§9.2, §9.3): string cells, `""` for an empty bucket, GrandTotal section.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::store::{RealmStore, decimal_of};
use crate::reports::AgingBucket;

const BUCKETS: [AgingBucket; 5] = [
    AgingBucket::Current,
    AgingBucket::PastDue {
        from: 1,
        to: Some(30),
    },
    AgingBucket::PastDue {
        from: 31,
        to: Some(60),
    },
    AgingBucket::PastDue {
        from: 61,
        to: Some(90),
    },
    AgingBucket::PastDue { from: 91, to: None },
];

struct Open {
    id: String,
    doc: String,
    customer_id: String,
    customer: String,
    txn_date: String,
    due_date: String,
    amount: Decimal,
    balance: Decimal,
    bucket: usize,
}

fn money(d: Decimal) -> String {
    format!("{:.2}", d.round_dp(2))
}

fn open_invoices(store: &RealmStore, report_date: NaiveDate, customers: &[String]) -> Vec<Open> {
    let from_txn_date = store
        .preferences
        .pointer("/ReportPrefs/CalcAgingReportFromTxnDate")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut out = Vec::new();
    for inv in store
        .entities
        .get("Invoice")
        .into_iter()
        .flat_map(|m| m.values())
    {
        let balance = decimal_of(inv.get("Balance"));
        if balance == Decimal::ZERO {
            continue;
        }
        let s = |p: &str| {
            inv.pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned()
        };
        let customer_id = s("/CustomerRef/value");
        if !customers.is_empty() && !customers.contains(&customer_id) {
            continue;
        }
        let txn_date = s("/TxnDate");
        if NaiveDate::parse_from_str(&txn_date, "%Y-%m-%d").is_ok_and(|d| d > report_date) {
            continue;
        }
        let due_date = s("/DueDate");
        let basis = if from_txn_date || due_date.is_empty() {
            &txn_date
        } else {
            &due_date
        };
        let days = NaiveDate::parse_from_str(basis, "%Y-%m-%d")
            .map_or(0, |d| (report_date - d).num_days());
        let bucket = BUCKETS
            .iter()
            .position(|b| *b == AgingBucket::for_days(days))
            .unwrap_or(0);
        let customer = inv
            .pointer("/CustomerRef/name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                store
                    .get("Customer", &customer_id)
                    .and_then(|c| c.get("DisplayName"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        out.push(Open {
            id: s("/Id"),
            doc: s("/DocNumber"),
            customer_id,
            customer,
            txn_date,
            due_date,
            amount: decimal_of(inv.get("TotalAmt")),
            balance,
            bucket,
        });
    }
    out
}

fn header(name: &str, report_date: NaiveDate, currency: &str, empty: bool) -> Value {
    json!({
        "ReportName": name, "Time": super::store::stamp(chrono::Utc::now()),
        "DateMacro": "today", "ReportBasis": "Accrual", "Currency": currency,
        "StartPeriod": report_date.to_string(), "EndPeriod": report_date.to_string(),
        "Option": [{"Name": "report_date", "Value": report_date.to_string()},
                   {"Name": "NoReportData", "Value": if empty { "true" } else { "false" }}]
    })
}

pub(crate) fn aged_receivables(
    store: &RealmStore,
    report_date: NaiveDate,
    customers: &[String],
    currency: &str,
) -> Value {
    let open = open_invoices(store, report_date, customers);
    let mut per_customer: BTreeMap<(String, String), [Decimal; 5]> = BTreeMap::new();
    for o in &open {
        per_customer
            .entry((o.customer.clone(), o.customer_id.clone()))
            .or_default()[o.bucket] += o.balance;
    }
    let mut rows = Vec::new();
    let mut totals = [Decimal::ZERO; 5];
    for ((name, id), amounts) in &per_customer {
        let mut cells = vec![json!({"id": id, "value": name})];
        for (i, a) in amounts.iter().enumerate() {
            totals[i] += *a;
            cells.push(json!({"value": if a.is_zero() { String::new() } else { money(*a) }}));
        }
        cells.push(json!({"value": money(amounts.iter().copied().sum())}));
        rows.push(json!({"ColData": cells}));
    }
    let mut summary = vec![json!({"value": "TOTAL"})];
    summary.extend(totals.iter().map(|t| json!({"value": money(*t)})));
    summary.push(json!({"value": money(totals.iter().copied().sum())}));
    rows.push(json!({"group": "GrandTotal", "type": "Section", "Summary": {"ColData": summary}}));
    let mut columns = vec![json!({"ColType": "Customer", "ColTitle": ""})];
    columns.extend(
        BUCKETS
            .iter()
            .map(|b| json!({"ColType": "Money", "ColTitle": b.to_string()})),
    );
    columns.push(json!({"ColType": "Money", "ColTitle": "Total"}));
    json!({
        "Header": header("AgedReceivables", report_date, currency, open.is_empty()),
        "Columns": {"Column": columns},
        "Rows": {"Row": rows}
    })
}

pub(crate) fn aged_receivable_detail(
    store: &RealmStore,
    report_date: NaiveDate,
    customers: &[String],
    currency: &str,
) -> Value {
    let open = open_invoices(store, report_date, customers);
    let labels = [
        "Current",
        "1 - 30 days past due",
        "31 - 60 days past due",
        "61 - 90 days past due",
        "91 or more days past due",
    ];
    let mut sections = Vec::new();
    let mut grand = (Decimal::ZERO, Decimal::ZERO);
    // Oldest first, empty buckets omitted, as live reports do.
    for b in (0..5).rev() {
        let items: Vec<&Open> = open.iter().filter(|o| o.bucket == b).collect();
        if items.is_empty() {
            continue;
        }
        let (mut amt, mut bal) = (Decimal::ZERO, Decimal::ZERO);
        let rows: Vec<Value> = items
            .iter()
            .map(|o| {
                amt += o.amount;
                bal += o.balance;
                json!({"type": "Data", "ColData": [
                    {"value": o.txn_date}, {"value": "Invoice", "id": o.id}, {"value": o.doc},
                    {"value": o.customer, "id": o.customer_id}, {"value": o.due_date},
                    {"value": money(o.amount)}, {"value": money(o.balance)}]})
            })
            .collect();
        grand.0 += amt;
        grand.1 += bal;
        sections.push(json!({"type": "Section",
            "Header": {"ColData": [{"value": labels[b]}, {"value": ""}, {"value": ""}, {"value": ""}, {"value": ""}, {"value": ""}, {"value": ""}]},
            "Rows": {"Row": rows},
            "Summary": {"ColData": [{"value": format!("Total for {}", labels[b])}, {"value": ""}, {"value": ""}, {"value": ""}, {"value": ""},
                                    {"value": money(amt)}, {"value": money(bal)}]}}));
    }
    sections.push(json!({"type": "Section", "group": "GrandTotal",
        "Summary": {"ColData": [{"value": "TOTAL"}, {"value": ""}, {"value": ""}, {"value": ""}, {"value": ""},
                                {"value": money(grand.0)}, {"value": money(grand.1)}]}}));
    let col = |title: &str, key: &str| json!({"ColTitle": title, "ColType": key, "MetaData": [{"Name": "ColKey", "Value": key}]});
    json!({
        "Header": header("AgedReceivableDetail", report_date, currency, open.is_empty()),
        "Columns": {"Column": [col("Date", "tx_date"), col("Transaction Type", "txn_type"), col("Num", "doc_num"),
            col("Customer", "cust_name"), col("Due Date", "due_date"), col("Amount", "subt_amount"),
            col("Open Balance", "subt_open_bal")]},
        "Rows": {"Row": sections}
    })
}
