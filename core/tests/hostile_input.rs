//! Everything that reads a file, fed what a hostile or careless user could
//! write: arbitrary bytes (100,000 inputs in CI, `RETORT_FUZZ_CASES` for
//! more), megabytes of the characters each grammar cares about, and NUL
//! bytes, which no database accepts and which hang sqlx's SQLite driver.
//!
//! Nothing here may panic, and nothing may take more than linear time: the
//! large inputs are a few megabytes each, so a quadratic path would run
//! for hours and show as a hung test (no timing assertion is needed).
//! Longer, coverage-guided runs: the cargo-fuzz targets in `core/fuzz`.

use std::path::Path;

use proptest::prelude::*;
use retort_core::ini::Ini;
use retort_core::{
    Dialect, RevisionGraph, SplitError, embed, parse_python_revision, parse_sql_revision, split_statements,
};

/// Every reader of file text, on `text`.
fn read_everything(text: &str) {
    let (sql_rev, _) = parse_sql_revision(Path::new("v/aaaa_x.sql"), text);
    let (py_rev, _) = parse_python_revision(Path::new("v/aaaa_x.py"), text);
    for dialect in Dialect::ALL {
        let _ = split_statements(text, dialect, 1);
    }
    if let Ok(ini) = Ini::parse(text, &[("here", "/tmp")]) {
        let sections: Vec<String> = ini.sections().map(str::to_owned).collect();
        for section in &sections {
            for key in ini.keys(section) {
                let _ = ini.get(section, key);
            }
        }
    }
    // The embedded form of what parsed, and the decoder on the raw text.
    for rev in sql_rev.into_iter().chain(py_rev) {
        let encoded = embed::encode(&rev, &rev.path);
        assert!(embed::decode(&encoded, text).is_some(), "an encoded revision decodes");
        let _ = RevisionGraph::new(vec![rev]);
    }
    let middle = text.char_indices().nth(text.chars().count() / 2).map_or(0, |(i, _)| i);
    let _ = embed::decode(&text[..middle], &text[middle..]);
    let _ = embed::decode_all(text, text, &[middle as u32, text.len() as u32]);
}

fn cases() -> u32 {
    std::env::var("RETORT_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_any_reader(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        read_everything(&String::from_utf8_lossy(&bytes));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases() / 10, failure_persistence: None, ..ProptestConfig::default() })]

    /// Bytes drawn from what the grammars care about reach deeper than
    /// uniform bytes do.
    #[test]
    fn grammar_characters_never_panic_any_reader(picks in proptest::collection::vec(0usize..ALPHABET.len(), 0..120)) {
        let text: String = picks.iter().map(|&i| ALPHABET[i]).collect();
        read_everything(&text);
    }
}

const ALPHABET: &[&str] = &[
    "'",
    "\"",
    "`",
    "$",
    "$$",
    "$a$",
    "-",
    "--",
    "#",
    "/*",
    "*/",
    ";",
    "\n",
    "\r\n",
    "\\",
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "=",
    "%",
    "%(",
    ")s",
    "@",
    " ",
    "\t",
    "\0",
    "é",
    "\u{feff}",
    "BEGIN",
    "END",
    "CASE",
    "IF",
    "CREATE",
    "TRIGGER",
    "FUNCTION",
    "-- upgrade",
    "-- downgrade: mysql",
    "-- Revision ID: aaaa",
    "-- Revises: ",
    "\"\"\"",
    "'''",
    "revision = ",
    "down_revision = ",
    "None",
    "[section]",
    "key = ",
    "-- retort:begin-block",
    "-- retort:end-block",
    "x",
];

const SQL_HEADER: &str = "-- Revision ID: aaaa\n-- Revises:\n\n-- upgrade\n";
const PY_HEADER: &str = "revision = 'aaaa'\ndown_revision = None\n\ndef upgrade():\n    op.execute(";

/// A few megabytes of one pattern.
fn repeat(pattern: &str, bytes: usize) -> String {
    pattern.repeat(bytes / pattern.len().max(1))
}

#[test]
fn megabytes_of_any_one_grammar_character_are_read_in_linear_time() {
    const SIZE: usize = 2 << 20;
    for pattern in
        ALPHABET.iter().chain(&["'a", "$x$ ", "BEGIN ", "END; ", "CREATE TRIGGER t BEGIN ", "(((", "-- Revises: a,"])
    {
        let text = repeat(pattern, SIZE);
        read_everything(&text);
        // Inside a section of a valid file, and inside a Python body.
        let _ = parse_sql_revision(Path::new("v/aaaa_x.sql"), &format!("{SQL_HEADER}{text}"));
        let _ = parse_python_revision(Path::new("v/aaaa_x.py"), &format!("{PY_HEADER}{text}"));
    }
    // A valid file with a huge body: many statements, and one huge one.
    let header = SQL_HEADER;
    let many = format!("{header}{}", repeat("INSERT INTO t VALUES (1, 'a;b');\n", SIZE));
    let (rev, problems) = parse_sql_revision(Path::new("v/aaaa_x.sql"), &many);
    assert!(problems.is_empty(), "{problems:?}");
    let statements = rev.unwrap().statements(retort_core::Direction::Upgrade, Dialect::Sqlite).unwrap();
    assert_eq!(statements.len(), SIZE / 33);
    let one = format!("{header}INSERT INTO t VALUES ('{}');\n", "x".repeat(SIZE));
    assert!(parse_sql_revision(Path::new("v/aaaa_x.sql"), &one).1.is_empty());
}

#[test]
fn a_nul_byte_is_refused_at_its_file_line_and_column() {
    let sql = "-- Revision ID: aaaa\n-- Revises:\n\n-- upgrade\nINSERT INTO t VALUES (1)\0, (2);\n";
    let (_, problems) = parse_sql_revision(Path::new("v/aaaa_x.sql"), sql);
    assert_eq!(problems.len(), 1, "{problems:?}");
    let text = format!("{:#}", problems[0]);
    assert!(text.starts_with("error: v/aaaa_x.sql:5:25: a NUL character (byte 0x00)"), "{text}");
    // The source line is shown with the NUL escaped and the marker under it.
    let marker = format!("5 | INSERT INTO t VALUES (1)\\0, (2);\n  | {}^", " ".repeat(24));
    assert!(text.contains(&marker), "{text}");

    // In the header, in a comment, in a Python file: the same.
    let header = "-- Adding\0 offers\n-- Revision ID: aaaa\n-- Revises:\n\n-- upgrade\nSELECT 1; -- \0 here\n";
    let (_, problems) = parse_sql_revision(Path::new("v/aaaa_x.sql"), header);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!((problems[0].line, problems[0].column), (Some(1), Some(10)));
    assert!(problems[0].message.contains("(1 more in the file)"), "{}", problems[0].message);
    let py = "revision = 'aaaa'\ndown_revision = None\n\ndef upgrade():\n    op.execute('SELECT \0')\n";
    let (_, problems) = parse_python_revision(Path::new("v/aaaa_x.py"), py);
    assert_eq!((problems[0].line, problems[0].column), (Some(5), Some(24)), "{problems:?}");

    // The splitter refuses it wherever it stands, for SQL from the API.
    for sql in ["\0", "SELECT 1;\0", "/* \0 */ SELECT 1", "SELECT '\0'"] {
        for dialect in Dialect::ALL {
            assert!(matches!(split_statements(sql, dialect, 3), Err(SplitError::Nul { line: 3, .. })), "{sql:?}");
        }
    }
}

#[test]
fn control_characters_of_a_file_are_printed_escaped() {
    let sql = "-- Revision ID: aa\u{1b}]0;owned\u{7}\u{1b}[2J\n-- Revises:\n\n-- upgrade\nSELECT 1;\n";
    let (_, problems) = parse_sql_revision(Path::new("v/aaaa_x.sql"), sql);
    let text: String = problems.iter().map(|p| format!("{p:#}\n")).collect();
    assert!(!text.is_empty());
    assert!(!text.contains('\u{1b}') && !text.contains('\u{7}'), "{text:?}");
    assert!(text.contains("\\u{1b}[2J"), "{text}");
}
