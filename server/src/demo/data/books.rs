//! The QuickBooks side of the studio: the postings a busy bookkeeper made for the Wise
//! activity, slips included (as [`super::slips`] plans them), the bills behind the bill
//! payments, and the truth about each slip; [`super::company`] adds the master data. Records
//! reference each other by key (`"@vendor:figma"`); QBO Ids only exist once the seeding step
//! inserts them.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Value, json};

use super::activity::{Activity, Flow, Invoice, Movement, add_days, cents};
use super::cast::{self, Party};
use super::company;
use super::qbo_json::{
    FEE_ACCOUNT, at_hour, bank_key, bank_ref, currency_ref, end_of, exchange_rate, expense_line,
    meta, money, reference,
};
use super::rng::Rng;
use super::slips::{Treatment, plan, typo};
use super::{BankRef, Books, DEMO_REALM_ID, Planted, Problem, Record};

const SEED: u64 = 7_919;

pub(super) fn write(activity: &Activity) -> (Books, Vec<Planted>) {
    let plan = plan(activity);
    let mut w = Writer {
        rng: Rng::new(SEED),
        activity,
        anchor_end: end_of(activity.period.1),
        drafts: Vec::new(),
        truth: Vec::new(),
        invoice_open: activity
            .invoices
            .iter()
            .map(|i| if i.paid { 0 } else { i.cents })
            .collect(),
        bills: Vec::new(),
    };
    w.postings(&plan);
    w.strangers();
    w.open_bills();

    let mut drafts = std::mem::take(&mut w.drafts);
    drafts.sort_by(|a, b| (a.txn_date, a.created, &a.key).cmp(&(b.txn_date, b.created, &b.key)));
    let postings = drafts
        .into_iter()
        .map(|d| {
            let mut value = d.value;
            value["TxnDate"] = json!(d.txn_date.to_string());
            value["MetaData"] = meta(d.created);
            Record {
                key: d.key,
                entity: d.entity,
                value,
            }
        })
        .collect();
    let mut owed: BTreeMap<&str, i64> = BTreeMap::new();
    for b in &w.bills {
        *owed.entry(b.supplier.key).or_default() += b.cents;
    }
    let books = Books {
        realm_id: DEMO_REALM_ID.to_owned(),
        company_name: "Clearline Demo Studio".to_owned(),
        home_currency: "EUR".to_owned(),
        multicurrency: true,
        bank_accounts: ["EUR", "USD", "GBP"]
            .into_iter()
            .map(|c| (c.to_owned(), bank_key(c)))
            .collect(),
        fee_account: FEE_ACCOUNT.to_owned(),
        accounts: company::accounts(activity.period.0),
        customers: company::customers(activity, &w.invoice_open),
        vendors: company::vendors(activity, &owed),
        invoices: company::invoices(activity, &w.invoice_open),
        bills: std::mem::take(&mut w.bills)
            .into_iter()
            .map(|b| b.record)
            .collect(),
        postings,
    };
    let mut truth = std::mem::take(&mut w.truth);
    truth.sort_by(|a, b| (a.problem, &a.bank, &a.postings).cmp(&(b.problem, &b.bank, &b.postings)));
    (books, truth)
}

// ---- postings ------------------------------------------------------------------------------

/// A posting before it is sorted into insertion order.
struct Draft {
    key: String,
    entity: &'static str,
    txn_date: NaiveDate,
    created: DateTime<Utc>,
    value: Value,
}

struct Bill {
    supplier: Party,
    cents: i64,
    record: Record,
}

struct Writer<'a> {
    rng: Rng,
    activity: &'a Activity,
    anchor_end: DateTime<Utc>,
    drafts: Vec<Draft>,
    truth: Vec<Planted>,
    /// Open balance per invoice (index into `activity.invoices`).
    invoice_open: Vec<i64>,
    bills: Vec<Bill>,
}

impl Writer<'_> {
    fn key(&self) -> String {
        format!("posting:{:04}", self.drafts.len() + 1)
    }

    /// When the bookkeeper entered a line booked at `at`: the same day now and then, mostly
    /// one to three days later; never after the anchor day.
    fn created(&mut self, at: DateTime<Utc>) -> DateTime<Utc> {
        let t = if self.rng.chance(20) {
            at + Duration::minutes(self.rng.range(40, 300))
        } else {
            let day = add_days(at.date_naive(), self.rng.range(1, 3));
            at_hour(
                day,
                self.rng.range(8, 17) as u32,
                self.rng.range(0, 59) as u32,
            )
        };
        t.min(self.anchor_end).max(at)
    }

    fn draft(
        &mut self,
        entity: &'static str,
        txn_date: NaiveDate,
        created: DateTime<Utc>,
        value: Value,
    ) -> String {
        let key = self.key();
        self.drafts.push(Draft {
            key: key.clone(),
            entity,
            txn_date,
            created,
            value,
        });
        key
    }

    fn plant(&mut self, problem: Problem, bank: &[&Movement], postings: Vec<String>, note: String) {
        self.truth.push(Planted {
            problem,
            bank: bank
                .iter()
                .map(|m| BankRef {
                    currency: m.currency.to_owned(),
                    reference: m.reference.clone(),
                })
                .collect(),
            postings,
            note,
        });
    }

    fn bank_amount_taken(&self, currency: &str, c: i64) -> bool {
        self.activity
            .movements
            .iter()
            .any(|m| m.currency == currency && m.cents.abs() == c.abs())
    }

    fn postings(&mut self, plan: &[Treatment]) {
        let activity = self.activity;
        let moves = &activity.movements;
        let mut batch: Vec<&Movement> = Vec::new();
        let mut workshop: Vec<&Movement> = Vec::new();
        let mut batch_payments: Vec<String> = Vec::new();
        for (m, &t) in moves.iter().zip(plan) {
            match &m.flow {
                Flow::ClientPayment {
                    batch: true,
                    invoice,
                } => {
                    let key = self.client_payment(m, *invoice, t, true);
                    batch.push(m);
                    batch_payments.push(key);
                }
                Flow::ClientPayment { invoice, .. } => {
                    self.client_payment(m, *invoice, t, false);
                }
                Flow::Workshop => workshop.push(m),
                Flow::SupplierPayment {
                    supplier,
                    invoice,
                    principal,
                } => self.supplier_payment(m, *supplier, invoice, *principal, t),
                Flow::BillRun { supplier, bills } => self.bill_run(m, *supplier, bills),
                Flow::Card { shop } => self.card(m, *shop, t),
                Flow::Conversion { outgoing, .. } => self.conversion_leg(m, *outgoing),
            }
        }
        self.batch_deposit(&batch, &batch_payments);
        self.workshop_deposit(&workshop);
    }

    /// The posting's date and creation time for a clean, late or duplicated movement.
    fn dates(&mut self, m: &Movement, t: Treatment) -> (NaiveDate, DateTime<Utc>) {
        if t == Treatment::Late {
            let day = add_days(m.date(), self.rng.range(20, 23));
            let created = at_hour(day, self.rng.range(8, 17) as u32, 5);
            return (day, created.min(self.anchor_end));
        }
        (m.date(), self.created(m.at))
    }

    /// The posting again, entered a few days later by the reconnected bank feed.
    fn duplicate(&mut self, m: &Movement, original: &str) {
        let Some(d) = self.drafts.iter().find(|d| d.key == original) else {
            return;
        };
        let (entity, txn_date, value) = (d.entity, d.txn_date, d.value.clone());
        let created = d.created + Duration::days(self.rng.range(3, 4));
        let created = created.min(self.anchor_end);
        let copy = self.draft(entity, txn_date, created, value);
        let name = m.party.map_or("", |p| p.name);
        self.plant(
            Problem::DuplicateAfterReconnect,
            &[m],
            vec![original.to_owned(), copy],
            format!(
                "{} ({name}) booked twice after the bank feed was reconnected",
                m.reference
            ),
        );
    }

    /// Books the usual slips' truth for a one-posting movement.
    fn after(&mut self, m: &Movement, t: Treatment, key: &str) {
        let name = m.party.map_or("", |p| p.name);
        match t {
            Treatment::Late => self.plant(
                Problem::LatePosting,
                &[m],
                vec![key.to_owned()],
                format!(
                    "{} ({name}) booked three weeks after the bank line",
                    m.reference
                ),
            ),
            Treatment::Typo => self.plant(
                Problem::AmountTypo,
                &[m],
                vec![key.to_owned()],
                format!("{} ({name}) booked with mistyped digits", m.reference),
            ),
            Treatment::Duplicated => self.duplicate(m, key),
            _ => {}
        }
    }

    fn missing(&mut self, m: &Movement) {
        let name = m.party.map_or("", |p| p.name);
        self.plant(
            Problem::MissingPosting,
            &[m],
            Vec::new(),
            format!("{} ({name}) never booked", m.reference),
        );
    }

    fn client_payment(
        &mut self,
        m: &Movement,
        invoice: usize,
        t: Treatment,
        batch: bool,
    ) -> String {
        let activity = self.activity;
        let inv: &Invoice = &activity.invoices[invoice];
        if t == Treatment::Missing {
            // Nobody booked it: the invoice still looks open in A/R.
            self.invoice_open[invoice] = inv.cents;
            self.missing(m);
            return String::new();
        }
        let (txn_date, created) = self.dates(m, t);
        let mut amount = m.cents;
        if t == Treatment::Typo {
            amount = typo(m.cents, &|v| self.bank_amount_taken(m.currency, v));
        }
        let applied = amount.min(inv.cents);
        self.invoice_open[invoice] = inv.cents - applied;
        let deposit_to = if batch {
            reference("account:undeposited", "Undeposited Funds")
        } else {
            bank_ref(m.currency)
        };
        let value = json!({
            "CustomerRef": reference(&format!("customer:{}", inv.client.key), inv.client.name),
            "DepositToAccountRef": deposit_to,
            "ARAccountRef": reference("account:ar", "Accounts Receivable (A/R)"),
            "TotalAmt": money(amount), "UnappliedAmt": money(amount - applied),
            "ProcessPayment": false, "PaymentRefNum": inv.number,
            "CurrencyRef": currency_ref(m.currency), "ExchangeRate": exchange_rate(m.currency),
            "Line": [{"Amount": money(applied),
                      "LinkedTxn": [{"TxnId": format!("@invoice:{}", inv.number), "TxnType": "Invoice"}]}],
        });
        let key = self.draft("Payment", txn_date, created, value);
        self.after(m, t, &key);
        key
    }

    fn supplier_payment(
        &mut self,
        m: &Movement,
        supplier: usize,
        invoice: &str,
        principal: i64,
        t: Treatment,
    ) {
        let s = &cast::SUPPLIERS[supplier];
        let vendor = reference(&format!("vendor:{}", s.party.key), s.party.name);
        let name = s.party.name;
        match t {
            Treatment::Missing => self.missing(m),
            Treatment::UnbookedFee | Treatment::FeeSplit => {
                let (txn_date, created) = self.dates(m, t);
                let issued = add_days(txn_date, -self.rng.range(9, 20));
                let bill = self.bill(supplier, invoice, principal, issued, 0);
                let payment =
                    self.bill_payment(m, &vendor, invoice, &bill, principal, txn_date, created);
                if t == Treatment::UnbookedFee {
                    self.plant(
                        Problem::UnbookedFee,
                        &[m],
                        vec![payment],
                        format!(
                            "{} ({name}): bill {invoice} paid, Wise fee {} {} not booked",
                            m.reference,
                            cents(m.fee),
                            m.currency
                        ),
                    );
                } else {
                    let fee = self.fee_purchase(m, txn_date, created);
                    self.plant(
                        Problem::FeeSplit,
                        &[m],
                        vec![payment, fee],
                        format!(
                            "{} ({name}): bill {invoice} paid, Wise fee booked to Bank Charges",
                            m.reference
                        ),
                    );
                }
            }
            _ => {
                let (txn_date, created) = self.dates(m, t);
                let booked = if t == Treatment::Typo {
                    typo(principal, &|v| {
                        self.bank_amount_taken(m.currency, v)
                            || self.bank_amount_taken(m.currency, v + m.fee)
                    })
                } else {
                    principal
                };
                let mut value = json!({
                    "PaymentType": "Cash", "AccountRef": bank_ref(m.currency),
                    "EntityRef": {"value": format!("@vendor:{}", s.party.key), "name": name, "type": "Vendor"},
                    "DocNumber": invoice,
                    "CurrencyRef": currency_ref(m.currency), "ExchangeRate": exchange_rate(m.currency),
                    "Line": [expense_line(booked, s.expense, &format!("{} ({invoice})", s.work)),
                             expense_line(m.fee, "bank-charges", "Wise transfer fee")],
                });
                if self.rng.chance(50) {
                    value["PrivateNote"] = json!(format!("Paid by Wise, {}", m.reference));
                }
                let key = self.draft("Purchase", txn_date, created, value);
                self.after(m, t, &key);
            }
        }
    }

    /// A supplier bill (`open` cents still unpaid); returns its key.
    fn bill(
        &mut self,
        supplier: usize,
        number: &str,
        c: i64,
        issued: NaiveDate,
        open: i64,
    ) -> String {
        let s = &cast::SUPPLIERS[supplier];
        let key = format!("bill:{}:{number}", s.party.key);
        let value = json!({
            "VendorRef": reference(&format!("vendor:{}", s.party.key), s.party.name),
            "APAccountRef": reference("account:ap", "Accounts Payable (A/P)"),
            "DocNumber": number, "TxnDate": issued.to_string(), "DueDate": add_days(issued, 14).to_string(),
            "CurrencyRef": currency_ref(s.party.currency), "ExchangeRate": exchange_rate(s.party.currency),
            "Line": [expense_line(c, s.expense, s.work)],
            "Balance": money(open),
            "MetaData": meta(at_hour(issued, 10, 0)),
        });
        self.bills.push(Bill {
            supplier: s.party,
            cents: open,
            record: Record {
                key: key.clone(),
                entity: "Bill",
                value,
            },
        });
        key
    }

    #[allow(clippy::too_many_arguments)]
    fn bill_payment(
        &mut self,
        m: &Movement,
        vendor: &Value,
        number: &str,
        bill: &str,
        c: i64,
        txn_date: NaiveDate,
        created: DateTime<Utc>,
    ) -> String {
        let value = json!({
            "VendorRef": vendor, "PayType": "Check",
            "CheckPayment": {"BankAccountRef": bank_ref(m.currency), "PrintStatus": "NotSet"},
            "APAccountRef": reference("account:ap", "Accounts Payable (A/P)"),
            "TotalAmt": money(c), "DocNumber": number,
            "CurrencyRef": currency_ref(m.currency), "ExchangeRate": exchange_rate(m.currency),
            "Line": [{"Amount": money(c), "LinkedTxn": [{"TxnId": format!("@{bill}"), "TxnType": "Bill"}]}],
        });
        self.draft("BillPayment", txn_date, created, value)
    }

    /// The Wise fee of `m` as a Bank Charges expense, the way Wise's own QBO app books it.
    fn fee_purchase(
        &mut self,
        m: &Movement,
        txn_date: NaiveDate,
        created: DateTime<Utc>,
    ) -> String {
        let note = format!("Wise fee {}", m.reference);
        let value = json!({
            "PaymentType": "Cash", "AccountRef": bank_ref(m.currency), "PrivateNote": note,
            "CurrencyRef": currency_ref(m.currency), "ExchangeRate": exchange_rate(m.currency),
            "Line": [expense_line(m.fee, "bank-charges", "Wise transfer fee")],
        });
        self.draft("Purchase", txn_date, created, value)
    }

    fn bill_run(&mut self, m: &Movement, supplier: usize, bills: &[(String, i64)]) {
        let s = &cast::SUPPLIERS[supplier];
        let vendor = reference(&format!("vendor:{}", s.party.key), s.party.name);
        let txn_date = m.date();
        let created = self.created(m.at);
        let mut keys = Vec::new();
        for (number, c) in bills {
            let issued = add_days(txn_date, -self.rng.range(9, 25));
            let bill = self.bill(supplier, number, *c, issued, 0);
            keys.push(self.bill_payment(m, &vendor, number, &bill, *c, txn_date, created));
        }
        keys.push(self.fee_purchase(m, txn_date, created));
        let numbers: Vec<&str> = bills.iter().map(|b| b.0.as_str()).collect();
        self.plant(
            Problem::OnePaymentManyBills,
            &[m],
            keys,
            format!(
                "{} ({}) pays bills {} in one transfer; each booked as its own bill payment, the fee as a bank charge",
                m.reference,
                s.party.name,
                numbers.join(", ")
            ),
        );
    }

    fn card(&mut self, m: &Movement, shop: usize, t: Treatment) {
        if t == Treatment::Missing {
            self.missing(m);
            return;
        }
        let s = &cast::SHOPS[shop];
        let (mut txn_date, created) = self.dates(m, t);
        if t == Treatment::Clean && self.rng.chance(15) {
            // Receipts dated the day after the card was charged.
            txn_date = add_days(txn_date, 1).min(self.activity.period.1);
        }
        let mut amount = -m.cents;
        if t == Treatment::Typo {
            amount = typo(amount, &|v| self.bank_amount_taken(m.currency, v));
        }
        let value = json!({
            "PaymentType": "Cash", "AccountRef": bank_ref(m.currency),
            "EntityRef": {"value": format!("@vendor:{}", s.party.key), "name": s.party.name, "type": "Vendor"},
            "CurrencyRef": currency_ref(m.currency), "ExchangeRate": exchange_rate(m.currency),
            "Line": [expense_line(amount, s.expense, s.work)],
        });
        let key = self.draft("Purchase", txn_date, created, value);
        self.after(m, t, &key);
    }

    /// Each leg of a conversion is a transfer through a clearing account (QBO's Transfer has
    /// one amount, the legs have two currencies).
    fn conversion_leg(&mut self, m: &Movement, outgoing: bool) {
        let clearing = reference("account:fx-clearing", "Currency Exchange Clearing");
        let (from, to) = if outgoing {
            (bank_ref(m.currency), clearing)
        } else {
            (clearing, bank_ref(m.currency))
        };
        let created = self.created(m.at);
        let value = json!({
            "FromAccountRef": from, "ToAccountRef": to, "Amount": money(m.cents.abs()),
            "PrivateNote": format!("Wise conversion {}", m.reference),
        });
        self.draft("Transfer", m.date(), created, value);
    }

    /// The three batch payments sat in Undeposited Funds until one deposit moved them.
    fn batch_deposit(&mut self, credits: &[&Movement], payments: &[String]) {
        let Some(last) = credits.iter().map(|m| m.date()).max() else {
            return;
        };
        let currency = credits[0].currency;
        let day = add_days(last, 2).min(self.activity.period.1);
        let lines: Vec<Value> = credits
            .iter()
            .zip(payments)
            .map(|(m, p)| {
                json!({"Amount": money(m.cents),
                       "LinkedTxn": [{"TxnId": format!("@{p}"), "TxnType": "Payment", "TxnLineId": "0"}]})
            })
            .collect();
        let value = json!({
            "DepositToAccountRef": bank_ref(currency),
            "CurrencyRef": currency_ref(currency), "ExchangeRate": exchange_rate(currency),
            "PrivateNote": "Deposit of client payments",
            "Line": lines,
        });
        let created = at_hour(day, 16, 30).min(self.anchor_end);
        let key = self.draft("Deposit", day, created, value);
        let names: Vec<&str> = credits
            .iter()
            .filter_map(|m| m.party.map(|p| p.name))
            .collect();
        self.plant(
            Problem::BatchDeposit,
            credits,
            vec![key],
            format!("one deposit for the payments of {}", names.join(", ")),
        );
    }

    /// The workshop instalments, deposited as one with the client on every line.
    fn workshop_deposit(&mut self, credits: &[&Movement]) {
        let Some(last) = credits.iter().map(|m| m.date()).max() else {
            return;
        };
        let client = cast::WORKSHOP_CLIENT;
        let currency = client.currency;
        let day = add_days(last, 1).min(self.activity.period.1);
        let lines: Vec<Value> = credits
            .iter()
            .map(|m| {
                json!({"DetailType": "DepositLineDetail", "Amount": money(m.cents),
                       "Description": "Workshop series instalment",
                       "DepositLineDetail": {
                           "AccountRef": reference("account:income", "Design Income"),
                           "Entity": {"value": format!("@customer:{}", client.key), "name": client.name, "type": "CUSTOMER"}}})
            })
            .collect();
        let value = json!({
            "DepositToAccountRef": bank_ref(currency),
            "CurrencyRef": currency_ref(currency), "ExchangeRate": exchange_rate(currency),
            "PrivateNote": "Workshop series, all instalments",
            "Line": lines,
        });
        let created = at_hour(day, 11, 15).min(self.anchor_end);
        let key = self.draft("Deposit", day, created, value);
        self.plant(
            Problem::BatchDeposit,
            credits,
            vec![key],
            format!(
                "one deposit for {}'s three workshop instalments",
                client.name
            ),
        );
    }

    /// Purchases paid with another bank's card but booked to a Wise account.
    fn strangers(&mut self) {
        let (start, end) = self.activity.period;
        let span = (end - start).num_days();
        for (i, (party, expense, work, c)) in cast::STRANGERS.iter().enumerate() {
            let day = add_days(start, span * (3 + 2 * i as i64) / 10);
            let mut c = *c;
            while self.bank_amount_taken(party.currency, c) {
                c += 1;
            }
            let value = json!({
                "PaymentType": "Cash", "AccountRef": bank_ref(party.currency),
                "EntityRef": {"value": format!("@vendor:{}", party.key), "name": party.name, "type": "Vendor"},
                "CurrencyRef": currency_ref(party.currency), "ExchangeRate": exchange_rate(party.currency),
                "Line": [expense_line(c, expense, work)],
            });
            let created = at_hour(day, 17, 40);
            let key = self.draft("Purchase", day, created, value);
            self.plant(
                Problem::PostingWithoutBankLine,
                &[],
                vec![key],
                format!(
                    "{} {} to {} booked to Wise {}, paid elsewhere",
                    cents(c),
                    party.currency,
                    party.name,
                    party.currency
                ),
            );
        }
    }

    /// Two supplier bills still to pay (A/P).
    fn open_bills(&mut self) {
        let end = self.activity.period.1;
        for (supplier, days_ago, c) in [(cast::HANSEN, 9, 86_450), (9, 26, 64_000)] {
            let s = &cast::SUPPLIERS[supplier];
            let prefix = match s.numbering {
                cast::Numbering::From(p, _) | cast::Numbering::Monthly(p) => p,
            };
            let number = format!("{prefix}{}", 9_000 + days_ago);
            self.bill(supplier, &number, c, add_days(end, -days_ago), c);
        }
    }
}
