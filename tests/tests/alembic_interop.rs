//! A database moves between Python Alembic and retort, both ways, on
//! PostgreSQL and SQLite: the same revision ids, Alembic running `.py`
//! files, retort running `.sql` files with the same SQL.

use std::path::{Path, PathBuf};
use std::process::Command;

use retort::Migrator;
use retort_tests::{Backend, Rev, TestDb, backends, python_with_alembic, temp_dir, write_versions};

/// The shared history: a base, a branch point, two branches and their merge.
fn history() -> Vec<Rev> {
    vec![
        Rev::table("a1b2c3d4e5f6", &[]),
        Rev::table("b2c3d4e5f6a1", &["a1b2c3d4e5f6"]),
        Rev::table("c3d4e5f6a1b2", &["b2c3d4e5f6a1"]),
        Rev::table("d4e5f6a1b2c3", &["b2c3d4e5f6a1"]),
        Rev::table("e5f6a1b2c3d4", &["c3d4e5f6a1b2", "d4e5f6a1b2c3"]),
    ]
}

/// An Alembic project for `url` with the history as `.py` files.
fn alembic_project(url: &str) -> PathBuf {
    let root = temp_dir("retort_alembic");
    let script = root.join("alembic");
    std::fs::create_dir_all(script.join("versions")).unwrap();
    std::fs::write(
        root.join("alembic.ini"),
        format!("[alembic]\nscript_location = {}\nsqlalchemy.url = {url}\n", script.display()),
    )
    .unwrap();
    std::fs::write(
        script.join("env.py"),
        r#"from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
engine = engine_from_config(config.get_section(config.config_ini_section), prefix="sqlalchemy.", poolclass=pool.NullPool)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None)
    with context.begin_transaction():
        context.run_migrations()
"#,
    )
    .unwrap();
    for rev in history() {
        let down = match rev.down.as_slice() {
            [] => "None".to_owned(),
            [one] => format!("{one:?}"),
            many => format!("({})", many.iter().map(|d| format!("{d:?}")).collect::<Vec<_>>().join(", ")),
        };
        let text = format!(
            "\"\"\"Revision {id}\n\nRevision ID: {id}\n\"\"\"\nfrom alembic import op\n\nrevision = {id:?}\ndown_revision = {down}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n    op.execute({up:?})\n\n\ndef downgrade():\n    op.execute({down_sql:?})\n",
            id = rev.id,
            up = rev.up.trim_end_matches(';'),
            down_sql = rev.down_sql.clone().unwrap_or_default().trim_end_matches(';'),
        );
        std::fs::write(script.join("versions").join(format!("{}_revision.py", rev.id)), text).unwrap();
    }
    root
}

fn alembic(python: &Path, project: &Path, args: &[&str]) -> String {
    let out = Command::new(python)
        .args(["-m", "alembic", "-c"])
        .arg(project.join("alembic.ini"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "alembic {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The database's URL in SQLAlchemy's words.
fn sqlalchemy_url(db: &TestDb) -> String {
    match db.backend {
        Backend::Postgres => db.url.replacen("postgres://", "postgresql+psycopg2://", 1),
        _ => {
            let path = db.url.trim_start_matches("sqlite://").split('?').next().unwrap().to_owned();
            format!("sqlite:///{path}")
        }
    }
}

#[tokio::test]
async fn alembic_starts_retort_finishes_and_alembic_continues() {
    let Some(python) = python_with_alembic() else { return };
    for backend in backends() {
        if backend == Backend::MySql {
            continue;
        }
        let db = TestDb::create(backend).await;
        if backend == Backend::Sqlite {
            // Let the SQLite file exist before Alembic opens it.
            db.pool().await.close().await;
        }
        let project = alembic_project(&sqlalchemy_url(&db));
        let retort_dir = temp_dir("retort_interop_sql");
        write_versions(&retort_dir, &history());
        let m = Migrator::from_dir(&retort_dir).unwrap();
        let pool = db.pool().await;

        // Alembic goes partway, onto one branch.
        alembic(&python, &project, &["upgrade", "c3d4e5f6a1b2"]);
        assert_eq!(m.current(pool.db()).await.unwrap(), ["c3d4e5f6a1b2"], "{backend:?}");

        // retort finishes: the other branch (a second row), then the merge.
        let report = m.upgrade(pool.db(), "heads").await.unwrap();
        assert_eq!(report.steps.len(), 2);
        assert_eq!(pool.versions("alembic_version").await, ["e5f6a1b2c3d4"]);

        // Alembic reads it and goes back down through the merge.
        let current = alembic(&python, &project, &["current"]);
        assert!(current.contains("e5f6a1b2c3d4 (head)"), "{current}");
        alembic(&python, &project, &["downgrade", "d4e5f6a1b2c3"]);
        assert_eq!(
            pool.versions("alembic_version").await,
            ["c3d4e5f6a1b2", "d4e5f6a1b2c3"],
            "Alembic un-merged into two rows"
        );

        // retort reads two rows and takes them both down.
        m.downgrade(pool.db(), "b2c3d4e5f6a1").await.unwrap();
        assert_eq!(pool.versions("alembic_version").await, ["b2c3d4e5f6a1"]);
        assert!(!pool.has_table("t_d4e5f6a1b2c3").await);
        db.finish(pool).await;
    }
}

#[tokio::test]
async fn retort_starts_and_alembic_finishes_and_reverts() {
    let Some(python) = python_with_alembic() else { return };
    for backend in backends() {
        if backend == Backend::MySql {
            continue;
        }
        let db = TestDb::create(backend).await;
        let pool = db.pool().await;
        let project = alembic_project(&sqlalchemy_url(&db));
        let retort_dir = temp_dir("retort_interop_sql");
        write_versions(&retort_dir, &history());
        let m = Migrator::from_dir(&retort_dir).unwrap();

        m.upgrade(pool.db(), "d4e5f6a1b2c3").await.unwrap();
        let current = alembic(&python, &project, &["current"]);
        assert!(current.contains("d4e5f6a1b2c3"), "{backend:?}: {current}");
        alembic(&python, &project, &["upgrade", "heads"]);
        assert_eq!(pool.versions("alembic_version").await, ["e5f6a1b2c3d4"]);
        assert_eq!(m.current(pool.db()).await.unwrap(), ["e5f6a1b2c3d4"]);
        alembic(&python, &project, &["downgrade", "base"]);
        assert!(pool.versions("alembic_version").await.is_empty());
        assert!(!pool.has_table("t_a1b2c3d4e5f6").await);
        db.finish(pool).await;
    }
}
