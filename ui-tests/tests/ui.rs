//! The attribute's compile errors and accepted forms. `.stderr` files are
//! written by `TRYBUILD=overwrite cargo test -p retort-ui-tests` and read
//! before committing.

use std::path::{Path, PathBuf};

/// trybuild compiles each case in a crate of its own under
/// `target/tests/trybuild/retort-ui-tests`, whose manifest directory the
/// attribute resolves paths against: link the fixtures in there.
fn link_fixtures() {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/ui-<hash> → target
    let target: PathBuf = exe.ancestors().nth(3).unwrap().to_path_buf();
    let project = target.join("tests/trybuild/retort-ui-tests");
    std::fs::create_dir_all(&project).unwrap();
    let link = project.join("fixtures");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    if std::fs::read_link(&link).map(|t| t != fixtures).unwrap_or(true) {
        let _ = std::fs::remove_file(&link);
        let _ = std::fs::remove_dir_all(&link);
        std::os::unix::fs::symlink(&fixtures, &link).unwrap();
    }
}

#[test]
fn ui() {
    link_fixtures();
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/fail/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
