//! The HTTP server: Leptos pages and server functions behind the session layer and the
//! access guards, plus `/healthz`.

use crate::config::Settings;
use crate::webhooks::WebhookKeys;
use anyhow::Context;
use app::ssr::guard::{page_guard, same_origin_guard, server_fn_guard};
use app::ssr::state::AppState;
use app::{App, shell};
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderName, HeaderValue, Request, StatusCode};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::get;
use control::Db;
use control::sessions::Sessions;
use leptos::config::{Env, LeptosOptions};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::session_store::ExpiredDeletion;
use tower_sessions::{Expiry, SessionManagerLayer};

/// The name of the session cookie.
pub const SESSION_COOKIE: &str = "clearline_session";

/// The app's routes, generated once per process. Generating runs the app with resource
/// loading switched off through a process-wide flag (`leptos_server`'s
/// `SuppressResourceLoad`): a page whose resource is first polled while another router is
/// being built waits forever (leptos-rs/leptos#4773). With one generation, before any
/// router serves, that cannot happen — it did in the server tests, where servers start in
/// parallel.
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

/// The router with every layer, for a given state.
pub fn router(
    state: AppState,
    sessions: Sessions,
    cookie_secure: bool,
    hooks: WebhookKeys,
) -> Router {
    let routes = ROUTES.clone();
    let options = state.leptos_options.clone();
    let sessions_layer = SessionManagerLayer::new(sessions)
        .with_name(SESSION_COOKIE)
        .with_secure(cookie_secure)
        .with_same_site(SameSite::Lax)
        .with_http_only(true)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)));
    Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::webhooks::routes(state.db.clone(), hooks))
        .merge(crate::connect_oauth::routes())
        .leptos_routes(&state, routes, move || shell(options.clone()))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(from_fn_with_state(state.clone(), page_guard))
        .layer(from_fn_with_state(state.clone(), server_fn_guard))
        .layer(sessions_layer)
        .layer(from_fn(same_origin_guard))
        .layer(header("x-frame-options", "DENY"))
        .layer(header("x-content-type-options", "nosniff"))
        .layer(header("referrer-policy", "same-origin"))
        .layer(
            // Path only: query strings may carry a setup token.
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path())
            })
            .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .with_state(state)
}

fn header(name: &'static str, value: &'static str) -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::if_not_present(
        HeaderName::from_static(name),
        HeaderValue::from_static(value),
    )
}

async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.db.ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

/// A server that is listening.
pub struct Running {
    pub addr: SocketAddr,
    pub db: Db,
    /// The one-time setup token, when nobody has an account yet.
    pub setup_token: Option<String>,
    /// The demo organization and its emulators, when this server runs one.
    pub demo: Option<crate::demo_org::Demo>,
    jobs: JoinHandle<()>,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, and waits.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.jobs.abort();
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.context("server task")??;
        self.db.close().await;
        Ok(())
    }

    /// Waits until the server ends (it ends on stop or on a fatal error).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await.context("server task")??;
        Ok(())
    }
}

/// Connects the database, prepares sessions, binds `settings.addr` (port 0 picks one) and
/// starts serving in the background.
pub async fn start(settings: &Settings, leptos_options: LeptosOptions) -> anyhow::Result<Running> {
    let db = Db::connect(&settings.database_url).await?;
    let sessions = Sessions::open(&db)
        .await
        .context("preparing the session store")?;
    tokio::spawn(
        sessions
            .clone()
            .continuously_delete_expired(Duration::from_secs(600)),
    );
    let setup_token = control::setup::issue_token_if_needed(&db, chrono::Utc::now()).await?;
    // Written before the server listens, so whoever waits for /healthz finds it.
    if let (Some(token), Some(path)) = (&setup_token, &settings.setup_token_file) {
        write_secret(path, token)
            .with_context(|| format!("writing the setup token to {}", path.display()))?;
    }
    let vault = settings.vault()?;
    let now = chrono::Utc::now();
    let (connectors, demo_parts) = if settings.demo {
        let (emulators, existing, anchor) = crate::demo_org::start_emulators(&db, now).await?;
        (
            crate::demo_org::connectors(&emulators, &settings.public_url)?,
            Some((emulators, existing, anchor)),
        )
    } else {
        (connectors(settings)?, None)
    };
    let state = AppState {
        leptos_options,
        db: db.clone(),
        clock: chrono::Utc::now,
        vault,
        connectors,
        job_lease: chrono::Duration::seconds(settings.job_lease_secs),
    };
    let worker = worker_name();
    let demo = match demo_parts {
        Some((emulators, existing, anchor)) => Some(
            crate::demo_org::prepare(
                &state.sync_context(&worker),
                emulators,
                existing,
                anchor,
                now,
            )
            .await
            .context("preparing the demo organization")?,
        ),
        None => None,
    };
    if let (Some(demo), Some(path)) = (&demo, &settings.demo_info_file) {
        let info = serde_json::json!({
            "wise": demo.emulators.wise.base_url(),
            "qbo": demo.emulators.qbo.base_url(),
            "organization_id": demo.organization_id,
        });
        std::fs::write(path, info.to_string())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    let jobs = if settings.run_jobs {
        tokio::spawn(crate::jobs::run(state.sync_context(worker)))
    } else {
        tokio::spawn(async {})
    };
    let app = router(
        state,
        sessions,
        settings.cookie_secure,
        settings.webhook_keys(),
    );
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.addr))?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app.into_make_service())
            .with_graceful_shutdown(async {
                let _ = rx.await;
            })
            .await
    });
    Ok(Running {
        addr,
        db,
        setup_token,
        demo,
        jobs,
        shutdown: Some(tx),
        task,
    })
}

/// The real services: Wise at `CLEARLINE_WISE_API_URL`, QBO when an Intuit app is configured.
fn connectors(settings: &Settings) -> anyhow::Result<control::sync::Connectors> {
    let qbo = match &settings.qbo_app {
        Some(app) => {
            let endpoints = if app.sandbox {
                qbo::Endpoints::sandbox()
            } else {
                qbo::Endpoints::production()
            };
            let redirect = format!("{}/connect/qbo/callback", settings.public_url)
                .parse()
                .context("CLEARLINE_PUBLIC_URL is not a URL")?;
            Some(qbo::ClientConfig::new(
                endpoints,
                qbo::OAuthConfig::new(app.client_id.clone(), app.client_secret.clone(), redirect),
            ))
        }
        None => None,
    };
    let wise_oauth = settings.wise_app.as_ref().map(|app| wise::OAuthConfig {
        client_id: app.client_id.clone(),
        client_secret: app.client_secret.expose().into(),
        authorize_url: app.authorize_url.clone(),
        token_url: format!(
            "{}/oauth/token",
            settings.wise_api_url.trim_end_matches('/')
        ),
        redirect_uri: format!("{}/connect/wise/callback", settings.public_url),
    });
    Ok(control::sync::Connectors {
        wise_base_url: settings.wise_api_url.clone(),
        wise_retry: wise::RetryPolicy::default(),
        qbo,
        wise_oauth,
    })
}

/// A name for this process's job worker, unique across instances sharing a database.
fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "clearline".into());
    format!(
        "{host}-{}-{:08x}",
        std::process::id(),
        rand::random::<u32>()
    )
}

/// The Leptos options for serving the built site: `target/site` unless `LEPTOS_SITE_ROOT`
/// says otherwise, `LEPTOS_ENV=PROD` for production.
pub fn leptos_options(settings: &Settings) -> LeptosOptions {
    let site_root = std::env::var("LEPTOS_SITE_ROOT").unwrap_or_else(|_| "target/site".into());
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("PROD" | "prod") => Env::PROD,
        _ => Env::DEV,
    };
    LeptosOptions::builder()
        .output_name("clearline")
        .site_root(site_root)
        .site_pkg_dir("pkg")
        .site_addr(settings.addr)
        .env(env)
        .build()
}

/// `clearline serve`: runs until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings) -> anyhow::Result<()> {
    let options = leptos_options(&settings);
    let mut running = start(&settings, options).await?;
    tracing::info!(addr = %running.addr, backend = ?running.db.backend(), "Clearline is listening");
    println!("Clearline is running at {}", settings.public_url);
    if running.demo.is_some() {
        println!();
        println!(
            "Demo organization \"{}\" (built-in Wise and QuickBooks emulators):",
            crate::demo_org::ORGANIZATION
        );
        println!(
            "  owner:      {} / {}",
            crate::demo_org::OWNER_EMAIL,
            crate::demo_org::OWNER_PASSWORD
        );
        println!(
            "  bookkeeper: {} / {}",
            crate::demo_org::BOOKKEEPER_EMAIL,
            crate::demo_org::BOOKKEEPER_PASSWORD
        );
        println!(
            "Set CLEARLINE_QBO_CLIENT_ID/CLEARLINE_QBO_CLIENT_SECRET (or CLEARLINE_DEMO=off) to run without it."
        );
    }
    if let Some(token) = &running.setup_token {
        println!();
        println!(
            "Nobody has an account yet. Create the first organization and its owner here (the link works once):"
        );
        println!("  {}/setup?token={token}", settings.public_url);
        println!(
            "or from a shell: clearline user add --email you@example.com --org \"Your business\" --role owner"
        );
        println!();
    }
    tokio::select! {
        r = running.wait() => r,
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            running.stop().await
        }
    }
}

/// Writes a secret readable by the owner only.
fn write_secret(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(secret.as_bytes())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = ctrl_c.await;
                    return;
                }
            };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
