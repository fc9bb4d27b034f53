#[retort::migrations("fixtures/bad-header", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    let _ = Migrations::migrator();
}
