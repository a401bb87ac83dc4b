//! Efficiency check against the emulator: a full pull of 50,000 bank postings and an
//! incremental pull after 100 changes, counting the requests the emulator served.
//!
//! `nice -n 10 cargo run -p qbo --release --features emulator --example pull_bench`

use std::time::Instant;

use chrono::{Duration, NaiveDate, Utc};
use qbo::emulator::{AccountSeed, Emulator, EmulatorConfig, posting_value};
use qbo::postings::{AccountSelection, bank_postings};
use qbo::{ClientConfig, Entity, OAuthConfig, QboClient, Secret, token_sink};
use rust_decimal::Decimal;
use serde_json::{Value, json};

/// A JSON number from the decimal's own text (the example never goes through `f64` itself).
fn num(d: Decimal) -> Value {
    serde_json::from_str(&d.to_string()).unwrap_or(Value::Null)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emu = Emulator::start(EmulatorConfig::default()).await?;
    let realm = emu.config().default_realm.clone();
    let bank = emu.add_account(&realm, AccountSeed::bank("Wise - EUR", "EUR"));
    let other = emu.add_account(&realm, AccountSeed::expense("Bank Charges"));

    // 50,000 postings spread over the seven bank entities like a busy studio's year.
    let at = (Utc::now() - Duration::hours(2)).to_rfc3339();
    let day = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("date")?;
    let stamp = |mut v: Value| {
        v["MetaData"] = json!({"CreateTime": at, "LastUpdatedTime": at});
        v
    };
    let mix: [(&str, usize); 7] = [
        ("Purchase", 30_500),
        ("Deposit", 12_500),
        ("BillPayment", 4_500),
        ("Payment", 1_500),
        ("SalesReceipt", 500),
        ("Transfer", 300),
        ("JournalEntry", 200),
    ];
    let t = Instant::now();
    for (entity, n) in mix {
        let rows = (0..n).map(|i| {
            let cents = Decimal::new(100 + i64::try_from(i % 9000).unwrap_or(0), 2);
            let d = day.to_string();
            stamp(match entity {
                "Purchase" => posting_value(&bank, &other, -cents, day, "card").1,
                "Deposit" => posting_value(&bank, &other, cents, day, "payout").1,
                "BillPayment" => json!({"PayType": "Check", "TotalAmt": num(cents), "TxnDate": d,
                    "CheckPayment": {"BankAccountRef": {"value": bank}}, "VendorRef": {"value": "1", "name": "Supplier"}}),
                "Payment" | "SalesReceipt" => json!({"TotalAmt": num(cents), "TxnDate": d,
                    "DepositToAccountRef": {"value": bank}, "CustomerRef": {"value": "1", "name": "Client"}}),
                "Transfer" => json!({"Amount": num(cents), "TxnDate": d,
                    "FromAccountRef": {"value": bank}, "ToAccountRef": {"value": "999"}}),
                _ => json!({"TxnDate": d, "Line": [
                    {"DetailType": "JournalEntryLineDetail", "Amount": 1.5, "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": bank}}},
                    {"DetailType": "JournalEntryLineDetail", "Amount": 1.5, "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": other}}}]}),
            })
        });
        emu.insert_many(&realm, entity, rows);
    }
    println!("seeded 50000 postings in {:?}", t.elapsed());

    let mut config = ClientConfig::new(
        emu.endpoints(),
        OAuthConfig::new(
            emu.config().client_id.clone(),
            Secret::new(emu.config().client_secret.clone()),
            url::Url::parse("https://clearline.example/qbo/callback")?,
        ),
    );
    config.limits.per_minute = 500;
    let client = QboClient::new(config, token_sink(|_| async { Ok(()) }))?;
    let company = client.company(emu.issue_tokens(&realm));
    let selection = AccountSelection {
        bank_account_ids: [bank.clone()].into(),
        fee_account_ids: [other.clone()].into(),
    };

    emu.reset_requests();
    let t = Instant::now();
    let all = company.bank_transactions(None).await?;
    let postings = bank_postings(&all, &selection)?;
    let full = emu.requests();
    println!(
        "full pull: {} postings, {} requests ({} query), {:?}",
        postings.len(),
        full.api(),
        full.query,
        t.elapsed()
    );
    assert_eq!(postings.len(), 50_000);

    // 100 changes: 80 edits, 10 new, 10 deletions.
    let since = Utc::now() - Duration::minutes(1);
    for id in 1..=80 {
        emu.update(
            &realm,
            "Purchase",
            &id.to_string(),
            json!({"PrivateNote": "edited"}),
        )?;
    }
    for _ in 0..10 {
        emu.add_posting(
            &realm,
            &bank,
            &other,
            Decimal::new(-415, 2),
            day,
            "late fee",
        );
    }
    for id in 1..=10 {
        emu.delete(&realm, "Deposit", &id.to_string())?;
    }
    emu.reset_requests();
    let t = Instant::now();
    let changes = company
        .changes_since(&Entity::BANK_TRANSACTIONS, since)
        .await?;
    let inc = emu.requests();
    println!(
        "incremental pull after 100 changes: {} changed + {} deleted via {:?}, {} request(s), {:?}",
        changes.changed.len(),
        changes.deleted.len(),
        changes.method,
        inc.api(),
        t.elapsed()
    );
    assert_eq!(changes.changed.len() + changes.deleted.len(), 100);
    Ok(())
}
