//! The same period through all three doors gives the same lines and the same balances.

use rust_decimal::Decimal;
use std::str::FromStr;
use wise::{StatementError, StatementFormat, parse_statement};

const JSON: &[u8] = include_bytes!("fixtures/march-2024-eur.json");
const CSV: &[u8] = include_bytes!("fixtures/march-2024-eur.csv");
const CAMT: &[u8] = include_bytes!("fixtures/march-2024-eur.camt053.xml");

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

#[test]
fn three_formats_of_one_period_agree() {
    let json = parse_statement(JSON).expect("json");
    let csv = parse_statement(CSV).expect("csv");
    let camt = parse_statement(CAMT).expect("camt");
    assert_eq!(json.format, StatementFormat::Json);
    assert_eq!(csv.format, StatementFormat::Csv);
    assert_eq!(camt.format, StatementFormat::Camt053);

    for other in [&csv, &camt] {
        assert_eq!(json.lines.len(), other.lines.len(), "{:?}", other.format);
        for (a, b) in json.lines.iter().zip(&other.lines) {
            assert!(a.same_movement(b), "{:?}:\n{a:#?}\n{b:#?}", other.format);
        }
        assert_eq!(other.closing_balance, Some(dec("1749.47")));
        assert_eq!(other.opening_balance, Some(dec("1000.00")));
        assert_eq!(other.currency, json.currency);
    }
    assert_eq!(json.closing_balance, Some(dec("1749.47")));
    assert_eq!(json.account_holder, camt.account_holder);
    assert_eq!(json.interval_start, camt.interval_start);
    assert_eq!(json.interval_end, camt.interval_end);
    assert_eq!(json.profile_id, Some(14599371));
    assert_eq!(json.balance_id, Some(200001));
}

#[test]
fn lines_are_in_booking_order_with_fees_inside_the_amount() {
    let s = parse_statement(JSON).unwrap();
    let refs: Vec<_> = s
        .lines
        .iter()
        .map(|l| l.reference_number.as_str())
        .collect();
    assert_eq!(
        refs,
        [
            "TRANSFER-900000001",
            "TRANSFER-900000002",
            "CARD-1234567890",
            "BALANCE-44556677"
        ]
    );
    let transfer = &s.lines[1];
    assert_eq!(transfer.amount, dec("-1204.31"));
    assert_eq!(transfer.total_fees, dec("4.31"));
    assert_eq!(transfer.counterparty.as_deref(), Some("Acme GmbH"));
    assert_eq!(transfer.payment_reference.as_deref(), Some("INV-1042"));
    let total: Decimal = s.lines.iter().map(|l| l.amount).sum();
    assert_eq!(
        s.opening_balance.unwrap() + total,
        s.closing_balance.unwrap()
    );
}

/// camt.053.001.02 spells status and party names the older way; the lines must not change.
#[test]
fn camt_versions_02_to_08_read_the_same() {
    let reference = parse_statement(CAMT).unwrap();
    let text = std::str::from_utf8(CAMT).unwrap();
    for v in ["02", "03", "04", "05", "06", "07", "08"] {
        let mut t = text.replace("camt.053.001.08", &format!("camt.053.001.{v}"));
        if v < "06" {
            t = t
                .replace("<Sts><Cd>BOOK</Cd></Sts>", "<Sts>BOOK</Sts>")
                .replace("<Sts><Cd>PDNG</Cd></Sts>", "<Sts>PDNG</Sts>");
        }
        if v < "08" {
            t = t
                .replace("<Pty><Nm>", "<Nm>")
                .replace("</Nm></Pty>", "</Nm>");
        }
        let s = parse_statement(t.as_bytes()).unwrap_or_else(|e| panic!("{v}: {e}"));
        assert_eq!(s.lines.len(), reference.lines.len());
        for (a, b) in reference.lines.iter().zip(&s.lines) {
            assert!(a.same_movement(b), "version {v}");
        }
    }
    let t = text.replace("camt.053.001.08", "camt.053.001.12");
    assert!(matches!(
        parse_statement(t.as_bytes()),
        Err(StatementError::UnsupportedCamtVersion(_))
    ));
}

#[test]
fn camt_errors_name_the_entry_and_line() {
    let text = std::str::from_utf8(CAMT).unwrap();
    let t = text.replacen(
        "<CdtDbtInd>DBIT</CdtDbtInd>\n        <Sts>",
        "<CdtDbtInd>SIDEWAYS</CdtDbtInd>\n        <Sts>",
        1,
    );
    let err = parse_statement(t.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("Ntry[2]") && err.contains("line 48"), "{err}");

    let t = text.replace("1749.47", "1749.48");
    assert!(matches!(
        parse_statement(t.as_bytes()),
        Err(StatementError::Inconsistent { .. })
    ));

    let t = text.replace("</Stmt>", "");
    let err = parse_statement(t.as_bytes()).unwrap_err();
    assert!(matches!(err, StatementError::Syntax { .. }), "{err}");
}

#[test]
fn nothing_partial_on_a_bad_csv_row() {
    let text = std::str::from_utf8(CSV).unwrap();
    let t = text.replace("-46.22", "-46,22");
    let err = parse_statement(t.as_bytes()).unwrap_err();
    assert!(err.to_string().contains("line 3"), "{err}");
}
