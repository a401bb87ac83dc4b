//! Writes the inputs of an end-to-end `clearline reconcile` benchmark: a generated studio
//! scenario (`recon::scenario`, the engine's quality and speed benchmark) as Wise statement JSON
//! files, one per balance, and one QBO query response, in the real wire formats.
//!
//! ```text
//! cargo run --release -p clearline --example reconcile_inputs -- DIR [BANK_LINES]   # default 100000
//! ```
//! It prints the `clearline reconcile` command to time. Nothing generated is committed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use chrono::SecondsFormat;
use recon::scenario::Scenario;
use recon::{BankLine, BookEntry, BookEntryKind};
use rust_decimal::Decimal;
use serde_json::{Value, json};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(
        args.next()
            .expect("usage: reconcile_inputs DIR [BANK_LINES]"),
    );
    let target: usize = args
        .next()
        .map_or(100_000, |a| a.replace('_', "").parse().expect("a number"));
    std::fs::create_dir_all(&dir).expect("output directory");

    // Same data as the engine's benchmark: `target` bank lines, about 30 a day.
    let scenario = Scenario::studio()
        .with_seed(42)
        .with_bank_lines(target)
        .with_days((target as i64 / 30).max(365))
        .build();

    let mut by_currency: BTreeMap<&str, Vec<&BankLine>> = BTreeMap::new();
    for line in &scenario.bank {
        by_currency.entry(&line.currency).or_default().push(line);
    }
    let mut bank_files = Vec::new();
    for (currency, mut lines) in by_currency {
        lines.sort_by(|a, b| (a.booked_at, &a.id).cmp(&(b.booked_at, &b.id)));
        let path = dir.join(format!("statement-{currency}.json"));
        std::fs::write(&path, statement_json(currency, &lines)).expect("write statement");
        bank_files.push(path.display().to_string());
    }
    let books_path = dir.join("books.json");
    std::fs::write(&books_path, query_response(&scenario.books)).expect("write books");

    let accounts: Vec<String> = scenario
        .mapping
        .accounts
        .iter()
        .map(|(c, a)| format!("{c}={a}"))
        .collect();
    eprintln!(
        "{} bank lines, {} postings written to {}",
        scenario.bank.len(),
        scenario.books.len(),
        dir.display()
    );
    println!(
        "clearline reconcile --bank {} --books {} --account {} --output {}",
        bank_files.join(" "),
        books_path.display(),
        accounts.join(" "),
        dir.join("result.json").display()
    );
}

/// A COMPACT statement, newest first, with running balances that chain.
fn statement_json(currency: &str, lines: &[&BankLine]) -> String {
    let opening = Decimal::new(100_000_000, 2); // 1,000,000.00
    let mut balance = opening;
    let mut transactions = Vec::with_capacity(lines.len());
    for line in lines {
        balance += line.amount;
        let mut details = json!({
            "type": line.details_type,
            "description": line.description,
            "paymentReference": line.payment_reference,
        });
        let party = match (line.details_type.as_str(), line.amount.is_sign_negative()) {
            ("CARD", _) => "merchant",
            (_, true) => "recipient",
            (_, false) => "senderName",
        };
        details[party] = if party == "senderName" {
            json!(line.counterparty)
        } else {
            json!({ "name": line.counterparty })
        };
        transactions.push(json!({
            "type": if line.amount.is_sign_negative() { "DEBIT" } else { "CREDIT" },
            "date": line.booked_at.to_rfc3339_opts(SecondsFormat::Millis, true),
            "amount": money(line.amount, currency),
            "totalFees": money(line.fee, currency),
            "details": details,
            "exchangeDetails": null,
            "runningBalance": money(balance, currency),
            "referenceNumber": line.id,
        }));
    }
    transactions.reverse();
    let first = lines.first().map(|l| l.booked_at.date_naive());
    let last = lines.last().map(|l| l.booked_at.date_naive());
    let doc = json!({
        "transactions": transactions,
        "startOfStatementBalance": money(opening, currency),
        "endOfStatementBalance": money(balance, currency),
        "query": {
            "intervalStart": first.map(|d| format!("{d}T00:00:00Z")),
            "intervalEnd": last.map(|d| format!("{d}T23:59:59.999Z")),
            "type": "COMPACT",
            "currency": currency,
        },
    });
    with_exact_numbers(&doc.to_string())
}

/// Money as Wise sends it. Amounts go through a string marker so they reach the file as exact
/// JSON numbers (serde_json would otherwise need `arbitrary_precision`).
fn money(value: Decimal, currency: &str) -> Value {
    json!({ "value": number(value), "currency": currency, "zero": value.is_zero() })
}

fn number(value: Decimal) -> Value {
    json!(format!("#num#{value}#"))
}

fn with_exact_numbers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("\"#num#") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 6..];
        let end = after.find("#\"").expect("closed marker");
        out.push_str(&after[..end]);
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// One QBO query response holding every posting as the entity it came from.
fn query_response(books: &[BookEntry]) -> String {
    let mut by_entity: BTreeMap<&str, Vec<Value>> = BTreeMap::new();
    for entry in books {
        let (entity, value) = entity(entry);
        by_entity.entry(entity).or_default().push(value);
    }
    let mut text = String::from("{\"QueryResponse\":");
    write!(text, "{}", json!(by_entity)).expect("write to string");
    text.push('}');
    with_exact_numbers(&text)
}

fn entity(e: &BookEntry) -> (&'static str, Value) {
    let id = e.id.split_once(':').map_or(&*e.id, |(_, id)| id);
    let total = number(e.amount.abs());
    let account = json!({ "value": e.bank_account_id });
    let out = e.amount.is_sign_negative();
    let mut v = json!({
        "Id": id,
        "TxnDate": e.txn_date.to_string(),
        "CurrencyRef": { "value": e.currency },
        "MetaData": { "CreateTime": e.created_at.map(|t| t.to_rfc3339()) },
    });
    let name = json!({ "name": e.counterparty });
    let memo_line = |detail: &str, inner: Value| json!([{ "Amount": total, "Description": e.memo, "DetailType": detail, detail: inner }]);
    let entity = match (e.kind, out) {
        (BookEntryKind::Purchase, _) => {
            let expense = if e.is_bank_charge {
                json!({ "value": "80", "name": "Bank Charges" })
            } else {
                json!({ "value": "72", "name": "Expenses" })
            };
            v["AccountRef"] = account;
            v["TotalAmt"] = total.clone();
            v["PaymentType"] = json!("Cash");
            v["Credit"] = json!(!out);
            v["EntityRef"] = name;
            v["Line"] = memo_line(
                "AccountBasedExpenseLineDetail",
                json!({ "AccountRef": expense }),
            );
            "Purchase"
        }
        (BookEntryKind::BillPayment, true) => {
            v["CheckPayment"] = json!({ "BankAccountRef": account });
            v["TotalAmt"] = total.clone();
            v["PayType"] = json!("Check");
            v["VendorRef"] = name;
            v["Line"] = json!([{ "Amount": total, "Description": e.memo }]);
            "BillPayment"
        }
        (BookEntryKind::Deposit, false) => {
            v["DepositToAccountRef"] = account;
            v["TotalAmt"] = total.clone();
            v["Line"] = memo_line(
                "DepositLineDetail",
                json!({ "AccountRef": { "value": "90" }, "Entity": name }),
            );
            "Deposit"
        }
        (BookEntryKind::Payment, false) => {
            v["DepositToAccountRef"] = account;
            v["TotalAmt"] = total.clone();
            v["CustomerRef"] = name;
            v["Line"] = json!([{ "Amount": total, "Description": e.memo }]);
            "Payment"
        }
        (BookEntryKind::SalesReceipt, false) => {
            v["DepositToAccountRef"] = account;
            v["TotalAmt"] = total.clone();
            v["CustomerRef"] = name;
            v["Line"] = json!([{ "Amount": total, "Description": e.memo }]);
            "SalesReceipt"
        }
        (BookEntryKind::Transfer, _) => {
            let other = json!({ "value": "99" });
            let (from, to) = if out {
                (account, other)
            } else {
                (other, account)
            };
            v["FromAccountRef"] = from;
            v["ToAccountRef"] = to;
            v["Amount"] = total.clone();
            "Transfer"
        }
        // Anything else, or an entity whose sign QBO could not produce: a journal entry.
        _ => {
            v["Line"] = json!([
                { "Amount": total, "Description": e.memo, "DetailType": "JournalEntryLineDetail",
                  "JournalEntryLineDetail": {
                      "PostingType": if out { "Credit" } else { "Debit" }, "AccountRef": account,
                      "Entity": { "EntityRef": name } } },
                { "Amount": total, "DetailType": "JournalEntryLineDetail",
                  "JournalEntryLineDetail": {
                      "PostingType": if out { "Debit" } else { "Credit" },
                      "AccountRef": { "value": "90" } } },
            ]);
            "JournalEntry"
        }
    };
    for (field, text) in [
        ("DocNumber", &e.doc_number),
        ("PaymentRefNum", &e.payment_ref_num),
        ("PrivateNote", &e.private_note),
    ] {
        if !text.is_empty() {
            v[field] = json!(text);
        }
    }
    (entity, v)
}
