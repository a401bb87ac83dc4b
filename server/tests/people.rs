//! Signing in and out, first-run setup, members, and the rules around them, over real HTTP
//! on every database backend.

mod common;

use common::{PASSWORD, TestApp};
use control::{Role, testing};
use reqwest::StatusCode;

#[tokio::test]
async fn health_answers_once_ready() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let res = reqwest::get(app.url("/healthz")).await.unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.text().await.unwrap(), "ok");
        app.stop().await;
    }
}

#[tokio::test]
async fn first_run_setup_creates_the_owner_once() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let token = app
            .setup_token
            .clone()
            .expect("an empty database prints a setup link");
        let browser = app.client();

        let page = browser
            .get(app.url(&format!("/setup?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("Create organization and owner")
        );

        let form = [
            ("token", token.as_str()),
            ("organization", "Studio Nord"),
            ("name", "Ann Owner"),
            ("email", "ann@studio.example"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ];
        // Mismatched passwords: a clear error and nothing written.
        let mut bad = form;
        bad[5].1 = "something else entirely";
        let (status, body) = app.call(&browser, "setup_complete", &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("The two passwords differ"), "{body}");
        assert_eq!(control::users::count(&app.db).await.unwrap(), 0);

        let (status, body) = app.call(&browser, "setup_complete", &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Signed in straight away.
        let (status, me) = app.call(&browser, "me", &[]).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            me.contains("Studio Nord") && me.contains("ann@studio.example") && me.contains("owner"),
            "{me}"
        );

        // The link is spent.
        let (status, body) = app.call(&app.client(), "setup_complete", &form).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("not valid or was already used"), "{body}");
        let page = app
            .client()
            .get(app.url(&format!("/setup?token={token}")))
            .send()
            .await
            .unwrap();
        assert!(
            page.text()
                .await
                .unwrap()
                .contains("not valid or was already used")
        );
        assert_eq!(control::users::count(&app.db).await.unwrap(), 1);
        app.stop().await;
    }
}

#[tokio::test]
async fn sign_in_refuses_bad_credentials_and_malformed_forms() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        app.signed_in("ann@studio.example", "Studio Nord", Role::Owner)
            .await;
        let browser = app.client();
        for (email, password) in [
            ("ann@studio.example", "wrong password!"),
            ("nobody@studio.example", PASSWORD),
            ("", ""),
        ] {
            let (status, body) = app
                .call(
                    &browser,
                    "login",
                    &[("email", email), ("password", password)],
                )
                .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{email}");
            assert!(body.contains("Wrong e-mail or password."), "{body}");
        }
        // A form missing a field is refused with a clear message, not a crash.
        let (status, body) = app
            .call(&browser, "login", &[("email", "ann@studio.example")])
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("not filled in correctly"), "{body}");
        let (status, _) = app.call(&browser, "me", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        app.stop().await;
    }
}

#[tokio::test]
async fn sign_in_issues_a_new_session_id_and_sign_out_ends_it() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        app.signed_in("ann@studio.example", "Studio Nord", Role::Owner)
            .await;
        let browser = app.client();
        // An anonymous visit to a private page goes to the sign-in page.
        let res = browser.get(app.url("/")).send().await.unwrap();
        assert!(res.status().is_redirection());
        assert_eq!(res.headers()["location"], "/login");

        let res = browser
            .post(app.url("/api/login"))
            .form(&[("email", "ann@studio.example"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
        assert!(cookie.starts_with("clearline_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("Secure"),
            "Secure is off for plain-http configuration"
        );
        let first_id = cookie.split(';').next().unwrap().to_string();

        let home = browser.get(app.url("/")).send().await.unwrap();
        assert_eq!(home.status(), StatusCode::OK);
        assert_eq!(home.headers()["cache-control"], "no-store");
        let html = home.text().await.unwrap();
        assert!(html.contains("Studio Nord"), "home shows the organization");

        // Signing in again gives a different session id.
        let res = browser
            .post(app.url("/api/login"))
            .form(&[("email", "ann@studio.example"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        let second_id = res.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        assert_ne!(first_id, second_id);

        let res = browser
            .post(app.url("/api/logout"))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::FOUND);
        assert_eq!(res.headers()["location"], "/login");
        let (status, _) = app.call(&browser, "me", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let res = browser.get(app.url("/")).send().await.unwrap();
        assert!(res.status().is_redirection());
        app.stop().await;
    }
}

#[tokio::test]
async fn the_owner_manages_members_and_every_change_is_audited() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let owner = app
            .signed_in("ann@studio.example", "Studio Nord", Role::Owner)
            .await;
        let form = [
            ("email", "bob@books.example"),
            ("name", "Bob Books"),
            ("role", "bookkeeper"),
            ("password", "bookkeeping is fun"),
        ];
        let (status, body) = app.call(&owner, "members_add", &form).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Malformed input: clear messages, nothing written.
        for (field, value, expect) in [
            ("email", "not-an-email", "not an e-mail address"),
            ("role", "admin", "unknown role"),
            ("password", "short", "at least 12"),
        ] {
            let mut bad = [
                ("email", "cy@x.example"),
                ("name", "Cy"),
                ("role", "viewer"),
                ("password", "long enough password"),
            ];
            bad.iter_mut().find(|(k, _)| *k == field).unwrap().1 = value;
            let (status, body) = app.call(&owner, "members_add", &bad).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{field}: {body}");
            assert!(body.contains(expect), "{field}: {body}");
        }
        let (_, list) = app.call(&owner, "members_list", &[]).await;
        assert!(
            list.contains("bob@books.example") && !list.contains("cy@x.example"),
            "{list}"
        );

        // The bookkeeper signs in and cannot manage members; the settings page shows no member data.
        let bob = app.client();
        let (status, _) = app
            .call(
                &bob,
                "login",
                &[
                    ("email", "bob@books.example"),
                    ("password", "bookkeeping is fun"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.call(&bob, "members_list", &[]).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let page = app.page(&bob, "/settings").await;
        assert!(
            page.contains("Only an owner"),
            "settings page for a bookkeeper"
        );
        assert!(
            !page.contains("ann@studio.example"),
            "no member data rendered for a bookkeeper"
        );

        // Role change and deactivation apply on the very next request.
        let bob_id = app.user_id("bob@books.example").await;
        let (status, _) = app
            .call(
                &owner,
                "members_role",
                &[("user_id", &bob_id), ("role", "viewer")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, me) = app.call(&bob, "me", &[]).await;
        assert!(me.contains("\"viewer\""), "{me}");
        let (status, _) = app
            .call(
                &owner,
                "members_active",
                &[("user_id", &bob_id), ("active", "false")],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = app.call(&bob, "me", &[]).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // The owner cannot remove the last owner (themselves).
        let ann_id = app.user_id("ann@studio.example").await;
        let (status, body) = app
            .call(
                &owner,
                "members_role",
                &[("user_id", &ann_id), ("role", "bookkeeper")],
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        let (_, log) = app.call(&owner, "audit_recent", &[]).await;
        for action in [
            "member.add",
            "member.role",
            "member.deactivate",
            "session.login",
        ] {
            assert!(log.contains(action), "audit misses {action}: {log}");
        }
        app.stop().await;
    }
}

#[tokio::test]
async fn one_login_switches_between_organizations() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let owner = app
            .signed_in("ann@studio.example", "Studio Nord", Role::Owner)
            .await;
        let (status, _) = app
            .call(&owner, "organization_create", &[("name", "Agency Süd")])
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, me) = app.call(&owner, "me", &[]).await;
        let me: serde_json::Value = serde_json::from_str(&me).unwrap();
        let other = me["organizations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["organization_name"] == "Agency Süd")
            .unwrap()["organization_id"]
            .to_string();
        let (status, _) = app
            .call(
                &owner,
                "switch_organization",
                &[("organization_id", &other)],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let (_, me) = app.call(&owner, "me", &[]).await;
        assert!(me.contains("\"organization_name\":\"Agency Süd\""), "{me}");

        // Someone else's organization cannot be switched to.
        let stranger = app
            .signed_in("eve@else.example", "Elsewhere Ltd", Role::Owner)
            .await;
        let (status, _) = app
            .call(
                &stranger,
                "switch_organization",
                &[("organization_id", &other)],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        app.stop().await;
    }
}

#[tokio::test]
async fn cli_user_add_creates_a_person_who_can_sign_in() {
    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let args = server::cli::UserAdd {
            email: "Ann@Studio.example".into(),
            org: "Studio Nord".into(),
            role: "owner".into(),
            name: None,
            password_stdin: false,
        };
        let out = server::cli::user_add(&app.db, args, chrono::Utc::now())
            .await
            .unwrap();
        let password = out
            .lines()
            .find_map(|l| l.strip_prefix("Initial password (shown once): "))
            .expect(&out)
            .to_string();
        let (status, _) = app
            .call(
                &app.client(),
                "login",
                &[("email", "ann@studio.example"), ("password", &password)],
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let bad = server::cli::UserAdd {
            email: "x@y.example".into(),
            org: "Studio Nord".into(),
            role: "admin".into(),
            name: None,
            password_stdin: false,
        };
        let err = server::cli::user_add(&app.db, bad, chrono::Utc::now())
            .await
            .unwrap_err()
            .to_string();
        assert!(err.contains("--role"), "{err}");
        app.stop().await;
    }
}

#[tokio::test]
async fn the_secret_key_is_created_private_on_first_start_and_reused() {
    let path = std::env::temp_dir().join(format!(
        "clearline-tests/key-{}/secret.key",
        uuid::Uuid::new_v4()
    ));
    let key = server::config::SecretKey::File(path.clone());
    let first =
        TestApp::spawn_with(control::db::Backend::Sqlite, |s| s.secret_key = key.clone()).await;
    first.stop().await;
    let written = std::fs::read_to_string(&path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let again = TestApp::spawn_with(control::db::Backend::Sqlite, |s| s.secret_key = key).await;
    again.stop().await;
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        written,
        "the key is kept, not replaced"
    );
}
