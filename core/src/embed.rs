//! A compact text form of a parsed revision, for the `#[migrations]`
//! attribute to embed and the runtime to read back without parsing SQL.
//!
//! The whole set is two string literals (every revision's encoded form, every
//! file's text) and one array of offsets: far cheaper for the compiler to
//! type-check than a struct literal per revision with a dozen fields and
//! nested slices, which at 1,000 revisions was most of an incremental rebuild.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use crate::revision::{Dialect, Direction, HeaderLines, Revision, Section, SourceKind, Untranslated};

const FIELD: char = '\u{1f}';
const ITEM: char = '\u{1e}';

/// Appends `s` with the separators blanked out. (The macro runs this
/// unoptimised for every revision: it leans on std's optimised routines.)
fn push_clean(out: &mut String, s: &str) {
    if s.as_bytes().contains(&(FIELD as u8)) || s.as_bytes().contains(&(ITEM as u8)) {
        out.push_str(&s.replace([FIELD, ITEM], " "));
    } else {
        out.push_str(s);
    }
}

/// Appends `items`, each as `push` writes it, separated by [`ITEM`].
fn push_items<T>(out: &mut String, items: &[T], push: impl Fn(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(ITEM);
        }
        push(out, item);
    }
}

fn push_list(out: &mut String, items: &[String]) {
    push_items(out, items, |out, item| push_clean(out, item));
}

fn dialect_code(dialect: Option<Dialect>) -> char {
    match dialect {
        None => '-',
        Some(Dialect::Postgres) => 'p',
        Some(Dialect::MySql) => 'm',
        Some(Dialect::Sqlite) => 's',
    }
}

fn dialect_of_code(code: &str) -> Option<Option<Dialect>> {
    Some(match code {
        "-" => None,
        "p" => Some(Dialect::Postgres),
        "m" => Some(Dialect::MySql),
        "s" => Some(Dialect::Sqlite),
        _ => return None,
    })
}

/// Sections as where they are in the file (`d:line:count`), or with
/// their SQL inline (`d:line:=SQL`) when no file holds it (a translated
/// `.py` body).
fn push_sections(out: &mut String, sections: &[Section], inline: bool) {
    push_items(out, sections, |out, s| {
        let d = dialect_code(s.dialect);
        if inline {
            let _ = write!(out, "{d}:{}:=", s.line);
            push_clean(out, &s.sql);
        } else {
            let lines = if s.sql.is_empty() { 0 } else { s.sql.matches('\n').count() + 1 };
            let _ = write!(out, "{d}:{}:{lines}", s.line);
        }
    });
}

/// Encodes `rev` (read from `path`, stored as given) without its SQL, which
/// [`decode`] cuts from the text of the file it is in
/// ([`Revision::sql_path`]).
pub fn encode(rev: &Revision, path: &Path) -> String {
    let mut out = String::with_capacity(256 + rev.doc.len());
    let field = |out: &mut String| out.push(FIELD);
    push_clean(&mut out, &rev.id);
    field(&mut out);
    push_list(&mut out, &rev.down_revisions);
    field(&mut out);
    push_list(&mut out, &rev.branch_labels);
    field(&mut out);
    push_list(&mut out, &rev.depends_on);
    field(&mut out);
    push_clean(&mut out, &rev.message);
    field(&mut out);
    push_clean(&mut out, &rev.doc);
    field(&mut out);
    if let Some(date) = &rev.create_date {
        out.push('=');
        push_clean(&mut out, date);
    }
    field(&mut out);
    out.push(if rev.transactional { '1' } else { '0' });
    field(&mut out);
    out.push(match rev.kind {
        SourceKind::Sql => 's',
        SourceKind::Python => 'p',
        SourceKind::Baseline => 'b',
    });
    field(&mut out);
    push_clean(&mut out, &path.to_string_lossy());
    field(&mut out);
    let lines = rev.lines;
    let _ = write!(out, "{},{},{},{}", lines.id, lines.revises, lines.branch_labels, lines.depends_on);
    field(&mut out);
    out.push_str(&rev.checksum_hex());
    // A translated `.py` body's SQL is in no file.
    let inline = rev.kind == SourceKind::Python && rev.sql_file.is_none();
    field(&mut out);
    push_sections(&mut out, &rev.upgrade, inline);
    field(&mut out);
    push_sections(&mut out, &rev.downgrade, inline);
    field(&mut out);
    push_items(&mut out, &rev.untranslated, |out, u| {
        let direction = if u.direction == Direction::Upgrade { 'u' } else { 'd' };
        let _ = write!(out, "{direction}:{}:{}:", dialect_code(u.dialect), u.line);
        push_clean(out, &u.what);
    });
    field(&mut out);
    // The SQL beside a `.py` is its sibling: its name is enough.
    if let Some(name) = rev.sql_file.as_deref().and_then(Path::file_name) {
        push_clean(&mut out, &name.to_string_lossy());
    }
    out
}

fn split_list(s: &str) -> Vec<String> {
    if s.is_empty() { Vec::new() } else { s.split(ITEM).map(str::to_owned).collect() }
}

fn decode_sections(s: &str, text: &str) -> Option<Vec<Section>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split(ITEM)
        .map(|item| {
            let mut parts = item.splitn(3, ':');
            let dialect = dialect_of_code(parts.next()?)?;
            let line: u32 = parts.next()?.parse().ok()?;
            let rest = parts.next()?;
            if let Some(sql) = rest.strip_prefix('=') {
                return Some(Section { dialect, line, sql: sql.to_owned() });
            }
            let count: usize = rest.parse().ok()?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            Some(Section { dialect, line, sql: lines_of(text, line.checked_sub(1)? as usize, count) })
        })
        .collect()
}

fn decode_untranslated(s: &str) -> Option<Vec<Untranslated>> {
    if s.is_empty() {
        return Some(Vec::new());
    }
    s.split(ITEM)
        .map(|item| {
            let mut parts = item.splitn(4, ':');
            let direction = match parts.next()? {
                "u" => Direction::Upgrade,
                "d" => Direction::Downgrade,
                _ => return None,
            };
            let dialect = dialect_of_code(parts.next()?)?;
            let line = parts.next()?.parse().ok()?;
            Some(Untranslated { direction, dialect, line, what: parts.next()?.to_owned() })
        })
        .collect()
}

/// Lines `first..first + count` (0-based) of `text`, joined with `\n`: what
/// `text.lines().skip(first).take(count)` joined would give, without
/// walking the file line by line for every section.
fn lines_of(text: &str, first: usize, count: usize) -> String {
    // A plain byte loop: lines are short, and `find` pays a setup per call.
    let bytes = text.as_bytes();
    let after_newline = |from: usize| bytes[from..].iter().position(|&b| b == b'\n').map(|at| from + at + 1);
    let mut start = 0;
    for _ in 0..first {
        match after_newline(start) {
            Some(next) => start = next,
            None => return String::new(),
        }
    }
    let mut end = start;
    for _ in 0..count {
        if end == text.len() {
            break;
        }
        end = after_newline(end).unwrap_or(text.len());
    }
    let mut lines = &text[start..end];
    if let Some(stripped) = lines.strip_suffix('\n') {
        lines = stripped.strip_suffix('\r').unwrap_or(stripped);
    }
    if lines.contains('\r') { lines.replace("\r\n", "\n") } else { lines.to_owned() }
}

/// Reads back a whole set: the [`encode`]d forms one after another in
/// `metas`, the files' texts one after another in `texts`, and where each
/// revision ends in both, two offsets per revision (a layout that needs no
/// pointer per revision). `None` when the offsets do not cut both strings
/// exactly, as when a file changed between the two reads of a build.
pub fn decode_all(metas: &str, texts: &str, ends: &[u32]) -> Option<Vec<Revision>> {
    let (mut meta_start, mut text_start) = (0, 0);
    let mut revisions = Vec::with_capacity(ends.len() / 2);
    for pair in ends.chunks_exact(2) {
        let (meta_end, text_end) = (pair[0] as usize, pair[1] as usize);
        revisions.push(decode(metas.get(meta_start..meta_end)?, texts.get(text_start..text_end)?)?);
        (meta_start, text_start) = (meta_end, text_end);
    }
    (meta_start == metas.len() && text_start == texts.len()).then_some(revisions)
}

/// Reads back what [`encode`] wrote, with the text of the file its SQL is
/// in.
pub fn decode(meta: &str, text: &str) -> Option<Revision> {
    let mut split = meta.split(FIELD);
    let fields: [&str; 16] = std::array::from_fn(|_| split.next().unwrap_or("\u{0}"));
    if split.next().is_some() || fields[15] == "\u{0}" {
        return None;
    }
    let [
        id,
        down,
        labels,
        depends,
        message,
        doc,
        create_date,
        transactional,
        kind,
        path,
        lines,
        checksum,
        upgrade,
        downgrade,
        untranslated,
        sql_file,
    ] = fields;
    let mut numbers = lines.split(',').map(|n| n.parse::<u32>().ok());
    let [id_line, revises, branch_labels, depends_on] = std::array::from_fn(|_| numbers.next().flatten());
    let (Some(id_line), Some(revises), Some(branch_labels), Some(depends_on), None) =
        (id_line, revises, branch_labels, depends_on, numbers.next())
    else {
        return None;
    };
    let nibble = |c: u8| char::from(c).to_digit(16).map(|d| d as u8);
    let hex = checksum.as_bytes();
    if hex.len() != 64 {
        return None;
    }
    let mut sum = [0u8; 32];
    for (i, byte) in sum.iter_mut().enumerate() {
        *byte = nibble(hex[2 * i])? << 4 | nibble(hex[2 * i + 1])?;
    }
    Some(Revision {
        id: id.to_owned(),
        down_revisions: split_list(down),
        branch_labels: split_list(labels),
        depends_on: split_list(depends),
        message: message.to_owned(),
        doc: doc.to_owned(),
        create_date: create_date.strip_prefix('=').map(str::to_owned),
        transactional: transactional == "1",
        upgrade: decode_sections(upgrade, text)?,
        downgrade: decode_sections(downgrade, text)?,
        path: PathBuf::from(path),
        lines: HeaderLines { id: id_line, revises, branch_labels, depends_on },
        checksum: sum,
        kind: match kind {
            "s" => SourceKind::Sql,
            "b" => SourceKind::Baseline,
            _ => SourceKind::Python,
        },
        sql_file: (!sql_file.is_empty()).then(|| Path::new(path).with_file_name(sql_file)),
        untranslated: decode_untranslated(untranslated)?,
        body_pending: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{parse_python_revision, parse_sql_revision};

    fn round_trip(name: &str, text: &str) {
        let path = Path::new(name);
        let (rev, problems) =
            if name.ends_with(".py") { parse_python_revision(path, text) } else { parse_sql_revision(path, text) };
        assert!(problems.is_empty(), "{problems:?}");
        let rev = rev.unwrap();
        assert_eq!(decode(&encode(&rev, path), text).as_ref(), Some(&rev));
    }

    #[test]
    fn revisions_survive_the_round_trip() {
        round_trip(
            "v/2d970929c35a_x.sql",
            "-- Offers\n-- Revision ID: 2d970929c35a\n-- Revises: a1, b2\n-- Branch Labels: shop\n-- Depends On: c3\n-- Create Date: 2026-11-20\n-- Transactional: false\n\n-- upgrade\nCREATE TABLE a (x INT);\n\nSELECT 1;\n-- upgrade: postgresql\nSELECT 2;\n-- downgrade\n",
        );
        round_trip(
            "v/aaaa0001_crlf.sql",
            "\u{feff}-- Crlf\r\n-- Revision ID: aaaa0001\r\n\r\n-- upgrade\r\nSELECT 1;\r\n\r\n-- downgrade\r\nSELECT 2;",
        );
        round_trip("v/x.py", "\"\"\"Python\n\nmore\"\"\"\nrevision = 'ab12cd'\ndown_revision = ('a', 'b')\n");
    }

    #[test]
    fn a_set_is_cut_at_its_offsets_and_nowhere_else() {
        let texts = ["-- Revision ID: a1\n\n-- upgrade\nSELECT 1;\n", "-- Revision ID: b2\n-- Revises: a1\n"];
        let (mut metas, mut all, mut ends) = (String::new(), String::new(), Vec::new());
        for (i, text) in texts.iter().enumerate() {
            let path = PathBuf::from(format!("v/{i}.sql"));
            metas.push_str(&encode(&parse_sql_revision(&path, text).0.unwrap(), &path));
            all.push_str(text);
            ends.extend([metas.len() as u32, all.len() as u32]);
        }
        let ids: Vec<String> = decode_all(&metas, &all, &ends).unwrap().into_iter().map(|r| r.id).collect();
        assert_eq!(ids, ["a1", "b2"]);
        assert!(decode_all(&metas, &format!("{all}x"), &ends).is_none(), "a longer text");
        assert!(decode_all(&metas, &all, &ends[..2]).is_none(), "a revision left over");
        assert!(decode_all(&metas, &all[1..], &ends).is_none(), "offsets past the end");
    }

    #[test]
    fn sections_are_cut_as_lines_would_cut_them() {
        let texts = ["", "a", "a\n", "a\nb", "a\r\nb\r\n", "a\r\n\r\nb\rc\r\nd", "\n\n\nx\n", "a\nb\r"];
        for text in texts {
            for first in 0..6 {
                for count in 0..6 {
                    let expected: Vec<&str> = text.lines().skip(first).take(count).collect();
                    assert_eq!(lines_of(text, first, count), expected.join("\n"), "{text:?} {first} {count}");
                }
            }
        }
    }

    #[test]
    fn garbage_is_refused_not_a_panic() {
        assert_eq!(decode("", ""), None);
        assert_eq!(decode("a\u{1f}b", "x"), None);
    }
}
