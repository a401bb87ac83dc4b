//! The QBO API client: one [`QboClient`] per app registration, one [`Company`] handle per
//! connected realm. Every call goes through [`Company::send`], which adds `minorversion=75`
//! and `Accept: application/json`, holds the realm to its limits, refreshes the access token
//! when it is near expiry (serialized per realm, the new refresh token persisted before use),
//! refreshes once on 401, follows the [`RetryPolicy`], and treats a `Fault` in a 200 as an
//! error. Entity reads, CDC, reports and writes are in `query.rs`, `cdc.rs`, `reports.rs` and
//! `write.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex as StdMutex};

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use tokio::sync::Mutex;

use crate::clock::{Clock, system_clock};
use crate::error::QboError;
use crate::fault::parse_fault;
use crate::limits::{Limits, RealmLimiter};
use crate::oauth::{
    Callback, Endpoints, OAuthClient, OAuthConfig, Secret, TokenSink, Tokens, intuit_tid,
};
use crate::retry::{Failure, RetryPolicy};

/// Everything the client needs to know.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub endpoints: Endpoints,
    pub oauth: OAuthConfig,
    pub retry: RetryPolicy,
    pub limits: Limits,
    /// Refresh when the access token expires within this margin (Intuit: refresh only when
    /// near expiry, not per call).
    pub refresh_margin: ChronoDuration,
    /// Pinned minor version; 75 is the floor since August 2025.
    pub minor_version: u32,
}

impl ClientConfig {
    #[must_use]
    pub fn new(endpoints: Endpoints, oauth: OAuthConfig) -> Self {
        Self {
            endpoints,
            oauth,
            retry: RetryPolicy::default(),
            limits: Limits::default(),
            refresh_margin: ChronoDuration::minutes(5),
            minor_version: 75,
        }
    }
}

/// The app's client; cheap to clone.
#[derive(Clone)]
pub struct QboClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    oauth: OAuthClient,
    sink: TokenSink,
    clock: Clock,
    realms: StdMutex<HashMap<String, Arc<RealmState>>>,
}

struct RealmState {
    /// Held across a refresh, so two refreshes of one realm never run at once (the second
    /// would present an already-rotated token and get `invalid_grant`).
    tokens: Mutex<Tokens>,
    limiter: RealmLimiter,
}

impl std::fmt::Debug for QboClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QboClient")
            .field("api_base", &self.inner.config.endpoints.api_base.as_str())
            .finish_non_exhaustive()
    }
}

impl QboClient {
    /// `sink` receives every new token pair (after the code exchange and after each refresh)
    /// before the new access token is used.
    ///
    /// # Errors
    /// When the HTTP client cannot be built or an OAuth URL is unusable.
    pub fn new(config: ClientConfig, sink: TokenSink) -> Result<Self, QboError> {
        Self::with_clock(config, sink, system_clock())
    }

    /// As [`QboClient::new`], with an injected clock.
    ///
    /// # Errors
    /// As [`QboClient::new`].
    pub fn with_clock(
        config: ClientConfig,
        sink: TokenSink,
        clock: Clock,
    ) -> Result<Self, QboError> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("clearline-qbo/", env!("CARGO_PKG_VERSION")))
            // The token endpoint answers with JSON; redirects are never expected from the API.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| QboError::Transport {
                message: e.to_string(),
            })?;
        let oauth = OAuthClient::new(
            config.oauth.clone(),
            config.endpoints.clone(),
            http.clone(),
            clock.clone(),
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                oauth,
                sink,
                clock,
                realms: StdMutex::new(HashMap::new()),
            }),
        })
    }

    /// The OAuth flow (authorize URL, revoke, ...).
    #[must_use]
    pub fn oauth(&self) -> &OAuthClient {
        &self.inner.oauth
    }

    /// Finishes the OAuth flow from the callback's query string, persists the tokens through
    /// the sink and returns the company handle.
    ///
    /// # Errors
    /// State mismatch, declined consent, token endpoint errors, or the sink failing.
    pub async fn connect(
        &self,
        expected_state: &Secret,
        callback_query: &str,
    ) -> Result<Company, QboError> {
        let callback = Callback::from_query(callback_query)?;
        let tokens = self.inner.oauth.finish(expected_state, callback).await?;
        (self.inner.sink)(tokens.clone())
            .await
            .map_err(QboError::TokenPersistence)?;
        Ok(self.company(tokens))
    }

    /// The handle for a connected realm, from stored tokens. Calling it again for the same
    /// realm shares the limits and the refresh lock; the newer tokens win.
    #[must_use]
    pub fn company(&self, tokens: Tokens) -> Company {
        let realm_id = tokens.realm_id.clone();
        let mut realms = self
            .inner
            .realms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let state = realms
            .entry(realm_id.clone())
            .or_insert_with(|| {
                Arc::new(RealmState {
                    tokens: Mutex::new(tokens.clone()),
                    limiter: RealmLimiter::new(self.inner.config.limits),
                })
            })
            .clone();
        if let Ok(mut held) = state.tokens.try_lock()
            && tokens.obtained_at > held.obtained_at
        {
            *held = tokens;
        }
        Company {
            inner: self.inner.clone(),
            realm: state,
            realm_id,
        }
    }
}

/// One connected QBO company (realm).
#[derive(Clone)]
pub struct Company {
    inner: Arc<Inner>,
    realm: Arc<RealmState>,
    realm_id: String,
}

impl std::fmt::Debug for Company {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Company")
            .field("realm_id", &self.realm_id)
            .finish_non_exhaustive()
    }
}

/// HTTP method of an API call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    Get,
    Post,
}

/// One API call, relative to `/v3/company/{realm}/`.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub params: Vec<(String, String)>,
    /// Content type and body.
    pub body: Option<(&'static str, String)>,
}

impl ApiRequest {
    pub(crate) fn get(path: impl Into<String>) -> Self {
        Self {
            method: Method::Get,
            path: path.into(),
            params: Vec::new(),
            body: None,
        }
    }

    pub(crate) fn param(mut self, k: &str, v: impl Into<String>) -> Self {
        self.params.push((k.to_owned(), v.into()));
        self
    }
}

/// A successful (2xx, Fault-free) answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiResponse {
    pub body: String,
    pub intuit_tid: Option<String>,
}

/// When the connection needs renewing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshExpiry {
    /// Rolling (≈100 days, extended by each refresh).
    pub rolling: DateTime<Utc>,
    /// Hard cap, when Intuit sent it.
    pub hard: Option<DateTime<Utc>>,
    /// The earlier of the two: the UI's countdown target.
    pub deadline: DateTime<Utc>,
}

impl Company {
    #[must_use]
    pub fn realm_id(&self) -> &str {
        &self.realm_id
    }

    /// A copy of the current tokens (e.g. to persist elsewhere).
    pub async fn tokens(&self) -> Tokens {
        self.realm.tokens.lock().await.clone()
    }

    /// The refresh token's expiry, for the renewal countdown.
    pub async fn refresh_expiry(&self) -> RefreshExpiry {
        let t = self.realm.tokens.lock().await;
        RefreshExpiry {
            rolling: t.refresh_expires_at,
            hard: t.refresh_hard_expires_at,
            deadline: t.refresh_deadline(),
        }
    }

    /// Forces a refresh now (e.g. a daily keep-alive so the 100-day window keeps rolling).
    ///
    /// # Errors
    /// `invalid_grant` and friends; sink failure.
    pub async fn refresh_now(&self) -> Result<(), QboError> {
        let mut held = self.realm.tokens.lock().await;
        self.refresh_locked(&mut held).await
    }

    /// Revokes the connection (refresh token, which kills the whole grant).
    ///
    /// # Errors
    /// Revoke endpoint failures.
    pub async fn revoke(&self) -> Result<(), QboError> {
        let token = self.realm.tokens.lock().await.refresh_token.clone();
        self.inner.oauth.revoke(&token).await?;
        Ok(())
    }

    async fn refresh_locked(&self, held: &mut Tokens) -> Result<(), QboError> {
        let fresh = self.inner.oauth.refresh(held).await?;
        // Keep it in memory whatever the sink says: the previous refresh token may be dead.
        *held = fresh.clone();
        tracing::info!(realm = %self.realm_id, "QBO access token refreshed");
        (self.inner.sink)(fresh)
            .await
            .map_err(QboError::TokenPersistence)
    }

    /// The access token to use; refreshed first when near expiry, or when `rejected` (the
    /// token a 401 answered) is still the current one.
    async fn access_token(&self, rejected: Option<&Secret>) -> Result<Secret, QboError> {
        let mut held = self.realm.tokens.lock().await;
        let now = (self.inner.clock)();
        let stale = match rejected {
            Some(r) => *r == held.access_token,
            None => held.access_expires_within(now, self.inner.config.refresh_margin),
        };
        if stale {
            self.refresh_locked(&mut held).await?;
        }
        Ok(held.access_token.clone())
    }

    fn url(&self, req: &ApiRequest) -> Result<url::Url, QboError> {
        let base = self
            .inner
            .config
            .endpoints
            .api_base
            .as_str()
            .trim_end_matches('/');
        let mut url = url::Url::parse(&format!("{base}/v3/company/{}/{}", self.realm_id, req.path))
            .map_err(|e| QboError::InvalidRequest(format!("bad URL for {}: {e}", req.path)))?;
        {
            let mut q = url.query_pairs_mut();
            for (k, v) in &req.params {
                q.append_pair(k, v);
            }
            q.append_pair("minorversion", &self.inner.config.minor_version.to_string());
        }
        Ok(url)
    }

    /// Sends one API call under the limits, refresh and retry rules.
    pub(crate) async fn send(&self, req: ApiRequest) -> Result<ApiResponse, QboError> {
        let url = self.url(&req)?;
        let policy = &self.inner.config.retry;
        let mut rejected: Option<Secret> = None;
        let mut refreshed_on_401 = false;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let token = self.access_token(rejected.as_ref()).await?;
            let permit = self.realm.limiter.acquire().await;
            let mut builder = match req.method {
                Method::Get => self.inner.http.get(url.clone()),
                Method::Post => self.inner.http.post(url.clone()),
            }
            .bearer_auth(token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .timeout(policy.request_timeout);
            if let Some((content_type, body)) = &req.body {
                builder = builder
                    .header(reqwest::header::CONTENT_TYPE, *content_type)
                    .body(body.clone());
            }
            let outcome = match builder.send().await {
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let tid = intuit_tid(resp.headers());
                    match resp.text().await {
                        Ok(text) => Ok((status, tid, text)),
                        Err(e) => Err(e),
                    }
                }
                Err(e) => Err(e),
            };
            drop(permit);
            let (status, tid, body) = match outcome {
                Ok(x) => x,
                Err(e) => {
                    // `without_url`: the URL is harmless, but keep errors short and uniform.
                    let message = e.without_url().to_string();
                    match policy.delay_after(Failure::Transport, attempt) {
                        Some(d) => {
                            tracing::warn!(realm = %self.realm_id, path = %req.path, attempt, %message, "QBO request failed; retrying");
                            tokio::time::sleep(d).await;
                            continue;
                        }
                        None => return Err(QboError::Transport { message }),
                    }
                }
            };
            let fault = parse_fault(&body);
            match status {
                200..=299 => {
                    if let Some(fault) = fault {
                        tracing::warn!(realm = %self.realm_id, path = %req.path, intuit_tid = tid.as_deref().unwrap_or(""), %fault, "QBO Fault inside HTTP 200");
                        return Err(QboError::Fault {
                            status,
                            fault,
                            intuit_tid: tid,
                        });
                    }
                    return Ok(ApiResponse {
                        body,
                        intuit_tid: tid,
                    });
                }
                401 => {
                    let fault = fault.map(crate::fault::Fault::without_detail);
                    if refreshed_on_401 {
                        tracing::warn!(realm = %self.realm_id, intuit_tid = tid.as_deref().unwrap_or(""), "QBO 401 after refresh");
                        return Err(QboError::Unauthorized {
                            fault,
                            intuit_tid: tid,
                        });
                    }
                    refreshed_on_401 = true;
                    rejected = Some(token);
                    attempt -= 1;
                    continue;
                }
                _ => {}
            }
            rejected = None;
            if let Some(failure) = RetryPolicy::classify_status(status) {
                if let Some(d) = policy.delay_after(failure, attempt) {
                    tracing::warn!(realm = %self.realm_id, path = %req.path, status, attempt, intuit_tid = tid.as_deref().unwrap_or(""), "QBO transient error; retrying");
                    tokio::time::sleep(d).await;
                    continue;
                }
                return Err(if failure == Failure::Throttled {
                    QboError::Throttled { intuit_tid: tid }
                } else {
                    QboError::Status {
                        status,
                        fault,
                        intuit_tid: tid,
                    }
                });
            }
            tracing::warn!(realm = %self.realm_id, path = %req.path, status, intuit_tid = tid.as_deref().unwrap_or(""), "QBO error");
            return Err(match fault {
                Some(fault) => QboError::Fault {
                    status,
                    fault,
                    intuit_tid: tid,
                },
                None => QboError::Status {
                    status,
                    fault: None,
                    intuit_tid: tid,
                },
            });
        }
    }
}

impl Company {
    /// Now, from the client's clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }
}
