-- Organizations, people, memberships, first-run setup tokens and the append-only audit log.
-- Times are RFC 3339 UTC text; money (later) is exact text, never REAL.

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    display_name   TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    active         BOOLEAN NOT NULL DEFAULT 1,
    created_at     TEXT NOT NULL
);

CREATE TABLE memberships (
    user_id          INTEGER NOT NULL REFERENCES users(id),
    organization_id  INTEGER NOT NULL REFERENCES organizations(id),
    role             TEXT NOT NULL CHECK (role IN ('owner', 'bookkeeper', 'viewer')),
    active           BOOLEAN NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX memberships_by_org ON memberships (organization_id);

CREATE TABLE setup_tokens (
    token_hash  TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    used_at     TEXT
);

CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY,
    organization_id  INTEGER REFERENCES organizations(id),
    actor_user_id    INTEGER REFERENCES users(id),
    actor            TEXT NOT NULL,
    action           TEXT NOT NULL,
    subject          TEXT NOT NULL,
    before_state     TEXT,
    after_state      TEXT,
    at               TEXT NOT NULL
);
CREATE INDEX audit_log_by_org ON audit_log (organization_id, id);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
