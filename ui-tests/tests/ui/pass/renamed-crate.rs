use retort as migrations_runtime;

#[migrations_runtime::migrations("fixtures/linear", crate = "migrations_runtime", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    assert_eq!(Migrations::migrator().heads(), ["bbbb0002"]);
}
