//! The store conformance suite on DynamoDB, emulated by moto on loopback.

gestiona_tests::conformance_tests!(gestiona_tests::moto::fresh_table().await);
