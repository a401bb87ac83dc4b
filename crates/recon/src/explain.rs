//! Words for decisions: every match and exception carries a sentence a bookkeeper can check.

use std::fmt::Write as _;

use crate::counterparty::NameAgreement;
use crate::input::{BankLine, BookEntry};
use crate::reference::tokens;

/// "reference INV1042 (Wise paymentReference ↔ QBO DocNumber)", when the two share a token.
#[must_use]
pub fn reference_evidence(bank: &BankLine, book: &BookEntry) -> Option<String> {
    let bank_fields = [
        ("paymentReference", bank.payment_reference.as_str()),
        ("referenceNumber", bank.id.as_str()),
    ];
    let book_fields = [
        ("DocNumber", book.doc_number.as_str()),
        ("PaymentRefNum", book.payment_ref_num.as_str()),
        ("PrivateNote", book.private_note.as_str()),
        ("memo", book.memo.as_str()),
    ];
    for (bank_field, bank_text) in bank_fields {
        let bank_tokens = tokens(bank_text);
        if bank_tokens.is_empty() {
            continue;
        }
        for (book_field, book_text) in book_fields {
            let book_tokens = tokens(book_text);
            if let Some(t) = bank_tokens.iter().find(|t| book_tokens.contains(t)) {
                return Some(format!(
                    "reference {t} (Wise {bank_field} ↔ QBO {book_field})"
                ));
            }
        }
    }
    None
}

pub fn push_name(out: &mut String, agreement: NameAgreement, bank: &str, book: &str) {
    match agreement {
        NameAgreement::Same => {
            let _ = write!(out, "; counterparty \"{bank}\" = \"{book}\"");
        }
        NameAgreement::Similar => {
            let _ = write!(out, "; counterparty \"{bank}\" resembles \"{book}\"");
        }
        NameAgreement::Different => {
            let _ = write!(out, "; counterparty differs (\"{bank}\" vs \"{book}\")");
        }
        NameAgreement::Unknown => {}
    }
}

/// "same day", "posted 3 days after the bank line", "posted 1 day before the bank line".
pub fn push_gap(out: &mut String, gap_days: i32) {
    match gap_days {
        0 => out.push_str("; same day"),
        g if g > 0 => {
            let _ = write!(
                out,
                "; posted {g} day{} after the bank line",
                if g == 1 { "" } else { "s" }
            );
        }
        g => {
            let g = -g;
            let _ = write!(
                out,
                "; posted {g} day{} before the bank line",
                if g == 1 { "" } else { "s" }
            );
        }
    }
}
