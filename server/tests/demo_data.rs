//! The demo organization end to end: the studio's Wise balances and QBO company, fetched with
//! the real clients from the seeded emulators, converted as the server converts them and
//! reconciled by the engine, show exactly the slips that were planted, and nothing else.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, TimeDelta, TimeZone, Utc};
use qbo::postings::{AccountSelection, bank_postings};
use qbo::{ClientConfig, OAuthConfig, QboClient, Secret, token_sink};
use recon::{BankLine, BookEntry, Options, Reconciliation};
use server::demo::{DemoEmulators, Expected, Problem, studio};
use server::reconcile::convert;
use wise::WiseClient;
use wise::api_types::ProfileType;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// What the server would hand the engine.
struct Inputs {
    bank: Vec<BankLine>,
    books: Vec<BookEntry>,
    options: Options,
    /// (currency, referenceNumber) → the bank line's id for the engine.
    bank_ids: BTreeMap<(String, String), String>,
}

/// Every statement line of every balance over the period, through the Wise client.
async fn fetch_bank(demo: &DemoEmulators, inputs: &mut Inputs) {
    let wise = WiseClient::personal(demo.wise.base_url(), demo.wise_token.clone()).unwrap();
    let profile = wise
        .profiles()
        .await
        .unwrap()
        .into_iter()
        .find(|p| p.kind == ProfileType::Business)
        .unwrap();
    assert_eq!(profile.id, demo.profile_id);
    let (first, last) = demo.studio.period;
    let start = Utc.from_utc_datetime(&first.and_hms_opt(0, 0, 0).unwrap());
    let end = Utc.from_utc_datetime(&last.and_hms_milli_opt(23, 59, 59, 999).unwrap());
    let balances = wise.balances(profile.id).await.unwrap();
    let currencies: BTreeSet<&str> = balances.iter().map(|b| b.currency.as_str()).collect();
    assert_eq!(currencies, BTreeSet::from(["EUR", "GBP", "USD"]));
    for b in &balances {
        let statement = wise
            .statement(profile.id, b.id, &b.currency, start, end)
            .await
            .unwrap();
        let (s, e) = (
            statement.interval_start.unwrap(),
            statement.interval_end.unwrap(),
        );
        inputs.options.periods.insert(
            b.currency.clone(),
            (
                s.date_naive(),
                (e - TimeDelta::milliseconds(1)).date_naive(),
            ),
        );
        assert_eq!(statement.closing_balance, Some(b.amount.value));
        inputs.bank.extend(convert::bank_lines(&statement));
    }
    // A conversion's two legs share a reference: qualified with the currency, as
    // `clearline reconcile` does.
    let mut seen: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for l in &inputs.bank {
        seen.entry(l.id.to_string())
            .or_default()
            .insert(l.currency.clone());
    }
    for l in &mut inputs.bank {
        let reference = l.id.to_string();
        if seen[&reference].len() > 1 {
            l.id = format!("{}@{}", l.id, l.currency).into();
        }
        inputs
            .bank_ids
            .insert((l.currency.clone(), reference), l.id.to_string());
    }
}

/// The demo company, connected through the QBO client.
fn company(demo: &DemoEmulators) -> qbo::Company {
    let config = demo.qbo.config();
    let client = QboClient::new(
        ClientConfig::new(
            demo.qbo.endpoints(),
            OAuthConfig::new(
                config.client_id.clone(),
                Secret::new(config.client_secret.clone()),
                url::Url::parse("https://clearline.example/qbo/callback").unwrap(),
            ),
        ),
        token_sink(|_| async { Ok(()) }),
    )
    .unwrap();
    client.company(demo.qbo.issue_tokens(&demo.realm_id))
}

/// Every posting on the mapped accounts, through the QBO client.
async fn fetch_books(demo: &DemoEmulators, inputs: &mut Inputs) {
    let response = company(demo).bank_transactions(None).await.unwrap();
    let selection = AccountSelection {
        bank_account_ids: demo.accounts.values().cloned().collect(),
        fee_account_ids: BTreeSet::from([demo.fee_account_id.clone()]),
    };
    let mapping = demo.mapping();
    for posting in bank_postings(&response, &selection).unwrap() {
        let currency = mapping
            .currency_of(&posting.bank_account_id)
            .unwrap()
            .to_owned();
        if let Some(found) = &posting.currency {
            assert_eq!(found, &currency, "{}", posting.id);
        }
        inputs.books.push(convert::book_entry(posting, &currency));
    }
}

async fn reconcile(demo: &DemoEmulators) -> (Inputs, Reconciliation) {
    let mut inputs = Inputs {
        bank: Vec::new(),
        books: Vec::new(),
        options: Options::default(),
        bank_ids: BTreeMap::new(),
    };
    fetch_bank(demo, &mut inputs).await;
    fetch_books(demo, &mut inputs).await;
    let mapping = demo.mapping();
    mapping.validate(&inputs.bank, &inputs.books).unwrap();
    let result = recon::reconcile(&inputs.bank, &inputs.books, &mapping, &inputs.options);
    (inputs, result)
}

type Group = (BTreeSet<String>, BTreeSet<String>);

fn group<'a>(
    bank: impl IntoIterator<Item = &'a str>,
    books: impl IntoIterator<Item = &'a str>,
) -> Group {
    (
        bank.into_iter().map(str::to_owned).collect(),
        books.into_iter().map(str::to_owned).collect(),
    )
}

/// Checks the engine's result against the studio's truth; returns what is wrong.
fn compare(demo: &DemoEmulators, inputs: &Inputs, result: &Reconciliation) -> Vec<String> {
    let mut wrong = Vec::new();
    let exceptions: BTreeMap<Group, recon::ExceptionKind> = result
        .exceptions
        .iter()
        .map(|e| (group(e.bank.iter(), e.books.iter()), e.kind))
        .collect();
    let matches: BTreeMap<Group, (recon::MatchKind, recon::MatchStatus)> = result
        .matches
        .iter()
        .map(|m| (group(m.bank.iter(), m.books.iter()), (m.kind, m.status)))
        .collect();
    let mut planted_exceptions = BTreeSet::new();
    for p in &demo.studio.truth {
        let bank: Vec<&str> = p
            .bank
            .iter()
            .map(|b| inputs.bank_ids[&(b.currency.clone(), b.reference.clone())].as_str())
            .collect();
        let books: Vec<&str> = p
            .postings
            .iter()
            .map(|k| demo.book_ids[k].as_str())
            .collect();
        let g = group(bank, books);
        match p.problem.expected() {
            Expected::Exception(kind) => {
                if exceptions.get(&g) != Some(&kind) {
                    wrong.push(format!(
                        "{:?} not reported as {kind:?}: {} {g:?}",
                        p.problem, p.note
                    ));
                }
                planted_exceptions.insert(g);
            }
            Expected::Match(kind) => {
                if matches.get(&g).map(|m| m.0) != Some(kind) {
                    wrong.push(format!(
                        "{:?} not matched as {kind:?}: {} {g:?}",
                        p.problem, p.note
                    ));
                }
            }
        }
    }
    for e in &result.exceptions {
        let g = group(e.bank.iter(), e.books.iter());
        if !planted_exceptions.contains(&g) {
            wrong.push(format!("unplanted {:?}: {}", e.kind, e.reason));
        }
    }
    if result.summary.match_rate < 0.9 {
        wrong.push(format!("match rate {}", result.summary.match_rate));
    }
    wrong
}

/// What is wrong with the demo for `anchor` (empty when the engine finds exactly the truth).
async fn check(anchor: NaiveDate) -> Vec<String> {
    let demo = DemoEmulators::start(anchor).await.unwrap();
    let (inputs, result) = reconcile(&demo).await;
    let lines: usize = demo.studio.ledgers.iter().map(|l| l.entries.len()).sum();
    assert_eq!(
        inputs.bank.len(),
        lines,
        "every ledger line comes through the client"
    );
    // All but the three client payments parked in Undeposited Funds touch a Wise account.
    assert_eq!(inputs.books.len(), demo.studio.books.postings.len() - 3);
    compare(&demo, &inputs, &result)
        .into_iter()
        .map(|w| format!("{anchor}: {w}"))
        .collect()
}

#[tokio::test]
async fn the_engine_finds_every_planted_problem_and_nothing_else() {
    // Mid-year, across a year end, and from a leap day.
    for anchor in ["2025-06-30", "2026-01-04", "2024-02-29"] {
        let wrong = check(day(anchor)).await;
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}

#[tokio::test]
async fn planted_problems_are_reported_with_their_kind() {
    let demo = DemoEmulators::start(day("2025-06-30")).await.unwrap();
    let (_, result) = reconcile(&demo).await;
    let mut reported: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &result.exceptions {
        *reported.entry(e.kind.as_str()).or_default() += 1;
    }
    assert_eq!(
        reported,
        BTreeMap::from([
            ("amount_mismatch", 3),
            ("duplicate_posting", 5),
            ("missing_in_bank", 3),
            ("missing_in_books", 3),
            ("unbooked_fee", 4),
        ])
    );
    assert!(
        result.summary.match_rate >= 0.9,
        "{}",
        result.summary.match_rate
    );
    // The tricky but correct bookings are planted as often (their matching is checked above).
    let fine: BTreeSet<Problem> = [
        Problem::FeeSplit,
        Problem::LatePosting,
        Problem::BatchDeposit,
        Problem::OnePaymentManyBills,
    ]
    .into();
    let planted_fine = demo
        .studio
        .truth
        .iter()
        .filter(|p| fine.contains(&p.problem))
        .count();
    assert_eq!(planted_fine, 5 + 3 + 2 + 2);
}

#[tokio::test]
async fn the_company_books_wise_in_three_currencies_and_has_receivables_to_chase() {
    let anchor = day("2025-06-30");
    let demo = DemoEmulators::start(anchor).await.unwrap();
    let company = company(&demo);
    let info = company.company_info().await.unwrap();
    assert_eq!(info.company_name.as_deref(), Some("Clearline Demo Studio"));
    let prefs = company.preferences().await.unwrap();
    assert!(prefs.multicurrency_enabled());
    let home = prefs
        .currency_prefs
        .and_then(|c| c.home_currency)
        .map(|r| r.value);
    assert_eq!(home.as_deref(), Some("EUR"));

    let banks: BTreeMap<String, (String, String)> = company
        .bank_accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| {
            let currency = a.currency_ref.map(|r| r.value).unwrap_or_default();
            (currency, (a.id, a.name.unwrap_or_default()))
        })
        .collect();
    for (currency, id) in &demo.accounts {
        assert_eq!(banks[currency], (id.clone(), format!("Wise {currency}")));
    }

    let open = company.open_invoices().await.unwrap();
    assert!(open.len() >= 8, "{} open invoices", open.len());
    let summary = company
        .aged_receivables(&qbo::reports::AgingParams {
            report_date: Some(anchor),
            customer_ids: Vec::new(),
        })
        .await
        .unwrap();
    assert_eq!(summary.buckets.len(), 5);
    // Something current, and something in every past-due bucket up to 91 and over.
    assert!(
        summary
            .bucket_totals
            .iter()
            .all(|t| *t > rust_decimal::Decimal::ZERO),
        "{:?}",
        summary.bucket_totals
    );
}

#[tokio::test]
async fn restarting_on_the_same_anchor_gives_the_same_books() {
    let anchor = day("2025-06-30");
    let a = DemoEmulators::start(anchor).await.unwrap();
    let b = DemoEmulators::start(anchor).await.unwrap();
    assert_eq!(a.ids, b.ids);
    assert_eq!(a.accounts, b.accounts);
    assert_eq!(a.studio, studio(anchor));
    assert_eq!(a.accounts.len(), 3);
    let realm = &a.realm_id;
    for (key, id) in a.book_ids.iter().take(40) {
        let (entity, qbo_id) = id.split_once(':').unwrap();
        assert_eq!(
            a.qbo
                .get(realm, entity, qbo_id)
                .map(|v| v["TxnDate"].clone()),
            b.qbo
                .get(realm, entity, qbo_id)
                .map(|v| v["TxnDate"].clone()),
            "{key}"
        );
    }
    assert_eq!(a.qbo.count(realm, "Invoice"), b.qbo.count(realm, "Invoice"));
}

/// Many anchors, for tuning the data (`cargo test -p clearline --test demo_data -- --ignored`).
#[tokio::test]
#[ignore = "slow: sixty anchors"]
async fn every_anchor_tells_the_same_story() {
    let mut d = day("2025-01-01");
    let mut wrong = Vec::new();
    for _ in 0..60 {
        wrong.extend(check(d).await);
        d += TimeDelta::days(11);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
