//! Integration tests of retort against real databases live in `tests/`
//! of this crate; they arrive with the runtime.
