//! Speed benchmark: `cargo run --release -p recon --example bench -- [--year] [BANK_LINES...]`
//! (default 10000 100000 1000000). Generates a studio scenario with about that many bank lines
//! and a comparable number of postings, then times `recon::reconcile` alone (single-threaded).
//! By default the activity density is constant (about 30 bank lines a day, so 1M lines span
//! ~90 years of a studio's activity — the shape of a long history or many clients); `--year`
//! squeezes every size into one year instead (1M lines = ~2,700 a day), the worst case for
//! date windows. Peak memory of the whole process: run one size under `/usr/bin/time -v`.

use std::time::Instant;

use recon::scenario::{QualityReport, Scenario};

fn main() {
    let one_year = std::env::args().any(|a| a == "--year");
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.replace('_', "").parse().ok())
        .collect();
    let sizes = if sizes.is_empty() {
        vec![10_000, 100_000, 1_000_000]
    } else {
        sizes
    };
    println!(
        "bank lines | postings | generate s | reconcile s | lines/s | auto prec. | match recall | exc. recall | exc. prec."
    );
    for target in sizes {
        // A movement yields about 1.15 bank lines on average in the studio mix.
        let movements = (target as f64 / 1.15) as usize;
        let t0 = Instant::now();
        let days = if one_year {
            365
        } else {
            (target as i64 / 30).max(365)
        };
        let s = Scenario::studio()
            .with_seed(42)
            .with_movements(movements)
            .with_days(days)
            .build();
        let generated = t0.elapsed().as_secs_f64();
        let t1 = Instant::now();
        let result = recon::reconcile(&s.bank, &s.books, &s.mapping, &s.options);
        let took = t1.elapsed().as_secs_f64();
        let q = QualityReport::measure(&s, &result);
        println!(
            "{:>10} | {:>8} | {:>10.2} | {:>11.3} | {:>7.0} | {:>9.3}% | {:>11.3}% | {:>10.3}% | {:>9.3}%",
            s.bank.len(),
            s.books.len(),
            generated,
            took,
            s.bank.len() as f64 / took,
            100.0 * q.auto_precision(),
            100.0 * q.match_recall(),
            100.0 * q.exception_recall(),
            100.0 * q.exception_precision()
        );
        drop(result);
    }
    if let Ok(status) = std::fs::read_to_string("/proc/self/status")
        && let Some(line) = status.lines().find(|l| l.starts_with("VmHWM"))
    {
        println!(
            "peak resident memory: {}",
            line.trim_start_matches("VmHWM:").trim()
        );
    }
}
