//! Wise partner OAuth 2.0 (reference §2.2): authorization code with `state`, code exchange,
//! refresh with rotation. Refreshing invalidates the previous access token, so refreshes for one
//! connection are serialized behind a mutex, and the newest tokens are handed to a
//! caller-supplied persistence callback before anyone uses them.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicTokenResponse};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, RedirectUrl, RefreshToken,
    RequestTokenError, TokenResponse, TokenUrl,
};
use std::fmt;
use std::sync::Arc;
use tokio::sync::Mutex;

use crate::error::WiseError;
use crate::secret::Secret;

/// Partner credentials and endpoints. `authorize_url` is the web UI
/// (`https://wise.com/oauth/authorize/`), `token_url` the API (`{api}/oauth/token`).
#[derive(Debug, Clone)]
pub struct OAuthConfig {
    pub client_id: String,
    pub client_secret: Secret,
    pub authorize_url: String,
    pub token_url: String,
    /// Must equal the value registered with Wise exactly, query string included.
    pub redirect_uri: String,
}

/// The tokens of one connection (one Wise profile).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: Secret,
    pub refresh_token: Option<Secret>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Called with the newest tokens after every exchange or refresh, under the refresh lock, so
/// storage never goes back to a rotated-out refresh token.
pub type PersistTokens = Arc<dyn Fn(&TokenSet) + Send + Sync>;

type Client = BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
>;

impl OAuthConfig {
    fn client(&self) -> Result<Client, WiseError> {
        let bad = |what: &str| WiseError::Config(format!("invalid OAuth {what} URL"));
        Ok(BasicClient::new(ClientId::new(self.client_id.clone()))
            .set_client_secret(ClientSecret::new(self.client_secret.expose().to_owned()))
            .set_auth_uri(AuthUrl::new(self.authorize_url.clone()).map_err(|_| bad("authorize"))?)
            .set_token_uri(TokenUrl::new(self.token_url.clone()).map_err(|_| bad("token"))?)
            .set_redirect_uri(
                RedirectUrl::new(self.redirect_uri.clone()).map_err(|_| bad("redirect"))?,
            ))
    }

    /// The consent page URL and the `state` to check on the redirect back. oauth2 always adds
    /// `response_type=code`; Wise documents only `client_id`, `redirect_uri` and `state`
    /// (whether extra parameters are accepted is UNCONFIRMED; they are ignored in practice by
    /// standard servers).
    pub fn authorize_url(&self) -> Result<(url::Url, String), WiseError> {
        let (url, state) = self.client()?.authorize_url(CsrfToken::new_random).url();
        Ok((url, state.secret().clone()))
    }
}

/// An OAuth connection that hands out access tokens and refreshes them one at a time.
pub struct OAuthSession {
    config: OAuthConfig,
    http: reqwest::Client,
    tokens: Mutex<TokenSet>,
    persist: Option<PersistTokens>,
}

impl fmt::Debug for OAuthSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthSession")
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

fn http_client() -> reqwest::Client {
    // No redirects on the token endpoint: a redirect there is never legitimate.
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_default()
}

impl OAuthSession {
    /// Resumes a connection from stored tokens.
    pub fn from_tokens(
        config: OAuthConfig,
        tokens: TokenSet,
        persist: Option<PersistTokens>,
    ) -> OAuthSession {
        OAuthSession {
            config,
            http: http_client(),
            tokens: Mutex::new(tokens),
            persist,
        }
    }

    /// Exchanges the one-time `code` from the redirect (single use, valid 30 minutes). The
    /// caller checks `state` first. Wise's own sample sends `client_id` in the body as well as
    /// Basic auth, so we do the same.
    pub async fn exchange_code(
        config: OAuthConfig,
        code: &str,
        persist: Option<PersistTokens>,
    ) -> Result<OAuthSession, WiseError> {
        let http = http_client();
        let response = config
            .client()?
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .add_extra_param("client_id", config.client_id.clone())
            .request_async(&http)
            .await
            .map_err(token_error)?;
        let tokens = token_set(&response, None);
        if let Some(p) = &persist {
            p(&tokens);
        }
        Ok(OAuthSession {
            config,
            http,
            tokens: Mutex::new(tokens),
            persist,
        })
    }

    /// The current access token, refreshed first if it expires within a minute.
    pub async fn access_token(&self) -> Result<Secret, WiseError> {
        let mut guard = self.tokens.lock().await;
        let soon = Utc::now() + ChronoDuration::seconds(60);
        if guard.expires_at.is_some_and(|t| t <= soon) && guard.refresh_token.is_some() {
            self.refresh_locked(&mut guard).await?;
        }
        Ok(guard.access_token.clone())
    }

    /// Called after a 401 `invalid_token` for `rejected`. If another task already refreshed,
    /// its newer token is returned without a second refresh (which would kill that token).
    pub async fn refresh_after_rejection(&self, rejected: &Secret) -> Result<Secret, WiseError> {
        let mut guard = self.tokens.lock().await;
        if guard.access_token != *rejected {
            return Ok(guard.access_token.clone());
        }
        self.refresh_locked(&mut guard).await?;
        Ok(guard.access_token.clone())
    }

    /// The tokens as they are now (for storage at shutdown, or tests).
    pub async fn tokens(&self) -> TokenSet {
        self.tokens.lock().await.clone()
    }

    async fn refresh_locked(&self, tokens: &mut TokenSet) -> Result<(), WiseError> {
        let refresh = tokens
            .refresh_token
            .clone()
            .ok_or_else(|| WiseError::OAuth {
                code: "no_refresh_token".into(),
                reauthorize: true,
            })?;
        let response = self
            .config
            .client()?
            .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_owned()))
            .request_async(&self.http)
            .await
            .map_err(token_error)?;
        *tokens = token_set(&response, Some(refresh));
        tracing::info!(client_id = %self.config.client_id, "refreshed Wise access token");
        if let Some(p) = &self.persist {
            p(tokens);
        }
        Ok(())
    }
}

/// Wise may rotate the refresh token; when it does not send one, the old one stays valid.
fn token_set(r: &BasicTokenResponse, previous_refresh: Option<Secret>) -> TokenSet {
    TokenSet {
        access_token: Secret::new(r.access_token().secret().clone()),
        refresh_token: r
            .refresh_token()
            .map(|t| Secret::new(t.secret().clone()))
            .or(previous_refresh),
        expires_at: r
            .expires_in()
            .and_then(|d| ChronoDuration::from_std(d).ok())
            .map(|d| Utc::now() + d),
    }
}

fn token_error<E: std::error::Error>(
    e: RequestTokenError<E, oauth2::StandardErrorResponse<BasicErrorResponseType>>,
) -> WiseError {
    match e {
        RequestTokenError::ServerResponse(r) => {
            let code = r.error().as_ref().to_owned();
            // invalid_grant: code used/expired, or refresh token revoked: back to consent.
            let reauthorize = matches!(
                r.error(),
                BasicErrorResponseType::InvalidGrant | BasicErrorResponseType::UnauthorizedClient
            );
            WiseError::OAuth { code, reauthorize }
        }
        RequestTokenError::Request(e) => WiseError::Transport(e.to_string()),
        RequestTokenError::Parse(e, _) => WiseError::Decode {
            what: "OAuth token response".into(),
            message: e.to_string(),
            trace_id: None,
        },
        RequestTokenError::Other(m) => WiseError::OAuth {
            code: m,
            reauthorize: false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorize_url_carries_client_redirect_and_state() {
        let c = OAuthConfig {
            client_id: "clearline".into(),
            client_secret: Secret::new("s3cret"),
            authorize_url: "https://wise.com/oauth/authorize/".into(),
            token_url: "https://api.wise.com/oauth/token".into(),
            redirect_uri: "https://app.example.com/wise/callback".into(),
        };
        let (url, state) = c.authorize_url().unwrap();
        let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "clearline");
        assert_eq!(q["redirect_uri"], "https://app.example.com/wise/callback");
        assert_eq!(q["state"], state);
        assert!(!format!("{c:?}").contains("s3cret"));
    }
}
