//! Words for decisions: every match and exception carries a sentence a bookkeeper can check.

use std::fmt;

use rust_decimal::Decimal;

use crate::counterparty::NameAgreement;
#[cfg(test)]
use crate::input::{BankLine, BookEntry};
use crate::reason::BOOK_FIELDS;
use crate::reference::Word;
#[cfg(test)]
use crate::reference::{for_each_token, write_token};

/// Where a bank line and a posting share a reference token: the bank field (index into
/// [`crate::reason::BANK_FIELDS`]) and which of its token words, whether only the word's
/// digits are shared, and the posting field (index into [`BOOK_FIELDS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub bank_field: u8,
    pub word: usize,
    pub digits_only: bool,
    pub book_field: u8,
}

/// The token a bank line and a posting share, if any, from their prepared tokens: the bank
/// line's token words per field (payment reference, id), the posting's distinct token hashes
/// (sorted) with the fields each occurs in (bit `f` for `BOOK_FIELDS[f]`). The first hit in
/// this order wins: bank field, posting field, bank word; a word's whole token before its
/// digits. Only hashes are compared; the caller spells the winning word.
pub fn reference_hit(
    bank_words: [&[Word]; 2],
    book_tokens: &[u64],
    book_fields: &[u8],
) -> Option<Hit> {
    if book_tokens.is_empty() {
        return None;
    }
    let present = book_fields.iter().fold(0u8, |all, &f| all | f);
    for (bank_field, words) in bank_words.into_iter().enumerate() {
        if words.is_empty() {
            continue;
        }
        for book_field in 0..BOOK_FIELDS.len() {
            let bit = 1u8 << book_field;
            if present & bit == 0 {
                continue;
            }
            let has = |h: u64| {
                book_tokens
                    .binary_search(&h)
                    .is_ok_and(|i| book_fields[i] & bit != 0)
            };
            let hit = words.iter().enumerate().find_map(|(word, w)| {
                if has(w.token) {
                    Some((word, false))
                } else if w.digits != 0 && has(w.digits) {
                    Some((word, true))
                } else {
                    None
                }
            });
            if let Some((word, digits_only)) = hit {
                return Some(Hit {
                    bank_field: bank_field as u8,
                    word,
                    digits_only,
                    book_field: book_field as u8,
                });
            }
        }
    }
    None
}

/// The same answer read from the texts themselves (how the engine found it before tokens
/// were prepared); the tests check both agree.
#[cfg(test)]
fn reference_hit_in_text(bank: &BankLine, book: &BookEntry) -> Option<(String, u8, u8)> {
    let bank_fields = [bank.payment_reference.as_str(), &bank.id];
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
                return Some((token, bank_field as u8, book_field as u8));
            }
        }
    }
    None
}

/// A few items inline, spilling to the heap past that (long memos).
#[cfg(test)]
struct SmallBuf<T: Copy + Default> {
    inline: [T; 8],
    len: usize,
    spill: Vec<T>,
}

#[cfg(test)]
impl<T: Copy + Default> Default for SmallBuf<T> {
    fn default() -> Self {
        Self {
            inline: [T::default(); 8],
            len: 0,
            spill: Vec::new(),
        }
    }
}

#[cfg(test)]
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
    fn prepared_tokens_find_what_the_texts_show() {
        use crate::reference::{push_posting_tokens, push_words, spell_word};
        let texts = [
            "",
            "INV-1042",
            "inv 1042",
            "Paid INV-1042 and 7777-A",
            "TRANSFER-900000002",
            "ref 900000002",
            "X-1042 INV1042",
            "A1234567890123456789012345678901234567890123456789012345678901234 x",
            "12/2024/77 INV-1042",
        ];
        let mut checked = 0;
        for (i, &reference) in texts.iter().enumerate() {
            for &id in &["TRANSFER-900000002", "CARD-1042"] {
                let bank = BankLine {
                    id: id.into(),
                    booked_at: chrono::DateTime::UNIX_EPOCH,
                    amount: Decimal::ONE,
                    fee: Decimal::ZERO,
                    currency: "EUR".into(),
                    counterparty: String::new(),
                    payment_reference: reference.into(),
                    description: String::new(),
                    details_type: String::new(),
                };
                let mut words = Vec::new();
                push_words(&bank.payment_reference, &mut words);
                let split = words.len();
                push_words(&bank.id, &mut words);
                for shift in 0..texts.len() {
                    let field = |f: usize| texts[(i + shift + 3 * f) % texts.len()].to_owned();
                    let book = BookEntry {
                        id: "Purchase:1".into(),
                        kind: crate::BookEntryKind::Purchase,
                        txn_date: chrono::NaiveDate::MIN,
                        amount: Decimal::ONE,
                        currency: "EUR".into(),
                        bank_account_id: "1".into(),
                        doc_number: field(0),
                        payment_ref_num: field(1),
                        private_note: field(2),
                        memo: field(3),
                        counterparty: String::new(),
                        created_at: None,
                        is_bank_charge: false,
                    };
                    let (mut tokens, mut fields, mut scratch) =
                        (Vec::new(), Vec::new(), Vec::new());
                    push_posting_tokens(
                        [
                            &book.doc_number,
                            &book.payment_ref_num,
                            &book.private_note,
                            &book.memo,
                        ],
                        &mut scratch,
                        &mut tokens,
                        &mut fields,
                    );
                    let hit = reference_hit([&words[..split], &words[split..]], &tokens, &fields)
                        .map(|h| {
                            let text = [bank.payment_reference.as_str(), &bank.id]
                                [usize::from(h.bank_field)];
                            let mut token = String::new();
                            spell_word(text, h.word, h.digits_only, &mut token);
                            (token, h.bank_field, h.book_field)
                        });
                    assert_eq!(
                        hit,
                        reference_hit_in_text(&bank, &book),
                        "{bank:?} {book:?}"
                    );
                    checked += usize::from(hit.is_some());
                }
            }
        }
        assert!(checked > 20, "{checked}");
    }

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
