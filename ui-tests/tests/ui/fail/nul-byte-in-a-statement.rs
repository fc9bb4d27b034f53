#[retort::migrations("fixtures/nul-byte", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    let _ = Migrations::migrator();
}
