//! An Alembic project's configuration read as Alembic reads it, checked
//! against Alembic itself: `-c` (an ini anywhere, or `pyproject.toml`),
//! `-n`, `ALEMBIC_CONFIG`, `[tool.alembic]`, several `version_locations`
//! with `recursive_version_locations` over a layout like neutron's (one
//! folder per release and branch), branch labels given as imported module
//! constants. `heads`, `history` and `branches` must print what Alembic
//! prints for the same files from the same directory.
//!
//! Needs a Python with alembic (`RETORT_PYTHON` or `.venv`); in CI a
//! missing one is a failure.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A `.py` revision as Alembic's template writes it; `labels` and
/// `depends` are Python expressions.
fn revision(id: &str, down: &str, labels: &str, depends: &str) -> String {
    format!(
        "\"\"\"{id}\n\nRevision ID: {id}\nRevises: {down}\nCreate Date: 2026-01-01 00:00:00\n\n\"\"\"\nfrom alembic import op\nfrom neutronish import cli\n\nrevision = '{id}'\ndown_revision = {down}\nbranch_labels = {labels}\ndepends_on = {depends}\n\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass\n"
    )
}

/// Writes `text` at `root/relative`, creating its folders.
fn write(root: &Path, relative: &str, text: &str) {
    let path = root.join(relative);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// A project like neutron's: releases and expand/contract branches in
/// nested folders under one recursive location, a plugin's own base in a
/// second location, another ini section pointing elsewhere, and a
/// pyproject.toml of its own.
fn project() -> PathBuf {
    let root = retort_tests::temp_dir("alembic_config");
    write(&root, "neutronish/__init__.py", "");
    write(&root, "neutronish/cli.py", "EXPAND_BRANCH = 'expand'\nCONTRACT_BRANCH = 'contract'\n");
    write(
        &root,
        "retort.toml",
        "allow_multiple_heads = true\nallow_multiple_bases = true\n\n[python_names]\n\"cli.EXPAND_BRANCH\" = \"expand\"\n\"cli.CONTRACT_BRANCH\" = \"contract\"\n",
    );
    write(
        &root,
        "conf/dev.ini",
        "[alembic]\nscript_location = %(here)s/../db\nprepend_sys_path = .\npath_separator = os\n\
         version_locations = %(here)s/../db/versions:%(here)s/../plugins/versions\n\
         recursive_version_locations = true\n\n\
         [other]\nscript_location = %(here)s/../other\nprepend_sys_path = .\npath_separator = os\n\n\
         [loggers]\nkeys = root\n",
    );
    let versions = "db/versions";
    write(&root, &format!("{versions}/initial/a0000001_initial.py"), &revision("a0000001", "None", "None", "None"));
    write(
        &root,
        &format!("{versions}/liberty/expand/b1000001_expand.py"),
        &revision("b1000001", "'a0000001'", "(cli.EXPAND_BRANCH,)", "None"),
    );
    write(
        &root,
        &format!("{versions}/liberty/contract/c1000001_contract.py"),
        &revision("c1000001", "'a0000001'", "(cli.CONTRACT_BRANCH,)", "None"),
    );
    write(
        &root,
        &format!("{versions}/mitaka/expand/b2000002_more.py"),
        &revision("b2000002", "'b1000001'", "None", "None"),
    );
    write(
        &root,
        &format!("{versions}/mitaka/contract/c2000002_drop.py"),
        &revision("c2000002", "'c1000001'", "None", "('b2000002',)"),
    );
    // Not revisions: a cache folder's copy, a package marker.
    write(&root, &format!("{versions}/mitaka/__pycache__/b2000002_more.py"), "garbage = (\n");
    write(&root, &format!("{versions}/__init__.py"), "");
    write(&root, "plugins/versions/p1000001_plugin.py", &revision("p1000001", "None", "('plugin',)", "None"));
    write(&root, "other/versions/o1000001_other.py", &revision("o1000001", "None", "None", "None"));
    root
}

/// Runs a program in `cwd` with `ALEMBIC_CONFIG` as given: status, stdout,
/// stderr.
fn run(program: &mut Command, cwd: &Path, env: Option<&str>) -> (i32, String, String) {
    program.current_dir(cwd).env_remove("DATABASE_URL").env_remove("ALEMBIC_CONFIG");
    if let Some(config) = env {
        program.env("ALEMBIC_CONFIG", config);
    }
    let out = program.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn retort(cwd: &Path, args: &[&str], env: Option<&str>) -> (i32, String, String) {
    run(Command::new(env!("CARGO_BIN_EXE_retort")).args(args), cwd, env)
}

fn alembic(python: &Path, cwd: &Path, args: &[&str], env: Option<&str>) -> (i32, String, String) {
    run(Command::new(python).args(["-m", "alembic"]).args(args), cwd, env)
}

/// Lines as a sorted list, and the children a branch point lists sorted:
/// where Alembic's order comes from a Python set.
fn sorted_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|line| match line.strip_prefix("Branches into: ") {
            Some(children) => {
                let mut children: Vec<&str> = children.split(", ").collect();
                children.sort_unstable();
                format!("Branches into: {}", children.join(", "))
            }
            None => line.to_owned(),
        })
        .collect();
    lines.sort_unstable();
    lines
}

#[test]
fn heads_history_and_branches_match_alembic_on_the_same_configuration() {
    let Some(python) = retort_tests::python_with_alembic() else { return };
    let root = project();
    std::fs::write(
        root.join("pyproject.toml"),
        "[tool.alembic]\nscript_location = \"%(here)s/other\"\nprepend_sys_path = [\".\"]\n",
    )
    .unwrap();
    let cases: [(&[&str], Option<&str>); 6] = [
        (&["-c", "conf/dev.ini"], None),
        (&["-c", "conf/dev.ini", "-n", "other"], None),
        (&[], Some("conf/dev.ini")),
        (&["-c", "pyproject.toml"], None),
        (&[], None),
        (&["--config", "conf/dev.ini", "-x", "tenant=acme"], None),
    ];
    for (config, env) in cases {
        for verb in [&["heads"][..], &["heads", "-v"], &["history"], &["history", "-v"], &["branches"]] {
            let args: Vec<&str> = config.iter().chain(verb).copied().collect();
            let (a_code, a_out, a_err) = alembic(&python, &root, &args, env);
            let (r_code, r_out, r_err) = retort(&root, &args, env);
            assert_eq!(a_code, 0, "alembic {args:?} failed: {a_err}");
            assert_eq!(r_code, 0, "retort {args:?} (ALEMBIC_CONFIG={env:?}) failed: {r_err}");
            assert_eq!(sorted_lines(&r_out), sorted_lines(&a_out), "retort {args:?} vs alembic");
            if verb == ["heads"] {
                assert!(!r_out.is_empty());
            }
        }
    }
    // What the nested layout holds, so that agreement is not agreement on
    // nothing: three heads over two locations, labels from the module.
    let (_, heads, stderr) = retort(&root, &["-c", "conf/dev.ini", "-x", "tenant=acme", "heads"], None);
    assert_eq!(
        sorted_lines(&heads),
        ["b2000002 (expand) (effective head)", "c2000002 (contract) (head)", "p1000001 (plugin) (head)"]
    );
    assert!(stderr.contains("-x tenant=acme is ignored"), "{stderr}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn several_heads_by_design_are_not_reported_by_check() {
    let root = project();
    let (code, out, err) = retort(&root, &["-c", "conf/dev.ini", "check"], None);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("6 revisions"), "{out}");
    std::fs::write(root.join("retort.toml"), "[python_names]\n\"cli.EXPAND_BRANCH\" = \"expand\"\n").unwrap();
    let (code, _, err) = retort(&root, &["-c", "conf/dev.ini", "check"], None);
    assert_eq!(code, 255, "a name without a value stops the load: {err}");
    assert!(err.contains("c1000001_contract.py:13"), "{err}");
    assert!(err.contains("`cli.CONTRACT_BRANCH` is not bound to a literal"), "{err}");
    assert!(err.contains("[python_names]"), "{err}");
    std::fs::write(
        root.join("retort.toml"),
        "[python_names]\n\"cli.EXPAND_BRANCH\" = \"expand\"\n\"cli.CONTRACT_BRANCH\" = \"contract\"\n",
    )
    .unwrap();
    let (code, _, err) = retort(&root, &["-c", "conf/dev.ini", "check"], None);
    assert_eq!(code, 1, "several heads are reported without the setting: {err}");
    assert!(err.contains("Multiple head revisions are present"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_new_revision_goes_where_alembic_puts_it() {
    let root = project();
    // Based on a head: beside that head's file, deep in the nested layout.
    let (code, out, err) = retort(
        &root,
        &["-c", "conf/dev.ini", "revision", "-m", "next", "--head", "expand@head", "--rev-id", "b3000003"],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("db/versions/mitaka/expand/b3000003_next.sql"), "{out}");
    // A new base with several locations: the location must be named.
    let (code, _, err) =
        retort(&root, &["-c", "conf/dev.ini", "revision", "-m", "new", "--head", "base", "--rev-id", "d4000004"], None);
    assert_eq!(code, 255);
    assert!(err.contains("Multiple version locations present, please specify --version-path"), "{err}");
    let (code, _, err) = retort(
        &root,
        &["-c", "conf/dev.ini", "revision", "-m", "new", "--head", "base", "--version-path", "elsewhere"],
        None,
    );
    assert_eq!(code, 255);
    assert!(err.contains("Path elsewhere is not represented in current version locations"), "{err}");
    let (code, out, err) = retort(
        &root,
        &[
            "-c",
            "conf/dev.ini",
            "revision",
            "-m",
            "new",
            "--head",
            "base",
            "--rev-id",
            "d4000004",
            "--version-path",
            "plugins/versions",
        ],
        None,
    );
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("plugins/versions/d4000004_new.sql"), "{out}");
    let (_, heads, _) = retort(&root, &["-c", "conf/dev.ini", "heads"], None);
    assert!(heads.contains("b3000003") && heads.contains("d4000004"), "{heads}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn configuration_mistakes_are_named() {
    let root = project();
    let (code, _, err) = retort(&root, &["-c", "conf/dev.ini", "-n", "prod", "heads"], None);
    assert_eq!(code, 255);
    assert!(err.contains("no '[prod]' section") && err.contains("alembic, other, loggers"), "{err}");
    let (code, _, err) = retort(&root, &["-c", "conf/missing.ini", "heads"], None);
    assert_eq!(code, 255);
    assert!(err.contains("cannot read the configuration file") && err.contains("missing.ini"), "{err}");
    write(&root, "bad.ini", "[alembic]\nscript_location = db\npath_separator = ,\nversion_locations = a,b\n");
    let (code, _, err) = retort(&root, &["-c", "bad.ini", "heads"], None);
    assert_eq!(code, 255);
    assert!(err.contains("',' is not a valid value for path_separator"), "{err}");
    std::fs::remove_dir_all(&root).unwrap();
}
