//! Webhook receivers against the real emulators: Wise and QuickBooks deliveries that verify
//! are recorded once (redeliveries are no-ops); anything that does not verify gets 400 and
//! leaves nothing behind.

mod common;

use common::TestApp;
use control::testing;
use control::webhook_inbox;
use reqwest::StatusCode;
use rust_decimal::Decimal;

#[tokio::test]
async fn wise_deliveries_are_verified_recorded_once_and_forgeries_refused() {
    use wise::api_types::{Delivery, NewSubscription};
    use wise::emulator::{BUSINESS_PROFILE_ID, DeliveryOptions, Emulator, EmulatorConfig};

    for backend in testing::backends() {
        let emu = Emulator::start(EmulatorConfig::default()).await.unwrap();
        let key = emu.webhook_public_key();
        let app = TestApp::spawn_with(backend, |s| {
            s.wise_webhooks = wise::WebhookVerifier::from_keys(vec![key])
        })
        .await;
        let client = wise::WiseClient::personal(emu.base_url(), "personal-token").unwrap();
        client
            .create_subscription(
                BUSINESS_PROFILE_ID,
                &NewSubscription {
                    name: "Clearline balances".into(),
                    trigger_on: "balances#update".into(),
                    delivery: Delivery {
                        version: "3.0.0".into(),
                        url: app.url("/webhooks/wise"),
                    },
                },
            )
            .await
            .unwrap();
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
        assert!(sent >= 2);
        let stored = webhook_inbox::pending(&app.db, 100).await.unwrap();
        assert_eq!(
            stored.len(),
            sent / 2,
            "each event once, duplicates dropped"
        );
        assert!(
            stored
                .iter()
                .all(|e| e.source == "wise" && e.account_key == BUSINESS_PROFILE_ID.to_string())
        );
        assert!(
            stored
                .windows(2)
                .all(|w| w[0].occurred_at <= w[1].occurred_at),
            "oldest first"
        );

        // A forged or altered delivery is refused with 400 and nothing is recorded.
        let body = stored[0]
            .payload
            .replace("balances#update", "balances#credit");
        for signature in [None, Some("bm90IGEgc2lnbmF0dXJl")] {
            let mut req = reqwest::Client::new()
                .post(app.url("/webhooks/wise"))
                .body(body.clone());
            if let Some(s) = signature {
                req = req.header("X-Signature-SHA256", s);
            }
            assert_eq!(req.send().await.unwrap().status(), StatusCode::BAD_REQUEST);
        }
        assert_eq!(
            webhook_inbox::pending(&app.db, 100).await.unwrap().len(),
            stored.len()
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn quickbooks_deliveries_in_both_styles_are_verified_and_recorded() {
    use qbo::emulator::{AccountSeed, EmulatorConfig, EmulatorState, WebhookStyle, WebhookTarget};

    for backend in testing::backends() {
        let app = TestApp::spawn_with(backend, |s| {
            s.qbo_webhook_verifier = Some(qbo::oauth::Secret::new("verifier-123"))
        })
        .await;
        let mut recorded = 0;
        for style in [WebhookStyle::CloudEvents, WebhookStyle::Legacy] {
            let qbo = EmulatorState::new(EmulatorConfig {
                webhook: Some(WebhookTarget {
                    url: app.url("/webhooks/qbo"),
                    verifier_token: "verifier-123".into(),
                    style,
                }),
                ..EmulatorConfig::default()
            });
            let realm = format!("realm-{style:?}");
            qbo.add_realm(&realm, "Studio Nord");
            let bank = qbo.add_account(&realm, AccountSeed::bank("Wise EUR", "EUR"));
            let fees = qbo.add_account(&realm, AccountSeed::expense("Bank Charges"));
            let id = qbo.add_posting(
                &realm,
                &bank,
                &fees,
                Decimal::new(-431, 2),
                chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
                "Wise fee",
            );
            qbo.delete(&realm, "Purchase", &id).unwrap();
            assert_eq!(qbo.deliver_webhooks().await.unwrap(), 200);
            // Intuit retries; the same events again change nothing.
            let stored = webhook_inbox::pending(&app.db, 100).await.unwrap();
            assert!(stored.len() > recorded, "{style:?} recorded nothing");
            assert!(
                stored
                    .iter()
                    .any(|e| e.account_key == realm && e.event_type == "Purchase.delete"),
                "{stored:?}"
            );
            recorded = stored.len();
        }

        // Wrong verifier: refused, nothing recorded.
        let forged = EmulatorState::new(EmulatorConfig {
            webhook: Some(WebhookTarget {
                url: app.url("/webhooks/qbo"),
                verifier_token: "not-ours".into(),
                style: WebhookStyle::CloudEvents,
            }),
            ..EmulatorConfig::default()
        });
        forged.add_realm("r", "X");
        let bank = forged.add_account("r", AccountSeed::bank("Wise EUR", "EUR"));
        let fees = forged.add_account("r", AccountSeed::expense("Bank Charges"));
        let id = forged.add_posting(
            "r",
            &bank,
            &fees,
            Decimal::NEGATIVE_ONE,
            chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            "x",
        );
        forged.delete("r", "Purchase", &id).unwrap();
        assert_eq!(forged.deliver_webhooks().await.unwrap(), 400);
        assert_eq!(
            webhook_inbox::pending(&app.db, 100).await.unwrap().len(),
            recorded
        );
        app.stop().await;
    }
}

#[tokio::test]
async fn quickbooks_webhooks_without_a_verifier_are_refused() {
    let app = TestApp::spawn(control::db::Backend::Sqlite).await;
    let res = reqwest::Client::new()
        .post(app.url("/webhooks/qbo"))
        .body("[]")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        webhook_inbox::pending(&app.db, 10)
            .await
            .unwrap()
            .is_empty()
    );
    app.stop().await;
}
