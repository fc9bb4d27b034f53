//! The revision graph: validation rules, queries and identifier resolution.

use retort_core::{Revision, RevisionError, RevisionGraph};

fn rev(id: &str, down: &[&str]) -> Revision {
    Revision::new(id, down.iter().copied())
}

fn graph(revisions: Vec<Revision>) -> RevisionGraph {
    RevisionGraph::new(revisions).unwrap_or_else(|problems| panic!("{problems}"))
}

fn problems(revisions: Vec<Revision>) -> Vec<String> {
    RevisionGraph::new(revisions).unwrap_err().errors().map(|d| d.message.clone()).collect()
}

/// a ← b ← c, with d branching off b and e merging c and d.
fn diamond() -> RevisionGraph {
    graph(vec![
        rev("aaaa01", &[]),
        rev("bbbb02", &["aaaa01"]),
        rev("cccc03", &["bbbb02"]),
        rev("dddd04", &["bbbb02"]),
        rev("eeee05", &["cccc03", "dddd04"]),
    ])
}

#[test]
fn heads_bases_branch_points_and_merge_points() {
    let g = diamond();
    assert_eq!(g.heads(), ["eeee05"]);
    assert_eq!(g.bases(), ["aaaa01"]);
    assert_eq!(g.branch_points(), ["bbbb02"]);
    assert_eq!(g.merge_points(), ["eeee05"]);
    let mut ancestors = g.ancestors("eeee05");
    ancestors.sort();
    assert_eq!(ancestors, ["aaaa01", "bbbb02", "cccc03", "dddd04"]);
    let mut descendants = g.descendants("bbbb02");
    descendants.sort();
    assert_eq!(descendants, ["cccc03", "dddd04", "eeee05"]);
    assert!(g.warnings().is_empty());
}

#[test]
fn duplicate_ids_are_errors_not_warnings() {
    assert_eq!(problems(vec![rev("aaaa01", &[]), rev("aaaa01", &[])]), ["Revision aaaa01 is present more than once"]);
}

#[test]
fn dangling_revises_and_depends_on_are_errors() {
    let got = problems(vec![rev("aaaa01", &["ab12"]), rev("bbbb02", &[]).with_depends_on(["nope"])]);
    assert_eq!(
        got,
        [
            "Revises names 'ab12', which no revision has",
            "Depends On names 'nope', which is neither a revision nor a branch label"
        ]
    );
}

#[test]
fn every_problem_is_reported_in_one_pass() {
    let got = problems(vec![
        rev("aaaa01", &["missing1"]),
        rev("bbbb02", &["missing2"]),
        rev("cccc03", &[]).with_branch_labels(["shop"]),
        rev("dddd04", &[]).with_branch_labels(["shop"]),
    ]);
    assert_eq!(got.len(), 3, "{got:?}");
}

#[test]
fn cycles_are_errors_naming_their_revisions() {
    let got = problems(vec![rev("aaaa01", &["cccc03"]), rev("bbbb02", &["aaaa01"]), rev("cccc03", &["bbbb02"])]);
    assert_eq!(got, ["Cycle is detected in revisions (aaaa01, bbbb02, cccc03)"]);
    let got = problems(vec![rev("aaaa01", &["aaaa01"])]);
    assert_eq!(got, ["Self-loop is detected in revisions (aaaa01)"]);
}

#[test]
fn dependency_cycles_are_errors() {
    let got = problems(vec![
        rev("aaaa01", &[]).with_depends_on(["bbbb02"]),
        rev("bbbb02", &["aaaa01"]),
        rev("cccc03", &["bbbb02"]),
    ]);
    assert_eq!(got, ["Dependency cycle is detected in revisions (aaaa01, bbbb02)"]);
    let got = problems(vec![rev("aaaa01", &[]).with_depends_on(["aaaa01"])]);
    assert_eq!(got, ["Dependency self-loop is detected in revisions (aaaa01)"]);
}

#[test]
fn labels_are_unique_and_not_ids() {
    let got = problems(vec![rev("aaaa01", &[]).with_branch_labels(["bbbb02"]), rev("bbbb02", &["aaaa01"])]);
    assert_eq!(got, ["Branch name 'bbbb02' in revision aaaa01 already used by revision bbbb02"]);
    let got = problems(vec![rev("aaaa01", &[]).with_branch_labels(["a@b"])]);
    assert_eq!(got, ["branch label 'a@b' contains '@', ':' or white space"]);
}

#[test]
fn a_sql_file_must_be_named_after_its_id() {
    let mut r = rev("aaaa01", &[]);
    r.path = "versions/bbbb02_offers.sql".into();
    assert_eq!(problems(vec![r]), ["the file name 'bbbb02_offers.sql' does not contain its revision id 'aaaa01'"]);
}

#[test]
fn python_files_may_be_named_freely() {
    let mut r = rev("3dda56f1c4c6", &[]);
    r.path = "versions/2018-07-05_15-19_migrate.py".into();
    r.kind = retort_core::SourceKind::Python;
    graph(vec![r]);
}

#[test]
fn several_heads_and_bases_are_warnings() {
    let g = graph(vec![rev("aaaa01", &[]), rev("bbbb02", &[]), rev("cccc03", &["aaaa01"])]);
    let warnings: Vec<&str> = g.warnings().iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        warnings,
        [
            "Multiple head revisions are present: bbbb02, cccc03",
            "several base revisions (without Revises): aaaa01, bbbb02"
        ]
    );
}

#[test]
fn labels_follow_their_branch() {
    let g = graph(vec![
        rev("aaaa01", &[]),
        rev("bbbb02", &["aaaa01"]),
        rev("cccc03", &["bbbb02"]).with_branch_labels(["shop"]),
        rev("dddd04", &["cccc03"]),
        rev("eeee05", &["bbbb02"]),
    ]);
    assert_eq!(g.branch_labels("dddd04"), ["shop"]);
    assert_eq!(g.branch_labels("cccc03"), ["shop"]);
    // bbbb02 is a branch point: the label stops above it.
    assert!(g.branch_labels("bbbb02").is_empty());
    assert!(g.branch_labels("eeee05").is_empty());
}

#[test]
fn a_label_on_a_single_line_reaches_down_to_the_base() {
    let g = graph(vec![
        rev("aaaa01", &[]),
        rev("bbbb02", &["aaaa01"]).with_branch_labels(["core"]),
        rev("cccc03", &["bbbb02"]),
    ]);
    assert_eq!(g.branch_labels("aaaa01"), ["core"]);
}

#[test]
fn prefixes_resolve_when_unique_and_four_characters_long() {
    let g = graph(vec![
        rev("ae1027a6acf", &[]),
        rev("ae10ffff0000", &["ae1027a6acf"]),
        rev("1975ea83b712", &["ae10ffff0000"]),
    ]);
    let plan = g.plan_upgrade(retort_core::AT_BASE, "1975").unwrap();
    assert_eq!(plan.revision_ids(), ["ae1027a6acf", "ae10ffff0000", "1975ea83b712"]);
    match g.plan_upgrade(retort_core::AT_BASE, "ae10").unwrap_err() {
        RevisionError::AmbiguousPrefix { candidates, .. } => assert_eq!(candidates, ["ae1027a6acf", "ae10ffff0000"]),
        other => panic!("{other:?}"),
    }
    let err = g.plan_upgrade(retort_core::AT_BASE, "ae1").unwrap_err().to_string();
    assert!(
        err.starts_with("Can't locate revision identified by 'ae1'; please ensure at least four characters"),
        "{err}"
    );
    let err = g.plan_upgrade(retort_core::AT_BASE, "ffff0").unwrap_err().to_string();
    assert!(err.starts_with("Can't locate revision identified by 'ffff0'"), "{err}");
}

#[test]
fn head_with_several_heads_is_alembics_error() {
    let g = graph(vec![rev("aaaa01", &[]), rev("bbbb02", &["aaaa01"]), rev("cccc03", &["aaaa01"])]);
    let err = g.plan_upgrade(retort_core::AT_BASE, "head").unwrap_err();
    assert!(err.to_string().starts_with("Multiple head revisions are present for given argument 'head'"), "{err}");
    assert_eq!(g.plan_upgrade(retort_core::AT_BASE, "heads").unwrap().revision_ids().len(), 3);
}

#[test]
fn label_at_head_and_base_select_a_branch() {
    let g = graph(vec![
        rev("aaaa01", &[]),
        rev("bbbb02", &["aaaa01"]).with_branch_labels(["left"]),
        rev("cccc03", &["aaaa01"]).with_branch_labels(["right"]),
        rev("dddd04", &["cccc03"]),
    ]);
    assert_eq!(
        g.plan_upgrade(retort_core::AT_BASE, "right@head").unwrap().revision_ids(),
        ["aaaa01", "cccc03", "dddd04"]
    );
    assert_eq!(g.plan_upgrade(retort_core::AT_BASE, "left@head").unwrap().revision_ids(), ["aaaa01", "bbbb02"]);
    // As in Alembic, `label@base` of branches that share their base is that
    // base: everything above it goes.
    let plan = g.plan_downgrade(&["bbbb02", "dddd04"], "right@base").unwrap();
    assert_eq!(plan.revision_ids(), ["bbbb02", "dddd04", "cccc03", "aaaa01"]);
    let err = g.plan_upgrade(retort_core::AT_BASE, "left@dddd04").unwrap_err();
    assert_eq!(err.to_string(), "Revision dddd04 is not a member of branch 'left'");
    let err = g.plan_upgrade(retort_core::AT_BASE, "middle@head").unwrap_err();
    assert!(err.to_string().starts_with("Can't locate revision identified by 'middle'"), "{err}");
}

#[test]
fn label_at_base_of_an_independent_branch_downgrades_only_it() {
    let g = graph(vec![
        rev("aaaa01", &[]).with_branch_labels(["left"]),
        rev("bbbb02", &["aaaa01"]),
        rev("cccc03", &[]).with_branch_labels(["right"]),
        rev("dddd04", &["cccc03"]),
    ]);
    let plan = g.plan_downgrade(&["bbbb02", "dddd04"], "right@base").unwrap();
    assert_eq!(plan.revision_ids(), ["dddd04", "cccc03"]);
    assert_eq!(plan.heads_after(), ["bbbb02"]);
}

#[test]
fn relative_identifiers_walk_the_graph() {
    let g = graph(vec![
        rev("aaaa01", &[]),
        rev("bbbb02", &["aaaa01"]),
        rev("cccc03", &["bbbb02"]),
        rev("dddd04", &["cccc03"]),
    ]);
    assert_eq!(g.plan_upgrade(&["aaaa01"], "+2").unwrap().revision_ids(), ["bbbb02", "cccc03"]);
    assert_eq!(g.plan_upgrade(retort_core::AT_BASE, "aaaa01+1").unwrap().revision_ids(), ["aaaa01", "bbbb02"]);
    assert_eq!(g.plan_upgrade(retort_core::AT_BASE, "head-1").unwrap().revision_ids(), ["aaaa01", "bbbb02", "cccc03"]);
    assert_eq!(g.plan_downgrade(&["dddd04"], "-2").unwrap().revision_ids(), ["dddd04", "cccc03"]);
    assert_eq!(g.plan_downgrade(&["dddd04"], "dddd04-3").unwrap().heads_after(), ["aaaa01"]);
    let err = g.plan_upgrade(&["cccc03"], "+5").unwrap_err().to_string();
    assert!(err.starts_with("Relative revision +5 didn't produce 5 migrations"), "{err}");
    // Alembic fails with an AssertionError here; retort says what happened.
    let err = g.plan_upgrade(retort_core::AT_BASE, "cccc03+3").unwrap_err().to_string();
    assert!(err.starts_with("Relative revision"), "{err}");
}

#[test]
fn a_walk_through_a_branch_point_is_ambiguous() {
    let g = graph(vec![rev("aaaa01", &[]), rev("bbbb02", &["aaaa01"]), rev("cccc03", &["aaaa01"])]);
    let err = g.plan_upgrade(retort_core::AT_BASE, "aaaa01+1").unwrap_err().to_string();
    assert!(err.starts_with("Ambiguous walk from aaaa01"), "{err}");
}

#[test]
fn history_lists_newest_first_and_takes_ranges() {
    let g = diamond();
    let ids = |range: Option<&str>| g.history(range).unwrap().iter().map(|r| r.id.clone()).collect::<Vec<_>>();
    // After a merge point, its parents in the order it lists them.
    assert_eq!(ids(None), ["eeee05", "cccc03", "dddd04", "bbbb02", "aaaa01"]);
    assert_eq!(ids(Some("bbbb02:cccc03")), ["cccc03", "bbbb02"]);
    assert_eq!(ids(Some(":bbbb02")), ["bbbb02", "aaaa01"]);
    assert_eq!(ids(Some("dddd04:")), ["eeee05", "dddd04"]);
    let err = g.history(Some("cccc03:dddd04")).unwrap_err().to_string();
    assert!(err.starts_with("Requested range cccc03:dddd04 does not refer to ancestor/descendant revisions"), "{err}");
    assert!(g.history(Some("bbbb02")).is_err());
}
