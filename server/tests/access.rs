//! One place decides access: every registered server function is refused to anonymous
//! callers (401) and to a role just too weak (403), and cross-site posts are refused.

mod common;

use app::access::{ACCESS, Access, rule_for_path};
use common::TestApp;
use control::{Role, testing};
use reqwest::StatusCode;
use std::collections::BTreeSet;

#[tokio::test]
async fn every_server_function_has_a_rule_and_enforces_it() {
    let registered: BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect();
    assert!(
        registered.len() >= ACCESS.len(),
        "server functions not registered: {registered:?}"
    );
    for path in &registered {
        assert!(
            rule_for_path(path).is_some(),
            "{path} has no access rule in app::access::ACCESS"
        );
    }
    for (name, _) in ACCESS {
        assert!(
            registered.contains(&format!("/api/{name}")),
            "rule for unknown endpoint {name}"
        );
    }

    for backend in testing::backends() {
        let app = TestApp::spawn(backend).await;
        let anonymous = app.client();
        let mut by_role = Vec::new();
        for role in Role::ALL {
            by_role.push((
                role,
                app.signed_in(&format!("{role}@studio.example"), "Studio Nord", role)
                    .await,
            ));
        }
        for path in &registered {
            let Some(Access::Member(required)) = rule_for_path(path) else {
                continue;
            };
            // Empty bodies: the guard must refuse before the arguments are even read.
            let res = anonymous.post(app.url(path)).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "anonymous {path}");
            if let Some(weaker) = Role::just_below(required) {
                let client = &by_role.iter().find(|(r, _)| *r == weaker).unwrap().1;
                let res = client.post(app.url(path)).send().await.unwrap();
                assert_eq!(
                    res.status(),
                    StatusCode::FORBIDDEN,
                    "{weaker} calling {path}"
                );
            }
        }
        // An endpoint that does not exist is refused, not routed.
        let res = by_role[0]
            .1
            .post(app.url("/api/nope"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::NOT_FOUND);
        app.stop().await;
    }
}

#[tokio::test]
async fn posts_from_another_site_are_refused() {
    let app = TestApp::spawn(control::db::Backend::Sqlite).await;
    let owner = app
        .signed_in("ann@studio.example", "Studio Nord", Role::Owner)
        .await;
    let form = [
        ("email", "mallory@evil.example"),
        ("name", "M"),
        ("role", "owner"),
        ("password", "a long enough password"),
    ];
    let res = owner
        .post(app.url("/api/members_add"))
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = owner
        .post(app.url("/api/members_add"))
        .header("sec-fetch-site", "cross-site")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, list) = app.call(&owner, "members_list", &[]).await;
    assert!(!list.contains("mallory"), "nothing written: {list}");

    // A same-origin browser post passes even when privacy settings blank the Origin.
    let res = owner
        .post(app.url("/api/members_list"))
        .header("sec-fetch-site", "same-origin")
        .header("origin", "null")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.stop().await;
}
