//! The store conformance suite: what every adapter of the `Store` port must do, checked the
//! same way on the embedded store and on DynamoDB (moto).

use std::sync::Arc;

use gestiona_domain::ports::{
    Condition, CursorPosition, Index, Item, Key, Query, SortKeyRange, Store, StoreError, WriteOp,
};
use serde_json::{Map, Value, json};

fn body(value: Value) -> Map<String, Value> {
    value.as_object().cloned().expect("an object")
}

fn item(pk: &str, sk: &str, version: u64, value: Value) -> Item {
    Item::new(Key::new(pk, sk), "Thing", version, body(value))
}

fn put(item: Item, condition: Condition) -> WriteOp {
    WriteOp::Put { item, condition }
}

/// A partition name unique to one check, so checks never see each other's items.
fn partition(name: &str) -> String {
    format!("T#conf#{name}#{}", ulid::Ulid::generate())
}

async fn all_pages(store: &dyn Store, mut query: Query) -> Vec<Item> {
    let mut items = Vec::new();
    for _ in 0..1000 {
        let page = store.query(&query).await.expect("query");
        assert!(page.items.len() <= query.limit as usize, "a page never exceeds its limit");
        items.extend(page.items);
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return items,
        }
    }
    panic!("pagination did not end");
}

fn sort_keys(items: &[Item]) -> Vec<String> {
    items.iter().map(|i| i.key.sk.clone()).collect()
}

pub async fn put_new_creates_only_once(store: Arc<dyn Store>) {
    let pk = partition("create");
    store.put_new(item(&pk, "A", 1, json!({"n": 1})), "thing").await.expect("first create");
    let second = store.put_new(item(&pk, "A", 1, json!({"n": 2})), "thing").await;
    assert_eq!(second, Err(StoreError::ConditionFailed { name: "thing" }));
    let stored = store.get(&Key::new(&pk, "A")).await.unwrap().expect("stored");
    assert_eq!(stored.body["n"], 1, "a refused create leaves the first item as it was");
}

pub async fn items_round_trip(store: Arc<dyn Store>) {
    let pk = partition("roundtrip");
    let mut original = item(
        &pk,
        "#META",
        4,
        json!({
            "name": "Café Ñandú — «prueba» 日本",
            "amount": {"amountMinor": 125000000, "currency": "CRC"},
            "negative": -42,
            "ratio": 0.75,
            "flags": [true, false],
            "nothing": null,
            "nested": {"deep": {"list": ["a", 1, null]}},
            "empty": ""
        }),
    )
    .with_index(Index::Gsi2, Key::new(format!("{pk}#IDX"), "2026-11-22#x"));
    original.ttl = Some(1_900_000_000);
    store.put_new(original.clone(), "thing").await.unwrap();
    assert_eq!(store.get(&original.key).await.unwrap(), Some(original.clone()));
    assert_eq!(store.get(&Key::new(&pk, "missing")).await.unwrap(), None);
}

pub async fn several_items_read_at_once(store: Arc<dyn Store>) {
    let pk = partition("many");
    for (sk, n) in [("A", 1), ("B", 2), ("C", 3)] {
        store.put_new(item(&pk, sk, 1, json!({"n": n})), "thing").await.unwrap();
    }
    let keys: Vec<Key> = ["C", "missing", "A"].iter().map(|sk| Key::new(&pk, *sk)).collect();
    let found = store.get_many(&keys).await.unwrap();
    let numbers: Vec<Option<Value>> = found.iter().map(|i| i.as_ref().map(|i| i.body["n"].clone())).collect();
    assert_eq!(numbers, vec![Some(json!(3)), None, Some(json!(1))], "in the order asked, absent items as None");
    assert_eq!(found[0].as_ref().unwrap().key, keys[0]);

    let twice = vec![Key::new(&pk, "A"), Key::new(&pk, "A")];
    assert!(matches!(store.get_many(&twice).await, Err(StoreError::InvalidRequest(_))));
    assert!(matches!(store.get_many(&[]).await, Err(StoreError::InvalidRequest(_))));
    let too_many: Vec<Key> = (0..101).map(|n| Key::new(&pk, n.to_string())).collect();
    assert!(matches!(store.get_many(&too_many).await, Err(StoreError::InvalidRequest(_))));
}

pub async fn conditional_writes_check_versions(store: Arc<dyn Store>) {
    let pk = partition("versions");
    store.put_new(item(&pk, "A", 1, json!({"v": "one"})), "thing").await.unwrap();
    store
        .write(vec![put(item(&pk, "A", 2, json!({"v": "two"})), Condition::version_is("thing", 1))])
        .await
        .expect("current version");
    let stale =
        store.write(vec![put(item(&pk, "A", 2, json!({"v": "stale"})), Condition::version_is("thing", 1))]).await;
    assert_eq!(stale, Err(StoreError::ConditionFailed { name: "thing" }));
    let stored = store.get(&Key::new(&pk, "A")).await.unwrap().unwrap();
    assert_eq!((stored.version, stored.body["v"].clone()), (2, json!("two")), "a stale write changes nothing");
    let delete_stale = store
        .write(vec![WriteOp::Delete { key: stored.key.clone(), condition: Condition::version_is("thing", 1) }])
        .await;
    assert_eq!(delete_stale, Err(StoreError::ConditionFailed { name: "thing" }));
    store
        .write(vec![WriteOp::Delete { key: stored.key.clone(), condition: Condition::version_is("thing", 2) }])
        .await
        .unwrap();
    assert_eq!(store.get(&stored.key).await.unwrap(), None);
}

pub async fn conditions_on_missing_items(store: Arc<dyn Store>) {
    let pk = partition("missing");
    let key = Key::new(&pk, "A");
    let versioned = store.write(vec![put(item(&pk, "A", 2, json!({})), Condition::version_is("thing", 1))]).await;
    assert_eq!(versioned, Err(StoreError::ConditionFailed { name: "thing" }));
    let exists = store.write(vec![put(item(&pk, "A", 1, json!({})), Condition::exists("thing"))]).await;
    assert_eq!(exists, Err(StoreError::ConditionFailed { name: "thing" }));
    let check = store.write(vec![WriteOp::Check { key: key.clone(), condition: Condition::exists("thing") }]).await;
    assert_eq!(check, Err(StoreError::ConditionFailed { name: "thing" }));
    assert_eq!(store.get(&key).await.unwrap(), None, "failed conditions write nothing");
    store.write(vec![put(item(&pk, "A", 1, json!({"x": 1})), Condition::ALWAYS)]).await.unwrap();
    store.write(vec![put(item(&pk, "A", 1, json!({"x": 2})), Condition::ALWAYS)]).await.unwrap();
    assert_eq!(store.get(&key).await.unwrap().unwrap().body["x"], 2, "unconditional puts replace");
}

/// `WriteOp::Add`: a running total created by its first addition, added to by later ones (two
/// at once lose neither), and left as it was when its batch fails.
pub async fn running_totals_add_within_batches(store: Arc<dyn Store>) {
    let pk = partition("totals");
    let key = Key::new(&pk, "cell");
    let add = |count: i64, amount: i64| WriteOp::Add {
        key: key.clone(),
        entity: "Total",
        amounts: vec![("count", count), ("amountMinor", amount)],
    };
    store.write(vec![add(1, 2_500)]).await.expect("a first addition creates the total");
    let total = store.get(&key).await.unwrap().unwrap();
    assert_eq!((total.entity.as_str(), total.version), ("Total", 1));
    assert_eq!((total.body["count"].clone(), total.body["amountMinor"].clone()), (json!(1), json!(2_500)));

    let (a, b) = tokio::join!(store.write(vec![add(1, 100)]), store.write(vec![add(-1, -2_500)]));
    a.unwrap();
    b.unwrap();
    let total = store.get(&key).await.unwrap().unwrap();
    assert_eq!(
        (total.body["count"].clone(), total.body["amountMinor"].clone()),
        (json!(1), json!(100)),
        "neither is lost"
    );
    assert_eq!(total.version, 3);

    let failing = vec![add(5, 5), put(item(&pk, "other", 1, json!({})), Condition::exists("missing one"))];
    assert_eq!(store.write(failing).await, Err(StoreError::ConditionFailed { name: "missing one" }));
    let total = store.get(&key).await.unwrap().unwrap();
    assert_eq!((total.body["count"].clone(), total.version), (json!(1), 3), "a failed batch adds nothing");
    let with_a_put = vec![add(2, 0), put(item(&pk, "other", 1, json!({})), Condition::not_exists("other"))];
    store.write(with_a_put).await.expect("an addition beside a put");
    assert_eq!(store.get(&key).await.unwrap().unwrap().body["count"], json!(3));
}

pub async fn batches_are_all_or_nothing(store: Arc<dyn Store>) {
    let pk = partition("batch");
    store.put_new(item(&pk, "existing", 1, json!({"keep": true})), "thing").await.unwrap();
    let failing = vec![
        put(item(&pk, "new-1", 1, json!({})), Condition::not_exists("new one")),
        put(item(&pk, "existing", 2, json!({"keep": false})), Condition::version_is("existing version", 1)),
        put(item(&pk, "existing-too", 1, json!({})), Condition::exists("second existing")),
    ];
    assert_eq!(store.write(failing).await, Err(StoreError::ConditionFailed { name: "second existing" }));
    assert_eq!(store.get(&Key::new(&pk, "new-1")).await.unwrap(), None, "no write of a failed batch lands");
    let existing = store.get(&Key::new(&pk, "existing")).await.unwrap().unwrap();
    assert_eq!((existing.version, existing.body["keep"].clone()), (1, json!(true)));

    let failing_check = vec![
        WriteOp::Check { key: Key::new(&pk, "existing"), condition: Condition::version_is("stale check", 9) },
        put(item(&pk, "new-2", 1, json!({})), Condition::not_exists("new two")),
    ];
    assert_eq!(store.write(failing_check).await, Err(StoreError::ConditionFailed { name: "stale check" }));
    assert_eq!(store.get(&Key::new(&pk, "new-2")).await.unwrap(), None);

    let passing = vec![
        put(item(&pk, "new-1", 1, json!({})), Condition::not_exists("thing")),
        put(item(&pk, "existing", 2, json!({"keep": false})), Condition::version_is("thing", 1)),
        WriteOp::Check { key: Key::new(&pk, "existing"), condition: Condition::exists("thing") }.clone(),
    ];
    // A check and a put on the same key are two writes to one key: refused before writing.
    assert!(matches!(store.write(passing).await, Err(StoreError::InvalidRequest(_))));
    let passing = vec![
        put(item(&pk, "new-1", 1, json!({})), Condition::not_exists("thing")),
        put(item(&pk, "existing", 2, json!({"keep": false})), Condition::version_is("thing", 1)),
        WriteOp::Delete { key: Key::new(&pk, "nothing-here"), condition: Condition::ALWAYS },
    ];
    store.write(passing).await.expect("a batch whose conditions hold");
    assert!(store.get(&Key::new(&pk, "new-1")).await.unwrap().is_some());
    assert_eq!(store.get(&Key::new(&pk, "existing")).await.unwrap().unwrap().version, 2);
}

pub async fn batch_limits_are_enforced(store: Arc<dyn Store>) {
    let pk = partition("limits");
    let too_many: Vec<_> =
        (0..101).map(|n| put(item(&pk, &format!("{n:03}"), 1, json!({})), Condition::ALWAYS)).collect();
    assert!(matches!(store.write(too_many).await, Err(StoreError::InvalidRequest(_))));
    let duplicate = vec![
        put(item(&pk, "A", 1, json!({})), Condition::ALWAYS),
        put(item(&pk, "A", 1, json!({})), Condition::ALWAYS),
    ];
    assert!(matches!(store.write(duplicate).await, Err(StoreError::InvalidRequest(_))));
    let hundred: Vec<_> =
        (0..100).map(|n| put(item(&pk, &format!("{n:03}"), 1, json!({})), Condition::not_exists("thing"))).collect();
    store.write(hundred).await.expect("100 writes fit in one batch");
    assert_eq!(all_pages(store.as_ref(), Query::partition(&pk).limit(1000)).await.len(), 100);
}

pub async fn partition_queries_filter_and_order(store: Arc<dyn Store>) {
    let pk = partition("query");
    let other = partition("query-other");
    let sks = ["#META", "CMT#01", "EVT#01", "EVT#02", "EVT#03", "EVT$", "EVTX"];
    let ops: Vec<_> =
        sks.iter().map(|sk| put(item(&pk, sk, 1, json!({"sk": sk})), Condition::not_exists("thing"))).collect();
    store.write(ops).await.unwrap();
    store.put_new(item(&other, "EVT#01", 1, json!({})), "thing").await.unwrap();

    let all = store.query(&Query::partition(&pk)).await.unwrap();
    assert_eq!(sort_keys(&all.items), sks, "ascending byte order");
    assert_eq!(all.next_cursor, None);
    let events = store.query(&Query::partition(&pk).range(SortKeyRange::BeginsWith("EVT#".into()))).await.unwrap();
    assert_eq!(sort_keys(&events.items), ["EVT#01", "EVT#02", "EVT#03"]);
    let backward =
        store.query(&Query::partition(&pk).range(SortKeyRange::BeginsWith("EVT#".into())).backward()).await.unwrap();
    assert_eq!(sort_keys(&backward.items), ["EVT#03", "EVT#02", "EVT#01"]);
    let between = store
        .query(&Query::partition(&pk).range(SortKeyRange::Between("CMT#01".into(), "EVT#02".into())))
        .await
        .unwrap();
    assert_eq!(sort_keys(&between.items), ["CMT#01", "EVT#01", "EVT#02"], "inclusive on both ends");
    for empty in [SortKeyRange::BeginsWith(String::new()), SortKeyRange::Between(String::new(), "Z".into())] {
        let refused = store.query(&Query::partition(&pk).range(empty)).await;
        assert!(
            matches!(refused, Err(StoreError::InvalidRequest(_))),
            "empty key values are refused, as DynamoDB does"
        );
    }
    let none = store.query(&Query::partition(partition("empty"))).await.unwrap();
    assert!(none.items.is_empty() && none.next_cursor.is_none());
}

pub async fn pagination_visits_every_item_once(store: Arc<dyn Store>) {
    let pk = partition("pages");
    let ops: Vec<_> = (0..23)
        .map(|n| put(item(&pk, &format!("EVT#{n:02}"), 1, json!({"n": n})), Condition::not_exists("thing")))
        .collect();
    store.write(ops).await.unwrap();
    let expected: Vec<String> = (0..23).map(|n| format!("EVT#{n:02}")).collect();
    for limit in [1, 5, 22, 23, 24] {
        let forward = all_pages(store.as_ref(), Query::partition(&pk).limit(limit)).await;
        assert_eq!(sort_keys(&forward), expected, "forward, limit {limit}");
        let backward = all_pages(store.as_ref(), Query::partition(&pk).limit(limit).backward()).await;
        let mut reversed = expected.clone();
        reversed.reverse();
        assert_eq!(sort_keys(&backward), reversed, "backward, limit {limit}");
    }
    let ranged = all_pages(
        store.as_ref(),
        Query::partition(&pk).range(SortKeyRange::Between("EVT#05".into(), "EVT#14".into())).limit(3),
    )
    .await;
    assert_eq!(sort_keys(&ranged), expected[5..=14]);
    // A cursor the caller builds at any item resumes right after it.
    let third = store.get(&Key::new(&pk, "EVT#02")).await.unwrap().unwrap();
    let cursor = CursorPosition::of(&third, None).encode();
    let resumed = store.query(&Query::partition(&pk).limit(2).after(Some(cursor))).await.unwrap();
    assert_eq!(sort_keys(&resumed.items), ["EVT#03", "EVT#04"]);
}

pub async fn cursors_cannot_cross_partitions(store: Arc<dyn Store>) {
    let pk = partition("cursor");
    let other = partition("cursor-other");
    for p in [&pk, &other] {
        let ops: Vec<_> =
            (0..3).map(|n| put(item(p, &format!("S#{n}"), 1, json!({})), Condition::not_exists("thing"))).collect();
        store.write(ops).await.unwrap();
    }
    let first = store.query(&Query::partition(&pk).limit(1)).await.unwrap();
    let cursor = first.next_cursor.expect("more pages");
    let crossed = store.query(&Query::partition(&other).limit(1).after(Some(cursor.clone()))).await;
    assert_eq!(crossed, Err(StoreError::InvalidCursor));
    let outside = store
        .query(&Query::partition(&pk).range(SortKeyRange::BeginsWith("X".into())).after(Some(cursor.clone())))
        .await;
    assert_eq!(outside, Err(StoreError::InvalidCursor), "a cursor outside the queried range");
    for garbage in ["", "not base64 !", "eyJ4IjoxfQ"] {
        let result = store.query(&Query::partition(&pk).after(Some(garbage.into()))).await;
        assert_eq!(result, Err(StoreError::InvalidCursor), "{garbage:?}");
    }
    let index_query = Query::index(Index::Gsi1, &pk).after(Some(cursor));
    assert_eq!(store.query(&index_query).await, Err(StoreError::InvalidCursor), "a table cursor on an index");
}

pub async fn sparse_indexes_follow_their_items(store: Arc<dyn Store>) {
    let base = partition("sparse");
    let listing = format!("{base}#LIST");
    let moved = format!("{base}#MOVED");
    let listed = |n: u32, isk: &str| {
        item(&format!("{base}#{n}"), "#META", 1, json!({"n": n})).with_index(Index::Gsi1, Key::new(&listing, isk))
    };
    store
        .write(vec![
            put(listed(1, "b"), Condition::not_exists("thing")),
            put(listed(2, "a"), Condition::not_exists("thing")),
            put(listed(3, "c").with_index(Index::Gsi3, Key::new(&listing, "z")), Condition::not_exists("thing")),
            put(item(&format!("{base}#4"), "#META", 1, json!({"n": 4})), Condition::not_exists("thing")),
        ])
        .await
        .unwrap();
    let numbers = |items: &[Item]| items.iter().map(|i| i.body["n"].as_u64().unwrap()).collect::<Vec<_>>();
    let page = store.query(&Query::index(Index::Gsi1, &listing)).await.unwrap();
    assert_eq!(numbers(&page.items), [2, 1, 3], "ordered by the index sort key; unindexed items absent");
    assert_eq!(page.items[0].index(Index::Gsi1), Some(&Key::new(&listing, "a")), "index queries return whole items");
    let other_index = store.query(&Query::index(Index::Gsi3, &listing)).await.unwrap();
    assert_eq!(numbers(&other_index.items), [3]);
    let paged = all_pages(store.as_ref(), Query::index(Index::Gsi1, &listing).limit(1).backward()).await;
    assert_eq!(numbers(&paged), [3, 1, 2]);
    let prefixed =
        store.query(&Query::index(Index::Gsi1, &listing).range(SortKeyRange::BeginsWith("b".into()))).await.unwrap();
    assert_eq!(numbers(&prefixed.items), [1]);

    // Re-keying and dropping index entries on update.
    let mut one = listed(1, "b");
    one.version = 2;
    one.indexes[Index::Gsi1.position()] = Some(Key::new(&moved, "b"));
    let mut two = listed(2, "a");
    two.version = 2;
    two.indexes[Index::Gsi1.position()] = None;
    store
        .write(vec![put(one, Condition::version_is("thing", 1)), put(two, Condition::version_is("thing", 1))])
        .await
        .unwrap();
    let page = store.query(&Query::index(Index::Gsi1, &listing)).await.unwrap();
    assert_eq!(numbers(&page.items), [3]);
    let page = store.query(&Query::index(Index::Gsi1, &moved)).await.unwrap();
    assert_eq!(numbers(&page.items), [1]);
    store
        .write(vec![WriteOp::Delete { key: Key::new(format!("{base}#3"), "#META"), condition: Condition::ALWAYS }])
        .await
        .unwrap();
    assert!(
        store.query(&Query::index(Index::Gsi1, &listing)).await.unwrap().items.is_empty(),
        "deletes leave the index"
    );
    assert!(store.query(&Query::index(Index::Gsi3, &listing)).await.unwrap().items.is_empty());
}

pub async fn concurrent_versioned_writes_have_one_winner(store: Arc<dyn Store>) {
    let pk = partition("race");
    store.put_new(item(&pk, "A", 1, json!({"winner": null})), "thing").await.unwrap();
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = Arc::clone(&store);
        let pk = pk.clone();
        tasks.push(tokio::spawn(async move {
            let ops = vec![
                put(item(&pk, "A", 2, json!({"winner": n})), Condition::version_is("race version", 1)),
                put(item(&pk, &format!("EVT#{n}"), 1, json!({})), Condition::not_exists("thing")),
            ];
            store.write(ops).await
        }));
    }
    let mut winners = Vec::new();
    for (n, task) in tasks.into_iter().enumerate() {
        match task.await.unwrap() {
            Ok(()) => winners.push(n),
            Err(StoreError::ConditionFailed { name: "race version" }) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(winners.len(), 1, "exactly one versioned write wins");
    let stored = store.get(&Key::new(&pk, "A")).await.unwrap().unwrap();
    assert_eq!(stored.body["winner"], json!(winners[0]));
    let events = store.query(&Query::partition(&pk).range(SortKeyRange::BeginsWith("EVT#".into()))).await.unwrap();
    assert_eq!(events.items.len(), 1, "losers leave no trace");
}

pub async fn counters_increment_atomically(store: Arc<dyn Store>) {
    let key = Key::new(partition("counter"), "#COUNTER");
    assert_eq!(store.increment(&key, 1, None).await.unwrap(), 1, "a missing counter starts at 0");
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let store = Arc::clone(&store);
        let key = key.clone();
        tasks.push(tokio::spawn(async move { store.increment(&key, 1, None).await.unwrap() }));
    }
    let mut values = Vec::new();
    for task in tasks {
        values.push(task.await.unwrap());
    }
    values.sort_unstable();
    assert_eq!(values, (2..=21).collect::<Vec<_>>(), "no two increments see the same value");
    assert_eq!(store.increment(&key, -21, Some(1_900_000_000)).await.unwrap(), 0);
    let stored = store.get(&key).await.unwrap().expect("the counter is an item");
    assert_eq!(stored.body["count"], 0);
    assert_eq!(stored.ttl, Some(1_900_000_000), "a window counter expires");
}

/// The word index behind search, through the use cases: kept in the same write as the records
/// on every store, found by word starts whatever the accents, and following renames.
pub async fn the_word_index_follows_its_records(store: Arc<dyn Store>) {
    use gestiona_domain::account::{AccountPatch, NewAccount};
    use gestiona_domain::contact::NewContact;
    use gestiona_domain::lead::NewLead;
    use gestiona_domain::ports::{SystemClock, UlidGenerator};
    use gestiona_domain::search::SearchKind;
    use gestiona_domain::service::{ListError, PageRequest, Services};
    use gestiona_domain::{Actor, Role, TenantId, UserId};

    let services = Services::new(
        store,
        Arc::new(crate::queue::RecordingQueue::default()),
        Arc::new(SystemClock),
        Arc::new(UlidGenerator::default()),
    );
    let tenant = TenantId::parse(&format!("s{}", ulid::Ulid::generate().to_string().to_lowercase())).unwrap();
    let actor = Actor::with_role(&tenant, &UserId::parse("sofia").unwrap(), Role::Admin);
    let account = services
        .create_account(&actor, NewAccount { name: "Ferretería El Clavo".into(), ..Default::default() })
        .await
        .unwrap();
    let contact = NewContact {
        first_name: "José".into(),
        last_name: Some("Núñez".into()),
        email: Some("jose.nunez@clavo.example".into()),
        account_id: Some(account.value.id),
        ..Default::default()
    };
    services.create_contact(&actor, contact).await.unwrap();
    let lead = NewLead {
        name: "Josefina Arce".into(),
        company: Some("Clavos y Tornillos".into()),
        phone: Some("+506 8888 0000".into()),
        ..Default::default()
    };
    services.create_lead(&actor, lead).await.unwrap();

    let page = PageRequest::new(Some(50), None).unwrap();
    let titles = |query: &'static str, kinds: &'static [SearchKind]| {
        let (services, actor, page) = (&services, &actor, &page);
        async move {
            let found = services.search(actor, query, kinds, page).await.unwrap();
            let mut titles: Vec<String> = found.items.into_iter().map(|d| d.title).collect();
            titles.sort();
            titles
        }
    };
    let all = &SearchKind::ALL;
    // The lead is found by its company, the contact by its e-mail.
    assert_eq!(titles("clavo", all).await, ["Ferretería El Clavo", "Josefina Arce", "José Núñez"]);
    assert_eq!(titles("jos", all).await, ["Josefina Arce", "José Núñez"]);
    assert_eq!(titles("NUÑ jo", all).await, ["José Núñez"], "every term, accents and case aside");
    assert_eq!(titles("ferreteria", all).await, ["Ferretería El Clavo"]);
    assert_eq!(titles("jos", &[SearchKind::Lead]).await, ["Josefina Arce"], "only the kinds asked for");
    assert!(titles("tuerca", all).await.is_empty());

    let renamed = AccountPatch { name: Some("Ferretería La Tuerca".into()), ..Default::default() };
    services.update_account(&actor, account.value.id, 1.into(), renamed).await.unwrap();
    assert_eq!(titles("tuerca", all).await, ["Ferretería La Tuerca"]);
    assert_eq!(titles("ferre", all).await, ["Ferretería La Tuerca"], "shown under its new name");
    assert_eq!(titles("clavo", all).await, ["Josefina Arce", "José Núñez"], "the old name's words are gone");

    let too_short = services.search(&actor, "a", all, &page).await;
    assert!(matches!(too_short, Err(ListError::Invalid(_))), "{too_short:?}");
}
