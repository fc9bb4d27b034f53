//! Generated schemas through real engines: a schema model is written as
//! canonical DDL, run on a fresh database and read back, and must come back
//! as the same model; the DDL read back, run on another fresh database,
//! reads back with the same fingerprint. Every column type family,
//! defaults, identity, foreign keys with actions, uniques, CHECKs, plain,
//! descending, partial and expression indexes, views and (PostgreSQL) enums.
//!
//! `RETORT_SCHEMA_CASES` sets how many schemas per backend (default 12).

use retort::InspectOptions;
use retort_core::schema::{Schema, compare};
use retort_tests::generated::{Rng, dialect_of, generate};
use retort_tests::{Backend, TestDb, backends};

/// The model part introspection can read back exactly: views are printed
/// in the engine's own form, so they are compared through a second trip.
fn without_views(schema: &Schema) -> Schema {
    Schema { views: Default::default(), server_version: String::new(), ..schema.clone() }
}

async fn apply_and_read(backend: Backend, ddl: &str) -> Schema {
    let db = TestDb::create(backend).await;
    let pool = db.pool().await;
    pool.exec(ddl).await;
    let schema = retort::inspect(pool.db(), &InspectOptions::default()).await.unwrap();
    db.finish(pool).await;
    schema
}

#[tokio::test]
async fn generated_schemas_read_back_as_written_on_every_backend() {
    let cases: u64 = std::env::var("RETORT_SCHEMA_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(12);
    let mut failures = Vec::new();
    for backend in backends() {
        for case in 0..cases {
            let seed = 0x9E37_79B9_7F4A_7C15 ^ (case + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
            let model = generate(dialect_of(backend), &mut Rng(seed));
            let ddl = model.canonical_sql();
            let read = apply_and_read(backend, &ddl).await;
            let diff = compare(&without_views(&model), &without_views(&read));
            if !diff.is_empty() {
                let lines: Vec<String> = diff.changes.iter().map(ToString::to_string).collect();
                failures.push(format!(
                    "{backend:?} seed {seed:#x}: read back differs:\n{}\n--- DDL\n{ddl}",
                    lines.join("\n")
                ));
                continue;
            }
            let again = apply_and_read(backend, &read.canonical_sql()).await;
            if again.fingerprint() != read.fingerprint() || again.views.len() != model.views.len() {
                failures.push(format!(
                    "{backend:?} seed {seed:#x}: a second trip differs:\n--- first\n{}--- second\n{}",
                    read.canonical_sql(),
                    again.canonical_sql()
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
