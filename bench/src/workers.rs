//! One small program per tool and size, generated as a crate of its own
//! under `target/bench/`, built in release as an application would ship it.
//!
//! Each worker takes a mode and a database URL, does its tool's job in a
//! fresh process, and prints its peak memory (`VmHWM`) on the way out:
//!
//! - `apply`: bring the database to head (the tool's default way);
//! - `query` (raw only): connect and read `alembic_version` once, the floor
//!   of a start at head (run on the database retort brought to head).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Tool {
    /// The same statements in one transaction, no bookkeeping.
    Raw,
    /// `#[retort::migrations]`.
    Retort,
    /// sqlx 0.9's `migrate!`.
    Sqlx,
    /// refinery 0.10's `embed_migrations!`.
    Refinery,
}

impl Tool {
    pub const ALL: [Tool; 4] = [Tool::Raw, Tool::Retort, Tool::Sqlx, Tool::Refinery];

    pub fn name(self) -> &'static str {
        match self {
            Tool::Raw => "raw",
            Tool::Retort => "retort",
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
        }
    }
}

/// The workspace the harness belongs to.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().expect("the workspace exists")
}

/// Where the generated crates and their shared target directory live.
pub fn bench_dir() -> PathBuf {
    workspace().join("target/bench")
}

/// What a generated crate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A program that migrates the database it is given (see above).
    Run,
    /// The revisions embedded and counted, nothing else: what the tool
    /// itself costs the compiler, without an application's own code (whose
    /// use of sqlx's pools alone takes seconds to optimise).
    Compile,
}

/// A generated crate.
pub struct Worker {
    pub tool: Tool,
    pub dir: PathBuf,
    /// Its package name, which is also its binary's.
    pub name: String,
}

/// Prints the process's peak resident memory, read by the harness.
const PEAK_MEMORY: &str = r#"
fn report_peak_memory() {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM:")) {
        println!("{line}");
    }
}

fn args() -> (String, String) {
    let mut args = std::env::args().skip(1);
    (args.next().expect("a mode"), args.next().expect("a database URL"))
}
"#;

/// Runs `$body` with `$pool` bound to a sqlx pool of the URL's database,
/// inside a single-threaded runtime, as a small service would start.
const SQLX_POOL: &str = r#"
macro_rules! with_pool {
    ($url:expr, |$pool:ident| $body:expr) => {
        tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
            if $url.starts_with("postgres") {
                let $pool = sqlx::PgPool::connect(&$url).await.unwrap();
                $body;
                $pool.close().await;
            } else {
                let $pool = sqlx::SqlitePool::connect(&$url).await.unwrap();
                $body;
                $pool.close().await;
            }
        })
    };
}
"#;

/// The most revisions refinery's `embed_migrations!` is given: its release
/// build takes 85 s at 1,000 revisions and had not finished after 16
/// minutes at 10,000 on the 2-core development machine.
pub const REFINERY_EMBED_MAX: usize = 1_000;

fn main_rs(tool: Tool, n: usize) -> String {
    let body = match tool {
        Tool::Raw => r#"
static RAW: &str = include_str!("../raw.sql");

fn main() {
    let (mode, url) = args();
    with_pool!(url, |pool| {
        if mode == "query" {
            sqlx::raw_sql("SELECT version_num FROM alembic_version").fetch_all(&pool).await.unwrap();
        } else {
            let mut tx = pool.begin().await.unwrap();
            for sql in RAW.split(";\n").filter(|s| !s.trim().is_empty()) {
                sqlx::raw_sql(sql).execute(&mut *tx).await.unwrap();
            }
            tx.commit().await.unwrap();
        }
    });
    report_peak_memory();
}
"#
        .to_owned(),
        Tool::Retort => r#"
#[retort::migrations("versions")]
struct Migrations;

fn main() {
    let (_mode, url) = args();
    with_pool!(url, |pool| {
        Migrations::upgrade(&pool, "head").await.unwrap();
    });
    report_peak_memory();
}
"#
        .to_owned(),
        Tool::Sqlx => r#"
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./versions");

fn main() {
    let (_mode, url) = args();
    with_pool!(url, |pool| {
        MIGRATOR.run(&pool).await.unwrap();
    });
    report_peak_memory();
}
"#
        .to_owned(),
        Tool::Refinery => {
            // Past REFINERY_EMBED_MAX revisions its macro's release build does
            // not finish in reasonable time: read the files at run time, as
            // refinery also allows.
            let (embed, runner) = if n <= REFINERY_EMBED_MAX {
                ("refinery::embed_migrations!(\"versions\");", "migrations::runner()")
            } else {
                (
                    "",
                    "refinery::Runner::new(&refinery::load_sql_migrations(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/versions\")).unwrap())",
                )
            };
            format!(
                r#"
{embed}

fn main() {{
    let (_mode, url) = args();
    if url.starts_with("postgres") {{
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        {runner}.run(&mut client).unwrap();
    }} else {{
        let path = url.trim_start_matches("sqlite://").split('?').next().unwrap();
        let mut conn = rusqlite::Connection::open(path).unwrap();
        {runner}.run(&mut conn).unwrap();
    }}
    report_peak_memory();
}}
"#
            )
        }
    };
    let pool = if tool == Tool::Refinery { "" } else { SQLX_POOL };
    format!("{PEAK_MEMORY}{pool}{body}")
}

/// The main of a [`Purpose::Compile`] crate: the embedded revisions, used.
fn compile_main_rs(tool: Tool) -> &'static str {
    match tool {
        Tool::Raw => {
            "static RAW: &str = include_str!(\"../raw.sql\");\n\nfn main() {\n    println!(\"{}\", RAW.len());\n}\n"
        }
        Tool::Retort => {
            "#[retort::migrations(\"versions\")]\nstruct Migrations;\n\nfn main() {\n    println!(\"{}\", Migrations::migrator().graph().len());\n}\n"
        }
        Tool::Sqlx => {
            "static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!(\"./versions\");\n\nfn main() {\n    println!(\"{}\", MIGRATOR.iter().count());\n}\n"
        }
        Tool::Refinery => {
            "refinery::embed_migrations!(\"versions\");\n\nfn main() {\n    println!(\"{}\", migrations::runner().get_migrations().len());\n}\n"
        }
    }
}

fn dependencies(tool: Tool) -> String {
    let sqlx =
        "sqlx = { version = \"0.9\", default-features = false, features = [\"runtime-tokio\", \"sqlite\", \"postgres\"";
    let tokio = "tokio = { version = \"1\", default-features = false, features = [\"rt\"] }";
    match tool {
        Tool::Raw => format!("{sqlx}] }}\n{tokio}\n"),
        Tool::Retort => format!(
            "retort = {{ path = {:?}, default-features = false, features = [\"sqlite\", \"postgres\"] }}\n{sqlx}] }}\n{tokio}\n",
            workspace().join("runtime").display().to_string()
        ),
        Tool::Sqlx => format!("{sqlx}, \"migrate\", \"macros\"] }}\n{tokio}\n"),
        Tool::Refinery => "refinery = { version = \"0.10\", default-features = false, features = [\"rusqlite-bundled\", \"postgres\"] }\n\
             rusqlite = { version = \">=0.23, <=0.40\", default-features = false }\n\
             postgres = { version = \">=0.17, <=0.19\", default-features = false }\n"
            .to_owned(),
    }
}

impl Worker {
    /// Writes the crate for `tool` with `n` revisions (from scratch).
    pub fn generate(tool: Tool, n: usize, purpose: Purpose) -> std::io::Result<Worker> {
        let name = match purpose {
            Purpose::Run => format!("bench-{}-{n}", tool.name()),
            Purpose::Compile => format!("bench-compile-{}-{n}", tool.name()),
        };
        let dir = bench_dir().join(&name);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)?;
        }
        std::fs::create_dir_all(dir.join("src"))?;
        crate::workload::write(tool, &dir, n)?;
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{}\n[workspace]\n",
                dependencies(tool)
            ),
        )?;
        // The one-line build script retort asks for; sqlx and refinery
        // need it as much to see added files.
        std::fs::write(dir.join("build.rs"), "fn main() {\n    println!(\"cargo:rerun-if-changed=versions\");\n}\n")?;
        let main = match purpose {
            Purpose::Run => main_rs(tool, n),
            Purpose::Compile => compile_main_rs(tool).to_owned(),
        };
        std::fs::write(dir.join("src/main.rs"), main)?;
        if tool != Tool::Refinery {
            // The workspace's versions of sqlx and tokio, not newer ones.
            std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock"))?;
        }
        Ok(Worker { tool, dir, name })
    }

    /// Builds the crate; returns how long cargo took and what it printed.
    pub fn build(&self, release: bool, macro_timing: bool) -> (Duration, String) {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.arg("build")
            .arg("--manifest-path")
            .arg(self.dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", bench_dir().join("target"))
            .env_remove("OUT_DIR")
            .env_remove("RUSTFLAGS");
        // The rustc beside this cargo: through rustup's proxy, a
        // dependency's own rust-toolchain file would pick another one.
        let rustc = Path::new(env!("CARGO")).with_file_name("rustc");
        if rustc.exists() {
            cmd.env("RUSTC", rustc);
        }
        if release {
            cmd.arg("--release");
        }
        if macro_timing {
            cmd.env("RETORT_MACRO_TIMING", "1");
        }
        let started = Instant::now();
        let out = cmd.output().expect("cargo runs");
        let elapsed = started.elapsed();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "building {} failed:\n{stderr}", self.dir.display());
        (elapsed, stderr)
    }

    /// The release binary.
    pub fn binary(&self) -> PathBuf {
        bench_dir().join("target/release").join(&self.name)
    }
}
