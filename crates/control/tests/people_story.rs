//! The people story, told once and run on every backend: first-run setup, sign-in, members
//! managed by the owner, the last-owner rule, and the audit trail.

use chrono::Utc;
use control::audit::Actor;
use control::db::Backend;
use control::members::{self, NewMember};
use control::password::NewPassword;
use control::setup::{self, FirstOwner};
use control::{ControlError, Db, Email, Role, testing, users};

fn first_owner() -> FirstOwner {
    FirstOwner {
        organization_name: "Studio Nord".into(),
        email: Email::parse("ann@studio.example").unwrap(),
        display_name: "Ann Owner".into(),
        password: NewPassword::parse("correct horse battery").unwrap(),
    }
}

async fn audit_actions(db: &Db, org: i64) -> Vec<String> {
    control::audit::recent(db, org, 100)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| e.action)
        .collect()
}

async fn story(backend: Backend) {
    let db = testing::fresh(backend).await;
    let now = Utc::now();

    // First start: a token is issued; a second start replaces it.
    let old = setup::issue_token_if_needed(&db, now)
        .await
        .unwrap()
        .expect("token while empty");
    let token = setup::issue_token_if_needed(&db, now)
        .await
        .unwrap()
        .expect("token while empty");
    assert!(
        !setup::token_is_valid(&db, &old).await.unwrap(),
        "older unused link withdrawn"
    );
    assert!(setup::token_is_valid(&db, &token).await.unwrap());

    // A failing setup (bad org name) writes nothing and leaves the token usable.
    let mut bad = first_owner();
    bad.organization_name = "   ".into();
    assert!(matches!(
        setup::complete(&db, &token, bad, now).await,
        Err(ControlError::Invalid(_))
    ));
    assert_eq!(users::count(&db).await.unwrap(), 0);
    assert!(setup::token_is_valid(&db, &token).await.unwrap());

    let done = setup::complete(&db, &token, first_owner(), now)
        .await
        .unwrap();
    let org = done.organization_id;
    assert!(done.created_organization);
    // Reusing the link is refused with the clear message.
    match setup::complete(&db, &token, first_owner(), now).await {
        Err(ControlError::Invalid(m)) => assert_eq!(m, setup::INVALID_TOKEN),
        other => panic!("reused token accepted: {other:?}"),
    }
    assert!(
        setup::issue_token_if_needed(&db, now)
            .await
            .unwrap()
            .is_none(),
        "no token once someone exists"
    );

    // Sign-in: right password, wrong password, unknown e-mail, case-insensitive e-mail.
    let ann = users::authenticate(&db, "ANN@studio.example", "correct horse battery".into())
        .await
        .unwrap();
    assert_eq!(ann.id, done.user_id);
    for (email, pw) in [
        ("ann@studio.example", "wrong horse battery"),
        ("nobody@studio.example", "correct horse battery"),
        ("not an email", "x"),
    ] {
        assert!(matches!(
            users::authenticate(&db, email, pw.into()).await,
            Err(ControlError::BadCredentials)
        ));
    }
    assert_eq!(
        members::role_of(&db, ann.id, org).await.unwrap(),
        Some(Role::Owner)
    );

    // The owner adds a bookkeeper.
    let actor = Actor::user(ann.id, &ann.email);
    let bob = members::add(
        &db,
        &actor,
        org,
        NewMember {
            email: Email::parse("bob@books.example").unwrap(),
            display_name: "Bob Books".into(),
            role: Role::Bookkeeper,
            password: Some(NewPassword::parse("bookkeeping is fun").unwrap()),
        },
        now,
    )
    .await
    .unwrap();
    assert_eq!(bob.role, Role::Bookkeeper);
    assert!(
        users::authenticate(&db, "bob@books.example", "bookkeeping is fun".into())
            .await
            .is_ok()
    );

    // Adding the same person twice is a conflict and writes nothing.
    let before = audit_actions(&db, org).await.len();
    let again = members::add(
        &db,
        &actor,
        org,
        NewMember {
            email: Email::parse("bob@books.example").unwrap(),
            display_name: "Bob".into(),
            role: Role::Viewer,
            password: None,
        },
        now,
    )
    .await;
    assert!(matches!(again, Err(ControlError::Conflict(_))));
    assert_eq!(audit_actions(&db, org).await.len(), before);

    // A new person needs an initial password.
    let no_pw = members::add(
        &db,
        &actor,
        org,
        NewMember {
            email: Email::parse("cy@x.example").unwrap(),
            display_name: "Cy".into(),
            role: Role::Viewer,
            password: None,
        },
        now,
    )
    .await;
    assert!(matches!(no_pw, Err(ControlError::Invalid(_))));
    assert!(
        users::by_email(&db, &Email::parse("cy@x.example").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // The last owner cannot be demoted or deactivated.
    assert!(matches!(
        members::change_role(&db, &actor, org, ann.id, Role::Viewer, now).await,
        Err(ControlError::Conflict(_))
    ));
    assert!(matches!(
        members::set_active(&db, &actor, org, ann.id, false, now).await,
        Err(ControlError::Conflict(_))
    ));

    // Role change and deactivation apply to the access decision at once.
    members::change_role(&db, &actor, org, bob.user_id, Role::Viewer, now)
        .await
        .unwrap();
    assert_eq!(
        members::role_of(&db, bob.user_id, org).await.unwrap(),
        Some(Role::Viewer)
    );
    members::set_active(&db, &actor, org, bob.user_id, false, now)
        .await
        .unwrap();
    assert_eq!(members::role_of(&db, bob.user_id, org).await.unwrap(), None);
    assert!(
        members::organizations_of(&db, bob.user_id)
            .await
            .unwrap()
            .is_empty()
    );
    members::set_active(&db, &actor, org, bob.user_id, true, now)
        .await
        .unwrap();

    // One login, several organizations.
    let second = control::organizations::create_with_owner(&db, &actor, "Agency Süd", ann.id, now)
        .await
        .unwrap();
    let orgs = members::organizations_of(&db, ann.id).await.unwrap();
    assert_eq!(
        orgs.iter().map(|o| o.organization_id).collect::<Vec<_>>(),
        vec![second, org]
    );
    assert!(matches!(
        control::organizations::create_with_owner(&db, &actor, "Agency Süd", ann.id, now).await,
        Err(ControlError::Conflict(_))
    ));

    // Everything above is in the audit log, in order, with before and after.
    assert_eq!(
        audit_actions(&db, org).await,
        [
            "organization.create",
            "user.create",
            "member.add",
            "user.create",
            "member.add",
            "member.role",
            "member.deactivate",
            "member.reactivate"
        ]
    );
    let role_change = control::audit::recent(&db, org, 100)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "member.role")
        .unwrap();
    assert_eq!(
        role_change.before_state.as_deref(),
        Some(r#"{"role":"bookkeeper"}"#)
    );
    assert_eq!(
        role_change.after_state.as_deref(),
        Some(r#"{"role":"viewer"}"#)
    );

    // The log is append-only, enforced by the database itself.
    let tamper = match &db {
        Db::Sqlite(p) => sqlx::query("UPDATE audit_log SET actor = 'x'")
            .execute(p)
            .await
            .err(),
        Db::Postgres(p) => sqlx::query("UPDATE audit_log SET actor = 'x'")
            .execute(p)
            .await
            .err(),
    };
    assert!(tamper.is_some(), "audit_log accepted an UPDATE");
    let delete = match &db {
        Db::Sqlite(p) => sqlx::query("DELETE FROM audit_log").execute(p).await.err(),
        Db::Postgres(p) => sqlx::query("DELETE FROM audit_log").execute(p).await.err(),
    };
    assert!(delete.is_some(), "audit_log accepted a DELETE");
}

#[tokio::test]
async fn people_story_on_every_backend() {
    for backend in testing::backends() {
        story(backend).await;
    }
}

#[tokio::test]
async fn an_unreachable_database_is_a_clear_error() {
    let err = Db::connect("postgres://clearline:secret@127.0.0.1:1/none")
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("cannot open the database at postgres://clearline:***@127.0.0.1:1/none"),
        "{text}"
    );
    assert!(!text.contains("secret"));
}
