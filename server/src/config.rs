//! Configuration from the environment (and `.env`-style variables set by `make run`).

use anyhow::Context;
use std::net::SocketAddr;

/// Where the secret-sealing key lives when `CLEARLINE_SECRET_KEY` is not set.
pub const DEFAULT_SECRET_KEY_FILE: &str = "data/secret.key";

/// Where the key that seals stored secrets comes from.
#[derive(Clone, Debug)]
pub enum SecretKey {
    /// Given in the environment (its `Debug` shows nothing).
    Inline(qbo::oauth::Secret),
    File(std::path::PathBuf),
}

/// Where Clearline keeps its embedded SQLite database when `DATABASE_URL` is not set.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/clearline.db";

#[derive(Clone, Debug)]
pub struct Settings {
    /// `sqlite://…` (default, embedded) or `postgres://…`.
    pub database_url: String,
    /// The address to listen on (`LEPTOS_SITE_ADDR`, default 127.0.0.1:3000).
    pub addr: SocketAddr,
    /// The address people use, for printed links (`CLEARLINE_PUBLIC_URL`).
    pub public_url: String,
    /// Send the session cookie with `Secure` (on when the public URL is https).
    pub cookie_secure: bool,
    /// Also write the first-run setup token to this file (mode 600), for automation
    /// (`CLEARLINE_SETUP_TOKEN_FILE`).
    pub setup_token_file: Option<std::path::PathBuf>,
    /// Verifies Wise webhooks: the PEM public key in `CLEARLINE_WISE_WEBHOOK_KEY_FILE`, or
    /// Wise's production key when unset.
    pub wise_webhooks: wise::WebhookVerifier,
    /// The key that seals stored secrets: `CLEARLINE_SECRET_KEY` (32 bytes, base64), else the
    /// file `CLEARLINE_SECRET_KEY_FILE` (default `data/secret.key`, created mode 600 on first
    /// start). Losing it makes stored tokens unreadable: back it up with the database.
    pub secret_key: SecretKey,
    /// Intuit's webhook verifier token (`CLEARLINE_QBO_WEBHOOK_VERIFIER`).
    pub qbo_webhook_verifier: Option<qbo::oauth::Secret>,
    /// The deployment's Intuit app (`CLEARLINE_QBO_CLIENT_ID`, `CLEARLINE_QBO_CLIENT_SECRET`,
    /// `CLEARLINE_QBO_ENVIRONMENT` = production or sandbox).
    pub qbo_app: Option<QboApp>,
    /// Wise partner OAuth (`CLEARLINE_WISE_CLIENT_ID`, `CLEARLINE_WISE_CLIENT_SECRET`, and the
    /// consent page `CLEARLINE_WISE_AUTHORIZE_URL`, default `https://wise.com/oauth/authorize/`).
    pub wise_app: Option<WiseApp>,
    /// The Wise API (`CLEARLINE_WISE_API_URL`, default production; sandbox:
    /// `https://api.sandbox.transferwise.tech`).
    pub wise_api_url: String,
    /// `CLEARLINE_DEMO`: `auto` (default: a demo organization on the built-in emulators when
    /// no Intuit app is configured), `on` or `off`.
    pub demo: bool,
    /// How long a job worker's claim lasts without renewal (`CLEARLINE_JOB_LEASE_SECS`,
    /// default 60): a run whose server died is retried after it.
    pub job_lease_secs: i64,
    /// Writes where the demo's emulators listen, as JSON (`CLEARLINE_DEMO_INFO_FILE`), for
    /// tests that inject faults into them.
    pub demo_info_file: Option<std::path::PathBuf>,
    /// Run the job worker in this process (`CLEARLINE_JOBS`, default on; `off` for an
    /// instance that only serves pages while others run the jobs).
    pub run_jobs: bool,
}

/// The deployment's Wise partner registration.
#[derive(Clone, Debug)]
pub struct WiseApp {
    pub client_id: String,
    pub client_secret: qbo::oauth::Secret,
    pub authorize_url: String,
}

/// The deployment's Intuit app.
#[derive(Clone, Debug)]
pub struct QboApp {
    pub client_id: String,
    pub client_secret: qbo::oauth::Secret,
    pub sandbox: bool,
}

impl Settings {
    pub fn from_env() -> anyhow::Result<Settings> {
        let mut settings = Self::from_env_without_demo()?;
        settings.demo = match std::env::var("CLEARLINE_DEMO").ok().as_deref() {
            None | Some("" | "auto") => settings.qbo_app.is_none(),
            Some("on" | "1" | "true") => true,
            Some("off" | "0" | "false") => false,
            Some(other) => anyhow::bail!("CLEARLINE_DEMO={other:?}: use auto, on or off"),
        };
        Ok(settings)
    }

    fn from_env_without_demo() -> anyhow::Result<Settings> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let addr_text = var("LEPTOS_SITE_ADDR").unwrap_or_else(|| "127.0.0.1:3000".into());
        let addr: SocketAddr = addr_text.parse().with_context(|| {
            format!("LEPTOS_SITE_ADDR={addr_text:?} is not an address like 127.0.0.1:3000")
        })?;
        let public_url = var("CLEARLINE_PUBLIC_URL").unwrap_or_else(|| format!("http://{addr}"));
        let cookie_secure = match var("CLEARLINE_COOKIE_SECURE").as_deref() {
            None => public_url.starts_with("https://"),
            Some("1" | "true" | "yes") => true,
            Some("0" | "false" | "no") => false,
            Some(other) => anyhow::bail!("CLEARLINE_COOKIE_SECURE={other:?}: use true or false"),
        };
        Ok(Settings {
            database_url: var("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            addr,
            public_url: public_url.trim_end_matches('/').to_string(),
            cookie_secure,
            setup_token_file: var("CLEARLINE_SETUP_TOKEN_FILE").map(Into::into),
            wise_webhooks: match var("CLEARLINE_WISE_WEBHOOK_KEY_FILE") {
                Some(path) => {
                    let pem = std::fs::read_to_string(&path).with_context(|| {
                        format!("CLEARLINE_WISE_WEBHOOK_KEY_FILE={path:?} cannot be read")
                    })?;
                    wise::WebhookVerifier::from_pems(&[pem.as_str()]).map_err(|e| {
                        anyhow::anyhow!("CLEARLINE_WISE_WEBHOOK_KEY_FILE={path:?}: {e}")
                    })?
                }
                None => wise::WebhookVerifier::wise_production(),
            },
            qbo_webhook_verifier: var("CLEARLINE_QBO_WEBHOOK_VERIFIER")
                .map(qbo::oauth::Secret::new),
            qbo_app: match (
                var("CLEARLINE_QBO_CLIENT_ID"),
                var("CLEARLINE_QBO_CLIENT_SECRET"),
            ) {
                (Some(client_id), Some(secret)) => Some(QboApp {
                    client_id,
                    client_secret: qbo::oauth::Secret::new(secret),
                    sandbox: match var("CLEARLINE_QBO_ENVIRONMENT").as_deref() {
                        None | Some("production") => false,
                        Some("sandbox") => true,
                        Some(other) => anyhow::bail!(
                            "CLEARLINE_QBO_ENVIRONMENT={other:?}: use production or sandbox"
                        ),
                    },
                }),
                (None, None) => None,
                _ => anyhow::bail!(
                    "set both CLEARLINE_QBO_CLIENT_ID and CLEARLINE_QBO_CLIENT_SECRET, or neither"
                ),
            },
            wise_app: match (
                var("CLEARLINE_WISE_CLIENT_ID"),
                var("CLEARLINE_WISE_CLIENT_SECRET"),
            ) {
                (Some(client_id), Some(secret)) => Some(WiseApp {
                    client_id,
                    client_secret: qbo::oauth::Secret::new(secret),
                    authorize_url: var("CLEARLINE_WISE_AUTHORIZE_URL")
                        .unwrap_or_else(|| "https://wise.com/oauth/authorize/".into()),
                }),
                (None, None) => None,
                _ => anyhow::bail!(
                    "set both CLEARLINE_WISE_CLIENT_ID and CLEARLINE_WISE_CLIENT_SECRET, or neither"
                ),
            },
            wise_api_url: var("CLEARLINE_WISE_API_URL")
                .unwrap_or_else(|| "https://api.wise.com".into()),
            demo: false,
            demo_info_file: var("CLEARLINE_DEMO_INFO_FILE").map(Into::into),
            run_jobs: match var("CLEARLINE_JOBS").as_deref() {
                None | Some("on" | "1" | "true") => true,
                Some("off" | "0" | "false") => false,
                Some(other) => anyhow::bail!("CLEARLINE_JOBS={other:?}: use on or off"),
            },
            job_lease_secs: match var("CLEARLINE_JOB_LEASE_SECS") {
                None => 60,
                Some(v) => v
                    .parse()
                    .ok()
                    .filter(|n| (2..=3600).contains(n))
                    .with_context(|| {
                        format!("CLEARLINE_JOB_LEASE_SECS={v:?}: a number of seconds, 2 to 3600")
                    })?,
            },
            secret_key: match var("CLEARLINE_SECRET_KEY") {
                Some(key) => SecretKey::Inline(qbo::oauth::Secret::new(key)),
                None => SecretKey::File(
                    var("CLEARLINE_SECRET_KEY_FILE")
                        .unwrap_or_else(|| DEFAULT_SECRET_KEY_FILE.into())
                        .into(),
                ),
            },
        })
    }

    /// The vault for stored secrets (creating the key file on first start).
    pub fn vault(&self) -> anyhow::Result<control::secrets::Vault> {
        match &self.secret_key {
            SecretKey::Inline(key) => control::secrets::Vault::from_base64(key.expose())
                .map_err(|e| anyhow::anyhow!("CLEARLINE_SECRET_KEY: {e}")),
            SecretKey::File(path) => Ok(control::secrets::Vault::from_key_file(path)?),
        }
    }

    /// The keys the webhook receivers verify with.
    pub fn webhook_keys(&self) -> crate::webhooks::WebhookKeys {
        crate::webhooks::WebhookKeys {
            wise: self.wise_webhooks.clone(),
            qbo_verifier: self.qbo_webhook_verifier.clone(),
        }
    }
}
