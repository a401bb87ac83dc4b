//! A/R aging reports (quickbooks-api.md §9): `AgedReceivables` (summary per customer) and
//! `AgedReceivableDetail` (open transactions per bucket), parsed into typed buckets. Columns
//! are found by key (`ColKey` metadata, or `ColType` in the detail report) or by parsing the
//! title's day range (`"1 - 30"`, `"91 and over"`), never by position, so non-default periods
//! do not shift amounts silently. Cells are strings; `""` is zero.

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;
use thiserror::Error;

use crate::client::{ApiRequest, Company};
use crate::error::QboError;

/// An aging bucket, from its title or section label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AgingBucket {
    /// Not yet due.
    Current,
    /// `from..=to` days past due; `to` is `None` for the last, open-ended bucket.
    PastDue { from: u32, to: Option<u32> },
}

impl AgingBucket {
    /// Reads `Current`, `1 - 30`, `91 and over`, `31 - 60 days past due`,
    /// `91 or more days past due` (any case and spacing).
    #[must_use]
    pub fn parse(label: &str) -> Option<Self> {
        let norm: String = label
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_lowercase();
        if norm == "current" {
            return Some(Self::Current);
        }
        let digits: String = norm.chars().take_while(char::is_ascii_digit).collect();
        let from: u32 = digits.parse().ok()?;
        let rest = &norm[digits.len()..];
        if let Some(after) = rest.strip_prefix('-') {
            let to_digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            let to: u32 = to_digits.parse().ok()?;
            return Some(Self::PastDue { from, to: Some(to) });
        }
        if rest.starts_with("andover") || rest.starts_with("ormore") || rest.starts_with("+") {
            return Some(Self::PastDue { from, to: None });
        }
        None
    }

    /// The bucket `days_past_due` falls in, with the default 30-day periods.
    #[must_use]
    pub fn for_days(days_past_due: i64) -> Self {
        match days_past_due {
            i64::MIN..=0 => Self::Current,
            1..=30 => Self::PastDue {
                from: 1,
                to: Some(30),
            },
            31..=60 => Self::PastDue {
                from: 31,
                to: Some(60),
            },
            61..=90 => Self::PastDue {
                from: 61,
                to: Some(90),
            },
            _ => Self::PastDue { from: 91, to: None },
        }
    }
}

impl std::fmt::Display for AgingBucket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Current => f.write_str("Current"),
            Self::PastDue { from, to: Some(to) } => write!(f, "{from} - {to}"),
            Self::PastDue { from, to: None } => write!(f, "{from} and over"),
        }
    }
}

/// A report body the aging parser refuses, saying why.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReportError {
    #[error("report JSON: {0}")]
    Json(String),
    #[error("column {0:?} is neither the customer, a bucket nor the total")]
    UnknownColumn(String),
    #[error("the report has no {0} column")]
    MissingColumn(&'static str),
    #[error("cell {value:?} in column {column:?} is not an amount")]
    BadAmount { column: String, value: String },
    #[error("section label {0:?} is not an aging bucket")]
    UnknownBucket(String),
    #[error("customer rows add up to {rows} in bucket {bucket}, the report total says {total}")]
    Inconsistent {
        bucket: String,
        rows: Decimal,
        total: Decimal,
    },
}

// ---- wire ----

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct Report {
    header: ReportHeader,
    columns: Columns,
    rows: Rows,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct ReportHeader {
    report_name: Option<String>,
    currency: Option<String>,
    end_period: Option<String>,
    option: Vec<NameValue>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct NameValue {
    name: String,
    value: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct Columns {
    column: Vec<Column>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct Column {
    col_title: String,
    col_type: String,
    meta_data: Vec<NameValue>,
}

impl Column {
    fn key(&self) -> Option<&str> {
        self.meta_data
            .iter()
            .find(|m| m.name.eq_ignore_ascii_case("ColKey"))
            .map(|m| m.value.as_str())
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct Rows {
    row: Vec<Row>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Row {
    #[serde(rename = "type")]
    kind: Option<String>,
    group: Option<String>,
    #[serde(rename = "ColData")]
    col_data: Option<Vec<Cell>>,
    #[serde(rename = "Header")]
    header: Option<CellRow>,
    #[serde(rename = "Rows")]
    rows: Option<Rows>,
    #[serde(rename = "Summary")]
    summary: Option<CellRow>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "PascalCase")]
struct CellRow {
    col_data: Vec<Cell>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
struct Cell {
    value: String,
    id: Option<String>,
}

fn parse_report(text: &str) -> Result<Report, ReportError> {
    serde_json::from_str(text).map_err(|e| ReportError::Json(e.to_string()))
}

fn cell_amount(cells: &[Cell], i: usize, column: &str) -> Result<Decimal, ReportError> {
    let v = cells.get(i).map_or("", |c| c.value.trim());
    if v.is_empty() {
        return Ok(Decimal::ZERO);
    }
    Decimal::from_str(&v.replace(',', "")).map_err(|_| ReportError::BadAmount {
        column: column.to_owned(),
        value: v.to_owned(),
    })
}

fn report_date(h: &ReportHeader) -> Option<NaiveDate> {
    h.option
        .iter()
        .find(|o| o.name.eq_ignore_ascii_case("report_date"))
        .map(|o| o.value.as_str())
        .or(h.end_period.as_deref())
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
}

fn no_data(h: &ReportHeader) -> bool {
    h.option.iter().any(|o| {
        o.name.eq_ignore_ascii_case("NoReportData") && o.value.eq_ignore_ascii_case("true")
    })
}

// ---- summary ----

/// One customer's line in the A/R aging summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerAging {
    pub customer_id: Option<String>,
    pub name: String,
    /// Aligned with [`AgingSummary::buckets`].
    pub amounts: Vec<Decimal>,
    pub total: Decimal,
}

/// `AgedReceivables`, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingSummary {
    pub report_date: Option<NaiveDate>,
    pub currency: Option<String>,
    /// In column order (normally Current first).
    pub buckets: Vec<AgingBucket>,
    pub customers: Vec<CustomerAging>,
    /// Per bucket, from the GrandTotal row (or the sum of customers when absent).
    pub bucket_totals: Vec<Decimal>,
    pub total: Decimal,
}

/// Customer id, name, bucket amounts and total of one summary row.
type SummaryCells = (Option<String>, String, Vec<Decimal>, Option<Decimal>);

enum SummaryCol {
    Customer,
    Bucket(usize),
    Total,
}

/// Parses an `AgedReceivables` body.
///
/// # Errors
/// An unrecognised column, a malformed amount, or customer rows that do not add up to the
/// report's total.
pub fn parse_aged_receivables(text: &str) -> Result<AgingSummary, ReportError> {
    let report = parse_report(text)?;
    let mut buckets = Vec::new();
    let mut cols = Vec::new();
    for c in &report.columns.column {
        let key = c.key().unwrap_or("");
        let title = c.col_title.trim();
        let col = if c.col_type.eq_ignore_ascii_case("Customer")
            || key.eq_ignore_ascii_case("customer")
        {
            SummaryCol::Customer
        } else if title.eq_ignore_ascii_case("total") || key.eq_ignore_ascii_case("total") {
            SummaryCol::Total
        } else if let Some(b) = AgingBucket::parse(title).or_else(|| AgingBucket::parse(key)) {
            buckets.push(b);
            SummaryCol::Bucket(buckets.len() - 1)
        } else {
            return Err(ReportError::UnknownColumn(c.col_title.clone()));
        };
        cols.push((col, c.col_title.clone()));
    }
    if !no_data(&report.header) && !cols.iter().any(|(c, _)| matches!(c, SummaryCol::Customer)) {
        return Err(ReportError::MissingColumn("customer"));
    }
    let read = |cells: &[Cell]| -> Result<SummaryCells, ReportError> {
        let mut amounts = vec![Decimal::ZERO; buckets.len()];
        let mut total = None;
        let mut id = None;
        let mut name = String::new();
        for (i, (col, title)) in cols.iter().enumerate() {
            match col {
                SummaryCol::Customer => {
                    if let Some(c) = cells.get(i) {
                        id.clone_from(&c.id);
                        name.clone_from(&c.value);
                    }
                }
                SummaryCol::Bucket(b) => amounts[*b] = cell_amount(cells, i, title)?,
                SummaryCol::Total => total = Some(cell_amount(cells, i, title)?),
            }
        }
        Ok((id, name, amounts, total))
    };
    let mut customers = Vec::new();
    let mut grand: Option<(Vec<Decimal>, Option<Decimal>)> = None;
    fn walk(
        rows: &[Row],
        read: &dyn Fn(&[Cell]) -> Result<SummaryCells, ReportError>,
        customers: &mut Vec<CustomerAging>,
        grand: &mut Option<(Vec<Decimal>, Option<Decimal>)>,
    ) -> Result<(), ReportError> {
        for row in rows {
            if let Some(cells) = &row.col_data {
                let (customer_id, name, amounts, total) = read(cells)?;
                let total = total.unwrap_or_else(|| amounts.iter().copied().sum());
                customers.push(CustomerAging {
                    customer_id,
                    name,
                    amounts,
                    total,
                });
            } else if row
                .group
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case("GrandTotal"))
            {
                if let Some(s) = &row.summary {
                    let (_, _, amounts, total) = read(&s.col_data)?;
                    *grand = Some((amounts, total));
                }
            } else if let Some(inner) = &row.rows {
                // A parent customer with jobs: its Summary is a subtotal of the rows inside,
                // so only the rows count.
                walk(&inner.row, read, customers, grand)?;
            }
        }
        Ok(())
    }
    walk(&report.rows.row, &read, &mut customers, &mut grand)?;
    let sums: Vec<Decimal> = (0..buckets.len())
        .map(|b| customers.iter().map(|c| c.amounts[b]).sum())
        .collect();
    let (bucket_totals, total) = match grand {
        Some((amounts, total)) => {
            for (b, (rows, want)) in sums.iter().zip(&amounts).enumerate() {
                if rows != want {
                    return Err(ReportError::Inconsistent {
                        bucket: buckets[b].to_string(),
                        rows: *rows,
                        total: *want,
                    });
                }
            }
            let t = total.unwrap_or_else(|| amounts.iter().copied().sum());
            (amounts, t)
        }
        None => {
            let t = sums.iter().copied().sum();
            (sums, t)
        }
    };
    Ok(AgingSummary {
        report_date: report_date(&report.header),
        currency: report.header.currency.clone(),
        buckets,
        customers,
        bucket_totals,
        total,
    })
}

// ---- detail ----

/// One open transaction in `AgedReceivableDetail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingDetailLine {
    pub bucket: AgingBucket,
    pub txn_date: Option<NaiveDate>,
    /// `Invoice`, `Payment`, `Credit Memo`, ...
    pub txn_type: String,
    /// The transaction's Id from the `txn_type` cell (UNCONFIRMED in live reports: may be
    /// absent).
    pub txn_id: Option<String>,
    pub doc_number: String,
    pub customer_id: Option<String>,
    pub customer_name: String,
    pub due_date: Option<NaiveDate>,
    pub amount: Option<Decimal>,
    pub open_balance: Decimal,
    /// Multicurrency companies only.
    pub currency: Option<String>,
}

/// `AgedReceivableDetail`, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgingDetail {
    pub report_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub lines: Vec<AgingDetailLine>,
}

impl AgingDetail {
    /// Open balance per bucket, oldest last.
    #[must_use]
    pub fn totals(&self) -> Vec<(AgingBucket, Decimal)> {
        let mut map = std::collections::BTreeMap::new();
        for l in &self.lines {
            *map.entry(l.bucket).or_insert(Decimal::ZERO) += l.open_balance;
        }
        map.into_iter().collect()
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DetailCol {
    Date,
    TxnType,
    DocNum,
    Customer,
    DueDate,
    Amount,
    OpenBalance,
    Currency,
    Other,
}

fn detail_col(c: &Column) -> DetailCol {
    let key = c.key().unwrap_or(&c.col_type).to_ascii_lowercase();
    match key.as_str() {
        "tx_date" => return DetailCol::Date,
        "txn_type" => return DetailCol::TxnType,
        "doc_num" => return DetailCol::DocNum,
        "cust_name" => return DetailCol::Customer,
        "due_date" => return DetailCol::DueDate,
        "subt_amount" | "foreign_amount" => return DetailCol::Amount,
        "subt_open_bal" | "foreign_open_bal" => return DetailCol::OpenBalance,
        "currency" => return DetailCol::Currency,
        _ => {}
    }
    // Titles are localized; English defaults as the last resort.
    match c.col_title.trim().to_ascii_lowercase().as_str() {
        "date" => DetailCol::Date,
        "transaction type" => DetailCol::TxnType,
        "num" | "no." => DetailCol::DocNum,
        "customer" | "client" => DetailCol::Customer,
        "due date" => DetailCol::DueDate,
        "amount" => DetailCol::Amount,
        "open balance" => DetailCol::OpenBalance,
        "currency" => DetailCol::Currency,
        _ => DetailCol::Other,
    }
}

/// Parses an `AgedReceivableDetail` body: one Section per bucket, oldest first, each with
/// `Data` rows; the GrandTotal section carries no rows.
///
/// # Errors
/// No open-balance column, an unknown bucket label, a malformed amount.
pub fn parse_aged_receivable_detail(text: &str) -> Result<AgingDetail, ReportError> {
    let report = parse_report(text)?;
    let cols: Vec<(DetailCol, String)> = report
        .columns
        .column
        .iter()
        .map(|c| (detail_col(c), c.col_title.clone()))
        .collect();
    let mut lines = Vec::new();
    if !no_data(&report.header) && !report.rows.row.is_empty() {
        if !cols.iter().any(|(c, _)| *c == DetailCol::OpenBalance) {
            return Err(ReportError::MissingColumn("open balance"));
        }
        for section in &report.rows.row {
            if section
                .group
                .as_deref()
                .is_some_and(|g| g.eq_ignore_ascii_case("GrandTotal"))
            {
                continue;
            }
            let Some(inner) = &section.rows else {
                continue;
            };
            let label = section
                .header
                .as_ref()
                .and_then(|h| h.col_data.first())
                .map(|c| c.value.clone())
                .unwrap_or_default();
            let bucket = AgingBucket::parse(&label).ok_or(ReportError::UnknownBucket(label))?;
            for row in &inner.row {
                let Some(cells) = &row.col_data else {
                    continue;
                };
                if row
                    .kind
                    .as_deref()
                    .is_some_and(|k| !k.eq_ignore_ascii_case("Data"))
                {
                    continue;
                }
                let mut line = AgingDetailLine {
                    bucket,
                    txn_date: None,
                    txn_type: String::new(),
                    txn_id: None,
                    doc_number: String::new(),
                    customer_id: None,
                    customer_name: String::new(),
                    due_date: None,
                    amount: None,
                    open_balance: Decimal::ZERO,
                    currency: None,
                };
                let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
                for (i, (col, title)) in cols.iter().enumerate() {
                    let Some(cell) = cells.get(i) else { continue };
                    match col {
                        DetailCol::Date => line.txn_date = date(&cell.value),
                        DetailCol::TxnType => {
                            line.txn_type.clone_from(&cell.value);
                            line.txn_id.clone_from(&cell.id);
                        }
                        DetailCol::DocNum => line.doc_number.clone_from(&cell.value),
                        DetailCol::Customer => {
                            line.customer_name.clone_from(&cell.value);
                            line.customer_id.clone_from(&cell.id);
                        }
                        DetailCol::DueDate => line.due_date = date(&cell.value),
                        DetailCol::Amount => line.amount = Some(cell_amount(cells, i, title)?),
                        DetailCol::OpenBalance => line.open_balance = cell_amount(cells, i, title)?,
                        DetailCol::Currency => {
                            line.currency = Some(cell.value.clone()).filter(|c| !c.is_empty());
                        }
                        DetailCol::Other => {}
                    }
                }
                lines.push(line);
            }
        }
    }
    Ok(AgingDetail {
        report_date: report_date(&report.header),
        currency: report.header.currency.clone(),
        lines,
    })
}

/// Parameters shared by both aging reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgingParams {
    /// Default: today in the company's time zone.
    pub report_date: Option<NaiveDate>,
    /// Only these customers (QBO Ids).
    pub customer_ids: Vec<String>,
}

impl AgingParams {
    fn apply(&self, mut req: ApiRequest) -> ApiRequest {
        if let Some(d) = self.report_date {
            req = req.param("report_date", d.format("%Y-%m-%d").to_string());
        }
        if !self.customer_ids.is_empty() {
            req = req.param("customer", self.customer_ids.join(","));
        }
        req.param("aging_method", "Report_Date")
    }
}

impl Company {
    /// `GET /reports/AgedReceivables`, parsed.
    ///
    /// # Errors
    /// API errors or [`ReportError`].
    pub async fn aged_receivables(&self, params: &AgingParams) -> Result<AgingSummary, QboError> {
        let resp = self
            .send(params.apply(ApiRequest::get("reports/AgedReceivables")))
            .await?;
        Ok(parse_aged_receivables(&resp.body)?)
    }

    /// `GET /reports/AgedReceivableDetail`, parsed.
    ///
    /// # Errors
    /// API errors or [`ReportError`].
    pub async fn aged_receivable_detail(
        &self,
        params: &AgingParams,
    ) -> Result<AgingDetail, QboError> {
        let resp = self
            .send(params.apply(ApiRequest::get("reports/AgedReceivableDetail")))
            .await?;
        Ok(parse_aged_receivable_detail(&resp.body)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUMMARY: &str = r#"{
      "Header": { "Customer": "4", "ReportName": "AgedReceivables",
        "Option": [ { "Name": "report_date", "Value": "2015-12-31" }, { "Name": "NoReportData", "Value": "false" } ],
        "Currency": "USD" },
      "Rows": { "Row": [
        { "ColData": [ { "id": "4", "value": "Jane Litigious" }, { "value": "" }, { "value": "" },
                       { "value": "" }, { "value": "" }, { "value": "37.50" }, { "value": "37.50" } ] },
        { "group": "GrandTotal", "type": "Section",
          "Summary": { "ColData": [ { "value": "TOTAL" }, { "value": "0.00" }, { "value": "0.00" }, { "value": "0.00" },
                                    { "value": "0.00" }, { "value": "37.50" }, { "value": "37.50" } ] } } ] },
      "Columns": { "Column": [
        { "ColType": "Customer", "ColTitle": "" }, { "ColType": "Money", "ColTitle": "Current" },
        { "ColType": "Money", "ColTitle": "1 - 30" }, { "ColType": "Money", "ColTitle": "31 - 60" },
        { "ColType": "Money", "ColTitle": "61 - 90" }, { "ColType": "Money", "ColTitle": "91 and over" },
        { "ColType": "Money", "ColTitle": "Total" } ] } }"#;

    #[test]
    fn the_intuit_summary_sample() {
        let s = parse_aged_receivables(SUMMARY).unwrap();
        assert_eq!(s.buckets.len(), 5);
        assert_eq!(s.buckets[4], AgingBucket::PastDue { from: 91, to: None });
        assert_eq!(s.customers[0].customer_id.as_deref(), Some("4"));
        assert_eq!(s.customers[0].amounts[4], Decimal::new(3750, 2));
        assert_eq!(s.customers[0].amounts[0], Decimal::ZERO);
        assert_eq!(s.total, Decimal::new(3750, 2));
    }

    #[test]
    fn columns_are_found_by_title_not_position() {
        // Reordered columns and a 45-day period still land in the right buckets.
        let text = r#"{"Header":{},"Columns":{"Column":[
            {"ColType":"Money","ColTitle":"Total"},{"ColType":"Money","ColTitle":"46 - 90"},
            {"ColType":"Customer","ColTitle":""},{"ColType":"Money","ColTitle":"CURRENT"}]},
          "Rows":{"Row":[{"ColData":[{"value":"12.00"},{"value":"10.00"},{"value":"A","id":"1"},{"value":"2"}]}]}}"#;
        let s = parse_aged_receivables(text).unwrap();
        assert_eq!(
            s.buckets,
            [
                AgingBucket::PastDue {
                    from: 46,
                    to: Some(90)
                },
                AgingBucket::Current
            ]
        );
        assert_eq!(
            s.customers[0].amounts,
            [Decimal::new(10, 0), Decimal::new(2, 0)]
        );
        assert_eq!(s.total, Decimal::new(1200, 2));
    }

    #[test]
    fn totals_that_do_not_add_up_are_refused() {
        let bad = SUMMARY.replacen(
            r#"{ "value": "37.50" }, { "value": "37.50" } ] } } ] }"#,
            r#"{ "value": "40.00" }, { "value": "40.00" } ] } } ] }"#,
            1,
        );
        assert!(matches!(
            parse_aged_receivables(&bad),
            Err(ReportError::Inconsistent { .. })
        ));
    }

    #[test]
    fn detail_sections_become_buckets() {
        let text = r#"{"Header":{"ReportName":"AgedReceivableDetail","Option":[{"Name":"report_date","Value":"2025-03-14"}]},
          "Columns":{"Column":[{"ColTitle":"Date","ColType":"tx_date"},{"ColTitle":"Transaction Type","ColType":"txn_type"},
             {"ColTitle":"Num","ColType":"doc_num"},{"ColTitle":"Customer","ColType":"cust_name"},
             {"ColTitle":"Due Date","ColType":"due_date"},{"ColTitle":"Amount","ColType":"subt_amount"},
             {"ColTitle":"Open Balance","ColType":"subt_open_bal"}]},
          "Rows":{"Row":[
            {"type":"Section","Header":{"ColData":[{"value":"91 or more days past due"}]},
             "Rows":{"Row":[{"type":"Data","ColData":[{"value":"2024-10-01"},{"value":"Invoice","id":"130"},{"value":"1037"},
                {"value":"Sonnenschein","id":"24"},{"value":"2024-11-01"},{"value":"362.07"},{"value":"362.07"}]}]},
             "Summary":{"ColData":[{"value":"Total for 91 or more days past due"},{"value":""}]}},
            {"type":"Section","Header":{"ColData":[{"value":"CURRENT"}]},
             "Rows":{"Row":[{"type":"Data","ColData":[{"value":"2025-03-01"},{"value":"Invoice","id":"131"},{"value":"1038"},
                {"value":"Red Rock","id":"20"},{"value":"2025-03-31"},{"value":"100.00"},{"value":""}]}]}},
            {"type":"Section","group":"GrandTotal","Summary":{"ColData":[{"value":"TOTAL"}]}}]}}"#;
        let d = parse_aged_receivable_detail(text).unwrap();
        assert_eq!(d.lines.len(), 2);
        assert_eq!(
            d.lines[0].bucket,
            AgingBucket::PastDue { from: 91, to: None }
        );
        assert_eq!(d.lines[0].txn_id.as_deref(), Some("130"));
        assert_eq!(d.lines[0].open_balance, Decimal::new(36207, 2));
        assert_eq!(d.lines[1].bucket, AgingBucket::Current);
        assert_eq!(d.lines[1].open_balance, Decimal::ZERO);
        assert_eq!(d.report_date, NaiveDate::from_ymd_opt(2025, 3, 14));
    }

    #[test]
    fn bucket_labels() {
        assert_eq!(
            AgingBucket::parse("31 - 60 days past due"),
            Some(AgingBucket::PastDue {
                from: 31,
                to: Some(60)
            })
        );
        assert_eq!(AgingBucket::parse("Total"), None);
        assert_eq!(AgingBucket::for_days(0), AgingBucket::Current);
        assert_eq!(
            AgingBucket::for_days(91),
            AgingBucket::PastDue { from: 91, to: None }
        );
    }
}
