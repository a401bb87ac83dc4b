//! `clearline reconcile` end to end: the real binary on hand-made Wise statements and QBO query
//! responses (issue 3's CLI contract, issue 4's "every statement door").
//!
//! The studio's March 2024 (`fixtures/`): EUR statement JSON and GBP statement CSV; books in two
//! query responses. What the books hold, line by line:
//! - `TRANSFER-900000001` +2500.00 from Hein Lauri ↔ `Payment:301` (reference INV-2024-007);
//! - `TRANSFER-900000002` −1204.31 incl. fee 4.31 ↔ `BillPayment:236` 1200.00 + `Purchase:237`
//!   4.31 Bank Charges (fee split);
//! - `TRANSFER-900000003` −803.15 incl. fee 3.15 ↔ `BillPayment:240` 800.00 only (unbooked fee);
//! - `TRANSFER-900000005` −1500.00 ↔ `BillPayment:245` 1050.00 (a typo: amount mismatch);
//! - `CARD-1234567890` −46.22 ↔ `Purchase:250` and `Purchase:251` (a duplicate);
//! - `TRANSFER-900000004` −350.00 to Papier & Co: not booked (missing posting); its refund
//!   +350.00 reuses the reference (`TRANSFER-900000004#2`) ↔ `Deposit:260`;
//! - `BALANCE-44556677`, a conversion on both balances (−500.00 EUR, +425.75 GBP) ↔
//!   `JournalEntry:290` and `Deposit:291`;
//! - `CARD-2233445566` −12.00 GBP ↔ `Purchase:320`;
//! - `Purchase:270` −99.00 on 25 March has no bank line (missing in bank); `Purchase:330` is on a
//!   credit card and `Payment:302` in Undeposited Funds: neither touches a Wise account.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// The Wise crate's one period in three formats (statement JSON, CSV export, camt.053).
fn wise_fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/wise/tests/fixtures")
        .join(name)
}

fn clearline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_clearline"))
        .arg("reconcile")
        .args(args)
        .output()
        .expect("the clearline binary runs")
}

fn studio_args() -> Vec<String> {
    let p = |n: &str| fixture(n).display().to_string();
    vec![
        "--bank".into(),
        p("studio-eur.json"),
        p("studio-gbp.csv"),
        "--books".into(),
        p("qbo-purchases.json"),
        p("qbo-receipts.json"),
        "--account".into(),
        "EUR=35".into(),
        "GBP=36".into(),
    ]
}

fn run(args: &[String]) -> Output {
    clearline(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "exit {:?}; stderr: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

fn ids(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("an id list")
        .iter()
        .map(|s| s.as_str().expect("an id").to_owned())
        .collect()
}

/// (kind, bank ids, book ids) of every match.
fn matches(result: &Value) -> Vec<(String, Vec<String>, Vec<String>)> {
    let mut v: Vec<_> = result["matches"]
        .as_array()
        .expect("matches")
        .iter()
        .map(|m| {
            (
                m["kind"].as_str().expect("kind").to_owned(),
                ids(&m["bank"]),
                ids(&m["books"]),
            )
        })
        .collect();
    v.sort();
    v
}

/// (kind, bank ids, book ids, difference) of every exception.
fn exceptions(result: &Value) -> Vec<(String, Vec<String>, Vec<String>, String)> {
    let mut v: Vec<_> = result["exceptions"]
        .as_array()
        .expect("exceptions")
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().expect("kind").to_owned(),
                ids(&e["bank"]),
                ids(&e["books"]),
                e["difference"].as_str().expect("difference").to_owned(),
            )
        })
        .collect();
    v.sort();
    v
}

fn s(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn the_studio_month_is_matched_and_every_break_reported() {
    let result = json(&run(&studio_args()));

    assert_eq!(
        matches(&result),
        vec![
            (
                "fee_split".into(),
                s(&["TRANSFER-900000002"]),
                s(&["BillPayment:236", "Purchase:237"])
            ),
            (
                "one_to_one".into(),
                s(&["BALANCE-44556677@EUR"]),
                s(&["JournalEntry:290"])
            ),
            (
                "one_to_one".into(),
                s(&["BALANCE-44556677@GBP"]),
                s(&["Deposit:291"])
            ),
            (
                "one_to_one".into(),
                s(&["CARD-2233445566"]),
                s(&["Purchase:320"])
            ),
            (
                "one_to_one".into(),
                s(&["TRANSFER-900000001"]),
                s(&["Payment:301"])
            ),
            (
                "one_to_one".into(),
                s(&["TRANSFER-900000004#2"]),
                s(&["Deposit:260"])
            ),
        ]
    );
    for m in result["matches"].as_array().expect("matches") {
        assert_eq!(m["status"], "auto", "{m}");
        assert!(!m["reason"].as_str().expect("reason").is_empty());
    }

    assert_eq!(
        exceptions(&result),
        vec![
            (
                "amount_mismatch".into(),
                s(&["TRANSFER-900000005"]),
                s(&["BillPayment:245"]),
                "-450.00".into()
            ),
            (
                "duplicate_posting".into(),
                s(&["CARD-1234567890"]),
                s(&["Purchase:250", "Purchase:251"]),
                "46.22".into()
            ),
            (
                "missing_in_bank".into(),
                vec![],
                s(&["Purchase:270"]),
                "99.00".into()
            ),
            (
                "missing_in_books".into(),
                s(&["TRANSFER-900000004"]),
                vec![],
                "-350.00".into()
            ),
            (
                "unbooked_fee".into(),
                s(&["TRANSFER-900000003"]),
                s(&["BillPayment:240"]),
                "3.15".into()
            ),
        ]
    );
    for e in result["exceptions"].as_array().expect("exceptions") {
        assert!(!e["reason"].as_str().expect("reason").is_empty());
    }
    let currencies: Vec<_> = result["exceptions"]
        .as_array()
        .expect("exceptions")
        .iter()
        .map(|e| e["currency"].as_str().expect("currency"))
        .collect();
    assert!(currencies.iter().all(|c| *c == "EUR"), "{currencies:?}");

    let summary = &result["summary"];
    assert_eq!(summary["bank_lines"], 10);
    // Purchase:330 (credit card) and Payment:302 (Undeposited Funds) never touch a Wise account.
    assert_eq!(summary["book_entries"], 12);
    assert_eq!(summary["auto_matches"], 6);
}

#[test]
fn the_order_of_files_and_arguments_does_not_change_the_result() {
    let p = |n: &str| fixture(n).display().to_string();
    let reordered: Vec<String> = [
        "--account",
        "GBP=36",
        "--books",
        &p("qbo-receipts.json"),
        "--bank",
        &p("studio-gbp.csv"),
        "--account",
        "EUR=35",
        "--bank",
        &p("studio-eur.json"),
        "--books",
        &p("qbo-purchases.json"),
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    assert_eq!(run(&studio_args()).stdout, run(&reordered).stdout);
}

#[test]
fn the_same_period_through_every_door_reconciles_identically() {
    let books = fixture("qbo-march-2024.json").display().to_string();
    let outputs: Vec<Vec<u8>> = [
        "march-2024-eur.json",
        "march-2024-eur.csv",
        "march-2024-eur.camt053.xml",
    ]
    .iter()
    .map(|name| {
        let bank = wise_fixture(name).display().to_string();
        let out = clearline(&["--bank", &bank, "--books", &books, "--account", "EUR=35"]);
        json(&out);
        out.stdout
    })
    .collect();
    assert_eq!(outputs[0], outputs[1], "JSON and CSV differ");
    assert_eq!(outputs[0], outputs[2], "JSON and camt.053 differ");

    let result: Value = serde_json::from_slice(&outputs[0]).expect("JSON");
    assert_eq!(
        exceptions(&result),
        vec![
            (
                "missing_in_bank".into(),
                vec![],
                s(&["Purchase:255"]),
                "75.00".into()
            ),
            (
                "missing_in_books".into(),
                s(&["BALANCE-44556677"]),
                vec![],
                "-500.00".into()
            ),
            (
                "unbooked_fee".into(),
                s(&["TRANSFER-900000002"]),
                s(&["BillPayment:240"]),
                "4.31".into()
            ),
        ]
    );
}

/// A fresh directory for one test's files.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "clearline-reconcile-cli-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

#[test]
fn output_goes_to_a_file_when_asked_and_matches_stdout() {
    let dir = scratch("output");
    let target = dir.join("result.json");
    let mut args = studio_args();
    args.extend(["--output".into(), target.display().to_string()]);
    let out = run(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    assert_eq!(
        std::fs::read(&target).expect("written"),
        run(&studio_args()).stdout
    );
    let entries = std::fs::read_dir(&dir).expect("dir").count();
    assert_eq!(entries, 1, "no temporary file left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs with `args`, expects the contract's refusal, and returns stderr.
fn refused(args: &[&str]) -> String {
    let out = clearline(args);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(out.stdout.is_empty(), "partial output: {:?}", out.stdout);
    assert!(!stderr.trim().is_empty());
    stderr
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path.display().to_string()
}

fn fixture_text(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture")
}

#[test]
fn a_file_that_is_neither_a_statement_nor_a_query_response_is_refused() {
    let dir = scratch("neither");
    let notes = write(&dir, "notes.txt", "remember to call the bank\n");
    let books = fixture("qbo-purchases.json").display().to_string();
    let bank = fixture("studio-eur.json").display().to_string();

    let err = refused(&["--bank", &notes, "--books", &books, "--account", "EUR=35"]);
    assert!(
        err.contains("notes.txt") && err.contains("not a Wise statement"),
        "{err}"
    );

    let err = refused(&["--bank", &bank, "--books", &notes, "--account", "EUR=35"]);
    assert!(err.contains("notes.txt") && err.contains("line 1"), "{err}");

    // Swapped: a statement given as books, a query response given as a statement.
    let err = refused(&["--bank", &bank, "--books", &bank, "--account", "EUR=35"]);
    assert!(
        err.contains("studio-eur.json") && err.contains("not a QBO query response"),
        "{err}"
    );
    let err = refused(&["--bank", &books, "--books", &books, "--account", "EUR=35"]);
    assert!(
        err.contains("qbo-purchases.json") && err.contains("--books"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_currency_with_no_mapping_is_refused() {
    let err = refused(&[
        "--bank",
        &fixture("studio-eur.json").display().to_string(),
        &fixture("studio-gbp.csv").display().to_string(),
        "--books",
        &fixture("qbo-purchases.json").display().to_string(),
        "--account",
        "EUR=35",
    ]);
    assert!(
        err.contains("studio-gbp.csv") && err.contains("GBP"),
        "{err}"
    );
}

#[test]
fn a_posting_in_another_currency_than_its_mapped_account_is_refused() {
    let err = refused(&[
        "--bank",
        &fixture("studio-eur.json").display().to_string(),
        &fixture("studio-gbp.csv").display().to_string(),
        "--books",
        &fixture("qbo-purchases.json").display().to_string(),
        "--account",
        "EUR=36",
        "GBP=35",
    ]);
    assert!(
        err.contains("qbo-purchases.json") && err.contains("CurrencyRef"),
        "{err}"
    );
}

#[test]
fn malformed_numbers_are_refused_with_file_and_place() {
    let dir = scratch("numbers");
    let books = fixture("qbo-purchases.json").display().to_string();
    let bank = fixture("studio-eur.json").display().to_string();

    let statement = fixture_text("studio-eur.json").replacen(
        "\"value\": -1204.31",
        "\"value\": \"1,204.31\"",
        1,
    );
    let bad = write(&dir, "bad-amount.json", &statement);
    let err = refused(&["--bank", &bad, "--books", &books, "--account", "EUR=35"]);
    assert!(
        err.contains("bad-amount.json") && err.contains("line 227") && err.contains("1,204.31"),
        "{err}"
    );

    let csv = fixture_text("studio-gbp.csv").replacen("-12.00", "-12.O0", 1);
    let bad = write(&dir, "bad-amount.csv", &csv);
    let err = refused(&[
        "--bank",
        &bad,
        "--books",
        &books,
        "--account",
        "EUR=35",
        "GBP=36",
    ]);
    assert!(
        err.contains("bad-amount.csv") && err.contains("line 2") && err.contains("-12.O0"),
        "{err}"
    );

    let camt = std::fs::read_to_string(wise_fixture("march-2024-eur.camt053.xml"))
        .expect("fixture")
        .replacen("1204.31", "12O4.31", 1);
    let bad = write(&dir, "bad-amount.xml", &camt);
    let err = refused(&["--bank", &bad, "--books", &books, "--account", "EUR=35"]);
    assert!(
        err.contains("bad-amount.xml") && err.contains("line ") && err.contains("12O4.31"),
        "{err}"
    );

    let query = fixture_text("qbo-purchases.json").replacen("1050.00", "\"10.50.00\"", 1);
    let bad = write(&dir, "bad-books.json", &query);
    let err = refused(&["--bank", &bank, "--books", &bad, "--account", "EUR=35"]);
    assert!(
        err.contains("bad-books.json") && err.contains("line ") && err.contains("10.50.00"),
        "{err}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_account_arguments_are_refused() {
    let bank = fixture("studio-eur.json").display().to_string();
    let books = fixture("qbo-purchases.json").display().to_string();
    for bad in ["EUR", "EUR:35", "eur=35", "EURO=35", "EUR="] {
        let err = refused(&["--bank", &bank, "--books", &books, "--account", bad]);
        assert!(err.contains("--account"), "{bad}: {err}");
    }
    let err = refused(&[
        "--bank",
        &bank,
        "--books",
        &books,
        "--account",
        "EUR=35",
        "EUR=36",
    ]);
    assert!(err.contains("--account") && err.contains("EUR"), "{err}");
    let err = refused(&[
        "--bank",
        &bank,
        "--books",
        &books,
        "--account",
        "EUR=35",
        "GBP=35",
    ]);
    assert!(err.contains("--account") && err.contains("35"), "{err}");
}

#[test]
fn a_missing_file_is_refused_by_name() {
    let bank = fixture("studio-eur.json").display().to_string();
    let err = refused(&[
        "--bank",
        &bank,
        "--books",
        "no-such-books.json",
        "--account",
        "EUR=35",
    ]);
    assert!(err.contains("no-such-books.json"), "{err}");
}

#[test]
fn one_period_given_through_two_doors_is_refused() {
    let err = refused(&[
        "--bank",
        &wise_fixture("march-2024-eur.json").display().to_string(),
        &wise_fixture("march-2024-eur.csv").display().to_string(),
        "--books",
        &fixture("qbo-march-2024.json").display().to_string(),
        "--account",
        "EUR=35",
    ]);
    assert!(
        err.contains("march-2024-eur.csv") && err.contains("march-2024-eur.json"),
        "{err}"
    );
}

#[test]
fn an_error_leaves_an_existing_output_file_untouched() {
    let dir = scratch("untouched");
    let target = dir.join("result.json");
    std::fs::write(&target, "previous run\n").expect("seed");
    let notes = write(&dir, "notes.txt", "not a statement\n");
    refused(&[
        "--bank",
        &notes,
        "--books",
        &fixture("qbo-purchases.json").display().to_string(),
        "--account",
        "EUR=35",
        "--output",
        &target.display().to_string(),
    ]);
    assert_eq!(
        std::fs::read_to_string(&target).expect("still there"),
        "previous run\n"
    );
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 2);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_other_commands_are_still_there() {
    let help = Command::new(env!("CARGO_BIN_EXE_clearline"))
        .arg("--help")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&help.stdout);
    for command in ["serve", "user", "reconcile"] {
        assert!(text.contains(command), "{text}");
    }
}
