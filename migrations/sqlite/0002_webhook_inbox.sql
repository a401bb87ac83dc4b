-- Verified webhook deliveries from Wise and QuickBooks, kept raw until a sync processes them.
-- (source, event_key) makes a redelivery a no-op.
CREATE TABLE webhook_inbox (
    id            INTEGER PRIMARY KEY,
    source        TEXT NOT NULL CHECK (source IN ('wise', 'qbo')),
    account_key   TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    event_key     TEXT NOT NULL,
    occurred_at   TEXT,
    received_at   TEXT NOT NULL,
    payload       TEXT NOT NULL,
    processed_at  TEXT,
    UNIQUE (source, event_key)
);
CREATE INDEX webhook_inbox_pending ON webhook_inbox (processed_at, source, account_key);
