//! Reading a retort `.sql` revision file (SPEC §2).

use std::path::Path;

use crate::checksum::checksum;
use crate::diagnostic::Diagnostic;
use crate::parse::{id_diagnostic, parse_list, suggest_key};
use crate::revision::{Dialect, HeaderLines, Revision, Section, SourceKind, validate_id};
use crate::split::split_statements;

/// The header keys a `.sql` revision understands, as written in files.
pub const HEADER_KEYS: [&str; 6] =
    ["Revision ID", "Revises", "Branch Labels", "Depends On", "Create Date", "Transactional"];

/// Which section a marker line opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    Upgrade,
    Downgrade,
}

impl Direction {
    fn name(self) -> &'static str {
        match self {
            Direction::Upgrade => "upgrade",
            Direction::Downgrade => "downgrade",
        }
    }
}

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
    let mut problems = Vec::new();
    let mut report = |d: Diagnostic| problems.push(d.with_source(text));

    let lines: Vec<&str> = text.lines().collect();
    let mut message: Option<String> = None;
    let mut id: Option<(String, u32)> = None;
    let mut down_revisions = Vec::new();
    let mut branch_labels = Vec::new();
    let mut depends_on = Vec::new();
    let mut create_date = None;
    let mut transactional = true;
    let mut header_lines = HeaderLines::default();
    let mut seen_keys: Vec<(String, u32)> = Vec::new();
    let mut doc_lines: Vec<&str> = Vec::new();

    // The header: comment and blank lines before the first section marker or
    // the first line of SQL.
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
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
        doc_lines.push(content);
        if content.is_empty() {
            continue;
        }
        let known = content.split_once(':').and_then(|(key, value)| {
            let key = key.trim();
            HEADER_KEYS.iter().find(|k| k.eq_ignore_ascii_case(key)).map(|k| (*k, value.trim()))
        });
        let Some((key, value)) = known else {
            if message.is_none() {
                message = Some(content.to_owned());
            } else if let Some((key, _)) = content.split_once(':')
                && let Some(suggestion) = suggest_key(key.trim(), &HEADER_KEYS)
            {
                report(
                    Diagnostic::error(format!("unknown header key '{}'", key.trim()))
                        .at(path, number)
                        .help(format!("did you mean '{suggestion}'?")),
                );
            }
            continue;
        };
        if message.is_none() {
            message = Some(String::new());
        }
        if let Some((_, first)) = seen_keys.iter().find(|(k, _)| k == key) {
            report(
                Diagnostic::error(format!("'{key}' appears twice in the header (first on line {first})"))
                    .at(path, number)
                    .help("keep one of the two lines"),
            );
            continue;
        }
        seen_keys.push((key.to_owned(), number));
        match key {
            "Revision ID" => {
                header_lines.id = number;
                // An invalid id is reported, but kept: links to it then do
                // not cascade into errors of their own.
                if let Err(err) = validate_id(value) {
                    report(id_diagnostic(path, number, &err));
                }
                if !value.is_empty() {
                    id = Some((value.to_owned(), number));
                }
            }
            "Revises" => {
                header_lines.revises = number;
                down_revisions = parse_list(value);
            }
            "Branch Labels" => {
                header_lines.branch_labels = number;
                branch_labels = parse_list(value);
            }
            "Depends On" => {
                header_lines.depends_on = number;
                depends_on = parse_list(value);
            }
            "Create Date" => create_date = (!value.is_empty()).then(|| value.to_owned()),
            _ => match value.to_ascii_lowercase().as_str() {
                "true" | "yes" => transactional = true,
                "false" | "no" => transactional = false,
                _ => report(
                    Diagnostic::error(format!("'Transactional' must be true or false, not '{value}'"))
                        .at(path, number)
                        .help("write `-- Transactional: false` to run the revision outside a transaction"),
                ),
            },
        }
    }
    if id.is_none() && header_lines.id == 0 {
        report(
            Diagnostic::error("the header has no 'Revision ID'")
                .at(path, 1)
                .help("start the file with a comment block holding `-- Revision ID: <id>` (see `retort revision`)"),
        );
    }

    // The body: sections opened by marker lines.
    let mut upgrade: Vec<Section> = Vec::new();
    let mut downgrade: Vec<Section> = Vec::new();
    let mut current: Option<(Direction, Option<Dialect>, u32, Vec<&str>)> = None;
    let mut body_start = None;
    let mut reported_stray_sql = false;
    let close = |section: Option<(Direction, Option<Dialect>, u32, Vec<&str>)>,
                 upgrade: &mut Vec<Section>,
                 downgrade: &mut Vec<Section>| {
        if let Some((direction, dialect, line, body)) = section {
            let target = match direction {
                Direction::Upgrade => upgrade,
                Direction::Downgrade => downgrade,
            };
            target.push(Section { dialect, line, sql: body.join("\n") });
        }
    };
    while index < lines.len() {
        let line = lines[index];
        let number = index as u32 + 1;
        index += 1;
        match section_marker(line) {
            Some(Ok((direction, dialect))) => {
                body_start.get_or_insert(number);
                close(current.take(), &mut upgrade, &mut downgrade);
                let existing = match direction {
                    Direction::Upgrade => &upgrade,
                    Direction::Downgrade => &downgrade,
                };
                if let Some(previous) = existing.iter().find(|s| s.dialect == dialect) {
                    let what = match dialect {
                        Some(d) => format!("{}: {d}", direction.name()),
                        None => direction.name().to_owned(),
                    };
                    report(
                        Diagnostic::error(format!(
                            "a second `-- {what}` section (the first starts on line {})",
                            previous.line - 1
                        ))
                        .at(path, number)
                        .help("merge the two sections into one"),
                    );
                    continue;
                }
                current = Some((direction, dialect, number + 1, Vec::new()));
            }
            Some(Err(dialect)) => {
                report(
                    Diagnostic::error(format!("unknown dialect '{dialect}' in a section marker"))
                        .at(path, number)
                        .help("write `postgresql`, `mysql` or `sqlite`, or leave the dialect out for a section every database runs"),
                );
                close(current.take(), &mut upgrade, &mut downgrade);
            }
            None => match current.as_mut() {
                Some((_, _, _, body)) => body.push(line),
                None => {
                    let trimmed = line.trim();
                    if !trimmed.is_empty() && !trimmed.starts_with("--") && !reported_stray_sql {
                        reported_stray_sql = true;
                        report(
                            Diagnostic::error("SQL outside any section")
                                .at(path, number)
                                .help("put a `-- upgrade` line above the SQL that upgrades and a `-- downgrade` line above the SQL that reverts it"),
                        );
                    }
                }
            },
        }
    }
    close(current.take(), &mut upgrade, &mut downgrade);

    if upgrade.is_empty() && !reported_stray_sql {
        report(
            Diagnostic::error("the file has no `-- upgrade` section")
                .at(path, lines.len().max(1) as u32)
                .help("add a line `-- upgrade` followed by the SQL to apply, and `-- downgrade` followed by the SQL that reverts it"),
        );
    }

    // Every section must split into statements for each dialect it serves.
    for section in upgrade.iter().chain(&downgrade) {
        let dialects: &[Dialect] = match &section.dialect {
            Some(d) => std::slice::from_ref(d),
            None => &Dialect::ALL,
        };
        for dialect in dialects {
            if let Err(err) = split_statements(&section.sql, *dialect, section.line) {
                let mut diagnostic = Diagnostic::error(err.to_string()).at(path, err.line());
                if let Some(column) = err.column() {
                    diagnostic = diagnostic.column(column);
                }
                let scope = match section.dialect {
                    Some(d) => format!("this {d} section"),
                    None => format!("this section, as {dialect} reads it"),
                };
                report(diagnostic.help(format!("close it before the end of {scope}")));
                break;
            }
        }
    }

    let Some((id, _)) = id else {
        return (None, problems);
    };
    // The checksum covers the sections, not the header: rewording the
    // message is not an edit of what ran.
    let body = body_start.map_or_else(String::new, |line| lines[line as usize - 1..].join("\n"));
    let revision = Revision {
        id,
        down_revisions,
        branch_labels,
        depends_on,
        message: message.unwrap_or_default(),
        doc: doc_lines.join("\n").trim().to_owned(),
        create_date,
        transactional,
        upgrade,
        downgrade,
        path: path.to_path_buf(),
        lines: header_lines,
        checksum: checksum(&body),
        kind: SourceKind::Sql,
    };
    (Some(revision), problems)
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
