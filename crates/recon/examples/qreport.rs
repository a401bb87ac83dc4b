//! Quality report for one generated scenario, and what happened to the truth the engine missed
//! (matches and exceptions):
//! `cargo run --release -p recon --example qreport -- MOVEMENTS DAYS [SEED] [--missed]`
//! (e.g. `9500 365` is the benchmark's density of ~30 bank lines a day).

use std::collections::{BTreeSet, HashMap};

use recon::scenario::{QualityReport, Scenario, TruthGroup};

fn main() {
    let numbers: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let show_missed = std::env::args().any(|a| a == "--missed");
    let movements = numbers.first().copied().unwrap_or(4_000) as usize;
    let days = numbers.get(1).copied().unwrap_or(365) as i64;
    let seed = numbers.get(2).copied().unwrap_or(42);
    let s = Scenario::studio()
        .with_seed(seed)
        .with_movements(movements)
        .with_days(days)
        .build();
    let r = recon::reconcile(&s.bank, &s.books, &s.mapping, &s.options);
    let q = QualityReport::measure(&s, &r);
    println!(
        "{} bank lines, {} postings over {days} days (seed {seed})\n{q}",
        s.bank.len(),
        s.books.len()
    );
    if !show_missed {
        return;
    }
    // Where each id ended up.
    let mut place: HashMap<&str, String> = HashMap::new();
    for m in &r.matches {
        let d = format!(
            "match {:?}/{:?} {:?} {:?}: {}",
            m.kind, m.status, m.bank, m.books, m.reason
        );
        for id in m.bank.iter().chain(&m.books) {
            place.insert(id, d.clone());
        }
    }
    for e in &r.exceptions {
        let d = format!(
            "{} {:?} {:?}: {}",
            e.kind.as_str(),
            e.bank,
            e.books,
            e.reason
        );
        for id in e.bank.iter().chain(&e.books) {
            place.insert(id, d.clone());
        }
    }
    let found: BTreeSet<TruthGroup> = r
        .matches
        .iter()
        .map(|m| as_group(&m.bank, &m.books))
        .collect();
    let mut per_shape: HashMap<String, usize> = HashMap::new();
    for g in s.truth.matches.iter().filter(|g| !found.contains(*g)) {
        let shape = format!("{}:{}", g.bank.len(), g.books.len());
        if first_few(&mut per_shape, shape.clone()) {
            println!("--- missed {shape} {:?} {:?}", g.bank, g.books);
            print_places(g, &[&place]);
        }
    }
    println!("missed true matches by shape (bank:books): {per_shape:?}");
    // The true exceptions not reported as such.
    let reported: BTreeSet<(&str, TruthGroup)> = r
        .exceptions
        .iter()
        .map(|e| (e.kind.as_str(), as_group(&e.bank, &e.books)))
        .collect();
    let mut per_kind: HashMap<&str, usize> = HashMap::new();
    for (kind, g) in &s.truth.exceptions {
        let kind = kind.as_str();
        if !reported.contains(&(kind, g.clone())) && first_few(&mut per_kind, kind) {
            println!("--- missed {kind} {:?} {:?}", g.bank, g.books);
            print_places(g, &[&place]);
        }
    }
    println!("missed true exceptions by kind: {per_kind:?}");
    // The reported exceptions that are not true, and what the truth says of their ids.
    let mut truth_of: HashMap<&str, String> = HashMap::new();
    for g in &s.truth.matches {
        let d = format!("true match {:?} {:?}", g.bank, g.books);
        for id in g.bank.iter().chain(&g.books) {
            truth_of.insert(id, d.clone());
        }
    }
    for (kind, g) in &s.truth.exceptions {
        let d = format!("true {} {:?} {:?}", kind.as_str(), g.bank, g.books);
        for id in g.bank.iter().chain(&g.books) {
            truth_of.insert(id, d.clone());
        }
    }
    let true_exceptions: BTreeSet<(&str, &TruthGroup)> = s
        .truth
        .exceptions
        .iter()
        .map(|(k, g)| (k.as_str(), g))
        .collect();
    let mut per_kind: HashMap<&str, usize> = HashMap::new();
    for (kind, g) in &reported {
        if !true_exceptions.contains(&(*kind, g)) && first_few(&mut per_kind, kind) {
            println!("--- false {kind} {:?} {:?}", g.bank, g.books);
            print_places(g, &[&truth_of, &place]);
        }
    }
    println!("false exceptions by kind: {per_kind:?}");
}

/// A result's ids as a [`TruthGroup`] (sorted), to compare with the truth.
fn as_group(bank: &recon::Ids, books: &recon::Ids) -> TruthGroup {
    let shared = |ids: &recon::Ids| ids.iter().map(std::sync::Arc::from).collect();
    let (mut bank, mut books): (Vec<_>, Vec<_>) = (shared(bank), shared(books));
    bank.sort();
    books.sort();
    TruthGroup { bank, books }
}

/// Counts one more under `key`: whether it is among the first four (the ones shown).
fn first_few<K: std::hash::Hash + Eq>(counts: &mut HashMap<K, usize>, key: K) -> bool {
    let n = counts.entry(key).or_default();
    *n += 1;
    *n <= 4
}

/// What each of `places` says of the ids of `g`, each text once.
fn print_places(g: &TruthGroup, places: &[&HashMap<&str, String>]) {
    let mut seen = BTreeSet::new();
    for id in g.bank.iter().chain(&g.books) {
        for d in places.iter().filter_map(|p| p.get(&**id)) {
            if seen.insert(d.clone()) {
                println!("    {d}");
            }
        }
    }
}
