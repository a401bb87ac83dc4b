//! Reading QBO error bodies (quickbooks-api.md §13.2). Three shapes exist: the documented
//! `{"Fault": {"Error": [{"Message", "Detail", "code", "element"}], "type"}}`, the gateway's
//! lower-case `{"fault": {"error": [{"message", "detail", "code"}], "type"}}` on 401, and
//! historically XML `<IntuitResponse><Fault type=".."><Error code=".."><Message>..`. All are
//! read case-insensitively into one [`Fault`].

use serde_json::Value;

/// One `Fault` from QBO.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Fault {
    /// `ValidationFault`, `SystemFault`, `AuthenticationFault`, `AUTHENTICATION`, ...
    pub kind: String,
    pub errors: Vec<FaultError>,
}

/// One item of `Fault.Error`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FaultError {
    /// Leading zeros removed (`"003001"` → `"3001"`).
    pub code: String,
    pub message: String,
    pub detail: String,
    pub element: String,
}

impl Fault {
    #[must_use]
    pub fn first_code(&self) -> Option<&str> {
        self.errors.first().map(|e| e.code.as_str())
    }

    /// Whether any error has this code (e.g. `"5010"`).
    #[must_use]
    pub fn has_code(&self, code: &str) -> bool {
        self.errors.iter().any(|e| e.code == code)
    }

    /// Drops the free-text detail: on authentication faults it can quote the token.
    pub(crate) fn without_detail(mut self) -> Self {
        for e in &mut self.errors {
            e.detail.clear();
        }
        self
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}",
            if self.kind.is_empty() {
                "Fault"
            } else {
                &self.kind
            }
        )?;
        for (i, e) in self.errors.iter().enumerate() {
            write!(
                f,
                "{} {} {}",
                if i == 0 { ":" } else { ";" },
                e.code,
                e.message
            )?;
            if !e.detail.is_empty() {
                write!(f, " ({})", e.detail)?;
            }
        }
        Ok(())
    }
}

fn strip_zeros(code: &str) -> String {
    let t = code.trim().trim_start_matches('0');
    if t.is_empty() && !code.trim().is_empty() {
        "0".to_owned()
    } else {
        t.to_owned()
    }
}

fn get_ci<'a>(obj: &'a serde_json::Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

fn text_of(v: Option<&Value>) -> String {
    match v {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// Finds a Fault in a body of any shape; `None` when the body carries none.
#[must_use]
pub fn parse_fault(body: &str) -> Option<Fault> {
    let trimmed = body.trim_start();
    if trimmed.starts_with('<') {
        return parse_xml_fault(trimmed);
    }
    if !trimmed.starts_with('{') {
        return None;
    }
    // Cheap pre-check: a 1000-row page must not be parsed twice into a Value.
    if !contains_ci(body, "fault") {
        return None;
    }
    #[derive(serde::Deserialize)]
    struct Probe {
        #[serde(rename = "Fault", alias = "fault")]
        fault: Option<Value>,
    }
    let probe: Probe = serde_json::from_str(body).ok()?;
    let Value::Object(fault) = probe.fault? else {
        return None;
    };
    let errors = match get_ci(&fault, "Error") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_object)
            .map(|e| FaultError {
                code: strip_zeros(&text_of(get_ci(e, "code"))),
                message: text_of(get_ci(e, "Message")),
                detail: text_of(get_ci(e, "Detail")),
                element: text_of(get_ci(e, "element")),
            })
            .collect(),
        _ => Vec::new(),
    };
    Some(Fault {
        kind: text_of(get_ci(&fault, "type")),
        errors,
    })
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// A deliberately small reader for the one XML shape Intuit sends on auth failures; a full XML
/// parser is not worth a dependency for it.
fn parse_xml_fault(body: &str) -> Option<Fault> {
    let lower = body.to_ascii_lowercase();
    let start = lower.find("<fault")?;
    let kind = attr(&body[start..], "type").unwrap_or_default();
    let mut errors = Vec::new();
    let mut rest = start;
    while let Some(pos) = lower[rest..].find("<error") {
        let at = rest + pos;
        let end = lower[at..].find("</error>").map_or(body.len(), |e| at + e);
        let chunk = &body[at..end];
        errors.push(FaultError {
            code: strip_zeros(&attr(chunk, "code").unwrap_or_default()),
            message: element(chunk, "message").unwrap_or_default(),
            detail: element(chunk, "detail").unwrap_or_default(),
            element: attr(chunk, "element").unwrap_or_default(),
        });
        rest = end.max(at + 1);
        if rest >= body.len() {
            break;
        }
    }
    Some(Fault { kind, errors })
}

fn attr(tag_start: &str, name: &str) -> Option<String> {
    let tag_end = tag_start.find('>')?;
    let tag = &tag_start[..tag_end];
    let lower = tag.to_ascii_lowercase();
    let key = format!("{name}=\"");
    let at = lower.find(&key)? + key.len();
    let len = tag[at..].find('"')?;
    Some(tag[at..at + len].to_owned())
}

fn element(chunk: &str, name: &str) -> Option<String> {
    let lower = chunk.to_ascii_lowercase();
    let open = lower.find(&format!("<{name}"))?;
    let content_start = open + lower[open..].find('>')? + 1;
    let close = content_start + lower[content_start..].find(&format!("</{name}"))?;
    Some(
        chunk[content_start..close]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&")
            .trim()
            .to_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_shape() {
        let f = parse_fault(r#"{"Fault":{"Error":[{"Message":"Stale Object Error","Detail":"Stale Object Error : You and Jane","code":"5010","element":""}],"type":"ValidationFault"},"time":"2025-03-14T09:17:31.892-07:00"}"#).unwrap();
        assert_eq!(f.kind, "ValidationFault");
        assert_eq!(f.first_code(), Some("5010"));
        assert_eq!(f.errors[0].message, "Stale Object Error");
    }

    #[test]
    fn the_gateway_lower_case_shape() {
        let f = parse_fault(r#"{"fault":{"error":[{"message":"message=AuthenticationFailed; errorCode=003200; statusCode=401","detail":"Token expired: xyz","code":"3200"}],"type":"AUTHENTICATION"},"warnings":null,"intuitObject":null}"#).unwrap();
        assert_eq!(f.kind, "AUTHENTICATION");
        assert_eq!(f.first_code(), Some("3200"));
        assert_eq!(f.without_detail().errors[0].detail, "");
    }

    #[test]
    fn the_xml_shape() {
        let f = parse_fault(r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="2016-01-01T00:00:00.000-08:00"><Fault type="AUTHENTICATION"><Error code="003200"><Message>message=AuthenticationFailed; errorCode=003200; statusCode=401</Message><Detail>x</Detail></Error></Fault></IntuitResponse>"#).unwrap();
        assert_eq!(f.kind, "AUTHENTICATION");
        assert_eq!(f.first_code(), Some("3200"));
        assert!(
            f.errors[0]
                .message
                .starts_with("message=AuthenticationFailed")
        );
    }

    #[test]
    fn bodies_without_fault() {
        assert!(parse_fault(r#"{"QueryResponse":{},"time":"x"}"#).is_none());
        assert!(parse_fault("<html>Bad gateway</html>").is_none());
        assert!(parse_fault("").is_none());
    }
}
