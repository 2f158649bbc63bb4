-- A committed blob's parts remember the block id each was committed as, so a later Put Block
-- List can name them in `<Committed>` or `<Latest>` (Azure keeps a blob's committed block list).
-- NULL for a part of a Put Blob and for blobs committed before this migration.
ALTER TABLE blob_parts ADD COLUMN block_id TEXT;
