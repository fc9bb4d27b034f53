#[retort::migrations("fixtures/linear", version_table = "app_version", version_table_schema = "app", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    let table = Migrations::migrator().version_table();
    assert_eq!((table.name.as_str(), table.schema.as_deref()), ("app_version", Some("app")));
}
