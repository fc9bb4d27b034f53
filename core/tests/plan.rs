//! Plans and their version-table changes, scenario by scenario. The
//! differential test checks the same against Alembic over random graphs;
//! these pin down the cases people meet, readably.

use retort_core::{Plan, Revision, RevisionError, RevisionGraph, StepKind, VersionChange};

fn rev(id: &str, down: &[&str]) -> Revision {
    Revision::new(id, down.iter().copied())
}

fn graph(revisions: Vec<Revision>) -> RevisionGraph {
    RevisionGraph::new(revisions).unwrap_or_else(|problems| panic!("{problems}"))
}

const NONE: &[&str] = &[];

fn ins(id: &str) -> VersionChange {
    VersionChange::Insert(id.to_owned())
}
fn del(id: &str) -> VersionChange {
    VersionChange::Delete(id.to_owned())
}
fn upd(from: &str, to: &str) -> VersionChange {
    VersionChange::Update { from: from.to_owned(), to: to.to_owned() }
}

fn changes(plan: &Plan) -> Vec<Vec<VersionChange>> {
    plan.steps.iter().map(|s| s.changes.clone()).collect()
}

fn chain() -> RevisionGraph {
    graph(vec![rev("aaaa01", &[]), rev("bbbb02", &["aaaa01"]), rev("cccc03", &["bbbb02"])])
}

#[test]
fn a_linear_upgrade_inserts_then_updates() {
    let plan = chain().plan_upgrade(NONE, "head").unwrap();
    assert_eq!(plan.revision_ids(), ["aaaa01", "bbbb02", "cccc03"]);
    assert_eq!(changes(&plan), [vec![ins("aaaa01")], vec![upd("aaaa01", "bbbb02")], vec![upd("bbbb02", "cccc03")]]);
    assert_eq!(plan.heads_after(), ["cccc03"]);
}

#[test]
fn a_linear_downgrade_updates_then_deletes() {
    let plan = chain().plan_downgrade(&["cccc03"], "base").unwrap();
    assert_eq!(plan.revision_ids(), ["cccc03", "bbbb02", "aaaa01"]);
    assert_eq!(changes(&plan), [vec![upd("cccc03", "bbbb02")], vec![upd("bbbb02", "aaaa01")], vec![del("aaaa01")]]);
    assert!(plan.heads_after().is_empty());
}

#[test]
fn at_head_there_is_nothing_to_do() {
    assert!(chain().plan_upgrade(&["cccc03"], "head").unwrap().is_empty());
    assert!(chain().plan_downgrade(&["cccc03"], "cccc03").unwrap().is_empty());
}

#[test]
fn an_upgrade_to_an_older_revision_does_nothing_and_a_downgrade_to_a_newer_one_fails() {
    assert!(chain().plan_upgrade(&["cccc03"], "aaaa01").unwrap().is_empty());
    let err = chain().plan_downgrade(&["aaaa01"], "cccc03").unwrap_err().to_string();
    assert!(err.starts_with("Destination cccc03 is not a valid downgrade target from current head(s)"), "{err}");
}

fn branches() -> RevisionGraph {
    // aaaa01 ← bbbb02 (left), aaaa01 ← cccc03 (right), merged by dddd04.
    graph(vec![
        rev("aaaa01", &[]),
        rev("bbbb02", &["aaaa01"]),
        rev("cccc03", &["aaaa01"]),
        rev("dddd04", &["bbbb02", "cccc03"]),
    ])
}

#[test]
fn upgrading_across_a_branch_point_and_a_merge() {
    let plan = branches().plan_upgrade(NONE, "head").unwrap();
    assert_eq!(plan.revision_ids(), ["aaaa01", "cccc03", "bbbb02", "dddd04"]);
    assert_eq!(
        changes(&plan),
        [
            vec![ins("aaaa01")],
            vec![upd("aaaa01", "cccc03")],
            vec![ins("bbbb02")],
            vec![del("bbbb02"), upd("cccc03", "dddd04")]
        ]
    );
    let heads: Vec<Vec<String>> = plan.steps.iter().map(|s| s.heads_after.clone()).collect();
    assert_eq!(heads[2], ["bbbb02", "cccc03"], "two rows while the branches stand");
}

#[test]
fn downgrading_below_a_merge_restores_both_branch_rows() {
    let plan = branches().plan_downgrade(&["dddd04"], "bbbb02").unwrap();
    assert_eq!(plan.revision_ids(), ["dddd04"]);
    assert_eq!(changes(&plan), [vec![ins("bbbb02"), upd("dddd04", "cccc03")]]);
    assert_eq!(plan.heads_after(), ["bbbb02", "cccc03"]);
    // As in Alembic, `-1` from a merge point does not say which parent.
    let err = branches().plan_downgrade(&["dddd04"], "-1").unwrap_err();
    assert!(matches!(err, RevisionError::AmbiguousWalk { .. }), "{err}");
}

#[test]
fn downgrading_one_branch_leaves_the_other_standing() {
    let g = branches();
    let plan = g.plan_downgrade(&["bbbb02", "cccc03"], "aaaa01").unwrap();
    assert_eq!(plan.heads_after(), ["aaaa01"]);
    let plan = g.plan_downgrade(&["bbbb02", "cccc03"], "bbbb02@-1").unwrap();
    assert_eq!(plan.revision_ids(), ["bbbb02"]);
    assert_eq!(changes(&plan), [vec![del("bbbb02")]], "the shared parent is still below cccc03");
    assert_eq!(plan.heads_after(), ["cccc03"]);
}

#[test]
fn downgrade_minus_one_from_several_heads_asks_for_the_branch() {
    let err = branches().plan_downgrade(&["bbbb02", "cccc03"], "-1").unwrap_err();
    assert!(matches!(err, RevisionError::AmbiguousDowngrade { .. }), "{err}");
}

#[test]
fn upgrading_to_heads_fills_every_branch() {
    let g = graph(vec![rev("aaaa01", &[]), rev("bbbb02", &["aaaa01"]), rev("cccc03", &["aaaa01"])]);
    let plan = g.plan_upgrade(&["bbbb02"], "heads").unwrap();
    assert_eq!(plan.revision_ids(), ["cccc03"]);
    assert_eq!(changes(&plan), [vec![ins("cccc03")]]);
    assert_eq!(plan.heads_after(), ["bbbb02", "cccc03"]);
}

#[test]
fn depends_on_pulls_in_the_other_branch_first() {
    let g = graph(vec![
        rev("aaaa01", &[]),
        rev("bbbb02", &["aaaa01"]),
        rev("cccc03", &[]),
        rev("dddd04", &["cccc03"]).with_depends_on(["bbbb02"]),
    ]);
    let plan = g.plan_upgrade(NONE, "dddd04").unwrap();
    assert_eq!(plan.revision_ids(), ["aaaa01", "bbbb02", "cccc03", "dddd04"]);
    assert_eq!(plan.heads_after(), ["dddd04"], "a dependency is not kept as a row of its own");
    let plan = g.plan_downgrade(&["dddd04"], "bbbb02@aaaa01").unwrap();
    assert_eq!(plan.revision_ids(), ["dddd04", "bbbb02"], "dropping a dependency drops its dependents");
}

#[test]
fn a_dependency_given_as_a_label_resolves_to_its_revision() {
    let g = graph(vec![
        rev("aaaa01", &[]).with_branch_labels(["users"]),
        rev("bbbb02", &[]),
        rev("cccc03", &["bbbb02"]).with_depends_on(["users"]),
    ]);
    let plan = g.plan_upgrade(NONE, "cccc03").unwrap();
    assert_eq!(plan.revision_ids(), ["aaaa01", "bbbb02", "cccc03"]);
}

#[test]
fn irreversible_revisions_stop_a_downgrade_before_any_step() {
    let g = graph(vec![rev("aaaa01", &[]), rev("bbbb02", &["aaaa01"]).irreversible(), rev("cccc03", &["bbbb02"])]);
    assert_eq!(g.plan_downgrade(&["cccc03"], "bbbb02").unwrap().revision_ids(), ["cccc03"]);
    let err = g.plan_downgrade(&["cccc03"], "base").unwrap_err();
    assert_eq!(err, RevisionError::Irreversible(vec!["bbbb02".to_owned()]));
    assert!(err.to_string().contains("no `-- downgrade` section"));
}

#[test]
fn an_unknown_current_revision_is_alembics_error_with_a_hint() {
    let err = chain().plan_upgrade(&["ffff99"], "head").unwrap_err().to_string();
    assert!(err.starts_with("Can't locate revision identified by 'ffff99'"), "{err}");
    assert!(err.contains("older than the database"), "{err}");
}

#[test]
fn stamping_moves_rows_without_steps_that_run_sql() {
    let g = chain();
    let plan = g.plan_stamp(NONE, &["bbbb02"], false).unwrap();
    assert_eq!(plan.steps.len(), 1);
    assert!(matches!(plan.steps[0].kind, StepKind::Stamp { upgrade: true, .. }));
    assert!(plan.revision_ids().is_empty());
    assert_eq!(changes(&plan), [vec![ins("bbbb02")]]);
    let plan = g.plan_stamp(&["bbbb02"], &["head"], false).unwrap();
    assert_eq!(changes(&plan), [vec![upd("bbbb02", "cccc03")]]);
    let plan = g.plan_stamp(&["cccc03"], &["aaaa01"], false).unwrap();
    assert_eq!(changes(&plan), [vec![upd("cccc03", "aaaa01")]]);
    let plan = g.plan_stamp(&["cccc03"], &["base"], false).unwrap();
    assert_eq!(changes(&plan), [vec![del("cccc03")]]);
    assert!(g.plan_stamp(&["cccc03"], &["cccc03"], false).unwrap().is_empty());
}

#[test]
fn stamping_with_purge_ignores_rows_the_graph_does_not_know() {
    let plan = chain().plan_stamp(&["garbage1", "garbage2"], &["bbbb02"], true).unwrap();
    assert!(plan.purge);
    assert_eq!(plan.heads_before, ["garbage1", "garbage2"]);
    assert_eq!(changes(&plan), [vec![ins("bbbb02")]]);
    assert_eq!(plan.heads_after(), ["bbbb02"]);
    let err = chain().plan_stamp(&["garbage1"], &["bbbb02"], false).unwrap_err().to_string();
    assert!(err.starts_with("Can't locate revision identified by 'garbage1'"), "{err}");
}

#[test]
fn stamping_heads_of_two_branches_merges_into_their_merge_point() {
    let plan = branches().plan_stamp(&["bbbb02", "cccc03"], &["dddd04"], false).unwrap();
    assert_eq!(changes(&plan), [vec![del("bbbb02"), upd("cccc03", "dddd04")]]);
}

#[test]
fn plans_are_deterministic() {
    let g = branches();
    let first = g.plan_upgrade(NONE, "heads").unwrap();
    for _ in 0..5 {
        assert_eq!(g.plan_upgrade(NONE, "heads").unwrap(), first);
    }
}

#[test]
fn step_logs_read_like_alembics() {
    let g = chain();
    let plan = g.plan_upgrade(NONE, "head").unwrap();
    let logs: Vec<String> = plan.steps.iter().map(|s| s.short_log(&g)).collect();
    assert_eq!(logs, ["upgrade  -> aaaa01", "upgrade aaaa01 -> bbbb02", "upgrade bbbb02 -> cccc03"]);
}
