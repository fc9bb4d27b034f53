//! Nothing a user writes makes retort-core panic: random text and mutated
//! revision files go through the parsers and the statement splitter,
//! random (often broken) graphs through validation, and random identifiers
//! through every plan. `PROPTEST_CASES` raises the number of cases.

mod common;

use std::path::Path;

use common::{GeneratedGraph, Rng};
use proptest::prelude::*;
use retort_core::{Dialect, Revision, RevisionGraph, parse_python_revision, parse_sql_revision, split_statements};

const SQL_FILE: &str = "-- Adding offers\n--\n-- Revision ID: 2d970929c35a\n-- Revises: 37e1cb6de47f, 1975ea83b712\n-- Branch Labels: shop\n-- Depends On: abcd\n-- Transactional: false\n\n-- upgrade\nCREATE TABLE offer (id INTEGER PRIMARY KEY, t TEXT DEFAULT 'a;b');\nCREATE FUNCTION f() RETURNS int AS $x$ SELECT 1; $x$ LANGUAGE sql;\n/* c */ -- retort:begin-block\nA; B;\n-- retort:end-block\n-- upgrade: mysql\nCREATE TRIGGER t BEFORE INSERT ON offer FOR EACH ROW BEGIN SET NEW.t = 'x'; END;\n\n-- downgrade\nDROP TABLE offer;\n";

const PY_FILE: &str = "\"\"\"Add offers\n\nRevision ID: 2d970929c35a\nRevises: 37e1cb6de47f\n\"\"\"\nfrom typing import Sequence, Union\nrevision: str = '2d970929c35a'\ndown_revision: Union[str, Sequence[str], None] = ('37e1cb6de47f', \"x\",)  # merge\nbranch_labels = None\ndepends_on = ['a', 'b']\n\ndef upgrade():\n    op.execute(\"\"\"SELECT 1\"\"\")\n";

/// A valid file with a few random edits: characters inserted, removed or
/// replaced, with a bias towards the characters the grammars care about.
fn mutate(text: &str, edits: &[(u64, u64, u8)]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    const SPECIAL: &[char] =
        &['\'', '"', '$', '-', '/', '*', ';', '\n', ':', ',', '(', ')', '#', '\\', '`', '@', 'é', '\r'];
    for &(position, choice, kind) in edits {
        let at = if chars.is_empty() { 0 } else { (position % chars.len() as u64) as usize };
        let c = SPECIAL[(choice % SPECIAL.len() as u64) as usize];
        match kind % 3 {
            0 => chars.insert(at, c),
            1 if !chars.is_empty() => {
                chars.remove(at);
            }
            _ if !chars.is_empty() => chars[at] = c,
            _ => chars.push(c),
        }
    }
    chars.into_iter().collect()
}

fn exercise_text(text: &str) {
    let (rev, _) = parse_sql_revision(Path::new("v/2d970929c35a_x.sql"), text);
    let _ = parse_python_revision(Path::new("v/x.py"), text);
    for dialect in Dialect::ALL {
        let _ = split_statements(text, dialect, 1);
    }
    if let Some(rev) = rev {
        let _ = RevisionGraph::new(vec![rev]);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn random_text_never_panics(text in "\\PC{0,300}") {
        exercise_text(&text);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        exercise_text(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_sql_files_never_panic(edits in proptest::collection::vec((any::<u64>(), any::<u64>(), any::<u8>()), 1..8)) {
        exercise_text(&mutate(SQL_FILE, &edits));
    }

    #[test]
    fn mutated_python_files_never_panic(edits in proptest::collection::vec((any::<u64>(), any::<u64>(), any::<u8>()), 1..8)) {
        exercise_text(&mutate(PY_FILE, &edits));
    }
}

/// Random links among a few ids: dangling targets, cycles, self links,
/// duplicate ids and labels are all likely.
fn random_broken_graph(seed: u64) -> Vec<Revision> {
    let mut rng = Rng::new(seed);
    let ids = ["aaaa", "bbbb", "cccc", "dddd", "eeee", "ffff"];
    let count = 1 + rng.below(6);
    (0..count)
        .map(|_| {
            let pick = |rng: &mut Rng, n: usize| -> Vec<String> {
                (0..rng.below(n)).map(|_| ids[rng.below(ids.len())].to_owned()).collect()
            };
            let id = ids[rng.below(ids.len())];
            let down = pick(&mut rng, 3);
            let deps = pick(&mut rng, 2);
            let labels: Vec<String> = if rng.chance(30) { vec![format!("l{}", rng.below(3))] } else { Vec::new() };
            Revision::new(id, down).with_depends_on(deps).with_branch_labels(labels)
        })
        .collect()
}

const IDENTIFIERS: &[&str] = &[
    "head",
    "heads",
    "base",
    "+1",
    "-1",
    "+3",
    "-9",
    "head-1",
    "head+1",
    "aaaa",
    "aaa",
    "aaaa+2",
    "bbbb-1",
    "l0@head",
    "l1@base",
    "l2@+1",
    "l0@-1",
    "l1@aaaa",
    "@head",
    "x@",
    "@",
    ":",
    "aaaa:",
    "-",
    "+",
    "heads-1",
    "base+1",
    "l0@heads",
    "99999999999999999999",
    "-99999999999999999999",
    "aaaa@bbbb@cccc",
    "é@+1",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn broken_graphs_and_odd_identifiers_never_panic(seed in any::<u64>(), current_seed in any::<u64>()) {
        let revisions = random_broken_graph(seed);
        let Ok(graph) = RevisionGraph::new(revisions) else { return Ok(()) };
        let mut rng = Rng::new(current_seed);
        let ids: Vec<String> = graph.revisions().iter().map(|r| r.id.clone()).collect();
        let current: Vec<String> = (0..rng.below(3)).map(|_| ids[rng.below(ids.len())].clone()).collect();
        for target in IDENTIFIERS {
            let _ = graph.plan_upgrade(&current, target);
            let _ = graph.plan_downgrade(&current, target);
            let _ = graph.plan_stamp(&current, &[*target], false);
            let _ = graph.plan_stamp(&current, &[*target, "head"], true);
            let _ = graph.history(Some(target));
            let _ = graph.history(Some(&format!("{target}:{target}")));
        }
    }

    #[test]
    fn valid_graphs_with_odd_identifiers_never_panic(seed in any::<u64>(), size in 1usize..25) {
        let generated = GeneratedGraph::random(&mut Rng::new(seed), size);
        let graph = RevisionGraph::new(generated.to_revisions()).unwrap();
        let ids: Vec<String> = graph.revisions().iter().map(|r| r.id.clone()).collect();
        let mut targets: Vec<String> = IDENTIFIERS.iter().map(|s| s.to_string()).collect();
        targets.extend(ids.iter().take(3).flat_map(|id| [format!("{id}+1"), format!("{id}-2"), id[..5].to_owned()]));
        let current = graph.plan_upgrade(retort_core::AT_BASE, &ids[ids.len() / 2]).map(|p| p.heads_after()).unwrap_or_default();
        for target in &targets {
            let _ = graph.plan_upgrade(&current, target);
            let _ = graph.plan_downgrade(&current, target);
            let _ = graph.plan_stamp(&current, &[target.as_str()], false);
            let _ = graph.history(Some(&format!("{target}:")));
        }
    }
}
