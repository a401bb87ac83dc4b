-- Connections, mapping, sync runs, normalized bank and book data, reconciliation results and
-- the exception lifecycle (issue #6).

-- How an organization syncs, its thresholds, and the three owners the playbook names.
CREATE TABLE org_settings (
    organization_id      INTEGER PRIMARY KEY REFERENCES organizations(id),
    sync_mode            TEXT NOT NULL DEFAULT 'batch' CHECK (sync_mode IN ('batch', 'continuous')),
    schedule_hours       INTEGER NOT NULL DEFAULT 24 CHECK (schedule_hours BETWEEN 1 AND 168),
    window_days          INTEGER NOT NULL DEFAULT 183 CHECK (window_days BETWEEN 1 AND 730),
    stall_days           INTEGER NOT NULL DEFAULT 3 CHECK (stall_days BETWEEN 1 AND 60),
    spike_percent        INTEGER NOT NULL DEFAULT 10 CHECK (spike_percent BETWEEN 1 AND 100),
    exceptions_owner_id  BIGINT REFERENCES users(id),
    setup_owner_id       BIGINT REFERENCES users(id),
    escalation_owner_id  BIGINT REFERENCES users(id),
    updated_at           TEXT NOT NULL
);

-- One live connection per provider and organization. `secret` is sealed (AEAD) JSON: tokens,
-- keys. It never leaves the server.
CREATE TABLE connections (
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    provider         TEXT NOT NULL CHECK (provider IN ('qbo', 'wise')),
    status           TEXT NOT NULL CHECK (status IN ('connected', 'failing', 'disconnected')),
    auth_kind        TEXT NOT NULL CHECK (auth_kind IN ('oauth', 'personal_token')),
    external_id      TEXT NOT NULL,
    display_name     TEXT NOT NULL,
    secret           TEXT NOT NULL,
    expires_at       TEXT,
    connected_by     BIGINT REFERENCES users(id),
    connected_at     TEXT NOT NULL,
    last_success_at  TEXT,
    last_error       TEXT,
    last_error_at    TEXT,
    facts            TEXT NOT NULL DEFAULT '{}',
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (organization_id, provider)
);
CREATE INDEX connections_external ON connections (provider, external_id);

-- What the connections list: Wise balances and QBO accounts, refreshed on connect and sync.
CREATE TABLE wise_balances (
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    currency         TEXT NOT NULL,
    balance_id       BIGINT NOT NULL,
    profile_id       BIGINT NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (organization_id, currency)
);
CREATE TABLE qbo_accounts (
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    account_id       TEXT NOT NULL,
    name             TEXT NOT NULL,
    account_type     TEXT NOT NULL,
    currency         TEXT,
    active           BOOLEAN NOT NULL,
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (organization_id, account_id)
);

-- Mapping versions: a change is `pending` until a test batch passes and the owner applies it.
CREATE TABLE mappings (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'active', 'retired', 'rejected')),
    accounts         TEXT NOT NULL,
    fee_account_id   TEXT,
    test_run_id      BIGINT,
    created_by       BIGINT REFERENCES users(id),
    created_at       TEXT NOT NULL,
    decided_by       BIGINT REFERENCES users(id),
    decided_at       TEXT,
    note             TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX mappings_one_active ON mappings (organization_id) WHERE status = 'active';
CREATE UNIQUE INDEX mappings_one_pending ON mappings (organization_id) WHERE status = 'pending';

-- Jobs. A queued or running run is leased by one worker; the partial unique index keeps one
-- active run per organization, so instances sharing the database never run one job twice.
CREATE TABLE sync_runs (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    purpose          TEXT NOT NULL CHECK (purpose IN ('sync', 'test_batch')),
    triggered_by     TEXT NOT NULL CHECK (triggered_by IN ('manual', 'schedule', 'webhook', 'retry', 'setup')),
    mapping_id       BIGINT REFERENCES mappings(id),
    window_from      TEXT NOT NULL,
    window_to        TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed')),
    step             TEXT NOT NULL DEFAULT 'queued',
    done             BIGINT NOT NULL DEFAULT 0,
    total            BIGINT NOT NULL DEFAULT 0,
    percent          INTEGER NOT NULL DEFAULT 0,
    lease_owner      TEXT,
    lease_until      TEXT,
    requested_by     BIGINT REFERENCES users(id),
    error            TEXT,
    stats            TEXT NOT NULL DEFAULT '{}',
    created_at       TEXT NOT NULL,
    started_at       TEXT,
    finished_at      TEXT
);
CREATE UNIQUE INDEX sync_runs_one_active ON sync_runs (organization_id) WHERE status IN ('queued', 'running');
CREATE INDEX sync_runs_queue ON sync_runs (status, id);
CREATE INDEX sync_runs_org ON sync_runs (organization_id, id);

-- Raw payloads as fetched or uploaded, once per content hash.
CREATE TABLE raw_payloads (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    source           TEXT NOT NULL,
    sha256           TEXT NOT NULL,
    body             TEXT NOT NULL,
    run_id           BIGINT,
    received_at      TEXT NOT NULL,
    UNIQUE (organization_id, sha256)
);

-- Normalized Wise lines. Amounts are exact decimals as text (normalized); one line per
-- (currency, reference, time, amount), so an overlapping window or a re-upload adds nothing.
CREATE TABLE bank_lines (
    id                 INTEGER PRIMARY KEY,
    organization_id    BIGINT NOT NULL REFERENCES organizations(id),
    currency           TEXT NOT NULL,
    reference          TEXT NOT NULL,
    booked_at          TEXT NOT NULL,
    amount             TEXT NOT NULL,
    fee                TEXT NOT NULL,
    counterparty       TEXT NOT NULL,
    payment_reference  TEXT NOT NULL,
    description        TEXT NOT NULL,
    details_type       TEXT NOT NULL,
    source             TEXT NOT NULL CHECK (source IN ('api', 'upload')),
    payload_id         BIGINT REFERENCES raw_payloads(id),
    first_run_id       BIGINT,
    created_at         TEXT NOT NULL,
    UNIQUE (organization_id, currency, reference, booked_at, amount)
);
CREATE INDEX bank_lines_time ON bank_lines (organization_id, currency, booked_at);

-- Normalized QBO postings on bank accounts; `fingerprint` detects an edit, `deleted_at` a
-- posting QBO no longer returns.
CREATE TABLE book_entries (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    external_id      TEXT NOT NULL,
    kind             TEXT NOT NULL,
    txn_date         TEXT NOT NULL,
    amount           TEXT NOT NULL,
    currency         TEXT,
    bank_account_id  TEXT NOT NULL,
    doc_number       TEXT NOT NULL,
    payment_ref_num  TEXT NOT NULL,
    private_note     TEXT NOT NULL,
    memo             TEXT NOT NULL,
    counterparty     TEXT NOT NULL,
    created_at       TEXT,
    is_bank_charge   BOOLEAN NOT NULL,
    fingerprint      TEXT NOT NULL,
    deleted_at       TEXT,
    first_run_id     BIGINT,
    updated_run_id   BIGINT,
    UNIQUE (organization_id, external_id)
);
CREATE INDEX book_entries_account ON book_entries (organization_id, bank_account_id, txn_date);

-- Which period each currency's bank data covers (the statement interval for the engine).
CREATE TABLE bank_coverage (
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    currency         TEXT NOT NULL,
    from_date        TEXT NOT NULL,
    to_date          TEXT NOT NULL,
    PRIMARY KEY (organization_id, currency)
);

-- The latest reconciliation's matches, keyed by what they pair (stable across runs).
CREATE TABLE recon_matches (
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    match_key        TEXT NOT NULL,
    run_id           BIGINT NOT NULL,
    kind             TEXT NOT NULL,
    status           TEXT NOT NULL,
    confidence       TEXT NOT NULL,
    reason           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    bank_ids         TEXT NOT NULL,
    book_ids         TEXT NOT NULL,
    bank_at          TEXT,
    posted_at        TEXT,
    lag_seconds      BIGINT,
    path             TEXT NOT NULL,
    PRIMARY KEY (organization_id, match_key)
);

-- Breaks between bank and books. `exception_key` (kind + what it names) is the identity that
-- keeps owner, next action, due date, comments and status across runs.
CREATE TABLE exceptions (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    exception_key    TEXT NOT NULL,
    kind             TEXT NOT NULL,
    currency         TEXT NOT NULL,
    difference       TEXT,
    size_minor       BIGINT NOT NULL,
    reason           TEXT NOT NULL,
    bank_ids         TEXT NOT NULL,
    book_ids         TEXT NOT NULL,
    occurred_on      TEXT,
    status           TEXT NOT NULL CHECK (status IN ('open', 'in_progress', 'waiting_on_vendor', 'resolved', 'dismissed')),
    resolution       TEXT,
    owner_user_id    BIGINT REFERENCES users(id),
    next_action      TEXT NOT NULL DEFAULT '',
    due_on           TEXT,
    present          BOOLEAN NOT NULL,
    first_run_id     BIGINT,
    last_seen_run_id BIGINT,
    reopen_count     INTEGER NOT NULL DEFAULT 0,
    opened_at        TEXT NOT NULL,
    resolved_at      TEXT,
    updated_at       TEXT NOT NULL,
    UNIQUE (organization_id, exception_key)
);
CREATE INDEX exceptions_queue ON exceptions (organization_id, status, opened_at);
CREATE INDEX exceptions_owner ON exceptions (organization_id, owner_user_id, status);

CREATE TABLE exception_comments (
    id               INTEGER PRIMARY KEY,
    exception_id     BIGINT NOT NULL REFERENCES exceptions(id),
    author_user_id   BIGINT REFERENCES users(id),
    body             TEXT NOT NULL,
    created_at       TEXT NOT NULL
);
CREATE INDEX exception_comments_of ON exception_comments (exception_id, id);

ALTER TABLE webhook_inbox ADD COLUMN run_id BIGINT;

-- The demo organization (only on servers started without Wise/QBO configuration): which
-- organization it is and the day its six months of activity end, so a restart re-seeds the
-- emulators with the same data.
CREATE TABLE demo (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    organization_id  INTEGER NOT NULL REFERENCES organizations(id),
    anchor           TEXT NOT NULL
);
