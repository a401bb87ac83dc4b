-- The two ways Wise reaches QuickBooks, documented per organization (playbook): the bank feed
-- (managed in QuickBooks) and Wise's bill-payment app (set up in Wise).
CREATE TABLE connection_paths (
    organization_id  INTEGER NOT NULL REFERENCES organizations(id),
    path             TEXT NOT NULL CHECK (path IN ('bank_feed', 'wise_app')),
    owner_user_id    INTEGER REFERENCES users(id),
    set_up_on        TEXT,
    authorized_on    TEXT,
    renews_on        TEXT,
    test_status      TEXT NOT NULL DEFAULT 'untested' CHECK (test_status IN ('untested', 'passed', 'failed')),
    notes            TEXT NOT NULL DEFAULT '',
    updated_at       TEXT NOT NULL,
    PRIMARY KEY (organization_id, path)
);
