use recon::scenario::Scenario;
use std::collections::HashMap;
fn main() {
    let s = Scenario::studio().with_seed(1).with_movements(4000).build();
    let r = recon::reconcile(&s.bank, &s.books, &s.mapping, &s.options);
    let mut where_bank: HashMap<String, String> = HashMap::new();
    for m in &r.matches { for b in &m.bank { where_bank.insert(b.clone(), format!("MATCH {:?} {:?} {:?} {:?}: {}", m.kind, m.status, m.bank, m.books, m.reason)); } }
    for e in &r.exceptions { for b in &e.bank { where_bank.insert(b.clone(), format!("EXC {:?} {:?} {:?}: {}", e.kind, e.bank, e.books, e.reason)); } }
    let mut where_book: HashMap<String, String> = HashMap::new();
    for m in &r.matches { for b in &m.books { where_book.insert(b.clone(), format!("MATCH {:?} {:?} {:?} {:?}: {}", m.kind, m.status, m.bank, m.books, m.reason)); } }
    for e in &r.exceptions { for b in &e.books { where_book.insert(b.clone(), format!("EXC {:?} {:?} {:?}: {}", e.kind, e.bank, e.books, e.reason)); } }
    let mode = std::env::args().nth(1).unwrap_or_default();
    let mut n = 0;
    if mode == "matches" {
        let found: std::collections::BTreeSet<(Vec<String>, Vec<String>)> = r.matches.iter().map(|m| { let mut a = m.bank.clone(); a.sort(); let mut b = m.books.clone(); b.sort(); (a, b)}).collect();
        for t in &s.truth.matches {
            if !found.contains(&(t.bank.clone(), t.books.clone())) {
                n += 1; if n > 25 { break; }
                println!("TRUTH {:?} {:?}", t.bank, t.books);
                for b in &t.bank { println!("   bank {b}: {}", where_bank.get(b).cloned().unwrap_or_default()); }
                for b in &t.books { println!("   book {b}: {}", where_book.get(b).cloned().unwrap_or_default()); }
            }
        }
    } else {
        let kind = mode;
        let truth: std::collections::BTreeSet<(String, Vec<String>, Vec<String>)> = s.truth.exceptions.iter().map(|(k, g)| (k.as_str().to_string(), g.bank.clone(), g.books.clone())).collect();
        for e in &r.exceptions {
            if e.kind.as_str() != kind { continue; }
            let mut a = e.bank.clone(); a.sort(); let mut b = e.books.clone(); b.sort();
            if !truth.contains(&(kind.clone(), a.clone(), b.clone())) {
                n += 1; if n > 25 { break; }
                println!("FALSE {:?} {:?}: {}", a, b, e.reason);
                for g in &s.truth.matches { if g.bank.iter().any(|x| a.contains(x)) { for bk in &g.books { println!("   book {bk}: {}", where_book.get(bk).cloned().unwrap_or_default()); } } }
                for (k, g) in &s.truth.exceptions { if g.bank.iter().any(|x| a.contains(x)) || g.books.iter().any(|x| b.contains(x)) { println!("   truth exc {:?} {:?} {:?}", k, g.bank, g.books); } }
                for g in &s.truth.matches { if g.bank.iter().any(|x| a.contains(x)) || g.books.iter().any(|x| b.contains(x)) { println!("   truth match {:?} {:?}", g.bank, g.books); } }
            }
        }
    }
}
