//! What `#[retort::migrations]` costs at compile time, beside sqlx's
//! `migrate!` on the same revisions.
//!
//! `cargo run --release -p retort-bench --bin compile-cost [-- N …]` (N
//! defaults to 1000 and 10000) generates, under `target/bench-compile/`, a
//! crate embedding N one-statement revisions (create table / add column /
//! create index, cycling) for each tool, builds it once, then measures:
//!
//! - expansion: how long the macro itself takes (the macro reports it when
//!   `RETORT_MACRO_TIMING` is set), after touching the crate's source;
//! - incremental rebuild: the whole `cargo build` after editing one
//!   revision, in the dev and the release profile.
//!
//! Each figure is the median of 3 runs. The first build of each tool compiles
//! its dependencies and is not counted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

#[derive(Clone, Copy, PartialEq)]
enum Tool {
    Retort,
    Sqlx,
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn statement(i: usize) -> (String, String) {
    match i % 3 {
        0 => (format!("CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT)"), format!("DROP TABLE t{i}")),
        1 => (
            format!("ALTER TABLE t{} ADD COLUMN c{i} INTEGER", i - 1),
            format!("ALTER TABLE t{} DROP COLUMN c{i}", i - 1),
        ),
        _ => (format!("CREATE INDEX i{i} ON t{} (name)", i - 2), format!("DROP INDEX i{i}")),
    }
}

/// Writes the crate for `tool` with `n` revisions; returns its directory.
fn generate(tool: Tool, n: usize) -> PathBuf {
    let name = match tool {
        Tool::Retort => format!("retort-{n}"),
        Tool::Sqlx => format!("sqlx-{n}"),
    };
    let dir = workspace().join("target/bench-compile").join(&name);
    let _ = std::fs::remove_dir_all(&dir);
    let versions = dir.join("versions");
    std::fs::create_dir_all(&versions).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let (dependency, main) = match tool {
        Tool::Retort => (
            format!("retort = {{ path = {:?} }}", workspace().join("runtime").display().to_string()),
            "#[retort::migrations(\"versions\")]\npub struct Migrations;\n\nfn main() {\n    println!(\"{}\", Migrations::migrator().graph().len());\n}\n".to_owned(),
        ),
        Tool::Sqlx => (
            "sqlx = { version = \"0.9\", default-features = false, features = [\"sqlite\", \"migrate\", \"macros\", \"runtime-tokio\"] }".to_owned(),
            "static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!(\"./versions\");\n\nfn main() {\n    println!(\"{}\", MIGRATOR.iter().count());\n}\n".to_owned(),
        ),
    };
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"bench-{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\n{dependency}\n\n[workspace]\n"),
    )
    .unwrap();
    std::fs::write(dir.join("build.rs"), "fn main() {\n    println!(\"cargo:rerun-if-changed=versions\");\n}\n")
        .unwrap();
    std::fs::write(dir.join("src/main.rs"), main).unwrap();
    for i in 0..n {
        let (up, down) = statement(i);
        match tool {
            Tool::Retort => {
                let id = format!("{i:012x}");
                let revises = if i == 0 { String::new() } else { format!("{:012x}", i - 1) };
                let text = format!(
                    "-- Revision {i}\n-- Revision ID: {id}\n-- Revises: {revises}\n\n-- upgrade\n{up};\n\n-- downgrade\n{down};\n"
                );
                std::fs::write(versions.join(format!("{id}_revision_{i}.sql")), text).unwrap();
            }
            Tool::Sqlx => {
                std::fs::write(versions.join(format!("{:06}_revision_{i}.sql", i + 1)), format!("{up};\n")).unwrap();
            }
        }
    }
    dir
}

fn cargo_build(dir: &Path, release: bool, timing: bool) -> (Duration, String) {
    // One target directory per tool, outside the generated crates, so that
    // their dependencies are compiled once across runs.
    let tool = dir.file_name().unwrap().to_string_lossy().split('-').next().unwrap_or("x").to_owned();
    let target = workspace().join("target/bench-compile").join(format!("target-{tool}"));
    let mut cmd = Command::new(env!("CARGO"));
    cmd.arg("build").current_dir(dir).env("CARGO_TARGET_DIR", target).env_remove("OUT_DIR");
    if release {
        cmd.arg("--release");
    }
    if timing {
        cmd.env("RETORT_MACRO_TIMING", "1");
    }
    let started = Instant::now();
    let out = cmd.output().unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "build failed in {}:\n{stderr}", dir.display());
    (elapsed, stderr)
}

fn edit_one(dir: &Path, tool: Tool, round: usize) {
    let versions = dir.join("versions");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&versions).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let file = &files[files.len() / 2];
    let mut text = std::fs::read_to_string(file).unwrap();
    match tool {
        Tool::Retort => text = text.replacen("-- upgrade\n", &format!("-- upgrade\n-- edit {round}\n"), 1),
        Tool::Sqlx => text.push_str(&format!("-- edit {round}\n")),
    }
    std::fs::write(file, text).unwrap();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() {
    let sizes: Vec<usize> = {
        let args: Vec<usize> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
        if args.is_empty() { vec![1_000, 10_000] } else { args }
    };
    println!("| tool | revisions | expansion | rebuild after one edit (dev) | rebuild after one edit (release) |");
    println!("|---|---:|---:|---:|---:|");
    for &n in &sizes {
        for tool in [Tool::Retort, Tool::Sqlx] {
            if tool == Tool::Sqlx && n > 1_000 {
                continue; // the comparison is at 1,000, as in the issue
            }
            let dir = generate(tool, n);
            let mut expansion = Vec::new();
            let mut dev = Vec::new();
            let mut release = Vec::new();
            cargo_build(&dir, false, false);
            cargo_build(&dir, true, false);
            for round in 0..3 {
                if tool == Tool::Retort {
                    let main = dir.join("src/main.rs");
                    let text = std::fs::read_to_string(&main).unwrap();
                    std::fs::write(&main, format!("{text}\n")).unwrap();
                    let (_, stderr) = cargo_build(&dir, false, true);
                    let ms = stderr
                        .lines()
                        .find_map(|l| l.split(" in ").nth(1)?.split(" ms").next()?.parse::<f64>().ok())
                        .expect("the macro reports its time");
                    expansion.push(Duration::from_secs_f64(ms / 1e3));
                }
                edit_one(&dir, tool, round);
                dev.push(cargo_build(&dir, false, false).0);
                edit_one(&dir, tool, round + 10);
                release.push(cargo_build(&dir, true, false).0);
            }
            let name = if tool == Tool::Retort { "retort `#[migrations]`" } else { "sqlx `migrate!`" };
            let expansion = if expansion.is_empty() {
                "—".to_owned()
            } else {
                format!("{:.0} ms", median(expansion).as_secs_f64() * 1e3)
            };
            println!("| {name} | {n} | {expansion} | {} | {} |", secs(median(dev)), secs(median(release)));
        }
    }
}
