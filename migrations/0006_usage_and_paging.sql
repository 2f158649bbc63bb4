-- Issue 14: no write may cost more as the world grows.
--
-- Lists are served a page at a time in creation order (`nextLink`, `$skipToken`): this index
-- finds one page of a parent's children of one kind without reading the others. It replaces
-- resources_by_parent, which is its prefix.
CREATE INDEX resources_by_parent_seq ON resources(parent_id, kind, seq);
DROP INDEX resources_by_parent;

-- CP-5 (online endpoints per subscription and region) and CP-8 (cores in use per subscription
-- and region) were counted by reading every endpoint or deployment of the subscription on each
-- PUT. Each such row now carries what it counts toward (`usage_scope`: lower-cased subscription
-- id, '/', normalised region; NULL counts toward nothing) and how much (`usage_units`: the cores
-- a deployment holds, 0 for an endpoint), written by the store with the row; the triggers keep
-- one total per (kind, scope) in `usage`, in the same transaction, cascaded deletes included.
ALTER TABLE resources ADD COLUMN usage_scope TEXT;
ALTER TABLE resources ADD COLUMN usage_units INTEGER NOT NULL DEFAULT 0;
CREATE TABLE usage (
    kind  TEXT NOT NULL,
    scope TEXT NOT NULL,
    n     INTEGER NOT NULL,
    units INTEGER NOT NULL,
    PRIMARY KEY (kind, scope)
);
CREATE TRIGGER usage_after_insert AFTER INSERT ON resources
WHEN NEW.usage_scope IS NOT NULL
BEGIN
    INSERT INTO usage (kind, scope, n, units) VALUES (NEW.kind, NEW.usage_scope, 1, NEW.usage_units)
    ON CONFLICT (kind, scope) DO UPDATE SET n = n + 1, units = units + excluded.units;
END;
CREATE TRIGGER usage_after_delete AFTER DELETE ON resources
WHEN OLD.usage_scope IS NOT NULL
BEGIN
    UPDATE usage SET n = n - 1, units = units - OLD.usage_units
    WHERE kind = OLD.kind AND scope = OLD.usage_scope;
END;
-- The store writes both columns on every write of a row (an upsert sets them), so this fires on
-- every update of a counted row, whether or not the values changed: take the old, add the new.
CREATE TRIGGER usage_after_update AFTER UPDATE OF usage_scope, usage_units ON resources
WHEN OLD.usage_scope IS NOT NULL OR NEW.usage_scope IS NOT NULL
BEGIN
    UPDATE usage SET n = n - 1, units = units - OLD.usage_units
    WHERE OLD.usage_scope IS NOT NULL AND kind = OLD.kind AND scope = OLD.usage_scope;
    INSERT INTO usage (kind, scope, n, units)
    SELECT NEW.kind, NEW.usage_scope, 1, NEW.usage_units WHERE NEW.usage_scope IS NOT NULL
    ON CONFLICT (kind, scope) DO UPDATE SET n = n + 1, units = units + excluded.units;
END;

-- Rows stored before this migration carry no usage yet: the store fills them in once, at the
-- first start that finds this flag (it needs the instance-type table, which is not SQL).
CREATE TABLE store_flags (name TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO store_flags (name, value) VALUES ('usage_backfill', 'pending');
