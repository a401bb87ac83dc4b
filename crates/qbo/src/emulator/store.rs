//! One realm's books: entities as JSON with per-entity Id sequences, SyncTokens, MetaData,
//! deletion tombstones for CDC, and the `requestid` replay cache.
//!
//! Amounts are `serde_json::Value` numbers here (the workspace does not enable
//! `arbitrary_precision`); arithmetic converts each number's shortest text to `Decimal`, which is
//! exact for the two- and four-decimal amounts QBO carries.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Utc};
use rust_decimal::Decimal;
use serde_json::{Map, Value, json};

/// Errors the store answers with, as (HTTP status, Fault type, code, message, detail).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StoreFault {
    pub status: u16,
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
    pub detail: String,
}

impl StoreFault {
    pub(crate) fn validation(code: &'static str, message: &str, detail: impl Into<String>) -> Self {
        Self {
            status: 400,
            kind: "ValidationFault",
            code,
            message: message.to_owned(),
            detail: detail.into(),
        }
    }
    pub(crate) fn not_found(what: &str) -> Self {
        Self::validation(
            "610",
            "Object Not Found",
            format!(
                "Object Not Found : Something you're trying to use has been made inactive or deleted. {what}"
            ),
        )
    }
}

/// QBO stamps times in the company's zone; Pacific standard time keeps offsets in play.
pub(crate) fn stamp(t: DateTime<Utc>) -> String {
    let pacific = FixedOffset::west_opt(8 * 3600).unwrap_or_else(|| unreachable!("valid offset"));
    t.with_timezone(&pacific)
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn decimal_of(v: Option<&Value>) -> Decimal {
    match v {
        Some(Value::Number(n)) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .unwrap_or_default(),
        Some(Value::String(s)) => Decimal::from_str(s).unwrap_or_default(),
        _ => Decimal::ZERO,
    }
}

/// A JSON number from a decimal (through its text, see the module docs).
pub(crate) fn number(d: Decimal) -> Value {
    serde_json::Number::from_str(&d.normalize().to_string()).map_or(Value::Null, Value::Number)
}

#[derive(Debug, Clone)]
pub(crate) struct Tombstone {
    pub entity: String,
    pub id: String,
    pub at: DateTime<Utc>,
}

/// A change the webhook emitter reports.
#[derive(Debug, Clone)]
pub(crate) struct ChangeEvent {
    pub realm: String,
    pub entity: String,
    pub id: String,
    /// `Create`, `Update`, `Delete`, `Void`.
    pub operation: &'static str,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub(crate) struct RealmStore {
    pub entities: HashMap<String, BTreeMap<u64, Value>>,
    next_ids: HashMap<String, u64>,
    pub tombstones: Vec<Tombstone>,
    pub request_ids: HashMap<String, (u16, String)>,
    pub preferences: Value,
    pub company_info: Value,
}

/// Canonical entity names the emulator serves.
pub(crate) const ENTITIES: [&str; 14] = [
    "Account",
    "Purchase",
    "Deposit",
    "BillPayment",
    "Payment",
    "SalesReceipt",
    "Transfer",
    "JournalEntry",
    "Bill",
    "Invoice",
    "Customer",
    "Vendor",
    "CompanyInfo",
    "Preferences",
];

pub(crate) fn canonical(name: &str) -> Option<&'static str> {
    ENTITIES
        .iter()
        .copied()
        .find(|e| e.eq_ignore_ascii_case(name))
}

pub(crate) fn is_name_list(entity: &str) -> bool {
    matches!(entity, "Account" | "Customer" | "Vendor")
}

fn line_total(v: &Value) -> Decimal {
    v.get("Line")
        .and_then(Value::as_array)
        .map(|lines| {
            lines
                .iter()
                .filter(|l| {
                    l.get("DetailType").and_then(Value::as_str) != Some("SubTotalLineDetail")
                })
                .map(|l| decimal_of(l.get("Amount")))
                .sum()
        })
        .unwrap_or_default()
}

impl RealmStore {
    pub(crate) fn new(realm: &str, company_name: &str) -> Self {
        Self {
            preferences: json!({
                "Id": "1", "SyncToken": "0", "domain": "QBO", "sparse": false,
                "CurrencyPrefs": {"MultiCurrencyEnabled": false, "HomeCurrency": {"value": "USD"}},
                "ReportPrefs": {"ReportBasis": "Accrual", "CalcAgingReportFromTxnDate": false},
                "AccountingInfoPrefs": {"TrackDepartments": false}
            }),
            company_info: json!({
                "Id": realm, "SyncToken": "0", "domain": "QBO", "sparse": false,
                "CompanyName": company_name, "LegalName": company_name, "Country": "USA",
                "FiscalYearStartMonth": "January", "CompanyStartDate": "2024-01-01",
                "NameValue": [{"Name": "OfferingSku", "Value": "QuickBooks Online Plus"},
                              {"Name": "SubscriptionStatus", "Value": "PAID"}]
            }),
            ..Self::default()
        }
    }

    pub(crate) fn get(&self, entity: &str, id: &str) -> Option<&Value> {
        self.entities.get(entity)?.get(&id.parse::<u64>().ok()?)
    }

    fn name_of(&self, entity: &str, id: &str) -> Option<String> {
        let v = self.get(entity, id)?;
        v.get("Name")
            .or_else(|| v.get("DisplayName"))
            .and_then(Value::as_str)
            .map(str::to_owned)
    }

    fn multicurrency(&self) -> bool {
        self.preferences
            .pointer("/CurrencyPrefs/MultiCurrencyEnabled")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    fn home_currency(&self) -> String {
        self.preferences
            .pointer("/CurrencyPrefs/HomeCurrency/value")
            .and_then(Value::as_str)
            .unwrap_or("USD")
            .to_owned()
    }

    /// Inserts without validation (seeding): fills Id, SyncToken, MetaData, totals.
    pub(crate) fn insert(&mut self, entity: &str, mut v: Value, now: DateTime<Utc>) -> String {
        let seq = self.next_ids.entry(entity.to_owned()).or_insert(0);
        *seq += 1;
        let id = *seq;
        let obj = v.as_object_mut().map(std::mem::take).unwrap_or_default();
        let mut obj = self.normalize(entity, obj);
        obj.insert("Id".into(), Value::String(id.to_string()));
        obj.entry("SyncToken").or_insert_with(|| json!("0"));
        obj.insert("domain".into(), json!("QBO"));
        obj.insert("sparse".into(), json!(false));
        let meta = obj.entry("MetaData").or_insert_with(|| json!({}));
        if let Some(m) = meta.as_object_mut() {
            m.entry("CreateTime").or_insert_with(|| json!(stamp(now)));
            m.entry("LastUpdatedTime")
                .or_insert_with(|| json!(stamp(now)));
        }
        self.entities
            .entry(entity.to_owned())
            .or_default()
            .insert(id, Value::Object(obj));
        id.to_string()
    }

    /// Derived fields a real company computes: totals, balances, line Ids, ref names.
    fn normalize(&self, entity: &str, mut obj: Map<String, Value>) -> Map<String, Value> {
        let v = Value::Object(obj.clone());
        match entity {
            "Purchase" | "Deposit" | "SalesReceipt" | "Bill" | "Invoice" | "JournalEntry" => {
                let total = if entity == "JournalEntry" {
                    v.get("Line")
                        .and_then(Value::as_array)
                        .map(|ls| {
                            ls.iter()
                                .filter(|l| {
                                    l.pointer("/JournalEntryLineDetail/PostingType")
                                        .and_then(Value::as_str)
                                        == Some("Debit")
                                })
                                .map(|l| decimal_of(l.get("Amount")))
                                .sum()
                        })
                        .unwrap_or_default()
                } else {
                    line_total(&v)
                };
                obj.insert("TotalAmt".into(), number(total));
                if matches!(entity, "Bill" | "Invoice") && !obj.contains_key("Balance") {
                    obj.insert("Balance".into(), number(total));
                }
            }
            _ => {}
        }
        if let Some(Value::Array(lines)) = obj.get_mut("Line") {
            for (i, l) in lines.iter_mut().enumerate() {
                if let Some(lo) = l.as_object_mut()
                    && lo.contains_key("DetailType")
                {
                    lo.entry("Id").or_insert_with(|| json!((i + 1).to_string()));
                }
            }
        }
        for key in [
            "AccountRef",
            "DepositToAccountRef",
            "FromAccountRef",
            "ToAccountRef",
        ] {
            if let Some(r) = obj.get_mut(key).and_then(Value::as_object_mut)
                && !r.contains_key("name")
                && let Some(name) = r
                    .get("value")
                    .and_then(Value::as_str)
                    .and_then(|id| self.name_of("Account", id))
            {
                r.insert("name".into(), json!(name));
            }
        }
        obj
    }

    /// Creates through the API: validates like QBO would, then inserts.
    pub(crate) fn create(
        &mut self,
        entity: &str,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, StoreFault> {
        let Value::Object(obj) = body else {
            return Err(StoreFault::validation(
                "2020",
                "Required param missing, need to supply the required value for the API",
                "body",
            ));
        };
        let account_ok = |r: Option<&Value>, what: &str| -> Result<(), StoreFault> {
            let id = r
                .and_then(|r| r.get("value"))
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    StoreFault::validation(
                        "2020",
                        "Required param missing, need to supply the required value for the API",
                        what,
                    )
                })?;
            match self.get("Account", id) {
                Some(a) if a.get("Active").and_then(Value::as_bool) != Some(false) => Ok(()),
                _ => Err(StoreFault::not_found(&format!("Account {id}"))),
            }
        };
        if entity == "Purchase" {
            if obj.get("PaymentType").and_then(Value::as_str).is_none() {
                return Err(StoreFault::validation(
                    "2020",
                    "Required param missing, need to supply the required value for the API",
                    "PaymentType",
                ));
            }
            account_ok(obj.get("AccountRef"), "AccountRef")?;
            let lines = obj
                .get("Line")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            if lines.is_empty() {
                return Err(StoreFault::validation(
                    "2020",
                    "Required param missing, need to supply the required value for the API",
                    "Line",
                ));
            }
            for l in &lines {
                if let Some(r) = l.pointer("/AccountBasedExpenseLineDetail/AccountRef") {
                    account_ok(Some(r), "Line.AccountRef")?;
                }
            }
            // Multicurrency: the transaction's currency must be the bank account's (§8).
            let bank = obj
                .get("AccountRef")
                .and_then(|r| r.get("value"))
                .and_then(Value::as_str)
                .and_then(|id| self.get("Account", id));
            let bank_ccy = bank
                .and_then(|a| a.pointer("/CurrencyRef/value"))
                .and_then(Value::as_str)
                .map_or_else(|| self.home_currency(), str::to_owned);
            let txn_ccy = obj
                .get("CurrencyRef")
                .and_then(|r| r.get("value"))
                .and_then(Value::as_str);
            match (self.multicurrency(), txn_ccy) {
                (true, Some(c)) if !c.eq_ignore_ascii_case(&bank_ccy) => {
                    return Err(StoreFault::validation(
                        "6000",
                        "A business validation error has occurred while processing your request",
                        format!(
                            "Business Validation Error: The currency of the transaction ({c}) must match the account currency ({bank_ccy})."
                        ),
                    ));
                }
                (false, Some(c)) if !c.eq_ignore_ascii_case(&self.home_currency()) => {
                    return Err(StoreFault::validation(
                        "6000",
                        "A business validation error has occurred while processing your request",
                        "Business Validation Error: Multicurrency is not enabled for this company.",
                    ));
                }
                _ => {}
            }
            if let Some(doc) = obj.get("DocNumber").and_then(Value::as_str)
                && self.entities.get("Purchase").is_some_and(|m| {
                    m.values()
                        .any(|p| p.get("DocNumber").and_then(Value::as_str) == Some(doc))
                })
            {
                return Err(StoreFault::validation(
                    "6140",
                    "Duplicate Document Number Error",
                    format!(
                        "Duplicate Document Number Error : You must specify a different number. This number has already been used. DocNumber={doc}"
                    ),
                ));
            }
        }
        let mut obj = obj;
        obj.remove("Id");
        obj.remove("SyncToken");
        obj.remove("MetaData");
        if entity == "Purchase" {
            obj.entry("Credit").or_insert(json!(false));
            if let Some(Value::Array(lines)) = obj.get_mut("Line") {
                for l in lines {
                    if let Some(d) = l
                        .get_mut("AccountBasedExpenseLineDetail")
                        .and_then(Value::as_object_mut)
                    {
                        d.entry("BillableStatus").or_insert(json!("NotBillable"));
                        d.entry("TaxCodeRef").or_insert(json!({"value": "NON"}));
                    }
                }
            }
        }
        self.apply_links(entity, &Value::Object(obj.clone()), now);
        let id = self.insert(entity, Value::Object(obj), now);
        Ok(self.get(entity, &id).cloned().unwrap_or(Value::Null))
    }

    /// Payments reduce the invoices they link; bill payments the bills (§15.4).
    fn apply_links(&mut self, entity: &str, v: &Value, now: DateTime<Utc>) {
        let target = match entity {
            "Payment" => "Invoice",
            "BillPayment" => "Bill",
            _ => return,
        };
        let Some(lines) = v.get("Line").and_then(Value::as_array) else {
            return;
        };
        for l in lines {
            let amount = decimal_of(l.get("Amount"));
            for link in l
                .get("LinkedTxn")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if link.get("TxnType").and_then(Value::as_str) != Some(target) {
                    continue;
                }
                let Some(id) = link
                    .get("TxnId")
                    .and_then(Value::as_str)
                    .and_then(|s| s.parse::<u64>().ok())
                else {
                    continue;
                };
                if let Some(Value::Object(t)) =
                    self.entities.get_mut(target).and_then(|m| m.get_mut(&id))
                {
                    let bal = decimal_of(t.get("Balance")) - amount;
                    t.insert("Balance".into(), number(bal.max(Decimal::ZERO)));
                    bump(t, now);
                }
            }
        }
    }

    /// Full or sparse update with SyncToken check.
    pub(crate) fn update(
        &mut self,
        entity: &str,
        body: Value,
        now: DateTime<Utc>,
    ) -> Result<Value, StoreFault> {
        let id = body
            .get("Id")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let token = body
            .get("SyncToken")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned();
        let current = self
            .get(entity, &id)
            .cloned()
            .ok_or_else(|| StoreFault::not_found(&format!("{entity} {id}")))?;
        if current.get("SyncToken").and_then(Value::as_str) != Some(token.as_str()) {
            return Err(stale());
        }
        let sparse = body.get("sparse").and_then(Value::as_bool).unwrap_or(false);
        let mut obj = if sparse {
            let mut base = current.as_object().cloned().unwrap_or_default();
            for (k, v) in body.as_object().into_iter().flatten() {
                base.insert(k.clone(), v.clone());
            }
            base
        } else {
            // Full update: what the body omits is gone (set NULL), as QBO does.
            let mut o = body.as_object().cloned().unwrap_or_default();
            o.insert(
                "MetaData".into(),
                current.get("MetaData").cloned().unwrap_or(json!({})),
            );
            o
        };
        obj.insert(
            "SyncToken".into(),
            json!(
                token
                    .parse::<u64>()
                    .unwrap_or(0)
                    .saturating_add(1)
                    .to_string()
            ),
        );
        obj.insert("sparse".into(), json!(false));
        bump(&mut obj, now);
        let obj = self.normalize(entity, obj);
        let n: u64 = id.parse().unwrap_or(0);
        self.entities
            .entry(entity.to_owned())
            .or_default()
            .insert(n, Value::Object(obj.clone()));
        Ok(Value::Object(obj))
    }

    pub(crate) fn delete(
        &mut self,
        entity: &str,
        id: &str,
        token: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Value, StoreFault> {
        let current = self
            .get(entity, id)
            .cloned()
            .ok_or_else(|| StoreFault::not_found(&format!("{entity} {id}")))?;
        if let Some(t) = token
            && current.get("SyncToken").and_then(Value::as_str) != Some(t)
        {
            return Err(stale());
        }
        if let Some(m) = self.entities.get_mut(entity) {
            m.remove(&id.parse::<u64>().unwrap_or(0));
        }
        self.tombstones.push(Tombstone {
            entity: entity.to_owned(),
            id: id.to_owned(),
            at: now,
        });
        Ok(json!({"status": "Deleted", "domain": "QBO", "Id": id}))
    }
}

fn bump(obj: &mut Map<String, Value>, now: DateTime<Utc>) {
    let meta = obj.entry("MetaData").or_insert_with(|| json!({}));
    if let Some(m) = meta.as_object_mut() {
        m.insert("LastUpdatedTime".into(), json!(stamp(now)));
    }
}

fn stale() -> StoreFault {
    StoreFault::validation(
        "5010",
        "Stale Object Error",
        "Stale Object Error : You and another user were working on the same thing. The other user finished before you did, so your work was not saved.",
    )
}
