//! The quality report: the engine against generated scenarios with known truth.
//! Run with `cargo test --release -p recon --test quality -- --nocapture` to see the figures.
//! The same scenarios run in a debug build (plain `cargo test`, about 3 s on the 2-core machine).

use recon::reconcile;
use recon::scenario::{QualityReport, Scenario};

fn report_for(seed: u64, movements: usize, days: i64) -> QualityReport {
    let s = Scenario::studio()
        .with_seed(seed)
        .with_movements(movements)
        .with_days(days)
        .build();
    let result = reconcile(&s.bank, &s.books, &s.mapping, &s.options);
    QualityReport::measure(&s, &result)
}

fn total_over(seeds: std::ops::RangeInclusive<u64>, movements: usize, days: i64) -> QualityReport {
    let mut total = QualityReport::default();
    for seed in seeds {
        let r = report_for(seed, movements, days);
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
    total
}

fn assert_targets(total: &QualityReport) {
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

/// Five studio years of 4,000 movements each (~15 bank lines a day).
#[test]
fn quality_meets_the_targets() {
    let seeds = 1..=5;
    let total = total_over(seeds.clone(), 4_000, 365);
    println!(
        "quality over {} scenarios of 4,000 movements in a year each:\n{total}",
        seeds.count()
    );
    assert_targets(&total);
}

/// The benchmark's density (~30 bank lines a day): identical amounts and coincidental sums
/// are much more common inside every date window.
#[test]
fn quality_meets_the_targets_at_benchmark_density() {
    let (seeds, movements, days) = (11..=13, 9_500, 365);
    let total = total_over(seeds.clone(), movements, days);
    println!(
        "quality over {} dense scenarios of {movements} movements in {days} days each:\n{total}",
        seeds.count()
    );
    assert_targets(&total);
}

/// Twice the benchmark's density (~64 bank lines a day). Here coincidental sums among the
/// leftover credits are common; exception precision fell to 62-72 % before batches were
/// taken smallest first (see BENCHMARKS.md, round 14). Exception recall is near its target
/// here, not over it in every scenario (94-97 %), so it is not asserted.
#[test]
fn precision_holds_at_twice_the_benchmark_density() {
    let total = total_over(21..=23, 17_000, 365);
    println!("quality over 3 scenarios of 17000 movements in 365 days each:\n{total}");
    assert!(total.auto_precision() >= 0.999, "{total}");
    assert!(total.match_recall() >= 0.98, "{total}");
    assert!(total.exception_precision() >= 0.90, "{total}");
}

#[test]
fn scenarios_sized_by_bank_lines_have_that_many_lines() {
    for n in [1, 500, 5_000] {
        let s = Scenario::studio()
            .with_seed(3)
            .with_bank_lines(n)
            .with_days(365)
            .build();
        // At least `n`, and no more than one movement's lines (a batch deposit: a few) over.
        assert!(
            (n..n + 10).contains(&s.bank.len()),
            "{n} asked, {} made",
            s.bank.len()
        );
        let report =
            QualityReport::measure(&s, &reconcile(&s.bank, &s.books, &s.mapping, &s.options));
        assert!(report.true_matches > 0 || n < 10);
    }
}
