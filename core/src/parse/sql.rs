//! Reading a retort `.sql` revision file (SPEC §2), in three steps: the
//! header, the sections, and a check that every section splits into
//! statements for each dialect it serves.

use std::path::Path;

use crate::checksum::checksum;
use crate::diagnostic::Diagnostic;
use crate::parse::{id_diagnostic, parse_list, suggest_key};
use crate::revision::{Dialect, Direction, HeaderLines, Revision, Section, SourceKind, validate_id};
use crate::split::split_statements;

/// The header keys a `.sql` revision understands, as written in files.
pub const HEADER_KEYS: [&str; 7] =
    ["Revision ID", "Revises", "Branch Labels", "Depends On", "Create Date", "Transactional", "Baseline Of"];

/// A line `-- upgrade`, `-- downgrade: mysql`… at column 0, or `None`.
/// A known direction with an unknown dialect is `Some(Err(dialect))`.
fn section_marker(line: &str) -> Option<Result<(Direction, Option<Dialect>), String>> {
    let content = line.strip_prefix("--")?.trim();
    let (word, dialect) = match content.split_once(':') {
        Some((word, dialect)) => (word.trim(), Some(dialect.trim())),
        None => (content, None),
    };
    let direction = if word.eq_ignore_ascii_case("upgrade") {
        Direction::Upgrade
    } else if word.eq_ignore_ascii_case("downgrade") {
        Direction::Downgrade
    } else {
        return None;
    };
    match dialect {
        None => Some(Ok((direction, None))),
        Some(name) => Some(name.parse::<Dialect>().map(|d| (direction, Some(d))).map_err(|_| name.to_owned())),
    }
}

/// Parses the text of a `.sql` revision file read from `path`.
///
/// Returns the revision when its identity could be read (so that the graph
/// can still be checked around a file with smaller problems) and every
/// problem found in the file.
pub fn parse_sql_revision(path: &Path, text: &str) -> (Option<Revision>, Vec<Diagnostic>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut file = SqlFile { path, text, lines: text.lines().collect(), problems: Vec::new(), body_of: None };
    let (header, body_from) = file.header();
    let body = file.sections(body_from);
    match super::nul_diagnostic(path, text) {
        Some(nul) => file.report(nul),
        None => file.check_splits(&body),
    }
    if header.baseline {
        file.check_baseline(&header, &body);
    }
    let Some(id) = header.id else {
        return (None, file.problems);
    };
    // The checksum covers the sections, not the header: rewording the
    // message is not an edit of what ran.
    let sql = body.start.map_or_else(String::new, |line| file.lines[line as usize - 1..].join("\n"));
    let revision = Revision {
        id,
        down_revisions: header.down_revisions,
        branch_labels: header.branch_labels,
        depends_on: header.depends_on,
        message: header.message.unwrap_or_default(),
        doc: header.doc_lines.join("\n").trim().to_owned(),
        create_date: header.create_date,
        transactional: header.transactional,
        upgrade: body.upgrade,
        downgrade: body.downgrade,
        path: path.to_path_buf(),
        lines: header.lines,
        checksum: checksum(&sql),
        kind: if header.baseline { SourceKind::Baseline } else { SourceKind::Sql },
        sql_file: None,
        untranslated: Vec::new(),
        body_pending: false,
    };
    (Some(revision), file.problems)
}

/// The SQL of an Alembic `.py` revision, from the `.sql` file of the same
/// name beside it: its sections and whether it runs in a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SqlBody {
    /// The upgrade sections.
    pub upgrade: Vec<Section>,
    /// The downgrade sections; none makes the revision irreversible.
    pub downgrade: Vec<Section>,
    /// False with `-- Transactional: false`.
    pub transactional: bool,
    /// The checksum of the sections.
    pub checksum: [u8; 32],
}

/// Parses the `.sql` file that holds the SQL of the `.py` revision `of`:
/// `-- upgrade` / `-- downgrade` sections, and before them comments and at
/// most `-- Transactional: false` (the header is the `.py`'s).
pub fn parse_sql_body(path: &Path, text: &str, of: &Path) -> (SqlBody, Vec<Diagnostic>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut file = SqlFile { path, text, lines: text.lines().collect(), problems: Vec::new(), body_of: Some(of) };
    let (header, body_from) = file.header();
    let body = file.sections(body_from);
    match super::nul_diagnostic(path, text) {
        Some(nul) => file.report(nul),
        None => file.check_splits(&body),
    }
    let sql = body.start.map_or_else(String::new, |line| file.lines[line as usize - 1..].join("\n"));
    let parsed = SqlBody {
        upgrade: body.upgrade,
        downgrade: body.downgrade,
        transactional: header.transactional,
        checksum: checksum(&sql),
    };
    (parsed, file.problems)
}

/// A file being read, and the problems found so far.
struct SqlFile<'t> {
    path: &'t Path,
    text: &'t str,
    lines: Vec<&'t str>,
    problems: Vec<Diagnostic>,
    /// The `.py` revision whose SQL this file holds, when it holds only that.
    body_of: Option<&'t Path>,
}

/// What the header says.
struct Header<'t> {
    message: Option<String>,
    id: Option<String>,
    down_revisions: Vec<String>,
    branch_labels: Vec<String>,
    depends_on: Vec<String>,
    create_date: Option<String>,
    transactional: bool,
    /// `Baseline Of` names the id: the file is a baseline, not a revision.
    baseline: bool,
    lines: HeaderLines,
    /// Every header line's text, for the revision's `doc`.
    doc_lines: Vec<&'t str>,
}

/// The sections, and the line of the first marker.
#[derive(Default)]
struct Body {
    upgrade: Vec<Section>,
    downgrade: Vec<Section>,
    start: Option<u32>,
}

/// The section being read.
struct OpenSection<'t> {
    direction: Direction,
    dialect: Option<Dialect>,
    /// Its first SQL line.
    line: u32,
    body: Vec<&'t str>,
}

impl Body {
    fn sections(&mut self, direction: Direction) -> &mut Vec<Section> {
        match direction {
            Direction::Upgrade => &mut self.upgrade,
            Direction::Downgrade => &mut self.downgrade,
        }
    }

    fn close(&mut self, open: Option<OpenSection<'_>>) {
        if let Some(open) = open {
            let section = Section { dialect: open.dialect, line: open.line, sql: open.body.join("\n") };
            self.sections(open.direction).push(section);
        }
    }
}

impl<'t> SqlFile<'t> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.problems.push(diagnostic.with_source(self.text));
    }

    /// The header: comment and blank lines before the first section marker
    /// or the first line of SQL. Returns it and the index of the line after.
    fn header(&mut self) -> (Header<'t>, usize) {
        let mut header = Header {
            message: None,
            id: None,
            down_revisions: Vec::new(),
            branch_labels: Vec::new(),
            depends_on: Vec::new(),
            create_date: None,
            transactional: true,
            baseline: false,
            lines: HeaderLines::default(),
            doc_lines: Vec::new(),
        };
        let mut seen_keys: Vec<(&str, u32)> = Vec::new();
        let mut index = 0;
        while index < self.lines.len() {
            let line = self.lines[index];
            let number = index as u32 + 1;
            if line.trim().is_empty() {
                index += 1;
                continue;
            }
            if !line.starts_with("--") || section_marker(line).is_some() {
                break;
            }
            index += 1;
            let content = line[2..].trim();
            header.doc_lines.push(content);
            if content.is_empty() {
                continue;
            }
            let known = content.split_once(':').and_then(|(key, value)| {
                let key = key.trim();
                HEADER_KEYS.iter().find(|k| k.eq_ignore_ascii_case(key)).map(|k| (*k, value.trim()))
            });
            let Some((key, value)) = known else {
                self.free_text(&mut header, content, number);
                continue;
            };
            if header.message.is_none() {
                header.message = Some(String::new());
            }
            if let Some((_, first)) = seen_keys.iter().find(|(k, _)| *k == key) {
                let first = *first;
                self.report(
                    Diagnostic::error(format!("'{key}' appears twice in the header (first on line {first})"))
                        .at(self.path, number)
                        .help("keep one of the two lines"),
                );
                continue;
            }
            seen_keys.push((key, number));
            if let Some(of) = self.body_of.filter(|_| key != "Transactional") {
                let name = of.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                self.report(
                    Diagnostic::error(format!(
                        "'{key}' in the SQL of {name}: this file holds only that revision's sections, its header is the .py's"
                    ))
                    .at(self.path, number)
                    .help("remove the line (only `-- Transactional: false` belongs here), or rename the file if it is a revision of its own"),
                );
                continue;
            }
            self.header_field(&mut header, key, value, number);
        }
        let both = ["Revision ID", "Baseline Of"].map(|k| seen_keys.iter().find(|(s, _)| *s == k).map(|(_, l)| *l));
        if let [Some(_), Some(line)] = both {
            self.report(
                Diagnostic::error("a file is a revision (`Revision ID`) or a baseline (`Baseline Of`), not both")
                    .at(self.path, line)
                    .help("keep `Revision ID` for a revision; a baseline names the revision whose schema it holds in `Baseline Of`"),
            );
        }
        if header.id.is_none() && header.lines.id == 0 && self.body_of.is_none() {
            self.report(
                Diagnostic::error("the header has no 'Revision ID'")
                    .at(self.path, 1)
                    .help("start the file with a comment block holding `-- Revision ID: <id>` (see `retort revision`)"),
            );
        }
        (header, index)
    }

    /// A header line that is not `Key: value`: the message if it is the
    /// first, else a comment (or a misspelt key).
    fn free_text(&mut self, header: &mut Header<'t>, content: &str, number: u32) {
        if header.message.is_none() {
            header.message = Some(content.to_owned());
        } else if let Some((key, _)) = content.split_once(':')
            && let Some(suggestion) = suggest_key(key.trim(), &HEADER_KEYS)
        {
            self.report(
                Diagnostic::error(format!("unknown header key '{}'", key.trim()))
                    .at(self.path, number)
                    .help(format!("did you mean '{suggestion}'?")),
            );
        }
    }

    fn header_field(&mut self, header: &mut Header<'t>, key: &str, value: &str, number: u32) {
        match key {
            "Revision ID" => {
                header.lines.id = number;
                // An invalid id is reported, but kept: links to it then do
                // not cascade into errors of their own.
                if let Err(err) = validate_id(value) {
                    self.report(id_diagnostic(self.path, number, &err));
                }
                if !value.is_empty() {
                    header.id = Some(value.to_owned());
                }
            }
            "Baseline Of" => {
                header.lines.id = number;
                header.baseline = true;
                if let Err(err) = validate_id(value) {
                    self.report(id_diagnostic(self.path, number, &err));
                }
                if !value.is_empty() {
                    header.id = Some(value.to_owned());
                }
            }
            "Revises" => {
                header.lines.revises = number;
                header.down_revisions = parse_list(value);
            }
            "Branch Labels" => {
                header.lines.branch_labels = number;
                header.branch_labels = parse_list(value);
            }
            "Depends On" => {
                header.lines.depends_on = number;
                header.depends_on = parse_list(value);
            }
            "Create Date" => header.create_date = (!value.is_empty()).then(|| value.to_owned()),
            _ => match value.to_ascii_lowercase().as_str() {
                "true" | "yes" => header.transactional = true,
                "false" | "no" => header.transactional = false,
                _ => self.report(
                    Diagnostic::error(format!("'Transactional' must be true or false, not '{value}'"))
                        .at(self.path, number)
                        .help("write `-- Transactional: false` to run the revision outside a transaction"),
                ),
            },
        }
    }

    /// A baseline holds a schema to create: no links of its own, no
    /// downgrade, and it runs in the run's transaction.
    fn check_baseline(&mut self, header: &Header<'t>, body: &Body) {
        let lines = &header.lines;
        for (key, line) in
            [("Revises", lines.revises), ("Branch Labels", lines.branch_labels), ("Depends On", lines.depends_on)]
        {
            if line > 0 {
                self.report(
                    Diagnostic::error(format!(
                        "a baseline has no '{key}': it stands for the revision in 'Baseline Of'"
                    ))
                    .at(self.path, line)
                    .help("remove the line; the graph comes from the revisions"),
                );
            }
        }
        if let Some(section) = body.downgrade.first() {
            self.report(
                Diagnostic::error("a baseline has no downgrade section: it only builds a new database")
                    .at(self.path, section.line.saturating_sub(1).max(1))
                    .help("remove the section; downgrades run the revisions' own downgrade sections"),
            );
        }
        if !header.transactional {
            self.report(
                Diagnostic::error("a baseline runs in the run's transaction: 'Transactional: false' is not allowed")
                    .in_file(self.path)
                    .help("remove the line; a statement that cannot run in a transaction belongs in a revision after the baseline"),
            );
        }
    }

    /// The body from line index `from`: sections opened by marker lines.
    fn sections(&mut self, from: usize) -> Body {
        let mut body = Body::default();
        let mut open: Option<OpenSection<'t>> = None;
        let mut reported_stray_sql = false;
        for index in from..self.lines.len() {
            let line = self.lines[index];
            let number = index as u32 + 1;
            match section_marker(line) {
                Some(Ok((direction, dialect))) => {
                    body.start.get_or_insert(number);
                    body.close(open.take());
                    if let Some(previous) = body.sections(direction).iter().find(|s| s.dialect == dialect) {
                        let what = match dialect {
                            Some(d) => format!("{}: {d}", direction.name()),
                            None => direction.name().to_owned(),
                        };
                        let first = previous.line - 1;
                        self.report(
                            Diagnostic::error(format!(
                                "a second `-- {what}` section (the first starts on line {first})"
                            ))
                            .at(self.path, number)
                            .help("merge the two sections into one"),
                        );
                        continue;
                    }
                    open = Some(OpenSection { direction, dialect, line: number + 1, body: Vec::new() });
                }
                Some(Err(dialect)) => {
                    self.report(
                        Diagnostic::error(format!("unknown dialect '{dialect}' in a section marker"))
                            .at(self.path, number)
                            .help("write `postgresql`, `mysql` or `sqlite`, or leave the dialect out for a section every database runs"),
                    );
                    body.close(open.take());
                }
                None => match open.as_mut() {
                    Some(open) => open.body.push(line),
                    None => {
                        let trimmed = line.trim();
                        if !trimmed.is_empty() && !trimmed.starts_with("--") && !reported_stray_sql {
                            reported_stray_sql = true;
                            self.report(
                                Diagnostic::error("SQL outside any section")
                                    .at(self.path, number)
                                    .help("put a `-- upgrade` line above the SQL that upgrades and a `-- downgrade` line above the SQL that reverts it"),
                            );
                        }
                    }
                },
            }
        }
        body.close(open.take());
        if body.upgrade.is_empty() && !reported_stray_sql {
            self.report(
                Diagnostic::error("the file has no `-- upgrade` section")
                    .at(self.path, self.lines.len().max(1) as u32)
                    .help("add a line `-- upgrade` followed by the SQL to apply, and `-- downgrade` followed by the SQL that reverts it"),
            );
        }
        body
    }

    /// Every section must split into statements for each dialect it serves.
    fn check_splits(&mut self, body: &Body) {
        for section in body.upgrade.iter().chain(&body.downgrade) {
            let dialects: &[Dialect] = match &section.dialect {
                Some(d) => std::slice::from_ref(d),
                None => &Dialect::ALL,
            };
            for dialect in dialects {
                if let Err(err) = split_statements(&section.sql, *dialect, section.line) {
                    let mut diagnostic = Diagnostic::error(err.to_string()).at(self.path, err.line());
                    if let Some(column) = err.column() {
                        diagnostic = diagnostic.column(column);
                    }
                    let scope = match section.dialect {
                        Some(d) => format!("this {d} section"),
                        None => format!("this section, as {dialect} reads it"),
                    };
                    self.report(diagnostic.help(format!("close it before the end of {scope}")));
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "-- Adding Offer model for managing deals\n--\n-- Revision ID: 2d970929c35a\n-- Revises: 37e1cb6de47f\n-- Create Date: 2026-11-20 10:31:07.123456\n\n-- upgrade\nCREATE TABLE offer (\n    id INTEGER PRIMARY KEY,\n    title TEXT NOT NULL\n);\n\n-- downgrade\nDROP TABLE offer;\n";

    fn parse(text: &str) -> (Option<Revision>, Vec<Diagnostic>) {
        parse_sql_revision(Path::new("versions/x.sql"), text)
    }

    #[test]
    fn the_spec_example_parses() {
        let (rev, problems) = parse(OFFER);
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert_eq!(rev.id, "2d970929c35a");
        assert_eq!(rev.down_revisions, ["37e1cb6de47f"]);
        assert_eq!(rev.message, "Adding Offer model for managing deals");
        assert_eq!(rev.create_date.as_deref(), Some("2026-11-20 10:31:07.123456"));
        assert!(rev.transactional);
        assert_eq!(rev.upgrade.len(), 1);
        assert_eq!(rev.upgrade[0].line, 8);
        assert!(rev.upgrade[0].sql.starts_with("CREATE TABLE offer ("));
        assert_eq!(rev.downgrade[0].line, 14);
        assert_eq!(rev.downgrade[0].sql.trim(), "DROP TABLE offer;");
        assert_eq!(rev.lines.id, 3);
        assert_eq!(rev.lines.revises, 4);
    }

    #[test]
    fn merges_labels_dependencies_and_flags() {
        let text = "-- merge\n-- revision id: m1\n-- REVISES: a, b\n-- Branch Labels: shop,billing\n-- Depends On: c\n-- Transactional: false\n-- upgrade\n";
        let (rev, problems) = parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert_eq!(rev.down_revisions, ["a", "b"]);
        assert_eq!(rev.branch_labels, ["shop", "billing"]);
        assert_eq!(rev.depends_on, ["c"]);
        assert!(!rev.transactional);
        assert!(!rev.is_reversible(), "no downgrade section means irreversible");
    }

    #[test]
    fn empty_downgrade_is_a_deliberate_no_op() {
        let (rev, _) = parse("-- m\n-- Revision ID: a1\n-- upgrade\nSELECT 1;\n-- downgrade\n");
        let rev = rev.unwrap();
        assert!(rev.is_reversible());
        assert_eq!(rev.downgrade[0].sql, "");
    }

    #[test]
    fn dialect_sections_win_over_plain_ones() {
        let text = "-- m\n-- Revision ID: a1\n-- upgrade\nA;\n-- upgrade: postgresql\nB;\n-- downgrade: sqlite\nC;\n";
        let (rev, problems) = parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert_eq!(rev.upgrade_for(Dialect::Postgres).unwrap().sql, "B;");
        assert_eq!(rev.upgrade_for(Dialect::MySql).unwrap().sql, "A;");
        assert_eq!(rev.downgrade_for(Dialect::Sqlite).unwrap().sql, "C;");
        assert!(rev.downgrade_for(Dialect::MySql).is_none());
    }

    #[test]
    fn crlf_and_bom_are_accepted() {
        let text = format!("\u{feff}{}", OFFER.replace('\n', "\r\n"));
        let (rev, problems) = parse(&text);
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert_eq!(rev.id, "2d970929c35a");
        assert_eq!(rev.checksum, parse(OFFER).0.unwrap().checksum);
    }

    #[test]
    fn checksum_ignores_the_header_and_white_space_but_not_sql() {
        let base = parse(OFFER).0.unwrap().checksum;
        let reworded = OFFER.replace("Adding Offer model", "Add offers");
        assert_eq!(parse(&reworded).0.unwrap().checksum, base);
        let reindented = OFFER.replace("    id", "\tid");
        assert_eq!(parse(&reindented).0.unwrap().checksum, base);
        let edited = OFFER.replace("TEXT NOT NULL", "TEXT");
        assert_ne!(parse(&edited).0.unwrap().checksum, base);
    }

    fn messages(text: &str) -> Vec<String> {
        parse(text).1.into_iter().map(|d| format!("{}:{}", d.line.unwrap_or(0), d.message)).collect()
    }

    #[test]
    fn missing_id_is_reported() {
        assert_eq!(messages("-- hello\n-- upgrade\nSELECT 1;"), ["1:the header has no 'Revision ID'"]);
    }

    #[test]
    fn invalid_ids_are_reported_with_alembics_wording() {
        let got = messages("-- m\n-- Revision ID: ab-c\n-- upgrade\n");
        assert_eq!(got, ["2:Character(s) '-' not allowed in revision identifier 'ab-c'"]);
        let long = "a".repeat(33);
        let got = messages(&format!("-- m\n-- Revision ID: {long}\n-- upgrade\n"));
        assert!(got[0].contains("33 characters long"), "{got:?}");
    }

    #[test]
    fn duplicate_keys_bad_flags_and_typos_are_reported() {
        let text = "-- m\n-- Revision ID: a1\n-- Revises: x\n-- Revises: y\n-- Transactional: maybe\n-- Depend On: z\n-- upgrade\n";
        let got = messages(text);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("4:'Revises' appears twice"));
        assert!(got[1].starts_with("5:'Transactional' must be true or false"));
        assert!(got[2].starts_with("6:unknown header key 'Depend On'"));
    }

    #[test]
    fn section_problems_are_reported() {
        let text = "-- m\n-- Revision ID: a1\nSELECT 0;\n-- upgrade\nSELECT 1;\n-- upgrade\n-- downgrade: oracle\n";
        let got = messages(text);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].starts_with("3:SQL outside any section"));
        assert!(got[1].starts_with("6:a second `-- upgrade` section"));
        assert!(got[2].starts_with("7:unknown dialect 'oracle'"));
    }

    #[test]
    fn missing_upgrade_section_is_reported() {
        assert_eq!(messages("-- m\n-- Revision ID: a1\n"), ["2:the file has no `-- upgrade` section"]);
    }

    #[test]
    fn unterminated_sql_is_reported_at_its_line() {
        let got = messages("-- m\n-- Revision ID: a1\n-- upgrade\nSELECT 1;\nSELECT 'oops;\n");
        assert_eq!(got, ["5:unterminated string literal starting here"]);
    }

    #[test]
    fn a_diagnostic_renders_with_path_line_source_and_help() {
        let (_, problems) = parse("-- m\n-- Revision ID: a b\n-- upgrade\n");
        let rendered = problems[0].to_string();
        assert!(rendered.starts_with("versions/x.sql:2: revision identifier 'a b' contains white space"), "{rendered}");
        assert!(rendered.contains("2 | -- Revision ID: a b"), "{rendered}");
        assert!(rendered.contains("= help:"), "{rendered}");
    }
}
