//! trybuild cases of the `#[migrations]` attribute: `tests/ui/fail` holds one
//! misuse per file with the compiler's output beside it, `tests/ui/pass` the
//! forms that must compile. Their versions directories are in `fixtures/`.
