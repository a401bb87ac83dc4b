//! Posting lag per connection path: how long after the bank movement the posting appeared in
//! QBO (`MetaData.CreateTime`), and whether that path behaves as near real time or as batch.

use serde::{Deserialize, Serialize};

/// Which documented path most likely created a posting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LagPath {
    /// Bank feed "Add"/"Match" in QuickBooks: Purchases, Deposits, Transfers…
    BankFeed,
    /// Wise's bill-payment app posts bill payments.
    WiseApp,
}

impl LagPath {
    /// The path of a posting by its QBO entity name (a heuristic: bill payments come from the
    /// Wise app, everything else from the bank feed or by hand).
    pub fn of_entity(entity: &str) -> LagPath {
        if entity == "BillPayment" {
            LagPath::WiseApp
        } else {
            LagPath::BankFeed
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LagPath::BankFeed => "bank_feed",
            LagPath::WiseApp => "wise_app",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LagPath::BankFeed => "Bank feed",
            LagPath::WiseApp => "Wise bill-payment app",
        }
    }
}

/// The classification rule, stated where it is shown.
pub const NEAR_REAL_TIME_P95_SECS: i64 = 3600;
pub const RULE: &str = "near real time when 95 % of postings appear within 1 hour of the bank \
    movement; batch otherwise";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    NearRealTime,
    Batch,
}

impl Cadence {
    pub fn label(self) -> &'static str {
        match self {
            Cadence::NearRealTime => "near real time",
            Cadence::Batch => "batch",
        }
    }
}

/// Lag statistics of one path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagStats {
    pub path: LagPath,
    pub pairs: usize,
    pub median_secs: i64,
    pub p95_secs: i64,
    pub cadence: Cadence,
}

/// Per path, from `(path, lag in seconds)` of every matched pair with a known creation time.
/// Negative lags (a posting created before the bank movement, e.g. a bill payment entered
/// when initiated) count as zero.
pub fn lag_stats(samples: &[(LagPath, i64)]) -> Vec<LagStats> {
    [LagPath::BankFeed, LagPath::WiseApp]
        .into_iter()
        .filter_map(|path| {
            let mut lags: Vec<i64> = samples
                .iter()
                .filter(|(p, _)| *p == path)
                .map(|(_, l)| (*l).max(0))
                .collect();
            if lags.is_empty() {
                return None;
            }
            lags.sort_unstable();
            let p95 = percentile(&lags, 95);
            Some(LagStats {
                path,
                pairs: lags.len(),
                median_secs: percentile(&lags, 50),
                p95_secs: p95,
                cadence: if p95 <= NEAR_REAL_TIME_P95_SECS {
                    Cadence::NearRealTime
                } else {
                    Cadence::Batch
                },
            })
        })
        .collect()
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[i64], p: usize) -> i64 {
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

/// Matched pairs by posting lag: (label, count) for < 1 h, 1–24 h, 1–3 d, 3–7 d, > 7 d.
pub fn lag_histogram(lags: impl IntoIterator<Item = i64>) -> Vec<(String, i64)> {
    const EDGES: [(i64, &str); 5] = [
        (3600, "< 1 h"),
        (86_400, "1–24 h"),
        (259_200, "1–3 d"),
        (604_800, "3–7 d"),
        (i64::MAX, "> 7 d"),
    ];
    let mut counts = [0i64; 5];
    for lag in lags {
        let i = EDGES.iter().position(|(edge, _)| lag < *edge).unwrap_or(4);
        counts[i] += 1;
    }
    EDGES
        .iter()
        .zip(counts)
        .map(|((_, label), n)| ((*label).to_string(), n))
        .collect()
}

/// "3 h 20 min", "2 d 4 h", "45 s".
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
        _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_p95_and_cadence_per_path() {
        let mut samples: Vec<(LagPath, i64)> =
            (1..=100).map(|i| (LagPath::BankFeed, i * 60)).collect();
        samples.push((LagPath::WiseApp, 30));
        samples.push((LagPath::WiseApp, -100));
        let stats = lag_stats(&samples);
        assert_eq!(stats.len(), 2);
        assert_eq!(stats[0].path, LagPath::BankFeed);
        assert_eq!(stats[0].median_secs, 50 * 60);
        assert_eq!(stats[0].p95_secs, 95 * 60);
        assert_eq!(stats[0].cadence, Cadence::Batch);
        assert_eq!(stats[1].pairs, 2);
        assert_eq!(stats[1].median_secs, 0);
        assert_eq!(stats[1].cadence, Cadence::NearRealTime);
        assert!(lag_stats(&[]).is_empty());
    }

    #[test]
    fn lags_fall_in_buckets() {
        let h = lag_histogram([-5, 10, 3600, 90_000, 700_000]);
        assert_eq!(h.iter().map(|b| b.1).collect::<Vec<_>>(), [2, 1, 1, 0, 1]);
        assert_eq!(h[0].0, "< 1 h");
    }

    #[test]
    fn durations_read_well() {
        assert_eq!(human_duration(45), "45 s");
        assert_eq!(human_duration(3 * 3600 + 20 * 60), "3 h 20 min");
        assert_eq!(human_duration(2 * 86_400 + 4 * 3600), "2 d 4 h");
    }
}
