//! `retort baseline REV`: writes the schema at a revision (and the rows of
//! the tables named with `--data`) as a baseline file beside the
//! revision, one section per engine; an empty database then starts from
//! it instead of running every revision up to it.

use std::process::ExitCode;
use std::time::SystemTime;

use retort::{InspectOptions, Migrator};
use retort_core::Dialect;
use retort_core::schema::{Schema, TableRows, baseline_sql};

use crate::autogenerate::scratch_for;
use crate::cli::BaselineArgs;
use crate::commands::{connect, dialect_of};
use crate::config::Settings;

/// Writes the baseline of `asked.revision` for each of `dialects`.
pub async fn run(
    migrator: &Migrator,
    settings: &Settings,
    asked: &BaselineArgs,
    dialects: &[Dialect],
    wait: Option<std::time::Duration>,
) -> Result<ExitCode, String> {
    let graph = migrator.graph();
    let id = match graph.resolve_ids(&asked.revision).map_err(|e| e.to_string())?.as_slice() {
        [one] => one.clone(),
        several => {
            return Err(format!(
                "a baseline is the schema at one revision, and {} names {}: name one of them",
                asked.revision,
                several.join(", ")
            ));
        }
    };
    let of = graph.get(&id).ok_or_else(|| format!("no revision {id}"))?;
    let rows_at = graph.plan_upgrade(retort_core::AT_BASE, &id).map_err(|e| e.to_string())?.heads_after();
    let folder = of.path.parent().map(std::path::Path::to_path_buf).unwrap_or_else(|| settings.dir.clone());
    let (name, _) = retort_core::generate::baseline_file(of, &[], "");
    let path = folder.join(&name);
    if path.exists() {
        return Err(format!(
            "{} already exists: a revision has one baseline; remove the file to write it again",
            path.display()
        ));
    }
    let options = InspectOptions::default().with_version_table(settings.version_table.clone());
    let mut sections = Vec::new();
    for &dialect in dialects {
        let (schema, data) = match &asked.from_database {
            Some(url) => from_database(migrator, url, &rows_at, &asked.data, &options, wait).await?,
            None => built(migrator, settings, asked, &id, dialect, &options).await?,
        };
        let baseline = baseline_sql(&schema, &data)?;
        for note in &baseline.notes {
            eprintln!("WARNING  [retort] {note}");
        }
        eprintln!(
            "INFO  [retort] {dialect}: {} tables, {} views, {} rows of {} tables",
            schema.tables.len(),
            schema.views.len(),
            data.iter().map(|d| d.rows.len()).sum::<usize>(),
            data.len()
        );
        sections.push((dialect, baseline.sql));
    }
    let created = retort_core::clock::create_date(SystemTime::now());
    let (_, text) = retort_core::generate::baseline_file(of, &sections, &created);
    print!("  Generating {} ...", path.display());
    std::fs::write(&path, text).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("  done");
    Ok(ExitCode::SUCCESS)
}

/// The schema and rows of a live database, which must be at the revision.
async fn from_database(
    migrator: &Migrator,
    url: &str,
    rows_at: &[String],
    data: &[String],
    options: &InspectOptions,
    wait: Option<std::time::Duration>,
) -> Result<(Schema, Vec<TableRows>), String> {
    retort::hide_password_of(url);
    let pool = connect(url, wait).await?;
    let mut current = migrator.current(pool.db()).await.map_err(|e| e.to_string())?;
    current.sort();
    if current != rows_at {
        return Err(format!(
            "the database is at {}, and a baseline of {} needs one at {}: upgrade (or downgrade) it there first",
            if current.is_empty() { "base".to_owned() } else { current.join(", ") },
            rows_at.join(", "),
            rows_at.join(", ")
        ));
    }
    let schema = retort::inspect(pool.db(), options).await.map_err(|e| e.to_string())?;
    let rows = rows_of(&pool, &schema, data).await?;
    Ok((schema, rows))
}

/// The schema and rows the revisions make up to `id`, built in a scratch
/// database of `dialect`.
async fn built(
    migrator: &Migrator,
    settings: &Settings,
    asked: &BaselineArgs,
    id: &str,
    dialect: Dialect,
    options: &InspectOptions,
) -> Result<(Schema, Vec<TableRows>), String> {
    let scratch = scratch_for(settings, &asked.scratch_url, None, dialect, "baseline").await?;
    let built = async {
        let schema = migrator
            .schema_at(&scratch, &[id], options)
            .await
            .map_err(|e| format!("building the schema at {id} from the revisions: {e}; or take it from a database at {id} with --from-database"))?;
        let mut rows = Vec::new();
        for table in tables_named(&schema, &asked.data)? {
            rows.push(retort::table_rows(scratch.db(), table).await.map_err(|e| e.to_string())?);
        }
        Ok::<_, String>((schema, rows))
    }
    .await;
    retort::cli::release(scratch).await;
    built
}

async fn rows_of(pool: &crate::commands::Pool, schema: &Schema, data: &[String]) -> Result<Vec<TableRows>, String> {
    let mut rows = Vec::new();
    for table in tables_named(schema, data)? {
        rows.push(retort::table_rows(pool.db(), table).await.map_err(|e| e.to_string())?);
    }
    Ok(rows)
}

/// The tables `--data` names (`name` or `schema.name`), or which it names
/// that the schema lacks.
fn tables_named<'s>(schema: &'s Schema, names: &[String]) -> Result<Vec<&'s retort_core::schema::Table>, String> {
    names
        .iter()
        .map(|wanted| {
            schema.tables.values().find(|t| t.name.name == *wanted || t.name.to_string() == *wanted).ok_or_else(|| {
                let known: Vec<String> = schema.tables.keys().map(ToString::to_string).collect();
                format!(
                    "--data names {wanted}, which is not a table at this revision; the tables: {}",
                    known.join(", ")
                )
            })
        })
        .collect()
}

/// The engines to write sections for: `--dialects`, else `--dialect`, the
/// `--from-database` URL's or the database URL's.
pub fn dialects(asked: &BaselineArgs, dialect: Option<&str>, settings: &Settings) -> Result<Vec<Dialect>, String> {
    if !asked.dialects.is_empty() {
        if asked.from_database.is_some() && asked.dialects.len() > 1 {
            return Err("--from-database reads one engine's database: leave out --dialects, or build each engine's section from the revisions".to_owned());
        }
        return asked.dialects.iter().map(|d| d.parse::<Dialect>().map_err(|e| e.to_string())).collect();
    }
    if let Some(url) = &asked.from_database {
        return Ok(vec![dialect_of(url)?]);
    }
    if let Some(name) = dialect {
        return Ok(vec![name.parse::<Dialect>().map_err(|e| e.to_string())?]);
    }
    match &settings.database_url {
        Some(url) => Ok(vec![dialect_of(url)?]),
        None => Err(
            "baseline writes SQL for an engine: give --dialects postgresql,mysql,sqlite, --dialect, or a database URL"
                .to_owned(),
        ),
    }
}
