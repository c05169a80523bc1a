//! Model test of the version store: random puts, deletes (with and without version ids) and
//! versioning changes against a plain in-memory model of each key's version stack; after every
//! step the store must list exactly the model's versions, keep the latest copy, the `null`
//! pointer and the usage counters consistent, and read each version's bytes back.

use std::collections::BTreeMap;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::meta::model::Versioning;
use crate::store::list_versions::{VersionEntry, VersionQuery};
use crate::store::test_support::{self, test_store};
use crate::store::usage::Usage;
use crate::store::versions::{VersionSelector, shown_id};
use crate::store::{Store, StoreError};

const BUCKET: &str = "model";

/// One version as the model sees it: id as shown, marker or bytes.
#[derive(Debug, Clone, PartialEq)]
struct ModelVersion {
    id: String,
    body: Option<Vec<u8>>,
}

async fn put(store: &Store, key: &str, body: &[u8]) -> String {
    let version = test_support::put(store, BUCKET, key, "STANDARD", body).await;
    shown_id(&version).to_string()
}

async fn read(store: &Store, key: &str, id: &str) -> Vec<u8> {
    let selector = VersionSelector::parse(Some(id)).expect("id");
    let version = store.version(BUCKET, key, selector).expect("version");
    test_support::read_all(store, &version).await
}

fn listed(store: &Store) -> BTreeMap<String, Vec<(String, bool, bool)>> {
    let page = store
        .list_versions(
            BUCKET,
            &VersionQuery {
                prefix: "",
                delimiter: None,
                key_marker: None,
                version_marker: None,
                max_keys: 100_000,
            },
        )
        .expect("list");
    let mut out: BTreeMap<String, Vec<(String, bool, bool)>> = BTreeMap::new();
    for entry in page.entries {
        if let VersionEntry::Version {
            key,
            version,
            is_latest,
        } = entry
        {
            out.entry(key).or_default().push((
                shown_id(&version).to_string(),
                version.delete_marker,
                is_latest,
            ));
        }
    }
    out
}

fn expected_usage(model: &BTreeMap<String, Vec<ModelVersion>>) -> Usage {
    let mut usage = Usage::default();
    for stack in model.values() {
        for (i, version) in stack.iter().enumerate() {
            match (&version.body, i) {
                (None, _) => usage.delete_markers += 1,
                (Some(body), 0) => {
                    usage.current_objects += 1;
                    usage.current_bytes += body.len() as i64;
                }
                (Some(body), _) => {
                    usage.noncurrent_objects += 1;
                    usage.noncurrent_bytes += body.len() as i64;
                }
            }
        }
    }
    usage
}

/// A write or null delete marker in an unversioned/suspended bucket replaces the null version.
fn push_model(stack: &mut Vec<ModelVersion>, version: ModelVersion) {
    if version.id == "null" {
        stack.retain(|v| v.id != "null");
    }
    stack.insert(0, version);
}

#[tokio::test]
async fn random_operations_keep_versions_latest_null_pointer_and_usage_consistent() {
    for seed in 0..4u64 {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = test_store(dir.path());
        store
            .create_bucket(BUCKET, "owner", "us-east-1")
            .await
            .expect("bucket");
        let mut rng = StdRng::seed_from_u64(seed);
        let mut versioning = Versioning::Unversioned;
        let mut model: BTreeMap<String, Vec<ModelVersion>> = BTreeMap::new();
        for step in 0..160 {
            let key = format!("k{}", rng.gen_range(0..4));
            let stack = model.entry(key.clone()).or_default();
            match rng.gen_range(0..100) {
                0..=44 => {
                    let len = if rng.gen_bool(0.7) { 10 } else { 200 };
                    let body: Vec<u8> = (0..len).map(|_| rng.r#gen()).collect();
                    let id = put(&store, &key, &body).await;
                    assert_eq!(id == "null", versioning != Versioning::Enabled);
                    push_model(
                        stack,
                        ModelVersion {
                            id,
                            body: Some(body),
                        },
                    );
                }
                45..=64 => {
                    let outcome = store
                        .delete_object(BUCKET, &key, VersionSelector::Latest, "owner", false)
                        .await
                        .expect("delete");
                    match versioning {
                        Versioning::Unversioned => {
                            assert!(!outcome.delete_marker);
                            stack.clear();
                        }
                        _ => {
                            assert!(outcome.delete_marker);
                            let id = outcome.version_id.expect("marker id");
                            push_model(stack, ModelVersion { id, body: None });
                        }
                    }
                }
                65..=89 if !stack.is_empty() => {
                    let at = rng.gen_range(0..stack.len());
                    let target = stack[at].clone();
                    let selector = VersionSelector::parse(Some(&target.id)).expect("id");
                    let outcome = store
                        .delete_object(BUCKET, &key, selector, "owner", false)
                        .await
                        .expect("delete version");
                    assert_eq!(outcome.delete_marker, target.body.is_none());
                    assert_eq!(outcome.version_id.as_deref(), Some(target.id.as_str()));
                    stack.remove(at);
                }
                90..=99 => {
                    versioning = if rng.gen_bool(0.5) {
                        Versioning::Enabled
                    } else {
                        Versioning::Suspended
                    };
                    store
                        .set_versioning(BUCKET, versioning)
                        .await
                        .expect("versioning");
                }
                _ => {}
            }
            model.retain(|_, stack| !stack.is_empty());

            let context = format!("seed {seed} step {step}");
            let expected: BTreeMap<String, Vec<(String, bool, bool)>> = model
                .iter()
                .map(|(key, stack)| {
                    let rows = stack
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (v.id.clone(), v.body.is_none(), i == 0))
                        .collect();
                    (key.clone(), rows)
                })
                .collect();
            assert_eq!(listed(&store), expected, "{context}");
            assert_eq!(
                store.usage(BUCKET).expect("usage"),
                expected_usage(&model),
                "{context}"
            );
            assert_eq!(
                store.count_usage(BUCKET).expect("count"),
                expected_usage(&model),
                "{context}"
            );
            for (key, stack) in &model {
                match store.version(BUCKET, key, VersionSelector::Latest) {
                    Ok(latest) => assert_eq!(
                        Some(shown_id(&latest)),
                        stack.first().map(|v| v.id.as_str())
                    ),
                    Err(StoreError::DeleteMarker { version_id, .. }) => {
                        assert_eq!(
                            version_id.as_deref().unwrap_or("null"),
                            stack[0].id,
                            "{context}"
                        );
                        assert!(stack[0].body.is_none(), "{context}");
                    }
                    Err(other) => panic!("{context}: {other}"),
                }
                for version in stack.iter().filter(|v| v.body.is_some()) {
                    assert_eq!(
                        Some(read(&store, key, &version.id).await),
                        version.body,
                        "{context}"
                    );
                }
            }
        }
    }
}
