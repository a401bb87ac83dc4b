//! OAuth 2.0 authorization code flow against Intuit (quickbooks-api.md §3), on the `oauth2`
//! crate: authorize URL with a CSRF `state`, the callback (`code`, `state`, `realmId`; the
//! realm comes only from there), code exchange, refresh with rotation, revoke, and the refresh
//! token's expiry (100 days rolling, plus the 5-year hard cap when asked for with
//! `x-include-refresh-token-hard-expires-in`).
//!
//! Nothing here logs or prints a token, secret or code: [`Secret`] redacts itself in `Debug`.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
    BasicTokenType,
};
use oauth2::{
    AuthUrl, AuthorizationCode, Client, ClientId, ClientSecret, CsrfToken, EndpointNotSet,
    EndpointSet, ExtraTokenFields, HttpRequest, HttpResponse, RedirectUrl, RefreshToken,
    RequestTokenError, Scope, StandardRevocableToken, StandardTokenResponse, TokenResponse,
    TokenUrl,
};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use url::Url;

use crate::clock::Clock;

/// A string that never shows itself in `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    /// The value, for sending or persisting; never for logging.
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Where Intuit's (or the emulator's) OAuth and API endpoints live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// `https://quickbooks.api.intuit.com`; paths `/v3/company/{realm}/…` are appended.
    pub api_base: Url,
    pub authorize_url: Url,
    pub token_url: Url,
    pub revoke_url: Url,
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap_or_else(|e| unreachable!("constant URL {s} is valid: {e}"))
}

impl Endpoints {
    #[must_use]
    pub fn production() -> Self {
        Self {
            api_base: url("https://quickbooks.api.intuit.com"),
            authorize_url: url("https://appcenter.intuit.com/connect/oauth2"),
            token_url: url("https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"),
            revoke_url: url("https://developer.api.intuit.com/v2/oauth2/tokens/revoke"),
        }
    }

    /// Sandbox companies share the OAuth endpoints with production (§1).
    #[must_use]
    pub fn sandbox() -> Self {
        Self {
            api_base: url("https://sandbox-quickbooks.api.intuit.com"),
            ..Self::production()
        }
    }

    /// The emulator's layout under `base` (e.g. `http://127.0.0.1:41234` or a mount point).
    ///
    /// # Errors
    /// When `base` is not a URL.
    pub fn under(base: &str) -> Result<Self, url::ParseError> {
        let b = base.trim_end_matches('/');
        Ok(Self {
            api_base: Url::parse(b)?,
            authorize_url: Url::parse(&format!("{b}/connect/oauth2"))?,
            token_url: Url::parse(&format!("{b}/oauth2/v1/tokens/bearer"))?,
            revoke_url: Url::parse(&format!("{b}/v2/oauth2/tokens/revoke"))?,
        })
    }
}

/// The app's registration with Intuit.
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    pub client_id: String,
    pub client_secret: Secret,
    /// Registered on the app's Keys tab; must match exactly.
    pub redirect_uri: Url,
    /// Default `com.intuit.quickbooks.accounting`.
    pub scopes: Vec<String>,
    /// Ask for `x_refresh_token_hard_expires_in` (the 5-year cap) on every token call.
    pub include_hard_expiry: bool,
}

impl OAuthConfig {
    #[must_use]
    pub fn new(client_id: impl Into<String>, client_secret: Secret, redirect_uri: Url) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret,
            redirect_uri,
            scopes: vec!["com.intuit.quickbooks.accounting".to_owned()],
            include_hard_expiry: true,
        }
    }
}

/// A connected company's tokens, as the caller persists them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tokens {
    /// From the OAuth callback, never from the token response.
    pub realm_id: String,
    pub access_token: Secret,
    pub refresh_token: Secret,
    pub access_expires_at: DateTime<Utc>,
    /// Rolling expiry (≈100 days from the last refresh).
    pub refresh_expires_at: DateTime<Utc>,
    /// The hard cap (5 years, or Oct 2028 for tokens issued since Oct 2023), when Intuit said.
    pub refresh_hard_expires_at: Option<DateTime<Utc>>,
    pub obtained_at: DateTime<Utc>,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("realm_id", &self.realm_id)
            .field("access_token", &self.access_token)
            .field("refresh_token", &self.refresh_token)
            .field("access_expires_at", &self.access_expires_at)
            .field("refresh_expires_at", &self.refresh_expires_at)
            .field("refresh_hard_expires_at", &self.refresh_hard_expires_at)
            .finish_non_exhaustive()
    }
}

impl Tokens {
    /// When the connection dies unless refreshed: the earlier of the rolling expiry and the
    /// hard cap. The UI counts down to this.
    #[must_use]
    pub fn refresh_deadline(&self) -> DateTime<Utc> {
        match self.refresh_hard_expires_at {
            Some(hard) if hard < self.refresh_expires_at => hard,
            _ => self.refresh_expires_at,
        }
    }

    /// The access token is expired or will be within `margin`.
    #[must_use]
    pub fn access_expires_within(&self, now: DateTime<Utc>, margin: ChronoDuration) -> bool {
        self.access_expires_at - margin <= now
    }
}

/// The first half of the flow: send the user to `url`, keep `state` (e.g. in the session)
/// to check the callback against.
#[derive(Debug, Clone)]
pub struct PendingAuthorization {
    pub url: Url,
    pub state: Secret,
}

/// What Intuit's redirect to `redirect_uri` carried.
#[derive(Clone, PartialEq, Eq)]
pub struct Callback {
    pub code: Secret,
    pub state: Secret,
    pub realm_id: String,
}

impl std::fmt::Debug for Callback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Callback")
            .field("realm_id", &self.realm_id)
            .finish_non_exhaustive()
    }
}

impl Callback {
    /// Reads the callback's query string (`code=…&state=…&realmId=…`, or `error=…`).
    ///
    /// # Errors
    /// [`OAuthError::Declined`] when Intuit reports `error` (the user said no),
    /// [`OAuthError::BadCallback`] when a parameter is missing.
    pub fn from_query(query: &str) -> Result<Self, OAuthError> {
        let mut code = None;
        let mut state = None;
        let mut realm = None;
        let mut error = None;
        for (k, v) in url::form_urlencoded::parse(query.trim_start_matches('?').as_bytes()) {
            match k.as_ref() {
                "code" => code = Some(v.into_owned()),
                "state" => state = Some(v.into_owned()),
                "realmId" => realm = Some(v.into_owned()),
                "error" => error = Some(v.into_owned()),
                _ => {}
            }
        }
        if let Some(error) = error {
            return Err(OAuthError::Declined(error));
        }
        Ok(Self {
            code: Secret(code.ok_or(OAuthError::BadCallback("code"))?),
            state: Secret(state.ok_or(OAuthError::BadCallback("state"))?),
            realm_id: realm.ok_or(OAuthError::BadCallback("realmId"))?,
        })
    }
}

/// OAuth failures. None of them carries a token or code.
#[derive(Debug, Error)]
pub enum OAuthError {
    #[error("the callback's state does not match the one issued: possible CSRF, refusing it")]
    StateMismatch,
    #[error("the user declined access ({0})")]
    Declined(String),
    #[error("the OAuth callback lacks {0}")]
    BadCallback(&'static str),
    /// `invalid_grant`: the refresh token expired, was revoked or was already rotated; or the
    /// code was used twice. Reconnect.
    #[error("Intuit refused the grant ({error}{}){}", description.as_ref().map(|d| format!(": {d}")).unwrap_or_default(), tid_suffix(intuit_tid))]
    InvalidGrant {
        error: String,
        description: Option<String>,
        intuit_tid: Option<String>,
    },
    #[error(
        "Intuit token endpoint answered HTTP {status}{}",
        tid_suffix(intuit_tid)
    )]
    Endpoint {
        status: u16,
        intuit_tid: Option<String>,
    },
    #[error("could not reach Intuit's OAuth endpoint: {0}")]
    Transport(String),
    #[error("unexpected token response: {0}")]
    Parse(String),
    #[error("OAuth configuration: {0}")]
    Config(String),
}

fn tid_suffix(t: &Option<String>) -> String {
    t.as_ref()
        .map(|t| format!(" (intuit_tid {t})"))
        .unwrap_or_default()
}

impl OAuthError {
    #[must_use]
    pub fn intuit_tid(&self) -> Option<&str> {
        match self {
            Self::InvalidGrant { intuit_tid, .. } | Self::Endpoint { intuit_tid, .. } => {
                intuit_tid.as_deref()
            }
            _ => None,
        }
    }
}

/// Intuit's extra token-response fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IntuitTokenFields {
    #[serde(default)]
    pub x_refresh_token_expires_in: Option<u64>,
    #[serde(default)]
    pub x_refresh_token_hard_expires_in: Option<u64>,
}
impl ExtraTokenFields for IntuitTokenFields {}

type IntuitTokenResponse = StandardTokenResponse<IntuitTokenFields, BasicTokenType>;
type IntuitClient = Client<
    BasicErrorResponse,
    IntuitTokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// What the token HTTP call saw beyond the body: the `intuit_tid` for errors.
#[derive(Debug, Error)]
#[error("{message}")]
struct HttpFailure {
    message: String,
}

/// Runs the OAuth flow for one app registration.
#[derive(Clone)]
pub struct OAuthClient {
    client: IntuitClient,
    config: OAuthConfig,
    endpoints: Endpoints,
    http: reqwest::Client,
    clock: Clock,
}

impl std::fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("client_id", &self.config.client_id)
            .field("token_url", &self.endpoints.token_url.as_str())
            .finish_non_exhaustive()
    }
}

impl OAuthClient {
    /// # Errors
    /// [`OAuthError::Config`] when a URL is not acceptable to the `oauth2` crate.
    pub fn new(
        config: OAuthConfig,
        endpoints: Endpoints,
        http: reqwest::Client,
        clock: Clock,
    ) -> Result<Self, OAuthError> {
        let cfg = |e: url::ParseError| OAuthError::Config(e.to_string());
        let client = Client::new(ClientId::new(config.client_id.clone()))
            .set_client_secret(ClientSecret::new(config.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(endpoints.authorize_url.to_string()).map_err(cfg)?)
            .set_token_uri(TokenUrl::new(endpoints.token_url.to_string()).map_err(cfg)?)
            .set_redirect_uri(RedirectUrl::new(config.redirect_uri.to_string()).map_err(cfg)?);
        Ok(Self {
            client,
            config,
            endpoints,
            http,
            clock,
        })
    }

    /// Starts a connection: the URL to send the user to, and the state to keep.
    #[must_use]
    pub fn authorize(&self) -> PendingAuthorization {
        let mut req = self.client.authorize_url(CsrfToken::new_random);
        for s in &self.config.scopes {
            req = req.add_scope(Scope::new(s.clone()));
        }
        let (url, state) = req.url();
        PendingAuthorization {
            url,
            state: Secret(state.secret().clone()),
        }
    }

    /// Finishes a connection: checks `state` against the one issued, exchanges the code
    /// (exactly once) and returns tokens bound to the callback's realm.
    ///
    /// # Errors
    /// [`OAuthError::StateMismatch`] before anything is sent; token endpoint errors.
    pub async fn finish(
        &self,
        expected_state: &Secret,
        callback: Callback,
    ) -> Result<Tokens, OAuthError> {
        if !constant_time_eq(
            expected_state.expose().as_bytes(),
            callback.state.expose().as_bytes(),
        ) {
            return Err(OAuthError::StateMismatch);
        }
        let http = self.http_client();
        let result = self
            .client
            .exchange_code(AuthorizationCode::new(callback.code.0))
            .request_async(&http)
            .await;
        let tid = http.tid();
        self.tokens_from(result, callback.realm_id, tid)
    }

    /// Refreshes. The returned refresh token may differ from the one sent, and then the old one
    /// is dead: persist the result before using it (the client does this for you).
    ///
    /// # Errors
    /// [`OAuthError::InvalidGrant`] when the refresh token is no longer valid.
    pub async fn refresh(&self, tokens: &Tokens) -> Result<Tokens, OAuthError> {
        let http = self.http_client();
        let result = self
            .client
            .exchange_refresh_token(&RefreshToken::new(tokens.refresh_token.0.clone()))
            .request_async(&http)
            .await;
        let tid = http.tid();
        let mut fresh = self.tokens_from(result, tokens.realm_id.clone(), tid)?;
        if fresh.refresh_hard_expires_at.is_none() {
            fresh.refresh_hard_expires_at = tokens.refresh_hard_expires_at;
        }
        Ok(fresh)
    }

    /// Revokes a token (Intuit revokes the whole grant: the app is disconnected). Intuit
    /// takes JSON `{"token": …}`, not RFC 7009's form body, so this is a plain request.
    ///
    /// # Errors
    /// Any non-2xx answer or transport failure.
    pub async fn revoke(&self, token: &Secret) -> Result<(), OAuthError> {
        let resp = self
            .http
            .post(self.endpoints.revoke_url.clone())
            .basic_auth(
                &self.config.client_id,
                Some(self.config.client_secret.expose()),
            )
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&serde_json::json!({ "token": token.expose() }))
            .send()
            .await
            .map_err(|e| OAuthError::Transport(e.without_url().to_string()))?;
        let status = resp.status();
        let tid = intuit_tid(resp.headers());
        // The success body is undocumented: not parsed.
        if status.is_success() {
            Ok(())
        } else {
            Err(OAuthError::Endpoint {
                status: status.as_u16(),
                intuit_tid: tid,
            })
        }
    }

    fn tokens_from(
        &self,
        result: Result<IntuitTokenResponse, RequestTokenError<HttpFailure, BasicErrorResponse>>,
        realm_id: String,
        tid: Option<String>,
    ) -> Result<Tokens, OAuthError> {
        let response = result.map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => OAuthError::InvalidGrant {
                error: r.error().to_string(),
                description: r.error_description().cloned(),
                intuit_tid: tid.clone(),
            },
            RequestTokenError::Request(e) => OAuthError::Transport(e.message),
            RequestTokenError::Parse(e, _) => OAuthError::Parse(e.to_string()),
            RequestTokenError::Other(m) => {
                // oauth2 reports a non-JSON error status this way; keep only the status text.
                let status = m
                    .split_whitespace()
                    .find_map(|w| w.parse::<u16>().ok())
                    .unwrap_or(0);
                OAuthError::Endpoint {
                    status,
                    intuit_tid: tid.clone(),
                }
            }
        })?;
        let now = (self.clock)();
        let secs = |s: u64| ChronoDuration::seconds(i64::try_from(s).unwrap_or(i64::MAX / 2_000));
        let refresh_token = response
            .refresh_token()
            .ok_or_else(|| OAuthError::Parse("no refresh_token".to_owned()))?;
        let extra = response.extra_fields();
        Ok(Tokens {
            realm_id,
            access_token: Secret(response.access_token().secret().clone()),
            refresh_token: Secret(refresh_token.secret().clone()),
            access_expires_at: now
                + response
                    .expires_in()
                    .and_then(|d| ChronoDuration::from_std(d).ok())
                    .unwrap_or_else(|| ChronoDuration::hours(1)),
            // 100 days when Intuit does not say (§3.4).
            refresh_expires_at: now
                + extra
                    .x_refresh_token_expires_in
                    .map_or(ChronoDuration::days(100), secs),
            refresh_hard_expires_at: extra.x_refresh_token_hard_expires_in.map(|s| now + secs(s)),
            obtained_at: now,
        })
    }

    fn http_client(&self) -> IntuitHttp {
        IntuitHttp {
            http: self.http.clone(),
            include_hard_expiry: self.config.include_hard_expiry,
            tid: Arc::new(std::sync::Mutex::new(None)),
        }
    }
}

/// The HTTP client handed to `oauth2`: reqwest, plus Intuit's hard-expiry header and the
/// `intuit_tid` captured for errors. Its futures own their data, so they are `Send`.
struct IntuitHttp {
    http: reqwest::Client,
    include_hard_expiry: bool,
    tid: Arc<std::sync::Mutex<Option<String>>>,
}

impl IntuitHttp {
    fn tid(&self) -> Option<String> {
        self.tid.lock().ok().and_then(|t| t.clone())
    }
}

impl<'c> oauth2::AsyncHttpClient<'c> for IntuitHttp {
    type Error = HttpFailure;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, HttpFailure>> + Send + 'static>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let http = self.http.clone();
        let hard = self.include_hard_expiry;
        let tid = self.tid.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let mut req = http
                .request(parts.method, parts.uri.to_string())
                .headers(parts.headers)
                .body(body);
            if hard {
                req = req.header("x-include-refresh-token-hard-expires-in", "true");
            }
            let resp = req.send().await.map_err(|e| HttpFailure {
                message: e.without_url().to_string(),
            })?;
            if let Ok(mut t) = tid.lock() {
                *t = intuit_tid(resp.headers());
            }
            let mut builder = oauth2::http::Response::builder().status(resp.status());
            for (k, v) in resp.headers() {
                builder = builder.header(k, v);
            }
            let bytes = resp.bytes().await.map_err(|e| HttpFailure {
                message: e.without_url().to_string(),
            })?;
            builder.body(bytes.to_vec()).map_err(|e| HttpFailure {
                message: e.to_string(),
            })
        })
    }
}

/// The `intuit_tid` response header (underscore; nginx drops such headers by default).
pub(crate) fn intuit_tid(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get("intuit_tid")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Called with every new token pair, before it is used. Return `Err` when it could not be
/// stored; the message should not contain the token.
pub type TokenSink =
    Arc<dyn Fn(Tokens) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send>> + Send + Sync>;

/// Wraps an async closure as a [`TokenSink`].
pub fn token_sink<F, Fut>(f: F) -> TokenSink
where
    F: Fn(Tokens) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    Arc::new(move |t| Box::pin(f(t)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callbacks_are_read_and_declines_reported() {
        let c = Callback::from_query("?code=abc&state=s1&realmId=9130").unwrap();
        assert_eq!(
            (c.code.expose(), c.state.expose(), c.realm_id.as_str()),
            ("abc", "s1", "9130")
        );
        assert!(!format!("{c:?}").contains("abc"));
        assert!(matches!(
            Callback::from_query("error=access_denied&state=s1"),
            Err(OAuthError::Declined(_))
        ));
        assert!(matches!(
            Callback::from_query("code=abc&state=s1"),
            Err(OAuthError::BadCallback("realmId"))
        ));
    }

    #[test]
    fn secrets_do_not_show_in_debug() {
        let now = Utc::now();
        let t = Tokens {
            realm_id: "1".into(),
            access_token: Secret::new("access-XYZ"),
            refresh_token: Secret::new("refresh-XYZ"),
            access_expires_at: now,
            refresh_expires_at: now + ChronoDuration::days(100),
            refresh_hard_expires_at: Some(now + ChronoDuration::days(30)),
            obtained_at: now,
        };
        let d = format!("{t:?}");
        assert!(!d.contains("XYZ"), "{d}");
        assert_eq!(t.refresh_deadline(), now + ChronoDuration::days(30));
    }
}
