//! A real Clearline server on 127.0.0.1:0 with a fresh database, driven by a real HTTP
//! client with a cookie jar.

#![allow(dead_code)]

use control::db::Backend;
use control::members::NewMember;
use control::password::NewPassword;
use control::{Db, Email, Role, testing};
use reqwest::StatusCode;
use server::config::Settings;
use server::web::{self, Running};

pub struct TestApp {
    pub base: String,
    pub db: Db,
    pub setup_token: Option<String>,
    pub backend: Backend,
    running: Option<Running>,
}

pub const PASSWORD: &str = "correct horse battery";

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with settings adjusted first.
    pub async fn spawn_with(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let mut settings = Settings {
            database_url: testing::fresh_url(backend).await,
            addr: "127.0.0.1:0".parse().unwrap(),
            public_url: "http://127.0.0.1".into(),
            cookie_secure: false,
            setup_token_file: None,
            wise_webhooks: wise::WebhookVerifier::wise_production(),
            qbo_webhook_verifier: None,
            secret_key: server::config::SecretKey::File(
                std::env::temp_dir().join(format!("clearline-tests/{}.key", uuid::Uuid::new_v4())),
            ),
            qbo_app: None,
            wise_app: None,
            wise_api_url: "http://127.0.0.1:9".into(),
            demo: false,
            job_lease_secs: 60,
            demo_info_file: None,
            // Tests that need the job worker turn it on.
            run_jobs: false,
        };
        adjust(&mut settings);
        let running = web::start(&settings, web::leptos_options(&settings))
            .await
            .expect("server starts");
        TestApp {
            base: format!("http://{}", running.addr),
            db: running.db.clone(),
            setup_token: running.setup_token.clone(),
            backend,
            running: Some(running),
        }
    }

    /// A new browser-like client: its own cookie jar, redirects not followed. A request that
    /// gets no complete answer in 60 s fails the test where it was made, instead of hanging
    /// the suite (as a page once did, before routes were generated once per process: see
    /// `server::web::ROUTES`).
    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(std::time::Duration::from_secs(60))
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The HTML of a page as `client` sees it.
    pub async fn page(&self, client: &reqwest::Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Calls a server function with a form body.
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String) {
        let res = client
            .post(self.url(&format!("/api/{endpoint}")))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// Creates a person with `role` in `org` (both created if needed) and returns a client
    /// signed in as them.
    pub async fn signed_in(&self, email: &str, org: &str, role: Role) -> reqwest::Client {
        control::members::provision(
            &self.db,
            &control::audit::Actor::system("test"),
            org,
            NewMember {
                email: Email::parse(email).unwrap(),
                display_name: email.split('@').next().unwrap().to_string(),
                role,
                password: Some(NewPassword::parse(PASSWORD).unwrap()),
            },
            chrono::Utc::now(),
        )
        .await
        .unwrap();
        let client = self.client();
        let (status, body) = self
            .call(
                &client,
                "login",
                &[("email", email), ("password", PASSWORD)],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "login failed: {body}");
        client
    }

    /// The id of the person with this e-mail, as a form value.
    pub async fn user_id(&self, email: &str) -> String {
        control::users::by_email(&self.db, &Email::parse(email).unwrap())
            .await
            .unwrap()
            .expect("user exists")
            .id
            .to_string()
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await.unwrap();
        }
    }
}
