//! The SAM template passes cfn-lint and `sam validate --lint` (installed by the test command;
//! missing is a failure).

use std::process::Command;

#[test]
#[ignore = "needs the SAM CLI and cfn-lint: tests/run provides it"]
fn the_sam_template_lints_clean() {
    let venv = std::env::var("GESTIONA_TEST_VENV")
        .expect("GESTIONA_TEST_VENV is not set: run the test command `tests/run`, which installs cfn-lint");
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    let output = Command::new(format!("{venv}/bin/cfn-lint"))
        .arg(template)
        .output()
        .expect("cfn-lint runs (installed by tests/run)");
    assert!(
        output.status.success(),
        "cfn-lint found problems:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
#[ignore = "needs the SAM CLI and cfn-lint: tests/run provides it"]
fn sam_validates_the_template_with_its_linter() {
    let venv = std::env::var("GESTIONA_TEST_VENV")
        .expect("GESTIONA_TEST_VENV is not set: run the test command `tests/run`, which installs the SAM CLI");
    let template = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    let output = Command::new(format!("{venv}/bin/sam"))
        .args(["validate", "--lint", "--template-file", template])
        // Offline: no telemetry, and the region comes from here, not from a profile.
        .env("SAM_CLI_TELEMETRY", "0")
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .output()
        .expect("sam runs (installed by tests/run)");
    assert!(
        output.status.success(),
        "sam validate --lint found problems:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
