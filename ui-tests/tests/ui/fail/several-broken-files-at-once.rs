#[retort::migrations("fixtures/several-broken", allow_missing_build_script)]
pub struct Migrations;

// Every use of the struct still type-checks: one error per problem, no cascade.
async fn start(db: retort::Db<'_>) -> Result<retort::Report, retort::Error> {
    Migrations::upgrade(db, "head").await
}

fn main() {
    let _ = start;
    let _ = Migrations::migrator();
}
