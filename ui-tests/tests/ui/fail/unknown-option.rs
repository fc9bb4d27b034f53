#[retort::migrations("fixtures/linear", allow_multiple_head)]
pub struct Migrations;

fn main() {}
