-- A committed blob is an ordered list of parts, each naming stored bytes in `contents` (issue 9):
-- Put Block List records the blocks it commits instead of concatenating them, so a blob that
-- repeats one block is stored (and read back) without ever being assembled in memory. A Put
-- Blob is one part.
CREATE TABLE blob_parts (
    account   TEXT NOT NULL COLLATE NOCASE,
    container TEXT NOT NULL,
    name      TEXT NOT NULL,
    idx       INTEGER NOT NULL,
    sha256    TEXT NOT NULL REFERENCES contents(sha256),
    size      INTEGER NOT NULL,
    PRIMARY KEY (account, container, name, idx)
);
-- Deleting a content (the janitor) checks this foreign key: without an index SQLite would scan
-- every part of every blob for each content it prunes.
CREATE INDEX blob_parts_by_sha256 ON blob_parts(sha256);
-- Older data folders: every blob was one content, so it becomes its only part.
INSERT INTO blob_parts (account, container, name, idx, sha256, size)
SELECT account, container, name, 0, sha256, size FROM blobs;
-- The blob row no longer names one content: rebuilt without `sha256` (SQLite cannot drop a
-- column that is a foreign key). No table refers to `blobs`, so the rebuild is safe with foreign
-- keys on.
CREATE TABLE blobs_v2 (
    account       TEXT NOT NULL COLLATE NOCASE,
    container     TEXT NOT NULL,
    name          TEXT NOT NULL,
    size          INTEGER NOT NULL,
    content_type  TEXT,
    content_md5   TEXT,
    metadata      TEXT NOT NULL,
    etag          TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    PRIMARY KEY (account, container, name)
);
INSERT INTO blobs_v2 (account, container, name, size, content_type, content_md5, metadata, etag, last_modified)
SELECT account, container, name, size, content_type, content_md5, metadata, etag, last_modified FROM blobs;
DROP TABLE blobs;
ALTER TABLE blobs_v2 RENAME TO blobs;
