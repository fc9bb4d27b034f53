//! What the end-to-end tests of the binary share.

use std::path::Path;
use std::process::Command;

/// `retort --dir DIR ARGS…` with no `DATABASE_URL`: exit status, stdout,
/// stderr.
pub fn retort(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_retort"))
        .arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
