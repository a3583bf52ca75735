//! The SAM template as deployed: translated by aws-sam-translator, created in the emulator's
//! CloudFormation, then checked against the code (table keys and indexes, queues and their
//! redrive, each function's configuration and IAM policy), and the real function binaries run
//! under cargo-lambda's Lambda runtime emulator against the resources the stack created.
//!
//! One stack per run of this binary (the template names its queues and bucket per stage, as a
//! real account would), deployed by the first test that needs it.

mod api;
mod deploy;
mod drift;
mod iam;
mod runtime;
