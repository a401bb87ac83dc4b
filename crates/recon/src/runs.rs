//! Lines or postings grouped by a key (an amount, a reference token, a counterparty), each
//! group ("run") in day order with the day stored next to the index, and cursors that walk a
//! run forwards.
//!
//! The engine's stages visit lines and postings in day order, and each asks "the entries of
//! this run dated `lo` or later". A binary search per question cost ~12 dependent cache misses
//! at 1M (runs of a common amount or payee span decades, and each step read the day from the
//! facts); a cursor per run only moves forwards, over days stored inline, so a whole stage
//! reads each run once, in order.

use std::hash::Hash;

use crate::fasthash::FxHashMap;

/// One entry of a run: its day and the line or posting it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Dated {
    pub day: i32,
    pub index: u32,
}

/// Entries grouped by key; inside a run, in (day, index) order.
pub struct Runs<K> {
    entries: Vec<Dated>,
    /// Run `r` is `entries[bounds[r]..bounds[r + 1]]`.
    bounds: Vec<u32>,
    ids: FxHashMap<K, u32>,
}

/// A run of a [`Runs`], named by its position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunId(u32);

impl<K: Hash + Eq + Copy> Runs<K> {
    /// From `(key, entry)` pairs sorted by key, each key's entries in (day, index) order.
    pub fn from_sorted(sorted: impl ExactSizeIterator<Item = (K, Dated)>) -> Self {
        let mut entries = Vec::with_capacity(sorted.len());
        let mut bounds = Vec::new();
        let mut ids = FxHashMap::default();
        let mut last: Option<K> = None;
        for (key, entry) in sorted {
            if last == Some(key) {
                debug_assert!(
                    entries.last().is_some_and(|e| *e <= entry),
                    "runs in day order"
                );
            } else {
                let fresh = ids.insert(key, bounds.len() as u32).is_none();
                debug_assert!(fresh, "keys must come sorted");
                bounds.push(entries.len() as u32);
                last = Some(key);
            }
            entries.push(entry);
        }
        bounds.push(entries.len() as u32);
        Self {
            entries,
            bounds,
            ids,
        }
    }

    /// The run of `key`, if any entry has it.
    #[inline]
    pub fn id(&self, key: &K) -> Option<RunId> {
        self.ids.get(key).map(|&r| RunId(r))
    }

    /// All entries of a run.
    #[cfg(test)]
    pub fn run(&self, r: RunId) -> &[Dated] {
        let (start, end) = self.span(r);
        &self.entries[start..end]
    }

    fn span(&self, r: RunId) -> (usize, usize) {
        (
            self.bounds[r.0 as usize] as usize,
            self.bounds[r.0 as usize + 1] as usize,
        )
    }

    /// One cursor per run, each at its run's start.
    pub fn cursors(&self) -> Cursors {
        Cursors {
            pos: self.bounds[..self.bounds.len() - 1].to_vec(),
        }
    }

    /// The entries of run `r` dated `lo` or later, as `run(r)[run(r).partition_point(|e|
    /// e.day < lo)..]` would give them: the run's cursor moves forwards to the first such
    /// entry (or, should `lo` ever go back, is found again by binary search).
    #[inline]
    pub fn dated_from<'s>(&'s self, cursors: &mut Cursors, r: RunId, lo: i32) -> &'s [Dated] {
        let (start, end) = self.span(r);
        let slot = &mut cursors.pos[r.0 as usize];
        let mut p = *slot as usize;
        if p > start && self.entries[p - 1].day >= lo {
            p = start + self.entries[start..p].partition_point(|e| e.day < lo);
        } else {
            while p < end && self.entries[p].day < lo {
                p += 1;
            }
        }
        *slot = p as u32;
        &self.entries[p..end]
    }
}

/// Positions in the runs of one [`Runs`] (see [`Runs::dated_from`]).
pub struct Cursors {
    pos: Vec<u32>,
}

/// A cursor over one day-ordered list: [`DayCursor::seek`] gives the position of the first
/// entry dated `day` or later, moving forwards (or searching again if `day` goes back).
#[derive(Default)]
pub struct DayCursor {
    pos: usize,
}

impl DayCursor {
    #[inline]
    pub fn seek(&mut self, list: &[Dated], day: i32) -> usize {
        let mut p = self.pos.min(list.len());
        if p > 0 && list[p - 1].day >= day {
            p = list[..p].partition_point(|e| e.day < day);
        } else {
            while p < list.len() && list[p].day < day {
                p += 1;
            }
        }
        self.pos = p;
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: i32, index: u32) -> Dated {
        Dated { day, index }
    }

    fn sample() -> Runs<u64> {
        let sorted = vec![
            (5, d(1, 0)),
            (5, d(3, 2)),
            (5, d(3, 4)),
            (5, d(9, 7)),
            (8, d(2, 1)),
            (9, d(0, 3)),
            (9, d(6, 5)),
        ];
        Runs::from_sorted(sorted.into_iter())
    }

    #[test]
    fn runs_are_found_by_key() {
        let runs = sample();
        assert_eq!(runs.run(runs.id(&5).unwrap()).len(), 4);
        assert_eq!(runs.run(runs.id(&8).unwrap()), &[d(2, 1)]);
        assert!(runs.id(&7).is_none());
    }

    #[test]
    fn cursors_agree_with_binary_search_in_any_order() {
        let runs = sample();
        let mut cursors = runs.cursors();
        // Forwards, repeated, backwards, past the end: always the partition point.
        for (key, lo) in [
            (5u64, 0),
            (5, 2),
            (9, 1),
            (5, 2),
            (5, 3),
            (5, 1),
            (5, 10),
            (9, 7),
            (5, 4),
        ] {
            let r = runs.id(&key).unwrap();
            let run = runs.run(r);
            let want = &run[run.partition_point(|e| e.day < lo)..];
            assert_eq!(runs.dated_from(&mut cursors, r, lo), want, "{key} {lo}");
        }
    }

    #[test]
    fn day_cursor_agrees_with_binary_search() {
        let list = [d(1, 0), d(3, 1), d(3, 2), d(8, 3)];
        let mut c = DayCursor::default();
        for day in [0, 3, 3, 4, 2, 9, 1, 8] {
            assert_eq!(c.seek(&list, day), list.partition_point(|e| e.day < day));
        }
    }
}
