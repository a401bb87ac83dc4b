//! A Wise stand-in on 127.0.0.1 for tests and the demo organization (feature `emulator`).
//!
//! It speaks Wise's wire format for the endpoints the client uses (reference §11, §7.5, §3.5):
//! seeded ledgers (the default two, or any the caller brings, growing with
//! [`Emulator::append_entry`]) with consistent running balances, newest-first statements with
//! `zero` on every money object and the odd unknown field, SCA modes, partner OAuth with refresh
//! rotation, fault injection under `/__emulator/…`, and outbound webhooks signed with its own
//! RSA key.

pub mod ledger;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::signature::{PrivateKey, PublicKey};
use ledger::Ledger;

/// How the statement endpoint treats Strong Customer Authentication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScaMode {
    /// No challenge (US/CA/AU… profiles, or SCA already cleared).
    Off,
    /// Challenge with a one-time token; accept a valid `X-Signature` over it.
    Signature,
    /// Challenge and refuse even a correct signature (UK/EEA personal tokens since 2025).
    AlwaysReject,
}

/// One injected failure, consumed by the next matching API request.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Fault {
    RateLimit { retry_after_secs: u64 },
    Unauthorized,
    ServerError,
    Slow { delay_ms: u64 },
    TruncatedBody,
}

#[derive(Debug, Clone)]
pub struct EmulatorConfig {
    pub personal_tokens: Vec<String>,
    pub oauth_client_id: String,
    pub oauth_client_secret: String,
    pub sca_mode: ScaMode,
    /// Public keys "uploaded" by the user for SCA signatures.
    pub sca_public_keys: Vec<PublicKey>,
    /// Key that signs outbound webhooks; generated when `None`.
    pub webhook_key: Option<PrivateKey>,
    /// Weeks of seeded history per balance (for the default ledgers).
    pub weeks: i64,
    /// The ledgers to serve, any profile and currency; `None` seeds the default two (EUR and
    /// GBP on the business profile, `weeks` long). Running balances must chain
    /// ([`Ledger::is_consistent`]), or `start` refuses them.
    pub ledgers: Option<Vec<Ledger>>,
}

impl Default for EmulatorConfig {
    fn default() -> Self {
        EmulatorConfig {
            personal_tokens: vec!["personal-token".into()],
            oauth_client_id: "clearline".into(),
            oauth_client_secret: "clearline-secret".into(),
            sca_mode: ScaMode::Off,
            sca_public_keys: Vec::new(),
            webhook_key: None,
            weeks: 130,
            ledgers: None,
        }
    }
}

pub const BUSINESS_PROFILE_ID: i64 = 14599371;
pub const PERSONAL_PROFILE_ID: i64 = 14575282;
pub const EUR_BALANCE_ID: i64 = 200001;
pub const GBP_BALANCE_ID: i64 = 200002;
/// Not seeded by default; for callers that bring their own ledgers.
pub const USD_BALANCE_ID: i64 = 200003;

/// [`Emulator::append_entry`] named a balance no ledger holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no ledger holds balance {0}")]
pub struct UnknownBalance(pub i64);

/// The two ledgers served when the configuration brings none.
fn default_ledgers(weeks: i64) -> Vec<Ledger> {
    let start = ledger::default_start();
    vec![
        ledger::seed(
            BUSINESS_PROFILE_ID,
            EUR_BALANCE_ID,
            "EUR",
            start,
            weeks,
            900_000_000,
        ),
        ledger::seed(
            BUSINESS_PROFILE_ID,
            GBP_BALANCE_ID,
            "GBP",
            start,
            weeks,
            910_000_000,
        ),
    ]
}

struct Ott {
    created: DateTime<Utc>,
    used: bool,
}

struct RefreshGrant {
    profile_id: i64,
}

struct EmuState {
    config: EmulatorConfig,
    webhook_key: PrivateKey,
    ledgers: Vec<Ledger>,
    access_tokens: HashSet<String>,
    refresh_tokens: HashMap<String, RefreshGrant>,
    codes: HashMap<String, i64>,
    otts: HashMap<String, Ott>,
    subscriptions: HashMap<i64, Vec<Value>>,
    faults: VecDeque<Fault>,
    counter: u64,
    refreshes: u64,
}

impl EmuState {
    fn fresh_id(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}-{}-{}", self.counter, uuid::Uuid::new_v4())
    }
}

type Shared = Arc<Mutex<EmuState>>;

/// A running emulator. Dropping it stops the server.
pub struct Emulator {
    addr: SocketAddr,
    state: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Options for outbound webhook delivery.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct DeliveryOptions {
    /// Send every event twice (Wise delivers at least once).
    #[serde(default)]
    pub duplicate: bool,
    /// Send newest first (Wise does not guarantee order).
    #[serde(default)]
    pub out_of_order: bool,
}

impl Emulator {
    /// Binds 127.0.0.1 on a free port and serves until dropped.
    ///
    /// # Errors
    /// The port cannot be bound, no webhook key could be generated, or a given ledger's
    /// running balances do not chain (`InvalidInput`).
    pub async fn start(mut config: EmulatorConfig) -> std::io::Result<Emulator> {
        let webhook_key = match &config.webhook_key {
            Some(k) => k.clone(),
            None => PrivateKey::generate(2048).map_err(std::io::Error::other)?,
        };
        let ledgers = match config.ledgers.take() {
            Some(given) => given,
            None => default_ledgers(config.weeks),
        };
        if let Some(bad) = ledgers.iter().find(|l| !l.is_consistent()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "ledger of balance {} ({}): entries out of date order or running balances do not chain",
                    bad.balance_id, bad.currency
                ),
            ));
        }
        let state = Arc::new(Mutex::new(EmuState {
            config,
            webhook_key,
            ledgers,
            access_tokens: HashSet::new(),
            refresh_tokens: HashMap::new(),
            codes: HashMap::new(),
            otts: HashMap::new(),
            subscriptions: HashMap::new(),
            faults: VecDeque::new(),
            counter: 0,
            refreshes: 0,
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Emulator { addr, state, task })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The key a receiver must be configured with to verify this emulator's webhooks.
    pub fn webhook_public_key(&self) -> PublicKey {
        self.lock().webhook_key.public_key()
    }

    pub fn set_sca_mode(&self, mode: ScaMode) {
        self.lock().config.sca_mode = mode;
    }

    pub fn inject(&self, fault: Fault) {
        self.lock().faults.push_back(fault);
    }

    /// A copy of a seeded ledger (for asserting what statements should contain).
    pub fn ledger(&self, balance_id: i64) -> Option<Ledger> {
        self.lock()
            .ledgers
            .iter()
            .find(|l| l.balance_id == balance_id)
            .cloned()
    }

    /// Books a new entry on `balance_id` (activity arriving after start): it lands in date
    /// order, its running balance and those after it are recomputed, and statements, balances,
    /// activities, transfers and webhooks see it at once. Returns the entry as stored.
    ///
    /// # Errors
    /// No ledger holds `balance_id`.
    pub fn append_entry(
        &self,
        balance_id: i64,
        entry: ledger::Entry,
    ) -> Result<ledger::Entry, UnknownBalance> {
        let mut s = self.lock();
        let ledger = s
            .ledgers
            .iter_mut()
            .find(|l| l.balance_id == balance_id)
            .ok_or(UnknownBalance(balance_id))?;
        Ok(ledger.insert(entry).clone())
    }

    /// How many refresh-token grants were served (to prove refreshes are serialized).
    pub fn refresh_count(&self) -> u64 {
        self.lock().refreshes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, EmuState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Posts signed events for every subscription of `profile_id` (balances#update from the
    /// last entries of its balances, transfers#state-change for its latest transfers).
    pub async fn deliver_webhooks(
        &self,
        profile_id: i64,
        options: DeliveryOptions,
    ) -> Result<usize, String> {
        deliver(&self.state, profile_id, options).await
    }
}

fn lock(state: &Shared) -> std::sync::MutexGuard<'_, EmuState> {
    state.lock().unwrap_or_else(|p| p.into_inner())
}

/// The axum router on its own, for embedding (the demo server mounts it).
fn router(state: Shared) -> Router {
    let api = Router::new()
        .route("/v2/profiles", get(profiles))
        .route("/v2/profiles/{profile_id}", get(profile))
        .route("/v4/profiles/{profile_id}/balances", get(balances))
        .route(
            "/v1/profiles/{profile_id}/balance-statements/{balance_id}/statement.json",
            get(statement),
        )
        .route("/v1/profiles/{profile_id}/activities", get(activities))
        .route("/v1/transfers", get(transfers))
        .route("/v1/transfers/{transfer_id}", get(transfer))
        .route(
            "/v3/profiles/{profile_id}/subscriptions",
            get(list_subscriptions).post(create_subscription),
        )
        .route(
            "/v3/profiles/{profile_id}/subscriptions/{subscription_id}",
            get(get_subscription).delete(delete_subscription),
        )
        .layer(middleware::from_fn_with_state(
            state.clone(),
            faults_and_auth,
        ));
    Router::new()
        .merge(api)
        .route("/oauth/authorize/", get(authorize))
        .route("/oauth/authorize", get(authorize))
        .route("/oauth/token", post(token))
        .route("/__emulator/faults", post(inject_fault))
        .route("/__emulator/sca", post(set_sca))
        .route("/__emulator/webhooks/{profile_id}", post(emit_webhooks))
        .layer(middleware::from_fn(trace_id))
        .with_state(state)
}

async fn trace_id(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let id = uuid::Uuid::new_v4().simple().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-trace-id", v);
    }
    resp
}

fn json_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json;charset=UTF-8")],
        body,
    )
        .into_response()
}

fn error(status: StatusCode, body: Value) -> Response {
    json_response(status, body.to_string())
}

/// Applies the next injected fault, then checks the bearer token.
async fn faults_and_auth(State(state): State<Shared>, req: Request, next: Next) -> Response {
    let fault = lock(&state).faults.pop_front();
    match fault {
        Some(Fault::RateLimit { retry_after_secs }) => {
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [
                    ("Retry-After", retry_after_secs.to_string()),
                    ("X-Rate-Limited-By", "wise-public-api".to_owned()),
                ],
            )
                .into_response();
        }
        Some(Fault::Unauthorized) => {
            return error(
                StatusCode::UNAUTHORIZED,
                json!({"error":"invalid_token","error_description":uuid::Uuid::new_v4().to_string()}),
            );
        }
        Some(Fault::ServerError) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"timestamp": Utc::now().to_rfc3339(), "status": 500, "error": "Internal Server Error", "message": "emulated failure", "path": req.uri().path()}),
            );
        }
        Some(Fault::Slow { delay_ms }) => {
            tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        }
        Some(Fault::TruncatedBody) => {
            // Promise more bytes than are sent, then drop the connection mid-body.
            let parts: Vec<Result<Vec<u8>, std::io::Error>> = vec![
                Ok(b"[{\"id\":1,\"type\":".to_vec()),
                Err(std::io::Error::other("connection dropped")),
            ];
            let stream = futures_util::stream::iter(parts);
            return Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, "4096")
                .body(Body::from_stream(stream))
                .unwrap_or_default();
        }
        None => {}
    }
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let ok = token.is_some_and(|t| {
        let s = lock(&state);
        s.config.personal_tokens.contains(&t) || s.access_tokens.contains(&t)
    });
    if !ok {
        return error(
            StatusCode::UNAUTHORIZED,
            json!({"error":"invalid_token","error_description":uuid::Uuid::new_v4().to_string()}),
        );
    }
    next.run(req).await
}

// ---------------------------------------------------------------------------------------------
// Wire helpers

/// A money object exactly as Wise sends it: a JSON number (not a string) plus `zero`.
/// `serde_json::Value` (without `arbitrary_precision`) would hold the number as f64, so the exact
/// text rides in an `{"$exact": "…"}` placeholder that [`render`] writes as a bare number.
fn money(value: Decimal, currency: &str) -> Value {
    json!({"value": {"$exact": value.to_string()}, "currency": currency, "zero": value.is_zero()})
}

/// Serializes `v`, writing `{"$exact": "…"}` placeholders as bare JSON numbers.
fn render(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, &mut out);
    out
}

fn write_value(v: &Value, out: &mut String) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(exact)) = m.get("$exact") {
                out.push_str(exact);
                return;
            }
            out.push('{');
            for (i, (k, val)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write_value(val, out);
            }
            out.push('}');
        }
        Value::Array(a) => {
            out.push('[');
            for (i, val) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(val, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn ok_json(v: &Value) -> Response {
    json_response(StatusCode::OK, render(v))
}

fn iso(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn not_found(what: &str) -> Response {
    error(
        StatusCode::NOT_FOUND,
        json!({"errors":[{"code":"not.found","message":format!("{what} not found"),"path":null,"arguments":[]}]}),
    )
}

fn bad_request(path: &str, message: &str) -> Response {
    error(
        StatusCode::BAD_REQUEST,
        json!({"errors":[{"code":"error.invalid","message":message,"path":path,"arguments":[]}]}),
    )
}

// ---------------------------------------------------------------------------------------------
// Profiles and balances

fn profile_json(id: i64) -> Option<Value> {
    match id {
        BUSINESS_PROFILE_ID => Some(json!({
            "type": "BUSINESS", "id": id, "publicId": "f0e9d8c7-b6a5-4321-fedc-ba9876543210", "userId": 9889627,
            "address": {"id": 36152772, "addressFirstLine": "15 Tech Hub Studios", "city": "Manchester",
                        "countryIso2Code": "GB", "countryIso3Code": "gbr", "postCode": "M1 7JA", "stateCode": null},
            "email": "info@innovate-solutions.co.uk", "createdAt": "2024-03-10T09:00:00", "updatedAt": "2025-06-18T14:22:00",
            "currentState": "VISIBLE", "businessName": "Innovate Solutions Ltd", "companyType": "LIMITED_COMPANY",
            "companyRole": "OWNER", "operationalAddresses": [], "fullName": "Innovate Solutions Ltd"
        })),
        PERSONAL_PROFILE_ID => Some(json!({
            "type": "PERSONAL", "id": id, "publicId": "a1b2c3d4-e5f6-7890-1234-567890abcdef", "userId": 9889627,
            "email": "sarah.jenkins@example.com", "createdAt": "2023-01-15T10:30:00", "updatedAt": "2025-06-18T14:20:00",
            "currentState": "VISIBLE", "firstName": "Sarah", "lastName": "Jenkins", "fullName": "Sarah Jenkins",
            "secondaryAddresses": []
        })),
        _ => None,
    }
}

async fn profiles() -> Response {
    ok_json(&json!([
        profile_json(PERSONAL_PROFILE_ID),
        profile_json(BUSINESS_PROFILE_ID)
    ]))
}

async fn profile(Path(profile_id): Path<i64>) -> Response {
    match profile_json(profile_id) {
        Some(p) => ok_json(&p),
        None => not_found("profile"),
    }
}

async fn balances(
    State(state): State<Shared>,
    Path(profile_id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    // `types` is required by Wise (reference §14 trap 6).
    let Some(types) = q.get("types") else {
        return bad_request("types", "types is required");
    };
    if !types.split(',').any(|t| t == "STANDARD") {
        return ok_json(&json!([]));
    }
    let s = lock(&state);
    let list: Vec<Value> = s
        .ledgers
        .iter()
        .filter(|l| l.profile_id == profile_id)
        .map(|l| {
            let c = l.closing();
            json!({
                "id": l.balance_id, "currency": l.currency, "type": "STANDARD", "name": null, "icon": null,
                "investmentState": "NOT_INVESTED",
                "amount": money(c, &l.currency), "reservedAmount": money(Decimal::ZERO, &l.currency),
                "cashAmount": money(c, &l.currency), "totalWorth": money(c, &l.currency),
                "creationTime": "2020-05-20T14:43:16.658Z",
                "modificationTime": l.entries.last().map(|e| iso(e.date)),
                "visible": true
            })
        })
        .collect();
    ok_json(&Value::Array(list))
}

// ---------------------------------------------------------------------------------------------
// Statements (with SCA)

fn transaction_json(e: &ledger::Entry, currency: &str, i: usize) -> Value {
    let mut details = json!({"type": e.details_type, "description": e.description});
    match e.details_type {
        "DEPOSIT" => {
            details["senderName"] = json!(e.counterparty);
            details["senderAccount"] = json!("EE76 1700 0170 0049 6704 ");
            details["paymentReference"] = json!(e.payment_reference.clone().unwrap_or_default());
        }
        "TRANSFER" => {
            details["recipient"] =
                json!({"name": e.counterparty, "bankAccount": "DE89370400440532013000"});
            details["paymentReference"] = json!(e.payment_reference.clone().unwrap_or_default());
            details["creatorTrackingId"] = Value::Null;
        }
        "CARD" => {
            details["merchant"] =
                json!({"name": e.counterparty, "city": "SAN FRANCISCO", "country": "US"});
            details["cardLastFourDigits"] = json!("3021");
        }
        _ => {}
    }
    let mut t = json!({
        "type": if e.amount.is_sign_negative() { "DEBIT" } else { "CREDIT" },
        "date": iso(e.date),
        "amount": money(e.amount, currency),
        "totalFees": money(e.fees, currency),
        "details": details,
        "exchangeDetails": null,
        "runningBalance": money(e.running_balance, currency),
        "referenceNumber": e.reference_number,
        "attachment": null,
        "activityAssetAttributions": []
    });
    // Wise adds fields without notice; clients must not break.
    if i.is_multiple_of(5) {
        t["someNewField"] = json!(1);
    }
    t
}

async fn statement(
    State(state): State<Shared>,
    Path((profile_id, balance_id)): Path<(i64, i64)>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    req_uri: axum::http::Uri,
) -> Response {
    let mut s = lock(&state);
    let Some(ledger) = s
        .ledgers
        .iter()
        .find(|l| l.balance_id == balance_id && l.profile_id == profile_id)
        .cloned()
    else {
        return not_found("balance");
    };
    let Some(currency) = q.get("currency") else {
        return bad_request("currency", "currency is required");
    };
    if *currency != ledger.currency {
        return bad_request("currency", "currency does not match the balance");
    }
    let parse = |k: &str| q.get(k).and_then(|v| crate::wise_time::parse(v));
    let (Some(start), Some(end)) = (parse("intervalStart"), parse("intervalEnd")) else {
        return bad_request(
            "intervalStart",
            "intervalStart and intervalEnd are required",
        );
    };
    if end - start > ChronoDuration::days(crate::client::MAX_STATEMENT_DAYS) {
        return bad_request("intervalEnd", "interval must not exceed 469 days");
    }

    // SCA (reference §3.5).
    let mut approved = false;
    match s.config.sca_mode {
        ScaMode::Off => {}
        mode => {
            let ott = headers.get("x-2fa-approval").and_then(|v| v.to_str().ok());
            let sig = headers.get("x-signature").and_then(|v| v.to_str().ok());
            if let (Some(ott), Some(sig), ScaMode::Signature) = (ott, sig, mode) {
                let keys = s.config.sca_public_keys.clone();
                if let Some(o) = s.otts.get_mut(ott)
                    && !o.used
                    && Utc::now() - o.created < ChronoDuration::seconds(3600)
                    && keys.iter().any(|k| k.verify_base64(ott.as_bytes(), sig))
                {
                    o.used = true;
                    approved = true;
                }
            }
            if !approved {
                let fresh = uuid::Uuid::new_v4().to_string();
                s.otts.insert(
                    fresh.clone(),
                    Ott {
                        created: Utc::now(),
                        used: false,
                    },
                );
                let body = json!({"timestamp": Utc::now().to_rfc3339(), "status": 403, "error": "Forbidden",
                    "message": "You are forbidden to send this request", "path": req_uri.path()});
                return (
                    StatusCode::FORBIDDEN,
                    [
                        ("x-2fa-approval-result", "REJECTED".to_owned()),
                        ("x-2fa-approval", fresh),
                        (header::CONTENT_TYPE.as_str(), "application/json".to_owned()),
                    ],
                    body.to_string(),
                )
                    .into_response();
            }
        }
    }
    drop(s);

    // Inclusive end, as the docs' `…T23:59:59.999Z` suggests.
    let lines: Vec<&ledger::Entry> = ledger
        .entries
        .iter()
        .filter(|e| e.date >= start && e.date <= end)
        .collect();
    let opening = ledger.balance_before(start);
    let closing = lines.last().map_or(opening, |e| e.running_balance);
    let txs: Vec<Value> = lines
        .iter()
        .rev()
        .enumerate()
        .map(|(i, e)| transaction_json(e, currency, i))
        .collect();
    let body = json!({
        "accountHolder": {"type": "BUSINESS", "businessName": "Innovate Solutions Ltd",
                          "address": {"addressFirstLine": "15 Tech Hub Studios", "city": "Manchester", "postCode": "M1 7JA", "stateCode": null, "countryName": "United Kingdom"}},
        "issuer": {"name": "Wise Payments Limited", "firstLine": "56 Shoreditch High Street", "city": "London", "postCode": "E1 6JJ", "stateCode": null, "countryCode": "gbr", "country": "United Kingdom"},
        "bankDetails": [],
        "transactions": txs,
        "startOfStatementBalance": money(opening, currency),
        "endOfStatementBalance": money(closing, currency),
        "endOfStatementUnrealisedGainLoss": null,
        "balanceAssetConfiguration": null,
        "query": {"intervalStart": iso(start), "intervalEnd": iso(end), "type": q.get("type").cloned().unwrap_or_else(|| "COMPACT".into()),
                  "addStamp": false, "currency": currency, "profileId": profile_id, "timezone": "Z"},
        "request": {"id": uuid::Uuid::new_v4().to_string(), "creationTime": iso(Utc::now()), "profileId": profile_id,
                    "currency": currency, "balanceId": balance_id, "balanceName": null,
                    "intervalStart": iso(start), "intervalEnd": iso(end)},
        "feeSummary": {"summaryTitle": "Fees Summary", "feeSummaryItems": []},
        "locale": {"code": "en-GB"}
    });
    let mut resp = ok_json(&body);
    if approved {
        resp.headers_mut().insert(
            "x-2fa-approval-result",
            HeaderValue::from_static("APPROVED"),
        );
    }
    resp
}

// ---------------------------------------------------------------------------------------------
// Transfers and activities

fn transfer_id(e: &ledger::Entry) -> Option<i64> {
    (e.details_type == "TRANSFER")
        .then(|| e.reference_number.strip_prefix("TRANSFER-")?.parse().ok())
        .flatten()
}

fn transfer_json(e: &ledger::Entry, l: &Ledger) -> Option<Value> {
    let id = transfer_id(e)?;
    let principal = -e.amount - e.fees;
    Some(json!({
        "id": id, "user": 9889627, "targetAccount": 8692237, "sourceAccount": null, "quote": null,
        "quoteUuid": format!("8fa9be20-0000-4000-8000-{id:012}"), "status": "outgoing_payment_sent",
        "reference": e.payment_reference, "rate": {"$exact": "1.0"},
        "created": e.date.format("%Y-%m-%d %H:%M:%S").to_string(),
        "business": l.profile_id, "transferRequest": null,
        "details": {"reference": e.payment_reference}, "hasActiveIssues": false,
        "sourceCurrency": l.currency, "sourceValue": {"$exact": principal.to_string()},
        "targetCurrency": l.currency, "targetValue": {"$exact": principal.to_string()},
        "customerTransactionId": format!("54a6bc09-0000-4000-8000-{id:012}")
    }))
}

async fn transfers(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    // Without `profile`, Wise lists the personal profile's transfers (none here).
    let profile: i64 = q
        .get("profile")
        .and_then(|p| p.parse().ok())
        .unwrap_or(PERSONAL_PROFILE_ID);
    let limit: usize = q.get("limit").and_then(|v| v.parse().ok()).unwrap_or(100);
    let offset: usize = q.get("offset").and_then(|v| v.parse().ok()).unwrap_or(0);
    let mut all: Vec<(DateTime<Utc>, Value)> = s
        .ledgers
        .iter()
        .filter(|l| l.profile_id == profile)
        .flat_map(|l| {
            l.entries
                .iter()
                .filter_map(move |e| transfer_json(e, l).map(|j| (e.date, j)))
        })
        .collect();
    all.sort_by_key(|x| std::cmp::Reverse(x.0));
    let page: Vec<Value> = all
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|x| x.1)
        .collect();
    ok_json(&Value::Array(page))
}

async fn transfer(State(state): State<Shared>, Path(id): Path<i64>) -> Response {
    let s = lock(&state);
    for l in &s.ledgers {
        for e in &l.entries {
            if transfer_id(e) == Some(id)
                && let Some(j) = transfer_json(e, l)
            {
                return ok_json(&j);
            }
        }
    }
    not_found("transfer")
}

async fn activities(
    State(state): State<Shared>,
    Path(profile_id): Path<i64>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = lock(&state);
    let size: usize = q
        .get("size")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let start: usize = q
        .get("nextCursor")
        .and_then(|c| base64::engine::general_purpose::STANDARD.decode(c).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("offset:")?.parse().ok())
        .unwrap_or(0);
    let mut all: Vec<(&ledger::Entry, &str)> = s
        .ledgers
        .iter()
        .filter(|l| l.profile_id == profile_id)
        .flat_map(|l| l.entries.iter().map(|e| (e, l.currency.as_str())))
        .collect();
    all.sort_by_key(|(e, _)| std::cmp::Reverse(e.date));
    let page: Vec<Value> = all
        .iter()
        .skip(start)
        .take(size)
        .map(|&(e, currency)| {
            let kind = match e.details_type {
                "CARD" => ("CARD_PAYMENT", "CARD_TRANSACTION"),
                "DEPOSIT" => ("BALANCE_DEPOSIT", "BALANCE_TRANSACTION"),
                "CONVERSION" => ("AUTO_CONVERSION", "BALANCE_TRANSACTION"),
                _ => ("TRANSFER", "TRANSFER"),
            };
            json!({
                "id": base64::engine::general_purpose::STANDARD.encode(e.reference_number.as_bytes()),
                "type": kind.0,
                "resource": {"type": kind.1, "id": e.reference_number.rsplit('-').next()},
                "title": format!("<strong>{}</strong>", e.counterparty.clone().unwrap_or_default()),
                "description": "",
                "primaryAmount": format!("{} {currency}", e.amount.abs()),
                "secondaryAmount": "",
                "status": "COMPLETED",
                "createdOn": iso(e.date), "updatedOn": iso(e.date)
            })
        })
        .collect();
    let next = start + page.len();
    let cursor = (next < all.len())
        .then(|| base64::engine::general_purpose::STANDARD.encode(format!("offset:{next}")));
    ok_json(&json!({"cursor": cursor, "activities": page}))
}

// ---------------------------------------------------------------------------------------------
// Webhook subscriptions and delivery

async fn create_subscription(
    State(state): State<Shared>,
    Path(profile_id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let Ok(new) = serde_json::from_slice::<crate::api_types::NewSubscription>(&body) else {
        return bad_request("", "name, trigger_on and delivery are required");
    };
    let mut s = lock(&state);
    let sub = json!({
        "id": uuid::Uuid::new_v4().to_string(), "name": new.name,
        "delivery": {"version": new.delivery.version, "url": new.delivery.url},
        "trigger_on": new.trigger_on,
        "scope": {"domain": "profile", "id": profile_id.to_string()},
        "created_by": {"type": "user", "id": "9889627"},
        "created_at": Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true)
    });
    s.subscriptions
        .entry(profile_id)
        .or_default()
        .push(sub.clone());
    json_response(StatusCode::CREATED, render(&sub))
}

async fn list_subscriptions(State(state): State<Shared>, Path(profile_id): Path<i64>) -> Response {
    let s = lock(&state);
    ok_json(&Value::Array(
        s.subscriptions
            .get(&profile_id)
            .cloned()
            .unwrap_or_default(),
    ))
}

async fn get_subscription(
    State(state): State<Shared>,
    Path((profile_id, id)): Path<(i64, String)>,
) -> Response {
    let s = lock(&state);
    s.subscriptions
        .get(&profile_id)
        .and_then(|v| v.iter().find(|x| x["id"] == id.as_str()))
        .map_or_else(|| not_found("subscription"), ok_json)
}

async fn delete_subscription(
    State(state): State<Shared>,
    Path((profile_id, id)): Path<(i64, String)>,
) -> Response {
    let mut s = lock(&state);
    let list = s.subscriptions.entry(profile_id).or_default();
    let before = list.len();
    list.retain(|x| x["id"] != id.as_str());
    if list.len() == before {
        return not_found("subscription");
    }
    StatusCode::NO_CONTENT.into_response()
}

fn events_for(s: &EmuState, profile_id: i64, trigger: &str, sub_id: &str) -> Vec<String> {
    let sent_at = Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true);
    let mut out = Vec::new();
    for l in s.ledgers.iter().filter(|l| l.profile_id == profile_id) {
        let recent = &l.entries[l.entries.len().saturating_sub(3)..];
        for (i, e) in recent.iter().enumerate() {
            let occurred = e.date.to_rfc3339_opts(SecondsFormat::Secs, true);
            let ev = match trigger {
                "balances#update" => json!({
                    "data": {"resource": {"id": 2, "profile_id": profile_id, "type": "balance-account"},
                             "amount": {"$exact": e.amount.abs().to_string()}, "balance_id": l.balance_id,
                             "channel_name": "TRANSFER", "currency": l.currency, "occurred_at": occurred,
                             "post_transaction_balance_amount": {"$exact": e.running_balance.to_string()},
                             "step_id": 1_000_000 + i as i64,
                             "transaction_type": if e.amount.is_sign_negative() { "debit" } else { "credit" },
                             "transfer_reference": e.reference_number},
                    "subscription_id": sub_id, "event_type": "balances#update", "schema_version": "3.0.0", "sent_at": sent_at
                }),
                "transfers#state-change" => match transfer_id(e) {
                    Some(id) => json!({
                        "data": {"resource": {"type": "transfer", "id": id, "profile_id": profile_id, "account_id": 8692237},
                                 "current_state": "outgoing_payment_sent", "previous_state": "funds_converted", "occurred_at": occurred},
                        "subscription_id": sub_id, "event_type": "transfers#state-change", "schema_version": "2.0.0", "sent_at": sent_at
                    }),
                    None => continue,
                },
                _ => continue,
            };
            out.push(render(&ev));
        }
    }
    out
}

async fn deliver(
    state: &Shared,
    profile_id: i64,
    options: DeliveryOptions,
) -> Result<usize, String> {
    let batches: Vec<(String, Vec<String>, PrivateKey)> = {
        let s = lock(state);
        s.subscriptions
            .get(&profile_id)
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|sub| {
                let url = sub["delivery"]["url"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                let trigger = sub["trigger_on"].as_str().unwrap_or_default();
                let id = sub["id"].as_str().unwrap_or_default();
                (
                    url,
                    events_for(&s, profile_id, trigger, id),
                    s.webhook_key.clone(),
                )
            })
            .collect()
    };
    let http = reqwest::Client::new();
    let mut sent = 0;
    for (url, mut bodies, key) in batches {
        if options.out_of_order {
            bodies.reverse();
        }
        for body in bodies {
            let copies = if options.duplicate { 2 } else { 1 };
            let signature = key.sign_base64(body.as_bytes());
            for _ in 0..copies {
                http.post(&url)
                    .header(header::CONTENT_TYPE, "application/json")
                    .header("X-Signature-SHA256", &signature)
                    .header("X-Delivery-Id", uuid::Uuid::new_v4().to_string())
                    .body(body.clone())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                sent += 1;
            }
        }
    }
    Ok(sent)
}

// ---------------------------------------------------------------------------------------------
// OAuth

async fn authorize(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let s = &mut lock(&state);
    if q.get("client_id") != Some(&s.config.oauth_client_id) {
        return bad_request("client_id", "unknown client");
    }
    let Some(redirect) = q.get("redirect_uri") else {
        return bad_request("redirect_uri", "redirect_uri is required");
    };
    // The emulated user consents at once and picks the business profile.
    let code = s.fresh_id("code");
    s.codes.insert(code.clone(), BUSINESS_PROFILE_ID);
    let mut url = match url::Url::parse(redirect) {
        Ok(u) => u,
        Err(_) => return bad_request("redirect_uri", "invalid redirect_uri"),
    };
    url.query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("profileId", &BUSINESS_PROFILE_ID.to_string());
    if let Some(st) = q.get("state") {
        url.query_pairs_mut().append_pair("state", st);
    }
    (StatusCode::FOUND, [(header::LOCATION, url.to_string())]).into_response()
}

async fn token(State(state): State<Shared>, headers: HeaderMap, body: String) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let mut s = lock(&state);
    let expected = base64::engine::general_purpose::STANDARD.encode(format!(
        "{}:{}",
        s.config.oauth_client_id, s.config.oauth_client_secret
    ));
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    if basic != Some(expected.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            json!({"error":"invalid_client","error_description":"Bad client credentials"}),
        );
    }
    let profile_id = match form.get("grant_type").map(String::as_str) {
        Some("authorization_code") => match form.get("code").and_then(|c| s.codes.remove(c)) {
            Some(p) => p,
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    json!({"error":"invalid_grant","error_description":"Invalid authorization code"}),
                );
            }
        },
        Some("refresh_token") => {
            // Rotation: the old refresh token and every earlier access token stop working.
            match form
                .get("refresh_token")
                .and_then(|r| s.refresh_tokens.remove(r))
            {
                Some(g) => {
                    s.refreshes += 1;
                    s.access_tokens.clear();
                    g.profile_id
                }
                None => {
                    return error(
                        StatusCode::UNAUTHORIZED,
                        json!({"error":"invalid_grant","error_description":"Invalid user credentials."}),
                    );
                }
            }
        }
        Some(_) => {
            return error(
                StatusCode::BAD_REQUEST,
                json!({"error":"unsupported_grant_type","error_description":"Unsupported grant type"}),
            );
        }
        None => {
            return error(
                StatusCode::BAD_REQUEST,
                json!({"error":"invalid_request","error_description":"Missing grant type"}),
            );
        }
    };
    let access = s.fresh_id("access");
    let refresh = s.fresh_id("refresh");
    s.access_tokens.insert(access.clone());
    s.refresh_tokens
        .insert(refresh.clone(), RefreshGrant { profile_id });
    let now = Utc::now();
    ok_json(&json!({
        "access_token": access, "token_type": "bearer", "refresh_token": refresh,
        "expires_in": 43199, "expires_at": iso(now + ChronoDuration::seconds(43199)),
        "refresh_token_expires_in": 628639555, "scope": "transfers", "created_at": iso(now)
    }))
}

// ---------------------------------------------------------------------------------------------
// Emulator controls (not Wise endpoints)

async fn inject_fault(State(state): State<Shared>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) => {
            lock(&state).faults.push_back(f);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request("kind", &e.to_string()),
    }
}

async fn set_sca(State(state): State<Shared>, body: axum::body::Bytes) -> Response {
    #[derive(Deserialize)]
    struct Body {
        mode: ScaMode,
    }
    match serde_json::from_slice::<Body>(&body) {
        Ok(b) => {
            lock(&state).config.sca_mode = b.mode;
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request("mode", &e.to_string()),
    }
}

async fn emit_webhooks(
    State(state): State<Shared>,
    Path(profile_id): Path<i64>,
    body: axum::body::Bytes,
) -> Response {
    let options: DeliveryOptions = serde_json::from_slice(&body).unwrap_or_default();
    match deliver(&state, profile_id, options).await {
        Ok(n) => ok_json(&json!({"delivered": n})),
        Err(e) => error(
            StatusCode::BAD_GATEWAY,
            json!({"error": "delivery_failed", "message": e}),
        ),
    }
}
