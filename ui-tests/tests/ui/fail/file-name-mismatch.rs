#[retort::migrations("fixtures/file-name-mismatch", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    let _ = Migrations::migrator();
}
