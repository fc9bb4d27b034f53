//! The `retort` command line: Alembic's verbs over a versions directory.
//!
//! This release answers `retort check`: it reads the versions directory,
//! validates every file and the graph they form, and prints every problem
//! at once. The other verbs arrive with the command-line issue.
//!
//! Exit codes: 0 when the directory is valid, 1 when it has warnings only
//! (several heads or bases, implied parents), 255 on errors, as Alembic
//! exits on failure.

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: retort [--dir DIR] check\n\n\
  check    validate the versions directory (default: alembic/versions)";

fn main() -> ExitCode {
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("FAILED: {message}");
            ExitCode::from(255)
        }
    }
}

fn run(args: Vec<String>) -> Result<ExitCode, String> {
    let mut dir = PathBuf::from("alembic/versions");
    let mut command = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--dir" => dir = args.next().ok_or("--dir needs a directory")?.into(),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            other if command.is_none() && !other.starts_with('-') => command = Some(other.to_owned()),
            other => return Err(format!("unexpected argument '{other}'\n{USAGE}")),
        }
    }
    match command.as_deref() {
        Some("check") => Ok(check(&dir)),
        Some(other) => Err(format!("'{other}' is not available in this release\n{USAGE}")),
        None => Err(USAGE.to_owned()),
    }
}

fn check(dir: &std::path::Path) -> ExitCode {
    match retort_core::load_dir(dir) {
        Ok(graph) => {
            for warning in graph.warnings() {
                eprintln!("{warning:#}\n");
            }
            println!("{}: {} revisions, heads: {}", dir.display(), graph.len(), graph.heads().join(", "));
            if graph.warnings().is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
        Err(problems) => {
            eprintln!("{problems}");
            eprintln!("FAILED: the versions directory {} has errors", dir.display());
            ExitCode::from(255)
        }
    }
}
