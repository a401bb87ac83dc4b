//! Times `parse_statement` on a generated 100k-line statement in each format.
//!
//! `cargo run -p wise --release --example parse_bench [lines]`

use std::fmt::Write as _;
use std::time::Instant;

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

struct Tx {
    reference: String,
    secs: i64,
    amount: i64,
    fees: i64,
    balance_after: i64,
}

fn ledger(n: usize) -> (i64, Vec<Tx>) {
    let opening = 1_000_000;
    let mut balance = opening;
    let mut v = Vec::with_capacity(n);
    let mut seed: u64 = 42;
    for i in 0..n {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let r = (seed >> 33) as i64;
        let credit = r % 3 == 0;
        let amount = if credit {
            r % 500_000 + 1
        } else {
            -(r % 50_000 + 1)
        };
        let fees = if credit { 0 } else { r % 300 };
        balance += amount;
        v.push(Tx {
            reference: format!("TRANSFER-{}", 900_000_000 + i),
            secs: 1_704_067_200 + i as i64 * 60,
            amount,
            fees,
            balance_after: balance,
        });
    }
    (opening, v)
}

fn iso(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

fn json(opening: i64, txs: &[Tx]) -> String {
    let mut s = String::from("{\"transactions\":[");
    for (i, t) in txs.iter().rev().enumerate() {
        if i > 0 {
            s.push(',');
        }
        let kind = if t.amount < 0 { "DEBIT" } else { "CREDIT" };
        write!(
            s,
            r#"{{"type":"{kind}","date":"{}","amount":{{"value":{},"currency":"EUR","zero":false}},"totalFees":{{"value":{},"currency":"EUR","zero":false}},"details":{{"type":"TRANSFER","description":"Sent money to Supplier {i}","recipient":{{"name":"Supplier {i}","bankAccount":"DE89370400440532013000"}},"paymentReference":"INV-{i}"}},"exchangeDetails":null,"runningBalance":{{"value":{},"currency":"EUR","zero":false}},"referenceNumber":"{}","attachment":null,"activityAssetAttributions":[]}}"#,
            iso(t.secs),
            money(t.amount),
            money(t.fees),
            money(t.balance_after),
            t.reference
        )
        .unwrap();
    }
    let close = txs.last().map_or(opening, |t| t.balance_after);
    write!(
        s,
        r#"],"startOfStatementBalance":{{"value":{},"currency":"EUR"}},"endOfStatementBalance":{{"value":{},"currency":"EUR"}},"query":{{"currency":"EUR","profileId":1}}}}"#,
        money(opening),
        money(close)
    )
    .unwrap();
    s
}

fn csv(txs: &[Tx]) -> String {
    let mut s = String::from(
        "\"TransferWise ID\",Date,\"Date Time\",Amount,Currency,Description,\"Payment Reference\",\"Running Balance\",\"Exchange From\",\"Exchange To\",\"Exchange Rate\",\"Payer Name\",\"Payee Name\",\"Payee Account Number\",Merchant,\"Card Last Four Digits\",\"Card Holder Full Name\",Attachment,Note,\"Total fees\",\"Exchange To Amount\",\"Transaction Type\",\"Transaction Details Type\"\n",
    );
    for (i, t) in txs.iter().enumerate().rev() {
        let dt = chrono::DateTime::from_timestamp(t.secs, 0).unwrap();
        let kind = if t.amount < 0 { "DEBIT" } else { "CREDIT" };
        writeln!(
            s,
            "{},{},\"{}\",{},EUR,\"Sent money to Supplier {i}\",INV-{i},{},,,,,\"Supplier {i}\",DE89,,,,,,{},,{kind},TRANSFER",
            t.reference,
            dt.format("%d-%m-%Y"),
            dt.format("%d-%m-%Y %H:%M:%S%.3f"),
            money(t.amount),
            money(t.balance_after),
            money(t.fees)
        )
        .unwrap();
    }
    s
}

fn camt(opening: i64, txs: &[Tx]) -> String {
    let close = txs.last().map_or(opening, |t| t.balance_after);
    let mut s = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>1</MsgId></GrpHdr><Stmt><Id>1</Id><Acct><Ccy>EUR</Ccy><Ownr><Nm>Bench Ltd</Nm></Ownr></Acct><Bal><Tp><CdOrPrtry><Cd>OPBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal><Bal><Tp><CdOrPrtry><Cd>CLBD</Cd></CdOrPrtry></Tp><Amt Ccy="EUR">{}</Amt><CdtDbtInd>CRDT</CdtDbtInd></Bal>"#,
        money(opening),
        money(close)
    );
    for (i, t) in txs.iter().enumerate() {
        let ind = if t.amount < 0 { "DBIT" } else { "CRDT" };
        let party = if t.amount < 0 { "Cdtr" } else { "Dbtr" };
        write!(
            s,
            "\n<Ntry><Amt Ccy=\"EUR\">{}</Amt><CdtDbtInd>{ind}</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><DtTm>{}</DtTm></BookgDt><AcctSvcrRef>{}</AcctSvcrRef><BkTxCd><Prtry><Cd>TRANSFER</Cd></Prtry></BkTxCd><Chrgs><TtlChrgsAndTaxAmt Ccy=\"EUR\">{}</TtlChrgsAndTaxAmt></Chrgs><NtryDtls><TxDtls><RltdPties><{party}><Pty><Nm>Supplier {i}</Nm></Pty></{party}></RltdPties><RmtInf><Ustrd>INV-{i}</Ustrd></RmtInf></TxDtls></NtryDtls><AddtlNtryInf>Sent money to Supplier {i}</AddtlNtryInf></Ntry>",
            money(t.amount.abs()),
            iso(t.secs),
            t.reference,
            money(t.fees)
        )
        .unwrap();
    }
    s.push_str("</Stmt></BkToCstmrStmt></Document>");
    s
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let (opening, txs) = ledger(n);
    for (name, doc) in [
        ("json", json(opening, &txs)),
        ("csv", csv(&txs)),
        ("camt053", camt(opening, &txs)),
    ] {
        let mut best = f64::MAX;
        for _ in 0..3 {
            let t = Instant::now();
            let s = wise::parse_statement(doc.as_bytes()).expect("parses");
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(s.lines.len(), n);
            best = best.min(secs);
        }
        println!(
            "{name:8} {n} lines, {:6.1} MB: best of 3 {:.3} s ({:.0} lines/s)",
            doc.len() as f64 / 1e6,
            best,
            n as f64 / best
        );
    }
}
