//! Reasons written as text (groups, duplicates, leftovers: about one decision in ten), put
//! together piece by piece instead of through `format!`: amounts, numbers and dates are written
//! the way their `Display` writes them, without the formatting machinery, which cost several
//! thousand instructions per sentence.

use std::fmt::Write as _;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;

use crate::explain::write_decimal;

/// A sentence being written.
pub struct Sentence(String);

impl Sentence {
    pub fn new() -> Self {
        Self(String::with_capacity(160))
    }

    /// Text as is.
    pub fn s(&mut self, text: &str) -> &mut Self {
        self.0.push_str(text);
        self
    }

    /// An amount, as `Decimal`'s `Display` writes it.
    pub fn amount(&mut self, d: Decimal) -> &mut Self {
        let _ = write_decimal(&mut self.0, d);
        self
    }

    /// An integer, as `Display` writes it.
    pub fn int(&mut self, n: i64) -> &mut Self {
        if n < 0 {
            self.0.push('-');
        }
        let mut buf = [0u8; 20];
        let mut i = buf.len();
        let mut v = n.unsigned_abs();
        loop {
            i -= 1;
            buf[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        for &b in &buf[i..] {
            self.0.push(char::from(b));
        }
        self
    }

    /// A date, as `NaiveDate`'s `Display` writes it (`2024-03-10`).
    pub fn date(&mut self, d: NaiveDate) -> &mut Self {
        let year = d.year();
        if (0..=9999).contains(&year) {
            let digits = |n: u32, width: usize, out: &mut String| {
                let mut buf = [b'0'; 4];
                let mut v = n;
                for slot in buf[..width].iter_mut().rev() {
                    *slot = b'0' + (v % 10) as u8;
                    v /= 10;
                }
                for &b in &buf[..width] {
                    out.push(char::from(b));
                }
            };
            digits(year as u32, 4, &mut self.0);
            self.0.push('-');
            digits(d.month(), 2, &mut self.0);
            self.0.push('-');
            digits(d.day(), 2, &mut self.0);
        } else {
            let _ = write!(self.0, "{d}");
        }
        self
    }

    /// Items separated by ", ".
    pub fn list<'a>(&mut self, items: impl IntoIterator<Item = &'a str>) -> &mut Self {
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                self.0.push_str(", ");
            }
            self.0.push_str(item);
        }
        self
    }

    pub fn text(&mut self) -> &mut String {
        &mut self.0
    }

    pub fn done(&mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn pieces_are_written_as_display_writes_them() {
        for n in [0i64, 7, -7, 10, 45, -120, 1_000_000, i64::MIN, i64::MAX] {
            assert_eq!(Sentence::new().int(n).done(), n.to_string());
        }
        for d in [
            NaiveDate::from_ymd_opt(2024, 3, 10).unwrap(),
            NaiveDate::from_ymd_opt(5, 1, 2).unwrap(),
            NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
            NaiveDate::from_ymd_opt(-3, 6, 1).unwrap(),
            NaiveDate::from_ymd_opt(12345, 6, 1).unwrap(),
        ] {
            assert_eq!(Sentence::new().date(d).done(), d.to_string());
        }
        let amount = Decimal::from_str("-1204.31").unwrap();
        let text = Sentence::new()
            .s("no posting of ")
            .amount(amount)
            .s(" in ")
            .list(["a", "b", "c"])
            .done();
        assert_eq!(text, "no posting of -1204.31 in a, b, c");
    }
}
