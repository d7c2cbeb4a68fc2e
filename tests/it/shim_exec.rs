//! The shim runs the real go exactly as if it were called directly.

use crate::support::{fake_go, shim};

#[test]
fn go_link_runs_the_fake_go_with_same_args() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fake_go::install(&real);
    let shim_dir = tmp.path().join("shim");
    let link = shim::link_as_go(&shim_dir);
    let out = tmp.path().join("report.json");
    let path = shim::path_of(&[&shim_dir, &real]);
    let status = shim::command(
        &link,
        &[
            ("PATH".into(), path),
            ("FAKE_GO_OUT".into(), out.display().to_string()),
        ],
    )
    .arg("version")
    .status()
    .unwrap();
    assert!(status.success());
    let report = fake_go::Report::read(&out);
    assert_eq!(report.args, vec![b"version".to_vec()]);
    assert_eq!(
        report.env.get("GOSHIM_DEPTH").map(String::as_str),
        Some("1")
    );
}
