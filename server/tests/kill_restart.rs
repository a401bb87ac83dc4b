//! Killing the server in the middle of a sync and starting it again: the run is failed as
//! interrupted, nothing it fetched was half-saved, and the retry completes. The real binary,
//! killed with SIGKILL, on every backend.

use control::{runs, testing};
use reqwest::StatusCode;
use serde_json::Value;
use server::demo_org;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(db_url: &str, dir: &std::path::Path) -> Server {
    // A port found free can be taken before the server binds it: then it exits at once, and
    // is started again on another port (with what it said kept for the failure message).
    let mut said = String::new();
    for attempt in 0..3 {
        let log = dir.join(format!("server-{attempt}.log"));
        match try_start(db_url, dir, &log).await {
            Ok(server) => return server,
            Err(why) => said.push_str(&format!("attempt {attempt}: {why}\n")),
        }
    }
    panic!("the server did not become healthy:\n{said}");
}

async fn try_start(
    db_url: &str,
    dir: &std::path::Path,
    log: &std::path::Path,
) -> Result<Server, String> {
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_clearline"))
        .arg("serve")
        .env("DATABASE_URL", db_url)
        .env("LEPTOS_SITE_ADDR", format!("127.0.0.1:{port}"))
        .env("CLEARLINE_SECRET_KEY_FILE", dir.join("secret.key"))
        .env("CLEARLINE_DEMO_INFO_FILE", dir.join("demo.json"))
        .env("CLEARLINE_DEMO", "on")
        .env("CLEARLINE_JOB_LEASE_SECS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .unwrap();
    // Owned at once, so a failure below still kills and reaps it.
    let mut server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let log_text = || std::fs::read_to_string(log).unwrap_or_default();
    for _ in 0..900 {
        if let Ok(r) = client.get(format!("{}/healthz", server.base)).send().await
            && r.status() == StatusCode::OK
        {
            return Ok(server);
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            return Err(format!("exited ({status}): {}", log_text()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!("not healthy after 90 s: {}", log_text()))
}

async fn call(
    server: &Server,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> Value {
    let res = client
        .post(format!("{}/api/{endpoint}", server.base))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    serde_json::from_str(&res.text().await.unwrap()).unwrap_or(Value::Null)
}

async fn owner(server: &Server) -> reqwest::Client {
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    call(
        server,
        &client,
        "login",
        &[
            ("email", demo_org::OWNER_EMAIL),
            ("password", demo_org::OWNER_PASSWORD),
        ],
    )
    .await;
    client
}

#[tokio::test]
async fn a_sync_killed_mid_run_is_failed_and_retried_after_restart() {
    for backend in testing::backends() {
        let dir = std::env::temp_dir().join(format!("clearline-kill-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = match backend {
            control::db::Backend::Sqlite => format!("sqlite://{}/clearline.db", dir.display()),
            control::db::Backend::Postgres => testing::fresh_url(backend).await,
        };
        let server = start(&url, &dir).await;
        let client = owner(&server).await;
        let before = call(&server, &client, "sync_overview", &[]).await;
        assert_eq!(before["runs"][0]["status"], "succeeded");

        // Make Wise answer slowly, so the next run is caught mid-fetch.
        let info: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("demo.json")).unwrap()).unwrap();
        let wise = info["wise"].as_str().unwrap();
        let http = reqwest::Client::new();
        for _ in 0..3 {
            let r = http
                .post(format!("{wise}/__emulator/faults"))
                .json(&serde_json::json!({"kind": "slow", "delay_ms": 20000}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::NO_CONTENT);
        }
        let queued = call(&server, &client, "sync_now", &[]).await;
        let killed_id = queued["id"].as_i64().unwrap();
        for _ in 0..100 {
            let r = call(&server, &client, "run_status", &[]).await;
            if r["status"] == "running" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        drop(server); // SIGKILL

        let db = control::Db::connect(&url).await.unwrap();
        let org = info["organization_id"].as_i64().unwrap();
        let lines_before = control::lines::bank_lines(&db, org).await.unwrap().len();
        assert_eq!(
            runs::get(&db, org, killed_id).await.unwrap().status,
            runs::RunStatus::Running,
            "the killed run is left running until its lease expires"
        );

        let server = start(&url, &dir).await;
        let client = owner(&server).await;
        let mut retried = None;
        for _ in 0..300 {
            let killed = runs::get(&db, org, killed_id).await.unwrap();
            let newest = runs::recent(&db, org, 1).await.unwrap().remove(0);
            if killed.status == runs::RunStatus::Failed
                && newest.id != killed_id
                && newest.status == runs::RunStatus::Succeeded
            {
                assert_eq!(killed.error.as_deref(), Some(runs::INTERRUPTED));
                retried = Some(newest);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let retried = retried.expect("the interrupted run was retried and completed");
        assert!(matches!(
            retried.trigger,
            runs::Trigger::Retry | runs::Trigger::Setup
        ));
        assert_eq!(
            control::lines::bank_lines(&db, org).await.unwrap().len(),
            lines_before
        );
        let view = call(&server, &client, "sync_overview", &[]).await;
        assert!(view["runs"].to_string().contains("interrupted"));
        db.close().await;
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
