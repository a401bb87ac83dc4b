//! The one place that decides access. [`authorize`] reads the session and the caller's
//! current role from the database (so a role change or deactivation applies on the next
//! request) and compares it with the rule in [`crate::access::ACCESS`].
//!
//! It runs in front of every `/api/*` request ([`server_fn_guard`]) and again inside every
//! server function ([`require`]), because server functions also run directly during
//! server-side rendering, where no HTTP middleware is involved.

use super::reject;
use super::state::{AppState, app_state};
use crate::access::{Access, rule_for_path};
use crate::error::AppError;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use control::{Db, Role, members, users};
use leptos::server_fn::ServerFn;
use tower_sessions::Session;

pub const USER_KEY: &str = "user_id";
pub const ORG_KEY: &str = "organization_id";

/// Who is calling, as established by [`authorize`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub organization_id: i64,
    pub role: Role,
}

impl Caller {
    pub fn actor(&self) -> control::audit::Actor {
        control::audit::Actor::user(self.user_id, &self.email)
    }
}

/// The signed-in caller in their current organization, or `None` if the session holds no
/// active membership.
pub async fn current_caller(db: &Db, session: &Session) -> Result<Option<Caller>, AppError> {
    let read = |e: tower_sessions::session::Error| {
        tracing::error!(error = %e, "session store failed");
        AppError::Internal
    };
    let Some(user_id) = session.get::<i64>(USER_KEY).await.map_err(read)? else {
        return Ok(None);
    };
    let Some(organization_id) = session.get::<i64>(ORG_KEY).await.map_err(read)? else {
        return Ok(None);
    };
    let role = members::role_of(db, user_id, organization_id)
        .await
        .map_err(super::fail)?;
    let Some(role) = role else { return Ok(None) };
    let Some(user) = users::get(db, user_id).await.map_err(super::fail)? else {
        return Ok(None);
    };
    Ok(Some(Caller {
        user_id,
        email: user.email,
        display_name: user.display_name,
        organization_id,
        role,
    }))
}

/// Decides whether the session may do what `access` requires.
pub async fn authorize(
    db: &Db,
    session: &Session,
    access: Access,
) -> Result<Option<Caller>, AppError> {
    let required = match access {
        Access::Public => return Ok(None),
        Access::Member(role) => role,
    };
    match current_caller(db, session).await? {
        None => Err(AppError::Unauthorized),
        Some(caller) if caller.role.allows(required) => Ok(Some(caller)),
        Some(_) => Err(AppError::Forbidden),
    }
}

/// Called first in every non-public server function `F`: the caller, or the refusal (with
/// its status set on the response).
pub async fn require<F: ServerFn>() -> Result<Caller, AppError> {
    let Some(access) = rule_for_path(F::PATH) else {
        tracing::error!(path = F::PATH, "server function without an access rule");
        return Err(reject(AppError::Forbidden));
    };
    let state = app_state()?;
    let session: Session = leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "no session layer");
        reject(AppError::Internal)
    })?;
    match authorize(&state.db, &session, access).await {
        Ok(Some(caller)) => Ok(caller),
        Ok(None) => Err(reject(AppError::Unauthorized)),
        Err(e) => Err(reject(e)),
    }
}

/// Middleware in front of `/api/*`: refuses before the body is read. Unknown server
/// function paths are refused too (deny by default).
pub async fn server_fn_guard(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path();
    if !path.starts_with(crate::access::API_PREFIX) {
        return next.run(req).await;
    }
    let Some(access) = rule_for_path(path) else {
        return error_response(AppError::NotFound("That endpoint".into()));
    };
    match authorize(&state.db, &session, access).await {
        Ok(_) => next.run(req).await,
        Err(e) => error_response(e),
    }
}

/// The body a server-function client decodes into [`AppError`].
pub fn error_response(error: AppError) -> Response {
    let status =
        StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&error).unwrap_or_else(|_| "\"Internal\"".into());
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Paths anyone may load without signing in.
fn is_public_page(path: &str) -> bool {
    matches!(path, "/login" | "/setup" | "/healthz" | "/favicon.ico")
        || path.starts_with("/pkg/")
        || path.starts_with(crate::access::API_PREFIX)
}

/// Middleware for page loads: anonymous visitors go to the sign-in page, and private pages
/// are never cached (after signing out, the back button shows nothing private).
pub async fn page_guard(
    State(state): State<AppState>,
    session: Session,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    if !is_public_page(&path) && req.method() == Method::GET {
        match current_caller(&state.db, &session).await {
            Ok(Some(_)) => {}
            Ok(None) => return Redirect::to("/login").into_response(),
            Err(_) => return StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        }
    }
    let mut res = next.run(req).await;
    if !path.starts_with("/pkg/") {
        res.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// Refuses state-changing requests that come from another site (defence in depth on top of
/// SameSite=Lax cookies), as Go's CrossOriginProtection does: browsers send
/// `Sec-Fetch-Site`, which must be `same-origin` or `none`; without it, an `Origin` header
/// must name this host; requests with neither (non-browser clients) pass.
pub async fn same_origin_guard(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let allowed = match (text("sec-fetch-site"), text(header::ORIGIN.as_str())) {
        (Some(site), _) => site == "same-origin" || site == "none",
        (None, Some(origin)) => {
            let host = text(header::HOST.as_str()).unwrap_or_default();
            origin.split_once("://").is_some_and(|(_, h)| h == host)
        }
        (None, None) => true,
    };
    if allowed {
        next.run(req).await
    } else {
        forbidden_cross_site()
    }
}

fn forbidden_cross_site() -> Response {
    let mut res = Response::new(Body::from("cross-site request refused"));
    *res.status_mut() = StatusCode::FORBIDDEN;
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_and_assets_are_public_pages() {
        assert!(is_public_page("/login"));
        assert!(is_public_page("/pkg/clearline.wasm"));
        assert!(!is_public_page("/"));
        assert!(!is_public_page("/settings"));
    }
}
