//! Criterion micro-benchmarks of the CPU and metadata work on strata's request paths (issue #4):
//! Reed–Solomon encode/reconstruct per storage-class layout, shard and object hashing, SigV4
//! verification, ListObjectsV2 XML rendering, and sled metadata at one million keys.
//!
//! Run: `cargo bench --bench micro` (all, ~3 minutes), or one group:
//! `cargo bench --bench micro -- rs/`, `hash/`, `sigv4/`, `list_xml/`, `meta/`.
//! Sample sizes and measurement times are short on purpose (2 shared cores, ±20 % noise):
//! compare figures from one run, not across runs.

use std::cell::OnceCell;
use std::collections::{BTreeSet, HashMap};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use md5::Digest as _;
use rand::rngs::StdRng;
use rand::{Rng, RngCore, SeedableRng};
// The crate's codec wrapper (src/chunk/stripe.rs: `CodecCache`, `encode_parity`, `reconstruct`)
// lives in a private module, so these benchmarks call reed-solomon-erasure directly with the same
// parameters: `galois_8::ReedSolomon::new(k, m)`, `encode_sep` for parity, `reconstruct_data`
// for reads (what the chunk reader does), with the crate's `simd-accel` feature from Cargo.toml.
use reed_solomon_erasure::galois_8::ReedSolomon;

use strata::auth::{SecretLookup, verify_request};
use strata::checksum::{Checksum, ChecksumAlgorithm, ChecksumType};
use strata::chunk::{BlobId, BlobRef, ShardLocation};
use strata::classes::StorageClasses;
use strata::iam::ROOT_ACCOUNT_ID;
use strata::meta::model::{
    BucketRecord, ContentHeaders, ObjectAttributes, ObjectData, ObjectVersion, Versioning,
};
use strata::meta::sled_backend::SledBackend;
use strata::meta::{Meta, MetaError, Tree, decode, keys};
use strata::s3::xml::XmlWriter;

const MIB: usize = 1024 * 1024;

/// Short runs: the whole target stays well under five minutes on two shared cores.
fn configure(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
    group
        .sample_size(15)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
}

fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut data = vec![0u8; len];
    StdRng::seed_from_u64(seed).fill_bytes(&mut data);
    data
}

fn size_label(bytes: usize) -> String {
    if bytes.is_multiple_of(MIB) {
        format!("{}MiB", bytes / MIB)
    } else {
        format!("{}KiB", bytes / 1024)
    }
}

// ---------------------------------------------------------------------------------------------
// Reed–Solomon

fn reed_solomon(c: &mut Criterion) {
    let classes = StorageClasses::embedded(3).expect("embedded storage classes");
    // (k, m) → classes using it. Block sizes: 1 MiB, every class's own block size, and 64 KiB —
    // the last stripe of a blob uses a smaller block, and a 64 KiB stripe stays in L2, so it also
    // shows how much of the 1 MiB figure is memory bandwidth.
    let mut layouts: BTreeSet<(u8, u8)> = BTreeSet::new();
    let mut block_sizes: BTreeSet<usize> = BTreeSet::from([64 * 1024, MIB]);
    for name in classes.names() {
        let layout = &classes.get(name).expect("listed class").layout;
        layouts.insert((layout.data_shards, layout.parity_shards));
        block_sizes.insert(layout.block_size as usize);
    }
    for &(k, m) in &layouts {
        let users: Vec<&str> = classes
            .names()
            .filter(|n| {
                let l = &classes.get(n).expect("listed class").layout;
                (l.data_shards, l.parity_shards) == (k, m)
            })
            .collect();
        eprintln!("micro/rs: RS({k},{m}) is used by {}", users.join(", "));
    }

    let mut group = c.benchmark_group("rs");
    configure(&mut group);
    for &(k, m) in &layouts {
        let (k, m) = (usize::from(k), usize::from(m));
        let codec = ReedSolomon::new(k, m).expect("codec");
        for &block in &block_sizes {
            let layout = format!("RS({k},{m})/{}", size_label(block));
            let data: Vec<Vec<u8>> = (0..k).map(|i| random_bytes(block, 1 + i as u64)).collect();
            let mut parity = vec![vec![0u8; block]; m];
            // Throughput = the stripe's data bytes (k blocks), as the object's bytes flow.
            group.throughput(Throughput::Bytes((k * block) as u64));

            group.bench_function(BenchmarkId::new("encode", &layout), |b| {
                let refs: Vec<&[u8]> = data.iter().map(Vec::as_slice).collect();
                b.iter(|| {
                    codec
                        .encode_sep(black_box(&refs), &mut parity)
                        .expect("encode");
                })
            });

            let full: Vec<Vec<u8>> = data.iter().chain(parity.iter()).cloned().collect();
            for missing in [1usize, 2] {
                // The worst case for a read: data shards lost, rebuilt from parity.
                let mut shards: Vec<Option<Vec<u8>>> = full.iter().cloned().map(Some).collect();
                group.bench_function(
                    BenchmarkId::new(format!("reconstruct_{missing}_missing"), &layout),
                    |b| {
                        b.iter(|| {
                            for shard in shards.iter_mut().take(missing) {
                                *shard = None;
                            }
                            codec.reconstruct_data(&mut shards).expect("reconstruct");
                            black_box(&shards);
                        })
                    },
                );
                assert_eq!(shards[0].as_deref(), Some(full[0].as_slice()));
            }
        }
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// Hashing on the PUT path: blake3 per shard block, MD5 for the ETag, the x-amz-checksum-*
// algorithms through strata::checksum's streaming hashers (SHA256 is also the signed-payload hash).

fn hashing(c: &mut Criterion) {
    let block = random_bytes(MIB, 42);
    let mut group = c.benchmark_group("hash");
    configure(&mut group);
    group.throughput(Throughput::Bytes(MIB as u64));
    group.bench_function("blake3/1MiB", |b| {
        b.iter(|| blake3::hash(black_box(&block)))
    });
    group.bench_function("md5/1MiB", |b| {
        b.iter(|| {
            let mut md5 = md5::Md5::new();
            md5.update(black_box(&block));
            md5.finalize()
        })
    });
    group.bench_function("sha256_sha2/1MiB", |b| {
        b.iter(|| sha2::Sha256::digest(black_box(&block)))
    });
    for algorithm in ChecksumAlgorithm::ALL {
        group.bench_function(
            format!("checksum_{}/1MiB", algorithm.name().to_lowercase()),
            |b| {
                b.iter(|| {
                    let mut hasher = algorithm.hasher();
                    hasher.update(black_box(&block));
                    hasher.finish_raw()
                })
            },
        );
    }
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// SigV4: a botocore-style PutObject (path style, signed hex payload hash, default CRC32 flexible
// checksum), 17 headers of which 14 are signed (botocore leaves out user-agent and expect).

const REGION: &str = "us-east-1";
const HOST: &str = "127.0.0.1:9000";
const PATH: &str = "/bench-bucket/photos/2024/11/IMG_20241125_104512.jpg";

struct Secrets(HashMap<String, String>);

impl SecretLookup for Secrets {
    fn secret_key(&self, access_key: &str) -> Option<String> {
        self.0.get(access_key).cloned()
    }
}

fn botocore_put(access_key: &str, secret: &str, time: SystemTime) -> http::HeaderMap {
    use aws_sigv4::http_request::{
        PayloadChecksumKind, PercentEncodingMode, SignableBody, SignableRequest, SigningSettings,
        UriPathNormalizationMode, sign,
    };
    use aws_sigv4::sign::v4;
    let body = random_bytes(4096, 7);
    let payload_hash = hex::encode(sha2::Sha256::digest(&body));
    let crc32 = Checksum::compute(ChecksumAlgorithm::Crc32, &body).value;
    let identity =
        aws_credential_types::Credentials::new(access_key, secret, None, None, "bench").into();
    let mut settings = SigningSettings::default();
    settings.payload_checksum_kind = PayloadChecksumKind::XAmzSha256;
    settings.percent_encoding_mode = PercentEncodingMode::Single;
    settings.uri_path_normalization_mode = UriPathNormalizationMode::Disabled;
    if let Some(excluded) = settings.excluded_headers.as_mut() {
        excluded.push("expect".into());
    }
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(REGION)
        .name("s3")
        .time(time)
        .settings(settings)
        .build()
        .expect("signing params")
        .into();
    let headers: Vec<(&str, String)> = vec![
        ("host", HOST.to_string()),
        (
            "user-agent",
            "Boto3/1.35.99 md/Botocore#1.35.99 ua/2.0 os/linux#6.1.0 md/arch#x86_64 \
             lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.99"
                .to_string(),
        ),
        ("accept-encoding", "identity".to_string()),
        ("expect", "100-continue".to_string()),
        ("content-type", "image/jpeg".to_string()),
        ("content-length", body.len().to_string()),
        ("cache-control", "max-age=86400".to_string()),
        ("x-amz-storage-class", "STANDARD".to_string()),
        ("x-amz-meta-camera", "Pixel 8".to_string()),
        ("x-amz-meta-taken-at", "2024-11-25T10:45:12Z".to_string()),
        ("x-amz-sdk-checksum-algorithm", "CRC32".to_string()),
        ("x-amz-checksum-crc32", crc32),
        (
            "amz-sdk-invocation-id",
            "0b3f6c2e-8f1d-4a5e-9c7b-2d4e6f8a1b3c".to_string(),
        ),
        ("amz-sdk-request", "attempt=1; max=5".to_string()),
    ];
    let signable = SignableRequest::new(
        "PUT",
        format!("http://{HOST}{PATH}"),
        headers.iter().map(|(k, v)| (*k, v.as_str())),
        SignableBody::Precomputed(payload_hash),
    )
    .expect("signable");
    let (instructions, _) = sign(signable, &params).expect("sign").into_parts();
    let (added, _) = instructions.into_parts();
    let mut map = http::HeaderMap::new();
    for (name, value) in &headers {
        map.insert(
            http::HeaderName::from_static(name),
            http::HeaderValue::from_str(value).expect("header value"),
        );
    }
    for header in added {
        map.insert(
            http::HeaderName::from_bytes(header.name().as_bytes()).expect("header name"),
            http::HeaderValue::from_str(header.value()).expect("header value"),
        );
    }
    map
}

fn sigv4(c: &mut Criterion) {
    // More distinct access keys than the signing-key cache holds (64), used round-robin, so every
    // verification of the cold case derives its signing key (four HMACs).
    const COLD_KEYS: usize = 128;
    let time = SystemTime::now();
    let uri: http::Uri = PATH.parse().expect("uri");
    let method = http::Method::PUT;
    let mut secrets = HashMap::new();
    let mut requests = Vec::new();
    for i in 0..COLD_KEYS {
        let access_key = format!("BENCHACCESSKEY{i:06}");
        let secret = format!("bench-secret-{i:04}-0123456789abcdefghijklmnop");
        requests.push(botocore_put(&access_key, &secret, time));
        secrets.insert(access_key, secret);
    }
    let secrets = Secrets(secrets);
    let verify = |headers: &http::HeaderMap| {
        verify_request(&method, &uri, headers, &secrets, REGION, None, time).expect("verifies")
    };
    let verified = verify(&requests[0]);
    assert_eq!(verified.access_key.as_deref(), Some("BENCHACCESSKEY000000"));
    eprintln!(
        "micro/sigv4: PutObject with {} headers, {} signed",
        requests[0].len(),
        requests[0]
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split("SignedHeaders=").nth(1))
            .and_then(|v| v.split(',').next())
            .map_or(0, |v| v.split(';').count())
    );

    let mut group = c.benchmark_group("sigv4");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    group.bench_function("verify_put/cached_key", |b| {
        b.iter(|| verify(black_box(&requests[0])))
    });
    let mut next = 0usize;
    group.bench_function("verify_put/cold_key", |b| {
        b.iter(|| {
            next = (next + 1) % COLD_KEYS;
            verify(black_box(&requests[next]))
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// ListObjectsV2 XML. The rendering in src/s3/ops/list.rs is inside the handler (private module,
// takes the AppState and request), so this writes the same document with the same XmlWriter calls
// and the same formatting (iso8601 milliseconds, quoted ETag): a V2 page of 1,000 keys, truncated,
// no delimiter, no encoding-type, no fetch-owner.

fn render_list_v2(bucket: &str, max_keys: usize, entries: &[(String, ObjectVersion)]) -> String {
    use base64::Engine as _;
    let mut out = XmlWriter::document();
    out.root("ListBucketResult");
    out.elem("Name", bucket);
    out.elem("Prefix", "");
    out.elem("KeyCount", &entries.len().to_string());
    if let Some((last, _)) = entries.last() {
        out.elem(
            "NextContinuationToken",
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(last),
        );
    }
    out.elem("MaxKeys", &max_keys.to_string());
    out.elem("IsTruncated", "true");
    for (key, version) in entries {
        out.open("Contents");
        out.elem("Key", key);
        out.elem(
            "LastModified",
            &strata::s3::ops::iso8601(version.last_modified_ms),
        );
        out.elem("ETag", &format!("\"{}\"", version.etag));
        out.elem("Size", &version.size.to_string());
        out.elem("StorageClass", &version.attrs.storage_class);
        out.close("Contents");
    }
    out.close("ListBucketResult");
    out.finish()
}

fn list_xml(c: &mut Criterion) {
    let entries: Vec<(String, ObjectVersion)> = (0..1000u64)
        .map(|i| (object_key(i), object_version(i)))
        .collect();
    let xml = render_list_v2("bench-bucket", 1000, &entries);
    eprintln!(
        "micro/list_xml: 1,000-key ListObjectsV2 page is {} bytes",
        xml.len()
    );
    let mut group = c.benchmark_group("list_xml");
    configure(&mut group);
    group.throughput(Throughput::Elements(entries.len() as u64));
    group.bench_function("list_v2/1000_keys", |b| {
        b.iter(|| render_list_v2(black_box("bench-bucket"), 1000, black_box(&entries)))
    });
    group.finish();
}

// ---------------------------------------------------------------------------------------------
// Metadata: sled behind strata::meta::Meta, one bucket of 1,000,000 objects (the `objects` and
// `versions` records a PutObject commits, plus the `blobs` reference).

const BUCKET: &str = "bench-bucket";
const FILL_KEYS: u64 = 1_000_000;
/// Key prefixes ("users"); the fill writes one user's keys per transaction.
const USERS: u64 = 1_000;
const FILL_BATCH: u64 = FILL_KEYS / USERS;

/// 1,000 "users" × photos: consecutive indexes land in different parts of the key space, so the
/// fill and the measured puts do not just append at the tree's right edge.
fn object_key(i: u64) -> String {
    format!("user{:04}/photos/IMG_{:07}.jpg", i % USERS, i / USERS)
}

fn object_version(i: u64) -> ObjectVersion {
    let id: [u8; 16] = StdRng::seed_from_u64(i).r#gen();
    ObjectVersion {
        uid: hex::encode(id),
        version_id: None,
        delete_marker: false,
        last_modified_ms: 1_732_531_512_000 + i as i64,
        sequence: 1_732_531_512_000_000_000 + i,
        size: 2_400_000 + i % 100_000,
        etag: hex::encode(md5::Md5::digest(id)),
        attrs: ObjectAttributes {
            storage_class: "STANDARD".to_string(),
            owner: ROOT_ACCOUNT_ID.to_string(),
            content: ContentHeaders {
                content_type: Some("image/jpeg".to_string()),
                ..ContentHeaders::default()
            },
            user_meta: vec![("camera".to_string(), "Pixel 8".to_string())],
            tags: Vec::new(),
            acl: None,
            website_redirect: None,
        },
        data: ObjectData::Blob(BlobRef {
            id: BlobId(id),
            size: 2_400_000 + i % 100_000,
            data_shards: 4,
            parity_shards: 2,
            block_size: MIB as u32,
            placement: (0..6u16)
                .map(|s| ShardLocation {
                    az: (s + (i % 3) as u16) % 3,
                    drive: 0,
                })
                .collect(),
        }),
        checksum: Some(Checksum::compute(ChecksumAlgorithm::Crc64Nvme, &id)),
        checksum_type: Some(ChecksumType::FullObject),
        restore: None,
        tiering: None,
        class_since_ms: None,
        encryption: None,
        lock: None,
    }
}

#[derive(Debug)]
struct BenchError(#[allow(dead_code)] MetaError);

impl From<MetaError> for BenchError {
    fn from(err: MetaError) -> Self {
        BenchError(err)
    }
}

/// What `Store::commit_version` does for a new key in an unversioned bucket: read the bucket
/// record and the current version, write the version, the current pointer and the blob reference.
fn commit(meta: &Meta, i: u64) {
    let key = object_key(i);
    let version = object_version(i);
    let object_key = keys::object(BUCKET, &key);
    let version_key = keys::version(BUCKET, &key, version.sequence, &version.uid_bytes());
    meta.transact(|tx| {
        let bucket: BucketRecord = tx
            .get_record(Tree::Buckets, BUCKET.as_bytes())?
            .expect("bucket");
        black_box(bucket);
        let current: Option<ObjectVersion> = tx.get_record(Tree::Objects, &object_key)?;
        black_box(current);
        tx.put_record(Tree::Versions, &version_key, &version)?;
        tx.put_record(Tree::Objects, &object_key, &version)?;
        if let ObjectData::Blob(blob) = &version.data {
            tx.put(Tree::Blobs, &blob.id.0, &[])?;
        }
        Ok::<(), BenchError>(())
    })
    .expect("commit");
}

struct FillRecord {
    object_key: Vec<u8>,
    version_key: Vec<u8>,
    record: Vec<u8>,
    blob: [u8; 16],
}

struct MetaFixture {
    meta: Meta,
    // Dropped after `meta` (field order), so sled closes before its directory goes.
    _dir: tempfile::TempDir,
}

fn dir_size(path: &Path) -> u64 {
    std::fs::read_dir(path)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_size(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn proc_status(field: &str) -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .map(|l| l[field.len()..].trim().to_string())
        })
        .unwrap_or_else(|| "?".to_string())
}

fn fill() -> MetaFixture {
    // Under target/ rather than /tmp: same disk here, but never a tmpfs.
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    let dir = tempfile::Builder::new()
        .prefix("micro-sled-")
        .tempdir_in(&base)
        .or_else(|_| tempfile::tempdir())
        .expect("temp dir");
    let backend = Arc::new(SledBackend::open(dir.path()).expect("open sled"));
    let meta = Meta::new(backend.clone());
    let started = Instant::now();
    meta.transact(|tx| {
        tx.put_record(
            Tree::Buckets,
            BUCKET.as_bytes(),
            &BucketRecord {
                name: BUCKET.to_string(),
                created_ms: 1_732_531_512_000,
                region: REGION.to_string(),
                owner: ROOT_ACCOUNT_ID.to_string(),
                versioning: Versioning::Unversioned,
                deleting: false,
                tags: None,
                policy_revision: None,
                cors_revision: None,
                website_revision: None,
                lifecycle_revision: None,
                intelligent_tiering_revision: None,
                encryption_revision: None,
                object_lock_revision: None,
                acl: None,
                ownership: None,
                public_access_block: None,
                object_acls: false,
            },
        )?;
        Ok::<(), BenchError>(())
    })
    .expect("bucket");
    let record_len = strata::meta::encode(&object_version(0))
        .expect("encode")
        .len();
    // A bulk load in key order: batch u holds user u's photos (indexes u, u + USERS, ...), so the
    // fill does not page the whole tree through sled's 64 MiB cache for every batch.
    for user in 0..USERS {
        // Encode outside the transaction (sled may re-run its body).
        let records: Vec<FillRecord> = (0..FILL_BATCH)
            .map(|photo| photo * USERS + user)
            .map(|i| {
                let key = object_key(i);
                let version = object_version(i);
                // The blob id of `object_version` is its uid.
                let blob = version.uid_bytes();
                FillRecord {
                    object_key: keys::object(BUCKET, &key),
                    version_key: keys::version(BUCKET, &key, version.sequence, &blob),
                    record: strata::meta::encode(&version).expect("encode"),
                    blob,
                }
            })
            .collect();
        meta.transact(|tx| {
            for r in &records {
                tx.put(Tree::Versions, &r.version_key, &r.record)?;
                tx.put(Tree::Objects, &r.object_key, &r.record)?;
                tx.put(Tree::Blobs, &r.blob, &[])?;
            }
            Ok::<(), BenchError>(())
        })
        .expect("fill batch");
    }
    meta.flush().expect("flush");
    let elapsed = started.elapsed();
    eprintln!(
        "micro/meta: filled {FILL_KEYS} objects ({} sled inserts, transactions of {FILL_BATCH} \
         objects, {record_len}-byte records) in {:.1} s ({:.0} objects/s); sled size_on_disk \
         {:.0} MiB, directory {:.0} MiB; process VmRSS {}, VmHWM {}",
        FILL_KEYS * 3,
        elapsed.as_secs_f64(),
        FILL_KEYS as f64 / elapsed.as_secs_f64(),
        backend.size_on_disk().unwrap_or(0) as f64 / MIB as f64,
        dir_size(dir.path()) as f64 / MIB as f64,
        proc_status("VmRSS:"),
        proc_status("VmHWM:"),
    );
    MetaFixture { meta, _dir: dir }
}

fn metadata(c: &mut Criterion) {
    // Filled on first use, so a run filtered to other groups does not pay for it.
    let fixture: OnceCell<MetaFixture> = OnceCell::new();
    let db = || &fixture.get_or_init(fill).meta;
    let mut rng = StdRng::seed_from_u64(4);
    let mut next_new = FILL_KEYS;

    let mut group = c.benchmark_group("meta");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    group.bench_function("put_txn/1M_keys", |b| {
        let meta = db();
        b.iter(|| {
            commit(meta, next_new);
            next_new += 1;
        })
    });
    group.bench_function("put_txn_flush/1M_keys", |b| {
        // The same commit followed by the fsync the store does before acknowledging a PUT.
        let meta = db();
        b.iter(|| {
            commit(meta, next_new);
            next_new += 1;
            meta.flush().expect("flush");
        })
    });
    group.bench_function("get/1M_keys", |b| {
        let meta = db();
        b.iter(|| {
            let key = keys::object(BUCKET, &object_key(rng.gen_range(0..FILL_KEYS)));
            let version: ObjectVersion = meta
                .get_record(Tree::Objects, &key)
                .expect("get")
                .expect("present");
            version
        })
    });
    group.throughput(Throughput::Elements(1000));
    group.bench_function("scan_1000/1M_keys", |b| {
        // A ListObjects page: 1,000 consecutive `objects` records from a random existing key,
        // each decoded as the store's listing does.
        let meta = db();
        let end = keys::prefix_end(&keys::bucket_prefix(BUCKET));
        b.iter(|| {
            let start = keys::object(BUCKET, &object_key(rng.gen_range(0..FILL_KEYS)));
            let page = meta
                .scan(Tree::Objects, &start, end.as_deref(), 1000)
                .expect("scan");
            let mut bytes = 0u64;
            for (_, value) in &page {
                let version: ObjectVersion = decode(Tree::Objects, value).expect("decode");
                bytes += version.size;
            }
            (page.len(), bytes)
        })
    });
    group.finish();
}

/// The 20-statement policy of docs/performance.md "Authorization cost": 10 Deny `s3:*` unless
/// from a network, 5 Allow by user agent, 5 Deny PutObject by header and transport.
fn twenty_statement_policy(bucket: &str) -> String {
    let mut statements = Vec::new();
    for i in 0..10 {
        statements.push(format!(
            r#"{{"Sid":"net{i}","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::{bucket}","arn:aws:s3:::{bucket}/*"],"Condition":{{"NotIpAddress":{{"aws:SourceIp":["127.0.0.0/8","10.{i}.0.0/16","::1/128"]}}}}}}"#
        ));
    }
    for i in 0..5 {
        statements.push(format!(
            r#"{{"Sid":"agent{i}","Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::{bucket}/*","Condition":{{"StringLike":{{"aws:UserAgent":"*agent-{i}*"}}}}}}"#
        ));
    }
    for i in 0..5 {
        statements.push(format!(
            r#"{{"Sid":"put{i}","Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::{bucket}/*","Condition":{{"StringEquals":{{"s3:x-amz-acl":"public-read-{i}"}},"Bool":{{"aws:SecureTransport":"false"}}}}}}"#
        ));
    }
    format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    )
}

/// One GET's authorization as `s3::check_access` performs it: the request's condition keys,
/// then `authorize` with and without the bucket policy.
fn authorization(c: &mut Criterion) {
    use strata::iam::Principal;
    use strata::policy::document::{PolicyDocument, PolicyKind};
    use strata::policy::{Request, Resource, authorize};
    use strata::s3::policy_context::{RequestFacts, condition_context};
    let policy = PolicyDocument::parse(
        &twenty_statement_policy("bench"),
        PolicyKind::Bucket,
        Some("bench"),
    )
    .expect("policy");
    let mut headers = http::HeaderMap::new();
    headers.insert(
        "user-agent",
        http::HeaderValue::from_static(
            "aws-sdk-rust/1.3.9 os/linux lang/rust/1.95.0 api/s3/1.157.0 loadgen",
        ),
    );
    headers.insert(
        "x-amz-content-sha256",
        http::HeaderValue::from_static("UNSIGNED-PAYLOAD"),
    );
    let principal = Principal::Root {
        account_id: ROOT_ACCOUNT_ID.to_string(),
        account_number: "000000000001".to_string(),
    };
    let resource = Resource::Object {
        bucket: "bench",
        key: "objects/000042",
        owner: Some(ROOT_ACCOUNT_ID),
    };
    let decide = |policy: Option<&PolicyDocument>| {
        // Without a policy the server builds no condition keys either.
        let context = match policy {
            Some(_) => condition_context(&RequestFacts {
                client_ip: Some(std::net::Ipv4Addr::LOCALHOST.into()),
                secure: false,
                headers: &headers,
                query: &[],
                operation: strata::s3::route::Operation::GetObject,
                now: SystemTime::now(),
            }),
            None => Default::default(),
        };
        authorize(&Request {
            principal: &principal,
            action: "s3:GetObject",
            resource: &resource,
            context: &context,
            bucket_policy: policy,
            bucket_acl: None,
            object_acl: None,
            ownership: Default::default(),
            public_access_block: Default::default(),
        })
    };
    assert_eq!(decide(Some(&policy)), strata::policy::Decision::Allow);
    let mut group = c.benchmark_group("authorize");
    configure(&mut group);
    group.throughput(Throughput::Elements(1));
    group.bench_function("get_object/no_policy", |b| {
        b.iter(|| decide(black_box(None)))
    });
    group.bench_function("get_object/20_statements", |b| {
        b.iter(|| decide(black_box(Some(&policy))))
    });
    group.finish();
}

// --- encryption -----------------------------------------------------------------------------
// One SSE package (64 KiB) sealed with AES-256-GCM by the two implementations in the tree: the
// `aes-gcm` crate (RustCrypto, what crypto::package uses) and ring (rustls's provider).

fn encryption(c: &mut Criterion) {
    use aes_gcm::aead::{AeadInPlace, KeyInit};
    let package = random_bytes(64 * 1024, 7);
    let key = [9u8; 32];
    let nonce = [3u8; 12];
    let mut group = c.benchmark_group("aes256gcm");
    configure(&mut group);
    group.throughput(Throughput::Bytes(package.len() as u64));
    let rustcrypto = aes_gcm::Aes256Gcm::new((&key).into());
    let mut buf = package.clone();
    group.bench_function("aes-gcm/seal_64KiB", |b| {
        b.iter(|| {
            buf.copy_from_slice(&package);
            rustcrypto
                .encrypt_in_place_detached((&nonce).into(), b"aad", black_box(&mut buf))
                .expect("seal")
        })
    });
    let ring_key = ring::aead::LessSafeKey::new(
        ring::aead::UnboundKey::new(&ring::aead::AES_256_GCM, &key).expect("key"),
    );
    group.bench_function("ring/seal_64KiB", |b| {
        b.iter(|| {
            buf.copy_from_slice(&package);
            ring_key
                .seal_in_place_separate_tag(
                    ring::aead::Nonce::assume_unique_for_key(nonce),
                    ring::aead::Aad::from(b"aad"),
                    black_box(&mut buf),
                )
                .expect("seal")
        })
    });
    group.bench_function("copy_only_64KiB", |b| {
        b.iter(|| buf.copy_from_slice(black_box(&package)))
    });
    group.finish();
}

criterion_group!(
    benches,
    reed_solomon,
    hashing,
    encryption,
    sigv4,
    list_xml,
    metadata,
    authorization
);
criterion_main!(benches);
