//! The store conformance suite on the embedded (redb) store.

fn open() -> gestiona_store_embedded::EmbeddedStore {
    let dir = std::env::temp_dir().join(format!("gestiona-conformance-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    gestiona_store_embedded::EmbeddedStore::open(dir.join("store.redb")).expect("open the embedded store")
}

gestiona_tests::conformance_tests!(open());
