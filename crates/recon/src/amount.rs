//! Money as integers for indexing, and the shapes of a mistyped amount.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Amounts are indexed in ten-thousandths of a currency unit: exact for every ISO currency
/// (at most three decimals) and for Wise's four-decimal rates never used as money here.
pub const UNITS_PER_MAJOR: i64 = 10_000;

/// `amount` in ten-thousandths, or `None` when it does not fit (absurd amounts are never matched
/// by index, only reported).
#[must_use]
pub fn to_units(amount: Decimal) -> Option<i64> {
    (amount * Decimal::from(UNITS_PER_MAJOR)).round().to_i64()
}

/// The smallest coin of `currency`, in ten-thousandths (ISO 4217 exponents).
#[must_use]
pub fn minor_unit(currency: &str) -> i64 {
    match currency {
        "JPY" | "KRW" | "HUF" | "CLP" | "ISK" | "VND" | "XOF" | "XAF" | "UGX" | "PYG" | "IDR" => {
            UNITS_PER_MAJOR
        }
        "BHD" | "KWD" | "OMR" | "JOD" | "TND" | "LYD" | "IQD" => 10,
        _ => 100,
    }
}

/// Whether `book` looks like `bank` mistyped: one digit changed, added or dropped, two
/// neighbouring digits swapped, or a difference of at most 2 % (FX or rounding drift).
/// Both are in minor units of the same currency and have the same sign.
#[must_use]
pub fn looks_mistyped(bank_minor: i64, book_minor: i64) -> bool {
    if bank_minor == book_minor || (bank_minor < 0) != (book_minor < 0) {
        return false;
    }
    let (a, b) = (bank_minor.unsigned_abs(), book_minor.unsigned_abs());
    if a.abs_diff(b) * 50 <= a.max(b) {
        return true;
    }
    let (da, db) = (a.to_string(), b.to_string());
    one_edit_apart(da.as_bytes(), db.as_bytes())
}

fn one_edit_apart(a: &[u8], b: &[u8]) -> bool {
    if a.len() == b.len() {
        let diffs: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
        match diffs.as_slice() {
            [_] => true,
            [i, j] => *j == i + 1 && a[*i] == b[*j] && a[*j] == b[*i],
            _ => false,
        }
    } else {
        let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
        if long.len() != short.len() + 1 {
            return false;
        }
        let prefix = short.iter().zip(long).take_while(|(x, y)| x == y).count();
        short[prefix..] == long[prefix + 1..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn units_are_exact() {
        assert_eq!(to_units(Decimal::from_str("-1204.31").unwrap()), Some(-12_043_100));
        assert_eq!(to_units(Decimal::from_str("0.001").unwrap()), Some(10));
    }

    #[test]
    fn typo_shapes() {
        assert!(looks_mistyped(-120_000, -102_000)); // swapped digits
        assert!(looks_mistyped(45_000, 46_000)); // one digit
        assert!(looks_mistyped(45_000, 4_500)); // a dropped zero
        assert!(looks_mistyped(100_000, 101_500)); // 1.5 %
        assert!(!looks_mistyped(100_000, 130_000 + 7)); // unrelated
        assert!(!looks_mistyped(100, -100)); // opposite sign
    }
}
