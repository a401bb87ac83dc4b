-- The exception queue and statement upload (issue #7).

-- The queue shows the active exceptions by default, sorted by the break's date, the size of
-- the difference or the due date (no due date last). These partial indexes serve each sort in
-- order, so a page is read without sorting 100k rows; the queries name the same literal status
-- list, which is what lets both planners use them. The owner index also covers the standing
-- counts (active, unassigned, overdue).
CREATE INDEX exceptions_active_by_occurred ON exceptions (organization_id, occurred_on, id)
    WHERE status IN ('open', 'in_progress', 'waiting_on_vendor');
CREATE INDEX exceptions_active_by_size ON exceptions (organization_id, size_minor, id)
    WHERE status IN ('open', 'in_progress', 'waiting_on_vendor');
CREATE INDEX exceptions_active_by_due ON exceptions (organization_id, (due_on IS NULL), due_on, id)
    WHERE status IN ('open', 'in_progress', 'waiting_on_vendor');
CREATE INDEX exceptions_active_by_owner ON exceptions (organization_id, owner_user_id, due_on)
    WHERE status IN ('open', 'in_progress', 'waiting_on_vendor');
-- The currencies offered by the filter are read with a skip scan of this index.
CREATE INDEX exceptions_by_currency ON exceptions (organization_id, currency);

-- An exception's history is its audit entries (subject `exception:<id>`).
CREATE INDEX audit_log_by_subject ON audit_log (organization_id, subject, id);
