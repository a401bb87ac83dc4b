//! Speed benchmark: `cargo run --release -p recon --example bench -- [--year] [--memory] [BANK_LINES...]`
//! (default 10000 100000 1000000; `--json FILE` writes the last result). Generates a studio scenario with about that many bank lines
//! and a comparable number of postings, then times `recon::reconcile` alone (single-threaded).
//! By default the activity density is constant (about 30 bank lines a day, so 1M lines span
//! ~90 years of a studio's activity — the shape of a long history or many clients); `--year`
//! squeezes every size into one year instead (1M lines = ~2,700 a day), the worst case for
//! date windows. `--memory` prints the resident memory after each phase. Peak memory of the whole process: run one size under `/usr/bin/time -v`.

use std::time::Instant;

use recon::scenario::{QualityReport, Scenario};

fn main() {
    let one_year = std::env::args().any(|a| a == "--year");
    let verbose = std::env::args().any(|a| a == "--memory");
    let args: Vec<String> = std::env::args().collect();
    let json_path = args
        .iter()
        .position(|a| a == "--json")
        .and_then(|i| args.get(i + 1).cloned());
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
        "bank lines | postings | generate s | reconcile s | cpu s | lines/s | auto prec. | match recall | exc. recall | exc. prec."
    );
    for target in sizes {
        let t0 = Instant::now();
        let days = if one_year {
            365
        } else {
            (target as i64 / 30).max(365)
        };
        let s = Scenario::studio()
            .with_seed(42)
            .with_bank_lines(target)
            .with_days(days)
            .build();
        let generated = t0.elapsed().as_secs_f64();
        let rss_inputs = memory("VmRSS");
        let cpu1 = cpu_seconds();
        let t1 = Instant::now();
        perf_control("enable");
        let result = recon::reconcile(&s.bank, &s.books, &s.mapping, &s.options);
        perf_control("disable");
        let took = t1.elapsed().as_secs_f64();
        let cpu = cpu_seconds() - cpu1;
        let hwm_reconcile = memory("VmHWM");
        let rss_result = memory("VmRSS");
        // Serialization is where the reasons are rendered as words (they are stored compactly):
        // time it apart, into a sink, or into a file with `--json FILE`.
        let t2 = Instant::now();
        match &json_path {
            Some(path) => {
                let file =
                    std::io::BufWriter::new(std::fs::File::create(path).expect("--json FILE"));
                serde_json::to_writer(file, &result).expect("serialize");
            }
            None => serde_json::to_writer(std::io::sink(), &result).expect("serialize"),
        }
        let serialized = t2.elapsed().as_secs_f64();
        let q = QualityReport::measure(&s, &result);
        println!(
            "{:>10} | {:>8} | {:>10.2} | {:>11.3} | {:>5.2} | {:>7.0} | {:>9.3}% | {:>11.3}% | {:>10.3}% | {:>9.3}%",
            s.bank.len(),
            s.books.len(),
            generated,
            took,
            cpu,
            s.bank.len() as f64 / took,
            100.0 * q.auto_precision(),
            100.0 * q.match_recall(),
            100.0 * q.exception_recall(),
            100.0 * q.exception_precision()
        );
        drop(result);
        if verbose {
            println!("    serialize to JSON: {serialized:.3} s");
            println!(
                "    memory: inputs+truth {rss_inputs}, peak through reconcile {hwm_reconcile}, with the result {rss_result}, peak through measurement {}",
                memory("VmHWM")
            );
        }
    }
    println!("peak resident memory: {}", memory("VmHWM"));
}

/// User + system CPU time of this process so far (Linux `/proc/self/stat`, 100 ticks a second):
/// on a machine shared with other builds, the CPU time is steadier than the wall clock.
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|stat| {
            // Fields after the command name (which is in parentheses); utime and stime are 14, 15.
            let rest = &stat[stat.rfind(')')? + 2..];
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let ticks: f64 =
                fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(f64::NAN)
}

/// A line of `/proc/self/status` (`VmRSS`, `VmHWM`), or "?" where there is none.
fn memory(key: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .map(|l| l[key.len() + 1..].trim().to_owned())
        })
        .unwrap_or_else(|| "?".to_owned())
}

/// With `PERF_CTL=FIFO` (and `perf record --control=fifo:FIFO -D -1`), only `recon::reconcile`
/// is profiled.
fn perf_control(command: &str) {
    if let Ok(path) = std::env::var("PERF_CTL") {
        use std::io::Write;
        if let Ok(mut fifo) = std::fs::OpenOptions::new().write(true).open(path) {
            let _ = writeln!(fifo, "{command}");
        }
    }
}
