//! retort against real Alembic: over generated revision graphs (chains,
//! branches, merges, depends_on, branch labels), written as Alembic `.py`
//! revision files, both must agree on heads, bases, labels and history, and
//! on the steps, their order and the version-table rows after every step of
//! upgrades, downgrades and stamps to many targets from many states.
//!
//! Alembic is the oracle. Where it crashes (AssertionError, KeyError…)
//! retort must refuse with an error; where retort deliberately refuses what
//! Alembic only warns about (`downgrade -1` from several heads) the case is
//! counted, not compared.
//!
//! Needs a Python with alembic: `RETORT_PYTHON`, else `.venv/bin/python` at
//! the workspace root. Without one the test says so and passes, unless `CI`
//! is set, where it fails. `RETORT_DIFF_GRAPHS` sets how many graphs (150).

mod common;

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use common::{GeneratedGraph, Rng, temp_dir};
use retort_core::{Plan, RevisionError, RevisionGraph, StepKind, VersionChange, load_dir};

struct Oracle {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Oracle {
    fn start(python: &Path) -> Oracle {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/alembic_oracle.py");
        let mut child = Command::new(python)
            .arg(script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("start the Alembic oracle");
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Oracle { child, stdin, stdout }
    }

    fn ask(&mut self, request: &str) -> String {
        writeln!(self.stdin, "{request}").unwrap();
        self.stdin.flush().unwrap();
        let mut line = String::new();
        self.stdout.read_line(&mut line).unwrap();
        assert!(!line.is_empty(), "the Alembic oracle died on: {request}");
        line.trim_end().to_owned()
    }
}

impl Drop for Oracle {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The plan in the oracle's line format.
fn render(plan: &Plan) -> String {
    let steps: Vec<String> = plan
        .steps
        .iter()
        .map(|step| {
            let mut ops: Vec<char> = step
                .changes
                .iter()
                .map(|c| match c {
                    VersionChange::Insert(_) => 'I',
                    VersionChange::Delete(_) => 'D',
                    VersionChange::Update { .. } => 'U',
                })
                .collect();
            ops.sort_unstable();
            let what = match &step.kind {
                StepKind::Upgrade(id) => format!("upgrade/{id}"),
                StepKind::Downgrade(id) => format!("downgrade/{id}"),
                StepKind::Stamp { from, to, .. } => format!("stamp/{}>{}", from.join(","), to.join(",")),
                StepKind::Baseline(id) => format!("baseline/{id}"),
            };
            format!("{what}/{}/{}", ops.into_iter().collect::<String>(), step.heads_after.join(","))
        })
        .collect();
    format!("OK {}", steps.join(";")).trim_end().to_owned()
}

fn facts(graph: &RevisionGraph) -> String {
    let mut labelled: Vec<(String, Vec<String>)> = graph
        .revisions()
        .iter()
        .map(|r| (r.id.clone(), graph.branch_labels(&r.id)))
        .filter(|(_, l)| !l.is_empty())
        .collect();
    labelled.sort();
    let labels: Vec<String> = labelled.iter().map(|(id, l)| format!("{id}:{}", l.join("+"))).collect();
    let history: Vec<&str> = graph.history(None).unwrap().iter().map(|r| r.id.as_str()).collect();
    format!(
        "OK heads={};real={};bases={};labels={};history={}",
        graph.heads().join(","),
        graph.real_heads().join(","),
        graph.bases().join(","),
        labels.join(","),
        history.join(",")
    )
}

#[derive(Default)]
struct Tally {
    compared: usize,
    both_failed: usize,
    alembic_crashed: usize,
    deliberate: usize,
    mismatches: Vec<String>,
    wording: std::collections::BTreeMap<String, usize>,
}

/// Alembic prints some collections in Python set order; retort in load
/// order. Sorts them on both sides: the items of a `(a, b)` label group,
/// of `Branches into:`, and the child lines of a `branches` block.
fn normalize(text: &str) -> String {
    let mut lines: Vec<String> = text
        .split("\\n")
        .map(|line| {
            let mut line = line.to_owned();
            for key in ["Branches into: ", "Branch names: "] {
                if let Some(at) = line.find(key) {
                    let (head, list) = line.split_at(at + key.len());
                    let mut items: Vec<&str> = list.split(", ").collect();
                    items.sort_unstable();
                    line = format!("{head}{}", items.join(", "));
                }
            }
            let mut out = String::new();
            let mut rest = line.as_str();
            while let Some(open) = rest.find('(') {
                let Some(close) = rest[open..].find(')') else { break };
                let inner = &rest[open + 1..open + close];
                let mut items: Vec<&str> = inner.split(", ").collect();
                if items.iter().all(|i| i.starts_with("lbl")) {
                    items.sort_unstable();
                }
                out.push_str(&rest[..open + 1]);
                out.push_str(&items.join(", "));
                out.push(')');
                rest = &rest[open + close + 1..];
            }
            out.push_str(rest);
            out
        })
        .collect();
    let mut start = 0;
    while start < lines.len() {
        if lines[start].trim_start().starts_with("-> ") {
            let mut end = start;
            while end < lines.len() && lines[end].trim_start().starts_with("-> ") {
                end += 1;
            }
            lines[start..end].sort();
            start = end;
        } else {
            start += 1;
        }
    }
    lines.join("\\n")
}

impl Tally {
    fn compare_text(&mut self, request: &str, alembic: &str, retort: Result<String, RevisionError>) {
        let retort = retort.map(|text| normalize(&text));
        self.compare(request, &normalize(alembic), retort);
    }

    fn compare(&mut self, request: &str, alembic: &str, retort: Result<String, RevisionError>) {
        self.compared += 1;
        match (alembic, retort) {
            (a, Ok(r)) if a == r => {}
            (a, Err(e)) if a.starts_with("ERR ") => {
                self.both_failed += 1;
                // retort keeps Alembic's wording and adds what to do: its
                // message starts with Alembic's first words.
                let theirs: Vec<&str> = a[4..].split_whitespace().take(3).collect();
                let ours = e.to_string();
                let deliberate = matches!(e, RevisionError::AmbiguousDowngrade { .. });
                if !deliberate && !ours.starts_with(&theirs.join(" ")) {
                    *self.wording.entry(format!("alembic: {}  retort: {ours}", &a[4..])).or_default() += 1;
                }
            }
            (a, Err(_)) if a.starts_with("CRASH ") => self.alembic_crashed += 1,
            (a, Err(RevisionError::AmbiguousDowngrade { .. })) if a.starts_with("OK") => self.deliberate += 1,
            // Alembic asserts in its topological sort when a history range
            // is entered through a dependency from outside; retort lists it.
            (a, Ok(_))
                if a.starts_with("CRASH AssertionError")
                    && (request.contains(": history ") || request.contains(": text history ")) =>
            {
                self.deliberate += 1
            }
            (a, r) => self.mismatches.push(format!("{request}\n  alembic: {a}\n  retort:  {r:?}")),
        }
    }
}

fn targets_for(graph: &GeneratedGraph, rng: &mut Rng) -> Vec<String> {
    let mut all: Vec<String> =
        vec!["head", "heads", "base", "+1", "+2", "-1", "-2", "head-1"].into_iter().map(str::to_owned).collect();
    for rev in &graph.revisions {
        all.push(rev.id.clone());
        all.push(format!("{}+1", rev.id));
        all.push(format!("{}-1", rev.id));
        for label in &rev.labels {
            for form in ["head", "base", "heads", "+1", "-1"] {
                all.push(format!("{label}@{form}"));
            }
            all.push(format!("{label}@{}", rev.id));
        }
    }
    rng.shuffle(&mut all);
    all.truncate(14);
    all
}

#[test]
fn retort_plans_exactly_as_alembic_does() {
    let Some(python) = common::python_with_alembic("the differential test against Alembic") else { return };
    let graphs: usize = std::env::var("RETORT_DIFF_GRAPHS").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    let max_size: usize = std::env::var("RETORT_DIFF_MAX_SIZE").ok().and_then(|v| v.parse().ok()).unwrap_or(11);
    let mut oracle = Oracle::start(&python);
    let mut rng = Rng::new(0x5eed_a1e0_b1c5);
    let mut tally = Tally::default();
    let root = temp_dir("differential");
    for n in 0..graphs {
        let generated = GeneratedGraph::random(&mut rng, 1 + n % max_size);
        let dir = root.join(format!("g{n}"));
        generated.write_python(&dir, &mut rng);
        let graph = load_dir(&dir).unwrap_or_else(|problems| panic!("graph {n} does not load:\n{problems}"));
        assert_eq!(oracle.ask(&format!("dir|{}", dir.display())), "OK");
        tally.compare(&format!("graph {n}: facts"), &oracle.ask("facts"), Ok(facts(&graph)));

        let escape =
            |text: String| format!("OK {}", text.replace('\\', "\\\\").replace('\n', "\\n")).trim_end().to_owned();
        // States the database can be in: empty, and wherever an upgrade
        // from empty to any revision leaves it.
        let mut states: Vec<Vec<String>> = vec![Vec::new()];
        for target in generated.revisions.iter().map(|r| r.id.as_str()).chain(["heads"]) {
            if let Ok(plan) = graph.plan_upgrade(retort_core::AT_BASE, target) {
                let heads = plan.heads_after();
                if !states.contains(&heads) {
                    states.push(heads);
                }
            }
        }
        for state in &states {
            let current = state.join(",");
            // `current`: the lines Alembic prints for these rows.
            let ours: String = graph
                .all_current_ids(state)
                .iter()
                .filter_map(|row| graph.format_line(row, retort_core::LineFormat::CURRENT, false))
                .map(|l| l + "\n")
                .collect();
            tally.compare_text(
                &format!("graph {n}: text current {current}"),
                &oracle.ask(&format!("text|current|{current}|0")),
                Ok(escape(ours)),
            );
            for target in targets_for(&generated, &mut rng) {
                for command in ["upgrade", "downgrade"] {
                    let request = format!("{command}|{current}|{target}");
                    let ours = if command == "upgrade" {
                        graph.plan_upgrade(state, &target)
                    } else {
                        graph.plan_downgrade(state, &target)
                    };
                    tally.compare(&format!("graph {n}: {request}"), &oracle.ask(&request), ours.map(|p| render(&p)));
                }
                for purge in [false, true] {
                    let request = format!("stamp|{current}|{target}|{}", u8::from(purge));
                    let ours = graph.plan_stamp(state, &[target.as_str()], purge);
                    tally.compare(&format!("graph {n}: {request}"), &oracle.ask(&request), ours.map(|p| render(&p)));
                }
            }
        }
        // The text of history, heads, branches and show, plain and verbose.
        let a = &generated.revisions[rng.below(generated.revisions.len())].id;
        let escape =
            |text: String| format!("OK {}", text.replace('\\', "\\\\").replace('\n', "\\n")).trim_end().to_owned();
        for verbose in [false, true] {
            let v = u8::from(verbose);
            let ours = graph.history_text(None, verbose, &[]).map(escape);
            tally.compare_text(
                &format!("graph {n}: text history -v{v}"),
                &oracle.ask(&format!("text|history||{v}")),
                ours,
            );
            let ours = graph.history_text(Some(&format!("{a}:")), verbose, &[]).map(escape);
            tally.compare_text(
                &format!("graph {n}: text history {a}: -v{v}"),
                &oracle.ask(&format!("text|history|{a}:|{v}")),
                ours,
            );
            let ours = Ok(escape(graph.heads_text(verbose)));
            tally.compare_text(&format!("graph {n}: text heads -v{v}"), &oracle.ask(&format!("text|heads||{v}")), ours);
            let ours = Ok(escape(graph.branches_text(verbose)));
            tally.compare_text(
                &format!("graph {n}: text branches -v{v}"),
                &oracle.ask(&format!("text|branches||{v}")),
                ours,
            );
        }
        let ours = graph.show_text(a).map(escape);
        tally.compare_text(&format!("graph {n}: text show {a}"), &oracle.ask(&format!("text|show|{a}|0")), ours);

        // History ranges between random revisions.
        for _ in 0..4 {
            let a = &generated.revisions[rng.below(generated.revisions.len())].id;
            let b = &generated.revisions[rng.below(generated.revisions.len())].id;
            for range in [format!("{a}:{b}"), format!("{a}:"), format!(":{b}")] {
                let ours = graph.history(Some(&range)).map(|revs| {
                    format!("OK {}", revs.iter().map(|r| r.id.as_str()).collect::<Vec<_>>().join(","))
                        .trim_end()
                        .to_owned()
                });
                tally.compare(&format!("graph {n}: history {range}"), &oracle.ask(&format!("history|{range}")), ours);
            }
        }
    }
    let _ = std::fs::remove_dir_all(&root);
    eprintln!(
        "differential: {} comparisons over {graphs} graphs; {} failed in both, {} crashed Alembic (retort refused), {} refused deliberately",
        tally.compared, tally.both_failed, tally.alembic_crashed, tally.deliberate
    );
    let wording: Vec<String> = tally.wording.iter().take(10).map(|(pair, count)| format!("{count}x {pair}")).collect();
    assert!(wording.is_empty(), "retort words these errors unlike Alembic:\n{}", wording.join("\n"));
    assert!(tally.compared > graphs * 20, "too few comparisons: {}", tally.compared);
    assert!(
        tally.mismatches.is_empty(),
        "{} disagreements with Alembic; the first ones:\n{}",
        tally.mismatches.len(),
        tally
            .mismatches
            .iter()
            .take(std::env::var("RETORT_DIFF_SHOW").ok().and_then(|v| v.parse().ok()).unwrap_or(15))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
