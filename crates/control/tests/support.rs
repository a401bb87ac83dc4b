//! Support & escalation on every backend: vendor contacts, the escalation owner and the
//! incident log, each change audited with before and after.

use chrono::{DateTime, Duration, Utc};
use control::audit::Actor;
use control::incident::{IncidentStatus, Severity};
use control::members::NewMember;
use control::password::NewPassword;
use control::support::{self, ContactInput, IncidentUpdate, NewIncident};
use control::{ControlError, Email, Role, members, settings, testing};

fn now() -> DateTime<Utc> {
    "2026-06-03T10:00:00Z".parse().unwrap()
}

#[tokio::test]
async fn vendor_contacts_and_the_escalation_owner() {
    for backend in testing::backends() {
        let db = testing::fresh(backend).await;
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
            now(),
        )
        .await
        .unwrap();
        let (org, ann) = (
            owner.organization_id,
            Actor::user(owner.user_id, "ann@studio.example"),
        );
        let input = |name: &str, channel: &str| ContactInput {
            name: name.into(),
            company: "Wise".into(),
            channel: channel.into(),
            notes: "Business support; answers within a day".into(),
        };
        let e = support::save_contact(&db, &ann, org, None, input("  ", "x"), now())
            .await
            .unwrap_err();
        assert!(e.to_string().contains("the name is required"), "{e}");
        let id = support::save_contact(
            &db,
            &ann,
            org,
            None,
            input("Wise support", "support@wise.example"),
            now(),
        )
        .await
        .unwrap();
        support::save_contact(
            &db,
            &ann,
            org,
            Some(id),
            input("Wise Business support", "+44 20 0000 0000"),
            now(),
        )
        .await
        .unwrap();
        let list = support::contacts(&db, org).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].name, "Wise Business support");
        assert_eq!(list[0].channel, "+44 20 0000 0000");
        assert_eq!(support::counts(&db, org).await.unwrap().vendor_contacts, 1);
        let e = support::save_contact(&db, &ann, org, Some(id + 100), input("X", "y"), now())
            .await
            .unwrap_err();
        assert!(matches!(e, ControlError::NotFound(_)));

        // The escalation owner must be a member; the other owners stay as they were.
        let mut s = settings::get(&db, org).await.unwrap();
        s.exceptions_owner_id = Some(owner.user_id);
        settings::update(&db, &ann, org, s, now()).await.unwrap();
        let e = support::set_escalation_owner(&db, &ann, org, Some(4242), now())
            .await
            .unwrap_err();
        assert!(matches!(e, ControlError::Invalid(_)));
        support::set_escalation_owner(&db, &ann, org, Some(owner.user_id), now())
            .await
            .unwrap();
        let s = settings::get(&db, org).await.unwrap();
        assert_eq!(s.escalation_owner_id, Some(owner.user_id));
        assert_eq!(s.exceptions_owner_id, Some(owner.user_id));

        support::delete_contact(&db, &ann, org, id, now())
            .await
            .unwrap();
        assert!(support::contacts(&db, org).await.unwrap().is_empty());
        let log = control::audit::recent(&db, org, 50).await.unwrap();
        let find = |action: &str| log.iter().find(|a| a.action == action).unwrap();
        assert!(
            find("support.contact_add")
                .after_state
                .clone()
                .unwrap()
                .contains("support@wise.example")
        );
        let update = find("support.contact_update");
        assert!(
            update
                .before_state
                .clone()
                .unwrap()
                .contains("Wise support")
        );
        assert!(
            update
                .after_state
                .clone()
                .unwrap()
                .contains("Wise Business support")
        );
        assert!(find("support.contact_delete").after_state.is_none());
        assert!(
            find("settings.update")
                .after_state
                .clone()
                .unwrap()
                .contains("escalation_owner_id")
        );
    }
}

#[tokio::test]
async fn incidents_open_change_owner_close_and_reopen() {
    for backend in testing::backends() {
        let db = testing::fresh(backend).await;
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
            now(),
        )
        .await
        .unwrap();
        let org = owner.organization_id;
        let ben = members::add(
            &db,
            &Actor::system("test"),
            org,
            NewMember {
                email: Email::parse("ben@studio.example").unwrap(),
                display_name: "Ben".into(),
                role: Role::Bookkeeper,
                password: Some(NewPassword::parse("correct horse battery").unwrap()),
            },
            now(),
        )
        .await
        .unwrap();
        let by_ben = Actor::user(ben.user_id, "ben@studio.example");
        let e = support::open_incident(
            &db,
            &by_ben,
            org,
            NewIncident {
                title: "".into(),
                severity: Severity::High,
                owner_user_id: None,
                notes: String::new(),
            },
            now(),
        )
        .await
        .unwrap_err();
        assert!(e.to_string().contains("title"));
        let id = support::open_incident(
            &db,
            &by_ben,
            org,
            NewIncident {
                title: "Bank feed stopped after Wise consent lapsed".into(),
                severity: Severity::High,
                owner_user_id: Some(ben.user_id),
                notes: "No postings since Friday".into(),
            },
            now(),
        )
        .await
        .unwrap();
        let i = support::incident(&db, org, id).await.unwrap();
        assert_eq!(
            (i.status, i.severity),
            (IncidentStatus::Open, Severity::High)
        );
        assert_eq!(i.owner_name.as_deref(), Some("Ben"));
        assert_eq!(i.opened_by_name.as_deref(), Some("Ben"));
        assert_eq!(i.opened_at, now());
        assert_eq!(support::counts(&db, org).await.unwrap().open_incidents, 1);

        let later = now() + Duration::hours(3);
        let closed = support::update_incident(
            &db,
            &by_ben,
            org,
            id,
            IncidentUpdate {
                severity: Severity::Medium,
                owner_user_id: Some(owner.user_id),
                status: IncidentStatus::Closed,
                notes: "Re-authorized in QuickBooks; feed back".into(),
            },
            later,
        )
        .await
        .unwrap();
        assert_eq!(closed.status, IncidentStatus::Closed);
        assert_eq!(closed.closed_at, Some(later));
        assert_eq!(closed.owner_name.as_deref(), Some("Ann"));
        assert_eq!(support::counts(&db, org).await.unwrap().open_incidents, 0);
        let reopened = support::update_incident(
            &db,
            &by_ben,
            org,
            id,
            IncidentUpdate {
                severity: Severity::Critical,
                owner_user_id: None,
                status: IncidentStatus::Open,
                notes: "It stopped again".into(),
            },
            later + Duration::hours(1),
        )
        .await
        .unwrap();
        assert_eq!(reopened.closed_at, None);
        assert_eq!(reopened.owner_user_id, None);
        let e = support::update_incident(
            &db,
            &by_ben,
            org,
            id,
            IncidentUpdate {
                severity: Severity::Low,
                owner_user_id: Some(9999),
                status: IncidentStatus::Open,
                notes: String::new(),
            },
            later,
        )
        .await
        .unwrap_err();
        assert!(matches!(e, ControlError::Invalid(_)));
        assert!(matches!(
            support::incident(&db, org + 1, id).await.unwrap_err(),
            ControlError::NotFound(_)
        ));
        let list = support::incidents(&db, org, 10).await.unwrap();
        assert_eq!(list.len(), 1);
        let log: Vec<String> = control::audit::recent(&db, org, 50)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.action)
            .collect();
        for a in [
            "support.incident_open",
            "support.incident_close",
            "support.incident_reopen",
        ] {
            assert!(log.iter().any(|l| l == a), "{a}: {log:?}");
        }
    }
}
