//! Bank postings: the effect of each QBO transaction on the mapped bank accounts, signed from
//! the bank account's point of view (money in positive), per quickbooks-api.md §7:
//!
//! | entity | touches the bank when | sign |
//! |---|---|---|
//! | Purchase | `AccountRef` is mapped | out (−), or in (+) when `Credit` (a refund) |
//! | BillPayment | `CheckPayment.BankAccountRef` (or `CreditCardPayment.CCAccountRef`) is mapped | out |
//! | Payment | `DepositToAccountRef` is mapped (not Undeposited Funds: then a Deposit carries it) | in |
//! | SalesReceipt | `DepositToAccountRef` is mapped | in |
//! | Deposit | `DepositToAccountRef` is mapped (including linked Undeposited Funds payments) | in |
//! | Transfer | `FromAccountRef` mapped: out; `ToAccountRef` mapped: in | |
//! | JournalEntry | a line's `AccountRef` is mapped: `Debit` in, `Credit` out (summed per account) | |

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::error::PostingError;
use crate::wire::{Amount, Line, MetaData, QueryResponse, Ref};

/// Which QBO accounts matter.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountSelection {
    /// QBO Ids of the bank accounts mapped to Wise balances.
    pub bank_account_ids: BTreeSet<String>,
    /// QBO Ids of the fee expense accounts ("Bank Charges"). When empty, an expense account
    /// whose name contains "bank charge" (any case) counts.
    pub fee_account_ids: BTreeSet<String>,
}

/// Which QBO entity a posting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntityKind {
    Purchase,
    Deposit,
    BillPayment,
    Payment,
    SalesReceipt,
    Transfer,
    JournalEntry,
}

impl EntityKind {
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Purchase => "Purchase",
            Self::Deposit => "Deposit",
            Self::BillPayment => "BillPayment",
            Self::Payment => "Payment",
            Self::SalesReceipt => "SalesReceipt",
            Self::Transfer => "Transfer",
            Self::JournalEntry => "JournalEntry",
        }
    }
}

/// One QBO transaction's effect on one mapped bank account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankPosting {
    /// `<EntityName>:<Id>`; a Transfer between two mapped accounts yields `Transfer:<Id>/from`
    /// and `Transfer:<Id>/to`, a JournalEntry touching several mapped accounts
    /// `JournalEntry:<Id>/<AccountId>`.
    pub id: String,
    pub entity: EntityKind,
    /// The QBO Id alone.
    pub entity_id: String,
    pub txn_date: NaiveDate,
    /// Signed from the bank account's point of view (negative = money out).
    pub amount: Decimal,
    /// `CurrencyRef.value`; `None` when QBO multicurrency is off.
    pub currency: Option<String>,
    pub bank_account_id: String,
    pub doc_number: String,
    pub payment_ref_num: String,
    pub private_note: String,
    /// Line descriptions, joined with " | ".
    pub memo: String,
    /// Vendor, customer or payee name; empty when none.
    pub counterparty: String,
    /// `MetaData.CreateTime`.
    pub created_at: Option<DateTime<Utc>>,
    /// Every expense line books to a fee account: a Wise fee booked as "Bank Charges".
    pub is_bank_charge: bool,
}

/// Turns one query response into bank postings on the selected accounts, in response order.
/// Transactions that touch no selected account are skipped.
///
/// # Errors
/// The first transaction on a selected account with a missing or malformed `TxnDate`, amount
/// or `MetaData.CreateTime`, naming entity, Id and field.
pub fn bank_postings(
    response: &QueryResponse,
    accounts: &AccountSelection,
) -> Result<Vec<BankPosting>, PostingError> {
    let mut out = Vec::new();
    let mapped = |r: &Option<Ref>| -> Option<String> {
        r.as_ref()
            .filter(|r| accounts.bank_account_ids.contains(&r.value))
            .map(|r| r.value.clone())
    };

    for p in &response.purchase {
        let Some(account) = mapped(&p.account_ref) else {
            continue;
        };
        let mut ctx = Ctx::new(EntityKind::Purchase, &p.id);
        let total = ctx.amount("TotalAmt", p.total_amt)?;
        let signed = if p.credit == Some(true) {
            total
        } else {
            -total
        };
        let is_bank_charge = !p.line.is_empty()
            && p.line.iter().all(|l| {
                l.account_based_expense_line_detail
                    .as_ref()
                    .and_then(|d| d.account_ref.as_ref())
                    .is_some_and(|a| is_fee_account(a, accounts))
            });
        out.push(ctx.posting(
            &account,
            p.txn_date.as_deref(),
            signed,
            Fields {
                currency: &p.currency_ref,
                doc_number: p.doc_number.as_deref(),
                payment_ref_num: None,
                private_note: p.private_note.as_deref(),
                lines: &p.line,
                counterparty: name_of(&p.entity_ref),
                meta: &p.meta_data,
                is_bank_charge,
            },
        )?);
    }

    for d in &response.deposit {
        let Some(account) = mapped(&d.deposit_to_account_ref) else {
            continue;
        };
        let mut ctx = Ctx::new(EntityKind::Deposit, &d.id);
        let total = ctx.amount("TotalAmt", d.total_amt)?;
        // The payer, when every direct line names the same one.
        let payers: BTreeSet<String> = d
            .line
            .iter()
            .filter_map(|l| {
                l.deposit_line_detail
                    .as_ref()?
                    .entity
                    .as_ref()?
                    .name
                    .clone()
            })
            .collect();
        let counterparty = if payers.len() == 1 {
            payers.into_iter().next().unwrap_or_default()
        } else {
            String::new()
        };
        out.push(ctx.posting(
            &account,
            d.txn_date.as_deref(),
            total,
            Fields {
                currency: &d.currency_ref,
                doc_number: d.doc_number.as_deref(),
                payment_ref_num: None,
                private_note: d.private_note.as_deref(),
                lines: &d.line,
                counterparty,
                meta: &d.meta_data,
                is_bank_charge: false,
            },
        )?);
    }

    for b in &response.bill_payment {
        let from_bank = b
            .check_payment
            .as_ref()
            .and_then(|c| mapped(&c.bank_account_ref));
        let from_card = b
            .credit_card_payment
            .as_ref()
            .and_then(|c| mapped(&c.cc_account_ref));
        let Some(account) = from_bank.or(from_card) else {
            continue;
        };
        let mut ctx = Ctx::new(EntityKind::BillPayment, &b.id);
        let total = ctx.amount("TotalAmt", b.total_amt)?;
        out.push(ctx.posting(
            &account,
            b.txn_date.as_deref(),
            -total,
            Fields {
                currency: &b.currency_ref,
                doc_number: b.doc_number.as_deref(),
                payment_ref_num: None,
                private_note: b.private_note.as_deref(),
                lines: &b.line,
                counterparty: name_of(&b.vendor_ref),
                meta: &b.meta_data,
                is_bank_charge: false,
            },
        )?);
    }

    for p in &response.payment {
        // Undeposited Funds (or no account) is not a mapped bank account: skipped here, and
        // counted when the Deposit that links it is.
        let Some(account) = mapped(&p.deposit_to_account_ref) else {
            continue;
        };
        let mut ctx = Ctx::new(EntityKind::Payment, &p.id);
        let total = ctx.amount("TotalAmt", p.total_amt)?;
        out.push(ctx.posting(
            &account,
            p.txn_date.as_deref(),
            total,
            Fields {
                currency: &p.currency_ref,
                doc_number: None,
                payment_ref_num: p.payment_ref_num.as_deref(),
                private_note: p.private_note.as_deref(),
                lines: &p.line,
                counterparty: name_of(&p.customer_ref),
                meta: &p.meta_data,
                is_bank_charge: false,
            },
        )?);
    }

    for r in &response.sales_receipt {
        let Some(account) = mapped(&r.deposit_to_account_ref) else {
            continue;
        };
        let mut ctx = Ctx::new(EntityKind::SalesReceipt, &r.id);
        let total = ctx.amount("TotalAmt", r.total_amt)?;
        out.push(ctx.posting(
            &account,
            r.txn_date.as_deref(),
            total,
            Fields {
                currency: &r.currency_ref,
                doc_number: r.doc_number.as_deref(),
                payment_ref_num: r.payment_ref_num.as_deref(),
                private_note: r.private_note.as_deref(),
                lines: &r.line,
                counterparty: name_of(&r.customer_ref),
                meta: &r.meta_data,
                is_bank_charge: false,
            },
        )?);
    }

    for t in &response.transfer {
        let from = mapped(&t.from_account_ref);
        let to = mapped(&t.to_account_ref);
        let both = from.is_some() && to.is_some();
        for (account, sign, side) in [(from, -1, "from"), (to, 1, "to")] {
            let Some(account) = account else {
                continue;
            };
            let mut ctx = Ctx::new(EntityKind::Transfer, &t.id);
            if both {
                ctx.suffix = Some(side.to_owned());
            }
            let amount = ctx.amount("Amount", t.amount)?;
            out.push(ctx.posting(
                &account,
                t.txn_date.as_deref(),
                amount * Decimal::from(sign),
                Fields {
                    currency: &t.currency_ref,
                    doc_number: None,
                    payment_ref_num: None,
                    private_note: t.private_note.as_deref(),
                    lines: &[],
                    counterparty: String::new(),
                    meta: &t.meta_data,
                    is_bank_charge: false,
                },
            )?);
        }
    }

    for j in &response.journal_entry {
        let mut per_account: BTreeMap<String, (Decimal, String)> = BTreeMap::new();
        for (i, line) in j.line.iter().enumerate() {
            let Some(detail) = &line.journal_entry_line_detail else {
                continue;
            };
            let Some(account) = mapped(&detail.account_ref) else {
                continue;
            };
            let ctx = Ctx::new(EntityKind::JournalEntry, &j.id);
            let amount = ctx.amount("Line.Amount", line.amount)?;
            let sign = match detail.posting_type.as_deref() {
                Some("Debit") => Decimal::ONE,
                Some("Credit") => Decimal::NEGATIVE_ONE,
                other => {
                    return Err(ctx.error(
                        "Line.JournalEntryLineDetail.PostingType",
                        format!("line {i}: expected Debit or Credit, got {other:?}"),
                    ));
                }
            };
            let entry = per_account.entry(account).or_default();
            entry.0 += amount * sign;
            if entry.1.is_empty()
                && let Some(name) = detail
                    .entity
                    .as_ref()
                    .and_then(|e| e.entity_ref.as_ref())
                    .and_then(|r| r.name.clone())
            {
                entry.1 = name;
            }
        }
        let several = per_account.len() > 1;
        for (account, (amount, counterparty)) in per_account {
            let mut ctx = Ctx::new(EntityKind::JournalEntry, &j.id);
            if several {
                ctx.suffix = Some(account.clone());
            }
            out.push(ctx.posting(
                &account,
                j.txn_date.as_deref(),
                amount,
                Fields {
                    currency: &j.currency_ref,
                    doc_number: j.doc_number.as_deref(),
                    payment_ref_num: None,
                    private_note: j.private_note.as_deref(),
                    lines: &j.line,
                    counterparty,
                    meta: &j.meta_data,
                    is_bank_charge: false,
                },
            )?);
        }
    }
    Ok(out)
}

fn is_fee_account(account: &Ref, accounts: &AccountSelection) -> bool {
    if accounts.fee_account_ids.is_empty() {
        account
            .name
            .as_deref()
            .is_some_and(|n| n.to_lowercase().contains("bank charge"))
    } else {
        accounts.fee_account_ids.contains(&account.value)
    }
}

fn name_of(r: &Option<Ref>) -> String {
    r.as_ref().and_then(|r| r.name.clone()).unwrap_or_default()
}

struct Fields<'a> {
    currency: &'a Option<Ref>,
    doc_number: Option<&'a str>,
    payment_ref_num: Option<&'a str>,
    private_note: Option<&'a str>,
    lines: &'a [Line],
    counterparty: String,
    meta: &'a Option<MetaData>,
    is_bank_charge: bool,
}

/// The transaction being converted, for error messages and ids.
struct Ctx<'a> {
    entity: EntityKind,
    id: &'a str,
    suffix: Option<String>,
}

impl<'a> Ctx<'a> {
    fn new(entity: EntityKind, id: &'a str) -> Self {
        Self {
            entity,
            id,
            suffix: None,
        }
    }

    fn error(&self, field: &'static str, problem: String) -> PostingError {
        PostingError {
            entity: self.entity.name(),
            id: self.id.to_owned(),
            field,
            problem,
        }
    }

    fn amount(&self, field: &'static str, a: Option<Amount>) -> Result<Decimal, PostingError> {
        a.map(|a| a.0)
            .ok_or_else(|| self.error(field, "missing".to_owned()))
    }

    fn posting(
        &mut self,
        account: &str,
        txn_date: Option<&str>,
        amount: Decimal,
        f: Fields<'_>,
    ) -> Result<BankPosting, PostingError> {
        let date_text = txn_date.ok_or_else(|| self.error("TxnDate", "missing".to_owned()))?;
        let txn_date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d")
            .map_err(|e| self.error("TxnDate", format!("{date_text:?} is not a date: {e}")))?;
        let created_at = match f.meta.as_ref().and_then(|m| m.create_time.as_deref()) {
            None => None,
            Some(t) => Some(
                DateTime::parse_from_rfc3339(t)
                    .map_err(|e| {
                        self.error(
                            "MetaData.CreateTime",
                            format!("{t:?} is not an RFC 3339 time: {e}"),
                        )
                    })?
                    .with_timezone(&Utc),
            ),
        };
        let memo = f
            .lines
            .iter()
            .filter_map(|l| l.description.as_deref())
            .filter(|d| !d.is_empty())
            .collect::<Vec<_>>()
            .join(" | ");
        let base = format!("{}:{}", self.entity.name(), self.id);
        Ok(BankPosting {
            id: match &self.suffix {
                Some(s) => format!("{base}/{s}"),
                None => base,
            },
            entity: self.entity,
            entity_id: self.id.to_owned(),
            txn_date,
            amount,
            currency: f.currency.as_ref().map(|c| c.value.clone()),
            bank_account_id: account.to_owned(),
            doc_number: f.doc_number.unwrap_or_default().to_owned(),
            payment_ref_num: f.payment_ref_num.unwrap_or_default().to_owned(),
            private_note: f.private_note.unwrap_or_default().to_owned(),
            memo,
            counterparty: f.counterparty,
            created_at,
            is_bank_charge: f.is_bank_charge,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::parse_query_response;

    fn postings(json: &str) -> Result<Vec<BankPosting>, PostingError> {
        let body = parse_query_response(json).unwrap();
        let accounts = AccountSelection {
            bank_account_ids: ["35".to_owned(), "36".to_owned()].into(),
            fee_account_ids: BTreeSet::new(),
        };
        bank_postings(&body.query_response, &accounts)
    }

    fn amounts(p: &[BankPosting]) -> Vec<(String, String)> {
        p.iter()
            .map(|p| (p.id.clone(), p.amount.to_string()))
            .collect()
    }

    #[test]
    fn each_entity_gets_the_bank_side_sign() {
        let p = postings(
            r#"{"QueryResponse": {
              "Purchase": [{"Id": "1", "TxnDate": "2024-03-01", "TotalAmt": 185.0, "PaymentType": "Check", "AccountRef": {"value": "35"},
                            "EntityRef": {"name": "Chin's Gas and Oil"}},
                           {"Id": "2", "TxnDate": "2024-03-01", "TotalAmt": 20, "PaymentType": "CreditCard", "Credit": true, "AccountRef": {"value": "35"}},
                           {"Id": "3", "TxnDate": "2024-03-01", "TotalAmt": 9, "AccountRef": {"value": "99"}}],
              "Deposit": [{"Id": "145", "TxnDate": "2024-03-02", "TotalAmt": 1695.0, "DepositToAccountRef": {"value": "35"},
                           "Line": [{"Amount": 1675, "LinkedTxn": [{"TxnId": "120", "TxnType": "Payment", "TxnLineId": "0"}]},
                                    {"Amount": 20.0, "DetailType": "DepositLineDetail", "DepositLineDetail": {"AccountRef": {"value": "87"}}}]}],
              "BillPayment": [{"Id": "236", "TxnDate": "2024-03-03", "TotalAmt": 200.0, "PayType": "Check", "VendorRef": {"name": "Bob's Burger Joint"},
                               "CheckPayment": {"BankAccountRef": {"value": "35"}}, "PrivateNote": "Acct. 1JK90"}],
              "Payment": [{"Id": "163", "TxnDate": "2024-03-04", "TotalAmt": 65.0, "DepositToAccountRef": {"value": "4"}},
                          {"Id": "164", "TxnDate": "2024-03-04", "TotalAmt": 70.5, "DepositToAccountRef": {"value": "35"}, "PaymentRefNum": "INV-7",
                           "CustomerRef": {"name": "Red Rock Diner"}}],
              "SalesReceipt": [{"Id": "50", "TxnDate": "2024-03-05", "TotalAmt": 10.01, "DepositToAccountRef": {"value": "36"}}],
              "Transfer": [{"Id": "170", "TxnDate": "2024-03-06", "Amount": 120.0, "FromAccountRef": {"value": "35"}, "ToAccountRef": {"value": "36"}},
                           {"Id": "171", "TxnDate": "2024-03-06", "Amount": 5, "FromAccountRef": {"value": "77"}, "ToAccountRef": {"value": "35"}}],
              "JournalEntry": [{"Id": "227", "TxnDate": "2024-03-07", "Line": [
                  {"Amount": 25.54, "DetailType": "JournalEntryLineDetail", "Description": "FX revaluation",
                   "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": "35"}}},
                  {"Amount": 25.54, "DetailType": "JournalEntryLineDetail",
                   "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": "44"}}}]}]
            }}"#,
        )
        .unwrap();
        assert_eq!(
            amounts(&p),
            [
                ("Purchase:1", "-185.0"),
                ("Purchase:2", "20"),
                ("Deposit:145", "1695.0"),
                ("BillPayment:236", "-200.0"),
                ("Payment:164", "70.5"),
                ("SalesReceipt:50", "10.01"),
                ("Transfer:170/from", "-120.0"),
                ("Transfer:170/to", "120.0"),
                ("Transfer:171", "5"),
                ("JournalEntry:227", "-25.54"),
            ]
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
        );
        assert_eq!(p[0].counterparty, "Chin's Gas and Oil");
        assert_eq!(p[4].payment_ref_num, "INV-7");
        assert_eq!(p[5].bank_account_id, "36");
        assert_eq!(p[9].memo, "FX revaluation");
    }

    #[test]
    fn a_payment_to_undeposited_funds_does_not_touch_the_bank() {
        let p = postings(
            r#"{"QueryResponse": {"Payment": [{"Id": "163", "TxnDate": "2024-03-04", "TotalAmt": 65.0,
                 "DepositToAccountRef": {"value": "4", "name": "Undeposited Funds"}},
                 {"Id": "165", "TxnDate": "2024-03-04", "TotalAmt": 65.0}]}}"#,
        )
        .unwrap();
        assert!(p.is_empty());
    }

    #[test]
    fn bad_values_name_entity_id_and_field() {
        let err = postings(
            r#"{"QueryResponse": {"Deposit": [{"Id": "9", "TxnDate": "2024-02-30", "TotalAmt": 1, "DepositToAccountRef": {"value": "35"}}]}}"#,
        )
        .unwrap_err();
        assert_eq!(
            (err.entity, err.id.as_str(), err.field),
            ("Deposit", "9", "TxnDate")
        );
        let err = postings(
            r#"{"QueryResponse": {"BillPayment": [{"Id": "3", "TxnDate": "2024-02-01", "CheckPayment": {"BankAccountRef": {"value": "35"}}}]}}"#,
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "BillPayment 3: TotalAmt: missing");
    }

    #[test]
    fn create_time_becomes_utc() {
        let p = postings(
            r#"{"QueryResponse": {"Purchase": [{"Id": "1", "TxnDate": "2024-03-01", "TotalAmt": 1, "AccountRef": {"value": "35"},
                 "MetaData": {"CreateTime": "2014-10-03T14:17:55-07:00"}}]}}"#,
        )
        .unwrap();
        assert_eq!(
            p[0].created_at.map(|t| t.to_rfc3339()),
            Some("2014-10-03T21:17:55+00:00".to_owned())
        );
        assert!(!p[0].is_bank_charge);
    }
}
