//! Small stories, one problem each, read like the bookkeeper would tell them.

use chrono::{NaiveDate, TimeZone, Utc};
use recon::{
    BankLine, BookEntry, BookEntryKind, ExceptionKind, Mapping, MatchKind, MatchStatus, Options,
    Reconciliation, reconcile,
};
use rust_decimal::Decimal;
use std::str::FromStr;

fn money(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn line(id: &str, day: u32, amount: &str, fee: &str, who: &str, reference: &str) -> BankLine {
    BankLine {
        id: id.into(),
        booked_at: Utc.with_ymd_and_hms(2024, 3, day, 10, 0, 0).unwrap(),
        amount: money(amount),
        fee: money(fee),
        currency: "EUR".into(),
        counterparty: who.into(),
        payment_reference: reference.into(),
        description: String::new(),
        details_type: "TRANSFER".into(),
    }
}

fn posting(id: &str, day: u32, amount: &str, who: &str) -> BookEntry {
    let kind = match id.split(':').next().unwrap() {
        "Deposit" => BookEntryKind::Deposit,
        "BillPayment" => BookEntryKind::BillPayment,
        "Payment" => BookEntryKind::Payment,
        _ => BookEntryKind::Purchase,
    };
    BookEntry {
        id: id.into(),
        kind,
        txn_date: NaiveDate::from_ymd_opt(2024, 3, day).unwrap(),
        amount: money(amount),
        currency: "EUR".into(),
        bank_account_id: "35".into(),
        doc_number: String::new(),
        payment_ref_num: String::new(),
        private_note: String::new(),
        memo: String::new(),
        counterparty: who.into(),
        created_at: None,
        is_bank_charge: false,
    }
}

/// Transfers `TRANSFER-1`, `TRANSFER-2`, … of (day, amount, counterparty), without fee or
/// reference.
fn transfers(lines: &[(u32, &str, &str)]) -> Vec<BankLine> {
    (lines.iter().enumerate())
        .map(|(i, &(day, amount, who))| {
            line(&format!("TRANSFER-{}", i + 1), day, amount, "0", who, "")
        })
        .collect()
}

/// The batch (several lines for one posting) that `r` found.
fn batch(r: &Reconciliation) -> &recon::Match {
    r.matches
        .iter()
        .find(|m| m.kind == MatchKind::ManyToOne)
        .unwrap_or_else(|| panic!("no batch: {r:#?}"))
}

fn run(bank: &[BankLine], books: &[BookEntry]) -> Reconciliation {
    let mut options = Options::default();
    options.periods.insert(
        "EUR".into(),
        (
            NaiveDate::from_ymd_opt(2024, 3, 1).unwrap(),
            NaiveDate::from_ymd_opt(2024, 3, 31).unwrap(),
        ),
    );
    reconcile(bank, books, &Mapping::new([("EUR", "35")]), &options)
}

#[test]
fn a_fee_booked_as_bank_charge_is_a_fee_split() {
    let bank = [line(
        "TRANSFER-900000002",
        10,
        "-1204.31",
        "4.31",
        "ACME GMBH",
        "INV-1042",
    )];
    let mut pay = posting("BillPayment:236", 11, "-1200.00", "Acme GmbH");
    pay.doc_number = "INV-1042".into();
    let mut fee = posting("Purchase:237", 11, "-4.31", "Wise");
    fee.is_bank_charge = true;
    let r = run(&bank, &[pay, fee]);
    assert_eq!(r.matches.len(), 1, "{r:#?}");
    let m = &r.matches[0];
    assert_eq!(m.kind, MatchKind::FeeSplit);
    assert_eq!(m.status, MatchStatus::Auto);
    assert_eq!(m.books, ["BillPayment:236", "Purchase:237"]);
    assert!(m.reason.to_string().contains("INV1042"), "{}", m.reason);
    assert!(r.exceptions.is_empty());
}

#[test]
fn a_missing_fee_is_an_unbooked_fee_with_the_fee_as_difference() {
    let bank = [line(
        "TRANSFER-900000007",
        10,
        "-1204.31",
        "4.31",
        "Acme GmbH",
        "INV-1042",
    )];
    let mut pay = posting("BillPayment:240", 12, "-1200.00", "ACME");
    pay.doc_number = "INV-1042".into();
    let r = run(&bank, &[pay]);
    assert!(r.matches.is_empty());
    assert_eq!(r.exceptions.len(), 1);
    let e = &r.exceptions[0];
    assert_eq!(e.kind, ExceptionKind::UnbookedFee);
    assert_eq!(e.difference, money("4.31"));
    let json = serde_json::to_value(&r).unwrap();
    assert_eq!(json["exceptions"][0]["difference"], "4.31");
    assert_eq!(json["exceptions"][0]["kind"], "unbooked_fee");
}

#[test]
fn a_batch_deposit_groups_several_credits() {
    let bank = transfers(&[
        (4, "1487.94", "Sterling Ltd"),
        (4, "3566.88", "Initech"),
        (5, "3345.70", "Stark BV"),
        (6, "1754.35", "Bluth LLC"),
        (6, "-99.00", "Other"),
    ]);
    let r = run(&bank, &[posting("Deposit:860", 8, "10154.87", "")]);
    let m = batch(&r);
    assert_eq!(m.bank.len(), 4);
    assert_eq!(m.status, MatchStatus::Suggested);
}

#[test]
fn one_payment_for_several_bills_of_one_vendor() {
    let bank = [line(
        "TRANSFER-9",
        4,
        "-3000.00",
        "0",
        "GLOBEX INC",
        "Bills",
    )];
    let books = [
        posting("BillPayment:1", 5, "-1000.00", "Globex"),
        posting("BillPayment:2", 5, "-1750.00", "Globex"),
        posting("BillPayment:3", 5, "-250.00", "Globex"),
    ];
    let r = run(&bank, &books);
    assert_eq!(r.matches.len(), 1, "{r:#?}");
    assert_eq!(r.matches[0].kind, MatchKind::OneToMany);
    assert_eq!(r.matches[0].status, MatchStatus::Auto);
}

#[test]
fn a_transfer_whose_difference_is_another_bill_of_the_vendor_pays_both() {
    // The big bill alone looks like a mistyped amount (it differs by 51.20); the vendor's
    // small bill of 51.20 the same week is the rest of the payment.
    let bank = [line(
        "TRANSFER-900001664",
        3,
        "-3931.07",
        "0",
        "Gringotts Supplies 1 Ltd",
        "",
    )];
    let books = [
        posting("BillPayment:2086", 7, "-3879.87", "Gringotts Supplies 1"),
        posting("BillPayment:2087", 7, "-51.20", "Gringotts Supplies 1"),
    ];
    let r = run(&bank, &books);
    assert!(r.exceptions.is_empty(), "{r:#?}");
    assert_eq!(r.matches.len(), 1, "{r:#?}");
    assert_eq!(r.matches[0].kind, MatchKind::OneToMany);
    let mut books = r.matches[0].books.to_vec();
    books.sort();
    assert_eq!(books, ["BillPayment:2086", "BillPayment:2087"]);
}

#[test]
fn a_bill_paired_as_a_typo_of_another_line_goes_to_the_payment_it_completes() {
    // TRANSFER-1 pays both Globex bills. TRANSFER-2, two days before, has no posting, but
    // -609.00 looks like a mistyped -600.00, so stage 1 pairs it with the second bill. The
    // exact sum wins: the bill goes to TRANSFER-1, and TRANSFER-2 is missing in the books.
    let bank = [
        line("TRANSFER-1", 3, "-1000.00", "0", "GLOBEX LTD", ""),
        line("TRANSFER-2", 1, "-609.00", "0", "GLOBEX LTD", ""),
    ];
    let books = [
        posting("BillPayment:1", 5, "-400.00", "Globex Ltd"),
        posting("BillPayment:2", 5, "-600.00", "Globex Ltd"),
    ];
    let r = run(&bank, &books);
    assert_eq!(r.matches.len(), 1, "{r:#?}");
    assert_eq!(r.matches[0].kind, MatchKind::OneToMany);
    assert_eq!(r.matches[0].bank, ["TRANSFER-1"]);
    let kinds: Vec<_> = r
        .exceptions
        .iter()
        .map(|e| (e.kind, e.bank.to_vec()))
        .collect();
    assert_eq!(
        kinds,
        [(
            ExceptionKind::MissingInBooks,
            vec!["TRANSFER-2".to_string()]
        )],
        "{r:#?}"
    );
}

#[test]
fn a_typo_stays_an_amount_mismatch_when_no_other_bill_explains_it() {
    let bank = [line("TRANSFER-1", 3, "-3931.07", "0", "Gringotts", "")];
    let books = [
        posting("BillPayment:1", 7, "-3879.87", "Gringotts"),
        // The vendor's other bill does not make up the difference.
        posting("BillPayment:2", 7, "-51.02", "Gringotts"),
    ];
    let r = run(&bank, &books);
    let kinds: Vec<_> = r.exceptions.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [ExceptionKind::AmountMismatch, ExceptionKind::MissingInBank],
        "{r:#?}"
    );
}

#[test]
fn a_deposit_takes_the_two_credits_that_add_up_not_five_that_happen_to() {
    // Both 94.89 + 2752.27 and 94.89 + 625.37 + 348.13 + 445.03 + 1333.74 add up to the
    // deposit; two credits adding up by chance is far rarer than five.
    let bank = transfers(&[
        (20, "94.89", "Stark Print"),
        (17, "2752.27", "Wayne Legal"),
        (19, "625.37", "Oscorp"),
        (17, "348.13", "Hooli"),
        (16, "445.03", "Initech"),
        (14, "1333.74", "Bluth"),
    ]);
    let r = run(&bank, &[posting("Deposit:588", 20, "2847.16", "")]);
    let m = batch(&r);
    let mut lines = m.bank.to_vec();
    lines.sort();
    assert_eq!(lines, ["TRANSFER-1", "TRANSFER-2"], "{r:#?}");
    assert_eq!(m.status, MatchStatus::Suggested);
}

#[test]
fn identical_subscriptions_are_assigned_by_vendor_not_first_come() {
    let bank = [
        line("CARD-1", 3, "-49.00", "0", "HOOLI INC", ""),
        line("CARD-2", 4, "-49.00", "0", "Wonka Ltd", ""),
    ];
    // Greedy by date would give CARD-1 the Wonka posting (same day as CARD-1 + 0).
    let books = [
        posting("Purchase:1", 3, "-49.00", "Wonka"),
        posting("Purchase:2", 6, "-49.00", "Hooli"),
    ];
    let r = run(&bank, &books);
    assert_eq!(r.matches.len(), 2);
    for m in &r.matches {
        let pair = (&m.bank[0], &m.books[0]);
        assert!(
            matches!(pair, ("CARD-1", "Purchase:2") | ("CARD-2", "Purchase:1")),
            "{m:?}"
        );
    }
}

#[test]
fn amount_alone_with_two_candidates_is_only_suggested() {
    let bank = [line("CARD-1", 3, "-49.00", "0", "", "")];
    // Ten days apart: not a duplicate, but still a plausible candidate.
    let books = [
        posting("Purchase:1", 3, "-49.00", ""),
        posting("Purchase:2", 12, "-49.00", ""),
    ];
    let r = run(&bank, &books);
    assert_eq!(r.matches.len(), 1);
    assert_eq!(r.matches[0].status, MatchStatus::Suggested);
}

#[test]
fn a_posting_entered_twice_is_a_duplicate_naming_both() {
    let bank = [line("CARD-1", 3, "-312.40", "0", "Vandelay", "")];
    let books = [
        posting("Purchase:1", 3, "-312.40", "Vandelay"),
        posting("Purchase:2", 5, "-312.40", "VANDELAY LLC"),
    ];
    let r = run(&bank, &books);
    assert!(r.matches.is_empty());
    assert_eq!(r.exceptions.len(), 1);
    assert_eq!(r.exceptions[0].kind, ExceptionKind::DuplicatePosting);
    assert_eq!(r.exceptions[0].books, ["Purchase:1", "Purchase:2"]);
    assert_eq!(r.exceptions[0].difference, money("312.40"));
}

#[test]
fn swapped_digits_are_an_amount_mismatch() {
    let bank = [line("TRANSFER-5", 3, "1250.00", "0", "Massive Ltd", "")];
    let books = [posting("Payment:7", 4, "1520.00", "Massive")];
    let r = run(&bank, &books);
    assert_eq!(r.exceptions.len(), 1, "{r:#?}");
    assert_eq!(r.exceptions[0].kind, ExceptionKind::AmountMismatch);
    assert_eq!(r.exceptions[0].difference, money("-270.00"));
}

#[test]
fn lonely_lines_are_missing_on_the_other_side() {
    let bank = [line("CARD-1", 3, "-12.00", "0", "", "")];
    let books = [
        posting("Purchase:1", 20, "-80.00", ""),
        posting("Purchase:2", 1, "-5.00", ""),
    ];
    let mut late = posting("Purchase:3", 1, "-9.00", "");
    late.txn_date = NaiveDate::from_ymd_opt(2024, 4, 15).unwrap();
    let r = run(&bank, &[books[0].clone(), books[1].clone(), late]);
    let kinds: Vec<_> = r.exceptions.iter().map(|e| e.kind).collect();
    println!("{r:#?}");
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ExceptionKind::MissingInBank)
            .count(),
        2
    );
    assert_eq!(
        kinds
            .iter()
            .filter(|k| **k == ExceptionKind::MissingInBooks)
            .count(),
        1
    );
    assert_eq!(r.summary.books_outside_period, ["Purchase:3"]);
}

#[test]
fn the_json_has_the_contract_shape() {
    let bank = [line(
        "TRANSFER-900000002",
        10,
        "-1204.31",
        "4.31",
        "ACME GMBH",
        "INV-1042",
    )];
    let mut pay = posting("BillPayment:236", 11, "-1204.31", "Acme GmbH");
    pay.doc_number = "INV-1042".into();
    let json = serde_json::to_value(run(&bank, &[pay])).unwrap();
    let m = &json["matches"][0];
    assert_eq!(m["bank"][0], "TRANSFER-900000002");
    assert_eq!(m["books"][0], "BillPayment:236");
    assert_eq!(m["kind"], "one_to_one");
    assert_eq!(m["status"], "auto");
    assert_eq!(m["confidence"], 0.99);
    assert!(m["reason"].as_str().unwrap().contains("reference"));
    assert_eq!(json["summary"]["exceptions"]["unbooked_fee"], 0);
}
