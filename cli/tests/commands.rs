//! The `retort` binary end to end on SQLite (and PostgreSQL when
//! `RETORT_TEST_POSTGRES_URL` is set): the text users read, exit codes,
//! `FAILED:` lines.

use std::path::Path;
use std::process::Command;

fn shop() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/alembic/versions").display().to_string()
}

/// Runs the command: its exit status, stdout and stderr.
fn output(command: &mut Command) -> (i32, String, String) {
    let out = command.env_remove("DATABASE_URL").output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn retort(url: &str, args: &[&str]) -> (i32, String, String) {
    output(Command::new(env!("CARGO_BIN_EXE_retort")).args(["--dir", &shop(), "--database-url", url]).args(args))
}

fn sqlite_url(name: &str) -> String {
    let path = std::env::temp_dir().join(format!("retort-cli-{name}-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    format!("sqlite://{}", path.display())
}

#[test]
fn history_heads_and_branches_print_alembics_text() {
    let url = sqlite_url("text");
    let (code, history, _) = retort(&url, &["history"]);
    assert_eq!(code, 0);
    assert_eq!(
        history,
        "3b8f0c1d2e4a, 4d2e9a7b5c10 -> 5a1f3c9e8d77 (reporting) (head) (mergepoint), Merge reporting and status\n\
         27c6a30d7c24 -> 3b8f0c1d2e4a (reporting), Index orders by date\n\
         27c6a30d7c24 -> 4d2e9a7b5c10, Add an order status\n\
         1975ea83b712 -> 27c6a30d7c24 (branchpoint), Create orders\n\
         <base> -> 1975ea83b712, Create customers\n"
    );
    assert_eq!(retort(&url, &["heads"]).1, "5a1f3c9e8d77 (reporting) (head)\n");
    assert_eq!(
        retort(&url, &["branches"]).1,
        "27c6a30d7c24 (branchpoint)\n             -> 3b8f0c1d2e4a (reporting)\n             -> 4d2e9a7b5c10\n\n"
    );
    let (_, show, _) = retort(&url, &["show", "1975"]);
    assert!(show.starts_with("Rev: 1975ea83b712\nParent: <base>\nPath: "), "{show}");
    assert!(show.contains("\n    Create customers\n"), "{show}");
}

#[tokio::test]
async fn a_database_goes_up_down_and_is_stamped() {
    for backend in retort_tests::backends() {
        let db = retort_tests::TestDb::create(backend).await;
        let url = db.url.clone();
        let (code, _, stderr) = retort(&url, &["upgrade", "head"]);
        assert_eq!(code, 0, "{stderr}");
        assert!(stderr.contains("Running upgrade  -> 1975ea83b712, Create customers"), "{stderr}");
        assert_eq!(retort(&url, &["current"]).1, "5a1f3c9e8d77 (head) (mergepoint)\n");
        assert!(retort(&url, &["history", "-i"]).1.contains("(head) (current) (mergepoint)"));
        let (code, _, stderr) = retort(&url, &["downgrade", "-1"]);
        assert_eq!(code, 255, "a merge point's -1 is ambiguous, as in Alembic");
        assert!(stderr.starts_with("FAILED: Ambiguous walk"), "{stderr}");
        assert_eq!(retort(&url, &["downgrade", "27c6a30d7c24"]).0, 0);
        assert_eq!(retort(&url, &["current"]).1, "27c6a30d7c24 (branchpoint)\n");
        let (code, _, stderr) = retort(&url, &["current", "--check-heads"]);
        assert_eq!((code, stderr.as_str()), (255, "FAILED: Database is not on all head revisions\n"));
        assert_eq!(retort(&url, &["stamp", "heads"]).0, 0);
        assert_eq!(retort(&url, &["current"]).1, "5a1f3c9e8d77 (head) (mergepoint)\n");
        // The stamp ran no SQL: the index of 3b8f0c1d2e4a is not there, so
        // downgrading through it fails and names it; stamp back first.
        let (code, _, stderr) = retort(&url, &["downgrade", "base"]);
        assert_eq!(code, 255);
        assert!(stderr.contains("revision 3b8f0c1d2e4a failed at "), "{stderr}");
        assert_eq!(retort(&url, &["stamp", "27c6a30d7c24"]).0, 0);
        assert_eq!(retort(&url, &["downgrade", "base"]).0, 0, "{backend:?}");
        assert_eq!(retort(&url, &["current"]).1, "");
        db.drop_db().await;
    }
}

#[test]
fn offline_sql_touches_no_database() {
    let url = "postgres://nobody:secret@127.0.0.1:1/none";
    let (code, sql, stderr) = retort(url, &["upgrade", "--sql", "base:27c6a30d7c24"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(sql.starts_with("BEGIN;\n\nCREATE TABLE \"alembic_version\""), "{sql}");
    assert!(sql.contains("-- Running upgrade 1975ea83b712 -> 27c6a30d7c24"), "{sql}");
    assert_eq!(sql.matches("COMMIT;").count(), 1, "one transaction for the run: {sql}");
    let (code, per_revision, stderr) =
        retort(url, &["upgrade", "--sql", "--transaction-per-revision", "base:27c6a30d7c24"]);
    assert_eq!(code, 0, "{stderr}");
    let steps = per_revision.matches("-- Running upgrade").count();
    assert!(steps > 1, "{per_revision}");
    assert_eq!(per_revision.matches("COMMIT;").count(), steps, "one transaction per revision: {per_revision}");
    let out = Command::new(env!("CARGO_BIN_EXE_retort"))
        .args(["--dir", &shop(), "--dialect", "mysql", "upgrade", "--sql", "head"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    let mysql = String::from_utf8_lossy(&out.stdout);
    assert!(mysql.starts_with("CREATE TABLE `alembic_version`"), "{mysql}");
    let (code, _, stderr) = retort(url, &["downgrade", "--sql", "base"]);
    assert_eq!(code, 255);
    assert_eq!(stderr, "FAILED: downgrade with --sql requires <fromrev>:<torev>\n");
    let (code, _, stderr) = retort(url, &["upgrade", "base:head"]);
    assert_eq!((code, stderr.as_str()), (255, "FAILED: Range revision not allowed\n"));
}

#[test]
fn failures_say_failed_exit_255_and_hide_passwords() {
    let (code, _, stderr) = retort("postgres://app:hunter2@127.0.0.1:1/app", &["current"]);
    assert_eq!(code, 255);
    assert!(stderr.starts_with("FAILED: cannot connect to 127.0.0.1:1: connection refused"), "{stderr}");
    assert!(!stderr.contains("hunter2"));
    let (code, _, stderr) = retort(&sqlite_url("fail"), &["upgrade", "nope"]);
    assert_eq!(code, 255);
    assert!(stderr.starts_with("FAILED: Can't locate revision identified by 'nope'"), "{stderr}");
}

fn retort_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    // Run from the project's root (two levels above the versions).
    let root = dir.parent().and_then(Path::parent).unwrap();
    std::fs::create_dir_all(root).unwrap();
    output(Command::new(env!("CARGO_BIN_EXE_retort")).current_dir(root).arg("--dir").arg(dir).args(args))
}

#[test]
fn init_revision_and_merge_write_files_that_check_accepts() {
    let root = std::env::temp_dir().join(format!("retort-cli-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("alembic/versions");
    let (code, out, _) = retort_in(&dir, &["init"]);
    assert_eq!(code, 0);
    assert!(out.contains("Creating directory"), "{out}");
    assert!(out.contains("retort.toml ...  done"), "{out}");
    let toml = std::fs::read_to_string(root.join("retort.toml")).unwrap();
    assert!(toml.contains(&format!("dir = \"{}\"", dir.display())), "{toml}");
    // retort.toml is read: no --dir needed from the project's root.
    let out = Command::new(env!("CARGO_BIN_EXE_retort")).current_dir(&root).arg("heads").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));

    let (code, out, err) = retort_in(&dir, &["revision", "-m", "Create users", "--rev-id", "aaaa00000001"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("aaaa00000001_create_users.sql ...  done"), "{out}");
    assert_eq!(retort_in(&dir, &["revision", "-m", "Add email", "--rev-id", "bbbb00000002"]).0, 0);
    let text = std::fs::read_to_string(dir.join("bbbb00000002_add_email.sql")).unwrap();
    assert!(text.contains("-- Revises: aaaa00000001\n"), "{text}");

    // A branch from a revision that is not a head needs --splice.
    let (code, _, err) = retort_in(&dir, &["revision", "-m", "Side", "--head", "aaaa00000001"]);
    assert_eq!(code, 255);
    assert!(err.contains("Revision aaaa00000001 is not a head revision; please specify --splice"), "{err}");
    assert_eq!(
        retort_in(&dir, &["revision", "-m", "Side", "--head", "aaaa00000001", "--splice", "--rev-id", "cccc00000003"])
            .0,
        0
    );
    let (code, _, err) = retort_in(&dir, &["revision", "-m", "Next"]);
    assert_eq!(code, 255);
    assert!(err.starts_with("FAILED: Multiple heads are present; please specify the head revision"), "{err}");

    let (code, _, err) = retort_in(&dir, &["merge", "-m", "Merge heads", "heads", "--rev-id", "dddd00000004"]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(dir.join("dddd00000004_merge_heads.sql")).unwrap();
    assert!(text.contains("-- Revises: bbbb00000002, cccc00000003\n"), "{text}");
    let (code, out, err) = retort_in(&dir, &["check"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("4 revisions, heads: dddd00000004"), "{out}");
    // A random id is 12 hex digits.
    assert_eq!(retort_in(&dir, &["revision", "-m", "Random id"]).0, 0);
    let random = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .find(|n| n.ends_with("_random_id.sql"))
        .unwrap();
    assert!(random[..12].chars().all(|c| c.is_ascii_hexdigit()), "{random}");
    let (code, _, err) = retort_in(&dir, &["init"]);
    assert_eq!(code, 255);
    assert!(err.contains("already exists and is not empty"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn an_alembic_project_runs_with_no_setup() {
    let project = std::env::temp_dir().join(format!("retort-cli-alembic-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&project);
    let versions = project.join("migrations/versions");
    std::fs::create_dir_all(&versions).unwrap();
    for entry in std::fs::read_dir(shop()).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, versions.join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        project.join("alembic.ini"),
        "[alembic]\nscript_location = %(here)s/migrations\nsqlalchemy.url = sqlite:///app.db\n\n[loggers]\nkeys = root\n",
    )
    .unwrap();
    let run = |args: &[&str]| output(Command::new(env!("CARGO_BIN_EXE_retort")).args(args).current_dir(&project));
    let (code, out, err) = run(&["current"]);
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert!(project.join("app.db").exists(), "a missing SQLite file is created, as Alembic does");
    assert_eq!(run(&["upgrade", "head"]).0, 0);
    assert_eq!(run(&["current"]).1, "5a1f3c9e8d77 (head) (mergepoint)\n");
    std::fs::remove_dir_all(&project).unwrap();
}

#[test]
fn scripts_get_json_and_quiet_runs_print_nothing() {
    let url = sqlite_url("json");
    let (code, out, _) = retort(&url, &["heads", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("[{\"revision\":\"5a1f3c9e8d77\",\"down_revisions\":[\"3b8f0c1d2e4a\",\"4d2e9a7b5c10\"],\"branch_labels\":[\"reporting\"]"), "{out}");
    assert!(out.contains("\"head\":true,\"branch_point\":false,\"merge_point\":true,\"current\":false}]"), "{out}");
    let (code, out, err) = retort(&url, &["upgrade", "27c6a30d7c24", "-q"]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (code, _, err) = retort(&url, &["upgrade", "head", "-v"]);
    assert_eq!(code, 0);
    assert!(err.contains("    line 8: ALTER TABLE orders ADD COLUMN status"), "{err}");
    let (code, _, _) = retort(&url, &["ensure-version"]);
    assert_eq!(code, 0);
    let (_, out, _) = retort(&url, &["current", "--format", "json"]);
    assert!(out.contains("\"revision\":\"5a1f3c9e8d77\"") && out.contains("\"current\":true"), "{out}");
    let (_, out, _) = retort(&url, &["history", "--format", "json"]);
    assert_eq!(out.matches("\"revision\":").count(), 5, "{out}");
}

#[test]
fn a_terminal_sees_which_revision_runs_of_how_many_and_how_long() {
    // `script` (util-linux) gives the command a terminal.
    let url = sqlite_url("tty");
    let command = format!("{} --dir {} --database-url {url} upgrade head", env!("CARGO_BIN_EXE_retort"), shop());
    let out =
        Command::new("script").args(["-q", "-c", &command, "/dev/null"]).env_remove("DATABASE_URL").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[1/5] Running upgrade  -> 1975ea83b712, Create customers ... done in "), "{text}");
    assert!(text.contains("[5/5] Running upgrade 3b8f0c1d2e4a, 4d2e9a7b5c10 -> 5a1f3c9e8d77"), "{text}");
}

#[test]
fn transaction_per_revision_keeps_the_revisions_before_a_failure() {
    let dir = std::env::temp_dir().join(format!("retort-cli-tpr-{}/alembic/versions", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let revision = |id: &str, revises: &str, up: &str| {
        let text =
            format!("-- {id}\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- upgrade\n{up}\n\n-- downgrade\n");
        std::fs::write(dir.join(format!("{id}_x.sql")), text).unwrap();
    };
    revision("aaaa0001", "", "CREATE TABLE kept (id INTEGER);");
    revision("bbbb0002", "aaaa0001", "INSERT INTO nowhere VALUES (1);");
    let url = sqlite_url("tpr");
    let run = |args: &[&str]| {
        output(
            Command::new(env!("CARGO_BIN_EXE_retort")).arg("--dir").arg(&dir).args(["--database-url", &url]).args(args),
        )
    };
    // By default the whole run is one transaction: nothing stays.
    let (code, _, err) = run(&["upgrade", "head"]);
    assert_eq!(code, 255, "{err}");
    assert!(err.contains("the run was rolled back"), "{err}");
    assert_eq!(run(&["current"]).1, "");
    // One per revision: the first revision stays.
    let (code, _, err) = run(&["upgrade", "head", "--transaction-per-revision"]);
    assert_eq!(code, 255, "{err}");
    assert!(err.contains("revision bbbb0002 failed"), "{err}");
    assert_eq!(run(&["current"]).1, "aaaa0001\n");
}

#[test]
fn an_unreachable_server_fails_at_once_with_its_cause_and_an_opt_in_wait_retries() {
    for (url, cause) in [
        ("postgres://app:hunter2@127.0.0.1:5999/app", "cannot connect to 127.0.0.1:5999: connection refused"),
        ("mysql://root:hunter2@127.0.0.1:5999/app", "cannot connect to 127.0.0.1:5999: connection refused"),
        ("postgres://app:hunter2@no-such-host.invalid/app", "unknown host: no-such-host.invalid does not resolve"),
        ("mysql:root:hunter2@127.0.0.1:5999/app", "the URL has no `//` after `mysql:`"),
        ("oracle://app:hunter2@db/app", "unsupported database URL scheme 'oracle'"),
    ] {
        let (code, out, err) = retort(url, &["current"]);
        assert_eq!(code, 255, "{url}: {err}");
        assert!(err.starts_with("FAILED: ") && err.contains(cause), "{url}: {err}");
        assert!(!err.contains("pool timed out") && !format!("{out}{err}").contains("hunter2"), "{url}: {err}");
    }
    let (code, _, err) = retort("postgres://app:hunter2@127.0.0.1:5999/app", &["--wait-for-database", "1s", "current"]);
    assert_eq!(code, 255);
    assert!(err.contains("waiting up to 1 s for the database"), "{err}");
    assert!(err.contains("connection refused") && err.contains("gave up after 1.0 s and"), "{err}");
}

#[test]
fn no_output_holds_a_password_whatever_the_shape_of_its_url() {
    let secret = "s3cretPW";
    let mut cases: Vec<Vec<String>> = vec![
        // A URL as a stray argument: clap's usage error quotes it.
        vec!["current".into(), format!("postgres://postgres:{secret}@127.0.0.1/x")],
        vec![
            "--database-url".into(),
            format!("postgres://postgres:{secret}@127.0.0.1:5999/x?sslmode=disable"),
            "current".into(),
        ],
        vec!["--database-url".into(), format!("postgres://db/x?password={secret}'"), "current".into()],
    ];
    let mysql = std::env::var("RETORT_TEST_MYSQL_URL").is_ok();
    assert!(mysql || std::env::var_os("CI").is_none(), "CI must run this against MariaDB");
    if mysql {
        // The server echoes pieces of these back in its own messages.
        for url in [
            format!("mysql://root:{secret}@127.0.0.1:3306/x"),
            "mysql://root:s3cret PW@127.0.0.1:3306/x".to_owned(),
            format!("mysql://root:{secret}@127.0.0.1:3306/x?ssl-mode=disabled"),
        ] {
            cases.push(vec!["--database-url".into(), url, "current".into()]);
        }
    }
    for args in &cases {
        let (code, out, err) = output(Command::new(env!("CARGO_BIN_EXE_retort")).args(["--dir", &shop()]).args(args));
        assert_ne!(code, 0, "{args:?}");
        let all = format!("{out}{err}");
        assert!(!all.contains(secret) && !all.contains("s3cret PW"), "{args:?} printed a password: {all}");
    }
}
