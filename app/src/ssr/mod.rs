//! Server-side glue: the shared state, the access guard, and error mapping. Server
//! functions call one domain function each through these helpers.

pub mod guard;
pub mod state;

use crate::error::AppError;
use control::ControlError;

/// Sets the HTTP status of the current server-function or page response.
pub fn set_status(code: u16) {
    if let (Some(res), Ok(status)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        res.set_status(status);
    }
}

/// Makes the current server-function response a CSV download named `filename`.
pub fn csv_download(filename: &str) {
    use http::{HeaderValue, header};
    if let Some(res) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
            res.insert_header(header::CONTENT_DISPOSITION, v);
        }
    }
}

/// Turns a domain error into what the user sees, with the right status. Our own failures are
/// logged in full here and shown only as a generic message.
pub fn fail(error: ControlError) -> AppError {
    let shown = match error {
        ControlError::Invalid(m) => AppError::Invalid(m),
        ControlError::NotFound(what) => AppError::NotFound(capitalize(what)),
        ControlError::Conflict(m) => AppError::Conflict(m),
        ControlError::BadCredentials => AppError::Invalid(error.to_string()),
        other => {
            tracing::error!(error = %other, "request failed");
            AppError::Internal
        }
    };
    reject(shown)
}

/// Returns `error` after setting its status on the response.
pub fn reject(error: AppError) -> AppError {
    set_status(error.status_code());
    error
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The request body limit for statement uploads (a server-function middleware): room for a
/// file at the size limit even when JSON escaping doubles it. The size itself is checked, with
/// a clear message, by `control::uploads`; axum's default of 2 MB would refuse a big
/// statement with a bare "length limit exceeded".
pub fn statement_body_limit() -> axum::extract::DefaultBodyLimit {
    axum::extract::DefaultBodyLimit::max(
        2 * control::statement_upload::MAX_UPLOAD_BYTES + (1 << 20),
    )
}
