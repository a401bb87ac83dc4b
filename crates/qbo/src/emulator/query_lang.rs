//! The emulator's query language: the subset of §4.1 the real service accepts.
//! `SELECT * | count(*) FROM <Entity> [WHERE p op v [AND …]] [ORDERBY p [ASC|DESC]]
//! [STARTPOSITION n] [MAXRESULTS n]`, operators `= < > <= >= IN LIKE`, no `OR`; keywords,
//! names and values case-insensitive; `\'` escapes a quote.

use std::cmp::Ordering;
use std::str::FromStr;

use chrono::DateTime;
use rust_decimal::Decimal;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Eq,
    Ne,
    Lt,
    Gt,
    Le,
    Ge,
    In,
    Like,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub field: String,
    pub op: Op,
    pub values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Statement {
    pub count: bool,
    pub entity: String,
    pub conditions: Vec<Condition>,
    pub order_by: Option<(String, bool)>,
    /// 1-based.
    pub start: usize,
    pub max: usize,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Str(String),
    Sym(String),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    let mut out = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' {
            let mut v = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return Err("unterminated string literal".into()),
                    Some('\\') if chars.get(i + 1) == Some(&'\'') => {
                        v.push('\'');
                        i += 2;
                    }
                    Some('\'') => {
                        i += 1;
                        break;
                    }
                    Some(ch) => {
                        v.push(*ch);
                        i += 1;
                    }
                }
            }
            out.push(Tok::Str(v));
        } else if "<>=!".contains(c) {
            let mut sym = c.to_string();
            if chars.get(i + 1) == Some(&'=') || (c == '<' && chars.get(i + 1) == Some(&'>')) {
                sym.push(chars[i + 1]);
                i += 1;
            }
            i += 1;
            out.push(Tok::Sym(sym));
        } else if "(),*".contains(c) {
            out.push(Tok::Sym(c.to_string()));
            i += 1;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() && !"(),<>=!'".contains(chars[i]) {
                i += 1;
            }
            out.push(Tok::Word(chars[start..i].iter().collect()));
        }
    }
    Ok(out)
}

fn kw(t: Option<&Tok>, k: &str) -> bool {
    matches!(t, Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k))
}

/// Parses a statement; `Err` is the QueryParserError message.
pub(crate) fn parse(s: &str) -> Result<Statement, String> {
    let toks = tokenize(s)?;
    let mut i = 0;
    let next = |i: &mut usize| -> Option<Tok> {
        let t = toks.get(*i).cloned();
        *i += 1;
        t
    };
    if !kw(toks.first(), "select") {
        return Err("expected SELECT".into());
    }
    i += 1;
    let count = match next(&mut i) {
        Some(Tok::Sym(s)) if s == "*" => false,
        Some(Tok::Word(w)) if w.eq_ignore_ascii_case("count") => {
            for want in ["(", "*", ")"] {
                match next(&mut i) {
                    Some(Tok::Sym(s)) if s == want => {}
                    _ => return Err("expected count(*)".into()),
                }
            }
            true
        }
        _ => return Err("only SELECT * or count(*) is supported".into()),
    };
    if !kw(toks.get(i), "from") {
        return Err("expected FROM".into());
    }
    i += 1;
    let Some(Tok::Word(entity)) = next(&mut i) else {
        return Err("expected an entity".into());
    };
    let mut st = Statement {
        count,
        entity,
        conditions: Vec::new(),
        order_by: None,
        start: 1,
        max: 100,
    };
    if kw(toks.get(i), "where") {
        i += 1;
        loop {
            let Some(Tok::Word(field)) = next(&mut i) else {
                return Err("expected a property".into());
            };
            let op = match next(&mut i) {
                Some(Tok::Sym(s)) => match s.as_str() {
                    "=" => Op::Eq,
                    "!=" | "<>" => Op::Ne,
                    "<" => Op::Lt,
                    ">" => Op::Gt,
                    "<=" => Op::Le,
                    ">=" => Op::Ge,
                    _ => return Err(format!("unknown operator {s}")),
                },
                Some(Tok::Word(w)) if w.eq_ignore_ascii_case("in") => Op::In,
                Some(Tok::Word(w)) if w.eq_ignore_ascii_case("like") => Op::Like,
                _ => return Err("expected an operator".into()),
            };
            let mut values = Vec::new();
            if op == Op::In {
                if !matches!(next(&mut i), Some(Tok::Sym(s)) if s == "(") {
                    return Err("expected ( after IN".into());
                }
                loop {
                    match next(&mut i) {
                        Some(Tok::Str(v) | Tok::Word(v)) => values.push(v),
                        _ => return Err("expected a value in IN (…)".into()),
                    }
                    match next(&mut i) {
                        Some(Tok::Sym(s)) if s == "," => {}
                        Some(Tok::Sym(s)) if s == ")" => break,
                        _ => return Err("expected , or )".into()),
                    }
                }
            } else {
                match next(&mut i) {
                    Some(Tok::Str(v) | Tok::Word(v)) => values.push(v),
                    _ => return Err("expected a value".into()),
                }
            }
            st.conditions.push(Condition { field, op, values });
            if kw(toks.get(i), "and") {
                i += 1;
            } else if kw(toks.get(i), "or") {
                return Err("OR is not supported".into());
            } else {
                break;
            }
        }
    }
    if kw(toks.get(i), "orderby") {
        i += 1;
        let Some(Tok::Word(field)) = next(&mut i) else {
            return Err("expected a property after ORDERBY".into());
        };
        let mut asc = true;
        if kw(toks.get(i), "desc") {
            asc = false;
            i += 1;
        } else if kw(toks.get(i), "asc") {
            i += 1;
        }
        st.order_by = Some((field, asc));
    }
    if kw(toks.get(i), "startposition") {
        i += 1;
        st.start = number(next(&mut i))?.max(1);
    }
    if kw(toks.get(i), "maxresults") {
        i += 1;
        // Clamped, as the real service does.
        st.max = number(next(&mut i))?.min(1000);
    }
    if i < toks.len() {
        return Err(format!("unexpected {:?}", toks[i]));
    }
    Ok(st)
}

fn number(t: Option<Tok>) -> Result<usize, String> {
    match t {
        Some(Tok::Word(w) | Tok::Str(w)) => w.parse().map_err(|_| format!("{w} is not a number")),
        _ => Err("expected a number".into()),
    }
}

/// A property by dotted path, case-insensitive.
pub(crate) fn get_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for part in path.split('.') {
        let obj = cur.as_object()?;
        cur = obj
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(part))
            .map(|(_, v)| v)?;
    }
    Some(cur)
}

fn as_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // A Ref compares by its value.
        Value::Object(o) => o.get("value").and_then(as_text),
        _ => None,
    }
}

/// Compares a stored value with a literal: numbers numerically, date-times as instants,
/// everything else case-insensitively.
pub(crate) fn compare(stored: &str, literal: &str) -> Ordering {
    if let (Ok(a), Ok(b)) = (Decimal::from_str(stored), Decimal::from_str(literal)) {
        return a.cmp(&b);
    }
    if stored.contains('T')
        && literal.contains('T')
        && let (Ok(a), Ok(b)) = (
            DateTime::parse_from_rfc3339(stored),
            DateTime::parse_from_rfc3339(literal),
        )
    {
        return a.cmp(&b);
    }
    stored.to_lowercase().cmp(&literal.to_lowercase())
}

fn like(stored: &str, pattern: &str) -> bool {
    let s = stored.to_lowercase();
    let p = pattern.to_lowercase();
    let parts: Vec<&str> = p.split('%').collect();
    if parts.len() == 1 {
        return s == p;
    }
    let mut pos = 0;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            if !s.starts_with(part) {
                return false;
            }
            pos = part.len();
        } else if i == parts.len() - 1 {
            return s[pos..].ends_with(part);
        } else if let Some(found) = s[pos..].find(part) {
            pos += found + part.len();
        } else {
            return false;
        }
    }
    true
}

impl Condition {
    pub(crate) fn matches(&self, row: &Value) -> bool {
        let Some(stored) = get_path(row, &self.field).and_then(as_text) else {
            return false;
        };
        let first = self.values.first().map_or("", String::as_str);
        match self.op {
            Op::Eq => compare(&stored, first) == Ordering::Equal,
            Op::Ne => compare(&stored, first) != Ordering::Equal,
            Op::Lt => compare(&stored, first) == Ordering::Less,
            Op::Gt => compare(&stored, first) == Ordering::Greater,
            Op::Le => compare(&stored, first) != Ordering::Greater,
            Op::Ge => compare(&stored, first) != Ordering::Less,
            Op::In => self
                .values
                .iter()
                .any(|v| compare(&stored, v) == Ordering::Equal),
            Op::Like => like(&stored, first),
        }
    }
}

/// Orders two rows by a property (missing values first).
pub(crate) fn order(a: &Value, b: &Value, field: &str) -> Ordering {
    match (
        get_path(a, field).and_then(as_text),
        get_path(b, field).and_then(as_text),
    ) {
        (Some(x), Some(y)) => compare(&x, &y),
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_grammar() {
        let st = parse(r"select * from Vendor where DisplayName = 'Bob\'s' AND Active IN (true, false) ORDERBY Id DESC STARTPOSITION 11 MAXRESULTS 5000").unwrap();
        assert_eq!(st.entity, "Vendor");
        assert_eq!(st.conditions[0].values, ["Bob's"]);
        assert_eq!(st.conditions[1].values, ["true", "false"]);
        assert_eq!(st.order_by, Some(("Id".into(), false)));
        assert_eq!((st.start, st.max), (11, 1000));
        assert!(parse("SELECT count(*) FROM Invoice").unwrap().count);
        assert!(parse("SELECT * FROM Invoice WHERE A = '1' OR B = '2'").is_err());
        assert!(parse("SELECT Name FROM Account").is_err());
    }

    #[test]
    fn comparisons() {
        let row = serde_json::json!({"Id": "12", "TotalAmt": 1000.5, "Name": "Wise - EUR",
            "MetaData": {"LastUpdatedTime": "2025-03-01T10:00:00-08:00"}, "AccountRef": {"value": "35"}});
        let c = |s: &str| {
            parse(&format!("SELECT * FROM X WHERE {s}"))
                .unwrap()
                .conditions
                .remove(0)
        };
        assert!(c("Id = '12'").matches(&row));
        assert!(c("Id IN ('1', '12')").matches(&row));
        assert!(c("TotalAmt > '999.99'").matches(&row));
        assert!(c("name LIKE 'wise%'").matches(&row));
        assert!(c("MetaData.LastUpdatedTime >= '2025-03-01T18:00:00Z'").matches(&row));
        assert!(!c("MetaData.LastUpdatedTime > '2025-03-01T18:00:00Z'").matches(&row));
        assert!(c("AccountRef = '35'").matches(&row));
    }
}
