//! Alembic's topological walk, which decides the order of steps between
//! branches.

use super::{Idx, RevisionGraph};

impl RevisionGraph {
    /// Orders `todo` children first, starting from `heads` and finishing one
    /// branch before the next as far as dependencies allow, exactly as
    /// Alembic's `_topological_sort` does (its order decides the order of
    /// steps between branches).
    ///
    /// `closed` says that every revision between two revisions of `todo` is
    /// in `todo` too, as in upgrade and downgrade plans: then "another
    /// frontier revision descends from this one" is answered within `todo`
    /// in linear time. A history range is not closed (it is cut to
    /// descendants through `Revises`), so there ancestry is searched in the
    /// whole graph, as Alembic does.
    pub(super) fn topological_sort(&self, todo: &[Idx], heads: &[Idx], closed: bool) -> Vec<Idx> {
        let n = self.nodes.len();
        let mut pending = vec![false; n];
        todo.iter().for_each(|&i| pending[i] = true);
        // How many unemitted children (through normalised down links) each
        // pending revision still waits for.
        let mut waiting = vec![0u32; n];
        for &i in todo {
            for &d in &self.nodes[i].norm_down {
                if pending[d] {
                    waiting[d] += 1;
                }
            }
        }
        let mut frontier: Vec<Idx> = heads.iter().copied().filter(|&h| pending[h]).collect();
        frontier.sort_unstable();
        frontier.dedup();
        let mut in_frontier = vec![false; n];
        frontier.iter().for_each(|&h| in_frontier[h] = true);
        let mut stamp = vec![0u32; n];
        let mut generation = 0u32;
        let mut out = Vec::with_capacity(todo.len());
        let mut at = 0usize;
        loop {
            if frontier.is_empty() {
                // Alembic asserts here that nothing is left; a history range
                // entered through a dependency from outside it leaves some.
                // Go on from the youngest of those instead of failing.
                match todo.iter().copied().find(|&i| pending[i] && waiting[i] == 0) {
                    Some(next) => {
                        frontier.push(next);
                        in_frontier[next] = true;
                        at = 0;
                    }
                    None => break,
                }
            }
            let candidate = frontier[at];
            if !closed {
                let above = (0..frontier.len()).find(|&j| j != at && self.is_ancestor_or_self(candidate, frontier[j]));
                if let Some(j) = above {
                    at = j;
                    continue;
                }
            } else if waiting[candidate] > 0 {
                // Another frontier revision descends from the candidate: go
                // to the first such one in frontier order.
                generation += 1;
                let mut stack = vec![candidate];
                while let Some(i) = stack.pop() {
                    for &c in &self.nodes[i].norm_next {
                        if pending[c] && stamp[c] != generation {
                            stamp[c] = generation;
                            stack.push(c);
                        }
                    }
                }
                if let Some(j) = (0..frontier.len()).find(|&j| j != at && stamp[frontier[j]] == generation) {
                    at = j;
                    continue;
                }
            }
            if pending[candidate] {
                out.push(candidate);
                pending[candidate] = false;
                for &d in &self.nodes[candidate].norm_down {
                    if pending[d] {
                        waiting[d] -= 1;
                    }
                }
            }
            let mut added: Vec<Idx> = Vec::new();
            for &d in &self.nodes[candidate].norm_down {
                if pending[d] && !in_frontier[d] && !added.contains(&d) {
                    added.push(d);
                }
            }
            in_frontier[candidate] = false;
            if added.is_empty() {
                frontier.remove(at);
                at = at.saturating_sub(1);
            } else {
                frontier[at] = added[0];
                for &a in &added {
                    in_frontier[a] = true;
                }
                frontier.extend_from_slice(&added[1..]);
            }
        }
        out
    }
}
