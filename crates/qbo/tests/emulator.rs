//! The real client against the emulator on 127.0.0.1: every endpoint, the write, each fault
//! and both webhook styles.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{Duration as ChronoDuration, NaiveDate, Utc};
use qbo::emulator::{
    AccountSeed, Emulator, EmulatorConfig, FaultKind, InvoiceSeed, RefreshRotation, WebhookStyle,
    WebhookTarget,
};
use qbo::oauth::OAuthError;
use qbo::reports::{AgingBucket, AgingParams};
use qbo::retry::RetryPolicy;
use qbo::{
    BankChargeRequest, ClientConfig, Company, Entity, OAuthConfig, QboClient, QboError, Secret,
    Select, SyncMethod, Tokens, token_sink,
};
use rust_decimal::Decimal;
use serde_json::json;

const REDIRECT: &str = "https://clearline.example/qbo/callback";

/// A story's cast: an emulator, the client, a connected company, and what was persisted.
struct Studio {
    emu: Emulator,
    client: QboClient,
    company: Company,
    saved: Arc<Mutex<Vec<Tokens>>>,
    realm: String,
    bank: String,
    fees: String,
}

fn client_for(emu: &Emulator, saved: &Arc<Mutex<Vec<Tokens>>>) -> QboClient {
    client_at(emu.endpoints(), emu, saved)
}

fn client_at(
    endpoints: qbo::Endpoints,
    emu: &Emulator,
    saved: &Arc<Mutex<Vec<Tokens>>>,
) -> QboClient {
    let mut config = ClientConfig::new(
        endpoints,
        OAuthConfig::new(
            emu.config().client_id.clone(),
            Secret::new(emu.config().client_secret.clone()),
            url::Url::parse(REDIRECT).unwrap(),
        ),
    );
    config.retry = RetryPolicy {
        request_timeout: Duration::from_millis(800),
        ..RetryPolicy::fast()
    };
    let sink_saved = saved.clone();
    QboClient::new(
        config,
        token_sink(move |t| {
            let s = sink_saved.clone();
            async move {
                s.lock().unwrap().push(t);
                Ok(())
            }
        }),
    )
    .unwrap()
}

impl Studio {
    async fn open() -> Self {
        Self::with(EmulatorConfig::default()).await
    }

    async fn with(config: EmulatorConfig) -> Self {
        let emu = Emulator::start(config).await.unwrap();
        let realm = emu.config().default_realm.clone();
        let bank = emu.add_account(&realm, AccountSeed::bank("Wise - EUR", "EUR"));
        let fees = emu.add_account(&realm, AccountSeed::expense("Bank Charges"));
        let saved = Arc::new(Mutex::new(Vec::new()));
        let client = client_for(&emu, &saved);
        let company = client.company(emu.issue_tokens(&realm));
        Self {
            emu,
            client,
            company,
            saved,
            realm,
            bank,
            fees,
        }
    }

    fn fee(&self, request_id: &str, amount: Decimal) -> BankChargeRequest {
        BankChargeRequest {
            request_id: request_id.into(),
            bank_account_id: self.bank.clone(),
            fee_account_id: self.fees.clone(),
            amount,
            txn_date: NaiveDate::from_ymd_opt(2025, 3, 14).unwrap(),
            currency: None,
            exchange_rate: None,
            vendor_id: None,
            private_note: format!("Wise fee {request_id}"),
            description: "Bank fee".into(),
        }
    }

    fn postings(&self, n: usize) {
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
        // Created two hours ago, so "changed since a minute ago" means changed by the story.
        let at = (Utc::now() - ChronoDuration::hours(2)).to_rfc3339();
        let rows = (0..n).map(|i| {
            let amount = Decimal::new(-(100 + i64::try_from(i).unwrap()), 2);
            let mut v = qbo::emulator::posting_value(&self.bank, &self.fees, amount, day, "card").1;
            v["MetaData"] = json!({"CreateTime": at, "LastUpdatedTime": at});
            v
        });
        self.emu.insert_many(&self.realm, "Purchase", rows);
    }
}

#[tokio::test]
async fn connecting_through_the_browser_flow() {
    let s = Studio::open().await;
    let pending = s.client.oauth().authorize();
    assert!(pending.url.as_str().contains("state="));
    let no_redirect = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = no_redirect.get(pending.url.clone()).send().await.unwrap();
    assert_eq!(resp.status(), 303);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    assert!(location.as_str().starts_with(REDIRECT));
    let query = location.query().unwrap().to_owned();

    // A forged state is refused before the code is spent.
    let forged = s
        .client
        .connect(&Secret::new("forged"), &query)
        .await
        .unwrap_err();
    assert!(matches!(forged, QboError::OAuth(OAuthError::StateMismatch)));

    let company = s.client.connect(&pending.state, &query).await.unwrap();
    assert_eq!(company.realm_id(), s.realm);
    assert_eq!(
        s.saved.lock().unwrap().len(),
        1,
        "the first pair is persisted"
    );
    let expiry = company.refresh_expiry().await;
    let days = (expiry.rolling - Utc::now()).num_days();
    assert!((100..=101).contains(&days), "{days}");
    assert!(expiry.hard.is_some());
    assert_eq!(expiry.deadline, expiry.rolling);
    assert!(company.preferences().await.is_ok());

    // Each code works once.
    let again = s.client.connect(&pending.state, &query).await.unwrap_err();
    assert!(
        matches!(again, QboError::OAuth(OAuthError::InvalidGrant { .. })),
        "{again}"
    );
}

#[tokio::test]
async fn refresh_rotates_persists_and_kills_the_old_token() {
    let s = Studio::open().await;
    let before = s.company.tokens().await;
    s.emu.expire_access_tokens();
    // The 401 triggers one refresh and the call succeeds.
    s.company.preferences().await.unwrap();
    let after = s.company.tokens().await;
    assert_ne!(before.refresh_token, after.refresh_token);
    assert_eq!(
        s.saved.lock().unwrap().last().unwrap().refresh_token,
        after.refresh_token
    );
    let err = s.client.oauth().refresh(&before).await.unwrap_err();
    assert!(matches!(err, OAuthError::InvalidGrant { .. }), "{err}");
}

#[tokio::test]
async fn concurrent_calls_refresh_once() {
    let s = Studio::open().await;
    let mut tokens = s.emu.issue_tokens(&s.realm);
    tokens.access_expires_at = Utc::now() - ChronoDuration::minutes(1);
    tokens.obtained_at = Utc::now() + ChronoDuration::seconds(1);
    let company = s.client.company(tokens);
    let calls = (0..8).map(|_| {
        let c = company.clone();
        tokio::spawn(async move { c.preferences().await.map(|p| p.multicurrency_enabled()) })
    });
    for c in calls {
        c.await.unwrap().unwrap();
    }
    // With rotation on, a second concurrent refresh would have failed with invalid_grant.
    assert_eq!(s.saved.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn revoke_disconnects() {
    let s = Studio::open().await;
    s.company.revoke().await.unwrap();
    let err = s.company.company_info().await.unwrap_err();
    assert!(
        matches!(err, QboError::OAuth(OAuthError::InvalidGrant { .. })),
        "{err}"
    );
}

#[tokio::test]
async fn queries_page_by_1000_and_stop_on_a_short_page() {
    let s = Studio::open().await;
    s.postings(2345);
    s.emu.reset_requests();
    let all = s.company.bank_transactions(None).await.unwrap();
    assert_eq!(all.purchase.len(), 2345);
    // Purchase: 1000 + 1000 + 345; the six other entities: one empty page each.
    assert_eq!(s.emu.requests().query, 3 + 6);
    let ids: std::collections::BTreeSet<_> = all.purchase.iter().map(|p| p.id.clone()).collect();
    assert_eq!(ids.len(), 2345, "no row twice, none lost");
    let postings = qbo::postings::bank_postings(
        &all,
        &qbo::postings::AccountSelection {
            bank_account_ids: [s.bank.clone()].into(),
            fee_account_ids: [s.fees.clone()].into(),
        },
    )
    .unwrap();
    assert_eq!(postings.len(), 2345);
    assert!(
        postings
            .iter()
            .all(|p| p.is_bank_charge && p.amount < Decimal::ZERO)
    );
}

#[tokio::test]
async fn names_with_quotes_and_inactive_accounts() {
    let s = Studio::open().await;
    s.emu.add_vendor(&s.realm, "Bob's Burger Joint");
    let found = s
        .company
        .query_all(&Select::from(Entity::Vendor).filter("DisplayName", "=", "Bob's Burger Joint"))
        .await
        .unwrap();
    assert_eq!(found.vendor.len(), 1);
    let mut old = AccountSeed::bank("Wise - GBP (closed)", "GBP");
    old.active = false;
    let old_id = s.emu.add_account(&s.realm, old);
    assert!(
        !s.company
            .accounts(false)
            .await
            .unwrap()
            .iter()
            .any(|a| a.id == old_id)
    );
    let banks = s.company.bank_accounts().await.unwrap();
    assert!(
        banks
            .iter()
            .any(|a| a.id == old_id && a.active == Some(false))
    );
    assert!(
        banks
            .iter()
            .all(|a| a.account_type.as_deref() == Some("Bank"))
    );
}

#[tokio::test]
async fn every_entity_reads() {
    let s = Studio::open().await;
    s.emu.set_preferences(&s.realm, true, "USD");
    let cust = s.emu.add_customer(&s.realm, "Red Rock Diner");
    let vendor = s.emu.add_vendor(&s.realm, "Wise");
    let day = NaiveDate::from_ymd_opt(2025, 3, 1).unwrap();
    let inv = s.emu.add_invoice(
        &s.realm,
        InvoiceSeed {
            customer_id: cust.clone(),
            doc_number: "1001".into(),
            amount: Decimal::new(36207, 2),
            balance: None,
            txn_date: day,
            due_date: day,
            currency: None,
        },
    );
    s.emu.insert(&s.realm, "Bill", json!({"VendorRef": {"value": vendor}, "TxnDate": "2025-03-01", "DueDate": "2025-03-31",
        "Line": [{"DetailType": "AccountBasedExpenseLineDetail", "Amount": 50.5, "AccountBasedExpenseLineDetail": {"AccountRef": {"value": s.fees}}}]}));
    s.emu.insert(&s.realm, "Payment", json!({"CustomerRef": {"value": cust}, "TotalAmt": 10, "TxnDate": "2025-03-02",
        "DepositToAccountRef": {"value": s.bank}, "Line": [{"Amount": 10, "LinkedTxn": [{"TxnId": inv, "TxnType": "Invoice"}]}]}));
    s.emu.insert(&s.realm, "BillPayment", json!({"VendorRef": {"value": vendor}, "PayType": "Check", "TotalAmt": 5, "TxnDate": "2025-03-03",
        "CheckPayment": {"BankAccountRef": {"value": s.bank}}, "Line": [{"Amount": 5, "LinkedTxn": [{"TxnId": "1", "TxnType": "Bill"}]}]}));
    s.emu.insert(&s.realm, "SalesReceipt", json!({"CustomerRef": {"value": cust}, "TxnDate": "2025-03-04", "DepositToAccountRef": {"value": s.bank},
        "Line": [{"DetailType": "SalesItemLineDetail", "Amount": 7.25, "SalesItemLineDetail": {}}]}));
    s.emu.insert(&s.realm, "Transfer", json!({"FromAccountRef": {"value": s.bank}, "ToAccountRef": {"value": "99"}, "Amount": 120, "TxnDate": "2025-03-05"}));
    s.emu.insert(&s.realm, "JournalEntry", json!({"TxnDate": "2025-03-06", "Line": [
        {"DetailType": "JournalEntryLineDetail", "Amount": 1.11, "JournalEntryLineDetail": {"PostingType": "Debit", "AccountRef": {"value": s.bank}}},
        {"DetailType": "JournalEntryLineDetail", "Amount": 1.11, "JournalEntryLineDetail": {"PostingType": "Credit", "AccountRef": {"value": s.fees}}}]}));
    let dep = s.emu.add_posting(
        &s.realm,
        &s.bank,
        &s.fees,
        Decimal::new(2000, 2),
        day,
        "interest",
    );

    let prefs = s.company.preferences().await.unwrap();
    assert!(prefs.multicurrency_enabled());
    assert_eq!(prefs.home_currency(), Some("USD"));
    let info = s.company.company_info().await.unwrap();
    assert_eq!(info.company_name.as_deref(), Some("Clearline Demo Studio"));
    assert_eq!(s.company.customers(true).await.unwrap().len(), 1);
    assert_eq!(s.company.vendors(false).await.unwrap().len(), 1);
    let open = s.company.open_invoices().await.unwrap();
    assert_eq!(
        open[0].balance.unwrap().0,
        Decimal::new(36207, 2),
        "seeding does not apply payments"
    );
    assert_eq!(s.company.open_bills().await.unwrap().len(), 1);
    let one = s.company.read(Entity::Deposit, &dep).await.unwrap();
    assert_eq!(one.deposit[0].total_amt.unwrap().0, Decimal::new(2000, 2));
    let all = s.company.bank_transactions(None).await.unwrap();
    assert_eq!(
        (
            all.payment.len(),
            all.bill_payment.len(),
            all.sales_receipt.len(),
            all.transfer.len(),
            all.journal_entry.len(),
            all.deposit.len()
        ),
        (1, 1, 1, 1, 1, 1)
    );
    let missing = s.company.read(Entity::Invoice, "999").await.unwrap_err();
    assert_eq!(missing.fault_code(), Some("610"));
}

#[tokio::test]
async fn cdc_reads_changes_and_deletions_in_one_request() {
    let s = Studio::open().await;
    s.postings(50);
    let mark = Utc::now() - ChronoDuration::minutes(1);
    for id in ["3", "4", "5"] {
        s.emu
            .update(&s.realm, "Purchase", id, json!({"PrivateNote": "edited"}))
            .unwrap();
    }
    s.emu.delete(&s.realm, "Purchase", "9").unwrap();
    s.emu.reset_requests();
    let changes = s
        .company
        .changes_since(&Entity::BANK_TRANSACTIONS, mark)
        .await
        .unwrap();
    assert_eq!(s.emu.requests().api(), 1);
    assert_eq!(changes.method, SyncMethod::Cdc);
    assert!(changes.deletions_complete);
    assert_eq!(changes.changed.purchase.len(), 3);
    assert!(
        changes
            .changed
            .purchase
            .iter()
            .all(|p| p.sync_token.as_deref() == Some("1"))
    );
    assert_eq!(changes.deleted.len(), 1);
    assert_eq!(changes.deleted[0].id, "9");
}

#[tokio::test]
async fn the_cdc_cap_falls_back_to_a_windowed_query() {
    let s = Studio::with(EmulatorConfig {
        cdc_cap: 5,
        ..EmulatorConfig::default()
    })
    .await;
    s.postings(12);
    let changes = s
        .company
        .changes_since(&[Entity::Purchase], Utc::now() - ChronoDuration::hours(3))
        .await
        .unwrap();
    assert_eq!(changes.method, SyncMethod::QueryAfterCdcCap);
    assert_eq!(changes.changed.purchase.len(), 12, "nothing truncated");
    assert!(!changes.deletions_complete);

    let old = s
        .company
        .changes_since(&[Entity::Purchase], Utc::now() - ChronoDuration::days(45))
        .await
        .unwrap();
    assert_eq!(old.method, SyncMethod::QueryBeyondCdcWindow);
    assert_eq!(old.changed.purchase.len(), 12);
}

#[tokio::test]
async fn aging_reports_from_open_invoices() {
    let s = Studio::open().await;
    let a = s.emu.add_customer(&s.realm, "Amy's Bird Sanctuary");
    let b = s.emu.add_customer(&s.realm, "Bill's Windsurf Shop");
    let report_date = NaiveDate::from_ymd_opt(2025, 3, 31).unwrap();
    let inv = |cust: &str, doc: &str, cents: i64, days_late: i64| InvoiceSeed {
        customer_id: cust.into(),
        doc_number: doc.into(),
        amount: Decimal::new(cents, 2),
        balance: None,
        txn_date: report_date - ChronoDuration::days(days_late + 30),
        due_date: report_date - ChronoDuration::days(days_late),
        currency: None,
    };
    s.emu.add_invoice(&s.realm, inv(&a, "1", 10_000, -5));
    s.emu.add_invoice(&s.realm, inv(&a, "2", 2_550, 10));
    s.emu.add_invoice(&s.realm, inv(&b, "3", 99_999, 120));
    s.emu.add_invoice(
        &s.realm,
        InvoiceSeed {
            balance: Some(Decimal::ZERO),
            ..inv(&b, "4", 500, 45)
        },
    );
    let params = AgingParams {
        report_date: Some(report_date),
        customer_ids: vec![],
    };
    let summary = s.company.aged_receivables(&params).await.unwrap();
    assert_eq!(summary.buckets.len(), 5);
    assert_eq!(summary.total, Decimal::new(112_549, 2));
    let amy = summary
        .customers
        .iter()
        .find(|c| c.customer_id.as_deref() == Some(a.as_str()))
        .unwrap();
    let at = |bucket: AgingBucket| summary.buckets.iter().position(|b| *b == bucket).unwrap();
    assert_eq!(
        amy.amounts[at(AgingBucket::Current)],
        Decimal::new(10_000, 2)
    );
    assert_eq!(
        amy.amounts[at(AgingBucket::PastDue {
            from: 1,
            to: Some(30)
        })],
        Decimal::new(2_550, 2)
    );

    let detail = s.company.aged_receivable_detail(&params).await.unwrap();
    assert_eq!(detail.lines.len(), 3);
    assert_eq!(
        detail.lines[0].bucket,
        AgingBucket::PastDue { from: 91, to: None }
    );
    assert_eq!(detail.lines[0].doc_number, "3");
    assert!(
        detail
            .lines
            .iter()
            .all(|l| l.txn_id.is_some() && l.txn_type == "Invoice")
    );
    let total: Decimal = detail.totals().iter().map(|(_, d)| *d).sum();
    assert_eq!(total, summary.total);
}

#[tokio::test]
async fn booking_a_fee_is_idempotent() {
    let s = Studio::open().await;
    let req = s.fee("fee-wise-TRF-88123", Decimal::new(415, 2));
    let first = s.company.create_bank_charge(&req).await.unwrap();
    assert_eq!(first.total_amt.unwrap().0, Decimal::new(415, 2));
    assert_eq!(first.account_ref.as_ref().unwrap().value, s.bank);
    // A retry (after a timeout, or a restart) answers with the original; no duplicate.
    let again = s.company.create_bank_charge(&req).await.unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!(s.emu.count(&s.realm, "Purchase"), 1);
    // A slow first answer: the client times out, retries with the same requestid.
    s.emu.inject_on(
        FaultKind::Slow(Duration::from_millis(1500)),
        Some("purchase"),
        1,
    );
    let slow = s
        .company
        .create_bank_charge(&s.fee("fee-wise-TRF-88124", Decimal::ONE))
        .await
        .unwrap();
    assert_eq!(
        s.emu.count(&s.realm, "Purchase"),
        2,
        "the timed-out attempt and the retry made one Purchase"
    );
    assert_ne!(slow.id, first.id);
}

#[tokio::test]
async fn fee_writes_are_checked_like_qbo_checks_them() {
    let s = Studio::open().await;
    s.emu.set_preferences(&s.realm, true, "USD");
    let mut wrong = s.fee("fee-1", Decimal::new(415, 2));
    wrong.currency = Some("USD".into());
    let err = s.company.create_bank_charge(&wrong).await.unwrap_err();
    assert_eq!(err.fault_code(), Some("6000"), "{err}");
    let mut right = s.fee("fee-2", Decimal::new(415, 2));
    right.currency = Some("EUR".into());
    right.exchange_rate = Some(Decimal::new(10832, 4));
    assert!(s.company.create_bank_charge(&right).await.is_ok());
    let mut gone = s.fee("fee-3", Decimal::ONE);
    gone.fee_account_id = "404".into();
    assert_eq!(
        s.company
            .create_bank_charge(&gone)
            .await
            .unwrap_err()
            .fault_code(),
        Some("610")
    );
}

#[tokio::test]
async fn transient_faults_are_retried() {
    let s = Studio::open().await;
    for kind in [
        FaultKind::Throttle,
        FaultKind::ServerError,
        FaultKind::Unavailable,
        FaultKind::Unauthorized,
    ] {
        s.emu.reset_requests();
        s.emu.inject(kind.clone(), 1);
        s.company
            .preferences()
            .await
            .unwrap_or_else(|e| panic!("{kind:?}: {e}"));
        assert_eq!(s.emu.requests().faulted, 1, "{kind:?}");
        assert_eq!(s.emu.requests().api(), 2, "{kind:?}: one fault, one retry");
    }
    s.emu
        .inject(FaultKind::Slow(Duration::from_millis(1500)), 1);
    s.company.preferences().await.unwrap();
}

#[tokio::test]
async fn final_faults_are_typed_and_carry_the_intuit_tid() {
    let s = Studio::open().await;
    let cases = [
        (FaultKind::StaleObject, 400, "5010"),
        (FaultKind::NotFound, 400, "610"),
        (FaultKind::BusinessValidation, 400, "6000"),
        (FaultKind::FaultIn200, 200, "6190"),
    ];
    for (kind, status, code) in cases {
        s.emu.inject(kind.clone(), 1);
        let err = s.company.preferences().await.unwrap_err();
        assert!(
            matches!(&err, QboError::Fault { status: st, .. } if *st == status),
            "{kind:?}: {err}"
        );
        assert_eq!(err.fault_code(), Some(code));
        assert!(
            err.intuit_tid().is_some_and(|t| t.starts_with("emu-")),
            "{err}"
        );
        assert!(err.to_string().contains("intuit_tid"));
    }
    s.emu.inject(FaultKind::ServerError, 4);
    let err = s.company.preferences().await.unwrap_err();
    assert!(matches!(err, QboError::Status { status: 500, .. }), "{err}");
    assert_eq!(err.fault_code(), Some("10000"));
    s.emu.inject(FaultKind::Throttle, 4);
    assert!(matches!(
        s.company.preferences().await.unwrap_err(),
        QboError::Throttled {
            intuit_tid: Some(_)
        }
    ));
    s.emu
        .inject(FaultKind::Slow(Duration::from_millis(1500)), 4);
    assert!(matches!(
        s.company.preferences().await.unwrap_err(),
        QboError::Transport { .. }
    ));
    tokio::time::sleep(Duration::from_millis(1600)).await;
}

#[tokio::test]
async fn a_401_that_survives_the_refresh_reads_xml_and_hides_secrets() {
    let s = Studio::open().await;
    let tokens = s.company.tokens().await;
    s.emu.inject(FaultKind::UnauthorizedXml, 2);
    let err = s.company.preferences().await.unwrap_err();
    assert!(matches!(err, QboError::Unauthorized { .. }), "{err}");
    assert_eq!(err.fault_code(), Some("3200"));
    let newest = s.company.tokens().await;
    for text in [
        err.to_string(),
        format!("{err:?}"),
        format!("{:?}", s.company),
        format!("{newest:?}"),
        format!("{:?}", s.client),
    ] {
        for secret in [
            tokens.access_token.expose(),
            tokens.refresh_token.expose(),
            newest.access_token.expose(),
            newest.refresh_token.expose(),
            "emulator-secret",
        ] {
            assert!(!text.contains(secret), "secret leaked in {text}");
        }
    }
}

#[tokio::test]
async fn another_realms_company_is_refused() {
    let s = Studio::open().await;
    s.emu.add_realm("42", "Other Co");
    let mut tokens = s.company.tokens().await;
    tokens.realm_id = "42".into();
    let other = s.client.company(tokens);
    let err = other.preferences().await.unwrap_err();
    assert!(matches!(err, QboError::Fault { status: 403, .. }), "{err}");
}

#[tokio::test]
async fn the_router_mounts_in_process() {
    let state = qbo::emulator::EmulatorState::new(EmulatorConfig::default());
    let app = axum::Router::new().nest("/qbo", qbo::emulator::router(state.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    // The handle-based helpers need an Emulator for its config; build the client by hand.
    let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
    let saved = Arc::new(Mutex::new(Vec::new()));
    let client = client_at(
        qbo::Endpoints::under(&format!("http://{addr}/qbo")).unwrap(),
        &emu,
        &saved,
    );
    let company = client.company(state.issue_tokens("9341453000000001"));
    assert_eq!(
        company
            .company_info()
            .await
            .unwrap()
            .company_name
            .as_deref(),
        Some("Clearline Demo Studio")
    );
    assert_eq!(state.requests().read, 1);
    assert_eq!(emu.requests().api(), 0);
}

/// A webhook receiver that verifies before recording, and can fail on purpose.
#[derive(Clone, Default)]
struct Receiver {
    seen: Arc<Mutex<Vec<qbo::webhook::Notification>>>,
    fail_next: Arc<Mutex<bool>>,
}

async fn receiver(token: &'static str) -> (String, Receiver) {
    use axum::http::{HeaderMap, StatusCode};
    let r = Receiver::default();
    let rc = r.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let rc = rc.clone();
            async move {
                if std::mem::take(&mut *rc.fail_next.lock().unwrap()) {
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let sig = headers
                    .get(qbo::webhook::SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok());
                match qbo::webhook::verify_and_parse(&Secret::new(token), &body, sig) {
                    Ok(n) => {
                        rc.seen.lock().unwrap().extend(n);
                        StatusCode::OK
                    }
                    Err(_) => StatusCode::UNAUTHORIZED,
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), r)
}

#[tokio::test]
async fn webhooks_in_both_styles_are_verified_and_parsed() {
    for style in [WebhookStyle::CloudEvents, WebhookStyle::Legacy] {
        let (url, recv) = receiver("verifier-123").await;
        let s = Studio::with(EmulatorConfig {
            webhook: Some(WebhookTarget {
                url,
                verifier_token: "verifier-123".into(),
                style,
            }),
            ..EmulatorConfig::default()
        })
        .await;
        // Changes in two realms, delivered together.
        s.company
            .create_bank_charge(&s.fee("fee-w1", Decimal::ONE))
            .await
            .unwrap();
        s.emu.add_realm("42", "Other Co");
        let other_bank = s
            .emu
            .add_account("42", AccountSeed::bank("Checking", "USD"));
        let other_fee = s
            .emu
            .add_account("42", AccountSeed::expense("Bank Charges"));
        let other = s.client.company(s.emu.issue_tokens("42"));
        let mut f = s.fee("fee-w2", Decimal::TWO);
        f.bank_account_id = other_bank;
        f.fee_account_id = other_fee;
        other.create_bank_charge(&f).await.unwrap();
        s.emu.delete(&s.realm, "Purchase", "1").unwrap();

        // The first delivery fails; the events stay queued and the retry delivers them.
        *recv.fail_next.lock().unwrap() = true;
        assert_eq!(s.emu.deliver_webhooks().await.unwrap(), 500);
        assert_eq!(s.emu.pending_webhook_events(), 3);
        assert_eq!(s.emu.deliver_webhooks().await.unwrap(), 200);
        assert_eq!(s.emu.pending_webhook_events(), 0);
        let seen = recv.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 3, "{style:?}");
        let realms: std::collections::BTreeSet<_> =
            seen.iter().map(|n| n.realm_id.clone()).collect();
        assert_eq!(realms.len(), 2);
        assert!(
            seen.iter()
                .all(|n| n.entity == "Purchase" && n.occurred_at.is_some())
        );
        assert!(
            seen.iter()
                .any(|n| n.operation == qbo::webhook::Operation::Delete)
        );
    }
}

#[tokio::test]
async fn a_badly_signed_delivery_records_nothing() {
    let (url, recv) = receiver("verifier-123").await;
    let s = Studio::with(EmulatorConfig {
        webhook: Some(WebhookTarget {
            url: url.clone(),
            verifier_token: "not-the-token".into(),
            style: WebhookStyle::CloudEvents,
        }),
        ..EmulatorConfig::default()
    })
    .await;
    s.company
        .create_bank_charge(&s.fee("fee-x", Decimal::ONE))
        .await
        .unwrap();
    assert_eq!(s.emu.deliver_webhooks().await.unwrap(), 401);
    assert!(recv.seen.lock().unwrap().is_empty());
    // The same body re-signed with the right token passes: only the signature was wrong.
    let (body, _) = s.emu.webhook_payload(WebhookStyle::Legacy, "x");
    let sig = qbo::webhook::sign(&Secret::new("verifier-123"), &body);
    let resp = reqwest::Client::new()
        .post(&url)
        .header("intuit-signature", sig)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(recv.seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn refresh_rotation_can_be_switched_off() {
    let s = Studio::with(EmulatorConfig {
        rotation: RefreshRotation::Never,
        ..EmulatorConfig::default()
    })
    .await;
    let before = s.company.tokens().await;
    s.company.refresh_now().await.unwrap();
    let after = s.company.tokens().await;
    assert_eq!(before.refresh_token, after.refresh_token);
    assert_ne!(before.access_token, after.access_token);
}
