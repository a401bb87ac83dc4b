//! Arbitrary bytes into every statement parser: errors are fine, panics are not.

use proptest::prelude::*;
use wise::{camt053, parse_statement, statement_csv, statement_json};

const JSON: &[u8] = include_bytes!("fixtures/march-2024-eur.json");
const CSV: &[u8] = include_bytes!("fixtures/march-2024-eur.csv");
const CAMT: &[u8] = include_bytes!("fixtures/march-2024-eur.camt053.xml");

/// A valid document with a few bytes overwritten: reaches deeper code paths than pure noise.
fn mutated(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((0..base.len(), any::<u8>()), 1..8).prop_map(move |edits| {
        let mut v = base.to_vec();
        for (i, b) in edits {
            v[i] = b;
        }
        v
    })
}

fn truncated(base: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    (0..base.len()).prop_map(move |n| base[..n].to_vec())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_statement(&bytes);
        let _ = statement_json::parse(&bytes);
        let _ = statement_csv::parse(&bytes);
        let _ = camt053::parse(&bytes);
    }

    #[test]
    fn mutated_json_never_panics(bytes in mutated(JSON)) {
        let _ = statement_json::parse(&bytes);
    }

    #[test]
    fn mutated_csv_never_panics(bytes in mutated(CSV)) {
        let _ = statement_csv::parse(&bytes);
    }

    #[test]
    fn mutated_camt_never_panics(bytes in mutated(CAMT)) {
        let _ = camt053::parse(&bytes);
    }

    #[test]
    fn truncated_documents_never_panic(j in truncated(JSON), c in truncated(CSV), x in truncated(CAMT)) {
        let _ = parse_statement(&j);
        let _ = parse_statement(&c);
        let _ = parse_statement(&x);
    }
}
