#[retort::migrations("fixtures/dangling-depends-on", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    let _ = Migrations::migrator();
}
