//! Sync benchmark against the in-process emulators: six months of N bank lines (three
//! balances) and about as many postings (2 % of lines never posted, 1.4 % posted twice); a first sync + reconciliation, then a re-run with no
//! changes. Run it in release:
//!
//! ```text
//! cargo run --release -p control --example sync_bench -- 50000            # SQLite (temp file)
//! CLEARLINE_BENCH_POSTGRES_URL=postgres://… cargo run --release -p control --example sync_bench -- 50000
//! ```
//! Prints one JSON line per run with the wall time and the step durations.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use control::audit::Actor;
use control::mappings::{self, MappingDraft};
use control::members::NewMember;
use control::password::NewPassword;
use control::runs::{self, NewRun, Purpose, Trigger};
use control::secrets::Vault;
use control::sync::{Connectors, Context};
use control::{Db, Email, Role, connect, members};
use qbo::emulator::{AccountSeed, EmulatorConfig as QboConfig, posting_value};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::time::Instant;
use wise::emulator::ledger::{Entry, Ledger};
use wise::emulator::{BUSINESS_PROFILE_ID, EmulatorConfig as WiseConfig};

const END: (i32, u32, u32) = (2026, 6, 30);

fn ledgers(total: usize) -> Vec<Ledger> {
    let end = Utc.with_ymd_and_hms(END.0, END.1, END.2, 23, 0, 0).unwrap();
    let start = end - Duration::days(182);
    let span = (end - start).num_seconds();
    let per = total.div_ceil(3);
    let mut seed: u64 = 42;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as i64
    };
    [("EUR", 300_001), ("USD", 300_002), ("GBP", 300_003)]
        .into_iter()
        .enumerate()
        .map(|(k, (currency, balance))| {
            let mut l = Ledger::new(
                BUSINESS_PROFILE_ID,
                balance,
                currency,
                Decimal::new(10_000_000, 2),
            );
            for i in 0..per {
                let r = next();
                let date = start + Duration::seconds(span * i as i64 / per as i64 + r % 60);
                let (amount, fees, kind, cp, reference, number) = match i % 3 {
                    0 => (
                        Decimal::new(50_000 + r % 400_000, 2),
                        Decimal::ZERO,
                        "DEPOSIT",
                        format!("Client {}", r % 97),
                        Some(format!("INV-{k}-{i}")),
                        format!("TRANSFER-{}", 10_000_000 * (k + 1) + i),
                    ),
                    1 => {
                        let fee = Decimal::new(50 + r % 300, 2);
                        (
                            -(Decimal::new(10_000 + r % 90_000, 2) + fee),
                            fee,
                            "TRANSFER",
                            format!("Supplier {}", r % 53),
                            Some(format!("BILL-{k}-{i}")),
                            format!("TRANSFER-{}", 10_000_000 * (k + 1) + i),
                        )
                    }
                    _ => (
                        -Decimal::new(500 + r % 20_000, 2),
                        Decimal::ZERO,
                        "CARD",
                        format!("Vendor {}", r % 41),
                        None,
                        format!("CARD-{}", 10_000_000 * (k + 1) + i),
                    ),
                };
                l.insert(Entry {
                    reference_number: number,
                    date,
                    amount,
                    fees,
                    details_type: kind,
                    description: format!("{kind} {cp}"),
                    counterparty: Some(cp),
                    payment_reference: reference,
                    running_balance: Decimal::ZERO,
                });
            }
            l
        })
        .collect()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(50_000);
    let (db, backend) = match std::env::var("CLEARLINE_BENCH_POSTGRES_URL") {
        Ok(url) => (Db::connect(&url).await.expect("postgres"), "postgres"),
        Err(_) => {
            let dir = std::env::temp_dir().join(format!("clearline-bench-{}", std::process::id()));
            let url = format!("sqlite://{}/bench.db", dir.display());
            (Db::connect(&url).await.expect("sqlite"), "sqlite")
        }
    };
    let now = Utc::now();
    let owner = members::provision(
        &db,
        &Actor::system("bench"),
        &format!("Bench {}", uuid_like()),
        NewMember {
            email: Email::parse(&format!("bench-{}@example.test", uuid_like())).unwrap(),
            display_name: "Bench".into(),
            role: Role::Owner,
            password: Some(NewPassword::parse("correct horse battery").unwrap()),
        },
        now,
    )
    .await
    .unwrap();
    let org = owner.organization_id;
    let actor = Actor::user(owner.user_id, "bench@example.test");

    let t = Instant::now();
    let ledgers = ledgers(n);
    let wise = wise::emulator::Emulator::start(WiseConfig {
        personal_tokens: vec!["bench-token".into()],
        ledgers: Some(ledgers.clone()),
        ..WiseConfig::default()
    })
    .await
    .unwrap();
    let qbo = qbo::emulator::Emulator::start(QboConfig {
        junk_fields: false,
        ..QboConfig::default()
    })
    .await
    .unwrap();
    let realm = qbo.state().config().default_realm.clone();
    let s = qbo.state();
    s.set_preferences(&realm, true, "EUR");
    let mut accounts = BTreeMap::new();
    for l in &ledgers {
        accounts.insert(
            l.currency.clone(),
            s.add_account(
                &realm,
                AccountSeed::bank(&format!("Wise {}", l.currency), &l.currency),
            ),
        );
    }
    let fees = s.add_account(&realm, AccountSeed::expense("Bank Charges"));
    let other = s.add_account(&realm, AccountSeed::expense("Operations"));
    let mut postings = 0;
    for l in &ledgers {
        let account = &accounts[&l.currency];
        let (mut purchases, mut deposits) = (Vec::new(), Vec::new());
        for (i, e) in l.entries.iter().enumerate() {
            // Planted breaks: ~2 % never posted, ~1.4 % posted twice.
            if i % 50 == 7 {
                continue;
            }
            let memo = e
                .payment_reference
                .clone()
                .unwrap_or_else(|| e.reference_number.clone());
            let (entity, v) = posting_value(
                account,
                &other,
                e.amount,
                e.date.date_naive() + Duration::days(1),
                &memo,
            );
            let copies = if i % 70 == 3 { 2 } else { 1 };
            for _ in 0..copies {
                if entity == "Purchase" {
                    purchases.push(v.clone())
                } else {
                    deposits.push(v.clone())
                }
            }
        }
        postings += purchases.len() + deposits.len();
        s.insert_many(&realm, "Purchase", purchases);
        s.insert_many(&realm, "Deposit", deposits);
    }
    eprintln!(
        "seeded {n} bank lines and {postings} postings in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    let ctx = Context {
        db: db.clone(),
        vault: Vault::from_key(&[9u8; 32]).unwrap(),
        connectors: Connectors {
            wise_base_url: wise.base_url(),
            wise_retry: wise::RetryPolicy::default(),
            qbo: Some(qbo::ClientConfig::new(
                qbo.endpoints(),
                qbo::OAuthConfig::new(
                    "emulator-client",
                    qbo::Secret::new("emulator-secret"),
                    "http://127.0.0.1:1/cb".parse().unwrap(),
                ),
            )),
            wise_oauth: None,
        },
        worker: "bench".into(),
        lease: Duration::seconds(120),
    };
    connect::qbo(&ctx, &actor, org, s.issue_tokens(&realm), now)
        .await
        .unwrap();
    connect::wise(
        &ctx,
        &actor,
        org,
        "bench-token",
        None,
        Some(BUSINESS_PROFILE_ID),
        now,
    )
    .await
    .unwrap();
    let m = mappings::propose(
        &db,
        &actor,
        org,
        MappingDraft {
            accounts,
            fee_account_id: Some(fees),
        },
        now,
    )
    .await
    .unwrap();
    let end = NaiveDate::from_ymd_opt(END.0, END.1, END.2).unwrap();
    let run = |purpose, mapping_id, from: NaiveDate| NewRun {
        organization_id: org,
        purpose,
        trigger: Trigger::Manual,
        mapping_id,
        window_from: from,
        window_to: end,
        requested_by: None,
    };
    runs::enqueue(
        &db,
        run(Purpose::TestBatch, Some(m.id), end - Duration::days(7)),
        now,
    )
    .await
    .unwrap();
    control::sync::drain(&ctx).await.unwrap();
    mappings::apply(&db, &actor, org, m.id, now).await.unwrap();

    for label in ["first sync", "re-run, no changes"] {
        let id = runs::enqueue(
            &db,
            run(Purpose::Sync, None, end - Duration::days(183)),
            Utc::now(),
        )
        .await
        .unwrap()
        .run()
        .id;
        let t = Instant::now();
        control::sync::drain(&ctx).await.unwrap();
        let secs = t.elapsed().as_secs_f64();
        let r = runs::get(&db, org, id).await.unwrap();
        assert_eq!(r.status, runs::RunStatus::Succeeded, "{:?}", r.error);
        println!(
            "{}",
            serde_json::json!({
                "backend": backend, "bank_lines": r.stats["bank_lines"], "postings": postings, "run": label,
                "seconds": (secs * 100.0).round() / 100.0,
                "match_percent": r.stats["match_percent"], "exceptions": r.stats["exceptions"],
                "steps_ms": r.stats["durations_ms"],
            })
        );
    }
}

fn uuid_like() -> String {
    format!(
        "{:x}",
        std::process::id() as u64 * 1_000_003 + Utc::now().timestamp_subsec_nanos() as u64
    )
}
