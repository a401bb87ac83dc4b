//! Postings inside a date window that slides forwards, indexed by a key (an amount, a
//! counterparty, a reference token).
//!
//! The engine's stages visit lines (or postings) in day order and ask for the postings of one
//! key dated `lo..=hi` around the current day. A global index answers that with a probe into a
//! table of every key of the account (hundreds of thousands), a cache miss or two per probe at
//! 1M lines. Here only the postings inside the window are indexed (a few hundred at a time),
//! so the table stays in the processor's cache: a posting enters once, when the window reaches
//! its day, and leaves once.

/// One indexed posting (or one of its tokens): its key, day and posting index. Nodes are
/// given in day order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Node {
    pub key: u64,
    pub day: i32,
    pub book: u32,
}

const NONE: u32 = u32::MAX;

/// One posting indexed by two keys at once (an amount and a counterparty), for two windows
/// over the same days: one walk and one node list serve both. A `second` key of 0 means the
/// posting is not indexed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PairNode {
    pub first: u64,
    pub second: u64,
    /// Carried for the caller, not indexed: what it needs of the posting for each node it
    /// finds, read here, next to the key, instead of from a table of every posting.
    pub carried: [u64; 2],
    pub day: i32,
    pub book: u32,
}

/// A node of a [`Sliding`] window: its day and its `K` keys. The first key is always
/// indexed; a later key of 0 means the node is not indexed by it.
pub trait Keyed<const K: usize> {
    fn day(&self) -> i32;
    fn keys(&self) -> [u64; K];
}

impl Keyed<1> for Node {
    #[inline]
    fn day(&self) -> i32 {
        self.day
    }
    #[inline]
    fn keys(&self) -> [u64; 1] {
        [self.key]
    }
}

impl Keyed<2> for PairNode {
    #[inline]
    fn day(&self) -> i32 {
        self.day
    }
    #[inline]
    fn keys(&self) -> [u64; 2] {
        [self.first, self.second]
    }
}

/// The nodes dated inside the current window, by key (one index per key of the nodes; each
/// key's nodes in node order): one walk and one node list serve `K` windows over the same
/// days.
pub struct Sliding<N, const K: usize> {
    nodes: Vec<N>,
    /// Per key, per node inside the window: the next node of the same key (or `NONE`).
    next: [Vec<u32>; K],
    /// Per key: key → (first, last) node inside the window.
    map: [KeyTable; K],
    /// `nodes[leave..enter]` are inside the window.
    leave: usize,
    enter: usize,
    #[cfg(debug_assertions)]
    last: (i32, i32),
}

/// Postings (or their tokens) by one key.
pub type SlidingIndex = Sliding<Node, 1>;

/// Postings by two keys at once (an amount and a counterparty).
pub type SlidingPair = Sliding<PairNode, 2>;

impl<N: Keyed<K>, const K: usize> Sliding<N, K> {
    /// An index over `nodes` (in day order); the window starts empty.
    pub fn new(nodes: Vec<N>) -> Self {
        debug_assert!(nodes.windows(2).all(|w| w[0].day() <= w[1].day()));
        Self {
            next: std::array::from_fn(|_| vec![NONE; nodes.len()]),
            nodes,
            map: std::array::from_fn(|_| KeyTable::default()),
            leave: 0,
            enter: 0,
            #[cfg(debug_assertions)]
            last: (i32::MIN, i32::MIN),
        }
    }

    /// Moves the window to the days `lo..=hi`. Neither bound may decrease from one call to
    /// the next (callers walk in day order).
    #[inline]
    pub fn slide(&mut self, lo: i32, hi: i32) {
        #[cfg(debug_assertions)]
        {
            debug_assert!(
                lo >= self.last.0 && hi >= self.last.1,
                "windows only slide forwards"
            );
            self.last = (lo, hi);
        }
        // Most calls move a window whose ends stay put (the next day has no posting leaving
        // or entering): two day comparisons answer them without the call below.
        let leaving = self.leave < self.enter && self.nodes[self.leave].day() < lo;
        let entering = self.nodes.get(self.enter).is_some_and(|n| n.day() <= hi);
        if leaving || entering {
            self.move_ends(lo, hi);
        }
    }

    /// [`Self::slide`] when a node leaves or enters. A node dated before `lo` that was never
    /// inside is skipped here or by a later move (`lo` never decreases), with the same result.
    #[inline(never)]
    fn move_ends(&mut self, lo: i32, hi: i32) {
        while self.leave < self.enter && self.nodes[self.leave].day() < lo {
            let keys = self.nodes[self.leave].keys();
            for (k, key) in keys.into_iter().enumerate() {
                if k == 0 || key != 0 {
                    remove(&mut self.map[k], &self.next[k], key, self.leave);
                }
            }
            self.leave += 1;
        }
        if self.leave == self.enter {
            while self.enter < self.nodes.len() && self.nodes[self.enter].day() < lo {
                self.enter += 1;
            }
            self.leave = self.enter;
        }
        while self.enter < self.nodes.len() && self.nodes[self.enter].day() <= hi {
            let keys = self.nodes[self.enter].keys();
            for (k, key) in keys.into_iter().enumerate() {
                if k == 0 || key != 0 {
                    insert(&mut self.map[k], &mut self.next[k], key, self.enter);
                }
            }
            self.enter += 1;
        }
    }

    /// The nodes whose key number `which` is `key` inside the window, in node order.
    fn nodes_of(&self, which: usize, key: u64) -> impl Iterator<Item = &N> + '_ {
        let map = &self.map[which];
        let next = &self.next[which];
        let mut at = map.find(key).map_or(NONE, |slot| map.slots[slot].run.0);
        std::iter::from_fn(move || {
            if at == NONE {
                return None;
            }
            let node = &self.nodes[at as usize];
            at = next[at as usize];
            Some(node)
        })
    }
}

impl SlidingIndex {
    /// The nodes of `key` inside the window, in node order.
    pub fn get(&self, key: u64) -> impl Iterator<Item = &Node> + '_ {
        self.nodes_of(0, key)
    }
}

impl SlidingPair {
    /// The nodes whose first key is `key` inside the window, in node order.
    pub fn get_first(&self, key: u64) -> impl Iterator<Item = &PairNode> + '_ {
        self.nodes_of(0, key)
    }

    /// The nodes whose second key is `key` (not 0) inside the window, in node order.
    pub fn get_second(&self, key: u64) -> impl Iterator<Item = &PairNode> + '_ {
        self.nodes_of(1, key)
    }
}

/// Appends node `i` to its key's run. Always inlined: called out of line for a second key,
/// it cost a call per node (0.3 M instructions at 100k).
#[inline(always)]
fn insert(map: &mut KeyTable, next: &mut [u32], key: u64, i: usize) {
    next[i] = NONE;
    match map.probe(key) {
        Ok(slot) => {
            let last = &mut map.run(slot).1;
            next[*last as usize] = i as u32;
            *last = i as u32;
        }
        Err(free) => map.insert_at(free, key, (i as u32, i as u32)),
    }
}

/// Takes node `i`, the first of its key's run (the oldest inside the window), out of it.
#[inline(always)]
fn remove(map: &mut KeyTable, next: &[u32], key: u64, i: usize) {
    let Some(slot) = map.find(key) else {
        return;
    };
    let run = map.run(slot);
    debug_assert_eq!(run.0 as usize, i);
    if run.1 as usize == i {
        map.remove(slot);
    } else {
        run.0 = next[i];
    }
}

/// Key → (first, last) node: open addressing with linear probing, sized for the few hundred
/// keys inside a window. A general hash map spent most of the window's time on hashing and
/// bookkeeping for deleted entries; here a removal shifts the following entries back. The
/// table is kept at most a quarter full (it grows past that): with half full, probes and the
/// shifts after a removal walked longer clusters, 1 % more instructions in all at 100k for
/// tables of a few tens of kilobytes.
struct KeyTable {
    slots: Vec<Slot>,
    len: usize,
    shift: u32,
}

#[derive(Clone, Copy)]
struct Slot {
    key: u64,
    /// (first, last) node; `first == NONE` marks a free slot.
    run: (u32, u32),
}

const FREE: Slot = Slot {
    key: 0,
    run: (NONE, NONE),
};

impl Default for KeyTable {
    fn default() -> Self {
        Self::with_bits(6)
    }
}

impl KeyTable {
    fn with_bits(bits: u32) -> Self {
        Self {
            slots: vec![FREE; 1 << bits],
            len: 0,
            shift: 64 - bits,
        }
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len() - 1
    }

    /// The slot a key would like.
    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn find(&self, key: u64) -> Option<usize> {
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.run.0 == NONE {
                return None;
            }
            if slot.key == key {
                return Some(i);
            }
            i = (i + 1) & self.mask();
        }
    }

    /// The slot of `key` (`Ok`), or the free slot that ends its probe (`Err`): where
    /// [`Self::insert_at`] puts it without probing again.
    #[inline]
    fn probe(&self, key: u64) -> Result<usize, usize> {
        let mut i = self.home(key);
        loop {
            let slot = &self.slots[i];
            if slot.run.0 == NONE {
                return Err(i);
            }
            if slot.key == key {
                return Ok(i);
            }
            i = (i + 1) & self.mask();
        }
    }

    /// Adds a key not in the table at the free slot [`Self::probe`] found for it.
    #[inline]
    fn insert_at(&mut self, free: usize, key: u64, run: (u32, u32)) {
        if 4 * (self.len + 1) > self.slots.len() {
            self.insert(key, run);
            return;
        }
        self.slots[free] = Slot { key, run };
        self.len += 1;
    }

    #[inline]
    fn run(&mut self, slot: usize) -> &mut (u32, u32) {
        &mut self.slots[slot].run
    }

    /// Adds a key not in the table.
    #[inline]
    fn insert(&mut self, key: u64, run: (u32, u32)) {
        if 4 * (self.len + 1) > self.slots.len() {
            self.grow();
        }
        let mut i = self.home(key);
        while self.slots[i].run.0 != NONE {
            i = (i + 1) & self.mask();
        }
        self.slots[i] = Slot { key, run };
        self.len += 1;
    }

    #[cold]
    fn grow(&mut self) {
        let mut bigger = Self::with_bits(65 - self.shift);
        for slot in &self.slots {
            if slot.run.0 != NONE {
                bigger.insert(slot.key, slot.run);
            }
        }
        *self = bigger;
    }

    /// Frees `slot`, moving back later entries of its probe sequence so every key stays
    /// reachable from its home slot without gaps.
    #[inline]
    fn remove(&mut self, slot: usize) {
        let mask = self.mask();
        let mut hole = slot;
        let mut j = slot;
        loop {
            j = (j + 1) & mask;
            let next = self.slots[j];
            if next.run.0 == NONE {
                break;
            }
            let home = self.home(next.key);
            // The entry at `j` may fill the hole unless its home lies cyclically in (hole, j].
            let stays = if hole <= j {
                hole < home && home <= j
            } else {
                hole < home || home <= j
            };
            if !stays {
                self.slots[hole] = next;
                hole = j;
            }
        }
        self.slots[hole] = FREE;
        self.len -= 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny deterministic generator.
    fn lcg(seed: &mut u64) -> u64 {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *seed >> 33
    }

    #[test]
    fn the_window_holds_exactly_the_nodes_in_range_in_order() {
        let mut seed = 7;
        let mut nodes = Vec::new();
        let mut day = 0;
        for book in 0..2_000 {
            day += (lcg(&mut seed) % 3) as i32;
            nodes.push(Node {
                key: lcg(&mut seed) % 13,
                day,
                book,
            });
        }
        let mut index = SlidingIndex::new(nodes.clone());
        let mut at = -20;
        while at < day + 30 {
            at += (lcg(&mut seed) % 4) as i32;
            let (lo, hi) = (at - 7, at + 12);
            index.slide(lo, hi);
            for key in 0..14 {
                let want: Vec<&Node> = nodes
                    .iter()
                    .filter(|n| n.key == key && (lo..=hi).contains(&n.day))
                    .collect();
                assert_eq!(
                    index.get(key).collect::<Vec<_>>(),
                    want,
                    "{lo}..={hi} key {key}"
                );
            }
        }
    }

    #[test]
    fn sliding_moves_the_ends_as_always_moving_them_would_for_one_key_and_two() {
        let mut seed = 5;
        let mut nodes = Vec::new();
        let mut day = 0;
        for book in 0..3_000 {
            day += (lcg(&mut seed) % 4) as i32 * i32::from(lcg(&mut seed).is_multiple_of(3));
            nodes.push(Node {
                key: lcg(&mut seed) % 17,
                day,
                book,
            });
        }
        let pairs: Vec<PairNode> = (nodes.iter())
            .map(|n| PairNode {
                first: n.key,
                second: (n.key * 7 + 3) % 5,
                carried: [0; 2],
                day: n.day,
                book: n.book,
            })
            .collect();
        let (mut fast, mut always) = (SlidingIndex::new(nodes.clone()), SlidingIndex::new(nodes));
        let mut fast_pair = SlidingPair::new(pairs.clone());
        let mut always_pair = SlidingPair::new(pairs);
        let (mut lo, mut hi) = (-10, -5);
        while lo < day + 20 {
            // Bounds that stay put, creep, jump past everything inside, or open a gap.
            match lcg(&mut seed) % 6 {
                0 => {}
                1 => lo = (lo + 1).min(hi),
                2 => hi += 1,
                3 => (lo, hi) = (hi + 1, hi + 1 + (lcg(&mut seed) % 5) as i32),
                _ => (lo, hi) = (lo + 1, hi + 1),
            }
            fast.slide(lo, hi);
            always.move_ends(lo, hi);
            assert_eq!((fast.leave, fast.enter), (always.leave, always.enter));
            for key in 0..17 {
                assert!(fast.get(key).eq(always.get(key)), "{lo}..={hi} key {key}");
            }
            fast_pair.slide(lo, hi);
            always_pair.move_ends(lo, hi);
            let ends = |p: &SlidingPair| (p.leave, p.enter);
            assert_eq!(ends(&fast_pair), ends(&always_pair));
            for key in 0..17 {
                assert!(fast_pair.get_first(key).eq(always_pair.get_first(key)));
                assert!(fast_pair.get_second(key).eq(always_pair.get_second(key)));
            }
        }
    }

    #[test]
    fn a_pair_of_windows_holds_what_two_windows_would() {
        let mut seed = 13;
        let mut pairs = Vec::new();
        let mut day = 0;
        for book in 0..2_000 {
            day += (lcg(&mut seed) % 3) as i32;
            let second = lcg(&mut seed) % 5;
            pairs.push(PairNode {
                first: 1 + lcg(&mut seed) % 11,
                second: if second == 4 { 0 } else { 100 + second },
                carried: [0; 2],
                day,
                book,
            });
        }
        let nodes = |key: fn(&PairNode) -> u64| -> Vec<Node> {
            (pairs.iter())
                .filter(|p| key(p) != 0)
                .map(|p| Node {
                    key: key(p),
                    day: p.day,
                    book: p.book,
                })
                .collect()
        };
        let mut firsts = SlidingIndex::new(nodes(|p| p.first));
        let mut seconds = SlidingIndex::new(nodes(|p| p.second));
        let mut both = SlidingPair::new(pairs.clone());
        let mut at = -20;
        while at < day + 30 {
            at += (lcg(&mut seed) % 4) as i32;
            let (lo, hi) = (at - 7, at + 12);
            firsts.slide(lo, hi);
            seconds.slide(lo, hi);
            both.slide(lo, hi);
            for key in 0..13 {
                let want: Vec<u32> = firsts.get(key).map(|n| n.book).collect();
                let got: Vec<u32> = both.get_first(key).map(|n| n.book).collect();
                assert_eq!(got, want, "{lo}..={hi} first {key}");
            }
            for key in 100..105 {
                let want: Vec<u32> = seconds.get(key).map(|n| n.book).collect();
                let got: Vec<u32> = both.get_second(key).map(|n| n.book).collect();
                assert_eq!(got, want, "{lo}..={hi} second {key}");
            }
        }
    }

    #[test]
    fn the_key_table_grows_wraps_and_removes_like_a_map() {
        let mut seed = 11;
        let mut table = KeyTable::default();
        let mut want = std::collections::BTreeMap::new();
        for step in 0..20_000u32 {
            // Keys that share home slots (multiples of a power of two) and arbitrary ones.
            let key = if step.is_multiple_of(3) {
                (lcg(&mut seed) % 40) << 40
            } else {
                lcg(&mut seed) % 300
            };
            match (table.find(key), want.contains_key(&key)) {
                (Some(slot), true) if lcg(&mut seed).is_multiple_of(2) => {
                    table.remove(slot);
                    want.remove(&key);
                }
                (Some(slot), true) => assert_eq!(table.slots[slot].run, want[&key]),
                (None, false) => {
                    // Both ways in: probing once and filling the free slot it ends at, and
                    // probing afresh.
                    match table.probe(key) {
                        Err(free) if step.is_multiple_of(2) => {
                            table.insert_at(free, key, (step, step));
                        }
                        Err(_) => table.insert(key, (step, step)),
                        Ok(_) => panic!("{key} found by probe, not by find"),
                    }
                    want.insert(key, (step, step));
                }
                other => panic!("{key}: {other:?}"),
            }
            assert_eq!(table.len, want.len());
        }
        for (&key, &run) in &want {
            assert_eq!(table.find(key).map(|s| table.slots[s].run), Some(run));
        }
    }

    #[test]
    fn a_jump_past_every_node_empties_the_window() {
        let nodes = vec![
            Node {
                key: 1,
                day: 0,
                book: 0,
            },
            Node {
                key: 1,
                day: 5,
                book: 1,
            },
            Node {
                key: 2,
                day: 40,
                book: 2,
            },
        ];
        let mut index = SlidingIndex::new(nodes);
        index.slide(-3, 6);
        assert_eq!(index.get(1).count(), 2);
        index.slide(30, 35);
        assert_eq!(index.get(1).count(), 0);
        index.slide(39, 50);
        assert_eq!(index.get(2).map(|n| n.book).collect::<Vec<_>>(), [2]);
    }
}
