//! Lenient serde types for QBO query responses
//! (`{"QueryResponse": {"Purchase": [...], "Deposit": [...], ...}, "time": "..."}`), covering
//! the entities that can touch a bank account (quickbooks-api.md §7). Unknown fields are ignored,
//! every field is optional, enum-like strings stay strings; [`crate::postings`] validates.
//!
//! Amounts are JSON numbers; they are read from the number's own text, so `1234.5` is exactly
//! 1234.5 (never through `f64`). Parse with [`parse_query_response`] (or any `serde_json`
//! deserializer over text: the amount type needs the raw JSON, so `serde_json::from_value`
//! cannot produce it).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use crate::error::WireError;

/// An exact decimal read from a JSON number (or a numeric string, which QBO also accepts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Amount(pub Decimal);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(deserializer)?;
        parse_amount(raw.get()).map(Amount).map_err(|text| {
            serde::de::Error::custom(format_args!("invalid amount {text}: not a decimal number"))
        })
    }
}

/// Parses a JSON number or numeric string exactly; `Err` carries the offending text.
fn parse_amount(text: &str) -> Result<Decimal, String> {
    let t = text.trim();
    let inner = t
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(t)
        .trim();
    if inner.contains(['e', 'E']) {
        Decimal::from_scientific(inner).map_err(|_| t.to_owned())
    } else {
        Decimal::from_str(inner).map_err(|_| t.to_owned())
    }
}

/// Reads a query response body.
///
/// # Errors
/// [`WireError::Json`] with the line and column of the first bad value (malformed JSON, a
/// malformed amount, a field of the wrong shape), or [`WireError::NotAQueryResponse`].
pub fn parse_query_response(text: &str) -> Result<QueryResponseBody, WireError> {
    #[derive(Deserialize)]
    struct Probe {
        #[serde(rename = "QueryResponse")]
        query_response: Option<serde::de::IgnoredAny>,
    }
    let probe: Probe = serde_json::from_str(text).map_err(WireError::json)?;
    if probe.query_response.is_none() {
        return Err(WireError::NotAQueryResponse);
    }
    serde_json::from_str(text).map_err(WireError::json)
}

/// The whole body of `GET /v3/company/{realm}/query`.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueryResponseBody {
    #[serde(rename = "QueryResponse")]
    pub query_response: QueryResponse,
    #[serde(default)]
    pub time: Option<String>,
}

/// The entities of one page (one entity type per query, but any mix is accepted).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct QueryResponse {
    pub purchase: Vec<Purchase>,
    pub deposit: Vec<Deposit>,
    pub bill_payment: Vec<BillPayment>,
    pub payment: Vec<Payment>,
    pub sales_receipt: Vec<SalesReceipt>,
    pub transfer: Vec<Transfer>,
    pub journal_entry: Vec<JournalEntry>,
    pub account: Vec<Account>,
    pub bill: Vec<Bill>,
    pub invoice: Vec<Invoice>,
    pub customer: Vec<Customer>,
    pub vendor: Vec<Vendor>,
    pub company_info: Vec<CompanyInfo>,
    pub preferences: Vec<Preferences>,
    #[serde(rename = "startPosition")]
    pub start_position: Option<u64>,
    #[serde(rename = "maxResults")]
    pub max_results: Option<u64>,
    #[serde(rename = "totalCount")]
    pub total_count: Option<u64>,
}

/// `{"value": "35", "name": "Checking", "type": "Vendor"}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Ref {
    pub value: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct MetaData {
    pub create_time: Option<String>,
    pub last_updated_time: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct LinkedTxn {
    pub txn_id: Option<String>,
    pub txn_type: Option<String>,
    pub txn_line_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct AccountLineDetail {
    pub account_ref: Option<Ref>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct DepositLineDetail {
    pub account_ref: Option<Ref>,
    pub entity: Option<Ref>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct JournalEntity {
    #[serde(rename = "Type")]
    pub kind: Option<String>,
    pub entity_ref: Option<Ref>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct JournalEntryLineDetail {
    /// `Debit` or `Credit`.
    pub posting_type: Option<String>,
    pub account_ref: Option<Ref>,
    pub entity: Option<JournalEntity>,
}

/// A transaction line; linked-transaction lines have no `DetailType`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Line {
    pub id: Option<String>,
    pub amount: Option<Amount>,
    pub description: Option<String>,
    pub detail_type: Option<String>,
    pub linked_txn: Vec<LinkedTxn>,
    pub account_based_expense_line_detail: Option<AccountLineDetail>,
    pub item_based_expense_line_detail: Option<serde::de::IgnoredAny>,
    pub deposit_line_detail: Option<DepositLineDetail>,
    pub journal_entry_line_detail: Option<JournalEntryLineDetail>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Purchase {
    pub id: String,
    pub sync_token: Option<String>,
    pub txn_date: Option<String>,
    pub total_amt: Option<Amount>,
    /// `Cash`, `Check`, `CreditCard`.
    pub payment_type: Option<String>,
    pub account_ref: Option<Ref>,
    pub entity_ref: Option<Ref>,
    pub doc_number: Option<String>,
    pub private_note: Option<String>,
    pub currency_ref: Option<Ref>,
    /// Only for credit-card purchases: `true` is a refund.
    pub credit: Option<bool>,
    pub line: Vec<Line>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Deposit {
    pub id: String,
    pub sync_token: Option<String>,
    pub txn_date: Option<String>,
    pub total_amt: Option<Amount>,
    pub deposit_to_account_ref: Option<Ref>,
    pub doc_number: Option<String>,
    pub private_note: Option<String>,
    pub currency_ref: Option<Ref>,
    pub line: Vec<Line>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CheckPayment {
    pub bank_account_ref: Option<Ref>,
    pub print_status: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CreditCardPayment {
    #[serde(rename = "CCAccountRef")]
    pub cc_account_ref: Option<Ref>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct BillPayment {
    pub id: String,
    pub sync_token: Option<String>,
    pub txn_date: Option<String>,
    pub total_amt: Option<Amount>,
    /// `Check` (from a bank account) or `CreditCard`.
    pub pay_type: Option<String>,
    pub vendor_ref: Option<Ref>,
    pub check_payment: Option<CheckPayment>,
    pub credit_card_payment: Option<CreditCardPayment>,
    pub doc_number: Option<String>,
    pub private_note: Option<String>,
    pub currency_ref: Option<Ref>,
    pub line: Vec<Line>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Payment {
    pub id: String,
    pub sync_token: Option<String>,
    pub txn_date: Option<String>,
    pub total_amt: Option<Amount>,
    pub customer_ref: Option<Ref>,
    /// A bank account, or Undeposited Funds (then the bank sees it only via a Deposit).
    pub deposit_to_account_ref: Option<Ref>,
    pub payment_ref_num: Option<String>,
    pub private_note: Option<String>,
    pub currency_ref: Option<Ref>,
    pub line: Vec<Line>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct SalesReceipt {
    pub id: String,
    pub sync_token: Option<String>,
    pub txn_date: Option<String>,
    pub total_amt: Option<Amount>,
    pub customer_ref: Option<Ref>,
    pub deposit_to_account_ref: Option<Ref>,
    pub doc_number: Option<String>,
    pub payment_ref_num: Option<String>,
    pub private_note: Option<String>,
    pub currency_ref: Option<Ref>,
    pub line: Vec<Line>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Transfer {
    pub id: String,
    pub sync_token: Option<String>,
    pub txn_date: Option<String>,
    pub amount: Option<Amount>,
    pub from_account_ref: Option<Ref>,
    pub to_account_ref: Option<Ref>,
    pub private_note: Option<String>,
    pub currency_ref: Option<Ref>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct JournalEntry {
    pub id: String,
    pub sync_token: Option<String>,
    pub txn_date: Option<String>,
    pub doc_number: Option<String>,
    pub private_note: Option<String>,
    pub currency_ref: Option<Ref>,
    pub line: Vec<Line>,
    pub meta_data: Option<MetaData>,
}

/// `{"Address": "a@b.c"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct EmailAddr {
    pub address: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Account {
    pub id: String,
    pub sync_token: Option<String>,
    pub name: Option<String>,
    pub fully_qualified_name: Option<String>,
    pub acct_num: Option<String>,
    /// `Asset`, `Liability`, `Expense`, ...
    pub classification: Option<String>,
    /// The spaced display form: `Bank`, `Accounts Receivable`, `Expense`, ...
    pub account_type: Option<String>,
    pub account_sub_type: Option<String>,
    /// The ledger (book) balance in the account's currency, never the bank's balance.
    pub current_balance: Option<Amount>,
    pub currency_ref: Option<Ref>,
    pub active: Option<bool>,
    pub sub_account: Option<bool>,
    pub parent_ref: Option<Ref>,
    pub description: Option<String>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Bill {
    pub id: String,
    pub sync_token: Option<String>,
    pub vendor_ref: Option<Ref>,
    pub txn_date: Option<String>,
    pub due_date: Option<String>,
    pub total_amt: Option<Amount>,
    /// Open amount.
    pub balance: Option<Amount>,
    pub home_balance: Option<Amount>,
    pub doc_number: Option<String>,
    pub private_note: Option<String>,
    pub currency_ref: Option<Ref>,
    pub exchange_rate: Option<Amount>,
    pub linked_txn: Vec<LinkedTxn>,
    pub line: Vec<Line>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Invoice {
    pub id: String,
    pub sync_token: Option<String>,
    pub doc_number: Option<String>,
    pub txn_date: Option<String>,
    pub due_date: Option<String>,
    pub customer_ref: Option<Ref>,
    pub total_amt: Option<Amount>,
    /// Open amount.
    pub balance: Option<Amount>,
    pub home_balance: Option<Amount>,
    pub home_total_amt: Option<Amount>,
    pub currency_ref: Option<Ref>,
    pub exchange_rate: Option<Amount>,
    pub email_status: Option<String>,
    pub linked_txn: Vec<LinkedTxn>,
    pub line: Vec<Line>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Customer {
    pub id: String,
    pub sync_token: Option<String>,
    pub display_name: Option<String>,
    pub company_name: Option<String>,
    pub fully_qualified_name: Option<String>,
    pub primary_email_addr: Option<EmailAddr>,
    pub balance: Option<Amount>,
    pub currency_ref: Option<Ref>,
    pub active: Option<bool>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Vendor {
    pub id: String,
    pub sync_token: Option<String>,
    pub display_name: Option<String>,
    pub company_name: Option<String>,
    pub primary_email_addr: Option<EmailAddr>,
    pub balance: Option<Amount>,
    pub currency_ref: Option<Ref>,
    pub active: Option<bool>,
    pub acct_num: Option<String>,
    pub meta_data: Option<MetaData>,
}

/// `{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct NameValue {
    pub name: Option<String>,
    pub value: Option<String>,
}

/// Home currency is not here: read [`Preferences`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CompanyInfo {
    pub id: String,
    pub company_name: Option<String>,
    pub legal_name: Option<String>,
    /// ISO-3 (`USA`) in production since late 2025.
    pub country: Option<String>,
    pub fiscal_year_start_month: Option<String>,
    pub company_start_date: Option<String>,
    pub email: Option<EmailAddr>,
    pub name_value: Vec<NameValue>,
    pub meta_data: Option<MetaData>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct CurrencyPrefs {
    pub multi_currency_enabled: Option<bool>,
    pub home_currency: Option<Ref>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct ReportPrefs {
    /// `Accrual` or `Cash`.
    pub report_basis: Option<String>,
    /// Aging runs from the transaction date instead of the due date.
    pub calc_aging_report_from_txn_date: Option<bool>,
}

/// Multicurrency lives at `Preferences.CurrencyPrefs.MultiCurrencyEnabled` (not
/// `Preferences.MultiCurrencyEnabled`, as Intuit's field docs loosely say).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
pub struct Preferences {
    pub id: Option<String>,
    pub currency_prefs: Option<CurrencyPrefs>,
    pub report_prefs: Option<ReportPrefs>,
}

impl Preferences {
    /// `false` when the flag is absent: QBO omits it only when multicurrency was never on.
    #[must_use]
    pub fn multicurrency_enabled(&self) -> bool {
        self.currency_prefs
            .as_ref()
            .and_then(|c| c.multi_currency_enabled)
            .unwrap_or(false)
    }

    #[must_use]
    pub fn home_currency(&self) -> Option<&str> {
        self.currency_prefs
            .as_ref()
            .and_then(|c| c.home_currency.as_ref())
            .map(|r| r.value.as_str())
    }
}

impl QueryResponse {
    /// Appends the JSON array `items` (raw text) of entity `name` to the matching list.
    /// Returns `false` for an entity this crate does not model (ignored).
    pub(crate) fn extend_raw(
        &mut self,
        name: &str,
        items: &str,
    ) -> Result<bool, serde_json::Error> {
        fn ext<T: serde::de::DeserializeOwned>(
            v: &mut Vec<T>,
            items: &str,
        ) -> Result<bool, serde_json::Error> {
            v.extend(serde_json::from_str::<Vec<T>>(items)?);
            Ok(true)
        }
        match name {
            "Purchase" => ext(&mut self.purchase, items),
            "Deposit" => ext(&mut self.deposit, items),
            "BillPayment" => ext(&mut self.bill_payment, items),
            "Payment" => ext(&mut self.payment, items),
            "SalesReceipt" => ext(&mut self.sales_receipt, items),
            "Transfer" => ext(&mut self.transfer, items),
            "JournalEntry" => ext(&mut self.journal_entry, items),
            "Account" => ext(&mut self.account, items),
            "Bill" => ext(&mut self.bill, items),
            "Invoice" => ext(&mut self.invoice, items),
            "Customer" => ext(&mut self.customer, items),
            "Vendor" => ext(&mut self.vendor, items),
            "CompanyInfo" => ext(&mut self.company_info, items),
            "Preferences" => ext(&mut self.preferences, items),
            _ => Ok(false),
        }
    }

    /// Number of entities held, all types together.
    #[must_use]
    pub fn len(&self) -> usize {
        self.purchase.len()
            + self.deposit.len()
            + self.bill_payment.len()
            + self.payment.len()
            + self.sales_receipt.len()
            + self.transfer.len()
            + self.journal_entry.len()
            + self.account.len()
            + self.bill.len()
            + self.invoice.len()
            + self.customer.len()
            + self.vendor.len()
            + self.company_info.len()
            + self.preferences.len()
    }

    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Moves every entity of `other` into `self`.
    pub fn append(&mut self, other: &mut QueryResponse) {
        self.purchase.append(&mut other.purchase);
        self.deposit.append(&mut other.deposit);
        self.bill_payment.append(&mut other.bill_payment);
        self.payment.append(&mut other.payment);
        self.sales_receipt.append(&mut other.sales_receipt);
        self.transfer.append(&mut other.transfer);
        self.journal_entry.append(&mut other.journal_entry);
        self.account.append(&mut other.account);
        self.bill.append(&mut other.bill);
        self.invoice.append(&mut other.invoice);
        self.customer.append(&mut other.customer);
        self.vendor.append(&mut other.vendor);
        self.company_info.append(&mut other.company_info);
        self.preferences.append(&mut other.preferences);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_exact_whatever_their_spelling() {
        for (text, want) in [
            ("1234.5", "1234.5"),
            ("0.1", "0.1"),
            ("\"1000.0\"", "1000.0"),
            ("1.5E3", "1500"),
            ("-46.22", "-46.22"),
            ("12345678901234567.89", "12345678901234567.89"),
        ] {
            let a: Amount = serde_json::from_str(text).unwrap();
            assert_eq!(a.0, Decimal::from_str(want).unwrap(), "{text}");
        }
    }

    #[test]
    fn a_bad_amount_names_its_place() {
        let err = parse_query_response(
            r#"{"QueryResponse": {"Purchase": [{"Id": "1", "TotalAmt": "12,5"}]}}"#,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("12,5") && msg.contains("line 1"), "{msg}");
    }

    #[test]
    fn unknown_fields_and_entities_are_accepted() {
        let body = parse_query_response(
            r#"{"QueryResponse": {"Purchase": [{"Id": "133", "TotalAmt": 185.0, "PurchaseEx": {"any": []},
                "Line": [{"Amount": 185.0, "DetailType": "AccountBasedExpenseLineDetail",
                          "AccountBasedExpenseLineDetail": {"AccountRef": {"value": "72"}, "BillableStatus": "NotBillable"}}],
                "SomethingNew": 1}],
                "Invoice": [{"Id": "9"}], "startPosition": 1, "maxResults": 1},
               "time": "2025-03-14T09:12:44.517-07:00"}"#,
        )
        .unwrap();
        assert_eq!(body.query_response.purchase.len(), 1);
        assert_eq!(
            body.query_response.purchase[0].total_amt,
            Some(Amount(Decimal::new(1850, 1)))
        );
    }

    #[test]
    fn an_empty_page_is_fine_and_other_json_is_refused() {
        let body = parse_query_response(r#"{"QueryResponse": {}, "time": "x"}"#).unwrap();
        assert!(body.query_response.deposit.is_empty());
        assert!(matches!(
            parse_query_response(r#"{"transactions": []}"#),
            Err(WireError::NotAQueryResponse)
        ));
    }
}
