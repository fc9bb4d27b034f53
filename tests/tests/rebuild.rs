//! A crate that embeds a versions directory is rebuilt when a revision file
//! is edited, added or removed (with the one-line build script), and is
//! told how to get that when it has no build script.
//!
//! Builds a small crate with cargo, in `target/rebuild-probe` (the first
//! run compiles its dependencies; later runs reuse them).

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").canonicalize().unwrap()
}

fn revision(id: &str, down: &str, table: &str) -> String {
    format!(
        "-- Revision {id}\n-- Revision ID: {id}\n-- Revises: {down}\n\n-- upgrade\nCREATE TABLE {table} (id INTEGER);\n\n-- downgrade\nDROP TABLE {table};\n"
    )
}

/// A probe crate printing the id and checksum of every embedded revision.
fn probe(with_build_script: bool) -> PathBuf {
    let name = if with_build_script { "rebuild-probe" } else { "rebuild-probe-no-script" };
    let dir = retort_tests::temp_dir("retort_probe");
    let runtime = workspace().join("runtime");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n[dependencies]\nretort = {{ path = {:?} }}\n\n[workspace]\n",
            runtime.display().to_string(),
        ),
    )
    .unwrap();
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        "#[retort::migrations(\"versions\")]\npub struct Migrations;\n\nfn main() {\n    for rev in Migrations::migrator().graph().revisions() {\n        println!(\"{} {}\", rev.id, rev.checksum_hex());\n    }\n}\n",
    )
    .unwrap();
    if with_build_script {
        std::fs::write(dir.join("build.rs"), "fn main() {\n    println!(\"cargo:rerun-if-changed=versions\");\n}\n")
            .unwrap();
    }
    std::fs::create_dir_all(dir.join("versions")).unwrap();
    std::fs::write(dir.join("versions/aaaa0001_a.sql"), revision("aaaa0001", "", "a")).unwrap();
    dir
}

/// Builds and runs the probe: (what it printed, cargo's stderr).
fn build_and_run(dir: &Path) -> (String, String) {
    let target = workspace().join("target/rebuild-probe");
    let name = if dir.join("build.rs").exists() { "rebuild-probe" } else { "rebuild-probe-no-script" };
    let build = Command::new(env!("CARGO"))
        .args(["build", "--offline"])
        .env("CARGO_TARGET_DIR", &target)
        // This test runs under cargo, whose OUT_DIR must not leak into the
        // probe (the macro reads it to tell whether a build script exists).
        .env_remove("OUT_DIR")
        .current_dir(dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&build.stderr).into_owned();
    assert!(build.status.success(), "the probe does not build:\n{stderr}");
    let run = Command::new(target.join("debug").join(name)).output().unwrap();
    assert!(run.status.success());
    (String::from_utf8_lossy(&run.stdout).into_owned(), stderr)
}

fn ids(output: &str) -> Vec<&str> {
    output.lines().filter_map(|l| l.split(' ').next()).collect()
}

/// One test, so that the two probes never build at once in one target
/// directory.
#[test]
fn the_versions_directory_is_tracked() {
    edits_additions_and_removals_rebuild_the_crate();
    a_crate_without_a_build_script_is_warned_with_the_fix();
}

fn edits_additions_and_removals_rebuild_the_crate() {
    let dir = probe(true);
    let (first, stderr) = build_and_run(&dir);
    assert_eq!(ids(&first), ["aaaa0001"]);
    assert!(!stderr.contains("no build script"), "{stderr}");

    // An edit: the same revision, other SQL.
    std::fs::write(dir.join("versions/aaaa0001_a.sql"), revision("aaaa0001", "", "renamed")).unwrap();
    let (edited, _) = build_and_run(&dir);
    assert_eq!(ids(&edited), ["aaaa0001"]);
    assert_ne!(edited, first, "the edit must reach the binary");

    // An addition.
    std::fs::write(dir.join("versions/bbbb0002_b.sql"), revision("bbbb0002", "aaaa0001", "b")).unwrap();
    let (added, _) = build_and_run(&dir);
    assert_eq!(ids(&added), ["aaaa0001", "bbbb0002"]);

    // A removal.
    std::fs::remove_file(dir.join("versions/bbbb0002_b.sql")).unwrap();
    let (removed, _) = build_and_run(&dir);
    assert_eq!(ids(&removed), ["aaaa0001"]);
}

fn a_crate_without_a_build_script_is_warned_with_the_fix() {
    let dir = probe(false);
    let (out, stderr) = build_and_run(&dir);
    assert_eq!(ids(&out), ["aaaa0001"]);
    assert!(stderr.contains("retort: this crate has no build script"), "{stderr}");
    assert!(stderr.contains("println!(\"cargo:rerun-if-changed=versions\")"), "{stderr}");
    // Edits are tracked all the same.
    std::fs::write(dir.join("versions/aaaa0001_a.sql"), revision("aaaa0001", "", "renamed")).unwrap();
    let (edited, _) = build_and_run(&dir);
    assert_ne!(edited, out);
}
