#[retort::migrations("fixtures/unreadable-file", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    let _ = Migrations::migrator();
}
