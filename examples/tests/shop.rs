//! The shop's own tests, as an application writes them: each on a database
//! of its own at head, copied from a template the first test builds; and
//! the checks a team runs before merging a revision.
//!
//! SQLite here; a test that takes a `sqlx::PgPool` runs on the server
//! `RETORT_TEST_POSTGRES_URL` (or `DATABASE_URL`) names, the same way.

use retort::testing::TestPool;
use sqlx::SqlitePool;

/// The shop's revisions, embedded as the application embeds them.
#[retort::migrations("shop/alembic/versions")]
pub struct Migrations;

#[retort::test]
async fn a_new_order_starts_placed(pool: SqlitePool) {
    sqlx::query("INSERT INTO customer (id, email, name) VALUES (1, 'ada@example.com', 'Ada')")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("INSERT INTO orders (customer_id, placed_at) VALUES (1, '2026-12-08')").execute(&pool).await.unwrap();
    let status: String = sqlx::query_scalar("SELECT status FROM orders").fetch_one(&pool).await.unwrap();
    assert_eq!(status, "placed");
}

#[retort::test(fixtures("customers"))]
async fn fixtures_give_every_test_the_same_customers(pool: SqlitePool) -> Result<(), sqlx::Error> {
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM customer ORDER BY id").fetch_all(&pool).await?;
    assert_eq!(names, ["Ada", "Grace"]);
    Ok(())
}

#[retort::test(at = "27c6a30d7c24")]
async fn a_database_at_an_older_revision_has_no_status_yet(pool: SqlitePool) {
    let columns: Vec<String> =
        sqlx::query_scalar("SELECT name FROM pragma_table_info('orders')").fetch_all(&pool).await.unwrap();
    assert!(!columns.contains(&"status".to_owned()), "{columns:?}");
}

#[test]
fn the_history_has_one_head() {
    retort::testing::assert_single_head(Migrations::migrator());
}

#[retort::test(migrations = false)]
async fn every_revision_upgrades_and_every_downgrade_undoes_its_upgrade(pool: TestPool) {
    retort::testing::assert_upgrades_from_base(Migrations::migrator(), pool.db()).await;
    retort::testing::assert_downgrades_restore(Migrations::migrator(), pool.db()).await;
}
