//! The Wise side of the studio: every movement on the three balances over the period, with
//! Wise's reference numbers, in booking order, and the client invoices the credits pay.
//!
//! Random amounts are unique per currency (a collision would be a coincidence the engine is
//! right to doubt, and the demo must tell the same story for every anchor date); only the
//! deliberate repeats stay: subscriptions, rent and the bookkeeper's monthly fee.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone, Utc, Weekday};
use rust_decimal::Decimal;
use wise::emulator::ledger::Entry;

use super::cast::{self, Numbering, Party, ReferenceStyle};
use super::rng::Rng;

/// What a movement is, as far as the books care.
#[derive(Debug, Clone)]
pub(super) enum Flow {
    /// A client pays an invoice; `batch`: the bookkeeper deposits it with others.
    ClientPayment {
        invoice: usize,
        batch: bool,
    },
    /// An instalment of the workshop series, deposited as one (same payer).
    Workshop,
    /// The studio pays one supplier invoice.
    SupplierPayment {
        supplier: usize,
        invoice: String,
        principal: i64,
    },
    /// One transfer for several invoices of one supplier.
    BillRun {
        supplier: usize,
        bills: Vec<(String, i64)>,
    },
    Card {
        shop: usize,
    },
    /// One leg of a conversion between two balances (both legs share the reference).
    Conversion {
        outgoing: bool,
        other_currency: &'static str,
        other_cents: i64,
    },
}

#[derive(Debug, Clone)]
pub(super) struct Movement {
    pub at: DateTime<Utc>,
    pub currency: &'static str,
    /// Signed, the Wise fee included (as Wise books it).
    pub cents: i64,
    pub fee: i64,
    /// Wise `referenceNumber`.
    pub reference: String,
    pub party: Option<Party>,
    pub payment_reference: Option<String>,
    pub flow: Flow,
    /// Conversion legs share it, so they share a reference number.
    pair: Option<u32>,
}

impl Movement {
    pub fn date(&self) -> NaiveDate {
        self.at.date_naive()
    }

    fn details_type(&self) -> &'static str {
        match self.flow {
            Flow::ClientPayment { .. } | Flow::Workshop => "DEPOSIT",
            Flow::SupplierPayment { .. } | Flow::BillRun { .. } => "TRANSFER",
            Flow::Card { .. } => "CARD",
            Flow::Conversion { .. } => "CONVERSION",
        }
    }

    fn description(&self) -> String {
        let name = self.party.map_or("", |p| p.bank_name);
        match &self.flow {
            Flow::ClientPayment { .. } | Flow::Workshop => match &self.payment_reference {
                Some(r) => format!("Received money from {name} with reference {r}"),
                None => format!("Received money from {name}"),
            },
            Flow::SupplierPayment { .. } | Flow::BillRun { .. } => format!("Sent money to {name}"),
            Flow::Card { .. } => format!(
                "Card transaction of {} {} issued by {name}",
                cents(-self.cents),
                self.currency
            ),
            Flow::Conversion {
                outgoing,
                other_currency,
                other_cents,
            } => {
                let (mine, theirs) = (cents(self.cents.abs()), cents(*other_cents));
                if *outgoing {
                    format!(
                        "Converted {mine} {} to {theirs} {other_currency}",
                        self.currency
                    )
                } else {
                    format!(
                        "Converted {theirs} {other_currency} to {mine} {}",
                        self.currency
                    )
                }
            }
        }
    }

    /// The statement line Wise shows (running balance filled in by the ledger).
    pub fn entry(&self) -> Entry {
        Entry {
            reference_number: self.reference.clone(),
            date: self.at,
            amount: cents(self.cents),
            fees: cents(self.fee),
            details_type: self.details_type(),
            description: self.description(),
            counterparty: self.party.map(|p| p.bank_name.to_owned()),
            payment_reference: self.payment_reference.clone(),
            running_balance: Decimal::ZERO,
        }
    }
}

/// A client invoice (paid by a credit, or still open at the anchor date).
#[derive(Debug, Clone)]
pub(super) struct Invoice {
    pub number: String,
    pub client: Party,
    pub work: &'static str,
    pub issued: NaiveDate,
    pub due: NaiveDate,
    pub cents: i64,
    /// Paid by a Wise credit (whether the books know is the books' business).
    pub paid: bool,
}

pub(super) struct Activity {
    pub period: (NaiveDate, NaiveDate),
    /// Booking order; conversion legs adjacent, outgoing first.
    pub movements: Vec<Movement>,
    /// Issue order.
    pub invoices: Vec<Invoice>,
}

pub(super) fn cents(c: i64) -> Decimal {
    Decimal::new(c, 2)
}

/// The first day of the six months that end on `anchor` (inclusive).
pub(super) fn period_start(anchor: NaiveDate) -> NaiveDate {
    anchor
        .checked_sub_months(Months::new(6))
        .and_then(|d| d.checked_add_days(Days::new(1)))
        .unwrap_or(anchor)
}

pub(super) fn add_days(d: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        d.checked_add_days(Days::new(n.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(n.unsigned_abs()))
    }
    .unwrap_or(d)
}

/// Transfers and credits land on working days; inside `[first, last]` when possible.
fn business_day(d: NaiveDate, last: NaiveDate) -> NaiveDate {
    let forward = match d.weekday() {
        Weekday::Sat => add_days(d, 2),
        Weekday::Sun => add_days(d, 1),
        _ => return d,
    };
    if forward <= last {
        forward
    } else {
        // Back to Friday.
        add_days(d, if d.weekday() == Weekday::Sat { -1 } else { -2 })
    }
}

/// Amounts already used per currency (absolute cents).
#[derive(Default)]
struct Amounts(BTreeMap<&'static str, BTreeSet<i64>>);

impl Amounts {
    fn taken(&self, currency: &str, c: i64) -> bool {
        self.0.get(currency).is_some_and(|s| s.contains(&c.abs()))
    }

    fn reserve(&mut self, currency: &'static str, c: i64) {
        self.0.entry(currency).or_default().insert(c.abs());
    }

    /// `c`, or the next free amount up, such that `c + extra` is free too; both reserved.
    fn fresh(&mut self, currency: &'static str, mut c: i64, extra: i64) -> i64 {
        while self.taken(currency, c) || (extra != 0 && self.taken(currency, c + extra)) {
            c += 1;
        }
        self.reserve(currency, c);
        if extra != 0 {
            self.reserve(currency, c + extra);
        }
        c
    }
}

/// The seed is fixed: every anchor tells the same story, shifted in time.
const SEED: u64 = 2_025;

struct Generator {
    rng: Rng,
    anchor: NaiveDate,
    amounts: Amounts,
    movements: Vec<Movement>,
    invoices: Vec<Invoice>,
    /// Next invoice number per supplier (`Numbering::From`).
    supplier_numbers: Vec<i64>,
    pairs: u32,
}

pub(super) fn generate(anchor: NaiveDate) -> Activity {
    let start = period_start(anchor);
    let mut g = Generator {
        rng: Rng::new(SEED),
        anchor,
        amounts: Amounts::default(),
        movements: Vec::new(),
        invoices: Vec::new(),
        supplier_numbers: cast::SUPPLIERS
            .iter()
            .map(|s| match s.numbering {
                Numbering::From(_, n) => n,
                Numbering::Monthly(_) => 0,
            })
            .collect(),
        pairs: 0,
    };
    g.reserve_fixed_prices();
    for w in 0..6 {
        let first = start.checked_add_months(Months::new(w)).unwrap_or(start);
        let last = start
            .checked_add_months(Months::new(w + 1))
            .map_or(anchor, |d| add_days(d, -1))
            .min(anchor);
        g.clients(first, last);
        g.suppliers(first, last);
        g.shops(first, last);
        g.conversions(w, first, last);
        match w {
            2 => g.batch_of_client_payments(first, last),
            3 => {
                g.workshop_instalments(first, last);
                g.bill_run(
                    cast::HANSEN,
                    3,
                    add_days(first, 15),
                    last,
                    "Sammelzahlung Druckaufträge",
                );
            }
            4 => {
                let month = first.format("%B").to_string();
                g.bill_run(
                    cast::PRESSMARK,
                    2,
                    add_days(first, 16),
                    last,
                    &format!("Invoices {month}"),
                );
            }
            _ => {}
        }
    }
    g.open_invoices();
    g.finish(start)
}

impl Generator {
    fn reserve_fixed_prices(&mut self) {
        for shop in cast::SHOPS.iter().filter(|s| s.day.is_some()) {
            self.amounts.reserve(shop.party.currency, shop.cents.0);
        }
        for s in cast::SUPPLIERS.iter().filter(|s| s.day.is_some()) {
            let c = s.party.currency;
            self.amounts.reserve(c, s.cents.0);
            self.amounts.reserve(c, s.fee.0);
            self.amounts.reserve(c, s.cents.0 + s.fee.0);
        }
    }

    fn random_day(&mut self, first: NaiveDate, last: NaiveDate) -> NaiveDate {
        let span = (last - first).num_days();
        add_days(first, self.rng.range(0, span))
    }

    /// A time of day on `d` within `hours` (inclusive), to the millisecond.
    fn at(&mut self, d: NaiveDate, hours: (i64, i64)) -> DateTime<Utc> {
        let h = self.rng.range(hours.0, hours.1) as u32;
        let m = self.rng.range(0, 59) as u32;
        let s = self.rng.range(0, 59) as u32;
        let ms = self.rng.range(0, 999) as u32;
        let t = d.and_hms_milli_opt(h, m, s, ms).unwrap_or_default();
        Utc.from_utc_datetime(&t)
    }

    fn push(&mut self, m: Movement) {
        self.movements.push(m);
    }

    fn invoice(&mut self, client: Party, work: &'static str, paid_on: NaiveDate, c: i64) -> usize {
        let issued = add_days(paid_on, -self.rng.range(12, 40));
        self.invoices.push(Invoice {
            number: String::new(),
            client,
            work,
            issued,
            due: add_days(issued, 30),
            cents: c,
            paid: true,
        });
        self.invoices.len() - 1
    }

    fn client_payment(&mut self, client: usize, day: NaiveDate, batch: bool) {
        let cl = &cast::CLIENTS[client];
        let at = self.at(day, (7, 17));
        let drawn = self.rng.range(cl.cents.0, cl.cents.1);
        let c = self.amounts.fresh(cl.party.currency, drawn, 0);
        let invoice = self.invoice(cl.party, cl.work, day, c);
        self.push(Movement {
            at,
            currency: cl.party.currency,
            cents: c,
            fee: 0,
            reference: String::new(),
            party: Some(cl.party),
            payment_reference: None,
            flow: Flow::ClientPayment { invoice, batch },
            pair: None,
        });
    }

    fn clients(&mut self, first: NaiveDate, last: NaiveDate) {
        for (i, cl) in cast::CLIENTS.iter().enumerate() {
            let n = self.rng.range(cl.per_month.0, cl.per_month.1);
            for _ in 0..n {
                let day = self.random_day(first, last);
                self.client_payment(i, business_day(day, last), false);
            }
        }
    }

    fn supplier_invoice(&mut self, supplier: usize, day: NaiveDate) -> String {
        match cast::SUPPLIERS[supplier].numbering {
            Numbering::Monthly(prefix) => format!("{prefix}{}-{:02}", day.year(), day.month()),
            Numbering::From(prefix, _) => {
                let n = self.supplier_numbers[supplier];
                self.supplier_numbers[supplier] += self.rng.range(1, 9);
                format!("{prefix}{n}")
            }
        }
    }

    fn suppliers(&mut self, first: NaiveDate, last: NaiveDate) {
        for (i, s) in cast::SUPPLIERS.iter().enumerate() {
            let n = self.rng.range(s.per_month.0, s.per_month.1);
            for _ in 0..n {
                let day = match s.day {
                    Some(d) => add_days(first, d - 1).min(last),
                    None => self.random_day(first, last),
                };
                let day = business_day(day, last);
                let at = self.at(day, (8, 16));
                let c = s.party.currency;
                let (principal, fee) = if s.day.is_some() {
                    (s.cents.0, s.fee.0)
                } else {
                    let drawn = self.rng.range(s.fee.0, s.fee.1);
                    let fee = self.amounts.fresh(c, drawn, 0);
                    let drawn = self.rng.range(s.cents.0, s.cents.1);
                    (self.amounts.fresh(c, drawn, fee), fee)
                };
                let invoice = self.supplier_invoice(i, day);
                self.push(Movement {
                    at,
                    currency: c,
                    cents: -(principal + fee),
                    fee,
                    reference: String::new(),
                    party: Some(s.party),
                    payment_reference: Some(invoice.clone()),
                    flow: Flow::SupplierPayment {
                        supplier: i,
                        invoice,
                        principal,
                    },
                    pair: None,
                });
            }
        }
    }

    fn shops(&mut self, first: NaiveDate, last: NaiveDate) {
        for (i, shop) in cast::SHOPS.iter().enumerate() {
            let n = self.rng.range(shop.per_month.0, shop.per_month.1);
            for _ in 0..n {
                let (day, c) = match shop.day {
                    Some(d) => (add_days(first, d - 1).min(last), shop.cents.0),
                    None => {
                        let day = self.random_day(first, last);
                        let drawn = self.rng.range(shop.cents.0, shop.cents.1);
                        (day, self.amounts.fresh(shop.party.currency, drawn, 0))
                    }
                };
                let at = self.at(day, (6, 22));
                self.push(Movement {
                    at,
                    currency: shop.party.currency,
                    cents: -c,
                    fee: 0,
                    reference: String::new(),
                    party: Some(shop.party),
                    payment_reference: None,
                    flow: Flow::Card { shop: i },
                    pair: None,
                });
            }
        }
    }

    /// USD earnings go home to EUR every month; GBP is topped up from EUR every other month.
    fn conversions(&mut self, w: u32, first: NaiveDate, last: NaiveDate) {
        let (source, rate) = (
            self.rng.range(30, 45) * 10_000,
            self.rng.range(9_050, 9_320),
        );
        self.conversion(
            business_day(add_days(first, 18).min(last), last),
            ("USD", source),
            ("EUR", rate),
        );
        if w.is_multiple_of(2) {
            let (source, rate) = (
                self.rng.range(12, 22) * 10_000,
                self.rng.range(8_350, 8_650),
            );
            self.conversion(
                business_day(add_days(first, 7).min(last), last),
                ("EUR", source),
                ("GBP", rate),
            );
        }
    }

    /// `rate` in ten-thousandths of the target per source unit.
    fn conversion(
        &mut self,
        day: NaiveDate,
        (from, source): (&'static str, i64),
        (to, rate): (&'static str, i64),
    ) {
        let at = self.at(day, (9, 15));
        // Wise's conversion fee: about 0.4 % plus a few cents.
        let fee = self.amounts.fresh(from, source * 41 / 10_000 + 17, 0);
        let source = self.amounts.fresh(from, source, 0);
        let target = self
            .amounts
            .fresh(to, ((source - fee) * rate + 5_000) / 10_000, 0);
        self.pairs += 1;
        let pair = Some(self.pairs);
        for (currency, c, fee, other_currency, other_cents, outgoing) in [
            (from, -source, fee, to, target, true),
            (to, target, 0, from, source, false),
        ] {
            self.push(Movement {
                at,
                currency,
                cents: c,
                fee,
                reference: String::new(),
                party: None,
                payment_reference: None,
                flow: Flow::Conversion {
                    outgoing,
                    other_currency,
                    other_cents,
                },
                pair,
            });
        }
    }

    /// Three clients pay within a few days; the bookkeeper deposits them together (EUR).
    fn batch_of_client_payments(&mut self, first: NaiveDate, last: NaiveDate) {
        let start = self.movements.len();
        for (client, day) in [(1, 9), (3, 11), (4, 13)] {
            let day = business_day(add_days(first, day).min(last), last);
            self.client_payment(client, day, true);
        }
        self.make_total_free(start);
    }

    /// Bumps the last movement from `start` until the group's total is an unused amount, so a
    /// lone bank line can never be mistaken for the whole group.
    fn make_total_free(&mut self, start: usize) {
        let currency = self.movements[start].currency;
        loop {
            let total: i64 = self.movements[start..].iter().map(|m| m.cents).sum();
            if !self.amounts.taken(currency, total) {
                self.amounts.reserve(currency, total);
                return;
            }
            let last = self.movements.len() - 1;
            let m = &mut self.movements[last];
            m.cents += 1;
            if let Flow::ClientPayment { invoice, .. } = m.flow {
                self.invoices[invoice].cents = m.cents;
            }
            self.amounts.reserve(currency, m.cents);
        }
    }

    /// Thistle & Rye pay a workshop series in three instalments (GBP), deposited as one.
    fn workshop_instalments(&mut self, first: NaiveDate, last: NaiveDate) {
        let start = self.movements.len();
        for (day, c) in [(3, 64_000), (6, 68_000), (9, 72_000)] {
            let day = business_day(add_days(first, day).min(last), last);
            let at = self.at(day, (8, 16));
            let c = self.amounts.fresh("GBP", c, 0);
            self.push(Movement {
                at,
                currency: "GBP",
                cents: c,
                fee: 0,
                reference: String::new(),
                party: Some(cast::WORKSHOP_CLIENT),
                payment_reference: Some("Workshop instalment".to_owned()),
                flow: Flow::Workshop,
                pair: None,
            });
        }
        self.make_total_free(start);
    }

    /// One transfer paying `n` invoices of one supplier; the reference names none of them.
    fn bill_run(
        &mut self,
        supplier: usize,
        n: usize,
        day: NaiveDate,
        last: NaiveDate,
        reference: &str,
    ) {
        let s = &cast::SUPPLIERS[supplier];
        let c = s.party.currency;
        let day = business_day(day.min(last), last);
        let at = self.at(day, (9, 15));
        let drawn = self.rng.range(s.fee.0, s.fee.1);
        let fee = self.amounts.fresh(c, drawn, 0);
        let mut bills = Vec::with_capacity(n);
        for _ in 0..n {
            let drawn = self.rng.range(s.cents.0, s.cents.1 / 2);
            let amount = self.amounts.fresh(c, drawn, 0);
            let number = self.supplier_invoice(supplier, day);
            bills.push((number, amount));
        }
        // The principal and the bank total must be free amounts too.
        loop {
            let principal: i64 = bills.iter().map(|b| b.1).sum();
            if !self.amounts.taken(c, principal) && !self.amounts.taken(c, principal + fee) {
                self.amounts.reserve(c, principal);
                self.amounts.reserve(c, principal + fee);
                break;
            }
            if let Some(b) = bills.last_mut() {
                b.1 += 1;
                self.amounts.reserve(c, b.1);
            }
        }
        let principal: i64 = bills.iter().map(|b| b.1).sum();
        self.push(Movement {
            at,
            currency: c,
            cents: -(principal + fee),
            fee,
            reference: String::new(),
            party: Some(s.party),
            payment_reference: Some(reference.to_owned()),
            flow: Flow::BillRun { supplier, bills },
            pair: None,
        });
    }

    /// Invoices still open at the anchor date: current, and 1–30 … 90+ days overdue.
    fn open_invoices(&mut self) {
        for (client, issued_days_ago) in [
            (0, 6),
            (6, 15),
            (9, 28),
            (1, 41),
            (7, 52),
            (3, 77),
            (10, 105),
            (5, 130),
        ] {
            let cl = &cast::CLIENTS[client];
            let issued = add_days(self.anchor, -issued_days_ago);
            let c = self.rng.range(cl.cents.0, cl.cents.1);
            self.invoices.push(Invoice {
                number: String::new(),
                client: cl.party,
                work: cl.work,
                issued,
                due: add_days(issued, 30),
                cents: c,
                paid: false,
            });
        }
    }

    /// Numbers invoices in issue order, writes the clients' payment references, sorts the
    /// movements into booking order and gives them Wise's reference numbers.
    fn finish(mut self, start: NaiveDate) -> Activity {
        let mut order: Vec<usize> = (0..self.invoices.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&self.invoices[a], &self.invoices[b]);
            (x.issued, x.client.key, x.cents).cmp(&(y.issued, y.client.key, y.cents))
        });
        for (n, &i) in order.iter().enumerate() {
            self.invoices[i].number = format!("INV-{}", 20_401 + n);
        }
        for m in &mut self.movements {
            if let Flow::ClientPayment { invoice, .. } = m.flow {
                let number = &self.invoices[invoice].number;
                let digits = number.trim_start_matches("INV-");
                let style = cast::CLIENTS
                    .iter()
                    .find(|c| Some(c.party.key) == m.party.map(|p| p.key))
                    .map_or(ReferenceStyle::Exact, |c| c.style);
                m.payment_reference = match style {
                    ReferenceStyle::Exact => Some(number.clone()),
                    ReferenceStyle::Worded(words) => Some(format!("{words}{digits}")),
                    ReferenceStyle::Missing => None,
                };
            }
        }
        // Stable: equal times keep generation order (a conversion's outgoing leg first).
        self.movements.sort_by_key(|m| m.at);
        let mut next: BTreeMap<&str, i64> = BTreeMap::from([
            ("TRANSFER", 1_204_318_772),
            ("DEPOSIT", 53_107_215),
            ("CARD", 2_880_412_093),
            ("BALANCE", 88_402_610),
        ]);
        let mut numbered_pairs: BTreeMap<u32, String> = BTreeMap::new();
        for m in &mut self.movements {
            if let Some(r) = m.pair.and_then(|p| numbered_pairs.get(&p)) {
                m.reference = r.clone();
                continue;
            }
            let prefix = match m.flow {
                Flow::ClientPayment { .. } | Flow::Workshop => "DEPOSIT",
                Flow::SupplierPayment { .. } | Flow::BillRun { .. } => "TRANSFER",
                Flow::Card { .. } => "CARD",
                Flow::Conversion { .. } => "BALANCE",
            };
            let n = next.entry(prefix).or_default();
            *n += self.rng.range(1_000, 90_000);
            m.reference = format!("{prefix}-{n}");
            if let Some(p) = m.pair {
                numbered_pairs.insert(p, m.reference.clone());
            }
        }
        Activity {
            period: (start, self.anchor),
            movements: self.movements,
            invoices: self.invoices,
        }
    }
}
