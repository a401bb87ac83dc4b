//! Seeded ledgers: per balance, chronological entries whose running balances always satisfy
//! `start + Σ amount = end`.

use chrono::{DateTime, Duration, TimeZone, Utc};
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub reference_number: String,
    pub date: DateTime<Utc>,
    /// Signed, fees included (as Wise books it).
    pub amount: Decimal,
    pub fees: Decimal,
    pub details_type: &'static str,
    pub description: String,
    pub counterparty: Option<String>,
    pub payment_reference: Option<String>,
    pub running_balance: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ledger {
    pub balance_id: i64,
    pub profile_id: i64,
    pub currency: String,
    pub opening: Decimal,
    pub entries: Vec<Entry>,
}

impl Ledger {
    /// A ledger with no entries yet.
    pub fn new(profile_id: i64, balance_id: i64, currency: &str, opening: Decimal) -> Ledger {
        Ledger {
            balance_id,
            profile_id,
            currency: currency.to_owned(),
            opening,
            entries: Vec::new(),
        }
    }

    /// Books `entry` after every entry dated at or before it, and recomputes the running
    /// balances from there on (the given `running_balance` is ignored). Returns the stored entry.
    pub fn insert(&mut self, mut entry: Entry) -> &Entry {
        let at = self.entries.partition_point(|e| e.date <= entry.date);
        entry.running_balance = Decimal::ZERO;
        self.entries.insert(at, entry);
        let mut balance = match at {
            0 => self.opening,
            _ => self.entries[at - 1].running_balance,
        };
        for e in &mut self.entries[at..] {
            balance += e.amount;
            e.running_balance = balance;
        }
        &self.entries[at]
    }

    /// Whether entries are in date order and every running balance is the previous one plus
    /// the entry's amount (starting from `opening`), with non-negative fees.
    pub fn is_consistent(&self) -> bool {
        let mut balance = self.opening;
        let mut previous: Option<DateTime<Utc>> = None;
        for e in &self.entries {
            balance += e.amount;
            if e.running_balance != balance
                || e.fees < Decimal::ZERO
                || previous.is_some_and(|p| p > e.date)
            {
                return false;
            }
            previous = Some(e.date);
        }
        true
    }

    pub fn closing(&self) -> Decimal {
        self.entries
            .last()
            .map_or(self.opening, |e| e.running_balance)
    }

    /// Balance just before `t`.
    pub fn balance_before(&self, t: DateTime<Utc>) -> Decimal {
        self.entries
            .iter()
            .take_while(|e| e.date < t)
            .last()
            .map_or(self.opening, |e| e.running_balance)
    }
}

fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

/// A small studio's EUR or GBP balance: weekly client payments in, supplier transfers, card
/// spend and conversions out, from `start` for `weeks` weeks.
pub fn seed(
    profile_id: i64,
    balance_id: i64,
    currency: &str,
    start: DateTime<Utc>,
    weeks: i64,
    first_transfer_id: i64,
) -> Ledger {
    let opening = cents(100_000);
    let mut balance = opening;
    let mut entries = Vec::new();
    let mut seed: u64 = balance_id as u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as i64
    };
    for w in 0..weeks {
        let day = start + Duration::weeks(w);
        let r = next();
        let (amount, fees, kind, description, counterparty, reference, number) = match w % 4 {
            0 => {
                let a = cents(150_000 + r % 200_000);
                (
                    a,
                    Decimal::ZERO,
                    "DEPOSIT",
                    format!(
                        "Received money from Client {} with reference INV-{w}",
                        w % 7
                    ),
                    Some(format!("Client {}", w % 7)),
                    Some(format!("INV-{w}")),
                    format!("TRANSFER-{}", first_transfer_id + w),
                )
            }
            1 => {
                let fee = cents(100 + r % 400);
                let principal = cents(20_000 + r % 60_000);
                (
                    -(principal + fee),
                    fee,
                    "TRANSFER",
                    format!("Sent money to Supplier {}", w % 5),
                    Some(format!("Supplier {}", w % 5)),
                    Some(format!("BILL-{w}")),
                    format!("TRANSFER-{}", first_transfer_id + w),
                )
            }
            2 => (
                -cents(1_000 + r % 9_000),
                Decimal::ZERO,
                "CARD",
                "Card transaction issued by Example Cloud Inc".to_owned(),
                Some("Example Cloud Inc".to_owned()),
                None,
                format!("CARD-{}", 1_000_000 + w),
            ),
            _ => {
                let fee = cents(50 + r % 200);
                (
                    -(cents(5_000 + r % 10_000) + fee),
                    fee,
                    "CONVERSION",
                    "Converted money to another balance".to_owned(),
                    None,
                    None,
                    format!("BALANCE-{}", 44_000_000 + w),
                )
            }
        };
        balance += amount;
        entries.push(Entry {
            reference_number: number,
            date: day + Duration::milliseconds(r % 86_000_000),
            amount,
            fees,
            details_type: kind,
            description,
            counterparty,
            payment_reference: reference,
            running_balance: balance,
        });
    }
    Ledger {
        balance_id,
        profile_id,
        currency: currency.to_owned(),
        opening,
        entries,
    }
}

pub fn default_start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2023, 1, 2, 0, 0, 0)
        .single()
        .expect("valid date")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_balances_chain() {
        let l = seed(1, 2, "EUR", default_start(), 120, 900_000_000);
        let mut b = l.opening;
        for e in &l.entries {
            b += e.amount;
            assert_eq!(b, e.running_balance);
            assert!(e.fees >= Decimal::ZERO);
        }
        assert_eq!(b, l.closing());
        assert!(l.entries.windows(2).all(|w| w[0].date < w[1].date));
        assert!(l.is_consistent());
    }

    fn entry(reference: &str, date: DateTime<Utc>, cents_amount: i64) -> Entry {
        Entry {
            reference_number: reference.to_owned(),
            date,
            amount: cents(cents_amount),
            fees: Decimal::ZERO,
            details_type: "DEPOSIT",
            description: format!("Received money with reference {reference}"),
            counterparty: Some("Client".to_owned()),
            payment_reference: Some(reference.to_owned()),
            running_balance: cents(-1),
        }
    }

    #[test]
    fn insert_keeps_date_order_and_recomputes_running_balances() {
        let day = default_start();
        let mut l = Ledger::new(1, 2, "USD", cents(10_000));
        assert_eq!(
            l.insert(entry("DEPOSIT-1", day, 500)).running_balance,
            cents(10_500)
        );
        l.insert(entry("DEPOSIT-3", day + Duration::days(2), -200));
        // Booked between the two: the later entry's running balance moves with it.
        let mid = l.insert(entry("DEPOSIT-2", day + Duration::days(1), 1_000));
        assert_eq!(mid.running_balance, cents(11_500));
        let refs: Vec<_> = l
            .entries
            .iter()
            .map(|e| e.reference_number.as_str())
            .collect();
        assert_eq!(refs, ["DEPOSIT-1", "DEPOSIT-2", "DEPOSIT-3"]);
        assert_eq!(l.closing(), cents(11_300));
        assert!(l.is_consistent());
        // Same instant: after the existing one, so earlier statements stay as they were.
        l.insert(entry("DEPOSIT-4", day, 1));
        assert_eq!(l.entries[1].reference_number, "DEPOSIT-4");
        assert!(l.is_consistent());

        l.entries[0].running_balance += cents(1);
        assert!(!l.is_consistent());
    }
}
