#[retort::migrations("fixtures/several-broken", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    let _ = Migrations::upgrade;
    let _ = Migrations::migrator();
}
