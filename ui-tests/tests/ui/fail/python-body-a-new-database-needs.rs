#[retort::migrations("fixtures/python-data-migration", allow_missing_build_script)]
pub struct Migrations;

fn main() {}
