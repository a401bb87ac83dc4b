//! An in-process QBO stand-in (quickbooks-api.md §15) for tests and the demo organization:
//! OAuth (authorize redirect, token with refresh rotation, revoke), a per-realm store with Id
//! sequences and SyncTokens, the query grammar subset, CDC with its cap and tombstones, the two
//! aging reports computed from open invoices, `requestid` replay, signed webhook emission in
//! both payload styles, fault injection, and unknown/JAXB junk fields in every entity.
//!
//! [`Emulator::start`] serves it on 127.0.0.1 (random port); [`router`] returns the axum
//! `Router` so a server can mount it in-process. [`EmulatorState`] is the seeding and control
//! API (both share it). Where Intuit's behaviour is UNCONFIRMED the emulator picks one and
//! says so on the [`EmulatorConfig`] field that switches it.

mod aging;
mod oauth;
mod query_lang;
mod store;
mod webhooks;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde_json::{Value, json};

use store::{ChangeEvent, RealmStore, StoreFault, canonical, is_name_list, stamp};

pub use webhooks::WebhookStyle;

/// How the token endpoint treats refresh tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshRotation {
    /// Every refresh returns a new refresh token and kills the old one (the strictest reading
    /// of Intuit's "always store the latest").
    Always,
    /// The refresh token stays the same (Intuit rotates "roughly every 24 h", UNCONFIRMED).
    Never,
}

/// Where and how the emulator delivers webhooks.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub url: String,
    pub verifier_token: String,
    pub style: WebhookStyle,
}

/// Emulator settings.
#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The realm the authorize endpoint connects (created if missing).
    pub default_realm: String,
    pub access_ttl: Duration,
    pub refresh_ttl_secs: u64,
    pub hard_ttl_secs: u64,
    pub rotation: RefreshRotation,
    /// JAXB `PurchaseEx`/`LineEx` and an unknown field in every entity.
    pub junk_fields: bool,
    /// Add `totalCount` to `SELECT *` pages (UNCONFIRMED in QBO; off by default so the client
    /// is not tempted to rely on it).
    pub total_count_on_pages: bool,
    /// CDC's per-response object cap.
    pub cdc_cap: usize,
    /// HTTP status for a valid token used against another realm (UNCONFIRMED; 403 chosen).
    pub wrong_realm_status: u16,
    pub webhook: Option<WebhookTarget>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        Self {
            client_id: "emulator-client".into(),
            client_secret: "emulator-secret".into(),
            default_realm: "9341453000000001".into(),
            access_ttl: Duration::from_secs(3600),
            refresh_ttl_secs: 8_726_400,
            hard_ttl_secs: 157_680_000,
            rotation: RefreshRotation::Always,
            junk_fields: true,
            total_count_on_pages: false,
            cdc_cap: 1000,
            wrong_realm_status: 403,
            webhook: None,
        }
    }
}

/// A fault to inject into data API responses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// 429 with the 3001 ThrottleExceeded body.
    Throttle,
    /// 401 with the gateway's lower-case `fault` JSON (3200).
    Unauthorized,
    /// 401 with the historical XML body.
    UnauthorizedXml,
    /// 400 Stale Object Error (5010).
    StaleObject,
    /// 400 Object Not Found (610).
    NotFound,
    /// 400 business validation error (6000).
    BusinessValidation,
    /// 500 SystemFault (10000).
    ServerError,
    /// HTTP 200 whose body is a Fault (e.g. Invalid Company Status, 6190).
    FaultIn200,
    /// 503 with an HTML body (a gateway page, not JSON).
    Unavailable,
    /// Answer normally, but only after this delay (beyond a client timeout).
    Slow(Duration),
}

#[derive(Debug, Clone)]
struct FaultRule {
    kind: FaultKind,
    /// Only requests whose path (after `/v3/company/{realm}/`) contains this.
    path_contains: Option<String>,
    remaining: usize,
}

/// Requests the emulator has served, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RequestCounts {
    pub query: usize,
    pub cdc: usize,
    pub report: usize,
    pub read: usize,
    pub write: usize,
    pub oauth: usize,
    /// Requests answered with an injected fault.
    pub faulted: usize,
}

impl RequestCounts {
    /// Data API requests (everything but OAuth).
    #[must_use]
    pub fn api(&self) -> usize {
        self.query + self.cdc + self.report + self.read + self.write
    }
}

#[derive(Debug, Default)]
struct TokenState {
    codes: HashMap<String, (String, String)>,
    /// access token → (realm, expires, grant)
    access: HashMap<String, (String, DateTime<Utc>, u64)>,
    /// refresh token → (realm, grant, hard expiry)
    refresh: HashMap<String, (String, u64, DateTime<Utc>)>,
    next_grant: u64,
}

struct Shared {
    config: EmulatorConfig,
    realms: Mutex<HashMap<String, RealmStore>>,
    tokens: Mutex<TokenState>,
    faults: Mutex<VecDeque<FaultRule>>,
    counts: Mutex<RequestCounts>,
    events: Mutex<Vec<ChangeEvent>>,
    http: reqwest::Client,
}

/// The emulator's state: seed it, inject faults, count requests, deliver webhooks.
#[derive(Clone)]
pub struct EmulatorState {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for EmulatorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmulatorState").finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The emulator's routes (API under `/v3/company/…`, OAuth under `/connect/oauth2`,
/// `/oauth2/v1/tokens/bearer`, `/v2/oauth2/tokens/revoke`). Point the client at the mount
/// point with [`crate::Endpoints::under`].
pub fn router(state: EmulatorState) -> Router {
    Router::new()
        .route("/connect/oauth2", get(oauth::authorize))
        .route("/oauth2/v1/tokens/bearer", post(oauth::token))
        .route("/v2/oauth2/tokens/revoke", post(oauth::revoke))
        .route("/v3/company/{realm}/{*rest}", any(api))
        .with_state(state)
}

/// A running emulator on 127.0.0.1; stops when dropped. Derefs to [`EmulatorState`].
pub struct Emulator {
    state: EmulatorState,
    base_url: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::ops::Deref for Emulator {
    type Target = EmulatorState;
    fn deref(&self) -> &EmulatorState {
        &self.state
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

impl Emulator {
    /// Serves a fresh emulator on 127.0.0.1 (random port).
    ///
    /// # Errors
    /// When the port cannot be bound.
    pub async fn start(config: EmulatorConfig) -> std::io::Result<Self> {
        let state = EmulatorState::new(config);
        let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = router(state.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self {
            state,
            base_url: format!("http://{addr}"),
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:<port>`.
    #[must_use]
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The client's endpoints for this emulator.
    ///
    /// # Panics
    /// Never: the base URL is always valid.
    #[must_use]
    pub fn endpoints(&self) -> crate::Endpoints {
        crate::Endpoints::under(&self.base_url)
            .unwrap_or_else(|e| unreachable!("emulator URL is valid: {e}"))
    }

    #[must_use]
    pub fn state(&self) -> &EmulatorState {
        &self.state
    }
}

/// A bank or other account to seed.
#[derive(Debug, Clone)]
pub struct AccountSeed {
    pub name: String,
    /// `Bank`, `Expense`, `Accounts Receivable`, ...
    pub account_type: String,
    pub sub_type: Option<String>,
    pub currency: Option<String>,
    pub active: bool,
}

impl AccountSeed {
    #[must_use]
    pub fn bank(name: &str, currency: &str) -> Self {
        Self {
            name: name.into(),
            account_type: "Bank".into(),
            sub_type: Some("Checking".into()),
            currency: Some(currency.into()),
            active: true,
        }
    }

    #[must_use]
    pub fn expense(name: &str) -> Self {
        Self {
            name: name.into(),
            account_type: "Expense".into(),
            sub_type: Some("BankCharges".into()),
            currency: None,
            active: true,
        }
    }
}

/// An invoice to seed.
#[derive(Debug, Clone)]
pub struct InvoiceSeed {
    pub customer_id: String,
    pub doc_number: String,
    pub amount: Decimal,
    /// Open amount; the full amount when `None`.
    pub balance: Option<Decimal>,
    pub txn_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: Option<String>,
}

impl EmulatorState {
    #[must_use]
    pub fn new(config: EmulatorConfig) -> Self {
        let default_realm = config.default_realm.clone();
        let state = Self {
            shared: Arc::new(Shared {
                config,
                realms: Mutex::new(HashMap::new()),
                tokens: Mutex::new(TokenState::default()),
                faults: Mutex::new(VecDeque::new()),
                counts: Mutex::new(RequestCounts::default()),
                events: Mutex::new(Vec::new()),
                http: reqwest::Client::new(),
            }),
        };
        state.add_realm(&default_realm, "Clearline Demo Studio");
        state
    }

    #[must_use]
    pub fn config(&self) -> &EmulatorConfig {
        &self.shared.config
    }

    fn realm<R>(&self, realm: &str, f: impl FnOnce(&mut RealmStore) -> R) -> R {
        let mut realms = lock(&self.shared.realms);
        let store = realms
            .entry(realm.to_owned())
            .or_insert_with(|| RealmStore::new(realm, "Emulated Company"));
        f(store)
    }

    /// Creates a company (no-op when it exists).
    pub fn add_realm(&self, realm: &str, company_name: &str) {
        lock(&self.shared.realms)
            .entry(realm.to_owned())
            .or_insert_with(|| RealmStore::new(realm, company_name));
    }

    /// Sets `Preferences.CurrencyPrefs`.
    pub fn set_preferences(&self, realm: &str, multicurrency: bool, home_currency: &str) {
        self.realm(realm, |s| {
            s.preferences["CurrencyPrefs"] =
                json!({"MultiCurrencyEnabled": multicurrency, "HomeCurrency": {"value": home_currency}});
        });
    }

    /// Inserts any entity as given (plus Id, SyncToken, MetaData, totals); returns its Id.
    /// `MetaData` in `value` is kept, so tests can place rows in time.
    pub fn insert(&self, realm: &str, entity: &str, value: Value) -> String {
        let entity = canonical(entity).unwrap_or(entity).to_owned();
        self.realm(realm, |s| s.insert(&entity, value, Utc::now()))
    }

    /// Inserts many rows of one entity under one lock (the 50k-posting benchmark).
    pub fn insert_many(
        &self,
        realm: &str,
        entity: &str,
        values: impl IntoIterator<Item = Value>,
    ) -> Vec<String> {
        let entity = canonical(entity).unwrap_or(entity).to_owned();
        let now = Utc::now();
        self.realm(realm, |s| {
            values
                .into_iter()
                .map(|v| s.insert(&entity, v, now))
                .collect()
        })
    }

    pub fn add_account(&self, realm: &str, seed: AccountSeed) -> String {
        let mut v = json!({
            "Name": seed.name, "FullyQualifiedName": seed.name, "AccountType": seed.account_type,
            "Classification": if seed.account_type == "Bank" { "Asset" } else { "Expense" },
            "Active": seed.active, "SubAccount": false, "CurrentBalance": 0,
        });
        if let Some(st) = seed.sub_type {
            v["AccountSubType"] = json!(st);
        }
        if let Some(c) = seed.currency {
            v["CurrencyRef"] = json!({"value": c});
        }
        self.insert(realm, "Account", v)
    }

    pub fn add_customer(&self, realm: &str, name: &str) -> String {
        self.insert(
            realm,
            "Customer",
            json!({"DisplayName": name, "Active": true, "Balance": 0}),
        )
    }

    pub fn add_vendor(&self, realm: &str, name: &str) -> String {
        self.insert(
            realm,
            "Vendor",
            json!({"DisplayName": name, "Active": true, "Balance": 0}),
        )
    }

    pub fn add_invoice(&self, realm: &str, seed: InvoiceSeed) -> String {
        let mut v = json!({
            "DocNumber": seed.doc_number, "TxnDate": seed.txn_date.to_string(), "DueDate": seed.due_date.to_string(),
            "CustomerRef": {"value": seed.customer_id},
            "Line": [{"DetailType": "SalesItemLineDetail", "Amount": store::number(seed.amount),
                      "SalesItemLineDetail": {"ItemRef": {"value": "1", "name": "Services"}}}],
            "Balance": store::number(seed.balance.unwrap_or(seed.amount)),
        });
        if let Some(name) = self.realm(realm, |s| {
            s.get("Customer", &seed.customer_id)
                .and_then(|c| c.get("DisplayName").cloned())
        }) {
            v["CustomerRef"]["name"] = name;
        }
        if let Some(c) = seed.currency {
            v["CurrencyRef"] = json!({"value": c});
        }
        self.insert(realm, "Invoice", v)
    }

    /// A bank posting: a Purchase (`amount` < 0, money out) or a Deposit (> 0) on
    /// `bank_account_id`, against `other_account_id`.
    pub fn add_posting(
        &self,
        realm: &str,
        bank_account_id: &str,
        other_account_id: &str,
        amount: Decimal,
        date: NaiveDate,
        memo: &str,
    ) -> String {
        let (entity, v) = posting_value(bank_account_id, other_account_id, amount, date, memo);
        self.insert(realm, entity, v)
    }

    /// Sparse-updates an entity as a QBO user would (SyncToken and LastUpdatedTime move, a
    /// webhook event is queued).
    ///
    /// # Errors
    /// When the entity does not exist.
    pub fn update(
        &self,
        realm: &str,
        entity: &str,
        id: &str,
        mut patch: Value,
    ) -> Result<(), String> {
        let entity = canonical(entity).unwrap_or(entity).to_owned();
        let now = Utc::now();
        self.realm(realm, |s| {
            let token = s
                .get(&entity, id)
                .and_then(|v| v.get("SyncToken").cloned())
                .ok_or_else(|| format!("{entity} {id} does not exist"))?;
            patch["Id"] = json!(id);
            patch["SyncToken"] = token;
            patch["sparse"] = json!(true);
            s.update(&entity, patch, now)
                .map(|_| ())
                .map_err(|f| f.message)
        })?;
        self.record(realm, &entity, id, "Update", now);
        Ok(())
    }

    /// Deletes as a QBO user would (a CDC tombstone and a webhook event).
    ///
    /// # Errors
    /// When the entity does not exist.
    pub fn delete(&self, realm: &str, entity: &str, id: &str) -> Result<(), String> {
        let entity = canonical(entity).unwrap_or(entity).to_owned();
        let now = Utc::now();
        self.realm(realm, |s| {
            s.delete(&entity, id, None, now)
                .map(|_| ())
                .map_err(|f| f.message)
        })?;
        self.record(realm, &entity, id, "Delete", now);
        Ok(())
    }

    /// The stored entity, as the API would return it (without junk).
    #[must_use]
    pub fn get(&self, realm: &str, entity: &str, id: &str) -> Option<Value> {
        let entity = canonical(entity).unwrap_or(entity);
        self.realm(realm, |s| s.get(entity, id).cloned())
    }

    /// How many rows of `entity` the realm holds.
    #[must_use]
    pub fn count(&self, realm: &str, entity: &str) -> usize {
        let entity = canonical(entity).unwrap_or(entity);
        self.realm(realm, |s| {
            s.entities
                .get(entity)
                .map_or(0, std::collections::BTreeMap::len)
        })
    }

    /// Queues `kind` for the next `times` API requests.
    pub fn inject(&self, kind: FaultKind, times: usize) {
        self.inject_on(kind, None, times);
    }

    /// Queues `kind` for the next `times` API requests whose path contains `path_contains`.
    pub fn inject_on(&self, kind: FaultKind, path_contains: Option<&str>, times: usize) {
        lock(&self.shared.faults).push_back(FaultRule {
            kind,
            path_contains: path_contains.map(str::to_owned),
            remaining: times,
        });
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    #[must_use]
    pub fn requests(&self) -> RequestCounts {
        *lock(&self.shared.counts)
    }

    pub fn reset_requests(&self) {
        *lock(&self.shared.counts) = RequestCounts::default();
    }

    /// Issues a token pair for `realm` without the browser dance (tests, the demo).
    #[must_use]
    pub fn issue_tokens(&self, realm: &str) -> crate::Tokens {
        self.add_realm(realm, "Emulated Company");
        oauth::issue(self, realm, true).0
    }

    /// Makes every access token expire now (the client must refresh).
    pub fn expire_access_tokens(&self) {
        let past = Utc::now() - chrono::Duration::seconds(1);
        for v in lock(&self.shared.tokens).access.values_mut() {
            v.1 = past;
        }
    }

    fn record(
        &self,
        realm: &str,
        entity: &str,
        id: &str,
        operation: &'static str,
        at: DateTime<Utc>,
    ) {
        lock(&self.shared.events).push(ChangeEvent {
            realm: realm.to_owned(),
            entity: entity.to_owned(),
            id: id.to_owned(),
            operation,
            at,
        });
    }

    /// Change events waiting for delivery.
    #[must_use]
    pub fn pending_webhook_events(&self) -> usize {
        lock(&self.shared.events).len()
    }

    /// Posts the pending events to the configured webhook URL, signed, in the configured
    /// style. Events stay queued unless the receiver answers 2xx, so calling again retries.
    ///
    /// # Errors
    /// No webhook configured, or the receiver unreachable.
    pub async fn deliver_webhooks(&self) -> Result<u16, String> {
        let target = self
            .shared
            .config
            .webhook
            .clone()
            .ok_or("no webhook target configured")?;
        let events: Vec<ChangeEvent> = lock(&self.shared.events).clone();
        if events.is_empty() {
            return Ok(204);
        }
        let (body, signature) = webhooks::payload(&events, target.style, &target.verifier_token);
        let resp = self
            .shared
            .http
            .post(&target.url)
            .header("content-type", "application/json; charset=utf-8")
            .header(crate::webhook::SIGNATURE_HEADER, signature)
            .header("intuit-t-id", uuid::Uuid::new_v4().to_string())
            .body(body)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status();
        if status.is_success() {
            let mut q = lock(&self.shared.events);
            let n = events.len().min(q.len());
            q.drain(..n);
        }
        Ok(status.as_u16())
    }

    /// The body and signature a delivery of the pending events would carry.
    #[must_use]
    pub fn webhook_payload(&self, style: WebhookStyle, verifier_token: &str) -> (Vec<u8>, String) {
        let events = lock(&self.shared.events).clone();
        webhooks::payload(&events, style, verifier_token)
    }

    fn count_kind(&self, f: impl FnOnce(&mut RequestCounts)) {
        f(&mut lock(&self.shared.counts));
    }

    fn take_fault(&self, path: &str) -> Option<FaultKind> {
        let mut faults = lock(&self.shared.faults);
        let pos = faults
            .iter()
            .position(|r| r.path_contains.as_deref().is_none_or(|p| path.contains(p)))?;
        let rule = &mut faults[pos];
        let kind = rule.kind.clone();
        rule.remaining = rule.remaining.saturating_sub(1);
        if rule.remaining == 0 {
            faults.remove(pos);
        }
        Some(kind)
    }
}

/// The JSON of a bank posting (see [`EmulatorState::add_posting`]).
#[must_use]
pub fn posting_value(
    bank_account_id: &str,
    other_account_id: &str,
    amount: Decimal,
    date: NaiveDate,
    memo: &str,
) -> (&'static str, Value) {
    if amount < Decimal::ZERO {
        (
            "Purchase",
            json!({
                "PaymentType": "Cash", "AccountRef": {"value": bank_account_id}, "TxnDate": date.to_string(),
                "PrivateNote": memo,
                "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": store::number(-amount), "Description": memo,
                          "AccountBasedExpenseLineDetail": {"AccountRef": {"value": other_account_id}}}]
            }),
        )
    } else {
        (
            "Deposit",
            json!({
                "DepositToAccountRef": {"value": bank_account_id}, "TxnDate": date.to_string(), "PrivateNote": memo,
                "Line": [{"DetailType": "DepositLineDetail", "Amount": store::number(amount), "Description": memo,
                          "DepositLineDetail": {"AccountRef": {"value": other_account_id}}}]
            }),
        )
    }
}

// ---- responses ----

fn tid() -> String {
    format!("emu-{}", uuid::Uuid::new_v4())
}

fn respond(status: u16, content_type: &'static str, body: String) -> Response {
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        body,
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&tid()) {
        h.insert("intuit_tid", v);
    }
    resp
}

fn json_response(status: u16, v: &Value) -> Response {
    respond(status, "application/json;charset=UTF-8", v.to_string())
}

fn fault_response(f: &StoreFault) -> Response {
    json_response(
        f.status,
        &json!({"Fault": {"Error": [{"Message": f.message, "Detail": f.detail, "code": f.code, "element": ""}], "type": f.kind},
                "time": stamp(Utc::now())}),
    )
}

fn auth_failure_json() -> Response {
    json_response(
        401,
        &json!({"fault": {"error": [{"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
        "detail": "Token expired: emulator", "code": "3200"}], "type": "AUTHENTICATION"}, "warnings": null, "intuitObject": null,
        "report": null, "queryResponse": null, "batchItemResponse": [], "attachableResponse": [], "syncErrorResponse": null,
        "requestId": null, "time": Utc::now().timestamp_millis(), "status": null, "cdcresponse": []}),
    )
}

fn auth_failure_xml() -> Response {
    respond(
        401,
        "application/xml",
        format!(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3" time="{}"><Fault type="AUTHENTICATION"><Error code="3200"><Message>message=AuthenticationFailed; errorCode=003200; statusCode=401</Message></Error></Fault></IntuitResponse>"#,
            stamp(Utc::now())
        ),
    )
}

fn injected(kind: &FaultKind) -> Option<Response> {
    let f = |status, kind, code, message: &str, detail: &str| {
        fault_response(&StoreFault {
            status,
            kind,
            code,
            message: message.into(),
            detail: detail.into(),
        })
    };
    Some(match kind {
        FaultKind::Throttle => f(
            429,
            "SERVICE",
            "3001",
            "message=ThrottleExceeded; errorCode=003001; statusCode=429",
            "The request limit was reached.",
        ),
        FaultKind::Unauthorized => auth_failure_json(),
        FaultKind::UnauthorizedXml => auth_failure_xml(),
        FaultKind::StaleObject => f(
            400,
            "ValidationFault",
            "5010",
            "Stale Object Error",
            "Stale Object Error : You and Jane Doe were working on this at the same time.",
        ),
        FaultKind::NotFound => f(
            400,
            "ValidationFault",
            "610",
            "Object Not Found",
            "Object Not Found : Something you're trying to use has been made inactive or deleted.",
        ),
        FaultKind::BusinessValidation => f(
            400,
            "ValidationFault",
            "6000",
            "A business validation error has occurred while processing your request",
            "Business Validation Error: injected",
        ),
        FaultKind::ServerError => f(
            500,
            "SystemFault",
            "10000",
            "An application error has occurred while processing your request",
            "System Failure Error: injected",
        ),
        FaultKind::FaultIn200 => f(
            200,
            "ValidationFault",
            "6190",
            "Invalid Company Status",
            "Subscription period has ended or canceled or there was a billing problem",
        ),
        FaultKind::Unavailable => respond(
            503,
            "text/html",
            "<html><body>503 Service Unavailable</body></html>".into(),
        ),
        FaultKind::Slow(_) => return None,
    })
}

/// Adds the junk real responses carry: JAXB `PurchaseEx`/`LineEx` and a field nobody knows.
fn decorate(entity: &str, v: &Value, junk: bool) -> Value {
    if !junk {
        return v.clone();
    }
    let mut v = v.clone();
    let name_value = |n: &str, val: &str| {
        json!({"any": [{"name": "{http://schema.intuit.com/finance/v3}NameValue",
        "declaredType": "com.intuit.schema.finance.v3.NameValue", "scope": "javax.xml.bind.JAXBElement$GlobalScope",
        "value": {"Name": n, "Value": val}, "nil": false, "globalScope": true, "typeSubstituted": false}]})
    };
    if let Some(o) = v.as_object_mut() {
        if entity == "Purchase" {
            o.insert("PurchaseEx".into(), name_value("TxnType", "54"));
            o.insert("CustomField".into(), json!([]));
        }
        if entity == "Payment"
            && let Some(Value::Array(lines)) = o.get_mut("Line")
        {
            for l in lines {
                if let Some(lo) = l.as_object_mut() {
                    lo.insert("LineEx".into(), name_value("txnOpenBalance", "0.00"));
                }
            }
        }
        o.insert(
            "EmulatorUnknownField".into(),
            json!({"nested": [1, "two", null], "since": "minorversion 99"}),
        );
    }
    v
}

fn query_params(raw: Option<&str>) -> HashMap<String, String> {
    url::form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

// ---- the data API ----

async fn api(
    State(state): State<EmulatorState>,
    Path((realm, rest)): Path<(String, String)>,
    method: Method,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = query_params(raw.as_deref());
    let rest = rest.trim_matches('/').to_owned();
    let first = rest.split('/').next().unwrap_or("").to_ascii_lowercase();
    state.count_kind(|c| match first.as_str() {
        "query" => c.query += 1,
        "cdc" => c.cdc += 1,
        "reports" => c.report += 1,
        _ if method == Method::POST => c.write += 1,
        _ => c.read += 1,
    });
    if let Some(kind) = state.take_fault(&rest) {
        if let FaultKind::Slow(d) = kind {
            tokio::time::sleep(d).await;
        } else if let Some(resp) = injected(&kind) {
            state.count_kind(|c| c.faulted += 1);
            return resp;
        }
    }
    // Auth: a live bearer token for this realm.
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    let token_realm = {
        let tokens = lock(&state.shared.tokens);
        tokens
            .access
            .get(bearer)
            .filter(|(_, exp, _)| *exp > Utc::now())
            .map(|(r, _, _)| r.clone())
    };
    let Some(token_realm) = token_realm else {
        return auth_failure_json();
    };
    if token_realm != realm || !lock(&state.shared.realms).contains_key(&realm) {
        return fault_response(&StoreFault {
            status: state.shared.config.wrong_realm_status,
            kind: "AuthorizationFault",
            code: "3100",
            message: "ApplicationAuthorizationFailed".into(),
            detail: "The token is not authorized for this company.".into(),
        });
    }
    let junk = state.shared.config.junk_fields;
    let now = Utc::now();
    let text = String::from_utf8_lossy(&body).into_owned();
    match (method.clone(), first.as_str()) {
        (_, "query") => {
            let statement = if method == Method::POST { text } else { params.get("query").cloned().unwrap_or_default() };
            run_query(&state, &realm, &statement)
        }
        (Method::GET, "cdc") => run_cdc(&state, &realm, &params),
        (Method::GET, "reports") => {
            let name = rest.split('/').nth(1).unwrap_or("");
            let report_date = params
                .get("report_date")
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
                .unwrap_or_else(|| now.date_naive());
            let customers: Vec<String> = params
                .get("customer")
                .map(|c| c.split(',').map(str::to_owned).collect())
                .unwrap_or_default();
            state.realm(&realm, |s| {
                let currency = s.preferences.pointer("/CurrencyPrefs/HomeCurrency/value").and_then(Value::as_str).unwrap_or("USD").to_owned();
                match name {
                    "AgedReceivables" => json_response(200, &aging::aged_receivables(s, report_date, &customers, &currency)),
                    "AgedReceivableDetail" => json_response(200, &aging::aged_receivable_detail(s, report_date, &customers, &currency)),
                    _ => fault_response(&StoreFault::validation("2500", "Invalid Reference Id", format!("report {name} is not emulated"))),
                }
            })
        }
        (Method::GET, "preferences") => state.realm(&realm, |s| {
            json_response(200, &json!({"Preferences": decorate("Preferences", &s.preferences, junk), "time": stamp(now)}))
        }),
        (Method::GET, "companyinfo") => state.realm(&realm, |s| {
            json_response(200, &json!({"CompanyInfo": decorate("CompanyInfo", &s.company_info, junk), "time": stamp(now)}))
        }),
        (Method::GET, _) => {
            let Some(entity) = canonical(&first) else {
                return respond(404, "text/html", "<html>Not Found</html>".into());
            };
            let id = rest.split('/').nth(1).unwrap_or("");
            state.realm(&realm, |s| match s.get(entity, id) {
                Some(v) => json_response(200, &json!({entity: decorate(entity, v, junk), "time": stamp(now)})),
                None => fault_response(&StoreFault::not_found(&format!("{entity} {id}"))),
            })
        }
        (Method::POST, _) => {
            let Some(entity) = canonical(&first) else {
                return respond(404, "text/html", "<html>Not Found</html>".into());
            };
            write(&state, &realm, entity, &params, &text)
        }
        _ => respond(405, "text/plain", "method not allowed".into()),
    }
}

fn write(
    state: &EmulatorState,
    realm: &str,
    entity: &'static str,
    params: &HashMap<String, String>,
    text: &str,
) -> Response {
    let request_id = params.get("requestid").cloned();
    if let Some(rid) = &request_id
        && let Some((status, body)) = state.realm(realm, |s| s.request_ids.get(rid).cloned())
    {
        // Same requestid: the original answer, nothing executed (§11.2).
        return respond(status, "application/json;charset=UTF-8", body);
    }
    let now = Utc::now();
    let body: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            return fault_response(&StoreFault::validation(
                "2500",
                "Request has invalid or unsupported property",
                e.to_string(),
            ));
        }
    };
    let operation = params.get("operation").map(String::as_str).unwrap_or("");
    let junk = state.shared.config.junk_fields;
    let result = state.realm(realm, |s| match operation {
        "delete" => {
            let id = body.get("Id").and_then(Value::as_str).unwrap_or("");
            let token = body.get("SyncToken").and_then(Value::as_str);
            s.delete(entity, id, token, now)
                .map(|v| (v, "Delete", id.to_owned()))
        }
        _ if body.get("Id").is_some() => s.update(entity, body.clone(), now).map(|v| {
            let id = v.get("Id").and_then(Value::as_str).unwrap_or("").to_owned();
            (v, "Update", id)
        }),
        _ => s.create(entity, body.clone(), now).map(|v| {
            let id = v.get("Id").and_then(Value::as_str).unwrap_or("").to_owned();
            (v, "Create", id)
        }),
    });
    let (status, out) = match result {
        Ok((v, op, id)) => {
            state.record(realm, entity, &id, op, now);
            (200, json!({entity: decorate(entity, &v, junk), "time": stamp(now)}).to_string())
        }
        Err(f) => (
            f.status,
            json!({"Fault": {"Error": [{"Message": f.message, "Detail": f.detail, "code": f.code, "element": ""}], "type": f.kind},
                   "time": stamp(now)})
            .to_string(),
        ),
    };
    if let Some(rid) = request_id {
        state.realm(realm, |s| s.request_ids.insert(rid, (status, out.clone())));
    }
    respond(status, "application/json;charset=UTF-8", out)
}

fn run_query(state: &EmulatorState, realm: &str, statement: &str) -> Response {
    let st = match query_lang::parse(statement) {
        Ok(st) => st,
        Err(e) => {
            return fault_response(&StoreFault::validation(
                "4000",
                "Error parsing query",
                format!("QueryParserError: {e}"),
            ));
        }
    };
    let Some(entity) = canonical(&st.entity) else {
        return fault_response(&StoreFault::validation(
            "4000",
            "Error parsing query",
            format!("QueryParserError: unknown entity {}", st.entity),
        ));
    };
    let junk = state.shared.config.junk_fields;
    let total_on_pages = state.shared.config.total_count_on_pages;
    let now = Utc::now();
    state.realm(realm, |s| {
        let asks_active = st
            .conditions
            .iter()
            .any(|c| c.field.eq_ignore_ascii_case("Active"));
        let single = match entity {
            "Preferences" => Some(s.preferences.clone()),
            "CompanyInfo" => Some(s.company_info.clone()),
            _ => None,
        };
        let rows: Vec<&Value> = match &single {
            Some(v) => vec![v],
            None => s
                .entities
                .get(entity)
                .map(|m| m.values().collect())
                .unwrap_or_default(),
        };
        let mut rows: Vec<&Value> = rows
            .into_iter()
            // Name lists hide inactive rows unless the query mentions Active (§4.1).
            .filter(|r| {
                asks_active
                    || !is_name_list(entity)
                    || r.get("Active").and_then(Value::as_bool) != Some(false)
            })
            .filter(|r| st.conditions.iter().all(|c| c.matches(r)))
            .collect();
        if st.count {
            return json_response(
                200,
                &json!({"QueryResponse": {"totalCount": rows.len()}, "time": stamp(now)}),
            );
        }
        match &st.order_by {
            // Rows are stored by numeric Id already.
            Some((f, true)) if f.eq_ignore_ascii_case("Id") => {}
            Some((f, asc)) => {
                rows.sort_by(|a, b| {
                    let o = query_lang::order(a, b, f);
                    if *asc { o } else { o.reverse() }
                });
            }
            None => {}
        }
        let total = rows.len();
        let page: Vec<Value> = rows
            .into_iter()
            .skip(st.start - 1)
            .take(st.max)
            .map(|r| decorate(entity, r, junk))
            .collect();
        if page.is_empty() {
            return json_response(200, &json!({"QueryResponse": {}, "time": stamp(now)}));
        }
        let mut qr = json!({entity: page, "startPosition": st.start, "maxResults": page.len()});
        if total_on_pages {
            qr["totalCount"] = json!(total);
        }
        json_response(200, &json!({"QueryResponse": qr, "time": stamp(now)}))
    })
}

fn run_cdc(state: &EmulatorState, realm: &str, params: &HashMap<String, String>) -> Response {
    let now = Utc::now();
    let since_text = params.get("changedSince").cloned().unwrap_or_default();
    let since = DateTime::parse_from_rfc3339(&since_text)
        .map(|t| t.with_timezone(&Utc))
        .or_else(|_| {
            NaiveDate::parse_from_str(&since_text, "%Y-%m-%d")
                .map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
        });
    let Ok(since) = since else {
        return fault_response(&StoreFault::validation(
            "4001",
            "Invalid query",
            "changedSince is not a date or date-time",
        ));
    };
    // Error shape for an old window is UNCONFIRMED; a ValidationFault is what the blueprint picks.
    if now - since > chrono::Duration::days(30) {
        return fault_response(&StoreFault::validation(
            "4001",
            "Invalid query",
            "changedSince must be within the last 30 days",
        ));
    }
    let entities: Vec<&'static str> = params
        .get("entities")
        .map(|e| e.split(',').filter_map(|n| canonical(n.trim())).collect())
        .unwrap_or_default();
    let junk = state.shared.config.junk_fields;
    let cap = state.shared.config.cdc_cap;
    state.realm(realm, |s| {
        let mut groups = Vec::new();
        let mut budget = cap;
        for entity in entities {
            let changed_at = |v: &Value| {
                v.pointer("/MetaData/LastUpdatedTime")
                    .and_then(Value::as_str)
                    .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                    .map(|t| t.with_timezone(&Utc))
            };
            let mut live: Vec<(DateTime<Utc>, &Value)> = s
                .entities
                .get(entity)
                .into_iter()
                .flat_map(|m| m.values())
                .filter_map(|v| changed_at(v).filter(|t| *t >= since).map(|t| (t, v)))
                .collect();
            live.sort_by_key(|(t, _)| *t);
            let dead: Vec<Value> = s
                .tombstones
                .iter()
                .filter(|t| t.entity == entity && t.at >= since)
                .map(|t| json!({"domain": "QBO", "status": "Deleted", "Id": t.id, "MetaData": {"LastUpdatedTime": stamp(t.at)}}))
                .collect();
            let total = live.len() + dead.len();
            if total == 0 {
                continue;
            }
            // Deletions after active objects, and the whole response capped (§5).
            let mut items: Vec<Value> = live.into_iter().map(|(_, v)| decorate(entity, v, junk)).collect();
            items.extend(dead);
            items.truncate(budget);
            budget -= items.len();
            let n = items.len();
            let mut g = json!({entity: items, "startPosition": 1, "maxResults": n});
            if n < total {
                g["totalCount"] = json!(total);
            }
            groups.push(g);
            if budget == 0 {
                break;
            }
        }
        if groups.is_empty() {
            groups.push(json!({}));
        }
        json_response(200, &json!({"CDCResponse": [{"QueryResponse": groups}], "time": stamp(now)}))
    })
}
