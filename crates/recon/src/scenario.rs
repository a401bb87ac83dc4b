//! Generated statements and postings with known truth, for the quality report, the property
//! tests and the benchmark (feature `scenario`).
//!
//! ```
//! use recon::scenario::Scenario;
//! let s = Scenario::studio().with_movements(200).with_seed(7).build();
//! assert!(!s.bank.is_empty() && !s.truth.matches.is_empty());
//! ```
//!
//! A small studio pays vendors by Wise transfer (fees booked separately, in the same posting, or
//! not at all), pays subscriptions by card (identical amounts from several vendors close in
//! time), receives customer payments, pays several bills in one transfer, deposits several
//! customer payments as one QBO Deposit, and suffers the usual breaks: postings that never
//! arrive, postings with no bank line, duplicate postings, unbooked fees and mistyped amounts.
//! Names differ in case and legal suffix between bank and books; postings lag by days or weeks.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rust_decimal::Decimal;

use crate::ids::Ids;
use crate::input::{BankLine, BookEntry, BookEntryKind, Mapping, Options};
use crate::output::{ExceptionKind, MatchStatus, Reconciliation};

/// What the engine should find.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub matches: Vec<TruthGroup>,
    pub exceptions: Vec<(ExceptionKind, TruthGroup)>,
}

/// A set of bank line ids and book ids that belong together (sorted). The ids are shared with
/// the generated lines and postings.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TruthGroup {
    pub bank: Vec<Arc<str>>,
    pub books: Vec<Arc<str>>,
}

impl TruthGroup {
    fn new(mut bank: Vec<Arc<str>>, mut books: Vec<Arc<str>>) -> Self {
        bank.sort();
        books.sort();
        Self { bank, books }
    }
}

/// Generated inputs plus the truth about them.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub bank: Vec<BankLine>,
    pub books: Vec<BookEntry>,
    pub mapping: Mapping,
    pub options: Options,
    pub truth: Truth,
}

/// Rates of each problem, as fractions of the movements they can apply to.
#[derive(Debug, Clone)]
pub struct ScenarioBuilder {
    seed: u64,
    movements: usize,
    /// When set, movements are generated until the statements hold at least this many lines.
    bank_lines: Option<usize>,
    days: i64,
    missing_posting: f64,
    missing_bank_line: f64,
    duplicate_posting: f64,
    unbooked_fee: f64,
    typo: f64,
}

impl Scenario {
    /// A studio with a realistic mix of activity and problems (a few percent each).
    #[must_use]
    pub fn studio() -> ScenarioBuilder {
        ScenarioBuilder {
            seed: 1,
            movements: 2_000,
            bank_lines: None,
            days: 365,
            missing_posting: 0.03,
            missing_bank_line: 0.02,
            duplicate_posting: 0.02,
            unbooked_fee: 0.05,
            typo: 0.02,
        }
    }
}

impl ScenarioBuilder {
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Number of business movements (a movement may be several bank lines or postings).
    #[must_use]
    pub fn with_movements(mut self, n: usize) -> Self {
        self.movements = n;
        self
    }
    /// About `n` bank lines (at least `n`, and at most one movement's lines more): movements
    /// are generated until the statements hold `n` lines. Benchmarks size by this, as the
    /// lines per movement vary with the mix.
    #[must_use]
    pub fn with_bank_lines(mut self, n: usize) -> Self {
        // About 1.18 lines per movement in the studio mix; this only sizes the payee lists.
        self.movements = n * 100 / 118;
        self.bank_lines = Some(n);
        self
    }
    #[must_use]
    pub fn with_days(mut self, days: i64) -> Self {
        self.days = days.max(1);
        self
    }
    #[must_use]
    pub fn with_missing_posting(mut self, rate: f64) -> Self {
        self.missing_posting = rate;
        self
    }
    #[must_use]
    pub fn with_missing_bank_line(mut self, rate: f64) -> Self {
        self.missing_bank_line = rate;
        self
    }
    #[must_use]
    pub fn with_duplicate_posting(mut self, rate: f64) -> Self {
        self.duplicate_posting = rate;
        self
    }
    #[must_use]
    pub fn with_unbooked_fee(mut self, rate: f64) -> Self {
        self.unbooked_fee = rate;
        self
    }
    #[must_use]
    pub fn with_typo(mut self, rate: f64) -> Self {
        self.typo = rate;
        self
    }

    /// Generates the scenario.
    #[must_use]
    pub fn build(self) -> Scenario {
        Generator::new(self).run()
    }
}

const CURRENCIES: [(&str, &str); 3] = [("EUR", "35"), ("GBP", "36"), ("USD", "37")];
const ROOTS: [&str; 24] = [
    "Acme",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Wonka",
    "Hooli",
    "Vandelay",
    "Soylent",
    "Tyrell",
    "Cyberdyne",
    "Oscorp",
    "Gringotts",
    "Monarch",
    "Pied Piper",
    "Dunder",
    "Bluth",
    "Massive",
    "Nakatomi",
    "Sterling",
    "Prestige",
    "Aperture",
    "Black Mesa",
];
const SECOND: [&str; 12] = [
    "Studio",
    "Media",
    "Supplies",
    "Print",
    "Cloud",
    "Logistics",
    "Design",
    "Audio",
    "Labs",
    "Foods",
    "Legal",
    "Rentals",
];
const SUFFIXES: [&str; 8] = ["GmbH", "Ltd", "LLC", "Inc", "BV", "SARL", "", "Ltd."];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // SplitMix64: tiny, fast and good enough for test data.
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    /// Cents spread log-uniformly between `lo` and `hi` major units.
    fn cents(&mut self, lo: f64, hi: f64) -> i64 {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((lo.ln() + u * (hi.ln() - lo.ln())).exp() * 100.0).round() as i64
    }
}

struct Party {
    bank_name: String,
    book_name: String,
}

struct Generator {
    cfg: ScenarioBuilder,
    rng: Rng,
    start: DateTime<Utc>,
    bank: Vec<BankLine>,
    books: Vec<BookEntry>,
    truth: Truth,
    next_ref: u64,
    next_book: u64,
    vendors: Vec<Party>,
    customers: Vec<Party>,
}

impl Generator {
    fn new(cfg: ScenarioBuilder) -> Self {
        let mut rng = Rng(cfg.seed ^ 0x5EED);
        let parties = (cfg.movements / 12).clamp(40, 50_000);
        let make = |rng: &mut Rng, i: usize| {
            let root = ROOTS[i % ROOTS.len()];
            let second = SECOND[(i / ROOTS.len()) % SECOND.len()];
            let number = i / (ROOTS.len() * SECOND.len());
            let base = if number == 0 {
                format!("{root} {second}")
            } else {
                format!("{root} {second} {number}")
            };
            let suffix = SUFFIXES[rng.below(SUFFIXES.len() as u64) as usize];
            let legal = if suffix.is_empty() {
                base.clone()
            } else {
                format!("{base} {suffix}")
            };
            // The bank shows it one way, the books another (case, suffix).
            let bank_name = if rng.chance(0.5) {
                legal.to_uppercase()
            } else {
                legal.clone()
            };
            let book_name = if rng.chance(0.5) { base } else { legal };
            Party {
                bank_name,
                book_name,
            }
        };
        let vendors = (0..parties).map(|i| make(&mut rng, i)).collect();
        let customers = (parties..2 * parties).map(|i| make(&mut rng, i)).collect();
        Self {
            cfg,
            rng,
            start: Utc
                .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
                .single()
                .unwrap_or_default(),
            bank: Vec::new(),
            books: Vec::new(),
            truth: Truth::default(),
            next_ref: 900_000_000,
            next_book: 100,
            vendors,
            customers,
        }
    }

    fn run(mut self) -> Scenario {
        let mut generated = 0;
        while match self.cfg.bank_lines {
            Some(lines) => self.bank.len() < lines,
            None => generated < self.cfg.movements,
        } {
            generated += 1;
            let currency = CURRENCIES[self.rng.below(3) as usize];
            let day = self.rng.range(0, self.cfg.days - 1);
            let roll = self.rng.below(100);
            match roll {
                0..=29 => self.vendor_transfer(currency, day),
                30..=54 => self.card_payment(currency, day),
                55..=74 => self.customer_receipt(currency, day),
                75..=84 => self.subscriptions(currency, day),
                85..=91 => self.bill_run(currency, day),
                _ => self.batch_deposit(currency, day),
            }
        }
        // Postings on an account nobody mapped: accounted for in the summary, not reconciled.
        for i in 0..3 {
            let mut entry = self.book("Purchase", BookEntryKind::Purchase, ("EUR", "99"), 10 + i);
            entry.amount = Decimal::new(-1234, 2);
            self.books.push(entry);
        }
        let end = (self.start + Duration::days(self.cfg.days - 1)).date_naive();
        let mut options = Options::default();
        for (c, _) in CURRENCIES {
            options
                .periods
                .insert(c.to_owned(), (self.start.date_naive(), end));
        }
        self.truth.matches.sort();
        self.truth.exceptions.sort();
        Scenario {
            bank: self.bank,
            books: self.books,
            mapping: Mapping::new(CURRENCIES),
            options,
            truth: self.truth,
        }
    }

    fn when(&mut self, day: i64) -> DateTime<Utc> {
        self.start + Duration::days(day) + Duration::seconds(self.rng.range(6 * 3600, 20 * 3600))
    }

    fn lag(&mut self) -> i64 {
        match self.rng.below(100) {
            0..=54 => self.rng.range(0, 1),
            55..=79 => self.rng.range(2, 7),
            80..=91 => self.rng.range(8, 20),
            92..=95 => self.rng.range(21, 40),
            _ => -self.rng.range(1, 3),
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn bank_line(
        &mut self,
        prefix: &str,
        at: DateTime<Utc>,
        amount_cents: i64,
        fee_cents: i64,
        currency: &str,
        counterparty: &str,
        reference: &str,
        details_type: &str,
    ) -> Arc<str> {
        self.next_ref += 1;
        let id: Arc<str> = format!("{prefix}-{}", self.next_ref).into();
        self.bank.push(BankLine {
            id: Arc::clone(&id),
            booked_at: at,
            amount: Decimal::new(amount_cents, 2),
            fee: Decimal::new(fee_cents, 2),
            currency: currency.to_owned(),
            counterparty: counterparty.to_owned(),
            payment_reference: reference.to_owned(),
            description: format!("{details_type} {counterparty}"),
            details_type: details_type.to_owned(),
        });
        id
    }

    fn book(
        &mut self,
        entity: &str,
        kind: BookEntryKind,
        (currency, account): (&str, &str),
        day: i64,
    ) -> BookEntry {
        self.next_book += 1;
        let date: NaiveDate = (self.start + Duration::days(day)).date_naive();
        BookEntry {
            id: format!("{entity}:{}", self.next_book).into(),
            kind,
            txn_date: date,
            amount: Decimal::ZERO,
            currency: currency.to_owned(),
            bank_account_id: account.to_owned(),
            doc_number: String::new(),
            payment_ref_num: String::new(),
            private_note: String::new(),
            memo: String::new(),
            counterparty: String::new(),
            created_at: Some(self.start + Duration::days(day) + Duration::hours(30)),
            is_bank_charge: false,
        }
    }

    /// Records the postings of one movement, applying the common breaks.
    /// `fee` is the bank-charge posting when the fee is booked separately.
    fn settle(
        &mut self,
        bank_ids: Vec<Arc<str>>,
        mut principal: Vec<BookEntry>,
        fee: Option<BookEntry>,
        kind_if_clean: &str,
    ) {
        let _ = kind_if_clean;
        if self.rng.chance(self.cfg.missing_posting) {
            for b in bank_ids {
                self.truth.exceptions.push((
                    ExceptionKind::MissingInBooks,
                    TruthGroup::new(vec![b], vec![]),
                ));
            }
            return;
        }
        if fee.is_some() && self.rng.chance(self.cfg.unbooked_fee) {
            let ids = principal.iter().map(|e| e.id.clone()).collect();
            self.books.append(&mut principal);
            self.truth
                .exceptions
                .push((ExceptionKind::UnbookedFee, TruthGroup::new(bank_ids, ids)));
            return;
        }
        let mut ids: Vec<Arc<str>> = principal.iter().map(|e| e.id.clone()).collect();
        if let Some(f) = &fee {
            ids.push(f.id.clone());
        }
        if bank_ids.len() == 1
            && principal.len() == 1
            && self.rng.chance(self.cfg.duplicate_posting)
        {
            let mut dup = principal[0].clone();
            self.next_book += 1;
            let entity = dup.id.split(':').next().unwrap_or("Purchase").to_owned();
            dup.id = format!("{entity}:{}", self.next_book).into();
            dup.txn_date += Duration::days(self.rng.range(0, 3));
            ids.push(dup.id.clone());
            self.books.push(dup);
            self.books.append(&mut principal);
            self.books.extend(fee);
            self.truth.exceptions.push((
                ExceptionKind::DuplicatePosting,
                TruthGroup::new(bank_ids, ids),
            ));
            return;
        }
        if bank_ids.len() == 1
            && principal.len() == 1
            && fee.is_none()
            && !principal[0].counterparty.is_empty()
            && self.rng.chance(self.cfg.typo)
        {
            let cents = (principal[0].amount * Decimal::from(100))
                .trunc()
                .to_string()
                .parse::<i64>()
                .unwrap_or(0);
            principal[0].amount = Decimal::new(typo(cents, &mut self.rng), 2);
            self.books.append(&mut principal);
            self.truth.exceptions.push((
                ExceptionKind::AmountMismatch,
                TruthGroup::new(bank_ids, ids),
            ));
            return;
        }
        self.books.append(&mut principal);
        self.books.extend(fee);
        self.truth.matches.push(TruthGroup::new(bank_ids, ids));
    }

    /// A posting with no bank line (e.g. entered twice by hand into the wrong month).
    fn maybe_missing_in_bank(&mut self, currency: (&str, &str), day: i64, cents: i64, name: &str) {
        if !self.rng.chance(self.cfg.missing_bank_line) {
            return;
        }
        let day = (day + self.rng.range(-20, 20)).clamp(0, self.cfg.days - 1);
        let mut entry = self.book("Purchase", BookEntryKind::Purchase, currency, day);
        entry.amount = Decimal::new(-(cents + self.rng.range(1, 500)), 2);
        entry.counterparty = name.to_owned();
        let id = entry.id.clone();
        self.books.push(entry);
        self.truth.exceptions.push((
            ExceptionKind::MissingInBank,
            TruthGroup::new(vec![], vec![id]),
        ));
    }

    fn vendor_transfer(&mut self, currency: (&str, &str), day: i64) {
        let v = self.rng.below(self.vendors.len() as u64) as usize;
        let principal = self.rng.cents(50.0, 20_000.0);
        let fee = self.rng.range(40, 1500);
        let invoice = format!("INV-{}", self.rng.range(1000, 999_999));
        let at = self.when(day);
        let bank_name = self.vendors[v].bank_name.clone();
        let book_name = self.vendors[v].book_name.clone();
        let with_reference = self.rng.chance(0.8);
        let reference = if with_reference {
            invoice.clone()
        } else {
            String::new()
        };
        let id = self.bank_line(
            "TRANSFER",
            at,
            -(principal + fee),
            fee,
            currency.0,
            &bank_name,
            &reference,
            "TRANSFER",
        );
        let lag = self.lag();
        let mut pay = self.book(
            "BillPayment",
            BookEntryKind::BillPayment,
            currency,
            day + lag,
        );
        pay.counterparty = book_name.clone();
        if with_reference {
            pay.doc_number = invoice;
        }
        if self.rng.chance(0.3) {
            // Wise's own QuickBooks app books the fee inside the payment.
            pay.amount = Decimal::new(-(principal + fee), 2);
            pay.private_note = format!("Wise {id}");
            self.settle(vec![id], vec![pay], None, "one_to_one");
        } else {
            pay.amount = Decimal::new(-principal, 2);
            let mut charge = self.book("Purchase", BookEntryKind::Purchase, currency, day + lag);
            charge.amount = Decimal::new(-fee, 2);
            charge.counterparty = "Wise".into();
            charge.is_bank_charge = true;
            if self.rng.chance(0.6) {
                charge.private_note = format!("Wise fee {id}");
            }
            self.settle(vec![id], vec![pay], Some(charge), "fee_split");
        }
        self.maybe_missing_in_bank(currency, day, principal, &book_name);
    }

    fn card_payment(&mut self, currency: (&str, &str), day: i64) {
        let v = self.rng.below(self.vendors.len() as u64) as usize;
        let cents = self.rng.cents(3.0, 3_000.0);
        let at = self.when(day);
        let bank_name = self.vendors[v].bank_name.clone();
        let id = self.bank_line("CARD", at, -cents, 0, currency.0, &bank_name, "", "CARD");
        let lag = self.lag();
        let mut p = self.book("Purchase", BookEntryKind::Purchase, currency, day + lag);
        p.amount = Decimal::new(-cents, 2);
        if self.rng.chance(0.9) {
            p.counterparty = self.vendors[v].book_name.clone();
        }
        self.settle(vec![id], vec![p], None, "one_to_one");
    }

    fn customer_receipt(&mut self, currency: (&str, &str), day: i64) {
        let c = self.rng.below(self.customers.len() as u64) as usize;
        let cents = self.rng.cents(100.0, 30_000.0);
        let invoice = format!("{}-{}", 2024, self.rng.range(100, 99_999));
        let at = self.when(day);
        let bank_name = self.customers[c].bank_name.clone();
        let with_reference = self.rng.chance(0.7);
        let reference = if with_reference {
            invoice.clone()
        } else {
            String::new()
        };
        let id = self.bank_line(
            "TRANSFER", at, cents, 0, currency.0, &bank_name, &reference, "DEPOSIT",
        );
        let lag = self.lag();
        let mut p = self.book("Payment", BookEntryKind::Payment, currency, day + lag);
        p.amount = Decimal::new(cents, 2);
        p.counterparty = self.customers[c].book_name.clone();
        if with_reference {
            p.payment_ref_num = invoice;
        }
        self.settle(vec![id], vec![p], None, "one_to_one");
    }

    /// Identical amounts from several vendors within a few days: a greedy matcher's trap.
    fn subscriptions(&mut self, currency: (&str, &str), day: i64) {
        const PRICES: [i64; 5] = [999, 1999, 2900, 4900, 9900];
        let price = PRICES[self.rng.below(PRICES.len() as u64) as usize];
        let count = self.rng.range(2, 4);
        for _ in 0..count {
            let v = self.rng.below(self.vendors.len() as u64) as usize;
            let d = (day + self.rng.range(0, 3)).min(self.cfg.days - 1);
            let at = self.when(d);
            let bank_name = self.vendors[v].bank_name.clone();
            let id = self.bank_line("CARD", at, -price, 0, currency.0, &bank_name, "", "CARD");
            let lag = self.rng.range(0, 4);
            let mut p = self.book("Purchase", BookEntryKind::Purchase, currency, d + lag);
            p.amount = Decimal::new(-price, 2);
            if self.rng.chance(0.95) {
                p.counterparty = self.vendors[v].book_name.clone();
            }
            self.settle(vec![id], vec![p], None, "one_to_one");
        }
    }

    /// One transfer paying several bills of one vendor (1 : N).
    fn bill_run(&mut self, currency: (&str, &str), day: i64) {
        let v = self.rng.below(self.vendors.len() as u64) as usize;
        let count = self.rng.range(2, 4);
        let bills: Vec<i64> = (0..count).map(|_| self.rng.cents(40.0, 5_000.0)).collect();
        let total: i64 = bills.iter().sum();
        let at = self.when(day);
        let bank_name = self.vendors[v].bank_name.clone();
        let id = self.bank_line(
            "TRANSFER", at, -total, 0, currency.0, &bank_name, "Bills", "TRANSFER",
        );
        let lag = self.rng.range(0, 5);
        let mut postings = Vec::new();
        for cents in bills {
            let mut p = self.book(
                "BillPayment",
                BookEntryKind::BillPayment,
                currency,
                day + lag,
            );
            p.amount = Decimal::new(-cents, 2);
            p.counterparty = self.vendors[v].book_name.clone();
            postings.push(p);
        }
        self.settle(vec![id], postings, None, "one_to_many");
    }

    /// Several customer payments deposited as one QBO Deposit (N : 1).
    fn batch_deposit(&mut self, currency: (&str, &str), day: i64) {
        let count = self.rng.range(2, 4);
        let mut ids = Vec::new();
        let mut total = 0;
        let mut last = day;
        for _ in 0..count {
            let c = self.rng.below(self.customers.len() as u64) as usize;
            let cents = self.rng.cents(50.0, 4_000.0);
            let d = (day + self.rng.range(0, 3)).min(self.cfg.days - 1);
            last = last.max(d);
            let at = self.when(d);
            let bank_name = self.customers[c].bank_name.clone();
            ids.push(self.bank_line(
                "TRANSFER", at, cents, 0, currency.0, &bank_name, "", "DEPOSIT",
            ));
            total += cents;
        }
        let lag = self.rng.range(0, 5);
        let mut deposit = self.book("Deposit", BookEntryKind::Deposit, currency, last + lag);
        deposit.amount = Decimal::new(total, 2);
        deposit.private_note = "Batch deposit".into();
        self.settle(ids, vec![deposit], None, "many_to_one");
    }
}

/// A keying error: two neighbouring digits swapped, or one digit changed.
fn typo(cents: i64, rng: &mut Rng) -> i64 {
    let negative = cents < 0;
    let mut digits: Vec<u8> = cents.unsigned_abs().to_string().into_bytes();
    if digits.len() >= 2 && rng.chance(0.5) {
        let i = rng.below((digits.len() - 1) as u64) as usize;
        if digits[i] != digits[i + 1] {
            digits.swap(i, i + 1);
        } else {
            digits[i] = b'0' + (digits[i] - b'0' + 1) % 10;
        }
    } else {
        let i = rng.below(digits.len() as u64) as usize;
        digits[i] = b'0' + (digits[i] - b'0' + 1 + rng.below(8) as u8) % 10;
    }
    if digits[0] == b'0' {
        digits[0] = b'1';
    }
    let value: i64 = std::str::from_utf8(&digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    if negative { -value } else { value }
}

/// How well a reconciliation agrees with the truth.
#[derive(Debug, Clone, Default)]
pub struct QualityReport {
    pub auto_matches: usize,
    pub auto_correct: usize,
    pub suggested_matches: usize,
    pub suggested_correct: usize,
    pub true_matches: usize,
    pub true_matches_found: usize,
    /// Per kind: (reported, reported and true, true, true and reported).
    pub exceptions: std::collections::BTreeMap<ExceptionKind, (usize, usize, usize, usize)>,
}

impl QualityReport {
    /// Compares `result` with `scenario.truth`. A match counts only if its bank and book sets
    /// are exactly a true group; an exception only if kind, bank set and book set agree.
    #[must_use]
    pub fn measure(scenario: &Scenario, result: &Reconciliation) -> Self {
        use std::cmp::Ordering;
        // A result group is looked up as sorted lists of borrowed ids among the true groups,
        // sorted once: no id is copied (the result of a 1M run is ~1M groups).
        type Key<'a> = (Vec<&'a str>, Vec<&'a str>);
        fn key<'a>(bank: &'a Ids, books: &'a Ids) -> Key<'a> {
            let mut bank: Vec<&str> = bank.iter().collect();
            let mut books: Vec<&str> = books.iter().collect();
            bank.sort_unstable();
            books.sort_unstable();
            (bank, books)
        }
        fn compare(g: &TruthGroup, k: &Key) -> Ordering {
            g.bank
                .iter()
                .map(|id| &**id)
                .cmp(k.0.iter().copied())
                .then_with(|| g.books.iter().map(|id| &**id).cmp(k.1.iter().copied()))
        }
        let mut truth_matches: Vec<&TruthGroup> = scenario.truth.matches.iter().collect();
        truth_matches.sort_unstable();
        truth_matches.dedup();
        let mut truth_exceptions: Vec<(ExceptionKind, &TruthGroup)> = scenario
            .truth
            .exceptions
            .iter()
            .map(|(k, g)| (*k, g))
            .collect();
        truth_exceptions.sort_unstable();
        let mut r = Self {
            true_matches: truth_matches.len(),
            ..Self::default()
        };
        let mut found = vec![false; truth_matches.len()];
        for m in &result.matches {
            let k = key(&m.bank, &m.books);
            let hit = truth_matches.binary_search_by(|g| compare(g, &k)).ok();
            let correct = hit.is_some();
            match m.status {
                MatchStatus::Auto => {
                    r.auto_matches += 1;
                    r.auto_correct += usize::from(correct);
                }
                MatchStatus::Suggested => {
                    r.suggested_matches += 1;
                    r.suggested_correct += usize::from(correct);
                }
            }
            if let Some(i) = hit {
                found[i] = true;
            }
        }
        r.true_matches_found = found.iter().filter(|&&f| f).count();
        drop(found);
        for kind in ExceptionKind::ALL {
            r.exceptions.insert(kind, (0, 0, 0, 0));
        }
        // Every true exception equal to a reported one (kind and sets) is found.
        let mut found = vec![false; truth_exceptions.len()];
        for e in &result.exceptions {
            let k = key(&e.bank, &e.books);
            let entry = r.exceptions.entry(e.kind).or_default();
            entry.0 += 1;
            let cmp =
                |t: &(ExceptionKind, &TruthGroup)| t.0.cmp(&e.kind).then_with(|| compare(t.1, &k));
            let start = truth_exceptions.partition_point(|t| cmp(t) == Ordering::Less);
            let end = truth_exceptions.partition_point(|t| cmp(t) != Ordering::Greater);
            if start < end {
                entry.1 += 1;
                found[start..end].iter_mut().for_each(|f| *f = true);
            }
        }
        for ((k, _), found) in truth_exceptions.iter().zip(&found) {
            let entry = r.exceptions.entry(*k).or_default();
            entry.2 += 1;
            entry.3 += usize::from(*found);
        }
        r
    }

    #[must_use]
    pub fn auto_precision(&self) -> f64 {
        ratio(self.auto_correct, self.auto_matches)
    }
    #[must_use]
    pub fn match_recall(&self) -> f64 {
        ratio(self.true_matches_found, self.true_matches)
    }
    /// Over all kinds.
    #[must_use]
    pub fn exception_precision(&self) -> f64 {
        let (r, c) = self
            .exceptions
            .values()
            .fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
        ratio(c, r)
    }
    #[must_use]
    pub fn exception_recall(&self) -> f64 {
        let (t, f) = self
            .exceptions
            .values()
            .fold((0, 0), |a, v| (a.0 + v.2, a.1 + v.3));
        ratio(f, t)
    }
}

fn ratio(num: usize, den: usize) -> f64 {
    if den == 0 {
        1.0
    } else {
        num as f64 / den as f64
    }
}

impl std::fmt::Display for QualityReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "auto-match precision   {:>7.3} %  ({} of {} auto matches correct)",
            100.0 * self.auto_precision(),
            self.auto_correct,
            self.auto_matches
        )?;
        writeln!(
            f,
            "match recall           {:>7.3} %  ({} of {} true matches found; {} suggested, {} of them correct)",
            100.0 * self.match_recall(),
            self.true_matches_found,
            self.true_matches,
            self.suggested_matches,
            self.suggested_correct
        )?;
        writeln!(
            f,
            "exception recall       {:>7.3} %",
            100.0 * self.exception_recall()
        )?;
        writeln!(
            f,
            "exception precision    {:>7.3} %",
            100.0 * self.exception_precision()
        )?;
        writeln!(
            f,
            "{:<18} {:>9} {:>9} {:>9} {:>9}",
            "kind", "true", "reported", "recall", "precision"
        )?;
        for (kind, (reported, correct, truth, found)) in &self.exceptions {
            writeln!(
                f,
                "{:<18} {:>9} {:>9} {:>8.1}% {:>8.1}%",
                kind.as_str(),
                truth,
                reported,
                100.0 * ratio(*found, *truth),
                100.0 * ratio(*correct, *reported)
            )?;
        }
        Ok(())
    }
}
