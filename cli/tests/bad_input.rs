//! Bad input through the `retort` binary, on every backend: each case
//! fails with exit status 255 and a `FAILED:` line (or a diagnostic at its
//! file and line), never panics or hangs, leaves the database as it was,
//! and prints no password. Part of the reliability suite (see the README).

use std::path::{Path, PathBuf};
use std::process::Command;

use retort_tests::{Backend, TestDb, backends};

/// The password every URL of these tests carries (PostgreSQL here trusts
/// local connections, so it is ignored by the server but not by retort's
/// output).
const SECRET: &str = "Hunter2pw";

/// `url` with [`SECRET`] as its password where the server ignores it
/// (PostgreSQL); MySQL's root here has none, and a wrong one is a case of
/// its own.
fn with_password(url: &str) -> String {
    url.replacen("postgres://postgres@", &format!("postgres://postgres:{SECRET}@"), 1)
}

/// A versions directory holding `files` (name, bytes).
fn dir_with(files: &[(&str, Vec<u8>)]) -> PathBuf {
    let dir = retort_tests::temp_dir("retort_bad_input");
    for (name, bytes) in files {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
    dir
}

fn sql(id: &str, revises: &str, body: &str) -> Vec<u8> {
    format!("-- Rev {id}\n--\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- upgrade\n{body}\n\n-- downgrade\nSELECT 1;\n")
        .into_bytes()
}

fn retort(dir: &Path, url: &str, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_retort"))
        .env_remove("DATABASE_URL")
        .arg("--dir")
        .arg(dir)
        .args(["--database-url", url])
        .args(args)
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code().unwrap_or(-1), text)
}

struct Case {
    name: &'static str,
    files: Vec<(&'static str, Vec<u8>)>,
    args: Vec<&'static str>,
    /// What the output must say (a file and line, or the cause).
    says: &'static str,
}

fn cases() -> Vec<Case> {
    let good = sql("aaaa0001", "", "CREATE TABLE t_a (id INTEGER);");
    let mut garbage: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
    garbage.splice(0..0, b"-- Revision ID: bbbb0002\n".iter().copied());
    let mut huge = b"-- Revision ID: bbbb0002\n-- Revises: aaaa0001\n\n-- upgrade\n".to_vec();
    while huge.len() < 50 << 20 {
        huge.extend_from_slice(b"INSERT INTO t_a VALUES (1); -- filler to make a 50 MB file of many statements\n");
    }
    huge.extend_from_slice(b"INSERT INTO t_a VALUES ('never closed);\n");
    vec![
        Case {
            name: "binary garbage",
            files: vec![("aaaa0001_a.sql", good.clone()), ("bbbb0002_b.sql", garbage)],
            args: vec!["upgrade", "head"],
            says: "bbbb0002_b.sql",
        },
        Case {
            name: "invalid UTF-8",
            files: vec![
                ("aaaa0001_a.sql", good.clone()),
                ("bbbb0002_b.sql", b"-- Revision ID: bbbb0002\n\xff\xfe\n".to_vec()),
            ],
            args: vec!["upgrade", "head"],
            says: "bbbb0002_b.sql: the file is not UTF-8 text",
        },
        Case {
            name: "a NUL byte",
            files: vec![
                ("aaaa0001_a.sql", good.clone()),
                ("bbbb0002_b.sql", sql("bbbb0002", "aaaa0001", "INSERT INTO t_a VALUES (1)\0, (2);")),
            ],
            args: vec!["upgrade", "head"],
            says: "bbbb0002_b.sql:7:27: a NUL character",
        },
        Case {
            name: "a 50 MB file with an unterminated string at its end",
            files: vec![("aaaa0001_a.sql", good.clone()), ("bbbb0002_b.sql", huge)],
            args: vec!["upgrade", "head"],
            says: "unterminated string literal",
        },
        Case {
            name: "an id too long",
            files: vec![("aaaa0001_a.sql", sql(&"a".repeat(40), "", "SELECT 1;"))],
            args: vec!["upgrade", "head"],
            says: "aaaa0001_a.sql:3: revision identifier",
        },
        Case {
            name: "a duplicate id",
            files: vec![("aaaa0001_a.sql", good.clone()), ("aaaa0001_b.sql", good.clone())],
            args: vec!["upgrade", "head"],
            says: "aaaa0001_b.sql:3",
        },
        Case {
            name: "a cycle",
            files: vec![
                ("aaaa0001_a.sql", sql("aaaa0001", "bbbb0002", "SELECT 1;")),
                ("bbbb0002_b.sql", sql("bbbb0002", "aaaa0001", "SELECT 1;")),
            ],
            args: vec!["upgrade", "head"],
            says: "aaaa0001_a.sql:4: Cycle is detected",
        },
        Case {
            name: "an unknown parent",
            files: vec![("aaaa0001_a.sql", sql("aaaa0001", "ffff9999", "SELECT 1;"))],
            args: vec!["upgrade", "head"],
            says: "aaaa0001_a.sql:4",
        },
        Case {
            name: "a failing statement mid-revision",
            files: vec![
                ("aaaa0001_a.sql", good.clone()),
                (
                    "bbbb0002_b.sql",
                    sql("bbbb0002", "aaaa0001", "CREATE TABLE t_b (id INTEGER);\nINSERT INTO nowhere VALUES (1);"),
                ),
            ],
            args: vec!["upgrade", "head"],
            says: "bbbb0002_b.sql:8",
        },
        Case {
            name: "a downgrade through an irreversible revision",
            files: vec![(
                "aaaa0001_a.sql",
                b"-- Revision ID: aaaa0001\n-- Revises:\n\n-- upgrade\nCREATE TABLE t_a (id INTEGER);\n".to_vec(),
            )],
            args: vec!["downgrade", "base"],
            says: "no `-- downgrade` section",
        },
    ]
}

#[test]
fn bad_urls_and_unreachable_servers_fail_with_the_cause_and_no_password() {
    let dir = dir_with(&[("aaaa0001_a.sql", sql("aaaa0001", "", "SELECT 1;"))]);
    let mut urls = vec![
        (format!("oracle://app:{SECRET}@db/app"), "unsupported database URL scheme 'oracle'"),
        (format!("postgres://app:{SECRET}@127.0.0.1:5999/app"), "connection refused"),
        (format!("mysql://app:{SECRET}@127.0.0.1:5999/app"), "connection refused"),
        (format!("postgres:app:{SECRET}@127.0.0.1:5432/app"), "the URL has no `//`"),
    ];
    if backends().contains(&Backend::MySql) {
        let admin = std::env::var("RETORT_TEST_MYSQL_URL").unwrap();
        urls.push((admin.replacen("://root@", &format!("://root:{SECRET}@"), 1), "authentication failed"));
    }
    for (url, says) in urls {
        let (code, text) = retort(&dir, &url, &["upgrade", "head"]);
        assert_eq!(code, 255, "{url}: {text}");
        assert!(text.starts_with("FAILED: ") && text.contains(says), "{says}: {text}");
        assert!(!text.contains(SECRET), "printed the password: {text}");
    }
}

#[tokio::test]
async fn an_empty_directory_does_nothing_as_alembic_does_and_says_it_is_empty() {
    let db = TestDb::create(Backend::Sqlite).await;
    let dir = dir_with(&[]);
    let (code, text) = retort(&dir, &db.url, &["upgrade", "head"]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("warning: ") && text.contains("holds no revision files"), "{text}");
    let pool = db.pool().await;
    assert_eq!(schema_of(&pool).await, (Vec::new(), Vec::new()), "nothing created");
    db.finish(pool).await;
    let (code, text) = retort(&dir.join("missing"), "sqlite::memory:", &["upgrade", "head"]);
    assert_eq!(code, 255, "{text}");
    assert!(text.contains("FAILED: ") && text.contains("missing"), "{text}");
}

#[tokio::test]
async fn bad_input_fails_cleanly_changes_nothing_and_prints_no_password() {
    for backend in backends() {
        for case in cases() {
            let db = TestDb::create(backend).await;
            let url = with_password(&db.url);
            let dir = dir_with(&case.files);
            if case.name.starts_with("a downgrade") {
                // At head first, so that the downgrade has something to undo.
                let (code, text) = retort(&dir, &url, &["upgrade", "head"]);
                assert_eq!(code, 0, "{text}");
            }
            let pool = db.pool().await;
            let before = schema_of(&pool).await;
            let (code, text) = retort(&dir, &url, &case.args);
            let what = format!("{backend:?}, {}", case.name);
            assert_eq!(code, 255, "{what}: {text}");
            assert!(text.contains("FAILED: "), "{what}: {text}");
            assert!(!text.contains("panicked"), "{what}: {text}");
            assert!(text.contains(case.says), "{what}: expected {:?} in {text}", case.says);
            assert!(!text.contains(SECRET), "{what}: printed the password: {text}");
            let after = schema_of(&pool).await;
            if !(backend == Backend::MySql && case.name == "a failing statement mid-revision") {
                assert_eq!(before, after, "{what}: the database changed");
            }
            db.finish(pool).await;
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// The tables and the version rows, to compare before and after.
async fn schema_of(pool: &retort_tests::Pool) -> (Vec<String>, Vec<String>) {
    let tables = pool.table_names().await;
    let rows =
        if tables.iter().any(|t| t == "alembic_version") { pool.versions("alembic_version").await } else { Vec::new() };
    (tables, rows)
}
