//! Random revision graphs for the property and differential tests.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use retort_core::Revision;

/// A small deterministic generator (xorshift64*), so failures replay.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }

    pub fn hex_id(&mut self) -> String {
        format!("{:012x}", self.next() & 0xffff_ffff_ffff)
    }
}

/// One generated revision.
#[derive(Debug, Clone)]
pub struct GenRevision {
    pub id: String,
    pub down: Vec<String>,
    pub depends_on: Vec<String>,
    pub labels: Vec<String>,
}

/// A generated graph: chains, branches, merges of heads, depends_on and
/// labels, always valid.
#[derive(Debug, Clone)]
pub struct GeneratedGraph {
    pub revisions: Vec<GenRevision>,
}

impl GeneratedGraph {
    pub fn random(rng: &mut Rng, size: usize) -> GeneratedGraph {
        let mut revisions: Vec<GenRevision> = Vec::new();
        let mut heads: Vec<usize> = Vec::new();
        for i in 0..size.max(1) {
            let id = rng.hex_id();
            let down: Vec<usize> = if i == 0 || rng.chance(8) {
                Vec::new()
            } else if heads.len() >= 2 && rng.chance(25) {
                let a = heads[rng.below(heads.len())];
                let mut b = heads[rng.below(heads.len())];
                while b == a {
                    b = heads[rng.below(heads.len())];
                }
                vec![a, b]
            } else if rng.chance(60) && !heads.is_empty() {
                vec![heads[rng.below(heads.len())]]
            } else {
                vec![rng.below(i)]
            };
            let depends_on = if i > 1 && rng.chance(15) { vec![rng.below(i)] } else { Vec::new() };
            let depends_on: Vec<usize> = depends_on.into_iter().filter(|d| !down.contains(d)).collect();
            let labels = if rng.chance(15) { vec![format!("lbl{i}")] } else { Vec::new() };
            heads.retain(|h| !down.contains(h));
            heads.push(i);
            revisions.push(GenRevision {
                id,
                down: down.iter().map(|&d| revisions[d].id.clone()).collect(),
                depends_on: depends_on.iter().map(|&d| revisions[d].id.clone()).collect(),
                labels,
            });
        }
        GeneratedGraph { revisions }
    }

    /// The revisions as retort values, in load order (sorted by file name,
    /// which starts with the id).
    pub fn to_revisions(&self) -> Vec<Revision> {
        let mut revs: Vec<Revision> = self
            .revisions
            .iter()
            .map(|r| {
                Revision::new(&r.id, r.down.clone())
                    .with_depends_on(r.depends_on.clone())
                    .with_branch_labels(r.labels.clone())
            })
            .collect();
        revs.sort_by(|a, b| a.id.cmp(&b.id));
        revs
    }

    /// Writes the graph as Alembic `.py` revision files, in the various
    /// forms real projects use.
    pub fn write_python(&self, dir: &Path, rng: &mut Rng) {
        std::fs::create_dir_all(dir).unwrap();
        for rev in &self.revisions {
            let quote = |s: &str, rng: &mut Rng| if rng.chance(50) { format!("'{s}'") } else { format!("\"{s}\"") };
            let many = |items: &[String], rng: &mut Rng| -> String {
                match items {
                    [] => "None".to_owned(),
                    [one] if rng.chance(70) => quote(one, rng),
                    _ => {
                        let inner: Vec<String> = items.iter().map(|s| quote(s, rng)).collect();
                        if rng.chance(50) {
                            format!("({},)", inner.join(", "))
                        } else {
                            format!("[\n    {},\n]", inner.join(",\n    "))
                        }
                    }
                }
            };
            let annotation = if rng.chance(50) { ": Union[str, Sequence[str], None]" } else { "" };
            let mut text = String::new();
            writeln!(
                text,
                "\"\"\"Revision {}\n\nRevision ID: {}\nRevises: {}\n\"\"\"",
                rev.id,
                rev.id,
                rev.down.join(", ")
            )
            .unwrap();
            writeln!(text, "from typing import Sequence, Union\n").unwrap();
            writeln!(text, "revision: str = {}  # the id", quote(&rev.id, rng)).unwrap();
            writeln!(text, "down_revision{annotation} = {}", many(&rev.down, rng)).unwrap();
            writeln!(text, "branch_labels{annotation} = {}", many(&rev.labels, rng)).unwrap();
            writeln!(text, "depends_on{annotation} = {}", many(&rev.depends_on, rng)).unwrap();
            writeln!(text, "\n\ndef upgrade():\n    pass\n\n\ndef downgrade():\n    pass").unwrap();
            std::fs::write(dir.join(format!("{}_revision.py", rev.id)), text).unwrap();
        }
    }
}

/// A fresh directory under the system's temporary directory.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("retort-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A Python with alembic: `RETORT_PYTHON`, else `.venv/bin/python` at the
/// workspace root; `None` (said on stderr) when there is none, which fails
/// in CI.
#[allow(dead_code)]
pub fn python_with_alembic(test: &str) -> Option<PathBuf> {
    let candidates = std::env::var_os("RETORT_PYTHON")
        .map(PathBuf::from)
        .into_iter()
        .chain([Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python")]);
    for candidate in candidates {
        let ok = std::process::Command::new(&candidate)
            .args(["-c", "import alembic, sqlalchemy"])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Some(candidate);
        }
    }
    let message = format!(
        "{test} skipped: no Python with alembic found; create one with `python3 -m venv .venv && .venv/bin/pip install -r requirements-test.txt` or set RETORT_PYTHON"
    );
    assert!(std::env::var_os("CI").is_none(), "{message} (CI must run it)");
    // Past the harness's capture: a skip must be visible in a passing run.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("note: {message}\n").as_bytes());
    None
}
