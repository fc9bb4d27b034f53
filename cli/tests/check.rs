//! `retort check` end to end: exit codes and the text users read.

use std::path::Path;
use std::process::Command;

fn retort(args: &[&str]) -> (i32, String, String) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(env!("CARGO_BIN_EXE_retort")).args(args).current_dir(root).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_valid_directory_passes() {
    let (code, stdout, _) = retort(&["--dir", "examples/shop/alembic/versions", "check"]);
    assert_eq!(code, 0);
    assert!(stdout.contains("5 revisions, heads: 5a1f3c9e8d77"), "{stdout}");
}

#[test]
fn a_broken_directory_fails_with_every_problem_and_status_255() {
    let (code, _, stderr) = retort(&["--dir", "core/tests/fixtures/broken", "check"]);
    assert_eq!(code, 255);
    assert!(stderr.contains("0003_dangling.sql:3: Revises names 'ab12', which no revision has"), "{stderr}");
    assert!(stderr.contains("7 errors in the versions directory"), "{stderr}");
    assert!(stderr.contains("FAILED: "), "{stderr}");
}

#[test]
fn a_missing_directory_says_so() {
    let (code, _, stderr) = retort(&["--dir", "no/such/dir", "check"]);
    assert_eq!(code, 255);
    assert!(stderr.contains("does not exist"), "{stderr}");
}

#[test]
fn several_heads_are_a_warning_with_status_1() {
    let dir = std::env::temp_dir().join(format!("retort-cli-heads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for id in ["aaaa0001", "bbbb0002"] {
        std::fs::write(
            dir.join(format!("{id}_x.sql")),
            format!("-- x\n-- Revision ID: {id}\n-- upgrade\n-- downgrade\n"),
        )
        .unwrap();
    }
    let (code, _, stderr) = retort(&["--dir", dir.to_str().unwrap(), "check"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1);
    assert!(stderr.contains("warning: Multiple head revisions are present: aaaa0001, bbbb0002"), "{stderr}");
}

#[test]
fn an_empty_directory_is_a_warning_with_status_1() {
    let dir = std::env::temp_dir().join(format!("retort-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (code, stdout, stderr) = retort(&["--dir", dir.to_str().unwrap(), "check"]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, 1);
    assert!(
        stderr.contains("warning: the versions directory '") && stderr.contains("' holds no revision files"),
        "{stderr}"
    );
    assert!(stdout.contains("0 revisions"), "{stdout}");
}
