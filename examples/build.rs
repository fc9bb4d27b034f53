//! Rebuild when a revision file is added to or removed from the shop's
//! versions directory (edits to existing files are tracked by the macro).
fn main() {
    println!("cargo:rerun-if-changed=shop/alembic/versions");
}
