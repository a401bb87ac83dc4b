//! Connector output → engine input. The connectors and the engine know nothing of each other
//! (the dependency rule), so the translation lives here, in one place:
//! Wise [`StatementLine`]s become [`BankLine`]s, QBO [`BankPosting`]s become [`BookEntry`]s.

use std::collections::HashMap;

use qbo::postings::{BankPosting, EntityKind};
use recon::{BankLine, BookEntry, BookEntryKind};
use wise::{Statement, StatementLine};

/// The bank lines of one statement, in booking order. A line's id is its `referenceNumber`;
/// when the statement repeats one (a refund reuses its transfer's reference), the later lines
/// by date get `#2`, `#3`, … This is the only place that numbering happens.
#[must_use]
pub fn bank_lines(statement: &Statement) -> Vec<BankLine> {
    // `Statement::lines` is already in booking order (oldest first, ties in source order).
    let mut seen: HashMap<&str, u32> = HashMap::with_capacity(statement.lines.len());
    statement
        .lines
        .iter()
        .map(|line| {
            let n = seen.entry(line.reference_number.as_str()).or_insert(0);
            *n += 1;
            let id = if *n == 1 {
                line.reference_number.clone()
            } else {
                format!("{}#{n}", line.reference_number)
            };
            bank_line(id, line)
        })
        .collect()
}

fn bank_line(id: String, line: &StatementLine) -> BankLine {
    BankLine {
        id,
        booked_at: line.booked_at,
        amount: line.amount,
        fee: line.total_fees,
        currency: line.currency.as_str().to_owned(),
        counterparty: line.counterparty.clone().unwrap_or_default(),
        payment_reference: line.payment_reference.clone().unwrap_or_default(),
        description: line.description.clone(),
        details_type: line.details_type.clone(),
    }
}

/// A posting as the engine sees it. `currency` is the currency of the Wise balance its bank
/// account is mapped to (QBO leaves `CurrencyRef` out when multicurrency is off); the caller
/// checks that a `CurrencyRef`, when present, agrees.
#[must_use]
pub fn book_entry(posting: BankPosting, currency: &str) -> BookEntry {
    BookEntry {
        id: posting.id,
        kind: entry_kind(posting.entity),
        txn_date: posting.txn_date,
        amount: posting.amount,
        currency: currency.to_owned(),
        bank_account_id: posting.bank_account_id,
        doc_number: posting.doc_number,
        payment_ref_num: posting.payment_ref_num,
        private_note: posting.private_note,
        memo: posting.memo,
        counterparty: posting.counterparty,
        created_at: posting.created_at,
        is_bank_charge: posting.is_bank_charge,
    }
}

fn entry_kind(entity: EntityKind) -> BookEntryKind {
    match entity {
        EntityKind::Purchase => BookEntryKind::Purchase,
        EntityKind::Deposit => BookEntryKind::Deposit,
        EntityKind::BillPayment => BookEntryKind::BillPayment,
        EntityKind::Payment => BookEntryKind::Payment,
        EntityKind::SalesReceipt => BookEntryKind::SalesReceipt,
        EntityKind::Transfer => BookEntryKind::Transfer,
        EntityKind::JournalEntry => BookEntryKind::JournalEntry,
    }
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
        let ids: Vec<_> = lines.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["CARD-1", "TRANSFER-4", "TRANSFER-4#2"]);
        assert_eq!(lines[1].amount.to_string(), "-350.00");
        assert_eq!(lines[2].amount.to_string(), "350.00");
        assert_eq!(lines[0].fee.to_string(), "0.50");
        assert_eq!(lines[0].currency, "EUR");
    }
}
