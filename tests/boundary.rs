//! The data flow runs one way: `verify` ends at an outcome and cannot name
//! `policy`, `report` or `assess` above it. This builds `tests/boundary/`,
//! a crate of the lower layers alone (format, codec, read, verify, by path),
//! so any reference upwards, however spelled, fails to compile.

use std::process::Command;

#[test]
fn verify_builds_without_policy_report_or_assess() {
    let root = env!("CARGO_MANIFEST_DIR");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["check", "--quiet", "--manifest-path"])
        .arg(format!("{root}/tests/boundary/Cargo.toml"))
        .arg("--target-dir")
        .arg(format!("{root}/target/boundary"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo check");
    assert!(
        out.status.success(),
        "the lower layers do not build alone (verify names something above it?):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
