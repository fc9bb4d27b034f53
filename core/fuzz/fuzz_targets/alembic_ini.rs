//! The `alembic.ini` reader on any text, every value interpolated.
#![no_main]

use libfuzzer_sys::fuzz_target;
use retort_core::ini::Ini;

fuzz_target!(|text: &str| {
    if let Ok(ini) = Ini::parse(text, &[("here", "/project")]) {
        let sections: Vec<String> = ini.sections().map(str::to_owned).collect();
        for section in &sections {
            for key in ini.keys(section) {
                let _ = ini.get(section, key);
            }
        }
    }
});
