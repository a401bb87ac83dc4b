//! Page speed at scale: a database with 1M bank lines, ~900k stored matches and 100k
//! exceptions, served by the real server; each screen is fetched (server-side rendered, all
//! its data resolved) N times by a signed-in client and the median and p95 reported.
//!
//! ```text
//! cargo run --release -p clearline --example page_bench -- [BANK_LINES] [EXCEPTIONS]   # 1000000 100000
//! CLEARLINE_BENCH_DATABASE_URL=postgres://…/db cargo run --release -p clearline --example page_bench
//! ```
//! The server runs in the same process (release build, `LEPTOS_SITE_ROOT` as for `serve`).

use chrono::{Duration, TimeZone, Utc};
use control::audit::Actor;
use control::findings::{FoundException, FoundMatch};
use control::lines::{self, BankLine};
use control::members::NewMember;
use control::password::NewPassword;
use control::telemetry::LagPath;
use control::{Db, Email, Role, members};
use rust_decimal::Decimal;
use std::time::Instant;

const PASSWORD: &str = "correct horse battery";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .map_or(1_000_000, |a| a.replace('_', "").parse().expect("a number"));
    let m: usize = args
        .next()
        .map_or(100_000, |a| a.replace('_', "").parse().expect("a number"));
    let dir = std::env::temp_dir().join(format!("clearline-page-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = std::env::var("CLEARLINE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/bench.db", dir.display()));
    let db = Db::connect(&url).await?;
    let now = Utc::now();
    let email = format!("bench-{}@example.test", std::process::id());
    let owner = members::provision(
        &db,
        &Actor::system("bench"),
        &format!("Page bench {}", std::process::id()),
        NewMember {
            email: Email::parse(&email)?,
            display_name: "Bench".into(),
            role: Role::Owner,
            password: Some(NewPassword::parse(PASSWORD)?),
        },
        now,
    )
    .await?;
    let org = owner.organization_id;

    let t = Instant::now();
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let currencies = ["EUR", "USD", "GBP"];
    let line = |i: usize| BankLine {
        currency: currencies[i % 3].into(),
        reference: format!("TRANSFER-{}", 100_000_000 + i),
        booked_at: start + Duration::seconds((i as i64) * 60),
        amount: Decimal::new(-((i as i64 % 90_000) + 500), 2),
        fee: Decimal::ZERO,
        counterparty: format!("Supplier {}", i % 500),
        payment_reference: format!("INV-{i}"),
        description: "Sent money".into(),
        details_type: "TRANSFER".into(),
    };
    for chunk in (0..n).collect::<Vec<_>>().chunks(50_000) {
        let batch: Vec<BankLine> = chunk.iter().map(|&i| line(i)).collect();
        let mut tx = db.begin().await?;
        lines::upsert_bank_lines(&mut tx, org, &batch, "api", None, None, now).await?;
        tx.commit().await?;
    }
    let matched = n.saturating_sub(m);
    let matches: Vec<FoundMatch> = (0..matched)
        .map(|i| {
            let l = line(i);
            FoundMatch {
                key: format!("{}|one_to_one|{}|Purchase:{i}", l.currency, l.reference),
                kind: "one_to_one".into(),
                status: if i % 97 == 0 { "suggested" } else { "auto" }.into(),
                confidence: "0.99".into(),
                reason: "reference INV hit, same amount, posted 1 day later".into(),
                currency: l.currency.clone(),
                bank_ids: vec![l.reference.clone()],
                book_ids: vec![format!("Purchase:{i}")],
                bank_at: Some(l.booked_at),
                posted_at: Some(l.booked_at + Duration::days(1)),
                lag_seconds: Some(86_400),
                path: LagPath::BankFeed,
            }
        })
        .collect();
    let kinds = [
        "missing_in_books",
        "unbooked_fee",
        "duplicate_posting",
        "amount_mismatch",
        "missing_in_bank",
    ];
    let exceptions: Vec<FoundException> = (matched..n)
        .map(|i| {
            let l = line(i);
            let kind = kinds[i % kinds.len()];
            FoundException {
                key: format!("{}|{kind}|{}|", l.currency, l.reference),
                kind: kind.into(),
                currency: l.currency.clone(),
                difference: l.amount,
                size_minor: (i as i64 % 90_000) + 500,
                reason: "no posting found within 45 days".into(),
                bank_ids: vec![l.reference.clone()],
                book_ids: vec![],
                occurred_on: Some(l.booked_at.date_naive()),
            }
        })
        .collect();
    let mut tx = db.begin().await?;
    control::results::store(&mut tx, org, 1, &matches, &exceptions, None, now).await?;
    tx.commit().await?;
    eprintln!(
        "seeded {n} bank lines, {} matches, {} exceptions in {:.0} s",
        matches.len(),
        exceptions.len(),
        t.elapsed().as_secs_f64(),
    );
    drop((matches, exceptions));

    let mut settings = server::config::Settings::from_env()?;
    settings.database_url = url.clone();
    settings.addr = "127.0.0.1:0".parse()?;
    settings.demo = false;
    settings.run_jobs = false;
    settings.secret_key = server::config::SecretKey::File(dir.join("secret.key"));
    let running = server::web::start(&settings, server::web::leptos_options(&settings)).await?;
    let base = format!("http://{}", running.addr);
    let client = reqwest::Client::builder().cookie_store(true).build()?;
    let login = client
        .post(format!("{base}/api/login"))
        .form(&[("email", email.as_str()), ("password", PASSWORD)])
        .send()
        .await?;
    anyhow::ensure!(login.status().is_success(), "login failed");
    let pages = [
        "/",
        "/exceptions",
        "/exceptions?kind=unbooked_fee",
        "/reconciliation",
        "/reconciliation?status=suggested",
        "/audit",
        "/connections",
        "/mapping",
        "/matrix",
        "/preflight",
        "/pilot",
        "/weekly",
        "/collections",
        "/support",
    ];
    let backend = format!("{:?}", control::db::Backend::of_url(&url));
    for page in pages {
        let mut times = Vec::new();
        for _ in 0..21 {
            let t = Instant::now();
            let res = client.get(format!("{base}{page}")).send().await?;
            let status = res.status();
            let body = res.text().await?;
            anyhow::ensure!(status.is_success(), "{page}: {status}");
            anyhow::ensure!(!body.is_empty());
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.remove(0); // the first request warms caches
        times.sort_by(f64::total_cmp);
        println!(
            "{}",
            serde_json::json!({"backend": backend, "bank_lines": n, "exceptions": m, "page": page,
                "median_ms": (times[times.len() / 2] * 10.0).round() / 10.0,
                "p95_ms": (times[times.len() * 95 / 100] * 10.0).round() / 10.0})
        );
    }
    running.stop().await?;
    Ok(())
}
