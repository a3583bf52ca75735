//! A clock the test moves by hand (the domain crate's, which its own use-case tests use too).

pub use gestiona_domain::testing::ManualClock;
