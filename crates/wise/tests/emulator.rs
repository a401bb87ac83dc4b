//! The real client against the emulator: every endpoint, fault and SCA path.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use rust_decimal::Decimal;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wise::api_types::{ActivityQuery, Delivery, NewSubscription, TransferQuery};
use wise::emulator::ledger::{Entry, Ledger};
use wise::emulator::{
    BUSINESS_PROFILE_ID, DeliveryOptions, EUR_BALANCE_ID, Emulator, EmulatorConfig, Fault, ScaMode,
    USD_BALANCE_ID, UnknownBalance,
};
use wise::{
    Auth, OAuthConfig, OAuthSession, PrivateKey, RetryPolicy, TokenSet, WebhookVerifier,
    WiseClient, WiseError, order_and_dedupe,
};

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(5),
        request_timeout: Duration::from_millis(1500),
    }
}

async fn emulator(sca: ScaMode, keys: Vec<wise::PublicKey>) -> Emulator {
    Emulator::start(EmulatorConfig {
        sca_mode: sca,
        sca_public_keys: keys,
        ..EmulatorConfig::default()
    })
    .await
    .unwrap()
}

fn personal(emu: &Emulator) -> WiseClient {
    WiseClient::builder(emu.base_url(), Auth::Personal("personal-token".into()))
        .retry(fast_retry())
        .build()
        .unwrap()
}

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[tokio::test]
async fn every_read_endpoint() {
    let emu = emulator(ScaMode::Off, vec![]).await;
    let c = personal(&emu);

    let profiles = c.profiles().await.unwrap();
    assert_eq!(profiles.len(), 2);
    assert_eq!(
        c.profile(BUSINESS_PROFILE_ID).await.unwrap().id,
        BUSINESS_PROFILE_ID
    );

    let balances = c.balances(BUSINESS_PROFILE_ID).await.unwrap();
    let eur = balances.iter().find(|b| b.currency == "EUR").unwrap();
    let ledger = emu.ledger(EUR_BALANCE_ID).unwrap();
    assert_eq!(eur.amount.value, ledger.closing());

    let q = TransferQuery {
        profile: BUSINESS_PROFILE_ID,
        page_size: 7,
        ..TransferQuery::default()
    };
    let all = c.transfers(&q).await.unwrap();
    let expected = ledger
        .entries
        .iter()
        .filter(|e| e.details_type == "TRANSFER")
        .count()
        * 2; // EUR and GBP ledgers
    assert_eq!(all.len(), expected);
    let one = c.transfer(all[0].id).await.unwrap();
    assert_eq!(one, all[0]);
    assert!(matches!(
        c.transfer(1).await,
        Err(WiseError::Api { status: 404, .. })
    ));

    let acts = c
        .activities(
            BUSINESS_PROFILE_ID,
            &ActivityQuery {
                size: 25,
                ..ActivityQuery::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(acts.len(), ledger.entries.len() * 2);
}

#[tokio::test]
async fn statements_split_long_windows_and_merge_without_duplicates() {
    let emu = emulator(ScaMode::Off, vec![]).await;
    let c = personal(&emu);
    let ledger = emu.ledger(EUR_BALANCE_ID).unwrap();
    let start = t("2023-01-01T00:00:00Z");
    let end = t("2025-06-30T23:59:59.999Z"); // ~911 days: two windows
    let s = c
        .statement(BUSINESS_PROFILE_ID, EUR_BALANCE_ID, "EUR", start, end)
        .await
        .unwrap();
    assert_eq!(s.lines.len(), ledger.entries.len());
    assert_eq!(s.opening_balance, Some(ledger.opening));
    assert_eq!(s.closing_balance, Some(ledger.closing()));
    for (line, entry) in s.lines.iter().zip(&ledger.entries) {
        assert_eq!(line.reference_number, entry.reference_number);
        assert_eq!(line.running_balance, entry.running_balance);
        assert_eq!(line.total_fees, entry.fees);
    }
    // A single request over the limit is refused by "Wise" with a validation error.
    let err = c
        .statement_json(BUSINESS_PROFILE_ID, EUR_BALANCE_ID, "EUR", start, end)
        .await
        .unwrap_err();
    assert!(matches!(err, WiseError::Api { status: 400, .. }), "{err}");
    assert!(err.trace_id().is_some());
}

#[tokio::test]
async fn faults_are_retried_within_the_policy() {
    let emu = emulator(ScaMode::Off, vec![]).await;
    let c = personal(&emu);

    emu.inject(Fault::RateLimit {
        retry_after_secs: 1,
    });
    let started = std::time::Instant::now();
    c.profiles().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );

    emu.inject(Fault::ServerError);
    emu.inject(Fault::ServerError);
    c.profiles().await.unwrap();

    for _ in 0..4 {
        emu.inject(Fault::ServerError);
    }
    let err = c.profiles().await.unwrap_err();
    assert!(matches!(err, WiseError::Api { status: 500, .. }), "{err}");

    emu.inject(Fault::Slow { delay_ms: 3000 });
    c.profiles().await.unwrap(); // first try times out, the retry succeeds

    emu.inject(Fault::TruncatedBody);
    c.profiles().await.unwrap();

    emu.inject(Fault::RateLimit {
        retry_after_secs: 3600,
    });
    let err = c.profiles().await.unwrap_err();
    assert!(
        matches!(err, WiseError::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 3600)
    );

    // A personal token cannot refresh: 401 fails at once.
    emu.inject(Fault::Unauthorized);
    assert!(matches!(
        c.profiles().await,
        Err(WiseError::Unauthorized { .. })
    ));
    let bad = WiseClient::personal(emu.base_url(), "wrong").unwrap();
    let err = bad.profiles().await.unwrap_err();
    assert!(!err.to_string().contains("wrong"));
}

#[tokio::test]
async fn sca_signature_mode_is_passed_with_the_configured_key() {
    let key = PrivateKey::generate(2048).unwrap();
    let emu = emulator(ScaMode::Signature, vec![key.public_key()]).await;
    let (s, e) = (t("2024-01-01T00:00:00Z"), t("2024-03-31T23:59:59.999Z"));

    // PEM round trip: the client takes the key as PKCS#1 text, as an operator would supply it.
    let pem_key = PrivateKey::from_pem(&key.to_pkcs1_pem()).unwrap();
    let signed = WiseClient::builder(emu.base_url(), Auth::Personal("personal-token".into()))
        .retry(fast_retry())
        .sca_key(pem_key)
        .build()
        .unwrap();
    let st = signed
        .statement(BUSINESS_PROFILE_ID, EUR_BALANCE_ID, "EUR", s, e)
        .await
        .unwrap();
    assert!(!st.lines.is_empty());

    // No key: a clear typed error, no loop.
    let unsigned = personal(&emu);
    let err = unsigned
        .statement(BUSINESS_PROFILE_ID, EUR_BALANCE_ID, "EUR", s, e)
        .await
        .unwrap_err();
    assert!(matches!(err, WiseError::StatementsUnavailable { .. }));
    assert_eq!(
        err.to_string().split(" (trace").next().unwrap(),
        "statements need partner access or a file upload for this profile"
    );

    // A key Wise does not know: one signed repeat, then the same error.
    let stranger = WiseClient::builder(emu.base_url(), Auth::Personal("personal-token".into()))
        .sca_key(PrivateKey::generate(2048).unwrap())
        .build()
        .unwrap();
    assert!(matches!(
        stranger
            .statement(BUSINESS_PROFILE_ID, EUR_BALANCE_ID, "EUR", s, e)
            .await,
        Err(WiseError::StatementsUnavailable { .. })
    ));

    // UK/EEA personal tokens today: refused even with a correct signature.
    emu.set_sca_mode(ScaMode::AlwaysReject);
    assert!(matches!(
        signed
            .statement(BUSINESS_PROFILE_ID, EUR_BALANCE_ID, "EUR", s, e)
            .await,
        Err(WiseError::StatementsUnavailable { .. })
    ));
}

fn oauth_config(emu: &Emulator) -> OAuthConfig {
    OAuthConfig {
        client_id: "clearline".into(),
        client_secret: "clearline-secret".into(),
        authorize_url: format!("{}/oauth/authorize/", emu.base_url()),
        token_url: format!("{}/oauth/token", emu.base_url()),
        redirect_uri: "http://127.0.0.1:9/wise/callback".into(),
    }
}

#[tokio::test]
async fn partner_oauth_code_exchange_and_serialized_refresh() {
    let emu = emulator(ScaMode::Off, vec![]).await;
    let config = oauth_config(&emu);
    let (url, state) = config.authorize_url().unwrap();

    // The "browser": follow the consent page to the redirect.
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let resp = browser.get(url).send().await.unwrap();
    assert_eq!(resp.status(), 302);
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let q: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(q["state"], state);
    assert_eq!(q["profileId"], BUSINESS_PROFILE_ID.to_string());

    let stored: Arc<Mutex<Vec<TokenSet>>> = Arc::default();
    let sink = stored.clone();
    let session = OAuthSession::exchange_code(
        config.clone(),
        &q["code"],
        Some(Arc::new(move |t: &TokenSet| {
            sink.lock().unwrap().push(t.clone())
        })),
    )
    .await
    .unwrap();
    // The code is single use.
    let again = OAuthSession::exchange_code(config.clone(), &q["code"], None).await;
    assert!(matches!(
        again,
        Err(WiseError::OAuth {
            reauthorize: true,
            ..
        })
    ));

    let session = Arc::new(session);
    let client = WiseClient::builder(emu.base_url(), Auth::OAuth(session.clone()))
        .retry(fast_retry())
        .build()
        .unwrap();
    client.profiles().await.unwrap();
    let first = session.tokens().await;

    // 401 invalid_token: one refresh (rotating the refresh token), then success.
    emu.inject(Fault::Unauthorized);
    client.profiles().await.unwrap();
    assert_eq!(emu.refresh_count(), 1);
    let second = session.tokens().await;
    assert_ne!(first.refresh_token, second.refresh_token);
    assert_eq!(stored.lock().unwrap().last(), Some(&second));

    // Two workers rejected with the same token: only one refresh reaches Wise.
    let (a, b) = tokio::join!(
        session.refresh_after_rejection(&second.access_token),
        session.refresh_after_rejection(&second.access_token)
    );
    assert_eq!(a.unwrap(), b.unwrap());
    assert_eq!(emu.refresh_count(), 2);
    client.balances(BUSINESS_PROFILE_ID).await.unwrap();

    // Two 401s in a row: one refresh, then a typed failure.
    emu.inject(Fault::Unauthorized);
    emu.inject(Fault::Unauthorized);
    assert!(matches!(
        client.profiles().await,
        Err(WiseError::Unauthorized { .. })
    ));
    assert_eq!(emu.refresh_count(), 3);
    assert_eq!(stored.lock().unwrap().len(), 4); // exchange + three refreshes
}

#[tokio::test]
async fn webhooks_are_signed_and_survive_duplicates_and_disorder() {
    use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};

    type Inbox = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;
    let inbox: Inbox = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes| async move {
                    inbox.lock().unwrap().push((headers, body));
                    "ok"
                },
            ),
        )
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let emu = emulator(ScaMode::Off, vec![]).await;
    let c = personal(&emu);
    let sub = c
        .create_subscription(
            BUSINESS_PROFILE_ID,
            &NewSubscription {
                name: "Recon balances".into(),
                trigger_on: "balances#update".into(),
                delivery: Delivery {
                    version: "3.0.0".into(),
                    url: hook.clone(),
                },
            },
        )
        .await
        .unwrap();
    assert_eq!(
        c.subscriptions(BUSINESS_PROFILE_ID).await.unwrap(),
        vec![sub.clone()]
    );

    let sent = emu
        .deliver_webhooks(
            BUSINESS_PROFILE_ID,
            DeliveryOptions {
                duplicate: true,
                out_of_order: true,
            },
        )
        .await
        .unwrap();
    assert_eq!(sent, 12); // 3 events × 2 balances × 2 copies

    let verifier = WebhookVerifier::from_keys(vec![emu.webhook_public_key()]);
    let received = inbox.lock().unwrap().clone();
    let events: Vec<_> = received
        .iter()
        .map(|(h, b)| verifier.receive(h, b).unwrap().event)
        .collect();
    let ordered = order_and_dedupe(events);
    assert_eq!(ordered.len(), 6);
    assert!(
        ordered
            .windows(2)
            .all(|w| w[0].occurred_at <= w[1].occurred_at)
    );

    // Tampered body or Wise's real key: refused.
    let (h, b) = &received[0];
    let mut tampered = b.to_vec();
    tampered[10] ^= 1;
    assert!(verifier.receive(h, &tampered).is_err());
    let err = WebhookVerifier::wise_production()
        .receive(h, b)
        .unwrap_err();
    assert_eq!(err.status_code(), 400);

    c.delete_subscription(BUSINESS_PROFILE_ID, &sub.id)
        .await
        .unwrap();
    assert!(
        c.subscriptions(BUSINESS_PROFILE_ID)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        c.delete_subscription(BUSINESS_PROFILE_ID, &sub.id).await,
        Err(WiseError::Api { status: 404, .. })
    ));
}

#[tokio::test]
async fn statement_window_arithmetic_covers_the_interval() {
    let s = t("2023-01-01T00:00:00Z");
    let w = wise::client::statement_windows(s, s + ChronoDuration::days(469));
    assert_eq!(w.len(), 1);
}

/// One entry as a caller would describe it; the ledger computes the running balance.
fn entry(
    reference: &str,
    at: &str,
    cents: i64,
    fee_cents: i64,
    kind: &'static str,
    counterparty: &str,
) -> Entry {
    Entry {
        reference_number: reference.into(),
        date: t(at),
        amount: Decimal::new(cents, 2),
        fees: Decimal::new(fee_cents, 2),
        details_type: kind,
        description: format!("{kind} {counterparty}"),
        counterparty: Some(counterparty.into()),
        payment_reference: (kind != "CARD").then(|| format!("INV-{}", cents.abs())),
        running_balance: Decimal::ZERO,
    }
}

fn usd_ledger() -> Ledger {
    let mut usd = Ledger::new(
        BUSINESS_PROFILE_ID,
        USD_BALANCE_ID,
        "USD",
        Decimal::new(100_000, 2),
    );
    usd.insert(entry(
        "DEPOSIT-1",
        "2025-03-03T09:00:00Z",
        250_000,
        0,
        "DEPOSIT",
        "Harbor & Finch LLC",
    ));
    usd.insert(entry(
        "TRANSFER-7001",
        "2025-03-05T10:00:00Z",
        -50_412,
        412,
        "TRANSFER",
        "Loomwork Type Foundry",
    ));
    usd.insert(entry(
        "CARD-1",
        "2025-03-07T11:00:00Z",
        -4_500,
        0,
        "CARD",
        "Figma",
    ));
    usd
}

type Inbox = Arc<Mutex<Vec<(axum::http::HeaderMap, axum::body::Bytes)>>>;

/// A webhook receiver on 127.0.0.1 that keeps what it gets.
async fn webhook_inbox() -> (String, Inbox) {
    use axum::{Router, body::Bytes, extract::State, http::HeaderMap, routing::post};
    let inbox: Inbox = Arc::default();
    let app = Router::new()
        .route(
            "/hook",
            post(
                |State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes| async move {
                    inbox.lock().unwrap().push((headers, body));
                    "ok"
                },
            ),
        )
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (hook, inbox)
}

#[tokio::test]
async fn caller_supplied_ledgers_drive_every_endpoint() {
    let mut eur = Ledger::new(BUSINESS_PROFILE_ID, EUR_BALANCE_ID, "EUR", Decimal::ZERO);
    eur.insert(entry(
        "DEPOSIT-2",
        "2025-03-04T09:00:00Z",
        120_000,
        0,
        "DEPOSIT",
        "Nordlicht Verlag GmbH",
    ));
    let emu = Emulator::start(EmulatorConfig {
        ledgers: Some(vec![usd_ledger(), eur]),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = personal(&emu);

    let balances = c.balances(BUSINESS_PROFILE_ID).await.unwrap();
    let mut currencies: Vec<_> = balances
        .iter()
        .map(|b| (b.currency.as_str(), b.id, b.amount.value.to_string()))
        .collect();
    currencies.sort();
    assert_eq!(
        currencies,
        [
            ("EUR", EUR_BALANCE_ID, "1200.00".to_owned()),
            ("USD", USD_BALANCE_ID, "2950.88".to_owned())
        ]
    );
    assert!(
        c.balances(wise::emulator::PERSONAL_PROFILE_ID)
            .await
            .unwrap()
            .is_empty()
    );

    let (from, to) = (t("2025-03-01T00:00:00Z"), t("2025-03-31T23:59:59.999Z"));
    let s = c
        .statement(BUSINESS_PROFILE_ID, USD_BALANCE_ID, "USD", from, to)
        .await
        .unwrap();
    let lines: Vec<_> = s
        .lines
        .iter()
        .map(|l| (l.reference_number.as_str(), l.running_balance.to_string()))
        .collect();
    assert_eq!(
        lines,
        [
            ("DEPOSIT-1", "3500.00".to_owned()),
            ("TRANSFER-7001", "2995.88".to_owned()),
            ("CARD-1", "2950.88".to_owned())
        ]
    );
    assert_eq!(s.lines[1].total_fees.to_string(), "4.12");
    assert_eq!(
        s.lines[1].counterparty.as_deref(),
        Some("Loomwork Type Foundry")
    );
    assert_eq!(s.opening_balance, Some(Decimal::new(100_000, 2)));
    // The default GBP balance is not there.
    assert!(matches!(
        c.statement(
            BUSINESS_PROFILE_ID,
            wise::emulator::GBP_BALANCE_ID,
            "GBP",
            from,
            to
        )
        .await,
        Err(WiseError::Api { status: 404, .. })
    ));

    let acts = c
        .activities(BUSINESS_PROFILE_ID, &ActivityQuery::default())
        .await
        .unwrap();
    assert_eq!(acts.len(), 4);
    let card = acts
        .iter()
        .find(|a| a.kind == "CARD_PAYMENT")
        .and_then(|a| a.primary_amount.clone());
    assert_eq!(card.as_deref(), Some("45.00 USD"));

    let transfers = c
        .transfers(&TransferQuery {
            profile: BUSINESS_PROFILE_ID,
            ..TransferQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(transfers.len(), 1);
    assert_eq!(transfers[0].id, 7001);
    assert_eq!(transfers[0].source_currency, "USD");
    assert_eq!(transfers[0].source_value.to_string(), "500.00");
}

#[tokio::test]
async fn appended_entries_arrive_with_consistent_running_balances() {
    let emu = Emulator::start(EmulatorConfig {
        ledgers: Some(vec![usd_ledger()]),
        ..EmulatorConfig::default()
    })
    .await
    .unwrap();
    let c = personal(&emu);

    let stored = emu
        .append_entry(
            USD_BALANCE_ID,
            entry(
                "CARD-2",
                "2025-03-09T08:00:00Z",
                -1_500,
                0,
                "CARD",
                "Notion",
            ),
        )
        .unwrap();
    assert_eq!(stored.running_balance.to_string(), "2935.88");
    // Late news: a credit booked before the card payments moves every later balance.
    emu.append_entry(
        USD_BALANCE_ID,
        entry(
            "DEPOSIT-3",
            "2025-03-06T08:00:00Z",
            10_000,
            0,
            "DEPOSIT",
            "Bluebird Goods Inc",
        ),
    )
    .unwrap();
    assert_eq!(
        emu.append_entry(
            1,
            entry("CARD-3", "2025-03-09T08:00:00Z", -1, 0, "CARD", "x")
        )
        .unwrap_err(),
        UnknownBalance(1)
    );

    let ledger = emu.ledger(USD_BALANCE_ID).unwrap();
    assert!(ledger.is_consistent());
    assert_eq!(ledger.closing().to_string(), "3035.88");
    let s = c
        .statement(
            BUSINESS_PROFILE_ID,
            USD_BALANCE_ID,
            "USD",
            t("2025-03-01T00:00:00Z"),
            t("2025-03-31T23:59:59.999Z"),
        )
        .await
        .unwrap();
    let refs: Vec<_> = s
        .lines
        .iter()
        .map(|l| l.reference_number.as_str())
        .collect();
    assert_eq!(
        refs,
        [
            "DEPOSIT-1",
            "TRANSFER-7001",
            "DEPOSIT-3",
            "CARD-1",
            "CARD-2"
        ]
    );
    assert_eq!(s.closing_balance, Some(ledger.closing()));
    let balances = c.balances(BUSINESS_PROFILE_ID).await.unwrap();
    assert_eq!(balances[0].amount.value, ledger.closing());

    // Webhooks report the newest entries of the given ledgers, in their currency.
    let (hook, inbox) = webhook_inbox().await;
    c.create_subscription(
        BUSINESS_PROFILE_ID,
        &NewSubscription {
            name: "Recon balances".into(),
            trigger_on: "balances#update".into(),
            delivery: Delivery {
                version: "3.0.0".into(),
                url: hook,
            },
        },
    )
    .await
    .unwrap();
    let sent = emu
        .deliver_webhooks(BUSINESS_PROFILE_ID, DeliveryOptions::default())
        .await
        .unwrap();
    assert_eq!(sent, 3);
    let verifier = WebhookVerifier::from_keys(vec![emu.webhook_public_key()]);
    let received = inbox.lock().unwrap().clone();
    let references: Vec<_> = received
        .iter()
        .map(
            |(h, b)| match verifier.receive(h, b).unwrap().event.payload {
                wise::webhook::EventPayload::BalanceUpdate(m) => {
                    assert_eq!(
                        (m.currency.as_str(), m.balance_id),
                        ("USD", Some(USD_BALANCE_ID))
                    );
                    m.transfer_reference.unwrap()
                }
                other => panic!("unexpected {other:?}"),
            },
        )
        .collect();
    assert_eq!(references, ["DEPOSIT-3", "CARD-1", "CARD-2"]);
}

#[tokio::test]
async fn ledgers_whose_balances_do_not_chain_are_refused() {
    let mut broken = usd_ledger();
    broken.entries[1].running_balance += Decimal::ONE;
    let err = Emulator::start(EmulatorConfig {
        ledgers: Some(vec![broken]),
        ..EmulatorConfig::default()
    })
    .await
    .err()
    .unwrap();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}
