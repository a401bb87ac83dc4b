//! ISO 20022 camt.053 (`BkToCstmrStmt`) as Wise offers it for download (`statement.xml`).
//! Versions camt.053.001.02 to .001.08 are accepted; the elements read here are common to all of
//! them, with the two known shape changes handled (`Sts` became `Sts/Cd` in .06, party names moved
//! under `Pty` in .08).
//!
//! camt.053 has no running balance per entry, so it is computed from the opening balance
//! (`OPBD`, or `PRCD`), and checked against the closing balance (`CLBD`). Only booked entries
//! count (`Sts` = `BOOK`); pending ones do not move the booked balance.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use quick_xml::Reader;
use quick_xml::events::Event;
use rust_decimal::Decimal;
use std::str::FromStr;

use crate::statement::{
    Currency, Header, LineTracker, Located, ParseOptions, Position, Statement, StatementError,
    StatementFormat, StatementLine, assemble, non_empty, strip_bom,
};

const FORMAT: StatementFormat = StatementFormat::Camt053;
const NAMESPACE_PREFIX: &str = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.";

#[derive(Default)]
struct Entry {
    index: usize,
    start: usize,
    amount: Option<String>,
    currency: Option<String>,
    credit_debit: Option<String>,
    status: Option<String>,
    booked: Option<String>,
    acct_svcr_ref: Option<String>,
    ntry_ref: Option<String>,
    tx_acct_svcr_ref: Option<String>,
    proprietary_code: Option<String>,
    charges_total: Option<String>,
    charges_records: Vec<String>,
    debtor: Option<String>,
    creditor: Option<String>,
    unstructured: Vec<String>,
    additional_info: Option<String>,
}

#[derive(Default)]
struct Balance {
    code: Option<String>,
    amount: Option<String>,
    currency: Option<String>,
    credit_debit: Option<String>,
}

#[derive(Default)]
struct Collected {
    statements: usize,
    holder: Option<String>,
    account_currency: Option<String>,
    from: Option<String>,
    to: Option<String>,
    opening: Option<(Decimal, String)>,
    closing: Option<(Decimal, String)>,
}

/// Parses a camt.053 document with default options.
pub fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    parse_with(bytes, &ParseOptions::default())
}

pub(crate) fn parse_with(
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Statement, StatementError> {
    let input = strip_bom(bytes);
    if let Err(e) = std::str::from_utf8(input) {
        return Err(StatementError::Syntax {
            format: FORMAT,
            at: Position::at_offset(input, e.valid_up_to()),
            message: "not UTF-8".into(),
        });
    }
    let mut reader = Reader::from_reader(input);
    reader.config_mut().trim_text(true);

    let mut stack: Vec<&'static str> = Vec::new();
    let mut text = String::new();
    let mut seen_root = false;
    let mut got = Collected::default();
    let mut entry: Option<Entry> = None;
    let mut entries: Vec<Located> = Vec::new();
    let mut entry_count = 0usize;
    let mut balance: Option<Balance> = None;
    let mut tracker = LineTracker::new(input);

    let xml_err = |reader: &Reader<&[u8]>, e: quick_xml::Error| StatementError::Syntax {
        format: FORMAT,
        at: Position::at_offset(input, reader.error_position() as usize),
        message: e.to_string(),
    };

    loop {
        let before = reader.buffer_position() as usize;
        let event = reader.read_event().map_err(|e| xml_err(&reader, e))?;
        match event {
            Event::Start(e) => {
                // With trimming on, whitespace before the tag is skipped inside read_event.
                let before = before
                    + input[before.min(input.len())..]
                        .iter()
                        .take_while(|b| b.is_ascii_whitespace())
                        .count();
                let name = intern(e.local_name().as_ref());
                if !seen_root {
                    seen_root = true;
                    if name != "Document" {
                        return Err(StatementError::Missing {
                            format: FORMAT,
                            at: Position::at_offset(input, before),
                            what: "root element Document".into(),
                        });
                    }
                    check_namespace(&e, input, before)?;
                }
                text.clear();
                stack.push(name);
                let rel = relative(&stack);
                match rel {
                    Some(["Ntry"]) => {
                        entry = Some(Entry {
                            index: entry_count,
                            start: before,
                            ..Entry::default()
                        });
                        entry_count += 1;
                    }
                    Some(["Bal"]) => balance = Some(Balance::default()),
                    Some(["Ntry", "Amt"]) => {
                        if let Some(en) = entry.as_mut() {
                            en.currency = attr(&e, "Ccy");
                        }
                    }
                    Some(["Bal", "Amt"]) => {
                        if let Some(b) = balance.as_mut() {
                            b.currency = attr(&e, "Ccy");
                        }
                    }
                    _ => {}
                }
                if stack.len() == 3 && stack[2] == "Stmt" {
                    got.statements += 1;
                }
            }
            Event::Text(t) => {
                let s = t.decode().map_err(|e| xml_err(&reader, e.into()))?;
                text.push_str(&s);
            }
            Event::CData(t) => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref().map_err(|e| xml_err(&reader, e))? {
                    Some(c) => c,
                    None => match r.as_ref() {
                        b"lt" => '<',
                        b"gt" => '>',
                        b"amp" => '&',
                        b"apos" => '\'',
                        b"quot" => '"',
                        other => {
                            return Err(StatementError::Syntax {
                                format: FORMAT,
                                at: Position::at_offset(input, before),
                                message: format!(
                                    "unknown entity &{};",
                                    String::from_utf8_lossy(other)
                                ),
                            });
                        }
                    },
                };
                text.push(resolved);
            }
            Event::End(_) => {
                // Borrowed, not taken: keeps the buffer's capacity across millions of elements.
                let value = text.trim();
                let rel = relative(&stack);
                let end = reader.buffer_position() as usize;
                match rel {
                    Some(["Ntry"]) => {
                        if let Some(en) = entry.take()
                            && let Some(l) = finish_entry(en, input, end, &mut tracker)?
                        {
                            entries.push(l);
                        }
                    }
                    Some(["Ntry", rest @ ..]) => {
                        if let Some(en) = entry.as_mut() {
                            entry_field(en, rest, value);
                        }
                    }
                    Some(["Bal"]) => {
                        if let Some(b) = balance.take() {
                            finish_balance(b, &mut got, input, before)?;
                        }
                    }
                    Some(["Bal", rest @ ..]) => {
                        if let Some(b) = balance.as_mut() {
                            match rest {
                                ["Tp", "CdOrPrtry", "Cd"] => b.code = Some(value.to_owned()),
                                ["Amt"] => b.amount = Some(value.to_owned()),
                                ["CdtDbtInd"] => b.credit_debit = Some(value.to_owned()),
                                _ => {}
                            }
                        }
                    }
                    Some(["Acct", "Ccy"]) => got.account_currency = Some(value.to_owned()),
                    Some(["Acct", "Ownr", "Nm"]) => got.holder = Some(value.to_owned()),
                    Some(["FrToDt", "FrDtTm"]) => got.from = Some(value.to_owned()),
                    Some(["FrToDt", "ToDtTm"]) => got.to = Some(value.to_owned()),
                    _ => {}
                }
                stack.pop();
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }

    if !seen_root {
        return Err(StatementError::Missing {
            format: FORMAT,
            at: Position::line(1),
            what: "root element Document".into(),
        });
    }
    if got.statements != 1 {
        return Err(StatementError::Invalid {
            format: FORMAT,
            at: Position::line(1).with_element("BkToCstmrStmt/Stmt"),
            what: "statement count".into(),
            message: format!(
                "expected exactly one Stmt (one Wise balance per file), found {}",
                got.statements
            ),
        });
    }

    let currency_text = got
        .account_currency
        .clone()
        .or_else(|| got.closing.as_ref().map(|c| c.1.clone()))
        .or_else(|| entries.first().map(|e| e.line.currency.to_string()))
        .ok_or_else(|| StatementError::Missing {
            format: FORMAT,
            at: Position::line(1).with_element("Stmt/Acct/Ccy"),
            what: "account currency".into(),
        })?;
    let currency = Currency::parse(&currency_text).ok_or_else(|| StatementError::Invalid {
        format: FORMAT,
        at: Position::line(1).with_element("Stmt/Acct/Ccy"),
        what: "currency".into(),
        message: format!("{currency_text:?} is not an ISO 4217 code"),
    })?;
    for (what, bal) in [("OPBD", &got.opening), ("CLBD", &got.closing)] {
        if let Some((_, c)) = bal
            && c != currency.as_str()
        {
            return Err(StatementError::Invalid {
                format: FORMAT,
                at: Position::line(1).with_element(format!("Stmt/Bal[{what}]/Amt")),
                what: "currency".into(),
                message: format!("{c} on a {currency} statement"),
            });
        }
    }

    // Running balances: chronological order, starting from the opening balance.
    entries.sort_by_key(|l| l.line.booked_at);
    let sum: Decimal = entries.iter().map(|l| l.line.amount).sum();
    let opening = match (&got.opening, &got.closing) {
        (Some((o, _)), _) => *o,
        (None, Some((c, _))) => *c - sum,
        (None, None) => {
            return Err(StatementError::Missing {
                format: FORMAT,
                at: Position::line(1).with_element("Stmt/Bal"),
                what: "opening (OPBD) or closing (CLBD) balance".into(),
            });
        }
    };
    let mut running = opening;
    for l in &mut entries {
        running += l.line.amount;
        l.line.running_balance = running;
    }

    let header = Header {
        format: FORMAT,
        account_holder: non_empty(got.holder.as_deref()),
        profile_id: None,
        balance_id: None,
        currency,
        interval_start: got.from.as_deref().and_then(parse_time),
        interval_end: got.to.as_deref().and_then(parse_time),
        opening_balance: Some(opening),
        closing_balance: got.closing.map(|c| c.0),
    };
    assemble(header, entries, false, options)
}

/// The path below `Document/BkToCstmrStmt/Stmt`, if inside a statement.
fn relative<'s>(stack: &'s [&'static str]) -> Option<&'s [&'static str]> {
    (stack.len() >= 4 && stack[1] == "BkToCstmrStmt" && stack[2] == "Stmt").then(|| &stack[3..])
}

/// Element names this parser reads, interned so the path stack needs no allocation (it is
/// touched for every element of a 100k-entry file). Anything else is `*`.
const NAMES: &[&str] = &[
    "Document",
    "BkToCstmrStmt",
    "Stmt",
    "Ntry",
    "Bal",
    "Amt",
    "CdtDbtInd",
    "Sts",
    "Cd",
    "BookgDt",
    "DtTm",
    "Dt",
    "AcctSvcrRef",
    "NtryRef",
    "BkTxCd",
    "Prtry",
    "Chrgs",
    "TtlChrgsAndTaxAmt",
    "Rcrd",
    "NtryDtls",
    "TxDtls",
    "RltdPties",
    "Dbtr",
    "Cdtr",
    "Pty",
    "Nm",
    "RmtInf",
    "Ustrd",
    "Refs",
    "AddtlNtryInf",
    "Acct",
    "Ccy",
    "Ownr",
    "FrToDt",
    "FrDtTm",
    "ToDtTm",
    "Tp",
    "CdOrPrtry",
];

fn intern(local_name: &[u8]) -> &'static str {
    NAMES
        .iter()
        .find(|n| n.as_bytes() == local_name)
        .copied()
        .unwrap_or("*")
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.unescape_value().ok().map(|v| v.trim().to_owned()))
}

fn check_namespace(
    e: &quick_xml::events::BytesStart<'_>,
    input: &[u8],
    offset: usize,
) -> Result<(), StatementError> {
    let mut any = None;
    for a in e.attributes().flatten() {
        let key = a.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            let v = a
                .unescape_value()
                .map(|v| v.into_owned())
                .unwrap_or_default();
            if v.contains("camt.053") || any.is_none() {
                any = Some(v);
            }
        }
    }
    match any {
        Some(ns) => match ns.strip_prefix(NAMESPACE_PREFIX) {
            Some(v) if ["02", "03", "04", "05", "06", "07", "08"].contains(&v) => Ok(()),
            _ => Err(StatementError::UnsupportedCamtVersion(ns)),
        },
        None => Err(StatementError::Missing {
            format: FORMAT,
            at: Position::at_offset(input, offset).with_element("Document"),
            what: "camt.053 namespace".into(),
        }),
    }
}

fn entry_field(en: &mut Entry, path: &[&str], value: &str) {
    // Container elements (`Sts` around `Sts/Cd` in .06+) end with no text of their own.
    if value.is_empty() {
        return;
    }
    let v = || Some(value.to_owned());
    match path {
        ["Amt"] => en.amount = v(),
        ["CdtDbtInd"] => en.credit_debit = v(),
        ["Sts"] | ["Sts", "Cd"] => en.status = v(),
        ["BookgDt", "DtTm"] | ["BookgDt", "Dt"] => en.booked = v(),
        ["AcctSvcrRef"] => en.acct_svcr_ref = v(),
        ["NtryRef"] => en.ntry_ref = v(),
        ["BkTxCd", "Prtry", "Cd"] => en.proprietary_code = v(),
        ["Chrgs", "TtlChrgsAndTaxAmt"] => en.charges_total = v(),
        ["Chrgs", "Rcrd", "Amt"] | ["Chrgs", "Amt"] => en.charges_records.push(value.to_owned()),
        ["NtryDtls", "TxDtls", "RltdPties", "Dbtr", "Nm"]
        | ["NtryDtls", "TxDtls", "RltdPties", "Dbtr", "Pty", "Nm"] => en.debtor = v(),
        ["NtryDtls", "TxDtls", "RltdPties", "Cdtr", "Nm"]
        | ["NtryDtls", "TxDtls", "RltdPties", "Cdtr", "Pty", "Nm"] => en.creditor = v(),
        ["NtryDtls", "TxDtls", "RmtInf", "Ustrd"] => en.unstructured.push(value.to_owned()),
        ["NtryDtls", "TxDtls", "Refs", "AcctSvcrRef"] => en.tx_acct_svcr_ref = v(),
        ["AddtlNtryInf"] => en.additional_info = v(),
        _ => {}
    }
}

fn finish_entry(
    en: Entry,
    input: &[u8],
    end: usize,
    tracker: &mut LineTracker<'_>,
) -> Result<Option<Located>, StatementError> {
    let at = tracker
        .at(en.start)
        .with_element(format!("Ntry[{}]", en.index + 1));
    let missing = |what: &str| StatementError::Missing {
        format: FORMAT,
        at: at.clone(),
        what: what.to_owned(),
    };
    let invalid = |what: &str, message: String| StatementError::Invalid {
        format: FORMAT,
        at: at.clone(),
        what: what.to_owned(),
        message,
    };
    // Pending or informational entries do not move the booked balance.
    if en.status.as_deref().is_some_and(|s| s != "BOOK") {
        return Ok(None);
    }
    let amount_text = en.amount.as_deref().ok_or_else(|| missing("Amt"))?;
    let magnitude = unsigned(amount_text).ok_or_else(|| {
        invalid(
            "Amt",
            format!("{amount_text:?} is not a non-negative decimal"),
        )
    })?;
    let credit = match en.credit_debit.as_deref() {
        Some("CRDT") => true,
        Some("DBIT") => false,
        Some(other) => {
            return Err(invalid(
                "CdtDbtInd",
                format!("{other:?} is not CRDT or DBIT"),
            ));
        }
        None => return Err(missing("CdtDbtInd")),
    };
    let amount = if credit { magnitude } else { -magnitude };
    let code = en.currency.as_deref().ok_or_else(|| missing("Amt/@Ccy"))?;
    let currency = Currency::parse(code)
        .ok_or_else(|| invalid("Amt/@Ccy", format!("{code:?} is not an ISO 4217 code")))?;
    let booked_text = en.booked.as_deref().ok_or_else(|| missing("BookgDt"))?;
    let booked_at = parse_time(booked_text).ok_or_else(|| {
        invalid(
            "BookgDt",
            format!("{booked_text:?} is not a date or date-time"),
        )
    })?;
    let reference_number = en
        .acct_svcr_ref
        .or(en.tx_acct_svcr_ref)
        .or(en.ntry_ref)
        .ok_or_else(|| missing("AcctSvcrRef"))?;
    let total_fees = match (&en.charges_total, en.charges_records.is_empty()) {
        (Some(t), _) => {
            unsigned(t).ok_or_else(|| invalid("Chrgs/TtlChrgsAndTaxAmt", format!("{t:?}")))?
        }
        (None, false) => {
            let mut sum = Decimal::ZERO;
            for r in &en.charges_records {
                sum += unsigned(r).ok_or_else(|| invalid("Chrgs/Rcrd/Amt", format!("{r:?}")))?;
            }
            sum
        }
        (None, true) => Decimal::ZERO,
    };
    let (first, second) = if credit {
        (en.debtor, en.creditor)
    } else {
        (en.creditor, en.debtor)
    };
    let raw = String::from_utf8_lossy(&input[en.start.min(end)..end]).into_owned();
    Ok(Some(Located {
        line: StatementLine {
            reference_number,
            booked_at,
            amount,
            total_fees,
            currency,
            running_balance: Decimal::ZERO, // filled in once all entries are known
            counterparty: non_empty(first.as_deref()).or_else(|| non_empty(second.as_deref())),
            payment_reference: non_empty(Some(&en.unstructured.join(" "))),
            description: en.additional_info.unwrap_or_default(),
            details_type: en.proprietary_code.unwrap_or_else(|| "UNKNOWN".into()),
            raw,
        },
        at,
    }))
}

fn finish_balance(
    b: Balance,
    got: &mut Collected,
    input: &[u8],
    offset: usize,
) -> Result<(), StatementError> {
    let at = Position::at_offset(input, offset).with_element("Bal");
    let Some(code) = b.code else {
        return Err(StatementError::Missing {
            format: FORMAT,
            at,
            what: "Bal/Tp/CdOrPrtry/Cd".into(),
        });
    };
    let slot = match code.as_str() {
        "OPBD" | "PRCD" => &mut got.opening,
        "CLBD" => &mut got.closing,
        _ => return Ok(()), // available and interim balances are not needed
    };
    let text = b.amount.ok_or_else(|| StatementError::Missing {
        format: FORMAT,
        at: at.clone(),
        what: "Bal/Amt".into(),
    })?;
    let magnitude = unsigned(&text).ok_or_else(|| StatementError::Invalid {
        format: FORMAT,
        at: at.clone(),
        what: "Bal/Amt".into(),
        message: format!("{text:?} is not a non-negative decimal"),
    })?;
    let signed = match b.credit_debit.as_deref() {
        Some("DBIT") => -magnitude,
        _ => magnitude,
    };
    // PRCD only stands in for a missing OPBD.
    if code == "PRCD" && slot.is_some() {
        return Ok(());
    }
    *slot = Some((signed, b.currency.unwrap_or_default()));
    Ok(())
}

fn unsigned(text: &str) -> Option<Decimal> {
    Decimal::from_str(text.trim())
        .ok()
        .filter(|d| !d.is_sign_negative() || d.is_zero())
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    // ISODateTime without a zone: taken as UTC.
    if let Ok(n) = NaiveDateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(n.and_utc());
    }
    NaiveDate::parse_from_str(t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| n.and_utc())
}
