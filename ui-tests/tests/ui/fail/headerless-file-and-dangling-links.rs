// A file whose header cannot be read hides only the errors it might
// explain: 0004's link to 0001 (the unreadable file's name holds that id),
// not 0002's and 0003's links to revisions no file can hold.
#[retort::migrations("fixtures/headerless-and-dangling", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    let _ = Migrations::migrator();
}
