//! The documented connection paths, on every backend: empty until edited, saved with an
//! audit trail, and refused when the input does not make sense.

use chrono::{NaiveDate, Utc};
use control::audit::Actor;
use control::connection_path::{PathKind, Renewal, TestStatus};
use control::connection_paths::{self, PathUpdate};
use control::members::NewMember;
use control::password::NewPassword;
use control::{ControlError, Email, Role, members, testing};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[tokio::test]
async fn paths_are_documented_per_organization_and_audited() {
    for backend in testing::backends() {
        let db = testing::fresh(backend).await;
        let now = Utc::now();
        let owner = members::provision(
            &db,
            &Actor::system("test"),
            "Studio Nord",
            NewMember {
                email: Email::parse("ann@studio.example").unwrap(),
                display_name: "Ann".into(),
                role: Role::Owner,
                password: Some(NewPassword::parse("correct horse battery").unwrap()),
            },
            now,
        )
        .await
        .unwrap();
        let org = owner.organization_id;
        let actor = Actor::user(owner.user_id, "ann@studio.example");

        let paths = connection_paths::list(&db, org).await.unwrap();
        assert_eq!(
            paths.iter().map(|p| p.kind).collect::<Vec<_>>(),
            PathKind::ALL
        );
        assert!(
            paths
                .iter()
                .all(|p| p.test_status == TestStatus::Untested && p.owner_user_id.is_none())
        );

        let feed = PathUpdate {
            owner_user_id: Some(owner.user_id),
            set_up_on: Some(d("2026-08-30")),
            authorized_on: Some(d("2026-09-01")),
            renews_on: None,
            test_status: TestStatus::Passed,
            notes: "Reconnected after the September outage.".into(),
        };
        let saved =
            connection_paths::update(&db, &actor, org, PathKind::BankFeed, feed.clone(), now)
                .await
                .unwrap();
        assert_eq!(saved.owner_name.as_deref(), Some("Ann"));
        assert_eq!(
            saved.renewal(d("2026-11-27"), 14),
            Renewal::DueSoon { days_left: 3 }
        );
        // Saving again updates the same record.
        let mut later = feed.clone();
        later.test_status = TestStatus::Failed;
        connection_paths::update(&db, &actor, org, PathKind::BankFeed, later, now)
            .await
            .unwrap();
        let paths = connection_paths::list(&db, org).await.unwrap();
        assert_eq!(paths[0].test_status, TestStatus::Failed);
        assert_eq!(paths[1].test_status, TestStatus::Untested);

        // Nonsense is refused and writes nothing.
        let mut backwards = feed.clone();
        backwards.renews_on = Some(d("2026-08-01"));
        assert!(matches!(
            connection_paths::update(&db, &actor, org, PathKind::WiseApp, backwards, now).await,
            Err(ControlError::Invalid(_))
        ));
        let mut stranger = feed.clone();
        stranger.owner_user_id = Some(owner.user_id + 999);
        assert!(matches!(
            connection_paths::update(&db, &actor, org, PathKind::WiseApp, stranger, now).await,
            Err(ControlError::Invalid(_))
        ));
        assert_eq!(
            connection_paths::list(&db, org).await.unwrap()[1].test_status,
            TestStatus::Untested
        );

        let log = control::audit::recent(&db, org, 10).await.unwrap();
        let updates: Vec<_> = log
            .iter()
            .filter(|e| e.action == "connection_path.update")
            .collect();
        assert_eq!(updates.len(), 2);
        assert!(
            updates[0]
                .before_state
                .as_deref()
                .unwrap()
                .contains("\"passed\"")
        );
        assert!(
            updates[0]
                .after_state
                .as_deref()
                .unwrap()
                .contains("\"failed\"")
        );
    }
}

#[tokio::test]
async fn the_reminder_window_is_the_organizations_choice_everywhere() {
    use control::settings;
    for backend in testing::backends() {
        let db = testing::fresh(backend).await;
        let now: chrono::DateTime<Utc> = "2026-11-27T09:00:00Z".parse().unwrap();
        let owner = members::provision(
            &db,
            &Actor::system("test"),
            "Studio Süd",
            NewMember {
                email: Email::parse("bo@studio.example").unwrap(),
                display_name: "Bo".into(),
                role: Role::Owner,
                password: Some(NewPassword::parse("correct horse battery").unwrap()),
            },
            now,
        )
        .await
        .unwrap();
        let org = owner.organization_id;
        let actor = Actor::user(owner.user_id, "bo@studio.example");
        // The feed's consent ends 20 days from now (authorized 70 days ago).
        let feed = PathUpdate {
            owner_user_id: Some(owner.user_id),
            set_up_on: None,
            authorized_on: Some(d("2026-09-18")),
            renews_on: None,
            test_status: TestStatus::Passed,
            notes: String::new(),
        };
        connection_paths::update(&db, &actor, org, PathKind::BankFeed, feed, now)
            .await
            .unwrap();
        let renewal_item = || async {
            let lanes = control::weekly::evidence(&db, org, now).await.unwrap();
            let lane = lanes
                .into_iter()
                .find(|l| l.key == "wise_reauthorization")
                .unwrap();
            lane.facts[0].clone()
        };

        // Default: reminders 14 days ahead, so 20 days left is fine.
        let s = settings::get(&db, org).await.unwrap();
        assert_eq!(s.reminder_days, 14);
        let item = renewal_item().await;
        assert_eq!(item.ok, Some(true), "{item:?}");

        // Thirty days ahead: the same renewal is now due, in the weekly run too.
        let mut s30 = s.clone();
        s30.reminder_days = 30;
        settings::update(&db, &actor, org, s30, now).await.unwrap();
        assert_eq!(settings::get(&db, org).await.unwrap().reminder_days, 30);
        let item = renewal_item().await;
        assert_eq!(item.ok, Some(false), "{item:?}");
        assert!(item.value.contains("renew now"), "{item:?}");
        let paths = connection_paths::list(&db, org).await.unwrap();
        let remind = settings::get(&db, org).await.unwrap().reminder_window();
        assert_eq!(
            paths[0].renewal(now.date_naive(), remind),
            Renewal::DueSoon { days_left: 20 }
        );

        // Out of range is refused and changes nothing.
        for bad in [0, 91] {
            let mut wrong = s.clone();
            wrong.reminder_days = bad;
            assert!(matches!(
                settings::update(&db, &actor, org, wrong, now).await,
                Err(ControlError::Invalid(_))
            ));
        }
        assert_eq!(settings::get(&db, org).await.unwrap().reminder_days, 30);
    }
}
