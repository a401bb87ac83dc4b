//! Exact decimals from JSON numbers.
//!
//! Wise sends money as JSON numbers with arbitrary precision (`"rate": 90.80050000`). Going through
//! `f64` would drift, so the number's source text is read as a [`serde_json::value::RawValue`] and
//! parsed straight into a [`Decimal`]. We use `raw_value` rather than serde_json's
//! `arbitrary_precision` because the latter is a workspace-wide switch that changes
//! `serde_json::Value` for every other crate in the build.

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, de::Error as _};
use serde_json::value::RawValue;
use std::str::FromStr;

/// Parses decimal text as it appears in JSON (`-1.5`, `1e3`, `0.1`). Also accepts a quoted
/// string, since some Wise endpoints send numbers as strings.
pub fn parse_decimal_text(text: &str) -> Option<Decimal> {
    let t = text.trim();
    let t = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t)
        .trim();
    if t.is_empty() {
        return None;
    }
    if t.contains(['e', 'E']) {
        Decimal::from_scientific(t).ok()
    } else {
        Decimal::from_str(t).ok()
    }
}

/// `#[serde(deserialize_with = "json_decimal::exact")]` for a required number.
pub fn exact<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    let raw: &RawValue = <&RawValue>::deserialize(d)?;
    parse_decimal_text(raw.get())
        .ok_or_else(|| D::Error::custom(format!("not an exact decimal number: {}", raw.get())))
}

/// `#[serde(default, deserialize_with = "json_decimal::exact_opt")]` for an optional number
/// (`null` or absent gives `None`).
pub fn exact_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Decimal>, D::Error> {
    let raw: &RawValue = <&RawValue>::deserialize(d)?;
    if raw.get().trim() == "null" {
        return Ok(None);
    }
    parse_decimal_text(raw.get())
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("not an exact decimal number: {}", raw.get())))
}

/// Serializes a decimal as a JSON number (not a string), the way Wise sends it.
pub fn serialize_number<S: serde::Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    use serde::Serialize;
    let raw = RawValue::from_string(v.to_string()).map_err(serde::ser::Error::custom)?;
    raw.serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct N {
        #[serde(deserialize_with = "exact")]
        v: Decimal,
    }

    #[test]
    fn point_one_plus_point_two_is_exact() {
        let a: N = serde_json::from_str(r#"{"v": 0.1}"#).unwrap();
        let b: N = serde_json::from_str(r#"{"v": 0.2}"#).unwrap();
        assert_eq!(a.v + b.v, Decimal::from_str("0.3").unwrap());
        let c: N = serde_json::from_str(r#"{"v": 90.80050000}"#).unwrap();
        assert_eq!(c.v.to_string(), "90.80050000");
        let big: N = serde_json::from_str(r#"{"v": 12345678901234567.01}"#).unwrap();
        assert_eq!(big.v.to_string(), "12345678901234567.01");
    }

    #[test]
    fn exponents_and_strings() {
        assert_eq!(parse_decimal_text("1e3"), Some(Decimal::from(1000)));
        assert_eq!(
            parse_decimal_text("\"-7.76\""),
            Decimal::from_str("-7.76").ok()
        );
        assert_eq!(parse_decimal_text("true"), None);
    }
}
