//! The exception lifecycle across runs, decided without IO: which breaks are new, which come
//! back, which are still there and which disappeared.
//!
//! A break's identity is its key (currency, kind and the sorted ids it names), so the same
//! break found by the next run is the same exception, with its owner, next action, due date,
//! comments and status kept.

use crate::exception_status::ExceptionStatus;
use std::collections::{HashMap, HashSet};

/// The stable identity of a break (or of a match): `EUR|unbooked_fee|TRANSFER-7|BillPayment:240`.
pub fn key<'a>(
    currency: &str,
    kind: &str,
    bank: impl IntoIterator<Item = &'a str>,
    books: impl IntoIterator<Item = &'a str>,
) -> String {
    let mut bank: Vec<&str> = bank.into_iter().collect();
    let mut books: Vec<&str> = books.into_iter().collect();
    bank.sort_unstable();
    books.sort_unstable();
    format!("{currency}|{kind}|{}|{}", bank.join(","), books.join(","))
}

/// What one run does to the stored exceptions.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Plan {
    /// Indexes into `found` of breaks never seen before.
    pub new: Vec<usize>,
    /// Keys of resolved exceptions whose break is back.
    pub reopen: Vec<String>,
    /// Keys of exceptions still found (details refreshed, status kept).
    pub still: Vec<String>,
    /// Keys of active exceptions whose break is gone: resolved automatically.
    pub auto_resolve: Vec<String>,
}

/// Decides the lifecycle step of every exception: `known` is what is stored (key, status),
/// `found` the keys this run reports. A dismissed exception stays dismissed when found again
/// (a person decided it is not a problem); a resolved one reopens.
pub fn plan(known: &[(String, ExceptionStatus)], found: &[String]) -> Plan {
    let stored: HashMap<&str, ExceptionStatus> =
        known.iter().map(|(k, s)| (k.as_str(), *s)).collect();
    let found_set: HashSet<&str> = found.iter().map(String::as_str).collect();
    let mut plan = Plan::default();
    let mut seen = HashSet::new();
    for (i, k) in found.iter().enumerate() {
        if !seen.insert(k.as_str()) {
            continue;
        }
        match stored.get(k.as_str()) {
            None => plan.new.push(i),
            Some(ExceptionStatus::Resolved) => plan.reopen.push(k.clone()),
            Some(_) => plan.still.push(k.clone()),
        }
    }
    for (k, s) in known {
        if s.is_active() && !found_set.contains(k.as_str()) {
            plan.auto_resolve.push(k.clone());
        }
    }
    plan
}

/// True when this run's new exceptions exceed `percent` of its bank lines: the playbook's
/// signal to pause broad sync and switch to supervised batches.
pub fn is_spike(new_exceptions: usize, bank_lines: usize, percent: u32) -> bool {
    bank_lines > 0 && new_exceptions * 100 > bank_lines * percent as usize
}

#[cfg(test)]
mod tests {
    use super::*;
    use ExceptionStatus::*;

    fn k(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn keys_ignore_id_order() {
        assert_eq!(
            key(
                "EUR",
                "duplicate_posting",
                ["T-1"],
                ["Purchase:9", "Purchase:2"]
            ),
            key(
                "EUR",
                "duplicate_posting",
                ["T-1"],
                ["Purchase:2", "Purchase:9"]
            )
        );
        assert_ne!(
            key("EUR", "unbooked_fee", ["T-1"], []),
            key("GBP", "unbooked_fee", ["T-1"], [])
        );
    }

    #[test]
    fn new_still_reopen_and_auto_resolve() {
        let known = vec![
            (k("a"), Open),
            (k("b"), InProgress),
            (k("c"), Resolved),
            (k("d"), Dismissed),
            (k("e"), WaitingOnVendor),
            (k("f"), Resolved),
        ];
        let found = vec![k("a"), k("c"), k("d"), k("x"), k("x")];
        let p = plan(&known, &found);
        assert_eq!(p.new, vec![3]);
        assert_eq!(p.reopen, vec![k("c")]);
        assert_eq!(p.still, vec![k("a"), k("d")]);
        assert_eq!(p.auto_resolve, vec![k("b"), k("e")]);
    }

    #[test]
    fn spike_is_a_share_of_lines() {
        assert!(!is_spike(10, 100, 10));
        assert!(is_spike(11, 100, 10));
        assert!(!is_spike(5, 0, 10));
    }
}
