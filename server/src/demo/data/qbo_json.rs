//! Small builders for QBO entity JSON: references by record key, money as JSON numbers,
//! currency refs, expense lines, MetaData, and the chart of accounts they refer to.

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::{Value, json};

use super::activity::cents;

/// Bank account key per Wise currency.
pub(super) fn bank_key(currency: &str) -> String {
    format!("account:wise-{}", currency.to_lowercase())
}

/// The Bank Charges expense account (Wise fees).
pub(super) const FEE_ACCOUNT: &str = "account:bank-charges";

pub(super) fn end_of(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_time(NaiveTime::from_hms_opt(23, 0, 0).unwrap_or_default()))
}

pub(super) fn at_hour(d: NaiveDate, h: u32, m: u32) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap_or_default()))
}

pub(super) fn money(c: i64) -> Value {
    serde_json::from_str(&cents(c).to_string()).unwrap_or(Value::Null)
}

pub(super) fn meta(t: DateTime<Utc>) -> Value {
    let s = t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    json!({"CreateTime": s, "LastUpdatedTime": s})
}

pub(super) fn reference(key: &str, name: &str) -> Value {
    json!({"value": format!("@{key}"), "name": name})
}

pub(super) fn bank_ref(currency: &str) -> Value {
    reference(&bank_key(currency), &format!("Wise {currency}"))
}

pub(super) fn currency_ref(currency: &str) -> Value {
    let name = match currency {
        "EUR" => "Euro",
        "USD" => "United States Dollar",
        "GBP" => "British Pound Sterling",
        other => other,
    };
    json!({"value": currency, "name": name})
}

/// Home-currency (EUR) units per unit of `currency`, as the bookkeeper's QBO has them.
pub(super) fn exchange_rate(currency: &str) -> Value {
    match currency {
        "USD" => json!(0.92),
        "GBP" => json!(1.17),
        _ => json!(1),
    }
}

pub(super) fn expense_line(c: i64, account: &str, description: &str) -> Value {
    let (key, name) = account_name(account);
    json!({"DetailType": "AccountBasedExpenseLineDetail", "Amount": money(c), "Description": description,
           "AccountBasedExpenseLineDetail": {"AccountRef": reference(&key, name),
               "BillableStatus": "NotBillable", "TaxCodeRef": {"value": "NON"}}})
}

/// `short` account key (without `account:`) → (record key, QBO name).
pub(super) fn account_name(short: &str) -> (String, &'static str) {
    let name = ACCOUNTS
        .iter()
        .find(|a| a.0 == short)
        .map_or("Uncategorized Expense", |a| a.1);
    (format!("account:{short}"), name)
}

/// (key, name, type, subtype, currency).
pub(super) const ACCOUNTS: [(&str, &str, &str, &str, Option<&str>); 18] = [
    ("wise-eur", "Wise EUR", "Bank", "Checking", Some("EUR")),
    ("wise-usd", "Wise USD", "Bank", "Checking", Some("USD")),
    ("wise-gbp", "Wise GBP", "Bank", "Checking", Some("GBP")),
    (
        "bank-charges",
        "Bank Charges",
        "Expense",
        "BankCharges",
        None,
    ),
    (
        "software",
        "Software & Subscriptions",
        "Expense",
        "OfficeGeneralAdministrativeExpenses",
        None,
    ),
    (
        "subcontractors",
        "Subcontractors",
        "Expense",
        "CostOfLabor",
        None,
    ),
    (
        "printing",
        "Printing & Production",
        "Expense",
        "SuppliesMaterials",
        None,
    ),
    ("rent", "Rent", "Expense", "RentOrLeaseOfBuildings", None),
    (
        "professional",
        "Legal & Professional Fees",
        "Expense",
        "LegalProfessionalFees",
        None,
    ),
    ("travel", "Travel", "Expense", "Travel", None),
    (
        "postage",
        "Postage & Delivery",
        "Expense",
        "ShippingFreightDelivery",
        None,
    ),
    (
        "office",
        "Office Supplies",
        "Expense",
        "OfficeGeneralAdministrativeExpenses",
        None,
    ),
    (
        "meals",
        "Meals & Entertainment",
        "Expense",
        "EntertainmentMeals",
        None,
    ),
    (
        "income",
        "Design Income",
        "Income",
        "ServiceFeeIncome",
        None,
    ),
    (
        "undeposited",
        "Undeposited Funds",
        "Other Current Asset",
        "UndepositedFunds",
        None,
    ),
    (
        "fx-clearing",
        "Currency Exchange Clearing",
        "Other Current Asset",
        "OtherCurrentAssets",
        None,
    ),
    (
        "ar",
        "Accounts Receivable (A/R)",
        "Accounts Receivable",
        "AccountsReceivable",
        None,
    ),
    (
        "ap",
        "Accounts Payable (A/P)",
        "Accounts Payable",
        "AccountsPayable",
        None,
    ),
];
