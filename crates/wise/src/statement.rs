//! The normalized statement every door produces (API JSON, CSV export, camt.053 XML), and the
//! single entry point [`parse_statement`] that detects the format from the content.

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use std::fmt;

use crate::{camt053, statement_csv, statement_json};

/// An ISO 4217 code: three upper-case ASCII letters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency([u8; 3]);

impl Currency {
    /// Validates a currency code; lower-case input is rejected rather than guessed.
    pub fn parse(code: &str) -> Option<Currency> {
        let b = code.trim().as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
            Some(Currency([b[0], b[1], b[2]]))
        } else {
            None
        }
    }
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII upper-case letters.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}
impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Currency({})", self.as_str())
    }
}

/// One booked movement on a Wise balance, whatever file or endpoint it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementLine {
    /// Wise's unique transaction reference (`TRANSFER-34188888`, `CARD-249281`, `BALANCE-…`).
    pub reference_number: String,
    /// When the movement was booked, in UTC.
    pub booked_at: DateTime<Utc>,
    /// Signed amount in the balance currency; debits negative; **fees included** (as Wise books it).
    pub amount: Decimal,
    /// The fee part already inside `amount` (never negative).
    pub total_fees: Decimal,
    pub currency: Currency,
    /// Balance right after this line.
    pub running_balance: Decimal,
    /// Sender of a credit, recipient of a transfer, or card merchant.
    pub counterparty: Option<String>,
    /// Free-text payment reference (often an invoice number); `None` when empty.
    pub payment_reference: Option<String>,
    /// Human text, localized by Wise: never parse meaning out of it.
    pub description: String,
    /// `details.type` as Wise names it (`CARD`, `TRANSFER`, `DEPOSIT`, …; the list keeps growing).
    pub details_type: String,
    /// The source record exactly as it appeared (JSON object, CSV record, or camt `<Ntry>` element).
    pub raw: String,
}

impl StatementLine {
    /// Everything but `raw`: what must agree whichever door the line came through.
    pub fn same_movement(&self, other: &StatementLine) -> bool {
        self.reference_number == other.reference_number
            && self.booked_at == other.booked_at
            && self.amount == other.amount
            && self.total_fees == other.total_fees
            && self.currency == other.currency
            && self.running_balance == other.running_balance
            && self.counterparty == other.counterparty
            && self.payment_reference == other.payment_reference
            && self.description == other.description
            && self.details_type == other.details_type
    }
}

/// A statement for one currency balance over one interval. Lines are in booking order (oldest
/// first), and `opening + Σ amount = closing` holds with every running balance consistent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    pub format: StatementFormat,
    /// Account holder's name (business name, or first and last name) where the source says it.
    pub account_holder: Option<String>,
    pub profile_id: Option<i64>,
    pub balance_id: Option<i64>,
    pub currency: Currency,
    pub interval_start: Option<DateTime<Utc>>,
    pub interval_end: Option<DateTime<Utc>>,
    /// `None` only when the source carries no balance at all (a CSV export with no rows).
    pub opening_balance: Option<Decimal>,
    pub closing_balance: Option<Decimal>,
    pub lines: Vec<StatementLine>,
}

/// Which door a statement came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatementFormat {
    Json,
    Csv,
    Camt053,
}

impl fmt::Display for StatementFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            StatementFormat::Json => "statement JSON",
            StatementFormat::Csv => "statement CSV",
            StatementFormat::Camt053 => "camt.053 XML",
        })
    }
}

/// Where in the source something went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Position {
    /// 1-based line in the file.
    pub line: u64,
    pub column: Option<u64>,
    /// A path such as `transactions[3].amount` or `Stmt/Ntry[2]/Amt`.
    pub element: Option<String>,
}

impl Position {
    pub fn line(line: u64) -> Position {
        Position {
            line,
            ..Position::default()
        }
    }
    /// Line and column of a byte offset in `input`.
    pub fn at_offset(input: &[u8], offset: usize) -> Position {
        let offset = offset.min(input.len());
        let before = &input[..offset];
        let line = before.iter().filter(|b| **b == b'\n').count() as u64 + 1;
        let col = before.iter().rev().take_while(|b| **b != b'\n').count() as u64 + 1;
        Position {
            line,
            column: Some(col),
            element: None,
        }
    }
    pub fn with_element(mut self, element: impl Into<String>) -> Position {
        self.element = Some(element.into());
        self
    }
}

/// Turns increasing byte offsets into positions in one pass over the input (positions are
/// recorded for every line, so a per-line scan from the start would be quadratic).
pub(crate) struct LineTracker<'a> {
    input: &'a [u8],
    offset: usize,
    line: u64,
    line_start: usize,
}

impl<'a> LineTracker<'a> {
    pub fn new(input: &'a [u8]) -> LineTracker<'a> {
        LineTracker {
            input,
            offset: 0,
            line: 1,
            line_start: 0,
        }
    }

    /// Position of `offset`; offsets must not decrease between calls (else falls back to a scan).
    pub fn at(&mut self, offset: usize) -> Position {
        let offset = offset.min(self.input.len());
        if offset < self.offset {
            return Position::at_offset(self.input, offset);
        }
        for (i, b) in self.input[self.offset..offset].iter().enumerate() {
            if *b == b'\n' {
                self.line += 1;
                self.line_start = self.offset + i + 1;
            }
        }
        self.offset = offset;
        Position {
            line: self.line,
            column: Some((offset - self.line_start) as u64 + 1),
            element: None,
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}", self.line)?;
        if let Some(c) = self.column {
            write!(f, ", column {c}")?;
        }
        if let Some(e) = &self.element {
            write!(f, " ({e})")?;
        }
        Ok(())
    }
}

/// Why a statement could not be read. No partial statement is ever returned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("not a Wise statement: expected statement JSON, statement CSV or camt.053 XML")]
    UnknownFormat,
    #[error("{format}: malformed at {at}: {message}")]
    Syntax {
        format: StatementFormat,
        at: Position,
        message: String,
    },
    #[error("{format}: missing {what} at {at}")]
    Missing {
        format: StatementFormat,
        at: Position,
        what: String,
    },
    #[error("{format}: invalid {what} at {at}: {message}")]
    Invalid {
        format: StatementFormat,
        at: Position,
        what: String,
        message: String,
    },
    #[error("{format}: balances do not add up at {at}: expected {expected}, found {found}")]
    Inconsistent {
        format: StatementFormat,
        at: Position,
        expected: Decimal,
        found: Decimal,
    },
    #[error("camt.053: unsupported message version {0:?} (supported: camt.053.001.02 to .001.08)")]
    UnsupportedCamtVersion(String),
}

/// How a CSV export's `Amount` relates to `Total fees`. Wise does not document it (reference §17,
/// UNCONFIRMED), so it is configurable; `Detect` lets the running balances decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CsvFeeConvention {
    /// Decide from running-balance continuity; falls back to `Included` when the file cannot tell.
    #[default]
    Detect,
    /// `Amount` already includes fees, as the JSON statement's `amount` does.
    Included,
    /// `Amount` is the principal; the balance moved by `Amount − Total fees`.
    Excluded,
}

/// Knobs for the parsers where Wise's behaviour is not confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseOptions {
    pub csv_fees: CsvFeeConvention,
    /// Zone of the CSV `Date Time` column; UNCONFIRMED, assumed UTC.
    pub csv_time_zone: FixedOffset,
    /// Reject statements whose running balances do not chain (`previous + amount = running`).
    pub verify_running_balances: bool,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions {
            csv_fees: CsvFeeConvention::Detect,
            csv_time_zone: FixedOffset::east_opt(0).expect("zero offset"),
            verify_running_balances: true,
        }
    }
}

/// Detects the format from the content (not the file name) and parses with default options.
pub fn parse_statement(bytes: &[u8]) -> Result<Statement, StatementError> {
    parse_statement_with(bytes, &ParseOptions::default())
}

/// [`parse_statement`] with explicit options.
pub fn parse_statement_with(
    bytes: &[u8],
    options: &ParseOptions,
) -> Result<Statement, StatementError> {
    match detect_format(bytes) {
        Some(StatementFormat::Json) => statement_json::parse_with(bytes, options),
        Some(StatementFormat::Csv) => statement_csv::parse_with(bytes, options),
        Some(StatementFormat::Camt053) => camt053::parse_with(bytes, options),
        None => Err(StatementError::UnknownFormat),
    }
}

/// Looks at the first meaningful byte: `{` is JSON, `<` is XML, a header row mentioning
/// `Amount` is CSV.
pub fn detect_format(bytes: &[u8]) -> Option<StatementFormat> {
    let body = strip_bom(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace())?;
    match body[start] {
        b'{' => Some(StatementFormat::Json),
        b'<' => Some(StatementFormat::Camt053),
        _ => {
            let first_line_end = body[start..]
                .iter()
                .position(|b| *b == b'\n')
                .map_or(body.len(), |p| start + p);
            let header = String::from_utf8_lossy(&body[start..first_line_end]).to_lowercase();
            (header.contains("amount") && header.contains(',')).then_some(StatementFormat::Csv)
        }
    }
}

pub(crate) fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes)
}

/// A parsed line with where it came from, so later checks can point at the source.
pub(crate) struct Located {
    pub line: StatementLine,
    pub at: Position,
}

/// Everything a parser read besides the lines.
pub(crate) struct Header {
    pub format: StatementFormat,
    pub account_holder: Option<String>,
    pub profile_id: Option<i64>,
    pub balance_id: Option<i64>,
    pub currency: Currency,
    pub interval_start: Option<DateTime<Utc>>,
    pub interval_end: Option<DateTime<Utc>>,
    pub opening_balance: Option<Decimal>,
    pub closing_balance: Option<Decimal>,
}

/// Puts lines in booking order and checks the balance arithmetic; shared by every parser so the
/// three doors agree on what a valid statement is.
///
/// `newest_first` says how the source is ordered (JSON and CSV: newest first; camt: oldest
/// first). Lines with the same timestamp keep the source's relative order (reversed when the
/// source is newest first), which preserves running-balance continuity.
pub(crate) fn assemble(
    header: Header,
    mut lines: Vec<Located>,
    newest_first: bool,
    options: &ParseOptions,
) -> Result<Statement, StatementError> {
    let format = header.format;
    if newest_first {
        lines.reverse();
    }
    lines.sort_by_key(|l| l.line.booked_at);

    for l in &lines {
        if l.line.currency != header.currency {
            return Err(StatementError::Invalid {
                format,
                at: l.at.clone(),
                what: "currency".into(),
                message: format!(
                    "line is in {} but the statement is in {}",
                    l.line.currency, header.currency
                ),
            });
        }
        if l.line.total_fees.is_sign_negative() && !l.line.total_fees.is_zero() {
            return Err(StatementError::Invalid {
                format,
                at: l.at.clone(),
                what: "total fees".into(),
                message: "fees must not be negative".into(),
            });
        }
    }

    let opening = header.opening_balance.or_else(|| {
        lines
            .first()
            .map(|l| l.line.running_balance - l.line.amount)
    });
    let closing = header
        .closing_balance
        .or_else(|| lines.last().map(|l| l.line.running_balance))
        .or(opening);

    if let (Some(open), Some(close)) = (opening, closing) {
        let mut running = open;
        for l in &lines {
            running += l.line.amount;
            if options.verify_running_balances && running != l.line.running_balance {
                return Err(StatementError::Inconsistent {
                    format,
                    at: l.at.clone(),
                    expected: running,
                    found: l.line.running_balance,
                });
            }
        }
        if running != close {
            return Err(StatementError::Inconsistent {
                format,
                at: Position::line(0).with_element("closing balance"),
                expected: running,
                found: close,
            });
        }
    }

    Ok(Statement {
        format,
        account_holder: header.account_holder,
        profile_id: header.profile_id,
        balance_id: header.balance_id,
        currency: header.currency,
        interval_start: header.interval_start,
        interval_end: header.interval_end,
        opening_balance: opening,
        closing_balance: closing,
        lines: lines.into_iter().map(|l| l.line).collect(),
    })
}

/// `Some(text)` unless empty or blank.
pub(crate) fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_each_format_from_content() {
        assert_eq!(detect_format(b"  {\"a\":1}"), Some(StatementFormat::Json));
        assert_eq!(
            detect_format(b"\xEF\xBB\xBF<?xml version=\"1.0\"?>"),
            Some(StatementFormat::Camt053)
        );
        assert_eq!(
            detect_format(b"\"TransferWise ID\",Date,Amount\n"),
            Some(StatementFormat::Csv)
        );
        assert_eq!(detect_format(b""), None);
        assert_eq!(detect_format(b"hello"), None);
        assert_eq!(
            parse_statement(b"hello"),
            Err(StatementError::UnknownFormat)
        );
    }

    #[test]
    fn currency_is_strict() {
        assert!(Currency::parse("EUR").is_some());
        assert!(Currency::parse("eur").is_none());
        assert!(Currency::parse("EURO").is_none());
    }

    #[test]
    fn positions_count_lines_and_columns() {
        let p = Position::at_offset(b"ab\ncd\nef", 4);
        assert_eq!((p.line, p.column), (2, Some(2)));
        let mut t = LineTracker::new(b"ab\ncd\nef");
        assert_eq!(t.at(1).line, 1);
        assert_eq!(t.at(4), p);
        assert_eq!(t.at(7).line, 3);
        assert_eq!(p.to_string(), "line 2, column 2");
    }
}
