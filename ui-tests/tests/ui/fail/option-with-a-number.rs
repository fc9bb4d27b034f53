#[retort::migrations("fixtures/linear", version_table = 5)]
pub struct Migrations;

fn main() {}
