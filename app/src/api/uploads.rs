//! Statement upload: the browser reads the file and sends its text; the server previews it,
//! and commits it only after parsing and classifying it again (see `control::uploads`).

use crate::error::AppError;
use control::statement_upload::{UploadOutcome, UploadPreview as Preview};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// What the previewed file is and what committing it would do, line by line.
#[server(endpoint = "upload_preview", input = Json)]
#[middleware(crate::ssr::statement_body_limit())]
pub async fn upload_preview(file_name: String, content: String) -> Result<Preview, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<UploadPreview>().await?;
    let state = app_state()?;
    control::uploads::preview(&state.db, caller.organization_id, &file_name, &content)
        .await
        .map_err(fail)
}

/// Adds the file's new lines and queues a sync for its period. `sha256` is the preview's.
#[server(endpoint = "upload_commit", input = Json)]
#[middleware(crate::ssr::statement_body_limit())]
pub async fn upload_commit(
    file_name: String,
    content: String,
    sha256: String,
) -> Result<UploadOutcome, AppError> {
    use crate::ssr::{fail, guard::require, state::app_state};
    let caller = require::<UploadCommit>().await?;
    let state = app_state()?;
    control::uploads::commit(
        &state.db,
        &caller.actor(),
        caller.organization_id,
        &file_name,
        &content,
        &sha256,
        state.now(),
    )
    .await
    .map_err(fail)
}
