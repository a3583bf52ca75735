//! Deploys `infra/template.yaml` into moto once (`tests/infra/deploy_stack.py`) and exposes
//! what it created.

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::OnceLock;

use gestiona_lambda::permissions::Lambda;
use serde_json::Value;

/// What the stack created, as `deploy_stack.py` reports it.
pub struct Stack {
    pub report: Value,
}

/// The name of the stack, and the stage of its resources.
const STACK: &str = "gestiona-test";
/// Where the stack's console is registered to live.
pub const CONSOLE: &str = "https://crm.example.com";

pub fn venv() -> String {
    std::env::var("GESTIONA_TEST_VENV").expect(
        "GESTIONA_TEST_VENV is not set: run the test command `tests/run`, which installs aws-sam-translator, \
         cargo-lambda and moto",
    )
}

pub fn stack() -> &'static Stack {
    static DEPLOYED: OnceLock<Stack> = OnceLock::new();
    DEPLOYED.get_or_init(|| {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/infra/deploy_stack.py");
        let output = Command::new(format!("{}/bin/python", venv()))
            .args([script, "--endpoint", &gestiona_tests::moto::stack_endpoint(), "--stack", STACK])
            .args(["--parameter", "Stage=dev"])
            .args(["--parameter", &format!("ConsoleCallbackUrl={CONSOLE}/app/auth/callback")])
            .args(["--parameter", &format!("ConsoleSignOutUrl={CONSOLE}/app/sign-in")])
            .env("AWS_DEFAULT_REGION", "us-east-1")
            .output()
            .expect("the test environment's Python runs");
        assert!(
            output.status.success(),
            "deploying the template into moto's CloudFormation failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        Stack { report: serde_json::from_slice(&output.stdout).expect("deploy_stack.py prints JSON") }
    })
}

impl Stack {
    pub fn output(&self, name: &str) -> &str {
        self.report["outputs"][name].as_str().unwrap_or_else(|| panic!("the stack has no output {name}"))
    }

    pub fn table(&self) -> &str {
        self.output("TableName")
    }

    /// The translated (plain CloudFormation) template's resource.
    pub fn template_resource(&self, logical: &str) -> &Value {
        let resource = &self.report["template"]["Resources"][logical];
        assert!(resource.is_object(), "the template has no resource {logical}");
        resource
    }

    /// Each function of the stack, by its binary.
    pub fn functions(&self) -> BTreeMap<String, (&str, &Value)> {
        self.report["functions"]
            .as_object()
            .expect("functions")
            .iter()
            .map(|(logical, f)| (f["binary"].as_str().expect("binary").to_owned(), (logical.as_str(), f)))
            .collect()
    }

    /// The logical id and report of `lambda`'s function.
    pub fn function(&self, lambda: Lambda) -> (&str, &Value) {
        self.report["functions"]
            .as_object()
            .expect("functions")
            .iter()
            .find(|(_, f)| f["binary"] == lambda.binary())
            .map(|(logical, f)| (logical.as_str(), f))
            .unwrap_or_else(|| panic!("the template has no function for {}", lambda.binary()))
    }

    /// The account moto deployed into (read off a queue ARN the stack made).
    pub fn account(&self) -> &str {
        self.output("AlarmTopicArn").split(':').nth(4).expect("an ARN")
    }
}
