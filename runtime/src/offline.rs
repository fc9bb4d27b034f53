//! Offline SQL (`--sql`): the statements a run would send, version-table
//! changes included, as text, without a connection.

use retort_core::{Dialect, Plan, PreparedStep, VersionChange};

use crate::error::Error;
use crate::migrator::{Command, Migrator};
use crate::table::literal;

impl Migrator {
    /// The SQL that upgrades a database at `from` (its version table's rows;
    /// none for an empty database) to `target` on `dialect`.
    ///
    /// ```
    /// # use retort::{Revision, RevisionGraph, Dialect};
    /// let migrator = retort::Migrator::new(RevisionGraph::new(vec![Revision::new("ae1027a6acf0", None::<&str>)]).unwrap());
    /// let sql = migrator.upgrade_sql(Dialect::Postgres, &[], "head").unwrap();
    /// assert!(sql.starts_with("BEGIN;"));
    /// assert!(sql.contains("INSERT INTO \"alembic_version\" (version_num) VALUES ('ae1027a6acf0');"));
    /// ```
    pub fn upgrade_sql(&self, dialect: Dialect, from: &[&str], target: &str) -> Result<String, Error> {
        self.offline(dialect, from, Command::Upgrade(target))
    }

    /// The SQL that downgrades a database at `from` to `target`.
    pub fn downgrade_sql(&self, dialect: Dialect, from: &[&str], target: &str) -> Result<String, Error> {
        self.offline(dialect, from, Command::Downgrade(target))
    }

    /// The SQL that stamps a database at `from` with `targets`.
    pub fn stamp_sql(&self, dialect: Dialect, from: &[&str], targets: &[&str]) -> Result<String, Error> {
        self.offline(dialect, from, Command::Stamp(targets, false))
    }

    fn offline(&self, dialect: Dialect, from: &[&str], command: Command<'_>) -> Result<String, Error> {
        let rows: Vec<String> = from.iter().map(|s| s.to_string()).collect();
        let plan = self.plan(&rows, command, dialect)?;
        let prepared = self.graph.prepare(&plan, dialect)?;
        let needs_table = prepared.iter().find_map(|p| {
            let (rev, _) = p.revision?;
            p.statements.iter().any(|s| retort_core::translate::batch_payload(&s.sql).is_some()).then_some(rev)
        });
        if let Some(rev) = needs_table {
            return Err(
                retort_core::NotRunnable::NeedsLiveTable { revision: rev.id.clone(), path: rev.path.clone() }.into()
            );
        }
        Ok(self.render(dialect, &plan, &prepared, &rows))
    }

    fn render(&self, dialect: Dialect, plan: &Plan, prepared: &[PreparedStep<'_>], from: &[String]) -> String {
        // MySQL has no transactional DDL: Alembic prints no BEGIN/COMMIT.
        let transactional = dialect != Dialect::MySql;
        let per_revision = transactional && self.options.transaction_per_revision;
        let table = &self.table;
        let mut out = String::new();
        let mut emit_text = |sql: &str, comment: bool| {
            let sql = sql.trim_end();
            out.push_str(sql);
            // Comments end without a semicolon, as Alembic prints them; a
            // statement whose last line holds a `--` comment gets its
            // semicolon on a line of its own.
            let last_line_comment = sql.lines().last().is_some_and(|l| l.contains("--"));
            out.push_str(if comment {
                "\n\n"
            } else if last_line_comment {
                "\n;\n\n"
            } else {
                ";\n\n"
            });
        };
        if transactional && !per_revision {
            emit_text("BEGIN", false);
        }
        let mut rows = !from.is_empty();
        // Alembic creates the table before a step that starts from no row.
        for (step, prepared) in plan.steps.iter().zip(prepared) {
            if per_revision {
                emit_text("BEGIN", false);
            }
            if !rows {
                emit_text(&table.create(dialect, false), false);
            }
            emit_text(&format!("-- Running {}", step.short_log(&self.graph)), true);
            if let Some((rev, _)) = prepared.revision {
                let outside = !rev.transactional && transactional;
                if outside {
                    emit_text("COMMIT", false);
                }
                for statement in &prepared.statements {
                    emit_text(&statement.sql, false);
                }
                if outside {
                    emit_text("BEGIN", false);
                }
            }
            for change in &step.changes {
                let name = table.sql_name(dialect);
                let sql = match change {
                    VersionChange::Insert(v) => {
                        format!("INSERT INTO {name} (version_num) VALUES ({})", literal(dialect, v))
                    }
                    VersionChange::Update { from, to } => {
                        format!(
                            "UPDATE {name} SET version_num = {} WHERE version_num = {}",
                            literal(dialect, to),
                            literal(dialect, from)
                        )
                    }
                    VersionChange::Delete(v) => {
                        format!("DELETE FROM {name} WHERE version_num = {}", literal(dialect, v))
                    }
                };
                emit_text(&sql, false);
            }
            rows = !step.heads_after.is_empty();
            if per_revision {
                emit_text("COMMIT", false);
            }
        }
        if transactional && !per_revision {
            emit_text("COMMIT", false);
        }
        out
    }
}
