//! The store conformance suite on the in-memory store the use-case tests run on.

gestiona_tests::conformance_tests!(gestiona_domain::testing::MemoryStore::new());
