#[retort::migrations("fixtures/linear")]
pub enum Migrations {}

fn main() {}
