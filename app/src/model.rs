//! What server functions send to the browser. Nothing secret is ever part of these types.

use control::Role;
use control::people::OrgMembership;
use serde::{Deserialize, Serialize};

/// The signed-in person in their current organization.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Identity {
    pub user_id: i64,
    pub email: String,
    pub display_name: String,
    pub organization_id: i64,
    pub organization_name: String,
    pub role: Role,
    /// Every organization this person may switch to.
    pub organizations: Vec<OrgMembership>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The Connections screen's documented paths.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionPathsView {
    pub today: chrono::NaiveDate,
    pub paths: Vec<PathView>,
    /// Active members, for choosing an owner.
    pub people: Vec<Person>,
    pub can_edit: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathView {
    pub path: control::connection_path::ConnectionPath,
    pub renewal_due: Option<chrono::NaiveDate>,
    pub renewal: control::connection_path::Renewal,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub id: i64,
    pub name: String,
}

/// Home's connection health rows and the reminder window they were judged against.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionHealthView {
    pub rows: Vec<control::connection_health::Health>,
    pub reminder_days: i32,
}

/// A live connection to QBO or Wise, as the browser sees it (never its secret).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    /// `qbo` or `wise`.
    pub provider: String,
    pub label: String,
    /// `connected`, `failing` or `disconnected`.
    pub status: String,
    pub display_name: String,
    pub external_id: String,
    pub auth_kind: String,
    pub expires_on: Option<chrono::NaiveDate>,
    pub days_left: Option<i64>,
    /// The expiry against the organization's reminder window.
    pub renewal: control::connection_path::Renewal,
    pub connected_at: String,
    pub last_success_at: Option<String>,
    pub last_error: Option<String>,
    /// Facts learned on connect, as label/value pairs (e.g. multicurrency on).
    pub facts: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub id: String,
    pub name: String,
    pub account_type: String,
    pub currency: Option<String>,
}

/// One mapping version.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MappingView {
    pub id: i64,
    pub status: String,
    /// (currency, account id, account name)
    pub accounts: Vec<(String, String, String)>,
    pub fee_account: Option<(String, String)>,
    pub test_run: Option<RunView>,
    pub created_at: String,
}

/// A sync or test-batch run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i64,
    pub purpose: String,
    pub trigger: String,
    /// queued, running, succeeded, failed
    pub status: String,
    pub step: String,
    pub done: i64,
    pub total: i64,
    pub percent: i32,
    pub error: Option<String>,
    pub window: String,
    pub created_at: String,
    pub finished_at: Option<String>,
    /// What it found, as label/value pairs.
    pub facts: Vec<(String, String)>,
    /// Sample exceptions of a test batch: (kind, currency, difference, reason).
    pub sample: Vec<(String, String, String, String)>,
    pub spike: bool,
}

impl RunView {
    pub fn is_active(&self) -> bool {
        self.status == "queued" || self.status == "running"
    }
}

/// Posting lag of one connection path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagView {
    pub path: String,
    pub pairs: usize,
    pub median: String,
    pub p95: String,
    pub cadence: String,
}

/// Everything the Connections and Mapping screens show.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncView {
    pub qbo_configured: bool,
    /// Wise partner OAuth is available (else: API token).
    pub wise_oauth_configured: bool,
    pub qbo: Option<ConnectionView>,
    pub wise: Option<ConnectionView>,
    pub balances: Vec<String>,
    pub bank_accounts: Vec<AccountView>,
    pub expense_accounts: Vec<AccountView>,
    pub active_mapping: Option<MappingView>,
    pub pending_mapping: Option<MappingView>,
    pub exceptions_owner: Option<i64>,
    pub setup_owner: Option<i64>,
    pub escalation_owner: Option<i64>,
    pub people: Vec<Person>,
    pub runs: Vec<RunView>,
    pub lag: Vec<LagView>,
    pub lag_rule: String,
    pub can_edit: bool,
    pub can_sync: bool,
    pub today: chrono::NaiveDate,
}

/// How an organization syncs and its alert thresholds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncSettingsView {
    /// `batch` or `continuous`.
    pub sync_mode: String,
    pub schedule_hours: i32,
    pub window_days: i32,
    pub stall_days: i32,
    pub spike_percent: i32,
    /// Renewal reminders start this many days before an authorization ends.
    pub reminder_days: i32,
}

/// The Reconciliation screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationView {
    pub currencies: Vec<String>,
    /// (currency, period, opening, movements, closing, lines, difference)
    pub proofs: Vec<ProofView>,
    pub matches: Vec<MatchView>,
    /// An older page exists.
    pub more: bool,
    pub page: i64,
    /// Matches awaiting a decision (all periods and currencies).
    pub suggested: i64,
    pub can_decide: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofView {
    pub currency: String,
    pub period: String,
    pub opening: String,
    pub movements: String,
    pub closing: String,
    pub lines: i64,
    pub difference: String,
    pub balanced: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchView {
    pub key: String,
    pub kind: String,
    pub status: String,
    pub confidence: String,
    pub reason: String,
    pub currency: String,
    pub bank: Vec<String>,
    pub books: Vec<String>,
    pub bank_at: String,
    pub lag: String,
}

/// Home's figures and charts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HomeFigures {
    pub open: i64,
    pub unassigned: i64,
    pub overdue: i64,
    pub exception_ages: Vec<(String, i64)>,
    pub lag: Vec<(String, i64)>,
    /// ("#run", match %)
    pub match_rate: Vec<(String, f64)>,
    /// A/R aging from the last QuickBooks report: (bucket, whole currency units), and its currency.
    pub ar_aging: Vec<(String, i64)>,
    pub ar_currency: String,
}

/// One page of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPageView {
    pub entries: Vec<AuditView>,
    /// Pass as `before` for the next (older) page.
    pub next_before: Option<i64>,
}

/// The Exceptions screen: one page of the queue, who can own an exception, and whether the
/// caller may work it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub page: control::exception_queue::QueuePage,
    /// Active bookkeepers and owners.
    pub people: Vec<Person>,
    pub can_edit: bool,
}

/// One exception's screen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionPageView {
    pub detail: control::exception_queue::ExceptionDetail,
    pub people: Vec<Person>,
    pub can_edit: bool,
}

/// The Purchase Clearline would write for an unbooked fee, for the owner to approve.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeDraftView {
    pub amount: String,
    pub currency: String,
    pub txn_date: String,
    pub bank_account: String,
    pub fee_account: String,
    pub description: String,
    /// `written`, `failed` or empty (not yet approved).
    pub status: String,
    pub qbo_id: Option<String>,
    pub error: Option<String>,
    pub can_approve: bool,
}

/// A Wise profile a token can see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WiseProfileView {
    pub id: i64,
    pub name: String,
    pub business: bool,
    /// Balance currencies of the profile.
    pub balances: Vec<String>,
}
