//! The statement splitter on any text, in every dialect: no panic, and
//! every statement is a piece of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use retort_core::{Dialect, split_statements};

fuzz_target!(|text: &str| {
    for dialect in Dialect::ALL {
        if let Ok(statements) = split_statements(text, dialect, 1) {
            for statement in statements {
                assert!(text.contains(&statement.sql));
                assert!(!statement.sql.contains('\0'));
            }
        }
    }
});
