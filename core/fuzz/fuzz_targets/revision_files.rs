//! The `.sql` and `.py` revision parsers on any text: no panic, and a
//! revision that parses also encodes and decodes.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use retort_core::{embed, parse_python_revision, parse_sql_revision};

fuzz_target!(|text: &str| {
    let (sql, _) = parse_sql_revision(Path::new("v/aaaa_x.sql"), text);
    let (py, _) = parse_python_revision(Path::new("v/aaaa_x.py"), text);
    for rev in sql.into_iter().chain(py) {
        let encoded = embed::encode(&rev, &rev.path);
        assert!(embed::decode(&encoded, text).is_some());
    }
});
