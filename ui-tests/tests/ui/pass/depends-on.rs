#[retort::migrations("fixtures/depends-on", allow_multiple_heads, allow_missing_build_script)]
pub struct Migrations;

fn main() {
    assert!(Migrations::migrator().graph().len() > 0);
}
