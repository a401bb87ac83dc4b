//! Reference tokens: the invoice numbers, bill numbers and Wise transfer references that tie a
//! bank line to a posting (Wise `paymentReference` and `referenceNumber` ↔ QBO `DocNumber`,
//! `PaymentRefNum`, `PrivateNote`, memos).
//!
//! A token is a word with at least one digit and at least four characters once separators are
//! dropped and letters upper-cased ("inv-1042" = "INV1042"); its digits alone are a second
//! token when there are at least four ("TRANSFER-900000002" also yields "900000002"). Words
//! without digits ("Rent", "March") are too common to identify anything.
//!
//! Tokens are hashed while the text is scanned, a byte at a time: no string is built, so
//! preparing a million lines allocates nothing per line.

use crate::fasthash::StreamHash;

const MIN_TOKEN_LEN: u64 = 4;

/// Appends the hashes of the reference tokens in `text` to `out`.
pub fn push_tokens(text: &str, out: &mut Vec<u64>) {
    for_each_token(text, |_, token, digits| {
        out.push(token);
        if let Some(d) = digits {
            out.push(d);
        }
    });
}

/// Calls `emit(word, token_hash, digits_hash)` for every token of `text`, in order.
pub fn for_each_token<'t>(text: &'t str, mut emit: impl FnMut(&'t str, u64, Option<u64>)) {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    let mut norm = StreamHash::new();
    let mut digits = StreamHash::new();
    let mut start = 0usize;
    let mut flush = |end: usize, norm: &mut StreamHash, digits: &mut StreamHash, start: usize| {
        if norm.len() >= MIN_TOKEN_LEN && !digits.is_empty() {
            let digits_token = (digits.len() >= MIN_TOKEN_LEN && digits.len() != norm.len())
                .then(|| digits.finish());
            emit(&text[start..end], norm.finish(), digits_token);
        }
        *norm = StreamHash::new();
        *digits = StreamHash::new();
    };
    for (i, ch) in text.char_indices() {
        if ch.is_ascii_alphanumeric() {
            let b = ch as u8;
            norm.push(b.to_ascii_uppercase());
            if b.is_ascii_digit() {
                digits.push(b);
            }
        } else if is_separator(ch) {
            flush(i, &mut norm, &mut digits, start);
            start = i + ch.len_utf8();
        }
    }
    flush(text.len(), &mut norm, &mut digits, start);
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '[' | ']' | '"' | '\'')
}

/// The readable token of `word` (upper-cased letters and digits), or its digits alone.
pub fn write_token(word: &str, digits_only: bool, out: &mut String) {
    for ch in word.chars() {
        if ch.is_ascii_digit() || (!digits_only && ch.is_ascii_alphanumeric()) {
            out.push(ch.to_ascii_uppercase());
        }
    }
}

/// The readable tokens of `text`.
#[cfg(test)]
#[must_use]
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_token(text, |word, _, digits| {
        let mut t = String::new();
        write_token(word, false, &mut t);
        out.push(t);
        if digits.is_some() {
            let mut d = String::new();
            write_token(word, true, &mut d);
            out.push(d);
        }
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fasthash::fx_hash_bytes;

    #[test]
    fn separators_and_case_are_ignored() {
        assert_eq!(tokens("inv-1042"), vec!["INV1042", "1042"]);
        assert_eq!(tokens("Paid INV 1042"), vec!["1042"]);
        assert_eq!(
            tokens("Wise TRANSFER-900000002 fee"),
            vec!["TRANSFER900000002", "900000002"]
        );
    }

    #[test]
    fn words_without_digits_or_too_short_are_not_references() {
        assert!(tokens("Rent March").is_empty());
        assert!(tokens("A1 B2").is_empty());
    }

    #[test]
    fn hashes_agree_with_tokens() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        push_tokens("INV-2024-007", &mut a);
        push_tokens("inv/2024/007", &mut b);
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
        assert_eq!(a[0], fx_hash_bytes(b"INV2024007"));
        assert_eq!(a[1], fx_hash_bytes(b"2024007"));
    }

    #[test]
    fn unicode_whitespace_separates() {
        assert_eq!(
            tokens("INV\u{a0}1042 ünï-7777"),
            vec!["1042", "N7777", "7777"]
        );
    }
}
