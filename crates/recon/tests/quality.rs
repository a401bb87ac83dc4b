//! The quality report: the engine against generated scenarios with known truth.
//! Run with `cargo test -p recon --test quality -- --nocapture` to see the figures.

use recon::reconcile;
use recon::scenario::{QualityReport, Scenario};

fn report_for(seed: u64, movements: usize) -> QualityReport {
    let s = Scenario::studio()
        .with_seed(seed)
        .with_movements(movements)
        .build();
    let result = reconcile(&s.bank, &s.books, &s.mapping, &s.options);
    QualityReport::measure(&s, &result)
}

#[test]
fn quality_meets_the_targets() {
    let mut total = QualityReport::default();
    for seed in 1..=5 {
        let r = report_for(seed, 4_000);
        total.auto_matches += r.auto_matches;
        total.auto_correct += r.auto_correct;
        total.suggested_matches += r.suggested_matches;
        total.suggested_correct += r.suggested_correct;
        total.true_matches += r.true_matches;
        total.true_matches_found += r.true_matches_found;
        for (k, v) in r.exceptions {
            let t = total.exceptions.entry(k).or_default();
            t.0 += v.0;
            t.1 += v.1;
            t.2 += v.2;
            t.3 += v.3;
        }
    }
    println!("quality over 5 scenarios of 4,000 movements each:\n{total}");
    assert!(
        total.auto_precision() >= 0.999,
        "auto precision {}",
        total.auto_precision()
    );
    assert!(
        total.match_recall() >= 0.98,
        "match recall {}",
        total.match_recall()
    );
    assert!(
        total.exception_recall() >= 0.95,
        "exception recall {}",
        total.exception_recall()
    );
    assert!(
        total.exception_precision() >= 0.90,
        "exception precision {}",
        total.exception_precision()
    );
}
