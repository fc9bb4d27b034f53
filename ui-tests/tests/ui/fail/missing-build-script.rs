#![deny(deprecated)]

#[retort::migrations("fixtures/linear")]
pub struct Migrations;

fn main() {}
