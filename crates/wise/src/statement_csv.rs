//! Wise's statement CSV export (reference §17): one file per currency balance, newest first,
//! header row naming the columns. Strict about the columns we need, lenient about extra ones,
//! either header generation accepted, UTF-8 BOM tolerated.

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use rust_decimal::Decimal;
use std::str::FromStr;

use crate::statement::{
    CsvFeeConvention, Currency, Header, Located, ParseOptions, Position, Statement, StatementError,
    StatementFormat, StatementLine, assemble, non_empty, strip_bom,
};

const FORMAT: StatementFormat = StatementFormat::Csv;

/// Columns the parser cannot do without.
const REQUIRED: [&str; 6] = [
    "TransferWise ID",
    "Date",
    "Amount",
    "Currency",
    "Description",
    "Running Balance",
];

struct Columns {
    id: usize,
    date: usize,
    date_time: Option<usize>,
    amount: usize,
    currency: usize,
    description: usize,
    payment_reference: Option<usize>,
    running_balance: usize,
    payer: Option<usize>,
    payee: Option<usize>,
    merchant: Option<usize>,
    total_fees: Option<usize>,
    details_type: Option<usize>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Result<Columns, StatementError> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(name))
        };
        let required = |name: &str| {
            find(name).ok_or_else(|| StatementError::Missing {
                format: FORMAT,
                at: Position::line(1),
                what: format!("column {name:?}"),
            })
        };
        for name in REQUIRED {
            required(name)?;
        }
        Ok(Columns {
            id: required("TransferWise ID")?,
            date: required("Date")?,
            date_time: find("Date Time"),
            amount: required("Amount")?,
            currency: required("Currency")?,
            description: required("Description")?,
            payment_reference: find("Payment Reference"),
            running_balance: required("Running Balance")?,
            payer: find("Payer Name"),
            payee: find("Payee Name"),
            merchant: find("Merchant"),
            total_fees: find("Total fees"),
            details_type: find("Transaction Details Type"),
        })
    }
}

/// Parses a statement CSV export with default options.
pub fn parse(bytes: &[u8]) -> Result<Statement, StatementError> {
    parse_with(bytes, &ParseOptions::default())
}

pub(crate) fn parse_with(
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Statement, StatementError> {
    let input = strip_bom(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(input);
    let header = reader.headers().map_err(csv_error)?.clone();
    let cols = Columns::from_header(&header)?;

    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(csv_error(e)),
        }
        let line_no = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows.push(row(&cols, &record, line_no, options)?);
    }

    let currency = match rows.first() {
        Some(first) => first.line.currency,
        None => {
            return Err(StatementError::Missing {
                format: FORMAT,
                at: Position::line(2),
                what: "rows (an empty export names no currency)".into(),
            });
        }
    };

    apply_fee_convention(&mut rows, options.csv_fees);

    let header = Header {
        format: FORMAT,
        account_holder: None,
        profile_id: None,
        balance_id: None,
        currency,
        interval_start: None,
        interval_end: None,
        opening_balance: None,
        closing_balance: None,
    };
    assemble(header, rows, true, options)
}

fn field(record: &csv::StringRecord, i: Option<usize>) -> Option<&str> {
    i.and_then(|i| record.get(i))
}

fn row(
    cols: &Columns,
    record: &csv::StringRecord,
    line_no: u64,
    options: &ParseOptions,
) -> Result<Located, StatementError> {
    let at = |col: &str| Position::line(line_no).with_element(col.to_owned());
    let get = |i: usize, name: &str| -> Result<&str, StatementError> {
        match record.get(i).map(str::trim) {
            Some(v) if !v.is_empty() => Ok(v),
            _ => Err(StatementError::Missing {
                format: FORMAT,
                at: at(name),
                what: format!("value for {name:?}"),
            }),
        }
    };
    let decimal = |text: &str, name: &str| {
        Decimal::from_str(text).map_err(|_| StatementError::Invalid {
            format: FORMAT,
            at: at(name),
            what: name.to_owned(),
            message: format!("{text:?} is not a decimal number"),
        })
    };

    let reference_number = get(cols.id, "TransferWise ID")?.to_owned();
    let booked_at = match field(record, cols.date_time)
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(dt) => parse_date_time(dt, options).ok_or_else(|| StatementError::Invalid {
            format: FORMAT,
            at: at("Date Time"),
            what: "Date Time".into(),
            message: format!("{dt:?} is not DD-MM-YYYY HH:MM:SS.mmm"),
        })?,
        None => {
            let d = get(cols.date, "Date")?;
            parse_date(d, options).ok_or_else(|| StatementError::Invalid {
                format: FORMAT,
                at: at("Date"),
                what: "Date".into(),
                message: format!("{d:?} is not DD-MM-YYYY"),
            })?
        }
    };
    let amount = decimal(get(cols.amount, "Amount")?, "Amount")?;
    let code = get(cols.currency, "Currency")?;
    let currency = Currency::parse(code).ok_or_else(|| StatementError::Invalid {
        format: FORMAT,
        at: at("Currency"),
        what: "Currency".into(),
        message: format!("{code:?} is not an ISO 4217 code"),
    })?;
    let running_balance = decimal(
        get(cols.running_balance, "Running Balance")?,
        "Running Balance",
    )?;
    let total_fees = match field(record, cols.total_fees)
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        Some(f) => decimal(f, "Total fees")?,
        None => Decimal::ZERO,
    };
    let counterparty = non_empty(field(record, cols.payee))
        .or_else(|| non_empty(field(record, cols.payer)))
        .or_else(|| non_empty(field(record, cols.merchant)));
    // Older exports have no details type; the reference prefix is the best available hint.
    let details_type = non_empty(field(record, cols.details_type)).unwrap_or_else(|| {
        reference_number
            .split_once('-')
            .map_or("UNKNOWN", |(p, _)| p)
            .to_owned()
    });

    Ok(Located {
        line: StatementLine {
            reference_number,
            booked_at,
            amount,
            total_fees,
            currency,
            running_balance,
            counterparty,
            payment_reference: non_empty(field(record, cols.payment_reference)),
            description: record.get(cols.description).unwrap_or("").trim().to_owned(),
            details_type,
            raw: record.iter().collect::<Vec<_>>().join(","),
        },
        at: Position::line(line_no),
    })
}

fn parse_date(s: &str, options: &ParseOptions) -> Option<DateTime<Utc>> {
    let d = NaiveDate::parse_from_str(s, "%d-%m-%Y").ok()?;
    let n = d.and_hms_opt(0, 0, 0)?;
    local_to_utc(n, options)
}

fn parse_date_time(s: &str, options: &ParseOptions) -> Option<DateTime<Utc>> {
    let n = NaiveDateTime::parse_from_str(s, "%d-%m-%Y %H:%M:%S%.f").ok()?;
    local_to_utc(n, options)
}

fn local_to_utc(n: NaiveDateTime, options: &ParseOptions) -> Option<DateTime<Utc>> {
    options
        .csv_time_zone
        .from_local_datetime(&n)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether `Amount` includes `Total fees` is UNCONFIRMED (reference §17): normalize to the JSON
/// convention (fees included). `Detect` checks which reading makes the running balances chain.
fn apply_fee_convention(rows: &mut [Located], convention: CsvFeeConvention) {
    let excluded = match convention {
        CsvFeeConvention::Included => false,
        CsvFeeConvention::Excluded => true,
        CsvFeeConvention::Detect => {
            // rows are newest first: rows[i+1] happened before rows[i].
            let (mut incl, mut excl) = (0usize, 0usize);
            for w in rows.windows(2) {
                let (newer, older) = (&w[0].line, &w[1].line);
                if newer.total_fees.is_zero() {
                    continue;
                }
                if older.running_balance + newer.amount == newer.running_balance {
                    incl += 1;
                } else if older.running_balance + newer.amount - newer.total_fees
                    == newer.running_balance
                {
                    excl += 1;
                }
            }
            excl > incl
        }
    };
    if excluded {
        for r in rows {
            r.line.amount -= r.line.total_fees;
        }
    }
}

fn csv_error(e: csv::Error) -> StatementError {
    let at = e
        .position()
        .map_or(Position::line(1), |p| Position::line(p.line()));
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "not UTF-8".to_owned(),
        csv::ErrorKind::UnequalLengths {
            expected_len, len, ..
        } => format!("{len} fields where the header has {expected_len}"),
        _ => e.to_string(),
    };
    StatementError::Syntax {
        format: FORMAT,
        at,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "\u{feff}\"TransferWise ID\",Date,Amount,Currency,Description,\"Payment Reference\",\"Running Balance\",\"Exchange From\",\"Exchange To\",\"Exchange Rate\",\"Payer Name\",\"Payee Name\",\"Payee Account Number\",Merchant,\"Card Last Four Digits\",\"Card Holder Full Name\",Attachment,Note,\"Total fees\",\"Some Future Column\"\n\
TRANSFER-2,02-03-2024,-10.50,EUR,\"Sent money to Acme, GmbH\",INV-1,89.50,,,,,\"Acme, GmbH\",DE89,,,,,,0.50,x\n\
TRANSFER-1,01-03-2024,100.00,EUR,\"Received \"\"quoted\"\"\",,100.00,,,,Payer Co,,,,,,,,0.00,y\n";

    #[test]
    fn older_header_with_bom_quotes_and_extra_columns() {
        let s = parse(OLD.as_bytes()).unwrap();
        assert_eq!(s.lines.len(), 2);
        assert_eq!(s.lines[0].reference_number, "TRANSFER-1");
        assert_eq!(s.lines[0].description, "Received \"quoted\"");
        assert_eq!(s.lines[0].counterparty.as_deref(), Some("Payer Co"));
        assert_eq!(s.lines[1].counterparty.as_deref(), Some("Acme, GmbH"));
        assert_eq!(s.lines[1].details_type, "TRANSFER");
        assert_eq!(s.opening_balance, Some(Decimal::ZERO));
        assert_eq!(s.closing_balance, Some(Decimal::from_str("89.50").unwrap()));
    }

    #[test]
    fn fees_outside_amount_are_detected_from_running_balances() {
        // 100 - 10.00 - 0.50 fee = 89.50: this file's Amount excludes the fee.
        let csv = OLD.replace("-10.50", "-10.00");
        let s = parse(csv.as_bytes()).unwrap();
        assert_eq!(s.lines[1].amount, Decimal::from_str("-10.50").unwrap());
        let strict = ParseOptions {
            csv_fees: CsvFeeConvention::Included,
            ..ParseOptions::default()
        };
        assert!(matches!(
            parse_with(csv.as_bytes(), &strict),
            Err(StatementError::Inconsistent { .. })
        ));
    }

    #[test]
    fn missing_required_column_is_named() {
        let csv = OLD.replace("\"Running Balance\"", "\"Balance\"");
        let err = parse(csv.as_bytes()).unwrap_err();
        assert!(err.to_string().contains("Running Balance"), "{err}");
    }

    #[test]
    fn bad_value_names_line_and_column() {
        let csv = OLD.replace("01-03-2024", "2024-03-01");
        let err = parse(csv.as_bytes()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 3") && text.contains("Date"), "{text}");
    }

    #[test]
    fn ragged_rows_are_syntax_errors() {
        let csv = format!("{OLD}TRANSFER-3,03-03-2024\n");
        assert!(matches!(
            parse(csv.as_bytes()),
            Err(StatementError::Syntax { .. })
        ));
    }
}
