//! `alembic.ini` reading, compared with Python's own `configparser` (as
//! Alembic configures it: `ConfigParser` with `here` among the defaults)
//! on files written to trip a hand-made reader.

use std::path::PathBuf;
use std::process::Command;

use retort_core::ini::{Ini, IniError};

const FILES: &[&str] = &[
    // Alembic's generic template, abridged.
    "# A generic, single database configuration.\n\n[alembic]\n# path to migration scripts\nscript_location = %(here)s/alembic\nprepend_sys_path = .\nversion_path_separator = os\nsqlalchemy.url = driver://user:pass@localhost/dbname\n\n[post_write_hooks]\n\n[loggers]\nkeys = root,sqlalchemy,alembic\n\n[logger_root]\nlevel = WARN\nhandlers = console\nqualname =\n\n[formatter_generic]\nformat = %%(levelname)-5.5s [%%(name)s] %%(message)s\ndatefmt = %%H:%%M:%%S\n",
    // Continuation lines, blank lines and comments inside a value, tabs.
    "[alembic]\nversion_locations =\n    %(here)s/a\n\n    # not a location\n\t%(here)s/b\n\n\nnext: value\n",
    // Separators, `=` and `:` in values, inline `;` kept, case folded.
    "[alembic]\nSQLAlchemy.URL = postgresql://u:p@h:5432/db?x=1\nurl2: mysql://r@h/t\ncomment = keep ; this\nEmpty =\n   [indented] = not a section\n",
    // DEFAULT, nested references, `here` overridden, references across keys.
    "[DEFAULT]\nbase = %(here)s/proj\n\n[alembic]\nscript_location = %(base)s/migrations\nfull = %(script_location)s/versions\n\n[other]\nhere = elsewhere\nx = %(here)s\n",
    // Section names with brackets and spaces, an indented header.
    "[a]b]\nk = 1\n  [second one]\nk = 2\n",
    // Interpolation errors, each on its own key.
    "[alembic]\npercent = 50%\nmissing = %(nope)s\nloop = %(loop)s\nempty_name = %()s\nnot_s = %(here)x\nfine = 100%%\n",
    // Structural errors.
    "key = before any section\n",
    "[alembic]\n[alembic]\n",
    "[alembic]\nx = 1\nX = 2\n",
    "[alembic]\nthis line has no separator\n",
    "[alembic]\n= value without a key\n",
    // CRLF line endings.
    "[alembic]\r\nscript_location = db\r\nurl = sqlite:///x.db\r\n",
];

const PYTHON: &str = r#"
import configparser, json, sys
out = []
for text in json.load(sys.stdin):
    cp = configparser.ConfigParser(defaults={"here": "/project"})
    try:
        cp.read_string(text)
    except configparser.Error as e:
        line = getattr(e, "lineno", None)
        if line is None and getattr(e, "errors", None):
            line = e.errors[0][0]
        out.append({"error": type(e).__name__, "line": line})
        continue
    sections = {}
    for name in ["DEFAULT"] + cp.sections():
        values = {}
        for key in sorted(cp[name].keys()):
            try:
                values[key] = cp.get(name, key)
            except configparser.Error as e:
                values[key] = "!" + type(e).__name__
        sections[name] = values
    out.append({"sections": sections})
print(json.dumps(out, sort_keys=True))
"#;

fn class(err: &IniError) -> (&'static str, Option<usize>) {
    match err {
        IniError::MissingSectionHeader { line } => ("MissingSectionHeaderError", Some(*line)),
        IniError::Parsing { line, .. } => ("ParsingError", Some(*line)),
        IniError::DuplicateSection { line, .. } => ("DuplicateSectionError", Some(*line)),
        IniError::DuplicateOption { line, .. } => ("DuplicateOptionError", Some(*line)),
        IniError::MissingReference { .. } => ("InterpolationMissingOptionError", None),
        IniError::Syntax { .. } => ("InterpolationSyntaxError", None),
        IniError::TooDeep { .. } => ("InterpolationDepthError", None),
        other => panic!("unexpected {other:?}"),
    }
}

/// What our reader makes of a file, in the Python script's JSON shape.
fn ours(text: &str) -> String {
    let ini = match Ini::parse(text, &[("here", "/project")]) {
        Ok(ini) => ini,
        Err(err) => {
            let (name, line) = class(&err);
            let line = line.map_or("null".to_owned(), |l| l.to_string());
            return format!("{{\"error\": \"{name}\", \"line\": {line}}}");
        }
    };
    let mut sections = Vec::new();
    for name in std::iter::once("DEFAULT").chain(ini.sections()) {
        let values: Vec<String> = ini
            .keys(name)
            .into_iter()
            .map(|key| {
                let value = match ini.get(name, key) {
                    Ok(value) => value.unwrap_or_default(),
                    Err(err) => format!("!{}", class(&err).0),
                };
                format!("{}: {}", json(key), json(&value))
            })
            .collect();
        sections.push((name.to_owned(), format!("{{{}}}", values.join(", "))));
    }
    sections.sort();
    let sections: Vec<String> = sections.iter().map(|(n, v)| format!("{}: {v}", json(n))).collect();
    format!("{{\"sections\": {{{}}}}}", sections.join(", "))
}

/// A JSON string as Python's `json.dumps` writes it (ASCII only here).
fn json(s: &str) -> String {
    let mut out = String::from('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn python() -> Option<PathBuf> {
    let candidates = std::env::var_os("RETORT_PYTHON").map(PathBuf::from).into_iter().chain([PathBuf::from("python3")]);
    for candidate in candidates {
        if Command::new(&candidate).arg("--version").output().is_ok_and(|o| o.status.success()) {
            return Some(candidate);
        }
    }
    assert!(std::env::var_os("CI").is_none(), "CI must compare the ini reader with Python's configparser: no python3");
    eprintln!("skipping the configparser comparison: no python3 (set RETORT_PYTHON)");
    None
}

#[test]
fn alembic_ini_reads_as_pythons_configparser_reads_it() {
    let Some(python) = python() else { return };
    let input = format!("[{}]", FILES.iter().map(|f| json(f)).collect::<Vec<_>>().join(","));
    let mut child = Command::new(python)
        .args(["-c", PYTHON])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let theirs = String::from_utf8(out.stdout).unwrap();
    let ours = format!("[{}]", FILES.iter().map(|f| ours(f)).collect::<Vec<_>>().join(", "));
    // Compare file by file for a readable failure.
    let split = |s: &str| -> Vec<String> {
        let mut depth = 0;
        let mut items = vec![String::new()];
        for c in s.trim().trim_start_matches('[').trim_end_matches(']').chars() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    items.push(String::new());
                    continue;
                }
                _ => {}
            }
            items.last_mut().unwrap().push(c);
        }
        items.into_iter().map(|i| i.trim().to_owned()).collect()
    };
    let (theirs, ours) = (split(&theirs), split(&ours));
    assert_eq!(theirs.len(), FILES.len());
    for ((file, theirs), ours) in FILES.iter().zip(&theirs).zip(&ours) {
        assert_eq!(ours, theirs, "differs from configparser on:\n{file}");
        if std::env::var_os("RETORT_SHOW_INI").is_some() {
            eprintln!("{theirs}");
        }
    }
}
