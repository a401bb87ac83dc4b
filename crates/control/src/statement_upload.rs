//! A statement upload as the browser sees it: the preview (what committing would do to each
//! line) and the result. Plain data; [`crate::uploads`] computes them.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The largest statement file accepted. Wise's own exports stay far below it for a month or a
/// quarter of a small business's activity; a larger file is better split by period.
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

/// At most this many lines are listed in a preview (all are counted, conflicts listed first).
pub const PREVIEW_LINES: usize = 1000;

/// What committing would do with one line of the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// The same currency, reference, time and amount is stored (or earlier in this file).
    Known,
    /// Not stored yet: committing adds it.
    New,
    /// A line with the same currency and reference is stored with another time or amount.
    /// Not added: two versions of one movement would make a false duplicate.
    Conflicting,
}

impl LineStatus {
    pub fn label(self) -> &'static str {
        match self {
            LineStatus::Known => "Already known",
            LineStatus::New => "New",
            LineStatus::Conflicting => "Conflicts with a stored line",
        }
    }
}

/// A stored line with the same reference that the file does not contain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredVersion {
    pub booked_at: DateTime<Utc>,
    pub amount: Decimal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewLine {
    pub status: LineStatus,
    pub reference: String,
    pub booked_at: DateTime<Utc>,
    pub amount: Decimal,
    pub fee: Decimal,
    pub counterparty: String,
    pub description: String,
    /// For a conflict: what is stored under the same reference.
    pub stored: Vec<StoredVersion>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadPreview {
    pub file_name: String,
    /// Hex SHA-256 of the file: the commit must carry the same file.
    pub sha256: String,
    /// e.g. "statement CSV".
    pub format: String,
    pub currency: String,
    pub account_holder: Option<String>,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub opening_balance: Option<Decimal>,
    pub closing_balance: Option<Decimal>,
    pub new: usize,
    pub known: usize,
    pub conflicting: usize,
    /// Conflicts first, then new, then known lines; at most [`PREVIEW_LINES`].
    pub lines: Vec<PreviewLine>,
    /// Lines counted but not listed.
    pub lines_not_listed: usize,
}

/// What a commit did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadOutcome {
    pub file_name: String,
    pub currency: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub added: u64,
    pub known: usize,
    /// Conflicting lines left out.
    pub conflicting: usize,
    /// The sync run queued to reconcile the new lines (or the one already queued/running).
    pub run_id: Option<i64>,
    pub run_was_active: bool,
}
