//! Connector output → engine input for the `clearline reconcile` command, through the same
//! normalization the sync uses ([`crate::lines`], [`crate::findings`]): Wise
//! [`Statement`]s become [`BankLine`]s, QBO [`BankPosting`]s become [`BookEntry`]s.

use crate::findings;
use crate::lines;
use qbo::postings::BankPosting;
use recon::{BankLine, BookEntry};
use wise::Statement;

/// The bank lines of one statement, in booking order. A line's id is its `referenceNumber`;
/// when the statement repeats one (a refund reuses its transfer's reference), the later lines
/// by date get `#2`, `#3`, …
#[must_use]
pub fn bank_lines(statement: &Statement) -> Vec<BankLine> {
    let stored: Vec<lines::BankLine> = statement
        .lines
        .iter()
        .map(lines::BankLine::from_statement)
        .collect();
    findings::numbered(&stored.iter().collect::<Vec<_>>())
}

/// A posting as the engine sees it. `currency` is the currency of the Wise balance its bank
/// account is mapped to (QBO leaves `CurrencyRef` out when multicurrency is off); the caller
/// checks that a `CurrencyRef`, when present, agrees.
#[must_use]
pub fn book_entry(posting: BankPosting, currency: &str) -> BookEntry {
    findings::book_entry(&lines::BookEntry::from_posting(posting), currency)
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATEMENT: &str = r#"{"transactions": [
      {"type": "CREDIT", "date": "2024-03-22T10:00:00Z", "amount": {"value": 350.00, "currency": "EUR"},
       "totalFees": {"value": 0, "currency": "EUR"}, "details": {"type": "TRANSFER", "description": "Refund"},
       "runningBalance": {"value": 1000.00, "currency": "EUR"}, "referenceNumber": "TRANSFER-4"},
      {"type": "DEBIT", "date": "2024-03-20T10:00:00Z", "amount": {"value": -350.00, "currency": "EUR"},
       "totalFees": {"value": 0, "currency": "EUR"}, "details": {"type": "TRANSFER", "description": "Sent"},
       "runningBalance": {"value": 650.00, "currency": "EUR"}, "referenceNumber": "TRANSFER-4"},
      {"type": "DEBIT", "date": "2024-03-18T10:00:00Z", "amount": {"value": -10.00, "currency": "EUR"},
       "totalFees": {"value": 0.50, "currency": "EUR"}, "details": {"type": "CARD", "description": "Card",
       "merchant": {"name": "Tea Shop"}},
       "runningBalance": {"value": 1000.00, "currency": "EUR"}, "referenceNumber": "CARD-1"}],
      "startOfStatementBalance": {"value": 1010.00, "currency": "EUR"},
      "endOfStatementBalance": {"value": 1000.00, "currency": "EUR"},
      "query": {"intervalStart": "2024-03-01T00:00:00Z", "intervalEnd": "2024-03-31T23:59:59.999Z", "currency": "EUR"}}"#;

    #[test]
    fn repeated_references_are_numbered_by_date() {
        let statement = wise::parse_statement(STATEMENT.as_bytes()).unwrap();
        let lines = bank_lines(&statement);
        let ids: Vec<_> = lines.iter().map(|l| &*l.id).collect();
        assert_eq!(ids, ["CARD-1", "TRANSFER-4", "TRANSFER-4#2"]);
        assert_eq!(lines[1].amount.to_string(), "-350.00");
        assert_eq!(lines[2].amount.to_string(), "350.00");
        assert_eq!(lines[0].fee.to_string(), "0.50");
        assert_eq!(lines[0].currency, "EUR");
    }
}
