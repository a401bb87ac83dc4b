//! The global assignment of scored edges: connected groups, each solved exactly or best
//! pair first.

use crate::assignment::{Assigner, Candidate};

use super::*;

/// Chooses a set of edges (indices into `edges`) with no shared bank or book, maximizing the total
/// score within each connected group.
pub(super) fn assign_edges(edges: &[Edge], n_bank: usize, n_book: usize) -> Vec<usize> {
    // An edge alone at both of its ends is a group of its own, chosen as it is (most edges at
    // benchmark density): only the others are grouped.
    let mut bank_degree = vec![0u8; n_bank];
    let mut book_degree = vec![0u8; n_book];
    for e in edges {
        let d = &mut bank_degree[e.bank as usize];
        *d = d.saturating_add(1);
        let d = &mut book_degree[e.book as usize];
        *d = d.saturating_add(1);
    }
    // Marked: chosen. The others are listed once here for the passes below (filtering the
    // marks again in each cost as much as the pass).
    let mut marked: Vec<bool> = (edges.iter())
        .map(|e| bank_degree[e.bank as usize] == 1 && book_degree[e.book as usize] == 1)
        .collect();
    drop((bank_degree, book_degree));
    let mut rest: Vec<u32> = Vec::with_capacity(edges.len() / 2);
    rest.extend((0..edges.len() as u32).filter(|&i| !marked[i as usize]));
    // Union-find over bank nodes [0, n_bank) and book nodes [n_bank, n_bank + n_book).
    let mut parent: Vec<u32> = (0..(n_bank + n_book) as u32).collect();
    for &i in &rest {
        let e = &edges[i as usize];
        let a = find(&mut parent, e.bank);
        let b = find(&mut parent, n_bank as u32 + e.book);
        if a != b {
            let (lo, hi) = if a < b { (a, b) } else { (b, a) };
            parent[hi as usize] = lo;
        }
    }
    let grouped = edges_by_component(edges, &rest, parent);
    // Each group chooses at most as many edges as it has.
    let mut chosen = Vec::with_capacity(grouped.edges.len());
    let mut scratch = GroupScratch::default();
    for span in grouped.starts.windows(2) {
        let group = &grouped.edges[span[0] as usize..span[1] as usize];
        if let [only] = group {
            chosen.push(*only as usize);
        } else {
            solve_group(edges, group, (n_bank, n_book), &mut chosen, &mut scratch);
        }
    }
    // In edge order: marked, then read back (no sort of the chosen list).
    for &i in &chosen {
        marked[i] = true;
    }
    let taken = marked.iter().filter(|&&m| m).count();
    let mut all = Vec::with_capacity(taken);
    all.extend((0..edges.len()).filter(|&i| marked[i]));
    all
}

/// The root of node `x` in the union-find `parent`, halving the path on the way.
fn find(parent: &mut [u32], mut x: u32) -> u32 {
    while parent[x as usize] != x {
        let up = parent[parent[x as usize] as usize];
        parent[x as usize] = up;
        x = up;
    }
    x
}

/// The edges `rest`, by connected group: group `c` is `edges[starts[c]..starts[c + 1]]`,
/// each group's edges in edge order (the solvers do not depend on the order of the groups).
struct Grouped {
    edges: Vec<u32>,
    starts: Vec<u32>,
}

/// Groups the edges `rest` by the root of their line in the union-find `parent` (which
/// is spent: a root's slot comes to hold its group's number). The groups are numbered as
/// they are first met and the edges dealt by that number: a sort of (root, edge) words
/// cost twice as much.
fn edges_by_component(edges: &[Edge], rest: &[u32], mut parent: Vec<u32>) -> Grouped {
    let nodes = parent.len() as u32;
    let mut roots: Vec<u32> = (rest.iter())
        .map(|&i| find(&mut parent, edges[i as usize].bank))
        .collect();
    // Every root found; now each root's slot is renamed to `nodes + group number`.
    let mut sizes: Vec<u32> = Vec::new();
    for r in &mut roots {
        let slot = &mut parent[*r as usize];
        if *slot < nodes {
            *slot = nodes + sizes.len() as u32;
            sizes.push(0);
        }
        *r = *slot - nodes;
        sizes[*r as usize] += 1;
    }
    let mut starts = Vec::with_capacity(sizes.len() + 1);
    let mut at = 0;
    starts.push(0);
    for size in &mut sizes {
        // From here on, where the group's next edge goes.
        (*size, at) = (at, at + *size);
        starts.push(at);
    }
    let mut grouped = vec![0u32; roots.len()];
    for (&i, &group) in rest.iter().zip(&roots) {
        let next = &mut sizes[group as usize];
        grouped[*next as usize] = i;
        *next += 1;
    }
    Grouped {
        edges: grouped,
        starts,
    }
}

/// Buffers reused from one group to the next.
#[derive(Default)]
struct GroupScratch {
    banks: Vec<u32>,
    books: Vec<u32>,
    candidates: Vec<Candidate>,
    assigner: Assigner,
    /// Per line and per posting, the last large group that counted it (`stamp`), then
    /// whether the best-pair-first pass took it. Sized on the first group too large to be
    /// small for sure; groups share no line or posting, so nothing is ever reset.
    bank_seen: Vec<u32>,
    book_seen: Vec<u32>,
    /// Per line the pass took, the posting it took it with.
    partner: Vec<u32>,
    stamp: u32,
    /// The pairs of a large group as [`pair_order`] keys, and dealt by score.
    order: Vec<u128>,
    dealt: Vec<u128>,
}

/// A pair's place in the best-pair-first pass of [`solve_large_group`] as one integer: by
/// score (best first), then nearest, then line, then posting.
fn pair_order(e: &Edge) -> u128 {
    // Scores are sums of a few small weights, never negative.
    let score = u32::try_from(e.score).expect("a score fits 32 bits");
    u128::from(u32::MAX - score) << 96
        | u128::from(e.gap.unsigned_abs()) << 64
        | u128::from(e.bank) << 32
        | u128::from(e.book)
}

/// Marks a line or posting taken by the best-pair-first pass (above any stamp).
const TAKEN: u32 = u32::MAX;

/// One connected group: exactly (Hungarian) when small, best pair first when large.
fn solve_group(
    edges: &[Edge],
    group: &[u32],
    (n_bank, n_book): (usize, usize),
    chosen: &mut Vec<usize>,
    scratch: &mut GroupScratch,
) {
    // A group of at most `MAX_EXACT_GROUP` edges has at most as many lines and postings.
    if group.len() > MAX_EXACT_GROUP
        && solve_large_group(edges, group, (n_bank, n_book), chosen, scratch)
    {
        return;
    }
    let GroupScratch {
        banks,
        books,
        candidates,
        assigner,
        ..
    } = scratch;
    banks.clear();
    banks.extend(group.iter().map(|&g| edges[g as usize].bank));
    banks.sort_unstable();
    banks.dedup();
    books.clear();
    books.extend(group.iter().map(|&g| edges[g as usize].book));
    books.sort_unstable();
    books.dedup();
    debug_assert!(banks.len() <= MAX_EXACT_GROUP && books.len() <= MAX_EXACT_GROUP);
    candidates.clear();
    candidates.extend(group.iter().filter_map(|&g| {
        let e = &edges[g as usize];
        Some(Candidate {
            row: banks.binary_search(&e.bank).ok()?,
            col: books.binary_search(&e.book).ok()?,
            score: e.score,
        })
    }));
    let result = assigner.assign(banks.len(), books.len(), candidates);
    for (&g, c) in group.iter().zip(candidates.iter()) {
        if result[c.row] == Some(c.col) {
            chosen.push(g as usize);
        }
    }
}

/// A group with more than `MAX_EXACT_GROUP` lines or postings: its pairs best first (by
/// score, then nearest, then line, then posting), each taken when both ends are free.
/// Returns false, doing nothing, when the group is small enough to be solved exactly.
fn solve_large_group(
    edges: &[Edge],
    group: &[u32],
    (n_bank, n_book): (usize, usize),
    chosen: &mut Vec<usize>,
    scratch: &mut GroupScratch,
) -> bool {
    if scratch.bank_seen.is_empty() {
        scratch.bank_seen = vec![0; n_bank];
        scratch.book_seen = vec![0; n_book];
        scratch.partner = vec![0; n_bank];
    }
    scratch.stamp += 1;
    let stamp = scratch.stamp;
    let (mut banks, mut books) = (0usize, 0usize);
    for &g in group {
        let e = &edges[g as usize];
        let seen = &mut scratch.bank_seen[e.bank as usize];
        if *seen != stamp {
            *seen = stamp;
            banks += 1;
        }
        let seen = &mut scratch.book_seen[e.book as usize];
        if *seen != stamp {
            *seen = stamp;
            books += 1;
        }
    }
    if banks <= MAX_EXACT_GROUP && books <= MAX_EXACT_GROUP {
        return false;
    }
    // One integer per pair (16 bytes, compared at once): the pass needs only the line and
    // the posting, and finds the edges it took from those afterwards.
    let GroupScratch {
        bank_seen,
        book_seen,
        partner,
        order,
        dealt,
        ..
    } = scratch;
    order.clear();
    order.extend(group.iter().map(|&g| pair_order(&edges[g as usize])));
    let free = |bank_seen: &[u32], book_seen: &[u32], key: u128| {
        let (b, k) = ((key >> 32) as u32 as usize, key as u32 as usize);
        bank_seen[b] != TAKEN && book_seen[k] != TAKEN
    };
    let take = |bank_seen: &mut [u32], book_seen: &mut [u32], partner: &mut [u32], key| {
        if free(bank_seen, book_seen, key) {
            let (b, k) = ((key >> 32) as u32 as usize, key as u32 as usize);
            bank_seen[b] = TAKEN;
            book_seen[k] = TAKEN;
            partner[b] = k as u32;
        }
    };
    // By score first (a few tens of values, dealt), then each score's pairs still free when
    // its turn comes sorted: the pairs a better score blocked are never sorted (a sort of
    // all the keys cost ~140 instructions a pair).
    let score_part = |key: u128| (key >> 96) as u32;
    let lo = order.iter().map(|&key| score_part(key)).min().unwrap_or(0);
    let hi = order.iter().map(|&key| score_part(key)).max().unwrap_or(0);
    if hi - lo > 1024 {
        order.sort_unstable();
        for &key in order.iter() {
            take(bank_seen, book_seen, partner, key);
        }
    } else {
        let mut starts = vec![0u32; (hi - lo) as usize + 2];
        for &key in order.iter() {
            starts[(score_part(key) - lo) as usize + 1] += 1;
        }
        for j in 1..starts.len() {
            starts[j] += starts[j - 1];
        }
        dealt.clear();
        dealt.resize(order.len(), 0);
        let mut next = starts.clone();
        for &key in order.iter() {
            let at = &mut next[(score_part(key) - lo) as usize];
            dealt[*at as usize] = key;
            *at += 1;
        }
        for span in starts.windows(2) {
            let bucket = &mut dealt[span[0] as usize..span[1] as usize];
            let mut kept = 0;
            for j in 0..bucket.len() {
                if free(bank_seen, book_seen, bucket[j]) {
                    bucket[kept] = bucket[j];
                    kept += 1;
                }
            }
            bucket[..kept].sort_unstable();
            for &key in &bucket[..kept] {
                take(bank_seen, book_seen, partner, key);
            }
        }
    }
    // Each pair is one edge (a line's candidates name each posting once).
    chosen.extend(group.iter().map(|&g| g as usize).filter(|&g| {
        let e = &edges[g];
        bank_seen[e.bank as usize] == TAKEN && partner[e.bank as usize] == e.book
    }));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The groups are the connected components of the listed edges (a line and a posting
    /// joined by an edge), each in edge order, every listed edge in one of them.
    #[test]
    fn edges_are_grouped_by_connected_component() {
        let mut seed = 23u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        for (n_bank, n_book, n_edges) in [(1usize, 1usize, 0usize), (30, 40, 25), (200, 150, 400)] {
            let edges: Vec<Edge> = (0..n_edges)
                .map(|_| Edge {
                    bank: next(n_bank as u64) as u32,
                    book: next(n_book as u64) as u32,
                    relation: Relation::Exact,
                    reference: false,
                    name: NameAgreement::Unknown,
                    gap: 0,
                    score: 1,
                })
                .collect();
            let rest: Vec<u32> = (0..n_edges as u32).filter(|_| next(4) != 0).collect();
            let mut parent: Vec<u32> = (0..(n_bank + n_book) as u32).collect();
            for &i in &rest {
                let e = &edges[i as usize];
                let (a, b) = (
                    find(&mut parent, e.bank),
                    find(&mut parent, n_bank as u32 + e.book),
                );
                parent[a.max(b) as usize] = a.min(b);
            }
            let grouped = edges_by_component(&edges, &rest, parent);
            // Components by flooding: an edge's group is the least edge it reaches.
            let mut label: Vec<u32> = rest.clone();
            loop {
                let mut changed = false;
                for x in 0..rest.len() {
                    for y in 0..rest.len() {
                        let (e, f) = (&edges[rest[x] as usize], &edges[rest[y] as usize]);
                        if (e.bank == f.bank || e.book == f.book) && label[y] < label[x] {
                            label[x] = label[y];
                            changed = true;
                        }
                    }
                }
                if !changed {
                    break;
                }
            }
            let mut by_label = std::collections::BTreeMap::<u32, Vec<u32>>::new();
            for (x, &i) in rest.iter().enumerate() {
                by_label.entry(label[x]).or_default().push(i);
            }
            let mut want: Vec<Vec<u32>> = by_label.into_values().collect();
            let mut got: Vec<Vec<u32>> = (grouped.starts.windows(2))
                .map(|s| grouped.edges[s[0] as usize..s[1] as usize].to_vec())
                .collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{n_bank} x {n_book}");
        }
    }

    /// Large groups are solved best pair first: the same choice as sorting the group's
    /// edges by (score descending, |gap|, line, posting) and taking each pair whose ends are
    /// free.
    #[test]
    fn large_groups_take_the_best_free_pairs_first() {
        let mut seed = 17u64;
        let mut next = |m: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % m
        };
        // Scores of a few values are dealt by score; a spread of thousands is sorted whole.
        for (n_bank, n_book, n_edges, step) in [
            (60usize, 70usize, 900usize, 10u64),
            (45, 3, 120, 10),
            (200, 200, 400, 10),
            (60, 70, 900, 700),
        ] {
            let mut pairs = std::collections::BTreeSet::new();
            while pairs.len() < n_edges {
                pairs.insert((next(n_bank as u64) as u32, next(n_book as u64) as u32));
            }
            let edges: Vec<Edge> = pairs
                .into_iter()
                .map(|(bank, book)| Edge {
                    bank,
                    book,
                    relation: Relation::Exact,
                    reference: false,
                    name: NameAgreement::Unknown,
                    gap: next(21) as i32 - 10,
                    score: 1 + (next(5) * step) as i64,
                })
                .collect();
            let mut order: Vec<usize> = (0..edges.len()).collect();
            order.sort_by_key(|&g| {
                let e = &edges[g];
                (-e.score, e.gap.abs(), e.bank, e.book)
            });
            let (mut bank_used, mut book_used) = (vec![false; n_bank], vec![false; n_book]);
            let mut want = Vec::new();
            for g in order {
                let e = &edges[g];
                if !bank_used[e.bank as usize] && !book_used[e.book as usize] {
                    bank_used[e.bank as usize] = true;
                    book_used[e.book as usize] = true;
                    want.push(g);
                }
            }
            want.sort_unstable();
            // Dense enough to be one component.
            assert_eq!(
                assign_edges(&edges, n_bank, n_book),
                want,
                "{n_bank} x {n_book}"
            );
        }
    }
}
