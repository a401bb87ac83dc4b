//! Lenient timestamp parsing: Wise uses at least three formats across endpoints (reference §4.2).

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::{Deserialize, Deserializer, de::Error as _};

/// Parses RFC 3339 (`2023-10-12T08:42:56.560964Z`, `…+00:00`, `…+0000`), the space-separated
/// transfer form (`2017-11-24 10:47:49`) and the zone-less profile form (`2023-01-15T10:30:00`).
/// Zone-less values are taken as UTC (UNCONFIRMED in Wise's docs).
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt.with_timezone(&Utc));
    }
    // Spring-style offsets without a colon: 2020-01-03T12:34:56.789+0000
    if let Ok(dt) = DateTime::parse_from_str(t, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(dt.with_timezone(&Utc));
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(t, fmt) {
            return Some(n.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|n| n.and_utc());
    }
    None
}

/// Serde adapter for an optional lenient timestamp; unparseable text becomes an error.
pub fn lenient_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    let s: Option<String> = Option::deserialize(d)?;
    match s {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => parse(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("unrecognised timestamp {s:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_wise_format() {
        for s in [
            "2023-10-12T08:42:56.560964Z",
            "2022-08-14T21:03:14.498046111Z",
            "2017-11-24 10:47:49",
            "2023-01-15T10:30:00",
            "2023-08-10T10:17:23.000+00:00",
            "2020-01-03T12:34:56.789+0000",
        ] {
            assert!(parse(s).is_some(), "{s}");
        }
        assert!(parse("yesterday").is_none());
    }
}
