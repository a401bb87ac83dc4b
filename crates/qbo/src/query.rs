//! Reads with the query endpoint (quickbooks-api.md §4): statements built with quoted,
//! escaped literals; paging with a stable ORDERBY, STARTPOSITION from 1 and MAXRESULTS 1000,
//! stopping on the first short page (never on `totalCount`, which `SELECT *` may omit); name
//! lists (Account, Customer, Vendor) read with `Active IN (true, false)` where inactive rows
//! matter, since QBO hides them by default.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::client::{ApiRequest, Company, Method};
use crate::error::{QboError, WireError};
use crate::wire::{Account, CompanyInfo, Customer, Invoice, Preferences, QueryResponse, Vendor};

/// The QBO entities this connector reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Entity {
    Account,
    Purchase,
    Deposit,
    BillPayment,
    Payment,
    SalesReceipt,
    Transfer,
    JournalEntry,
    Bill,
    Invoice,
    Customer,
    Vendor,
    CompanyInfo,
    Preferences,
}

impl Entity {
    /// Every entity that can post to a bank account (§7).
    pub const BANK_TRANSACTIONS: [Entity; 7] = [
        Entity::Purchase,
        Entity::Deposit,
        Entity::BillPayment,
        Entity::Payment,
        Entity::SalesReceipt,
        Entity::Transfer,
        Entity::JournalEntry,
    ];

    pub const ALL: [Entity; 14] = [
        Entity::Account,
        Entity::Purchase,
        Entity::Deposit,
        Entity::BillPayment,
        Entity::Payment,
        Entity::SalesReceipt,
        Entity::Transfer,
        Entity::JournalEntry,
        Entity::Bill,
        Entity::Invoice,
        Entity::Customer,
        Entity::Vendor,
        Entity::CompanyInfo,
        Entity::Preferences,
    ];

    /// The name in queries and JSON keys.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Account => "Account",
            Self::Purchase => "Purchase",
            Self::Deposit => "Deposit",
            Self::BillPayment => "BillPayment",
            Self::Payment => "Payment",
            Self::SalesReceipt => "SalesReceipt",
            Self::Transfer => "Transfer",
            Self::JournalEntry => "JournalEntry",
            Self::Bill => "Bill",
            Self::Invoice => "Invoice",
            Self::Customer => "Customer",
            Self::Vendor => "Vendor",
            Self::CompanyInfo => "CompanyInfo",
            Self::Preferences => "Preferences",
        }
    }

    /// The URL path segment (lower case).
    #[must_use]
    pub fn path(self) -> String {
        self.name().to_ascii_lowercase()
    }

    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|e| e.name().eq_ignore_ascii_case(name))
    }

    /// Name-list entities hide inactive rows unless asked.
    #[must_use]
    pub fn is_name_list(self) -> bool {
        matches!(self, Self::Account | Self::Customer | Self::Vendor)
    }
}

/// A query string literal: `'…'` with `'` escaped as `\'` (§4.1).
#[must_use]
pub fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', "\\'"))
}

/// QBO's page-size ceiling.
pub const MAX_RESULTS: usize = 1000;

/// `SELECT * FROM <Entity> [WHERE …]`, paged by [`Company::query_all`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Select {
    entity: Entity,
    conditions: Vec<String>,
    order_by: String,
}

impl Select {
    /// Ordered by `Id` so pages are stable while rows are added.
    #[must_use]
    pub fn from(entity: Entity) -> Self {
        Self {
            entity,
            conditions: Vec::new(),
            order_by: "Id".to_owned(),
        }
    }

    #[must_use]
    pub fn entity(&self) -> Entity {
        self.entity
    }

    /// `<field> <op> '<value>'` with the value quoted and escaped. `op` is one of
    /// `=`, `<`, `>`, `<=`, `>=`, `LIKE`.
    #[must_use]
    pub fn filter(mut self, field: &str, op: &str, value: &str) -> Self {
        self.conditions
            .push(format!("{field} {op} {}", quote(value)));
        self
    }

    /// `Id IN ('1', '2')`.
    #[must_use]
    pub fn ids_in<'a>(mut self, field: &str, values: impl IntoIterator<Item = &'a str>) -> Self {
        let list: Vec<String> = values.into_iter().map(quote).collect();
        self.conditions
            .push(format!("{field} IN ({})", list.join(", ")));
        self
    }

    /// Includes inactive name-list rows (`Active IN (true, false)`).
    #[must_use]
    pub fn include_inactive(mut self) -> Self {
        self.conditions.push("Active IN (true, false)".to_owned());
        self
    }

    /// Orders by another sortable field (must be stable, e.g. `MetaData.LastUpdatedTime`).
    #[must_use]
    pub fn order_by(mut self, field: &str) -> Self {
        self.order_by = field.to_owned();
        self
    }

    /// The statement for one page; `start` is 1-based.
    #[must_use]
    pub fn page(&self, start: usize, max: usize) -> String {
        let mut s = format!("SELECT * FROM {}", self.entity.name());
        if !self.conditions.is_empty() {
            s.push_str(" WHERE ");
            s.push_str(&self.conditions.join(" AND "));
        }
        s.push_str(&format!(
            " ORDERBY {} STARTPOSITION {start} MAXRESULTS {}",
            self.order_by,
            max.min(MAX_RESULTS)
        ));
        s
    }
}

/// Parses one query page into `into`; returns how many rows of `entity` it held.
pub(crate) fn absorb_page(
    text: &str,
    entity: Entity,
    into: &mut QueryResponse,
) -> Result<usize, WireError> {
    #[derive(Deserialize)]
    struct Envelope<'a> {
        #[serde(rename = "QueryResponse", borrow)]
        query_response: Option<BTreeMap<String, &'a RawValue>>,
    }
    let env: Envelope<'_> = serde_json::from_str(text).map_err(WireError::json)?;
    let page = env.query_response.ok_or(WireError::NotAQueryResponse)?;
    let mut count = 0;
    for (key, raw) in page {
        if key.eq_ignore_ascii_case(entity.name()) {
            let before = into.len();
            into.extend_raw(entity.name(), raw.get())
                .map_err(WireError::json)?;
            count = into.len() - before;
        }
    }
    Ok(count)
}

fn decode<'a>(what: &'static str, tid: &'a Option<String>) -> impl Fn(WireError) -> QboError + 'a {
    move |e| QboError::Decode {
        what,
        message: e.to_string(),
        intuit_tid: tid.clone(),
    }
}

/// Long statements go in a POST body (URL length); short ones in the URL.
const GET_LIMIT: usize = 1500;

impl Company {
    /// Runs one statement and returns the raw body.
    pub(crate) async fn query_text(
        &self,
        statement: &str,
    ) -> Result<(String, Option<String>), QboError> {
        let req = if statement.len() <= GET_LIMIT {
            ApiRequest::get("query").param("query", statement)
        } else {
            ApiRequest {
                method: Method::Post,
                path: "query".to_owned(),
                params: Vec::new(),
                body: Some(("application/text", statement.to_owned())),
            }
        };
        let resp = self.send(req).await?;
        Ok((resp.body, resp.intuit_tid))
    }

    /// Every row of `select`, 1000 per request, stopping on the first short page.
    ///
    /// # Errors
    /// API errors, or a page that is not a query response.
    pub async fn query_all(&self, select: &Select) -> Result<QueryResponse, QboError> {
        let mut out = QueryResponse::default();
        self.query_pages(select, &mut out, &mut |_| {}).await?;
        Ok(out)
    }

    /// As [`Company::query_all`], into `out`, handing every raw page body to `keep`.
    async fn query_pages(
        &self,
        select: &Select,
        out: &mut QueryResponse,
        keep: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), QboError> {
        let mut start = 1;
        loop {
            let (text, tid) = self.query_text(&select.page(start, MAX_RESULTS)).await?;
            let n = absorb_page(&text, select.entity(), out).map_err(decode("query", &tid))?;
            keep(text);
            if n < MAX_RESULTS {
                return Ok(());
            }
            start += MAX_RESULTS;
        }
    }

    /// Every transaction that can touch a bank account (the seven entities of §7), optionally
    /// only those updated at or after `since`. Purchase `AccountRef` is not a documented
    /// filter, so bank-account selection happens client-side ([`crate::postings`]).
    ///
    /// # Errors
    /// As [`Company::query_all`].
    pub async fn bank_transactions(
        &self,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<QueryResponse, QboError> {
        Ok(self.bank_transactions_raw(since).await?.0)
    }

    /// As [`Company::bank_transactions`], also returning every page body exactly as QBO sent
    /// it (to keep as the raw payload).
    ///
    /// # Errors
    /// As [`Company::query_all`].
    pub async fn bank_transactions_raw(
        &self,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<(QueryResponse, Vec<String>), QboError> {
        let mut out = QueryResponse::default();
        let mut pages = Vec::new();
        for entity in Entity::BANK_TRANSACTIONS {
            let mut select = Select::from(entity);
            if let Some(since) = since {
                select = select.filter(
                    "MetaData.LastUpdatedTime",
                    ">=",
                    &since.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
                );
            }
            self.query_pages(&select, &mut out, &mut |p| pages.push(p))
                .await?;
        }
        Ok((out, pages))
    }

    /// All accounts; `include_inactive` also returns the deactivated ones (a mapped Wise
    /// account that was made inactive must still be found).
    ///
    /// # Errors
    /// As [`Company::query_all`].
    pub async fn accounts(&self, include_inactive: bool) -> Result<Vec<Account>, QboError> {
        let mut s = Select::from(Entity::Account);
        if include_inactive {
            s = s.include_inactive();
        }
        Ok(self.query_all(&s).await?.account)
    }

    /// Bank accounts (`AccountType = 'Bank'`), inactive ones included.
    ///
    /// # Errors
    /// As [`Company::query_all`].
    pub async fn bank_accounts(&self) -> Result<Vec<Account>, QboError> {
        let s = Select::from(Entity::Account)
            .filter("AccountType", "=", "Bank")
            .include_inactive();
        Ok(self.query_all(&s).await?.account)
    }

    /// # Errors
    /// As [`Company::query_all`].
    pub async fn customers(&self, include_inactive: bool) -> Result<Vec<Customer>, QboError> {
        let mut s = Select::from(Entity::Customer);
        if include_inactive {
            s = s.include_inactive();
        }
        Ok(self.query_all(&s).await?.customer)
    }

    /// # Errors
    /// As [`Company::query_all`].
    pub async fn vendors(&self, include_inactive: bool) -> Result<Vec<Vendor>, QboError> {
        let mut s = Select::from(Entity::Vendor);
        if include_inactive {
            s = s.include_inactive();
        }
        Ok(self.query_all(&s).await?.vendor)
    }

    /// Invoices with an open balance.
    ///
    /// # Errors
    /// As [`Company::query_all`].
    pub async fn open_invoices(&self) -> Result<Vec<Invoice>, QboError> {
        let s = Select::from(Entity::Invoice).filter("Balance", ">", "0");
        Ok(self.query_all(&s).await?.invoice)
    }

    /// Bills with an open balance.
    ///
    /// # Errors
    /// As [`Company::query_all`].
    pub async fn open_bills(&self) -> Result<Vec<crate::wire::Bill>, QboError> {
        let s = Select::from(Entity::Bill).filter("Balance", ">", "0");
        Ok(self.query_all(&s).await?.bill)
    }

    /// `GET /{entity}/{id}`: one entity, returned in a [`QueryResponse`] of one row.
    ///
    /// # Errors
    /// API errors (610 when it does not exist or was deleted).
    pub async fn read(&self, entity: Entity, id: &str) -> Result<QueryResponse, QboError> {
        let resp = self
            .send(ApiRequest::get(format!("{}/{id}", entity.path())))
            .await?;
        single(&resp.body, entity, &resp.intuit_tid)
    }

    /// `GET /companyinfo/{realm}`.
    ///
    /// # Errors
    /// API errors.
    pub async fn company_info(&self) -> Result<CompanyInfo, QboError> {
        let resp = self
            .send(ApiRequest::get(format!("companyinfo/{}", self.realm_id())))
            .await?;
        let mut r = single(&resp.body, Entity::CompanyInfo, &resp.intuit_tid)?;
        r.company_info
            .pop()
            .ok_or_else(|| missing("CompanyInfo", &resp.intuit_tid))
    }

    /// `GET /preferences`; see [`Preferences::multicurrency_enabled`].
    ///
    /// # Errors
    /// API errors.
    pub async fn preferences(&self) -> Result<Preferences, QboError> {
        let resp = self.send(ApiRequest::get("preferences")).await?;
        let mut r = single(&resp.body, Entity::Preferences, &resp.intuit_tid)?;
        r.preferences
            .pop()
            .ok_or_else(|| missing("Preferences", &resp.intuit_tid))
    }
}

fn missing(what: &'static str, tid: &Option<String>) -> QboError {
    QboError::Decode {
        what,
        message: format!("no \"{what}\" object"),
        intuit_tid: tid.clone(),
    }
}

/// Reads `{"<Entity>": {...}, "time": …}` into a one-row [`QueryResponse`].
pub(crate) fn single(
    text: &str,
    entity: Entity,
    tid: &Option<String>,
) -> Result<QueryResponse, QboError> {
    // Not `#[serde(flatten)]`: flatten cannot carry borrowed raw values.
    let keys: BTreeMap<String, &RawValue> = serde_json::from_str(text)
        .map_err(WireError::json)
        .map_err(decode("entity", tid))?;
    let raw = keys
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(entity.name()))
        .map(|(_, v)| *v)
        .ok_or_else(|| missing(entity.name(), tid))?;
    let mut out = QueryResponse::default();
    out.extend_raw(entity.name(), &format!("[{}]", raw.get()))
        .map_err(WireError::json)
        .map_err(decode("entity", tid))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_quoted_and_escaped() {
        assert_eq!(quote("Bob's Burger Joint"), r"'Bob\'s Burger Joint'");
        let s = Select::from(Entity::Vendor)
            .filter("DisplayName", "=", "Bob's")
            .include_inactive()
            .page(1001, 5000);
        assert_eq!(
            s,
            r"SELECT * FROM Vendor WHERE DisplayName = 'Bob\'s' AND Active IN (true, false) ORDERBY Id STARTPOSITION 1001 MAXRESULTS 1000"
        );
    }

    #[test]
    fn a_page_counts_only_its_entity() {
        let mut out = QueryResponse::default();
        let n = absorb_page(
            r#"{"QueryResponse":{"Account":[{"Id":"1"},{"Id":"2","Active":false}],"startPosition":1,"maxResults":2},"time":"t"}"#,
            Entity::Account,
            &mut out,
        )
        .unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            absorb_page(
                r#"{"QueryResponse":{},"time":"t"}"#,
                Entity::Account,
                &mut out
            )
            .unwrap(),
            0
        );
        assert_eq!(out.account.len(), 2);
    }
}
