//! How a SQLite row becomes one of the store's row structs: [`from_row!`] writes the
//! `sqlx::FromRow` impl that `#[derive(sqlx::FromRow)]` would. The derive needs sqlx's `macros`
//! feature, which compiles sqlx, its SQLite driver and tokio a second time for the proc macro
//! (≈ 1 minute of every clean build on 2 cores, issue 14's CI time); a field is read by its name,
//! as the derive reads it.

/// `from_row!(Row { id, kind, name })`: `sqlx::FromRow` for `Row`, each field read from the
/// column of the same name.
macro_rules! from_row {
    ($row:ident { $($field:ident),+ $(,)? }) => {
        impl<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> for $row {
            fn from_row(row: &'r sqlx::sqlite::SqliteRow) -> Result<Self, sqlx::Error> {
                use sqlx::Row as _;
                Ok($row { $($field: row.try_get(stringify!($field))?),+ })
            }
        }
    };
}
