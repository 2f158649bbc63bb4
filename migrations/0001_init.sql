-- amlite schema v1. Forward-only: never edit once landed; add 0002_... instead.
-- Resource ids compare case-insensitively (SPEC §3), hence COLLATE NOCASE.
CREATE TABLE resources (
    id         TEXT PRIMARY KEY COLLATE NOCASE,
    kind       TEXT NOT NULL,
    parent_id  TEXT COLLATE NOCASE REFERENCES resources(id) ON DELETE CASCADE,
    name       TEXT NOT NULL COLLATE NOCASE,
    body       TEXT NOT NULL,
    seq        INTEGER NOT NULL
);
CREATE INDEX resources_by_parent ON resources(parent_id, kind);
CREATE INDEX resources_by_kind_name ON resources(kind, name);

-- Long-running operations and their monitors (SPEC §3 "Long-running operations").
CREATE TABLE operations (
    id          TEXT PRIMARY KEY,
    resource_id TEXT NOT NULL COLLATE NOCASE,
    action      TEXT NOT NULL,
    status      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    due_at_ms   INTEGER NOT NULL,
    error       TEXT,
    location    TEXT NOT NULL
);
CREATE INDEX operations_in_progress ON operations(status, due_at_ms);
CREATE INDEX operations_by_resource ON operations(resource_id);

-- Blob Storage slice (SPEC §2.1): content-addressed bytes plus blob and block records.
CREATE TABLE contents (
    sha256 TEXT PRIMARY KEY,
    data   BLOB NOT NULL
);
CREATE TABLE blobs (
    account       TEXT NOT NULL COLLATE NOCASE,
    container     TEXT NOT NULL,
    name          TEXT NOT NULL,
    sha256        TEXT NOT NULL REFERENCES contents(sha256),
    size          INTEGER NOT NULL,
    content_type  TEXT,
    content_md5   TEXT,
    metadata      TEXT NOT NULL,
    etag          TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    PRIMARY KEY (account, container, name)
);
CREATE TABLE blocks (
    account   TEXT NOT NULL COLLATE NOCASE,
    container TEXT NOT NULL,
    name      TEXT NOT NULL,
    block_id  TEXT NOT NULL,
    sha256    TEXT NOT NULL REFERENCES contents(sha256),
    size      INTEGER NOT NULL,
    PRIMARY KEY (account, container, name, block_id)
);
