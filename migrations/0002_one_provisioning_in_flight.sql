-- At most one create/update (provisioning) operation in flight per resource (SPEC §3, issue 5):
-- a second PUT/PATCH racing the first hits this index and gets 409 Conflict, whatever the
-- handlers checked beforehand. Deletes and key regeneration are not covered.
-- Older data folders may hold duplicates from before this rule: keep the newest, cancel the rest.
UPDATE operations
SET status = 'Canceled', ended_at = started_at
WHERE status = 'InProgress'
  AND json_extract(action, '$.kind') IN ('ProvisionEndpoint', 'ProvisionDeployment')
  AND rowid NOT IN (
      SELECT MAX(rowid) FROM operations
      WHERE status = 'InProgress'
        AND json_extract(action, '$.kind') IN ('ProvisionEndpoint', 'ProvisionDeployment')
      GROUP BY resource_id
  );
CREATE UNIQUE INDEX operations_one_provisioning_in_flight ON operations(resource_id)
WHERE status = 'InProgress' AND json_extract(action, '$.kind') IN ('ProvisionEndpoint', 'ProvisionDeployment');
