// The forms `#[retort::test]` accepts. (Test functions are compiled only
// under `cargo test`; retort-tests and the shop example run them.)
#[retort::migrations("fixtures/linear", allow_missing_build_script)]
pub struct Migrations;

#[retort::test]
async fn in_scope(pool: retort::testing::TestPool) {
    let _ = pool;
}

#[retort::test(migrations = Migrations, at = "1975ea83b712", crate = "retort")]
async fn at_a_revision(pool: sqlx::SqlitePool) -> Result<(), String> {
    let _ = pool;
    Ok(())
}

#[retort::test(migrations = false)]
#[ignore = "shows that other attributes are kept"]
pub async fn empty(pool: retort::testing::TestPool) {
    let _ = pool;
}

fn main() {}
