//! Reading a schema of N tables (10 columns, 2 indexes and 1 foreign key
//! each): retort beside SQLAlchemy's reflection (what Alembic's
//! autogenerate reads) and the engines' own dump tools, in one run, each a
//! whole process, median of the rounds.
//!
//! ```text
//! cargo build --release -p retort-cli
//! cargo run --release -p retort-bench --bin introspection -- [read|autogenerate|check] [N …] [--rounds R]
//! ```
//!
//! Then `retort check` on an SQLite database of N tables made by 100
//! revisions, with one table no revision made: the schema its revisions make
//! is built in a scratch database in memory, read back and compared.
//!
//! Last, autogenerate for N tables with one change: retort end to end
//! (`revision --autogenerate --against-database`: the live database at
//! head read, the schema file built in a scratch database and read, the two
//! compared, the revision written) beside Alembic's `compare_metadata`
//! against the same database, timed inside Python without the import of the
//! models (stood in for by reflecting a database of the wanted schema).
//!
//! SQLite always; PostgreSQL with `RETORT_BENCH_POSTGRES_URL`, MySQL/MariaDB
//! with `RETORT_BENCH_MYSQL_URL` (servers where a database may be created and
//! dropped); SQLAlchemy with `RETORT_PYTHON` (a Python with the packages of
//! `requirements-test.txt`). A tool that is not installed is a cell that
//! says so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use sqlx::Connection;

const DB: &str = "retort_bench_schema";

#[derive(Clone, Copy, PartialEq)]
enum Engine {
    Sqlite,
    Postgres,
    MySql,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "SQLite",
            Engine::Postgres => "PostgreSQL",
            Engine::MySql => "MariaDB",
        }
    }
}

/// The DDL of `n` tables.
fn schema_sql(n: usize) -> String {
    let mut sql = String::new();
    for i in 0..n {
        let parent = if i == 0 { 0 } else { i - 1 };
        let columns: String = (1..=8)
            .map(|c| {
                if c % 2 == 0 {
                    format!(", c{c} INTEGER DEFAULT {c}")
                } else {
                    format!(", c{c} VARCHAR(50) NOT NULL DEFAULT 'x'")
                }
            })
            .collect();
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, parent_id INTEGER{columns}, FOREIGN KEY (parent_id) REFERENCES t{parent} (id));\n"
        ));
        sql.push_str(&format!("CREATE INDEX ix_t{i}_c1 ON t{i} (c1);\nCREATE INDEX ix_t{i}_c2_c3 ON t{i} (c2, c3);\n"));
    }
    sql
}

/// A fresh database holding `n` tables; its URL.
async fn build(engine: Engine, admin: &str, n: usize) -> String {
    build_named(engine, admin, DB, &schema_sql(n)).await
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, String::new()), |(b, q)| (b, format!("?{q}")));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    match base[scheme_end..].find('/') {
        Some(i) => format!("{}/{name}{query}", &base[..scheme_end + i]),
        None => format!("{base}/{name}{query}"),
    }
}

/// A tool's command line for the database at `url`, or why it cannot run.
fn command(tool: &str, engine: Engine, url: &str, root: &Path) -> Result<Command, String> {
    let have = |program: &str| {
        Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    let sqlite_path = url.trim_start_matches("sqlite://").to_owned();
    match tool {
        "retort schema" => {
            let binary = root.join("target/release/retort");
            if !binary.exists() {
                return Err("build it: cargo build --release -p retort-cli".to_owned());
            }
            let mut c = Command::new(binary);
            c.args(["--database-url", url, "schema"]);
            Ok(c)
        }
        "SQLAlchemy reflect" => {
            let python = std::env::var_os("RETORT_PYTHON").map(PathBuf::from).ok_or("set RETORT_PYTHON")?;
            let mut c = Command::new(python);
            c.arg(root.join("tests/python/reflect.py")).arg(url);
            Ok(c)
        }
        "dump tool" => match engine {
            Engine::Sqlite if have("sqlite3") => {
                let mut c = Command::new("sqlite3");
                c.args([&sqlite_path, ".schema"]);
                Ok(c)
            }
            Engine::Postgres if have("pg_dump") => {
                let mut c = Command::new("pg_dump");
                c.args(["--schema-only", "--dbname", url]);
                Ok(c)
            }
            Engine::MySql if have("mysqldump") => {
                let rest = url.trim_start_matches("mysql://");
                let (auth, host) = rest.split_once('@').unwrap_or(("root", rest));
                let (user, password) = auth.split_once(':').unwrap_or((auth, ""));
                let host_port = host.split('/').next().unwrap_or("127.0.0.1:3306");
                let (host, port) = host_port.split_once(':').unwrap_or((host_port, "3306"));
                let mut c = Command::new("mysqldump");
                c.args(["--no-data", "-h", host, "-P", port, "-u", user]);
                if !password.is_empty() {
                    c.arg(format!("-p{password}"));
                }
                c.arg(DB);
                Ok(c)
            }
            _ => Err("not installed".to_owned()),
        },
        _ => Err("unknown tool".to_owned()),
    }
}

/// `retort check` (with drift) on SQLite: 100 revisions making `n` tables,
/// and one table made by hand.
fn check_with_drift(root: &Path, n: usize, rounds: usize) -> Result<(Duration, u64), String> {
    let dir = std::env::temp_dir().join("retort_bench_check");
    let _ = std::fs::remove_dir_all(&dir);
    let versions = dir.join("versions");
    std::fs::create_dir_all(&versions).map_err(|e| e.to_string())?;
    let ddl: Vec<String> = schema_sql(n).lines().map(str::to_owned).collect();
    let per = ddl.len().div_ceil(100);
    for (i, chunk) in ddl.chunks(per.max(1)).enumerate() {
        let id = format!("{:012x}", i + 1);
        let parent = if i == 0 { String::new() } else { format!("{i:012x}") };
        let text = format!(
            "-- part {i}\n-- Revision ID: {id}\n-- Revises: {parent}\n\n-- upgrade\n{}\n\n-- downgrade\n",
            chunk.join("\n")
        );
        std::fs::write(versions.join(format!("{id}_part.sql")), text).map_err(|e| e.to_string())?;
    }
    let binary = root.join("target/release/retort");
    let url = format!("sqlite://{}", dir.join("live.db").display());
    let retort = |args: &[&str]| {
        let mut c = Command::new(&binary);
        c.arg("--dir").arg(&versions).args(["--database-url", &url]).args(args);
        c
    };
    let status = retort(&["upgrade", "head", "-q"]).status().map_err(|e| e.to_string())?;
    if !status.success() {
        return Err("upgrade failed".to_owned());
    }
    let live = dir.join("live.db");
    let sql = "CREATE TABLE made_by_hand (id INTEGER PRIMARY KEY);";
    Command::new("sqlite3").arg(&live).arg(sql).status().map_err(|e| e.to_string())?;
    let mut walls = Vec::new();
    let mut peak = 0;
    for _ in 0..rounds {
        // `check` exits 1 on drift: that is the point here.
        let mut command = retort(&["check"]);
        let started = Instant::now();
        let out = command.output().map_err(|e| e.to_string())?;
        walls.push(started.elapsed());
        if !String::from_utf8_lossy(&out.stdout).contains("+ table made_by_hand") {
            return Err(format!("no drift reported: {}", String::from_utf8_lossy(&out.stderr)));
        }
        peak = peak.max(run_once(retort(&["check"])).map(|(_, kib)| kib).unwrap_or(0));
    }
    walls.sort();
    Ok((walls[walls.len() / 2], peak))
}

/// `revision --autogenerate` on `engine` with `n` tables and one change,
/// retort's whole process against Alembic's `compare_metadata` alone.
async fn autogenerate(
    engine: Engine,
    admin: &str,
    n: usize,
    rounds: usize,
    root: &Path,
) -> Result<(Duration, Duration), String> {
    let dir = std::env::temp_dir().join("retort_bench_autogenerate");
    let _ = std::fs::remove_dir_all(&dir);
    let versions = dir.join("versions");
    std::fs::create_dir_all(&versions).map_err(|e| e.to_string())?;
    let ddl = schema_sql(n);
    std::fs::write(
        versions.join("aaaa0001_all.sql"),
        format!("-- all\n-- Revision ID: aaaa0001\n-- Revises:\n\n-- upgrade\n{ddl}\n-- downgrade\n"),
    )
    .map_err(|e| e.to_string())?;
    let wanted = ddl.replacen(
        "CREATE TABLE t0 (id INTEGER PRIMARY KEY,",
        "CREATE TABLE t0 (id INTEGER PRIMARY KEY, added INTEGER,",
        1,
    );
    let schema_file = dir.join("schema.sql");
    std::fs::write(&schema_file, &wanted).map_err(|e| e.to_string())?;
    // The head: a database upgraded by retort; the wanted schema in another
    // (Alembic's stand-in for the models).
    let head = build(engine, admin, 0).await;
    let binary = root.join("target/release/retort");
    let retort = |args: &[&str]| {
        let mut c = Command::new(&binary);
        c.arg("--dir").arg(&versions).args(["--database-url", &head]).args(args);
        c
    };
    let out = retort(&["upgrade", "head", "-q"]).output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!("upgrade: {}", String::from_utf8_lossy(&out.stderr)));
    }
    let desired = build_named(engine, admin, &format!("{DB}_wanted"), &wanted).await;
    let python = std::env::var_os("RETORT_PYTHON").map(PathBuf::from).ok_or("set RETORT_PYTHON")?;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let schema = schema_file.to_str().unwrap_or_default();
        let message = format!("round {round}");
        let args = ["revision", "--autogenerate", "--against-database", "--schema-file", schema, "-m", &message];
        let started = Instant::now();
        let out = retort(&args).output().map_err(|e| e.to_string())?;
        ours.push(started.elapsed());
        if !String::from_utf8_lossy(&out.stderr).contains("t0.added") {
            return Err(format!("retort found no change: {}", String::from_utf8_lossy(&out.stderr)));
        }
        for entry in std::fs::read_dir(&versions).map_err(|e| e.to_string())?.flatten() {
            if !entry.file_name().to_string_lossy().starts_with("aaaa0001") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let out = Command::new(&python)
            .arg(root.join("tests/python/compare.py"))
            .args([&head, &desired])
            .env("RETORT_TIME_COMPARE", "1")
            .output()
            .map_err(|e| e.to_string())?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let seconds: f64 = stderr
            .lines()
            .find_map(|l| l.strip_prefix("compare_metadata: ")?.trim_end_matches(" s").parse().ok())
            .ok_or_else(|| format!("compare.py: {stderr}"))?;
        theirs.push(Duration::from_secs_f64(seconds));
    }
    ours.sort();
    theirs.sort();
    Ok((ours[ours.len() / 2], theirs[theirs.len() / 2]))
}

/// A fresh database called `name` holding `sql`; its URL.
async fn build_named(engine: Engine, admin: &str, name: &str, sql: &str) -> String {
    match engine {
        Engine::Sqlite => {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let _ = std::fs::remove_file(&path);
            let url = format!("sqlite://{}", path.display());
            let mut conn = sqlx::SqliteConnection::connect(&format!("{url}?mode=rwc")).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("BEGIN;\n{sql}COMMIT;"))).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            url
        }
        Engine::Postgres => {
            let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
            for statement in [format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"), format!("CREATE DATABASE {name}")]
            {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut conn).await.unwrap();
            }
            conn.close().await.unwrap();
            let url = with_database(admin, name);
            let mut conn = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("BEGIN;\n{sql}COMMIT;"))).execute(&mut conn).await.unwrap();
            conn.close().await.unwrap();
            url
        }
        Engine::MySql => {
            let mut conn = sqlx::MySqlConnection::connect(admin).await.unwrap();
            for statement in [format!("DROP DATABASE IF EXISTS {name}"), format!("CREATE DATABASE {name}")] {
                sqlx::raw_sql(sqlx::AssertSqlSafe(statement)).execute(&mut conn).await.unwrap();
            }
            conn.close().await.unwrap();
            let url = with_database(admin, name);
            let mut conn = sqlx::MySqlConnection::connect(&url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(format!("SET FOREIGN_KEY_CHECKS = 0;\n{sql}")))
                .execute(&mut conn)
                .await
                .unwrap();
            conn.close().await.unwrap();
            url
        }
    }
}

/// Wall time and peak memory (GNU time's maximum resident set, when
/// `/usr/bin/time` exists) of one run.
fn run_once(mut command: Command) -> Result<(Duration, u64), String> {
    let time = Path::new("/usr/bin/time");
    let mut wrapped = if time.exists() {
        let mut w = Command::new(time);
        w.args(["-f", "%M"]).arg(command.get_program()).args(command.get_args());
        w
    } else {
        std::mem::replace(&mut command, Command::new("true"))
    };
    let started = Instant::now();
    let out = wrapped.stdout(Stdio::null()).stderr(Stdio::piped()).output().map_err(|e| e.to_string())?;
    let wall = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `check` exits 1 when it finds drift, which the check bench wants.
    if !out.status.success() && out.status.code() != Some(1) {
        return Err(stderr.lines().last().unwrap_or("failed").to_owned());
    }
    let peak = stderr.lines().last().and_then(|l| l.trim().parse().ok()).unwrap_or(0);
    Ok((wall, peak))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut sizes = Vec::new();
    let mut rounds = 5usize;
    let mut parts: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => rounds = args.next().and_then(|r| r.parse().ok()).unwrap_or(rounds),
            "read" | "autogenerate" | "check" => parts.push(arg),
            n => sizes.push(
                n.replace(',', "").parse().expect("usage: introspection [read|autogenerate|check] [N …] [--rounds R]"),
            ),
        }
    }
    if sizes.is_empty() {
        sizes = vec![100, 1000];
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut engines = vec![(Engine::Sqlite, String::new())];
    if let Ok(url) = std::env::var("RETORT_BENCH_POSTGRES_URL") {
        engines.push((Engine::Postgres, url));
    }
    if let Ok(url) = std::env::var("RETORT_BENCH_MYSQL_URL") {
        engines.push((Engine::MySql, url));
    }
    let runs = |part: &str| parts.is_empty() || parts.iter().any(|p| p == part);
    let tools = ["retort schema", "SQLAlchemy reflect", "dump tool"];
    println!("| engine | tables | {} |", tools.map(|t| format!("{t} (median s, peak MiB)")).join(" | "));
    println!("|---|---|{}", "---|".repeat(tools.len()));
    for (engine, admin) in engines.iter().filter(|_| runs("read")) {
        for &n in &sizes {
            let url = build(*engine, admin, n).await;
            let mut cells = Vec::new();
            let mut retort = None;
            for tool in tools {
                let mut walls = Vec::new();
                let mut peak = 0;
                let mut failure = None;
                for _ in 0..rounds {
                    match command(tool, *engine, &url, &root).and_then(run_once) {
                        Ok((wall, kib)) => {
                            walls.push(wall);
                            peak = peak.max(kib);
                        }
                        Err(e) => {
                            failure = Some(e);
                            break;
                        }
                    }
                }
                if let Some(e) = failure {
                    cells.push(format!("— ({e})"));
                    continue;
                }
                walls.sort();
                let median = walls[walls.len() / 2];
                let ratio = match retort {
                    None => {
                        retort = Some(median);
                        String::new()
                    }
                    Some(r) => format!(" = {:.1}× retort", median.as_secs_f64() / r.as_secs_f64()),
                };
                cells.push(format!("{:.3} s, {:.1} MiB{ratio}", median.as_secs_f64(), peak as f64 / 1024.0));
            }
            println!("| {} | {n} | {} |", engine.name(), cells.join(" | "));
        }
    }
    println!(
        "\n| autogenerate, one change | tables | retort, whole process | Alembic `compare_metadata` alone |\n|---|---|---|---|"
    );
    for (engine, admin) in engines.iter().filter(|_| runs("autogenerate")) {
        for &n in &sizes {
            match autogenerate(*engine, admin, n, rounds, &root).await {
                Ok((ours, theirs)) => println!(
                    "| {} | {n} | {:.3} s | {:.3} s ({:.1}×) |",
                    engine.name(),
                    ours.as_secs_f64(),
                    theirs.as_secs_f64(),
                    theirs.as_secs_f64() / ours.as_secs_f64()
                ),
                Err(e) => println!("| {} | {n} | — ({e}) | |", engine.name()),
            }
        }
    }
    println!("\n| `retort check` with drift, SQLite | tables | median s, peak MiB |\n|---|---|---|");
    for &n in sizes.iter().filter(|_| runs("check")) {
        match check_with_drift(&root, n, rounds) {
            Ok((wall, kib)) => {
                println!("| 100 revisions | {n} | {:.3} s, {:.1} MiB |", wall.as_secs_f64(), kib as f64 / 1024.0)
            }
            Err(e) => println!("| 100 revisions | {n} | — ({e}) |"),
        }
    }
}
