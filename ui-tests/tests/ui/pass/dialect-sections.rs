#[retort::migrations("fixtures/dialects", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    assert!(Migrations::migrator().graph().len() > 0);
}
