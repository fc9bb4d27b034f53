#[retort::migrations("fixtures/baseline", allow_missing_build_script)]
pub struct Migrations;

fn main() {
    // The baseline is embedded beside the revisions, not as one of them.
    let graph = Migrations::migrator().graph();
    assert_eq!(graph.len(), 2);
    let baseline = graph.baseline_of("aaaa0001").expect("the baseline is embedded");
    assert!(baseline.upgrade[0].sql.contains("CREATE TABLE a"));
    assert_eq!(baseline.checksum, graph.get("aaaa0001").unwrap().checksum);
}
