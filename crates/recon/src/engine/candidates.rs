//! Stage 1: candidate pairs by index (amount, amount net of the fee, reference tokens,
//! mistyped amounts of the same payee), scored.

use crate::amount::looks_mistyped;
use crate::counterparty::{NameAgreement, NameKey};
use crate::window::{Node, PairNode, SlidingIndex, SlidingPair};

use super::*;

/// One bank line's candidates, each posting once: the same pair found through several
/// indexes is merged as it comes (the lowest relation, a reference if any found it).
struct Merged {
    edges: Vec<Edge>,
    /// Where posting `k` is in `edges` (low half), when it was put there for line `bank`
    /// (high half).
    slot: Vec<u64>,
    bank: u64,
}

impl Merged {
    /// Starts the candidates of line `b` (those of the line before must have been taken).
    fn start(&mut self, b: usize) {
        debug_assert!(self.edges.is_empty());
        self.bank = b as u64;
    }

    /// Posting `k`'s edge, when it is among the line's candidates.
    #[inline]
    fn get_mut(&mut self, k: usize) -> Option<&mut Edge> {
        // Most lines have no candidate by reference or payee: no look-up in `slot`, a
        // table as large as the account's postings.
        if self.edges.is_empty() {
            return None;
        }
        let at = self.slot[k];
        (at >> 32 == self.bank).then(|| &mut self.edges[(at & 0xFFFF_FFFF) as usize])
    }

    #[inline]
    fn push(&mut self, e: Edge) {
        let at = &mut self.slot[e.book as usize];
        if *at >> 32 == self.bank {
            let kept = &mut self.edges[(*at & 0xFFFF_FFFF) as usize];
            if (e.relation as u8) < (kept.relation as u8) {
                kept.relation = e.relation;
            }
            kept.reference |= e.reference;
        } else {
            *at = self.bank << 32 | self.edges.len() as u64;
            self.edges.push(e);
        }
    }
}

/// The best `MAX_EDGES_PER_LINE` edges offered (each posting at most once), in the order of
/// [`keep_best`]: by score, then posting. Each kept edge's place is decided by one word
/// ([`best_key`]) kept beside it: an offer costs one comparison with the last kept key,
/// where comparing `(-score, posting)` pairs cost a few (most offers are refused).
struct BestEdges {
    /// The kept edges' keys, best first; `u64::MAX` past them, so an offer is compared
    /// with the last slot whether the list is full or not.
    keys: [u64; MAX_EDGES_PER_LINE],
    edges: [Edge; MAX_EDGES_PER_LINE],
    len: usize,
}

impl Default for BestEdges {
    fn default() -> Self {
        let none = Edge {
            bank: 0,
            book: 0,
            relation: Relation::Exact,
            reference: false,
            name: NameAgreement::Unknown,
            gap: 0,
            score: 0,
        };
        Self {
            keys: [u64::MAX; MAX_EDGES_PER_LINE],
            edges: [none; MAX_EDGES_PER_LINE],
            len: 0,
        }
    }
}

/// `(-score, posting)` as one word, in the same order: a higher score first, then a lower
/// posting. Scores are at least 1 ([`score`]) and far below 2^31.
#[inline]
fn best_key(score: i64, book: u32) -> u64 {
    debug_assert!((1..1 << 31).contains(&score));
    ((1u64 << 31) - score as u64) << 32 | u64::from(book)
}

impl BestEdges {
    /// Offers `e`, scored.
    #[inline]
    fn offer(&mut self, e: Edge) {
        const LAST: usize = MAX_EDGES_PER_LINE - 1;
        let key = best_key(e.score, e.book);
        if key >= self.keys[LAST] {
            return;
        }
        // Moved up from the last slot (dropping the edge there when the list is full) past
        // every kept edge it beats: a few at most.
        let mut at = self.len.min(LAST);
        self.len = (self.len + 1).min(MAX_EDGES_PER_LINE);
        while at > 0 && self.keys[at - 1] > key {
            self.keys[at] = self.keys[at - 1];
            self.edges[at] = self.edges[at - 1];
            at -= 1;
        }
        self.keys[at] = key;
        self.edges[at] = e;
    }

    /// The kept edges, best first; the list is left empty.
    fn take(&mut self) -> &[Edge] {
        let len = std::mem::take(&mut self.len);
        // Only the last slot is ever read past the kept edges, and only it must say
        // `u64::MAX` (it is written last, when the list fills).
        self.keys[MAX_EDGES_PER_LINE - 1] = u64::MAX;
        &self.edges[..len]
    }
}

impl AccountRun<'_> {
    // ---- stage 1: candidates and one-to-one assignment -------------------------------------

    pub(super) fn candidate_edges(&mut self) -> Vec<Edge> {
        let mut edges = Workspace::reuse(&mut self.room.edges, self.bank.len() * 2);
        let mut merged = Merged {
            edges: Vec::with_capacity(32),
            slot: vec![u64::MAX; self.book.len()],
            bank: 0,
        };
        let lead = self.options.max_lead_days;
        let lag = self.options.max_lag_days;
        let reference_window = self.options.reference_window_days;
        // Bank lines come in day order, so the windows only slide forwards. The amount and
        // payee windows cover the same days: one walk over the postings serves both.
        let mut amounts_names = SlidingPair::new(self.amount_name_nodes());
        let mut tokens = SlidingIndex::new(self.token_nodes());
        let mut by_amount = BestEdges::default();
        for b in 0..self.bank.len() {
            merged.start(b);
            let facts = &self.bank[b];
            amounts_names.slide(facts.day - lead, facts.day + lag);
            tokens.slide(facts.day - reference_window, facts.day + reference_window);
            // The few candidates by reference and by payee first: a posting found by amount
            // too joins them; one found by amount alone has its final score at once, and only
            // the best of those can be among the line's best (a common amount finds dozens).
            self.push_reference_candidates(b, &tokens, &mut merged);
            self.push_mistyped_candidates(b, &amounts_names, &mut merged);
            let relation = Relation::Exact;
            let found = (&amounts_names, &mut merged, &mut by_amount);
            self.push_amount_candidates(b, facts.units, relation, found);
            if facts.fee_units > 0 {
                // Bank amount = principal − fee for both directions (debits grow, credits shrink).
                let principal = facts.units.saturating_add(facts.fee_units);
                let relation = Relation::Principal;
                let found = (&amounts_names, &mut merged, &mut by_amount);
                self.push_amount_candidates(b, principal, relation, found);
            }
            let best = if merged.edges.is_empty() {
                // Found by amount alone (most lines): the best few already, in order.
                by_amount.take()
            } else {
                let merged = &mut merged.edges;
                for e in merged.iter_mut() {
                    e.score = score(e);
                }
                merged.extend_from_slice(by_amount.take());
                // The best few, by score then posting (each posting once, so the order is
                // total).
                keep_best(merged, MAX_EDGES_PER_LINE, |e| (-e.score, e.book));
                &merged[..]
            };
            for &e in best {
                // A pair whose payees disagree, tied by amount only, waits until duplicates
                // have been found: a duplicate posting must not be spent on a stranger's line.
                if e.name == NameAgreement::Different
                    && !e.reference
                    && e.relation == Relation::Exact
                {
                    self.weak_edges.push(e);
                } else {
                    edges.push(e);
                }
            }
            merged.edges.clear();
        }
        edges
    }

    /// Every posting keyed by amount (units) and, when it has a counterparty and is not a
    /// fee posting, by name, for a [`SlidingPair`]; each carries its name key (see
    /// [`name_of`]).
    fn amount_name_nodes(&self) -> Vec<PairNode> {
        (self.book.iter().enumerate())
            .map(|(k, f)| PairNode {
                first: f.units as u64,
                second: if f.is_fee { 0 } else { f.name.full },
                carried: [f.name.full, f.name.first_word],
                day: f.day,
                book: k as u32,
            })
            .collect()
    }

    /// The postings a stage can use, keyed by amount: a window that only holds those slides
    /// over a fraction of the account (fee postings are ~5 % of it).
    pub(super) fn amount_nodes_of(&self, keep: impl Fn(usize, &BookFacts) -> bool) -> Vec<Node> {
        let kept = || (self.book.iter().enumerate()).filter(|&(k, f)| keep(k, f));
        let mut nodes = Vec::with_capacity(kept().count());
        nodes.extend(kept().map(|(k, f)| node(f.units as u64, f.day, k)));
        nodes
    }

    /// Fee postings not taken yet, keyed by amount.
    pub(super) fn free_fee_nodes(&self) -> Vec<Node> {
        (self.fee_postings.iter())
            .filter(|&&k| !self.book_taken[k as usize])
            .map(|&k| {
                let f = &self.book[k as usize];
                node(f.units as u64, f.day, k as usize)
            })
            .collect()
    }

    /// Postings with a counterparty, fee postings left out, of those `keep` accepts, keyed
    /// by name.
    pub(super) fn name_nodes_of(&self, keep: impl Fn(usize) -> bool) -> Vec<Node> {
        let kept = || {
            (self.book.iter().enumerate())
                .filter(|&(k, f)| !f.name.is_empty() && !f.is_fee && keep(k))
        };
        let mut nodes = Vec::with_capacity(kept().count());
        nodes.extend(kept().map(|(k, f)| node(f.name.full, f.day, k)));
        nodes
    }

    /// The tokens of postings that identify something (on few postings), keyed by token.
    fn token_nodes(&self) -> Vec<Node> {
        let mut nodes = Vec::with_capacity(self.book_tokens.len());
        for (k, f) in self.book.iter().enumerate() {
            for j in f.tokens as usize..f.tokens_end as usize {
                if self.token_useful[j] {
                    nodes.push(node(self.book_tokens[j], f.day, k));
                }
            }
        }
        nodes
    }

    /// Postings of `units` in the window, at most 64: merged into the line's candidates when
    /// found there already, else (scored) offered to `by_amount`. To be called after every
    /// other search of the line (an edge in `by_amount` must not be found again).
    fn push_amount_candidates(
        &self,
        b: usize,
        units: i64,
        relation: Relation,
        (amounts, merged, by_amount): (&SlidingPair, &mut Merged, &mut BestEdges),
    ) {
        let (name, day) = (self.bank[b].name, self.bank[b].day);
        // Built from the window node alone: a common amount finds dozens of postings, and
        // reading each one's facts was a cache miss apiece in a large account.
        let offer = |node: &PairNode, by_amount: &mut BestEdges| {
            let mut e = Edge {
                bank: b as u32,
                book: node.book,
                relation,
                reference: false,
                name: name.agreement(name_of(node)),
                gap: node.day - day,
                score: 0,
            };
            e.score = score(&e);
            by_amount.offer(e);
        };
        let nodes = amounts.get_first(units as u64).take(64);
        if merged.edges.is_empty() {
            // Most lines: nothing found by reference or payee to merge with, no look-up.
            nodes.for_each(|node| offer(node, by_amount));
            return;
        }
        for node in nodes {
            if let Some(kept) = merged.get_mut(node.book as usize) {
                if (relation as u8) < (kept.relation as u8) {
                    kept.relation = relation;
                }
                continue;
            }
            offer(node, by_amount);
        }
    }

    /// Postings sharing a token with the line, in the reference window (`tokens` holds only
    /// tokens on at most `MAX_REFERENCE_FANOUT` postings).
    fn push_reference_candidates(&self, b: usize, tokens: &SlidingIndex, out: &mut Merged) {
        let facts = &self.bank[b];
        for t in self.words_of(b).iter().flat_map(|w| w.hashes()) {
            for &Node { book: k, .. } in tokens.get(t) {
                let book = &self.book[k as usize];
                let relation = if book.units == facts.units {
                    Relation::Exact
                } else if facts.fee_units > 0 && book.units == facts.units + facts.fee_units {
                    Relation::Principal
                } else if (book.units < 0) == (facts.units < 0) && !book.is_fee {
                    Relation::Mismatch
                } else {
                    continue;
                };
                out.push(self.edge(b, k as usize, relation, true));
            }
        }
    }

    /// Same payee nearby, amount that looks mistyped: an amount-mismatch candidate.
    fn push_mistyped_candidates(&self, b: usize, names: &SlidingPair, out: &mut Merged) {
        let f = &self.bank[b];
        if f.name.is_empty() {
            return;
        }
        for &PairNode { book: k, .. } in names.get_second(f.name.full).take(64) {
            let kf = &self.book[k as usize];
            if kf.units != f.units && looks_mistyped(f.units / self.minor, kf.units / self.minor) {
                out.push(self.edge(b, k as usize, Relation::Mismatch, false));
            }
        }
    }

    pub(super) fn edge(&self, b: usize, k: usize, relation: Relation, reference: bool) -> Edge {
        let (bf, kf) = (&self.bank[b], &self.book[k]);
        Edge {
            bank: b as u32,
            book: k as u32,
            relation,
            reference,
            name: bf.name.agreement(kf.name),
            gap: kf.day - bf.day,
            score: 0,
        }
    }
}

/// The posting's name key, as [`AccountRun::amount_name_nodes`] carries it.
#[inline]
fn name_of(node: &PairNode) -> NameKey {
    NameKey {
        full: node.carried[0],
        first_word: node.carried[1],
    }
}

/// For each token, whether at most `most` tokens (postings: a posting's tokens are distinct)
/// are equal to it. Counted in a hash table (open addressing), two passes over the tokens:
/// sorting them by value to count each one's run cost three times as much.
pub(super) fn on_few_postings(tokens: &[u64], most: usize) -> Vec<bool> {
    let bits = (2 * tokens.len())
        .max(16)
        .next_power_of_two()
        .trailing_zeros();
    let mask = (1usize << bits) - 1;
    // A token (an fx hash) is spread again: its top bits alone clump.
    let home = |t: u64| (t.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize;
    let most = u8::try_from(most).unwrap_or(u8::MAX - 1);
    let mut keys = vec![0u64; mask + 1];
    // How many of each token, up to one past `most`; 0: an empty slot.
    let mut counts = vec![0u8; mask + 1];
    let slot_of = |keys: &[u64], counts: &[u8], t: u64| {
        let mut i = home(t);
        while counts[i] != 0 && keys[i] != t {
            i = (i + 1) & mask;
        }
        i
    };
    for &t in tokens {
        let i = slot_of(&keys, &counts, t);
        keys[i] = t;
        counts[i] = counts[i].saturating_add(1).min(most + 1);
    }
    (tokens.iter())
        .map(|&t| counts[slot_of(&keys, &counts, t)] <= most)
        .collect()
}

fn node(key: u64, day: i32, book: usize) -> Node {
    Node {
        key,
        day,
        book: book as u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The counting table agrees with counting each token's run among the sorted tokens.
    #[test]
    fn tokens_on_few_postings_as_sorting_counts_them() {
        let mut seed = 17u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            seed >> 20
        };
        for (n, distinct) in [(0usize, 1u64), (1, 1), (7, 2), (1_000, 50), (20_000, 9_000)] {
            let tokens: Vec<u64> = (0..n).map(|_| (next() % distinct) << 40).collect();
            let mut sorted = tokens.clone();
            sorted.sort_unstable();
            let want: Vec<bool> = (tokens.iter())
                .map(|t| sorted.iter().filter(|&s| s == t).count() <= MAX_REFERENCE_FANOUT)
                .take(if n > 2_000 { 300 } else { n })
                .collect();
            let got = on_few_postings(&tokens, MAX_REFERENCE_FANOUT);
            assert_eq!(got.len(), n);
            assert_eq!(got[..want.len()], want[..], "{n} {distinct}");
        }
    }

    #[test]
    fn merged_keeps_each_posting_once_per_line() {
        let edge = |bank: u32, book: u32, relation: Relation, reference: bool| Edge {
            bank,
            book,
            relation,
            reference,
            name: NameAgreement::Unknown,
            gap: 0,
            score: 0,
        };
        let mut merged = Merged {
            edges: Vec::new(),
            slot: vec![u64::MAX; 4],
            bank: 0,
        };
        merged.start(0);
        merged.push(edge(0, 2, Relation::Principal, false));
        merged.push(edge(0, 1, Relation::Exact, false));
        merged.push(edge(0, 2, Relation::Mismatch, true));
        merged.push(edge(0, 1, Relation::Mismatch, false));
        let got: Vec<_> = (merged.edges.drain(..))
            .map(|e| (e.book, e.relation, e.reference))
            .collect();
        assert_eq!(
            got,
            [(2, Relation::Principal, true), (1, Relation::Exact, false)]
        );
        // The next line starts afresh, whatever the slots still say.
        merged.start(1);
        merged.push(edge(1, 2, Relation::Mismatch, false));
        let got: Vec<_> = (merged.edges.drain(..))
            .map(|e| (e.book, e.relation, e.reference))
            .collect();
        assert_eq!(got, [(2, Relation::Mismatch, false)]);
    }

    #[test]
    fn best_edges_keeps_what_keep_best_would() {
        let mut seed = 41u64;
        // One list for all: what a line took leaves nothing behind for the next.
        let mut best = BestEdges::default();
        for len in [0usize, 3, 8, 9, 40, 2, 64] {
            let mut books: Vec<u32> = (0..len as u32).collect();
            let mut edges: Vec<Edge> = Vec::new();
            while let Some(book) = books.pop() {
                seed = seed
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                edges.push(Edge {
                    bank: 0,
                    book: book * 7 % 41,
                    relation: Relation::Exact,
                    reference: false,
                    name: NameAgreement::Unknown,
                    gap: 0,
                    score: 1 + ((seed >> 33) % 6) as i64,
                });
            }
            for &e in &edges {
                best.offer(e);
            }
            let mut want = edges;
            keep_best(&mut want, MAX_EDGES_PER_LINE, |e| (-e.score, e.book));
            let key = |e: &Edge| (e.score, e.book);
            assert_eq!(
                best.take().iter().map(key).collect::<Vec<_>>(),
                want.iter().map(key).collect::<Vec<_>>()
            );
        }
    }
}
