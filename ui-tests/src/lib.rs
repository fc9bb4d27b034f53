//! trybuild cases of the `#[migrations]` attribute; they arrive with the
//! macro.
