#[retort::migrations("fixtures/python-with-sql", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    // Each `.py` revision runs the SQL of the `.sql` file beside it.
    let graph = Migrations::migrator().graph();
    assert_eq!(graph.len(), 2);
    let users = graph.get("3dda56f1c4c6").unwrap();
    assert!(users.has_sql());
    assert!(users.path.to_string_lossy().ends_with("_create_users.py"));
    assert!(users.sql_path().to_string_lossy().ends_with("_create_users.sql"));
    assert_eq!(users.upgrade[0].sql.trim(), "CREATE TABLE users (id INTEGER PRIMARY KEY, name VARCHAR(50) NOT NULL);");
    assert_eq!(users.downgrade[0].sql.trim(), "DROP TABLE users;");
    let email = graph.get("4a7c1b2d9e10").unwrap();
    assert!(email.upgrade[0].sql.contains("ADD COLUMN email"));
}
