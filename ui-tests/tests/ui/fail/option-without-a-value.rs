#[retort::migrations("fixtures/linear", version_table)]
pub struct Migrations;

fn main() {}
