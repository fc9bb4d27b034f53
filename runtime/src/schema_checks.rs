//! The checks that compare schemas, each building what the revisions make
//! in a [`ScratchDatabase`]:
//!
//! - [`Migrator::schema_drift`]: the live database against the schema its
//!   current revisions make — what exists that no revision made, and what a
//!   revision made that is missing or changed.
//! - [`Migrator::roundtrip`] (the "stairway"): for each revision from base to
//!   head, upgrade, downgrade and upgrade again, comparing the schema after
//!   the downgrade with the one before the upgrade. Fresh scratch schemas
//!   instead of rollbacks make it work on MySQL too.
//! - [`Migrator::detect_revision`]: which revisions an unmanaged database's
//!   schema matches, for `stamp --detect`.

use retort_core::schema::{Differences, Schema, compare};
use retort_core::{AT_BASE, Dialect};

use crate::db::Db;
use crate::error::Error;
use crate::{InspectOptions, Migrator, ScratchDatabase};

/// What [`Migrator::schema_drift`] found.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SchemaDrift {
    /// The live database's version table rows.
    pub current: Vec<String>,
    /// From the schema the revisions make to the live one: what the live
    /// database has that they did not make (added), and what they made that
    /// it lacks or holds otherwise (dropped, changed).
    pub differences: Differences,
}

/// What [`Migrator::roundtrip`] found.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RoundTrip {
    /// The revisions whose downgrade restored the schema, in order.
    pub checked: Vec<String>,
    /// Revisions not checked, with why (no downgrade, a merge…).
    pub skipped: Vec<(String, String)>,
    /// The first revision whose round trip changed the schema.
    pub failure: Option<RoundTripFailure>,
}

/// A revision whose downgrade did not undo its upgrade.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RoundTripFailure {
    /// The revision.
    pub revision: String,
    /// `downgrade` (the schema after it differs from the one before the
    /// upgrade) or `upgrade again` (upgrading after the downgrade did not
    /// make the same schema as the first upgrade).
    pub phase: &'static str,
    /// From the schema expected to the one found.
    pub differences: Differences,
}

/// What [`Migrator::detect_revision`] found.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Detection {
    /// The version-table rows of every state whose schema matches the
    /// database exactly, in history order (`[]` is base: an empty schema).
    pub matches: Vec<Vec<String>>,
    /// Without an exact match, the closest states (fewest changes first,
    /// at most three, by [`Differences::weight`]), with what differs.
    pub nearest: Vec<(Vec<String>, Differences)>,
}

impl Migrator {
    /// A migrator for scratch databases: quiet, with the version table in
    /// the default schema (a scratch database has no other).
    fn for_scratch(&self) -> Migrator {
        let mut m = self.clone();
        m.progress = None;
        m.table.schema = None;
        // A scratch database is thrown away on failure: one transaction
        // per revision spares PostgreSQL a lock per table of the whole
        // history (max_locks_per_transaction) in one transaction.
        m.options.transaction_per_revision = true;
        m
    }

    /// A baseline against what it stands for: revision `id`'s schema built
    /// twice, in `by_history` (which must be empty) by every revision up to
    /// it, and in `by_baseline` from its baseline; the differences from the
    /// first to the second (none when the baseline is true to its history).
    pub async fn baseline_drift(
        &self,
        id: &str,
        by_history: &ScratchDatabase,
        by_baseline: &ScratchDatabase,
        options: &InspectOptions,
    ) -> Result<Differences, Error> {
        let options = self.scratch_options(options);
        let mut history = self.for_scratch();
        history.options.use_baselines = false;
        history.upgrade(by_history.db(), id).await?;
        let mut baseline = self.for_scratch();
        baseline.options.use_baselines = true;
        baseline.upgrade(by_baseline.db(), id).await?;
        let built = crate::inspect(by_history.db(), &options).await?;
        let from_baseline = crate::inspect(by_baseline.db(), &options).await?;
        Ok(compare(&built, &from_baseline))
    }

    /// The schema the revisions make when a new database is upgraded to
    /// each of `targets` in turn, built in `scratch` (which must be empty).
    pub async fn schema_at(
        &self,
        scratch: &ScratchDatabase,
        targets: &[&str],
        options: &InspectOptions,
    ) -> Result<Schema, Error> {
        let m = self.for_scratch();
        for target in targets {
            m.upgrade(scratch.db(), target).await?;
        }
        crate::inspect(scratch.db(), &self.scratch_options(options)).await
    }

    /// The schema a SQL script (a schema file) describes, built in
    /// `scratch` (which must be empty) and read back; `origin` names the
    /// script in errors.
    pub async fn schema_of_script(
        &self,
        scratch: &ScratchDatabase,
        origin: &str,
        sql: &str,
        options: &InspectOptions,
    ) -> Result<Schema, Error> {
        scratch.run_script(origin, sql).await?;
        crate::inspect(scratch.db(), &self.scratch_options(options)).await
    }

    fn scratch_options(&self, options: &InspectOptions) -> InspectOptions {
        options.clone().with_version_table(self.table.name.clone())
    }

    /// Compares `live` with the schema its current revisions make, built in
    /// `scratch` (which must be empty).
    pub async fn schema_drift<'a>(
        &self,
        live: impl Into<Db<'a>>,
        scratch: &ScratchDatabase,
        options: &InspectOptions,
    ) -> Result<SchemaDrift, Error> {
        let mut live = live.into();
        let current = self.current(live.reborrow()).await?;
        if let Some(unknown) = current.iter().find(|r| self.graph.get(r).is_none()) {
            return Err(Error::Plan(retort_core::RevisionError::NotFound {
                id: unknown.clone(),
                reason:
                    "the database is at a revision these revisions do not have, so the schema it should have is unknown"
                        .to_owned(),
            }));
        }
        let targets: Vec<&str> = current.iter().map(String::as_str).collect();
        let expected = self.schema_at(scratch, &targets, options).await?;
        let found = crate::inspect(live, &self.scratch_options(options)).await?;
        Ok(SchemaDrift { current, differences: compare(&expected, &found) })
    }

    /// The stairway: in `scratch` (which must be empty), for each revision
    /// from base to head, upgrade to it, downgrade, and upgrade again,
    /// stopping at the first revision whose downgrade does not restore the
    /// schema before it (or whose second upgrade makes another schema).
    /// Revisions without a downgrade for the scratch's dialect are named
    /// and skipped, and so are those a single downgrade cannot undo alone
    /// (merges, and revisions applied beside another branch's head).
    pub async fn roundtrip(&self, scratch: &ScratchDatabase, options: &InspectOptions) -> Result<RoundTrip, Error> {
        let m = self.for_scratch();
        let options = self.scratch_options(options);
        let dialect = scratch.dialect();
        let order: Vec<String> =
            self.graph.plan_upgrade(AT_BASE, "heads")?.revision_ids().into_iter().map(str::to_owned).collect();
        let mut result = RoundTrip::default();
        for id in order {
            let before = crate::inspect(scratch.db(), &options).await?;
            let report = m.upgrade(scratch.db(), &id).await?;
            let after = crate::inspect(scratch.db(), &options).await?;
            let Some(target) = self.downgrade_target(&id, &report.heads_after, dialect, &mut result) else { continue };
            m.downgrade(scratch.db(), &target).await?;
            let undone = crate::inspect(scratch.db(), &options).await?;
            let differences = compare(&before, &undone);
            if !differences.is_empty() {
                result.failure = Some(RoundTripFailure { revision: id, phase: "downgrade", differences });
                return Ok(result);
            }
            m.upgrade(scratch.db(), &id).await?;
            let again = crate::inspect(scratch.db(), &options).await?;
            let differences = compare(&after, &again);
            if !differences.is_empty() {
                result.failure = Some(RoundTripFailure { revision: id, phase: "upgrade again", differences });
                return Ok(result);
            }
            result.checked.push(id);
        }
        Ok(result)
    }

    /// The target that undoes `id` alone, or why there is none.
    fn downgrade_target(&self, id: &str, heads: &[String], dialect: Dialect, result: &mut RoundTrip) -> Option<String> {
        let revision = self.graph.runnable(id)?;
        let skip = |result: &mut RoundTrip, why: &str| result.skipped.push((id.to_owned(), why.to_owned()));
        if revision.downgrade_for(dialect).is_none() {
            skip(result, "it has no downgrade");
            return None;
        }
        if heads != [id] {
            skip(result, "another branch's head is applied beside it, so no single downgrade undoes it alone");
            return None;
        }
        match revision.down_revisions.as_slice() {
            [] => Some("base".to_owned()),
            [parent] => Some(parent.clone()),
            _ => {
                skip(result, "it is a merge point");
                None
            }
        }
    }

    /// Which states of the history the schema of `live` matches: `scratch`
    /// (which must be empty) is upgraded one revision at a time from base
    /// to head, and each state compared with the live one. With branches,
    /// only the states along that one order are built.
    /// Several matches (revisions that change only data) or none leave the
    /// choice to the user: never stamp on a guess.
    pub async fn detect_revision<'a>(
        &self,
        live: impl Into<Db<'a>>,
        scratch: &ScratchDatabase,
        options: &InspectOptions,
    ) -> Result<Detection, Error> {
        let m = self.for_scratch();
        let options = self.scratch_options(options);
        let found = crate::inspect(live, &options).await?;
        let mut detection = Detection::default();
        let mut candidates: Vec<(Vec<String>, Differences)> = Vec::new();
        // A match is what compare() calls equal (not the fingerprint, which
        // also holds the constraint names one side chose).
        let mut consider = |heads: Vec<String>, schema: &Schema| {
            let differences = compare(schema, &found);
            if differences.is_empty() {
                detection.matches.push(heads);
            } else {
                candidates.push((heads, differences));
            }
        };
        consider(Vec::new(), &crate::inspect(scratch.db(), &options).await?);
        let order: Vec<String> =
            self.graph.plan_upgrade(AT_BASE, "heads")?.revision_ids().into_iter().map(str::to_owned).collect();
        for id in order {
            let report = m.upgrade(scratch.db(), &id).await?;
            consider(report.heads_after, &crate::inspect(scratch.db(), &options).await?);
        }
        if detection.matches.is_empty() {
            candidates.sort_by_key(|(_, d)| d.weight());
            candidates.truncate(3);
            detection.nearest = candidates;
        }
        Ok(detection)
    }
}

/// The schema file for `dialect`: `schema.<dialect>.sql` beside `path`
/// (`schema.postgresql.sql`) when it exists, else `path`.
pub fn schema_file_for(path: &std::path::Path, dialect: Dialect) -> std::path::PathBuf {
    let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let extension = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let specific = path.with_file_name(format!("{stem}.{}{extension}", dialect.name()));
    if specific.exists() { specific } else { path.to_owned() }
}
