//! Writing CSV for exports (RFC 4180: comma-separated, CRLF line ends, fields quoted when
//! they hold a comma, quote or line break).
//!
//! Text typed by people (next actions, comments, names) is also defused against spreadsheet
//! formula injection: a cell starting with `=`, `+`, `-`, `@`, tab or CR would be run as a
//! formula by Excel or LibreOffice, so it gets a leading apostrophe. Numbers are written as is.

/// Quotes a field when CSV needs it.
pub fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// A free-text field: defused against formulas, then quoted when needed.
pub fn text(s: &str) -> String {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        field(&format!("'{s}"))
    } else {
        field(s)
    }
}

/// Appends one record (already escaped fields) with a CRLF.
pub fn push_record(out: &mut String, fields: &[String]) {
    out.push_str(&fields.join(","));
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_when_needed() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field("-12.50"), "-12.50");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
        assert_eq!(field(""), "");
    }

    #[test]
    fn defuses_formulas_in_text() {
        assert_eq!(text("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(text("+1"), "'+1");
        assert_eq!(text("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(text("Call Wise support"), "Call Wise support");
    }

    #[test]
    fn records_end_with_crlf() {
        let mut out = String::new();
        push_record(&mut out, &[field("a"), text("b,c")]);
        push_record(&mut out, &[field("1"), field("2")]);
        assert_eq!(out, "a,\"b,c\"\r\n1,2\r\n");
    }
}
