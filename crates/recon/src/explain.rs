//! Words for decisions: every match and exception carries a sentence a bookkeeper can check.

use std::fmt::Write as _;

use rust_decimal::Decimal;

use crate::counterparty::NameAgreement;
use crate::input::{BankLine, BookEntry};
use crate::reference::{for_each_token, push_tokens, write_token};

/// Appends "; reference INV1042 (Wise paymentReference ↔ QBO DocNumber)" when the two share a
/// token; returns whether they do. Works on token hashes; only the winning token is spelled out.
pub fn push_reference_evidence(out: &mut String, bank: &BankLine, book: &BookEntry) -> bool {
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
    let mut book_tokens: [Vec<u64>; 4] = Default::default();
    for (tokens, (_, text)) in book_tokens.iter_mut().zip(book_fields) {
        push_tokens(text, tokens);
    }
    for (bank_field, bank_text) in bank_fields {
        for ((book_field, _), book_tokens) in book_fields.iter().zip(&book_tokens) {
            if book_tokens.is_empty() {
                continue;
            }
            let mut hit: Option<(&str, bool)> = None;
            for_each_token(bank_text, |word, token, digits| {
                if hit.is_some() {
                    return;
                }
                if book_tokens.contains(&token) {
                    hit = Some((word, false));
                } else if digits.is_some_and(|d| book_tokens.contains(&d)) {
                    hit = Some((word, true));
                }
            });
            if let Some((word, digits_only)) = hit {
                out.push_str("; reference ");
                write_token(word, digits_only, out);
                let _ = write!(out, " (Wise {bank_field} ↔ QBO {book_field})");
                return true;
            }
        }
    }
    false
}

/// Appends `d` exactly as its `Display` would (sign, digits, scale kept), without the
/// formatting machinery: reasons print several amounts each, a million reasons per run.
pub fn push_decimal(out: &mut String, d: Decimal) {
    let scale = d.scale() as usize;
    let mantissa = match i64::try_from(d.mantissa()) {
        Ok(m) if scale <= 18 => m,
        _ => {
            let _ = write!(out, "{d}");
            return;
        }
    };
    if d.is_sign_negative() && mantissa != 0 {
        out.push('-');
    }
    let mut buf = [0u8; 24];
    let mut i = buf.len();
    let mut v = mantissa.unsigned_abs();
    let mut written = 0;
    while v > 0 || written <= scale {
        if written == scale && scale > 0 {
            i -= 1;
            buf[i] = b'.';
        }
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        written += 1;
    }
    out.push_str(std::str::from_utf8(&buf[i..]).unwrap_or("?"));
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn decimals_print_like_display() {
        for s in [
            "0",
            "0.00",
            "-0.05",
            "1204.31",
            "-1204.310",
            "12",
            "-7",
            "0.5",
            "100.00",
            "-0.00",
            "0.0000000000000000001",
        ] {
            let d = Decimal::from_str(s).unwrap();
            let mut out = String::new();
            push_decimal(&mut out, d);
            assert_eq!(out, d.to_string(), "{s}");
        }
    }
}
