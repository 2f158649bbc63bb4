//! The schema migrations (`migrations/*.sql`), embedded in the binary. They are what
//! `sqlx::migrate!` would embed (same versions, descriptions and checksums, so data folders made
//! by earlier binaries keep validating) without sqlx's `macros` feature (see `rows.rs` for why).
use std::borrow::Cow;

use futures::future::BoxFuture;
use sqlx::error::BoxDynError;
use sqlx::migrate::{Migration, MigrationSource, MigrationType, Migrator};

/// `(file name, contents)` in version order; a new migration is one more line here.
const FILES: &[(&str, &str)] = &[
    (
        "0001_init.sql",
        include_str!("../../migrations/0001_init.sql"),
    ),
    (
        "0002_one_provisioning_in_flight.sql",
        include_str!("../../migrations/0002_one_provisioning_in_flight.sql"),
    ),
    (
        "0003_external_services.sql",
        include_str!("../../migrations/0003_external_services.sql"),
    ),
    (
        "0004_resources_seq_index.sql",
        include_str!("../../migrations/0004_resources_seq_index.sql"),
    ),
    (
        "0005_blob_parts.sql",
        include_str!("../../migrations/0005_blob_parts.sql"),
    ),
    (
        "0006_usage_and_paging.sql",
        include_str!("../../migrations/0006_usage_and_paging.sql"),
    ),
    (
        "0007_fewer_index_pages.sql",
        include_str!("../../migrations/0007_fewer_index_pages.sql"),
    ),
    (
        "0008_committed_block_ids.sql",
        include_str!("../../migrations/0008_committed_block_ids.sql"),
    ),
];

/// The embedded migrations as sqlx's resolver reads a folder: `{version}_{description}.sql`,
/// underscores in the description read as spaces, `-- no-transaction` as the first line.
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(self) -> BoxFuture<'static, Result<Vec<Migration>, BoxDynError>> {
        Box::pin(async { FILES.iter().map(|(f, sql)| migration(f, sql)).collect() })
    }
}

fn migration(file: &str, sql: &'static str) -> Result<Migration, BoxDynError> {
    let (version, rest) = file
        .split_once('_')
        .ok_or_else(|| format!("migration file name without a version: {file}"))?;
    let description = rest.trim_end_matches(".sql").replace('_', " ");
    Ok(Migration::new(
        version.parse()?,
        Cow::Owned(description),
        MigrationType::Simple,
        Cow::Borrowed(sql),
        sql.starts_with("-- no-transaction"),
    ))
}

/// The migrator every store runs before it opens its readers.
pub(super) async fn migrator() -> Result<Migrator, sqlx::migrate::MigrateError> {
    Migrator::new(Embedded).await
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Every file in `migrations/` is embedded, with the version, description and checksum
    /// sqlx's own folder resolver gives it (what `sqlx::migrate!` embedded before).
    #[tokio::test]
    async fn embedded_migrations_are_the_folder_sqlx_reads() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let folder = Migrator::new(dir.as_path()).await.unwrap();
        let embedded = migrator().await.unwrap();
        let key = |m: &Migration| {
            (
                m.version,
                m.description.to_string(),
                m.checksum.to_vec(),
                m.no_tx,
            )
        };
        let a: Vec<_> = folder.iter().map(key).collect();
        let b: Vec<_> = embedded.iter().map(key).collect();
        assert_eq!(a, b);
        assert_eq!(a.len(), FILES.len());
    }
}
