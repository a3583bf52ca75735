//! The store conformance suite on DynamoDB, emulated by moto on loopback.

gestiona_tests::conformance_tests!(
    ignored("needs the AWS emulator: tests/run provides it")
    gestiona_tests::moto::fresh_table().await
);
