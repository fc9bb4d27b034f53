#[retort::migrations(fixtures/linear)]
pub struct Migrations;

fn main() {
    let _ = Migrations::migrator();
}
