-- The playbook's rollout controls (issue #7, screens 4–6): the Known vs Unknown matrix, the
-- preflight and access-control checklist with its signed go / no-go checkpoints, and the
-- pilot (frozen window, sample set, fallback test, promotion).

-- The playbook's rows were created for this organization (once: later edits are its own).
CREATE TABLE playbook_seeded (
    organization_id  INTEGER PRIMARY KEY REFERENCES organizations(id),
    seeded_at        TEXT NOT NULL
);

-- The Known vs Unknown matrix. `seed_key` names the playbook row a row was seeded from (NULL
-- for rows an owner added); `measure` is the measurement the system can attach as evidence.
CREATE TABLE matrix_rows (
    id                INTEGER PRIMARY KEY,
    organization_id   BIGINT NOT NULL REFERENCES organizations(id),
    seed_key          TEXT,
    position          INTEGER NOT NULL,
    area              TEXT NOT NULL,
    known_now         TEXT NOT NULL,
    verify_in_tenant  TEXT NOT NULL,
    why_it_matters    TEXT NOT NULL,
    measure           TEXT CHECK (measure IN ('cadence', 'mapping')),
    owner_user_id     BIGINT REFERENCES users(id),
    status            TEXT NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'verified', 'failed')),
    evidence_note     TEXT NOT NULL DEFAULT '',
    measurement       TEXT,
    measured_at       TEXT,
    updated_at        TEXT NOT NULL,
    UNIQUE (organization_id, seed_key)
);
CREATE INDEX matrix_rows_org ON matrix_rows (organization_id, position, id);

-- The preflight table and the access-control table, one item per row.
CREATE TABLE preflight_items (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    seed_key         TEXT NOT NULL,
    section          TEXT NOT NULL CHECK (section IN ('preflight', 'access')),
    position         INTEGER NOT NULL,
    area             TEXT NOT NULL,
    action           TEXT NOT NULL,
    verification     TEXT NOT NULL,
    owner_user_id    BIGINT REFERENCES users(id),
    done             BOOLEAN NOT NULL DEFAULT 0,
    done_at          TEXT,
    done_by          BIGINT REFERENCES users(id),
    note             TEXT NOT NULL DEFAULT '',
    updated_at       TEXT NOT NULL,
    UNIQUE (organization_id, seed_key)
);

-- Signed go / no-go checkpoints (append-only by use); `checks` is the JSON snapshot of the
-- automatic checks and the open checklist items at signing time.
CREATE TABLE preflight_checkpoints (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    decision         TEXT NOT NULL CHECK (decision IN ('go', 'no_go')),
    note             TEXT NOT NULL,
    checks           TEXT NOT NULL,
    signed_by        BIGINT NOT NULL REFERENCES users(id),
    signed_at        TEXT NOT NULL
);
CREATE INDEX preflight_checkpoints_org ON preflight_checkpoints (organization_id, id);

-- The pilot of an organization: its frozen window, the fallback test and the promotion.
CREATE TABLE pilots (
    organization_id  INTEGER PRIMARY KEY REFERENCES organizations(id),
    window_from      TEXT,
    window_to        TEXT,
    frozen_by        BIGINT REFERENCES users(id),
    frozen_at        TEXT,
    fallback_tested  BOOLEAN NOT NULL DEFAULT 0,
    fallback_note    TEXT NOT NULL DEFAULT '',
    fallback_by      BIGINT REFERENCES users(id),
    fallback_at      TEXT,
    promoted_by      BIGINT REFERENCES users(id),
    promoted_at      TEXT,
    promotion        TEXT,
    updated_at       TEXT NOT NULL
);

-- The traceable sample set: bank lines of the window.
CREATE TABLE pilot_samples (
    id               INTEGER PRIMARY KEY,
    organization_id  BIGINT NOT NULL REFERENCES organizations(id),
    bank_line_id     BIGINT NOT NULL REFERENCES bank_lines(id),
    added_by         BIGINT REFERENCES users(id),
    added_at         TEXT NOT NULL,
    UNIQUE (organization_id, bank_line_id)
);
