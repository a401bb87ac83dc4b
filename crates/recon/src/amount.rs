//! Money as integers for indexing, and the shapes of a mistyped amount.

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// Ten-thousandths per unit of the last decimal, by scale.
const FACTOR: [i64; 5] = [10_000, 1_000, 100, 10, 1];

/// Amounts are indexed in ten-thousandths of a currency unit: exact for every ISO currency
/// (at most three decimals) and for Wise's four-decimal rates never used as money here.
pub const UNITS_PER_MAJOR: i64 = 10_000;

/// `amount` in ten-thousandths, or `None` when it does not fit (absurd amounts are never matched
/// by index, only reported).
#[must_use]
pub fn to_units(amount: Decimal) -> Option<i64> {
    // Fast path: money has at most four decimals, so scaling the mantissa is exact.
    if let Some(&factor) = FACTOR.get(amount.scale() as usize) {
        let m = i64::try_from(amount.mantissa()).ok()?;
        return m.checked_mul(factor);
    }
    (amount * Decimal::from(UNITS_PER_MAJOR)).round().to_i64()
}

/// An amount as a 64-bit mantissa and a byte for its scale (the top bit keeping the sign of a
/// negative zero): 9 bytes instead of `Decimal`'s 16. `None` when the mantissa needs more
/// than 64 bits (never money).
#[must_use]
pub fn pack(d: Decimal) -> Option<(i64, u8)> {
    let mantissa = i64::try_from(d.mantissa()).ok()?;
    let negative_zero = mantissa == 0 && d.is_sign_negative();
    Some((
        mantissa,
        d.scale() as u8 | if negative_zero { 0x80 } else { 0 },
    ))
}

/// The amount [`pack`] packed.
#[must_use]
pub fn unpack(mantissa: i64, scale: u8) -> Decimal {
    let mut d = Decimal::new(mantissa, u32::from(scale & 0x7f));
    if scale & 0x80 != 0 {
        d.set_sign_negative(true);
    }
    d
}

/// A scale byte [`pack`] never gives: the amount did not pack and is kept elsewhere.
pub const NOT_PACKED: u8 = 0xFF;

/// `amount` in ten-thousandths ([`to_units`]), and the scale byte ([`pack`]'s) under which
/// [`from_units`] gives the amount back from them: [`NOT_PACKED`] where it cannot (more
/// than four decimals, out of range). An amount is then kept once, as units, not twice.
#[must_use]
#[inline]
pub fn units_and_scale(amount: Decimal) -> (Option<i64>, u8) {
    // `to_units`' fast path, keeping the scale byte `pack` would give.
    let scale = amount.scale();
    if let Some(&factor) = FACTOR.get(scale as usize) {
        let units = i64::try_from(amount.mantissa())
            .ok()
            .and_then(|m| Some((m, m.checked_mul(factor)?)));
        return match units {
            Some((m, units)) => {
                let negative_zero = m == 0 && amount.is_sign_negative();
                (
                    Some(units),
                    scale as u8 | if negative_zero { 0x80 } else { 0 },
                )
            }
            None => (None, NOT_PACKED),
        };
    }
    (to_units(amount), NOT_PACKED)
}

/// The amount `units` ten-thousandths are, written with the scale `scale` gives (a byte from
/// [`units_and_scale`], not [`NOT_PACKED`]).
#[must_use]
pub fn from_units(units: i64, scale: u8) -> Decimal {
    unpack(mantissa_of_units(units, scale), scale)
}

/// The mantissa [`pack`] would give the amount [`from_units`] gives.
#[must_use]
#[inline]
pub fn mantissa_of_units(units: i64, scale: u8) -> i64 {
    // Divisions by constants (a multiplication each), not by a table's entry.
    match scale & 0x7f {
        0 => units / 10_000,
        1 => units / 1_000,
        2 => units / 100,
        3 => units / 10,
        _ => units,
    }
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

/// Whether `book` looks like `bank` mistyped: two neighbouring digits swapped, one digit
/// changed (not the leading one: that is a different amount more often than a slip), a digit
/// added or dropped at the end, or a difference of at most 2 % (FX or rounding drift).
/// Both are in minor units of the same currency and have the same sign.
#[must_use]
pub fn looks_mistyped(bank_minor: i64, book_minor: i64) -> bool {
    mistype(bank_minor, book_minor) == Some(false)
}

/// Like [`looks_mistyped`], but also accepts a changed leading digit, which is as likely a
/// different amount: only for leftovers of the same payee, after every grouping was tried.
#[must_use]
pub fn looks_mistyped_leading(bank_minor: i64, book_minor: i64) -> bool {
    mistype(bank_minor, book_minor).is_some()
}

/// `Some(leading)` when the amounts look like one slip; `leading` when it is the first digit.
fn mistype(bank_minor: i64, book_minor: i64) -> Option<bool> {
    let yes = |leading: bool| Some(leading);
    if bank_minor == book_minor || (bank_minor < 0) != (book_minor < 0) {
        return None;
    }
    let (a, b) = (bank_minor.unsigned_abs(), book_minor.unsigned_abs());
    if a.abs_diff(b) * 50 <= a.max(b) {
        return yes(false);
    }
    let (mut da, mut db) = ([0u8; 20], [0u8; 20]);
    let (da, db) = (digits(a, &mut da), digits(b, &mut db));
    if da.len() == db.len() {
        let mut diffs = [0usize; 3];
        let mut n = 0;
        for i in 0..da.len() {
            if da[i] != db[i] {
                if n == 2 {
                    return None;
                }
                diffs[n] = i;
                n += 1;
            }
        }
        match n {
            1 => yes(diffs[0] == 0),
            2 if diffs[1] == diffs[0] + 1
                && da[diffs[0]] == db[diffs[1]]
                && da[diffs[1]] == db[diffs[0]] =>
            {
                yes(false)
            }
            _ => None,
        }
    } else {
        // A digit added or dropped at the end (a missing or extra zero, 450.00 vs 4500.00).
        let (short, long) = if da.len() < db.len() {
            (da, db)
        } else {
            (db, da)
        };
        (long.len() == short.len() + 1 && long.starts_with(short)).then_some(false)
    }
}

fn digits(mut v: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    &buf[i..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn units_are_exact() {
        assert_eq!(
            to_units(Decimal::from_str("-1204.31").unwrap()),
            Some(-12_043_100)
        );
        assert_eq!(to_units(Decimal::from_str("0.001").unwrap()), Some(10));
        assert_eq!(to_units(Decimal::from_str("12").unwrap()), Some(120_000));
        assert_eq!(
            to_units(Decimal::from_str("1.23456").unwrap()),
            Some(12_346)
        );
        assert_eq!(to_units(Decimal::from_str("-0.5").unwrap()), Some(-5_000));
    }

    #[test]
    fn amounts_pack_exactly() {
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        for d in [
            Decimal::new(-120431, 2),
            Decimal::ZERO,
            negative_zero,
            Decimal::new(i64::MAX, 28),
            Decimal::new(i64::MIN, 0),
            Decimal::new(5, 4),
        ] {
            let (m, s) = pack(d).unwrap();
            let back = unpack(m, s);
            assert_eq!(
                (back.to_string(), back.is_sign_negative()),
                (d.to_string(), d.is_sign_negative())
            );
        }
        assert!(pack(Decimal::MAX).is_none());
    }

    #[test]
    fn units_give_back_what_pack_would() {
        let mut negative_zero = Decimal::new(0, 2);
        negative_zero.set_sign_negative(true);
        for d in [
            Decimal::new(-120431, 2),
            Decimal::new(431, 2),
            Decimal::new(12, 0),
            Decimal::new(-5, 1),
            Decimal::new(7, 3),
            Decimal::new(-12345, 4),
            Decimal::ZERO,
            negative_zero,
            Decimal::new(i64::MAX / 10_000, 0),
            Decimal::new(i64::MIN / 10_000, 0),
        ] {
            let (units, scale) = units_and_scale(d);
            assert_ne!(scale, NOT_PACKED, "{d}");
            let back = from_units(units.unwrap(), scale);
            assert_eq!(
                (back.to_string(), back.is_sign_negative()),
                (d.to_string(), d.is_sign_negative()),
                "{d}"
            );
        }
        // Not kept as units: five decimals, or too large for ten-thousandths in 64 bits.
        for d in [
            Decimal::new(123_456, 5),
            Decimal::new(i64::MAX, 0),
            Decimal::MAX,
        ] {
            assert_eq!(units_and_scale(d).1, NOT_PACKED, "{d}");
        }
    }

    #[test]
    fn typo_shapes() {
        assert!(looks_mistyped(-120_000, -102_000)); // swapped digits
        assert!(looks_mistyped(45_000, 45_900)); // one digit
        assert!(!looks_mistyped(300_000, 100_000)); // the leading digit: a different amount
        assert!(looks_mistyped_leading(300_000, 100_000)); // … unless nothing else explains it
        assert!(looks_mistyped(45_000, 4_500)); // a dropped zero
        assert!(looks_mistyped(100_000, 101_500)); // 1.5 %
        assert!(!looks_mistyped(100_000, 130_000 + 7)); // unrelated
        assert!(!looks_mistyped(100, -100)); // opposite sign
    }
}
