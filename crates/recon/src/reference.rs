//! Reference tokens: the invoice numbers, bill numbers and Wise transfer references that tie a
//! bank line to a posting (Wise `paymentReference` and `referenceNumber` ↔ QBO `DocNumber`,
//! `PaymentRefNum`, `PrivateNote`, memos).
//!
//! A token is a word with at least one digit and at least four characters once separators are
//! dropped and letters upper-cased ("inv-1042" = "INV1042"); its digits alone are a second
//! token when there are at least four ("TRANSFER-900000002" also yields "900000002"). Words
//! without digits ("Rent", "March") are too common to identify anything.

use crate::fasthash::fx_hash_bytes;

const MIN_TOKEN_LEN: usize = 4;

/// Appends the hashes of the reference tokens in `text` to `out`; `scratch` is reused.
pub fn push_tokens(text: &str, out: &mut Vec<u64>, scratch: &mut String) {
    for_each_token(text, scratch, |token, digits| {
        out.push(fx_hash_bytes(token.as_bytes()));
        if let Some(d) = digits {
            out.push(fx_hash_bytes(d.as_bytes()));
        }
    });
}

/// The readable tokens of `text` (for explanations).
#[must_use]
pub fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut scratch = String::new();
    for_each_token(text, &mut scratch, |token, digits| {
        out.push(token.to_owned());
        if let Some(d) = digits {
            out.push(d.to_owned());
        }
    });
    out
}

fn for_each_token(text: &str, scratch: &mut String, mut emit: impl FnMut(&str, Option<&str>)) {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return;
    }
    let mut digits = String::new();
    for word in text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '[' | ']' | '"' | '\'')
    }) {
        scratch.clear();
        digits.clear();
        for ch in word.chars() {
            if ch.is_ascii_alphanumeric() {
                scratch.push(ch.to_ascii_uppercase());
                if ch.is_ascii_digit() {
                    digits.push(ch);
                }
            }
        }
        if scratch.len() < MIN_TOKEN_LEN || digits.is_empty() {
            continue;
        }
        let digits_token = (digits.len() >= MIN_TOKEN_LEN && digits.len() != scratch.len())
            .then_some(digits.as_str());
        emit(scratch, digits_token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let mut s = String::new();
        push_tokens("INV-2024-007", &mut a, &mut s);
        push_tokens("inv/2024/007", &mut b, &mut s);
        assert_eq!(a, b);
        assert_eq!(a.len(), 2);
    }
}
