//! The engine's normalized inputs: bank lines (from Wise statements), book entries (QBO postings
//! on a bank account), the currency → account mapping and the tolerances.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::InputError;

/// One movement on a Wise balance, as the statement shows it (COMPACT: fees inside `amount`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLine {
    /// Wise `referenceNumber`; a repeat inside one statement carries `#2`, `#3` (by date).
    /// Shared, not copied, by the decisions that name the line (`"TRANSFER-1".into()` makes
    /// one).
    pub id: Arc<str>,
    /// When Wise booked it (`date`), in UTC.
    pub booked_at: DateTime<Utc>,
    /// Signed amount on the balance (negative = money out), fees already included.
    pub amount: Decimal,
    /// `totalFees`: the non-negative fee part already inside `amount`.
    pub fee: Decimal,
    /// ISO 4217 currency of the balance.
    pub currency: String,
    /// Recipient, sender or merchant name; empty when Wise gives none.
    pub counterparty: String,
    /// `details.paymentReference`; empty when absent.
    pub payment_reference: String,
    /// `details.description`.
    pub description: String,
    /// `details.type` as Wise sends it (`TRANSFER`, `CARD`, `DEPOSIT`, …, or a newer value).
    pub details_type: String,
}

/// Which QBO entity a book entry came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookEntryKind {
    Purchase,
    Deposit,
    BillPayment,
    Payment,
    SalesReceipt,
    Transfer,
    JournalEntry,
    Other,
}

impl BookEntryKind {
    /// The QBO entity name, as used in book ids (`Purchase:237`).
    #[must_use]
    pub fn entity_name(self) -> &'static str {
        match self {
            Self::Purchase => "Purchase",
            Self::Deposit => "Deposit",
            Self::BillPayment => "BillPayment",
            Self::Payment => "Payment",
            Self::SalesReceipt => "SalesReceipt",
            Self::Transfer => "Transfer",
            Self::JournalEntry => "JournalEntry",
            Self::Other => "Other",
        }
    }
}

/// One posting in the books that touches a mapped bank account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BookEntry {
    /// `<EntityName>:<Id>`, e.g. `BillPayment:236`. Shared, not copied, by the decisions
    /// that name the posting.
    pub id: Arc<str>,
    pub kind: BookEntryKind,
    /// QBO `TxnDate` (company-local date).
    pub txn_date: NaiveDate,
    /// Signed from the bank account's point of view (negative = money out).
    pub amount: Decimal,
    pub currency: String,
    /// QBO Id of the bank account the posting touches.
    pub bank_account_id: String,
    pub doc_number: String,
    pub payment_ref_num: String,
    pub private_note: String,
    /// Line descriptions and other free text worth searching for references.
    pub memo: String,
    /// Vendor, customer or payee name; empty when QBO has none.
    pub counterparty: String,
    /// QBO `MetaData.CreateTime`, when known.
    pub created_at: Option<DateTime<Utc>>,
    /// True when the posting books a bank charge (a Wise fee booked as "Bank Charges").
    pub is_bank_charge: bool,
}

/// Which QBO bank account holds which Wise balance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mapping {
    /// ISO currency → QBO bank account Id.
    pub accounts: BTreeMap<String, String>,
}

impl Mapping {
    /// A mapping from `(currency, account id)` pairs.
    pub fn new<I, C, A>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (C, A)>,
        C: Into<String>,
        A: Into<String>,
    {
        Self {
            accounts: pairs
                .into_iter()
                .map(|(c, a)| (c.into(), a.into()))
                .collect(),
        }
    }

    /// The account mapped to `currency`.
    #[must_use]
    pub fn account_for(&self, currency: &str) -> Option<&str> {
        self.accounts.get(currency).map(String::as_str)
    }

    /// The currency whose balance `account_id` holds.
    #[must_use]
    pub fn currency_of(&self, account_id: &str) -> Option<&str> {
        self.accounts
            .iter()
            .find(|(_, a)| a.as_str() == account_id)
            .map(|(c, _)| c.as_str())
    }

    /// Checks what the engine would otherwise only report as exceptions: every bank line's
    /// currency is mapped, no account is mapped twice, and ids are unique on each side.
    /// Callers that must refuse bad input (the CLI) run this before [`crate::reconcile`].
    ///
    /// # Errors
    /// The first problem found, naming the line or posting.
    pub fn validate(&self, bank: &[BankLine], books: &[BookEntry]) -> Result<(), InputError> {
        let mut seen_accounts = BTreeMap::new();
        for (currency, account) in &self.accounts {
            if let Some(other) = seen_accounts.insert(account.as_str(), currency.as_str()) {
                return Err(InputError::AccountMappedTwice {
                    account: account.clone(),
                    first: other.to_owned(),
                    second: currency.clone(),
                });
            }
        }
        let mut ids = std::collections::BTreeSet::new();
        for line in bank {
            if self.account_for(&line.currency).is_none() {
                return Err(InputError::UnmappedCurrency {
                    currency: line.currency.clone(),
                    line: line.id.to_string(),
                });
            }
            if !ids.insert(&*line.id) {
                return Err(InputError::DuplicateBankId(line.id.to_string()));
            }
        }
        ids.clear();
        for entry in books {
            if !ids.insert(&*entry.id) {
                return Err(InputError::DuplicateBookId(entry.id.to_string()));
            }
        }
        Ok(())
    }
}

/// Tolerances and the statement periods. The defaults are what the quality report was measured with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Options {
    /// How many days a posting may be dated after the bank line (postings lag by days, sometimes weeks).
    pub max_lag_days: i32,
    /// How many days a posting may be dated before the bank line (a payment booked when initiated).
    pub max_lead_days: i32,
    /// Window in which a reference hit still counts, either way.
    pub reference_window_days: i32,
    /// Largest number of postings one bank line may settle (1 : N), and vice versa (N : 1).
    pub max_group_size: usize,
    /// How many nearby candidates a subset search looks at (bounds its cost).
    pub subset_candidates: usize,
    /// Two postings of one movement within this many days of each other count as a duplicate.
    pub duplicate_window_days: i32,
    /// Statement interval per currency (inclusive dates). A posting outside it without a bank line
    /// is not `missing_in_bank` but outside the period. Without an entry, the bank lines' own
    /// first and last dates are used.
    pub periods: BTreeMap<String, (NaiveDate, NaiveDate)>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_lag_days: 45,
            max_lead_days: 7,
            reference_window_days: 120,
            max_group_size: 5,
            subset_candidates: 18,
            duplicate_window_days: 5,
            periods: BTreeMap::new(),
        }
    }
}
