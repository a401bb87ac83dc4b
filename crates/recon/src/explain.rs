//! Words for decisions: every match and exception carries a sentence a bookkeeper can check.

use std::fmt;

use rust_decimal::Decimal;

use crate::counterparty::NameAgreement;
use crate::input::{BankLine, BookEntry};
use crate::reason::ReferenceHit;
use crate::reference::{for_each_token, write_token};

/// The token a bank line and a posting share ("INV1042"), and where each has it, if any.
/// Works on token hashes; only the winning token is spelled out. Every field is scanned once,
/// into buffers on the stack (this runs for most decided pairs).
pub fn reference_hit(bank: &BankLine, book: &BookEntry) -> Option<ReferenceHit> {
    let bank_fields = [bank.payment_reference.as_str(), bank.id.as_str()];
    let book_fields = [
        book.doc_number.as_str(),
        book.payment_ref_num.as_str(),
        book.private_note.as_str(),
        book.memo.as_str(),
    ];
    let mut book_tokens: [SmallBuf<u64>; 4] = Default::default();
    for (tokens, text) in book_tokens.iter_mut().zip(book_fields) {
        for_each_token(text, |_, token, digits| {
            tokens.push(token);
            if let Some(d) = digits {
                tokens.push(d);
            }
        });
    }
    if book_tokens.iter().all(SmallBuf::is_empty) {
        return None;
    }
    for (bank_field, bank_text) in bank_fields.into_iter().enumerate() {
        let mut bank_tokens: SmallBuf<(&str, u64, Option<u64>)> = SmallBuf::default();
        for_each_token(bank_text, |word, token, digits| {
            bank_tokens.push((word, token, digits));
        });
        if bank_tokens.is_empty() {
            continue;
        }
        for (book_field, book_tokens) in book_tokens.iter().enumerate() {
            let book_tokens = book_tokens.as_slice();
            if book_tokens.is_empty() {
                continue;
            }
            let hit = bank_tokens
                .as_slice()
                .iter()
                .find_map(|&(word, token, digits)| {
                    if book_tokens.contains(&token) {
                        Some((word, false))
                    } else if digits.is_some_and(|d| book_tokens.contains(&d)) {
                        Some((word, true))
                    } else {
                        None
                    }
                });
            if let Some((word, digits_only)) = hit {
                let mut token = String::with_capacity(word.len());
                write_token(word, digits_only, &mut token);
                return Some(ReferenceHit {
                    token: token.into_boxed_str(),
                    bank_field: bank_field as u8,
                    book_field: book_field as u8,
                });
            }
        }
    }
    None
}

/// A few items inline, spilling to the heap past that (long memos).
struct SmallBuf<T: Copy + Default> {
    inline: [T; 8],
    len: usize,
    spill: Vec<T>,
}

impl<T: Copy + Default> Default for SmallBuf<T> {
    fn default() -> Self {
        Self {
            inline: [T::default(); 8],
            len: 0,
            spill: Vec::new(),
        }
    }
}

impl<T: Copy + Default> SmallBuf<T> {
    fn push(&mut self, item: T) {
        if self.len < self.inline.len() {
            self.inline[self.len] = item;
            self.len += 1;
        } else {
            if self.spill.is_empty() {
                self.spill.extend_from_slice(&self.inline);
            }
            self.spill.push(item);
        }
    }

    fn as_slice(&self) -> &[T] {
        if self.spill.is_empty() {
            &self.inline[..self.len]
        } else {
            &self.spill
        }
    }

    fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// Appends `d` exactly as its `Display` would (sign, digits, scale kept), without the
/// formatting machinery: reasons print several amounts each, a million reasons per run.
pub fn write_decimal<W: fmt::Write>(out: &mut W, d: Decimal) -> fmt::Result {
    let scale = d.scale() as usize;
    let mantissa = match i64::try_from(d.mantissa()) {
        Ok(m) if scale <= 18 => m,
        _ => return write!(out, "{d}"),
    };
    if d.is_sign_negative() && mantissa != 0 {
        out.write_char('-')?;
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
    out.write_str(std::str::from_utf8(&buf[i..]).unwrap_or("?"))
}

pub fn write_name<W: fmt::Write>(
    out: &mut W,
    agreement: NameAgreement,
    bank: &str,
    book: &str,
) -> fmt::Result {
    match agreement {
        NameAgreement::Same => write!(out, "; counterparty \"{bank}\" = \"{book}\""),
        NameAgreement::Similar => write!(out, "; counterparty \"{bank}\" resembles \"{book}\""),
        NameAgreement::Different => {
            write!(out, "; counterparty differs (\"{bank}\" vs \"{book}\")")
        }
        NameAgreement::Unknown => Ok(()),
    }
}

/// "same day", "posted 3 days after the bank line", "posted 1 day before the bank line".
pub fn write_gap<W: fmt::Write>(out: &mut W, gap_days: i32) -> fmt::Result {
    match gap_days {
        0 => out.write_str("; same day"),
        g if g > 0 => write!(
            out,
            "; posted {g} day{} after the bank line",
            if g == 1 { "" } else { "s" }
        ),
        g => {
            let g = -g;
            write!(
                out,
                "; posted {g} day{} before the bank line",
                if g == 1 { "" } else { "s" }
            )
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
            write_decimal(&mut out, d).unwrap();
            assert_eq!(out, d.to_string(), "{s}");
        }
    }
}
