//! The decoder of the embedded form on any pair of strings and offsets: it
//! refuses what it cannot read, never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use retort_core::embed;

fuzz_target!(|input: (&str, &str, Vec<u32>)| {
    let (metas, texts, ends) = input;
    let _ = embed::decode(metas, texts);
    let _ = embed::decode_all(metas, texts, &ends);
});
