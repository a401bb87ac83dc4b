-- Decisions on suggested matches (remembered across runs by the match's stable key), the
-- balance proof of each fetched statement, and fee bookings written to QBO after approval.

CREATE TABLE match_decisions (
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    match_key        TEXT NOT NULL,
    decision         TEXT NOT NULL CHECK (decision IN ('accepted', 'rejected')),
    note             TEXT NOT NULL DEFAULT '',
    decided_by       BIGINT REFERENCES users(id),
    decided_at       TEXT NOT NULL,
    PRIMARY KEY (organization_id, match_key)
);

CREATE TABLE statement_proofs (
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    currency         TEXT NOT NULL,
    from_at          TEXT NOT NULL,
    to_at            TEXT NOT NULL,
    opening          TEXT NOT NULL,
    movements        TEXT NOT NULL,
    closing          TEXT NOT NULL,
    lines            BIGINT NOT NULL,
    run_id           BIGINT,
    recorded_at      TEXT NOT NULL,
    PRIMARY KEY (organization_id, currency, from_at, to_at)
);

CREATE TABLE fee_bookings (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    exception_id     BIGINT NOT NULL REFERENCES exceptions(id),
    request_id       TEXT NOT NULL,
    amount           TEXT NOT NULL,
    currency         TEXT NOT NULL,
    txn_date         TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('approved', 'written', 'failed')),
    qbo_id           TEXT,
    error            TEXT,
    approved_by      BIGINT REFERENCES users(id),
    approved_at      TEXT NOT NULL,
    written_at       TEXT,
    UNIQUE (organization_id, exception_id)
);

-- The Reconciliation screen pages matches by time, per organization, optionally per status
-- or currency, without counting a million rows.
CREATE INDEX recon_matches_time ON recon_matches (organization_id, bank_at);
CREATE INDEX recon_matches_status ON recon_matches (organization_id, status, bank_at);
CREATE INDEX recon_matches_currency ON recon_matches (organization_id, currency, bank_at);
