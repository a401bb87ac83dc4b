-- The exception queue and statement upload (issue #7).

-- The queue filters by organization and status and sorts by the break's date, the size of the
-- difference or the due date; these keep each sort index-backed at 100k exceptions.
CREATE INDEX exceptions_by_occurred ON exceptions (organization_id, status, occurred_on);
CREATE INDEX exceptions_by_size ON exceptions (organization_id, status, size_minor);
CREATE INDEX exceptions_by_due ON exceptions (organization_id, status, due_on);

-- An exception's history is its audit entries (subject `exception:<id>`).
CREATE INDEX audit_log_by_subject ON audit_log (organization_id, subject, id);
