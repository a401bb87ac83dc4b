-- The weekly control run, collections follow-up and the support & escalation log (issue #7,
-- screens 9–11).

-- One control run per organization and ISO week. `open` → `ready` (prepared) → `signed`
-- (locked, with a snapshot of its evidence and a fingerprint of the reconciliation state it
-- covered) → `withdrawn` when that state changes afterwards.
CREATE TABLE weekly_runs (
    id                INTEGER PRIMARY KEY,
    organization_id   BIGINT NOT NULL REFERENCES organizations(id),
    iso_year          INTEGER NOT NULL,
    iso_week          INTEGER NOT NULL CHECK (iso_week BETWEEN 1 AND 53),
    week_start        TEXT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('open', 'ready', 'signed', 'withdrawn')),
    prepared_by       BIGINT REFERENCES users(id),
    prepared_at       TEXT,
    signed_by         BIGINT REFERENCES users(id),
    signed_at         TEXT,
    justification     TEXT NOT NULL DEFAULT '',
    covered_to        TEXT,
    fingerprint       TEXT,
    snapshot          TEXT,
    withdrawn_at      TEXT,
    withdrawn_reason  TEXT,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (organization_id, iso_year, iso_week)
);
CREATE INDEX weekly_runs_signed ON weekly_runs (organization_id, status);

-- The run's checklist, copied from the playbook's lanes when the run is generated (so an old
-- run keeps the wording it was signed with).
CREATE TABLE weekly_items (
    run_id        BIGINT NOT NULL REFERENCES weekly_runs(id),
    position      INTEGER NOT NULL,
    item_key      TEXT NOT NULL,
    lane          TEXT NOT NULL,
    action        TEXT NOT NULL,
    verify        TEXT NOT NULL,
    done          BOOLEAN NOT NULL DEFAULT FALSE,
    note          TEXT NOT NULL DEFAULT '',
    done_by       BIGINT REFERENCES users(id),
    done_at       TEXT,
    PRIMARY KEY (run_id, item_key)
);

-- The last A/R aging fetched from QuickBooks (AgedReceivables): bucket totals per customer.
CREATE TABLE ar_aging (
    organization_id  INTEGER PRIMARY KEY REFERENCES organizations(id),
    report_date      TEXT NOT NULL,
    currency         TEXT,
    summary          TEXT NOT NULL,
    fetched_at       TEXT NOT NULL,
    fetched_by       BIGINT REFERENCES users(id)
);

-- Open invoices from AgedReceivableDetail, kept across refreshes so the follow-up owner
-- stays; an invoice the last refresh no longer listed is `open = FALSE` (paid or credited).
CREATE TABLE ar_invoices (
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    invoice_key      TEXT NOT NULL,
    txn_id           TEXT,
    doc_number       TEXT NOT NULL,
    customer_id      TEXT,
    customer_name    TEXT NOT NULL,
    txn_date         TEXT,
    due_date         TEXT,
    amount           TEXT,
    open_balance     TEXT NOT NULL,
    currency         TEXT,
    bucket           TEXT NOT NULL,
    days_overdue     INTEGER NOT NULL,
    open             BOOLEAN NOT NULL,
    owner_user_id    BIGINT REFERENCES users(id),
    first_seen_at    TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    PRIMARY KEY (organization_id, invoice_key)
);

CREATE TABLE collection_followups (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    invoice_key      TEXT NOT NULL,
    contacted_on     TEXT NOT NULL,
    promised_on      TEXT,
    outcome          TEXT NOT NULL CHECK (outcome IN ('no_response', 'promised', 'disputed', 'paid', 'other')),
    note             TEXT NOT NULL DEFAULT '',
    created_by       BIGINT REFERENCES users(id),
    created_at       TEXT NOT NULL
);
CREATE INDEX collection_followups_of ON collection_followups (organization_id, invoice_key, id);

-- Who to call when the connection breaks.
CREATE TABLE vendor_contacts (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    name             TEXT NOT NULL,
    company          TEXT NOT NULL,
    channel          TEXT NOT NULL,
    notes            TEXT NOT NULL DEFAULT '',
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX vendor_contacts_of ON vendor_contacts (organization_id, id);

CREATE TABLE incidents (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    title            TEXT NOT NULL,
    severity         TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
    owner_user_id    BIGINT REFERENCES users(id),
    status           TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    notes            TEXT NOT NULL DEFAULT '',
    opened_at        TEXT NOT NULL,
    opened_by        BIGINT REFERENCES users(id),
    closed_at        TEXT,
    updated_at       TEXT NOT NULL
);
CREATE INDEX incidents_of ON incidents (organization_id, status, id);
