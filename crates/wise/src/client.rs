//! The Wise API client: one request path with the crate's retry policy, token refresh, and the
//! SCA signing repeat; typed calls for the endpoints reconciliation needs.

use chrono::{DateTime, Duration as ChronoDuration, SecondsFormat, Utc};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use crate::api_types::{
    ActivityPage, ActivityQuery, Balance, NewSubscription, Profile, Subscription, Transfer,
    TransferQuery,
};
use crate::error::{ErrorBody, WiseError};
use crate::oauth::OAuthSession;
use crate::retry::{Failure, RetryPolicy, parse_retry_after};
use crate::secret::Secret;
use crate::signature::PrivateKey;
use crate::statement::{Statement, StatementLine};
use crate::statement_json;

/// Wise refuses statement intervals longer than this (reference §7.1).
pub const MAX_STATEMENT_DAYS: i64 = 469;

/// How the client authenticates.
#[derive(Clone)]
pub enum Auth {
    /// A personal API token (cannot refresh; UK/EEA profiles cannot read statements with it).
    Personal(Secret),
    /// A partner OAuth connection.
    OAuth(Arc<OAuthSession>),
}

impl fmt::Debug for Auth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Auth::Personal(_) => f.write_str("Auth::Personal(***)"),
            Auth::OAuth(s) => write!(f, "Auth::OAuth({s:?})"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct WiseClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    base: url::Url,
    auth: Auth,
    retry: RetryPolicy,
    sca_key: Option<PrivateKey>,
}

/// Builds a [`WiseClient`]. The base URL is configurable so the emulator can stand in for Wise.
#[derive(Debug)]
pub struct WiseClientBuilder {
    base_url: String,
    auth: Auth,
    retry: RetryPolicy,
    sca_key: Option<PrivateKey>,
}

impl WiseClientBuilder {
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }
    /// The RSA key whose public half is uploaded to Wise, for signing SCA one-time tokens.
    pub fn sca_key(mut self, key: PrivateKey) -> Self {
        self.sca_key = Some(key);
        self
    }
    pub fn build(self) -> Result<WiseClient, WiseError> {
        let mut base = url::Url::parse(&self.base_url)
            .map_err(|_| WiseError::Config(format!("invalid base URL {:?}", self.base_url)))?;
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            base.set_path(&p);
        }
        let http = reqwest::Client::builder()
            .timeout(self.retry.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("clearline-wise/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| WiseError::Config(e.to_string()))?;
        Ok(WiseClient {
            inner: Arc::new(Inner {
                http,
                base,
                auth: self.auth,
                retry: self.retry,
                sca_key: self.sca_key,
            }),
        })
    }
}

/// A response that passed status checks.
struct Ok2xx {
    bytes: Vec<u8>,
    trace_id: Option<String>,
}

/// Whether a 403 on this call means "statements are closed to us".
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Statement,
    Other,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

impl WiseClient {
    pub fn builder(base_url: impl Into<String>, auth: Auth) -> WiseClientBuilder {
        WiseClientBuilder {
            base_url: base_url.into(),
            auth,
            retry: RetryPolicy::default(),
            sca_key: None,
        }
    }

    /// Personal-token client with default policy.
    pub fn personal(
        base_url: impl Into<String>,
        token: impl Into<Secret>,
    ) -> Result<WiseClient, WiseError> {
        Self::builder(base_url, Auth::Personal(token.into())).build()
    }

    async fn token(&self) -> Result<Secret, WiseError> {
        match &self.inner.auth {
            Auth::Personal(t) => Ok(t.clone()),
            Auth::OAuth(s) => s.access_token().await,
        }
    }

    /// The one request path: retries (429/5xx/transport), one refresh on 401 `invalid_token`,
    /// one signed repeat on an SCA challenge.
    async fn send(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, String)],
        body: Option<&serde_json::Value>,
        kind: Kind,
    ) -> Result<Ok2xx, WiseError> {
        let url = self
            .inner
            .base
            .join(path.trim_start_matches('/'))
            .map_err(|_| WiseError::Config(format!("bad path {path:?}")))?;
        let policy = &self.inner.retry;
        let mut attempt = 0u32;
        let mut refreshed = false;
        let mut sca: Option<(String, String)> = None;
        let mut token = self.token().await?;
        loop {
            attempt += 1;
            let mut req = self
                .inner
                .http
                .request(method.clone(), url.clone())
                .bearer_auth(token.expose())
                .query(query);
            if let Some(b) = body {
                req = req.json(b);
            }
            if let Some((ott, sig)) = &sca {
                req = req.header("x-2fa-approval", ott).header("X-Signature", sig);
            }
            let failure = match req.send().await {
                Err(e) => {
                    tracing::warn!(%method, path, attempt, error = %e, "Wise request failed");
                    (Failure::Transport, WiseError::Transport(e.to_string()))
                }
                Ok(resp) => {
                    let status = resp.status();
                    let headers = resp.headers().clone();
                    let trace_id = header(&headers, "x-trace-id");
                    // A body cut short (connection dropped mid-body) is a transport failure.
                    let bytes = match resp.bytes().await {
                        Ok(b) => b.to_vec(),
                        Err(e) => {
                            tracing::warn!(%method, path, attempt, "Wise response body incomplete");
                            let err = WiseError::Transport(e.to_string());
                            match policy.delay(attempt, Failure::Transport) {
                                Some(d) => {
                                    tokio::time::sleep(d).await;
                                    continue;
                                }
                                None => return Err(err),
                            }
                        }
                    };
                    if status.is_success() {
                        return Ok(Ok2xx { bytes, trace_id });
                    }
                    let body = ErrorBody::parse(&bytes);
                    tracing::info!(%method, path, status = status.as_u16(), trace_id = trace_id.as_deref().unwrap_or(""), code = body.code().unwrap_or(""), "Wise error response");
                    match status {
                        StatusCode::TOO_MANY_REQUESTS => {
                            let retry_after = header(&headers, "retry-after")
                                .and_then(|v| parse_retry_after(&v, Utc::now()));
                            (
                                Failure::RateLimited { retry_after },
                                WiseError::RateLimited {
                                    retry_after,
                                    trace_id,
                                },
                            )
                        }
                        s if s.is_server_error() => (
                            Failure::ServerError,
                            WiseError::Api {
                                status: s.as_u16(),
                                body,
                                trace_id,
                            },
                        ),
                        StatusCode::UNAUTHORIZED => {
                            let invalid_token = matches!(body.code(), Some("invalid_token") | None);
                            if let (Auth::OAuth(session), false, true) =
                                (&self.inner.auth, refreshed, invalid_token)
                            {
                                refreshed = true;
                                token = session.refresh_after_rejection(&token).await?;
                                attempt -= 1; // a refresh is not a retry
                                continue;
                            }
                            return Err(WiseError::Unauthorized { body, trace_id });
                        }
                        StatusCode::FORBIDDEN => {
                            // Decide on headers, never on the body (it may be empty).
                            let ott = header(&headers, "x-2fa-approval");
                            match (ott, &self.inner.sca_key, sca.is_some()) {
                                (Some(ott), Some(key), false) => {
                                    let signature = key.sign_base64(ott.as_bytes());
                                    sca = Some((ott, signature));
                                    attempt -= 1; // the SCA repeat is not a retry
                                    continue;
                                }
                                _ if kind == Kind::Statement => {
                                    return Err(WiseError::StatementsUnavailable { trace_id });
                                }
                                _ => {
                                    return Err(WiseError::Api {
                                        status: 403,
                                        body,
                                        trace_id,
                                    });
                                }
                            }
                        }
                        s => {
                            return Err(WiseError::Api {
                                status: s.as_u16(),
                                body,
                                trace_id,
                            });
                        }
                    }
                }
            };
            let (f, err) = failure;
            match policy.delay(attempt, f) {
                Some(d) => tokio::time::sleep(d).await,
                None => return Err(err),
            }
        }
    }

    async fn get_json<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        what: &str,
    ) -> Result<T, WiseError> {
        let r = self
            .send(Method::GET, path, query, None, Kind::Other)
            .await?;
        decode(&r, what)
    }

    /// `GET /v2/profiles`
    pub async fn profiles(&self) -> Result<Vec<Profile>, WiseError> {
        self.get_json("v2/profiles", &[], "profiles").await
    }

    /// `GET /v2/profiles/{id}`
    pub async fn profile(&self, profile_id: i64) -> Result<Profile, WiseError> {
        self.get_json(&format!("v2/profiles/{profile_id}"), &[], "profile")
            .await
    }

    /// `GET /v4/profiles/{id}/balances?types=STANDARD` (`types` is required by Wise).
    pub async fn balances(&self, profile_id: i64) -> Result<Vec<Balance>, WiseError> {
        self.get_json(
            &format!("v4/profiles/{profile_id}/balances"),
            &[("types", "STANDARD".into())],
            "balances",
        )
        .await
    }

    /// One statement request (≤ 469 days), returned as the raw JSON bytes Wise sent.
    pub async fn statement_json(
        &self,
        profile_id: i64,
        balance_id: i64,
        currency: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Vec<u8>, WiseError> {
        let q = [
            ("currency", currency.to_owned()),
            (
                "intervalStart",
                start.to_rfc3339_opts(SecondsFormat::Millis, true),
            ),
            (
                "intervalEnd",
                end.to_rfc3339_opts(SecondsFormat::Millis, true),
            ),
            ("type", "COMPACT".to_owned()),
        ];
        let path =
            format!("v1/profiles/{profile_id}/balance-statements/{balance_id}/statement.json");
        let r = self
            .send(Method::GET, &path, &q, None, Kind::Statement)
            .await?;
        Ok(r.bytes)
    }

    /// The statement for any interval: windows longer than 469 days are split, fetched in order
    /// and merged; a line returned by two windows (boundary) is kept once.
    pub async fn statement(
        &self,
        profile_id: i64,
        balance_id: i64,
        currency: &str,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<Statement, WiseError> {
        let mut parts = Vec::new();
        for (s, e) in statement_windows(start, end) {
            let bytes = self
                .statement_json(profile_id, balance_id, currency, s, e)
                .await?;
            parts.push(statement_json::parse(&bytes)?);
        }
        merge_statements(parts, start, end)
    }

    /// `GET /v1/transfers` one page.
    pub async fn transfers_page(
        &self,
        query: &TransferQuery,
        offset: u32,
    ) -> Result<Vec<Transfer>, WiseError> {
        let limit = if query.page_size == 0 {
            100
        } else {
            query.page_size
        };
        let mut q = vec![
            ("profile", query.profile.to_string()),
            ("limit", limit.to_string()),
            ("offset", offset.to_string()),
        ];
        if !query.status.is_empty() {
            q.push(("status", query.status.join(",")));
        }
        if let Some(s) = query.created_date_start {
            q.push((
                "createdDateStart",
                s.to_rfc3339_opts(SecondsFormat::Millis, true),
            ));
        }
        if let Some(e) = query.created_date_end {
            q.push((
                "createdDateEnd",
                e.to_rfc3339_opts(SecondsFormat::Millis, true),
            ));
        }
        self.get_json("v1/transfers", &q, "transfers").await
    }

    /// Every transfer matching `query`, following `offset`/`limit` pages until a short page.
    pub async fn transfers(&self, query: &TransferQuery) -> Result<Vec<Transfer>, WiseError> {
        let limit = if query.page_size == 0 {
            100
        } else {
            query.page_size
        };
        let mut all: Vec<Transfer> = Vec::new();
        let mut seen = HashSet::new();
        let mut offset = 0;
        loop {
            let page = self.transfers_page(query, offset).await?;
            let n = page.len() as u32;
            all.extend(page.into_iter().filter(|t| seen.insert(t.id)));
            if n < limit {
                return Ok(all);
            }
            offset += n;
        }
    }

    /// `GET /v1/transfers/{id}`
    pub async fn transfer(&self, transfer_id: i64) -> Result<Transfer, WiseError> {
        self.get_json(&format!("v1/transfers/{transfer_id}"), &[], "transfer")
            .await
    }

    /// One page of `GET /v1/profiles/{id}/activities`; pass the previous page's `cursor`.
    pub async fn activities_page(
        &self,
        profile_id: i64,
        query: &ActivityQuery,
        cursor: Option<&str>,
    ) -> Result<ActivityPage, WiseError> {
        let mut q = vec![("size", query.size.clamp(1, 100).to_string())];
        if let Some(s) = query.since {
            q.push(("since", s.to_rfc3339_opts(SecondsFormat::Millis, true)));
        }
        if let Some(u) = query.until {
            q.push(("until", u.to_rfc3339_opts(SecondsFormat::Millis, true)));
        }
        if let Some(s) = &query.status {
            q.push(("status", s.clone()));
        }
        if let Some(c) = cursor {
            q.push(("nextCursor", c.to_owned()));
        }
        self.get_json(
            &format!("v1/profiles/{profile_id}/activities"),
            &q,
            "activities",
        )
        .await
    }

    /// All activities, following the cursor until it is `null`.
    pub async fn activities(
        &self,
        profile_id: i64,
        query: &ActivityQuery,
    ) -> Result<Vec<crate::api_types::Activity>, WiseError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self
                .activities_page(profile_id, query, cursor.as_deref())
                .await?;
            out.extend(page.activities);
            match page.cursor {
                Some(c) if Some(&c) != cursor.as_ref() => cursor = Some(c),
                _ => return Ok(out),
            }
        }
    }

    /// `POST /v3/profiles/{id}/subscriptions`
    pub async fn create_subscription(
        &self,
        profile_id: i64,
        new: &NewSubscription,
    ) -> Result<Subscription, WiseError> {
        let body = serde_json::to_value(new).map_err(|e| WiseError::Config(e.to_string()))?;
        let r = self
            .send(
                Method::POST,
                &format!("v3/profiles/{profile_id}/subscriptions"),
                &[],
                Some(&body),
                Kind::Other,
            )
            .await?;
        decode(&r, "subscription")
    }

    /// `GET /v3/profiles/{id}/subscriptions`
    pub async fn subscriptions(&self, profile_id: i64) -> Result<Vec<Subscription>, WiseError> {
        self.get_json(
            &format!("v3/profiles/{profile_id}/subscriptions"),
            &[],
            "subscriptions",
        )
        .await
    }

    /// `DELETE /v3/profiles/{id}/subscriptions/{subscriptionId}`
    pub async fn delete_subscription(
        &self,
        profile_id: i64,
        subscription_id: &str,
    ) -> Result<(), WiseError> {
        self.send(
            Method::DELETE,
            &format!("v3/profiles/{profile_id}/subscriptions/{subscription_id}"),
            &[],
            None,
            Kind::Other,
        )
        .await
        .map(|_| ())
    }
}

fn decode<T: DeserializeOwned>(r: &Ok2xx, what: &str) -> Result<T, WiseError> {
    serde_json::from_slice(&r.bytes).map_err(|e| WiseError::Decode {
        what: what.to_owned(),
        message: e.to_string(),
        trace_id: r.trace_id.clone(),
    })
}

/// Splits `[start, end]` into consecutive windows of at most 469 days.
pub fn statement_windows(
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let max = ChronoDuration::days(MAX_STATEMENT_DAYS);
    let mut out = Vec::new();
    let mut s = start;
    while s < end {
        let e = (s + max).min(end);
        out.push((s, e));
        s = e;
    }
    if out.is_empty() {
        out.push((start, end));
    }
    out
}

/// Joins consecutive window statements into one. Whether `intervalEnd` is inclusive is
/// UNCONFIRMED, so a line at a window boundary may come back twice: lines are keyed by
/// `(referenceNumber, booked_at, amount)` and kept once.
pub fn merge_statements(
    parts: Vec<Statement>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Statement, WiseError> {
    let mut iter = parts.into_iter();
    let Some(mut merged) = iter.next() else {
        return Err(WiseError::Config("no statement windows".into()));
    };
    let mut seen: HashSet<(String, DateTime<Utc>, rust_decimal::Decimal)> = merged
        .lines
        .iter()
        .map(|l| (l.reference_number.clone(), l.booked_at, l.amount))
        .collect();
    for part in iter {
        let fresh: Vec<StatementLine> = part
            .lines
            .into_iter()
            .filter(|l| seen.insert((l.reference_number.clone(), l.booked_at, l.amount)))
            .collect();
        merged.lines.extend(fresh);
        merged.closing_balance = part.closing_balance.or(merged.closing_balance);
    }
    merged.lines.sort_by_key(|l| l.booked_at);
    merged.interval_start = Some(start);
    merged.interval_end = Some(end);
    Ok(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_intervals_split_into_469_day_windows() {
        let s = DateTime::parse_from_rfc3339("2022-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let e = s + ChronoDuration::days(1000);
        let w = statement_windows(s, e);
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].0, s);
        assert_eq!(w[2].1, e);
        assert!(w.windows(2).all(|p| p[0].1 == p[1].0));
        assert!(w.iter().all(|(a, b)| *b - *a <= ChronoDuration::days(469)));
        assert_eq!(statement_windows(s, s).len(), 1);
    }

    #[test]
    fn debug_output_has_no_token() {
        let c = WiseClient::personal("http://127.0.0.1:1", "tok-secret").unwrap();
        assert!(!format!("{c:?}").contains("tok-secret"));
    }
}
