//! An in-memory effect queue that records what it is given and can be told to fail (the domain
//! crate's, which its own use-case tests use too).

pub use gestiona_domain::testing::RecordingQueue;
