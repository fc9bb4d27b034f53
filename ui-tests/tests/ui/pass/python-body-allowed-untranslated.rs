#[retort::migrations("fixtures/python-data-migration", allow_missing_build_script, allow_untranslated)]
pub struct Migrations;

fn main() {
    // Built for databases that are past it: the revision is known, not runnable.
    let rev = Migrations::migrator().graph().get("7c1d2e3f4a50").unwrap();
    assert!(!rev.has_sql());
    assert_eq!(rev.untranslated[0].line, 16);
}
