//! The exception queue's filter, sort and page: as the browser sends them (plain strings in
//! GET parameters, so a filtered view is a link), and as validated for the query.

use crate::aging::AgeBucket;
use crate::exception_kind::ExceptionKind;
use crate::exception_status::ExceptionStatus;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Rows per page of the queue.
pub const PAGE_SIZE: u32 = 50;

/// The filter exactly as typed: every field a string, empty meaning "not set". Field names
/// are the GET parameter names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub kind: String,
    /// Empty (anyone), `unassigned`, or a user id.
    pub owner: String,
    /// Empty or `active` (the default), `all`, or one status.
    pub status: String,
    pub currency: String,
    pub age: String,
    /// Smallest |difference|, e.g. `10` or `10.50`.
    pub min: String,
    pub max: String,
    /// `age` (oldest first, the default), `amount` (largest first) or `due` (soonest first).
    pub sort: String,
    pub page: String,
}

impl QueueQuery {
    /// The GET parameter names, in link order.
    pub const KEYS: [&'static str; 9] = [
        "kind", "owner", "status", "currency", "age", "min", "max", "sort", "page",
    ];

    /// Reads GET parameters; unknown names are ignored.
    pub fn from_pairs<K: AsRef<str>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> QueueQuery {
        let mut q = QueueQuery::default();
        for (k, v) in pairs {
            let slot = match k.as_ref() {
                "kind" => &mut q.kind,
                "owner" => &mut q.owner,
                "status" => &mut q.status,
                "currency" => &mut q.currency,
                "age" => &mut q.age,
                "min" => &mut q.min,
                "max" => &mut q.max,
                "sort" => &mut q.sort,
                "page" => &mut q.page,
                _ => continue,
            };
            *slot = v.into();
        }
        q
    }

    fn pairs(&self) -> [(&'static str, &str); 9] {
        let values = [
            &self.kind,
            &self.owner,
            &self.status,
            &self.currency,
            &self.age,
            &self.min,
            &self.max,
            &self.sort,
            &self.page,
        ];
        std::array::from_fn(|i| (Self::KEYS[i], values[i].as_str()))
    }

    /// `kind=unbooked_fee&owner=unassigned`: the set fields, percent-encoded, for links.
    pub fn to_query_string(&self) -> String {
        self.pairs()
            .into_iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| format!("{k}={}", percent_encode(v.trim())))
            .collect::<Vec<_>>()
            .join("&")
    }

    /// The same filter on another page.
    pub fn with_page(&self, page: u32) -> QueueQuery {
        QueueQuery {
            page: if page <= 1 {
                String::new()
            } else {
                page.to_string()
            },
            ..self.clone()
        }
    }

    /// Validates every field; the message names the field and is fit to show.
    pub fn parse(&self) -> Result<QueueFilter, String> {
        let t = |s: &String| s.trim().to_owned();
        let kind = match t(&self.kind).as_str() {
            "" => None,
            k => Some(k.parse::<ExceptionKind>()?),
        };
        let owner = match t(&self.owner).as_str() {
            "" | "anyone" => OwnerFilter::Anyone,
            "unassigned" => OwnerFilter::Unassigned,
            id => OwnerFilter::Person(
                id.parse()
                    .map_err(|_| format!("owner: {id:?} is not a person"))?,
            ),
        };
        let status = match t(&self.status).as_str() {
            "" | "active" => StatusFilter::Active,
            "all" => StatusFilter::All,
            s => StatusFilter::Only(s.parse()?),
        };
        let currency = match t(&self.currency).to_ascii_uppercase().as_str() {
            "" => None,
            c if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => Some(c.to_owned()),
            c => return Err(format!("currency: {c:?} is not a three-letter code")),
        };
        let age = match t(&self.age).as_str() {
            "" => None,
            a => Some(a.parse::<AgeBucket>()?),
        };
        let min = amount("minimum amount", &self.min)?;
        let max = amount("maximum amount", &self.max)?;
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err("the minimum amount is above the maximum".into());
        }
        let sort = match t(&self.sort).as_str() {
            "" | "age" => QueueSort::Age,
            "amount" => QueueSort::Amount,
            "due" => QueueSort::Due,
            s => return Err(format!("sort: {s:?} is not age, amount or due")),
        };
        let page = match t(&self.page).as_str() {
            "" => 1,
            p => p
                .parse::<u32>()
                .ok()
                .filter(|p| (1..=1_000_000).contains(p))
                .ok_or_else(|| format!("page: {p:?} is not a page number"))?,
        };
        Ok(QueueFilter {
            kind,
            owner,
            status,
            currency,
            age,
            min_minor: min.map(to_minor),
            max_minor: max.map(to_minor),
            sort,
            page,
        })
    }
}

fn amount(field: &str, text: &str) -> Result<Option<Decimal>, String> {
    match text.trim() {
        "" => Ok(None),
        t => {
            let d: Decimal = t
                .parse()
                .map_err(|_| format!("{field}: {t:?} is not an amount"))?;
            if d.is_sign_negative() {
                return Err(format!(
                    "{field}: amounts are compared by size; give it without a sign"
                ));
            }
            Ok(Some(d))
        }
    }
}

/// Hundredths, as `exceptions.size_minor` stores |difference|.
fn to_minor(d: Decimal) -> i64 {
    (d.round_dp(2) * Decimal::ONE_HUNDRED)
        .to_i64()
        .unwrap_or(i64::MAX)
}

/// Whose exceptions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OwnerFilter {
    Anyone,
    Unassigned,
    Person(i64),
}

/// Which statuses; by default the ones that still need work.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum StatusFilter {
    Active,
    All,
    Only(ExceptionStatus),
}

impl StatusFilter {
    /// The statuses this filter lets through.
    pub fn statuses(self) -> Vec<ExceptionStatus> {
        match self {
            StatusFilter::Active => ExceptionStatus::ALL
                .into_iter()
                .filter(|s| s.is_active())
                .collect(),
            StatusFilter::All => ExceptionStatus::ALL.to_vec(),
            StatusFilter::Only(s) => vec![s],
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum QueueSort {
    /// Oldest break first.
    Age,
    /// Largest difference first.
    Amount,
    /// Soonest due first; no due date last.
    Due,
}

impl QueueSort {
    pub const ALL: [QueueSort; 3] = [QueueSort::Age, QueueSort::Amount, QueueSort::Due];

    pub fn as_str(self) -> &'static str {
        match self {
            QueueSort::Age => "age",
            QueueSort::Amount => "amount",
            QueueSort::Due => "due",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QueueSort::Age => "Oldest first",
            QueueSort::Amount => "Largest amount first",
            QueueSort::Due => "Due soonest first",
        }
    }
}

/// A validated filter.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueFilter {
    pub kind: Option<ExceptionKind>,
    pub owner: OwnerFilter,
    pub status: StatusFilter,
    pub currency: Option<String>,
    pub age: Option<AgeBucket>,
    /// Bounds on |difference| in hundredths, inclusive.
    pub min_minor: Option<i64>,
    pub max_minor: Option<i64>,
    pub sort: QueueSort,
    /// 1-based.
    pub page: u32,
}

impl Default for QueueFilter {
    fn default() -> Self {
        QueueFilter {
            kind: None,
            owner: OwnerFilter::Anyone,
            status: StatusFilter::Active,
            currency: None,
            age: None,
            min_minor: None,
            max_minor: None,
            sort: QueueSort::Age,
            page: 1,
        }
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> QueueQuery {
        QueueQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.to_string())))
    }

    #[test]
    fn empty_means_active_oldest_first_page_one() {
        assert_eq!(QueueQuery::default().parse(), Ok(QueueFilter::default()));
    }

    #[test]
    fn every_field_parses() {
        let f = q(&[
            ("kind", "unbooked_fee"),
            ("owner", "unassigned"),
            ("status", "waiting_on_vendor"),
            ("currency", "eur"),
            ("age", "31-60"),
            ("min", "10"),
            ("max", "250.505"),
            ("sort", "amount"),
            ("page", "3"),
            ("utm_source", "ignored"),
        ])
        .parse()
        .unwrap();
        assert_eq!(f.kind, Some(ExceptionKind::UnbookedFee));
        assert_eq!(f.owner, OwnerFilter::Unassigned);
        assert_eq!(
            f.status,
            StatusFilter::Only(ExceptionStatus::WaitingOnVendor)
        );
        assert_eq!(f.currency.as_deref(), Some("EUR"));
        assert_eq!(f.age, Some(AgeBucket::TwoMonths));
        assert_eq!((f.min_minor, f.max_minor), (Some(1000), Some(25050)));
        assert_eq!((f.sort, f.page), (QueueSort::Amount, 3));
        assert_eq!(
            q(&[("owner", "42")]).parse().unwrap().owner,
            OwnerFilter::Person(42)
        );
        assert_eq!(
            q(&[("status", "all")])
                .parse()
                .unwrap()
                .status
                .statuses()
                .len(),
            5
        );
        assert_eq!(StatusFilter::Active.statuses().len(), 3);
    }

    #[test]
    fn nonsense_is_refused_with_the_field_named() {
        for (field, value, says) in [
            ("kind", "lost", "unknown exception kind"),
            ("owner", "bob", "owner"),
            ("status", "closed", "unknown exception status"),
            ("currency", "EURO", "currency"),
            ("age", "old", "unknown age bucket"),
            ("min", "ten", "minimum amount"),
            ("max", "-5", "without a sign"),
            ("sort", "random", "sort"),
            ("page", "0", "page"),
        ] {
            let err = q(&[(field, value)]).parse().unwrap_err();
            assert!(err.contains(says), "{field}={value}: {err}");
        }
        assert!(
            q(&[("min", "20"), ("max", "10")])
                .parse()
                .unwrap_err()
                .contains("above")
        );
    }

    #[test]
    fn a_link_reads_back_as_the_same_filter() {
        let query = q(&[
            ("kind", "duplicate_posting"),
            ("owner", "7"),
            ("status", "all"),
            ("currency", "GBP"),
            ("age", "90+"),
            ("min", "0.5"),
            ("max", "99"),
            ("sort", "due"),
            ("page", "4"),
        ]);
        let text = query.to_query_string();
        assert_eq!(text.split('&').count(), QueueQuery::KEYS.len());
        let back = QueueQuery::from_pairs(text.split('&').map(|pair| {
            let (k, v) = pair.split_once('=').unwrap();
            (k, v.replace("%2B", "+"))
        }));
        assert_eq!(back, query);
    }

    #[test]
    fn links_carry_only_what_is_set() {
        let query = q(&[
            ("kind", "unbooked_fee"),
            ("currency", "EUR"),
            ("min", "1 000&x"),
        ]);
        assert_eq!(
            query.to_query_string(),
            "kind=unbooked_fee&currency=EUR&min=1%20000%26x"
        );
        assert_eq!(query.with_page(2).page, "2");
        assert_eq!(query.with_page(1).page, "");
        assert_eq!(QueueQuery::default().to_query_string(), "");
    }
}
