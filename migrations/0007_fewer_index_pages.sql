-- Issue 14: each index a row is in is one more page, one more WAL frame, that every commit
-- writing the row rewrites (an endpoint create wrote 13).
--
-- Operations are looked up by status only while InProgress (the provisioner's due queries, the
-- in-flight count per resource), and most are written already ended (zero-delay operations,
-- arm/persist.rs): partial indexes keep those out of both.
DROP INDEX operations_in_progress;
CREATE INDEX operations_in_progress ON operations(due_at_ms) WHERE status = 'InProgress';
DROP INDEX operations_by_resource;
CREATE INDEX operations_in_progress_by_resource ON operations(resource_id)
WHERE status = 'InProgress';
