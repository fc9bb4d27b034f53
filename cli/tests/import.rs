//! `retort import` end to end: every `.py` revision gets its SQL beside it,
//! translated, or captured from Alembic's offline mode with `--alembic`;
//! the data migration that reads the database is reported with its file
//! and line; a hand-written `.sql` is never touched.

mod common;

use std::path::Path;

fn py(id: &str, down: &str, upgrade: &str, downgrade: &str) -> String {
    format!(
        "\"\"\"{id}\n\nRevision ID: {id}\nRevises: {down}\n\"\"\"\nfrom alembic import op\nimport sqlalchemy as sa\n\nrevision = '{id}'\ndown_revision = {down}\n\nroles = sa.table('role', sa.column('id', sa.Integer), sa.column('name', sa.String))\n\n\ndef upgrade():\n{upgrade}\n\n\ndef downgrade():\n{downgrade}\n"
    )
}

fn history(dir: &Path) {
    let write = |name: &str, text: String| std::fs::write(dir.join(name), text).unwrap();
    write(
        "a1000001_roles.py",
        py(
            "a1000001",
            "None",
            "    op.create_table('role', sa.Column('id', sa.Integer(), primary_key=True), sa.Column('name', sa.String(20)))",
            "    op.drop_table('role')",
        ),
    );
    write(
        "a2000002_seed.py",
        py(
            "a2000002",
            "'a1000001'",
            "    op.execute(roles.insert().values(id=1, name='admin'))\n    op.execute(roles.insert().values(id=2, name='member'))",
            "    op.execute('DELETE FROM role')",
        ),
    );
    write(
        "a3000003_backfill.py",
        py(
            "a3000003",
            "'a2000002'",
            "    conn = op.get_bind()\n    for (id,) in conn.execute(sa.text('SELECT id FROM role')).fetchall():\n        pass",
            "    pass",
        ),
    );
    write("a4000004_by_hand.py", py("a4000004", "'a3000003'", "    raise NotImplementedError()", "    pass"));
    write("a4000004_by_hand.sql", "-- written by a person\n-- upgrade\nSELECT 1;\n-- downgrade\n".to_owned());
}

#[test]
fn import_translates_captures_and_names_what_needs_a_person() {
    let dir = retort_tests::temp_dir("import");
    history(&dir);
    let (code, out, err) = common::retort(&dir, &["import", "--dialects", "postgresql,sqlite"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.starts_with(
            "3 .py revisions: 1 translated, 0 captured with Alembic, 2 need a person (1 already had SQL beside them)"
        ),
        "{out}"
    );
    assert!(out.contains("a2000002_seed.py: line 16: a method call (`.values(…)`"), "{out}");
    assert!(out.contains("a3000003_backfill.py: line 16: `op.get_bind()`"), "{out}");
    let roles = std::fs::read_to_string(dir.join("a1000001_roles.sql")).unwrap();
    assert!(roles.contains("-- upgrade: postgresql\nCREATE TABLE role (\n    id SERIAL NOT NULL,"), "{roles}");
    assert!(roles.contains("-- downgrade: sqlite\nDROP TABLE role;"), "{roles}");
    assert_eq!(
        std::fs::read_to_string(dir.join("a4000004_by_hand.sql")).unwrap(),
        "-- written by a person\n-- upgrade\nSELECT 1;\n-- downgrade\n"
    );

    let Some(python) = retort_tests::python_with_alembic() else { return };
    let python = python.display().to_string();
    let (code, out, err) = common::retort(&dir, &["import", "--dialects", "postgresql,sqlite", "--alembic", &python]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.starts_with("2 .py revisions: 0 translated, 1 captured with Alembic, 1 need a person"), "{out}");
    assert!(out.contains("a3000003_backfill.py: Alembic offline (postgresql) upgrade()"), "{out}");
    let seed = std::fs::read_to_string(dir.join("a2000002_seed.sql")).unwrap();
    assert!(seed.contains("-- upgrade: sqlite\nINSERT INTO role (id, name) VALUES (1, 'admin');\nINSERT INTO role (id, name) VALUES (2, 'member');"), "{seed}");
    assert!(!dir.join("a3000003_backfill.sql").exists());
    // The imported SQL runs: up to a2000002 on SQLite, the rows there.
    let url = format!("sqlite://{}", dir.join("app.db").display());
    let (code, _, err) = common::retort(&dir, &["--database-url", &url, "upgrade", "a2000002"]);
    assert_eq!(code, 0, "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_command_line_translates_a_py_body_when_a_run_needs_it() {
    let dir = retort_tests::temp_dir("translate_at_run");
    history(&dir);
    std::fs::remove_file(dir.join("a4000004_by_hand.sql")).unwrap();
    let url = format!("sqlite://{}", dir.join("app.db").display());
    // Reading needs no translation; running does, and names what it cannot.
    let (code, out, _) = common::retort(&dir, &["history"]);
    assert_eq!(code, 0);
    assert!(out.contains("a3000003 -> a4000004 (head)"), "{out}");
    let (code, _, err) = common::retort(&dir, &["--database-url", &url, "upgrade", "a1000001"]);
    assert_eq!(code, 0, "{err}");
    let (code, sql, _) = common::retort(&dir, &["--dialect", "sqlite", "upgrade", "--sql", "base:a1000001"]);
    assert_eq!(code, 0);
    assert!(sql.contains("CREATE TABLE role ("), "{sql}");
    let (code, _, err) = common::retort(&dir, &["--database-url", &url, "upgrade", "head"]);
    assert_eq!(code, 255);
    assert!(err.contains("a2000002_seed.py: line 16: a method call"), "{err}");
    assert!(err.contains("a3000003_backfill.py: line 16: `op.get_bind()`"), "{err}");
    let (_, current, _) = common::retort(&dir, &["--database-url", &url, "current"]);
    assert_eq!(current.trim(), "a1000001", "nothing of the refused run ran");
    std::fs::remove_dir_all(&dir).unwrap();
}
