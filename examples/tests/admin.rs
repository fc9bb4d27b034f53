//! The embedded command line, through the shop's admin tool.

use std::process::Command;

fn admin(url: &str, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_shop-admin")).args(args).env("SHOP_DATABASE_URL", url).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_admin_tool_migrates_with_alembics_commands() {
    let path = std::env::temp_dir().join(format!("retort-admin-{}.db", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let (code, history, _) = admin(&url, &["db", "history"]);
    assert_eq!(code, 0);
    assert!(
        history.starts_with("3b8f0c1d2e4a, 4d2e9a7b5c10 -> 5a1f3c9e8d77 (reporting) (head) (mergepoint)"),
        "{history}"
    );
    let (code, out, _) = admin(&url, &["db", "check"]);
    assert_eq!(code, 1, "pending revisions need attention: {out}");
    assert!(out.contains("pending: 1975ea83b712, 27c6a30d7c24"), "{out}");
    let (code, _, err) = admin(&url, &["db", "upgrade", "head"]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("Running upgrade 3b8f0c1d2e4a, 4d2e9a7b5c10 -> 5a1f3c9e8d77"), "{err}");
    assert_eq!(admin(&url, &["db", "current"]).1, "5a1f3c9e8d77 (head) (mergepoint)\n");
    let (code, out, _) = admin(&url, &["db", "check"]);
    assert_eq!(code, 0, "{out}");
    let (code, _, err) = admin(&url, &["db", "downgrade", "nowhere"]);
    assert_eq!(code, 255);
    assert!(err.starts_with("FAILED: Can't locate revision identified by 'nowhere'"), "{err}");
    std::fs::remove_file(&path).unwrap();
}
