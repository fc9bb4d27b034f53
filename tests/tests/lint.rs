//! retort's migration lint beside squawk's on the same PostgreSQL
//! statements: for every rule both have, the same statements are flagged.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use retort_core::lint::{RULES, lint};
use retort_core::{Dialect, split_statements};
use retort_tests::python_with_alembic;

#[test]
fn retort_flags_what_squawk_flags_for_the_rules_both_have() {
    let Some(python) = python_with_alembic() else { return };
    let squawk = python.with_file_name("squawk");
    let present = squawk.exists();
    assert!(present || std::env::var_os("CI").is_none(), "CI's Python needs squawk-cli (requirements-test.txt)");
    if !present {
        retort_tests::say_once("skipping the squawk comparison: install squawk-cli (requirements-test.txt)");
        return;
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lint-postgres.sql");
    let sql = std::fs::read_to_string(&file).unwrap();
    let ours: BTreeSet<(u32, String)> =
        lint(&split_statements(&sql, Dialect::Postgres, 1).unwrap(), Dialect::Postgres, true)
            .into_iter()
            .map(|f| (f.line, f.rule.to_owned()))
            .collect();
    let out =
        Command::new(&squawk).args(["--assume-in-transaction", "--reporter", "gitlab"]).arg(&file).output().unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("squawk prints JSON");
    let known: BTreeSet<&str> = RULES.iter().map(|(name, _)| *name).collect();
    let theirs: BTreeSet<(u32, String)> = report
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let rule = f["check_name"].as_str()?;
            let line = f["location"]["lines"]["begin"].as_u64()? as u32 + 1;
            known.contains(rule).then(|| (line, rule.to_owned()))
        })
        .collect();
    assert!(!theirs.is_empty(), "squawk found nothing: {}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(ours, theirs, "retort (left) and squawk (right) disagree");
}
