//! Rebuild when revision files are added to or removed from the directories
//! the tests embed.
fn main() {
    println!("cargo:rerun-if-changed=../examples/shop/alembic/versions");
    println!("cargo:rerun-if-changed=../core/tests/fixtures/mixed");
    println!("cargo:rerun-if-changed=fixtures/odd-text");
    println!("cargo:rerun-if-changed=fixtures/test-helper");
}
