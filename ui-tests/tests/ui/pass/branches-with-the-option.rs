#[retort::migrations("fixtures/two-heads", allow_multiple_heads, allow_missing_build_script)]
pub struct Migrations;

fn main() {
    assert_eq!(Migrations::migrator().heads(), ["bbbb0002", "cccc0003"]);
}
