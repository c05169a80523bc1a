//! The operations: one async worker per in-flight request, each looping until the shared gate
//! closes (deadline or operation budget), timing every request from send to last body byte.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http::Method;
use tokio::task::JoinHandle;

use crate::client::{Body, OpError, S3, encode_query_value, xml_value};
use crate::stats::{ByKind, Stats};

/// Decides whether a worker may start one more operation.
pub struct Gate {
    deadline: Option<Instant>,
    remaining: Option<AtomicU64>,
}

impl Gate {
    /// `ops` wins over `duration`; with neither the gate never closes (callers always pass one).
    pub fn new(duration: Option<Duration>, ops: Option<u64>) -> Gate {
        match ops {
            Some(ops) => Gate {
                deadline: None,
                remaining: Some(AtomicU64::new(ops)),
            },
            None => Gate {
                deadline: duration.map(|d| Instant::now() + d),
                remaining: None,
            },
        }
    }

    pub fn next(&self) -> bool {
        if let Some(remaining) = &self.remaining {
            return remaining
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |r| r.checked_sub(1))
                .is_ok();
        }
        self.deadline.is_none_or(|d| Instant::now() < d)
    }
}

/// xorshift64*: cheap, per worker, no locking; quality is irrelevant for picking keys.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }
}

pub async fn join_all<T>(handles: Vec<JoinHandle<T>>) -> Result<Vec<T>, String> {
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(
            handle
                .await
                .map_err(|e| format!("worker task failed: {e}"))?,
        );
    }
    Ok(out)
}

pub async fn join_stats(handles: Vec<JoinHandle<Stats>>) -> Result<Stats, String> {
    let mut total = Stats::default();
    for stats in join_all(handles).await? {
        total.merge(stats);
    }
    Ok(total)
}

pub fn merge_kinds(into: &mut ByKind, from: ByKind) {
    for (kind, stats) in from {
        into.entry(kind).or_default().merge(stats);
    }
}

fn object_path(bucket: &str, key: &str) -> String {
    format!("/{bucket}/{key}")
}

/// The key a PUT worker writes for its n-th attempt (also what cleanup deletes).
pub fn put_key(prefix: &str, worker: usize, n: u64) -> String {
    format!("{prefix}{worker}/{n}")
}

/// PUT fresh keys until the gate closes. Returns the stats and the number of attempts, so the
/// keys written are `put_key(prefix, worker, 0..attempts)`.
pub async fn put_worker(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    bodies: &[Body],
    gate: &Gate,
    worker: usize,
) -> Stats {
    let mut stats = Stats::default();
    let mut n = 0u64;
    while gate.next() {
        let body = &bodies[(worker + n as usize) % bodies.len()];
        let path = object_path(bucket, &put_key(prefix, worker, n));
        let started = Instant::now();
        match s3.send(Method::PUT, &path, Some(body), false).await {
            Ok(_) => stats.ok(started.elapsed(), body.len()),
            Err(e) => stats.error(&e),
        }
        n += 1;
    }
    stats
}

/// GET random keys of `keys`, checking that every body has `size` bytes.
pub async fn get_worker(
    s3: &S3,
    bucket: &str,
    keys: &[String],
    size: u64,
    gate: &Gate,
    worker: usize,
) -> Stats {
    let mut stats = Stats::default();
    let mut rng = Rng::new(worker as u64 + 1);
    while gate.next() {
        let key = &keys[rng.below(keys.len())];
        let started = Instant::now();
        match get_checked(s3, bucket, key, size).await {
            Ok(bytes) => stats.ok(started.elapsed(), bytes),
            Err(e) => stats.error(&e),
        }
    }
    stats
}

async fn get_checked(s3: &S3, bucket: &str, key: &str, size: u64) -> Result<u64, OpError> {
    let response = s3
        .send(Method::GET, &object_path(bucket, key), None, false)
        .await?;
    if response.bytes != size {
        return Err(OpError::Transport(format!(
            "GET {key}: {} bytes, expected {size}",
            response.bytes
        )));
    }
    Ok(response.bytes)
}

/// 45 % GET, 30 % HEAD, 15 % PUT, 10 % DELETE over this worker's own share of the pre-filled set
/// (owning a share means a DELETE never races a GET of the same key in another worker).
/// Returns the per-kind stats and the keys still live, for cleanup.
pub async fn mixed_worker(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    mut keys: Vec<String>,
    bodies: &[Body],
    gate: &Gate,
    worker: usize,
) -> (ByKind, Vec<String>) {
    // Every object of the set was written from one of these bodies, all of the same size.
    let size = bodies.first().map_or(0, Body::len);
    let mut by_kind = ByKind::new();
    for kind in ["get", "head", "put", "delete"] {
        by_kind.insert(kind, Stats::default());
    }
    let mut rng = Rng::new(worker as u64 + 101);
    let mut n = 0u64;
    while gate.next() {
        let roll = rng.below(100);
        // A worker whose share ran dry writes instead (PUTs outnumber DELETEs, so it refills).
        let kind = match roll {
            _ if keys.is_empty() => "put",
            0..45 => "get",
            45..75 => "head",
            75..90 => "put",
            _ => "delete",
        };
        let started = Instant::now();
        let result = match kind {
            "get" => get_checked(s3, bucket, &keys[rng.below(keys.len())], size).await,
            "head" => {
                let path = object_path(bucket, &keys[rng.below(keys.len())]);
                s3.send(Method::HEAD, &path, None, false).await.map(|_| 0)
            }
            "put" => {
                let key = format!("{prefix}mixed/{worker}/{n}");
                n += 1;
                let body = &bodies[(worker + n as usize) % bodies.len()];
                let result = s3
                    .send(Method::PUT, &object_path(bucket, &key), Some(body), false)
                    .await
                    .map(|_| body.len());
                if result.is_ok() {
                    keys.push(key);
                }
                result
            }
            _ => {
                let key = keys.swap_remove(rng.below(keys.len()));
                s3.send(Method::DELETE, &object_path(bucket, &key), None, false)
                    .await
                    .map(|_| 0)
            }
        };
        let stats = by_kind.entry(kind).or_default();
        match result {
            Ok(bytes) => stats.ok(started.elapsed(), bytes),
            Err(e) => stats.error(&e),
        }
    }
    (by_kind, keys)
}

/// One ListObjectsV2 page (up to 1,000 keys) per operation, walking the prefix from the start
/// again whenever the listing ends. `Stats::items` counts the keys listed.
pub async fn list_worker(s3: &S3, bucket: &str, prefix: &str, gate: &Gate) -> Stats {
    let mut stats = Stats::default();
    let mut token: Option<String> = None;
    while gate.next() {
        let mut path = format!(
            "/{bucket}?list-type=2&max-keys=1000&prefix={}",
            encode_query_value(prefix)
        );
        if let Some(token) = &token {
            path.push_str("&continuation-token=");
            path.push_str(&encode_query_value(token));
        }
        let started = Instant::now();
        match s3.send(Method::GET, &path, None, true).await {
            Ok(response) => {
                let xml = response
                    .body
                    .as_deref()
                    .map(String::from_utf8_lossy)
                    .unwrap_or_default();
                let keys = xml.matches("<Key>").count() as u64;
                token = if xml.contains("<IsTruncated>true</IsTruncated>") {
                    xml_value(&xml, "NextContinuationToken")
                } else {
                    None
                };
                stats.ok(started.elapsed(), 0);
                stats.items += keys;
            }
            Err(e) => {
                token = None;
                stats.error(&e);
            }
        }
    }
    stats
}

/// What a multipart worker needs, shared by all workers.
pub struct Multipart {
    pub bucket: String,
    pub prefix: String,
    pub size: u64,
    pub part_size: u64,
    pub part_concurrency: usize,
    /// A full-size part body; the last, shorter part is a slice of it (no copy).
    pub part: Body,
    /// The last part when it is shorter than part_size.
    pub last: Option<Body>,
}

/// One whole multipart upload per operation: create, parts in parallel, complete. "upload" stats
/// time the whole upload; "part" stats time each UploadPart. Returns the keys completed.
pub async fn multipart_worker(
    s3: S3,
    job: Arc<Multipart>,
    gate: Arc<Gate>,
    worker: usize,
) -> (ByKind, Vec<String>) {
    let mut by_kind = ByKind::new();
    by_kind.insert("upload", Stats::default());
    by_kind.insert("part", Stats::default());
    let mut done = Vec::new();
    let mut n = 0u64;
    while gate.next() {
        let key = format!("{}{worker}/{n}", job.prefix);
        n += 1;
        let started = Instant::now();
        let (result, parts) = multipart_upload(&s3, &job, &key).await;
        if let Some(stats) = by_kind.get_mut("part") {
            stats.merge(parts);
        }
        let upload = by_kind.entry("upload").or_default();
        match result {
            Ok(()) => {
                upload.ok(started.elapsed(), job.size);
                done.push(key);
            }
            Err(e) => upload.error(&e),
        }
    }
    (by_kind, done)
}

async fn multipart_upload(
    s3: &S3,
    job: &Arc<Multipart>,
    key: &str,
) -> (Result<(), OpError>, Stats) {
    let path = object_path(&job.bucket, key);
    let created = match s3
        .send(Method::POST, &format!("{path}?uploads="), None, true)
        .await
    {
        Ok(response) => response,
        Err(e) => return (Err(e), Stats::default()),
    };
    let xml = created
        .body
        .as_deref()
        .map(String::from_utf8_lossy)
        .unwrap_or_default();
    let Some(upload_id) = xml_value(&xml, "UploadId") else {
        let error = OpError::Transport(format!("CreateMultipartUpload: no UploadId in {xml:?}"));
        return (Err(error), Stats::default());
    };
    let upload_id = encode_query_value(&upload_id);
    let count = job.size.div_ceil(job.part_size).max(1) as usize;

    let next = Arc::new(AtomicUsize::new(1));
    let handles: Vec<_> = (0..job.part_concurrency.clamp(1, count))
        .map(|_| {
            let (s3, job, next) = (s3.clone(), job.clone(), next.clone());
            let (path, upload_id) = (path.clone(), upload_id.clone());
            tokio::spawn(async move {
                let mut stats = Stats::default();
                let mut etags = Vec::new();
                loop {
                    let number = next.fetch_add(1, Ordering::Relaxed);
                    if number > count {
                        break;
                    }
                    let body = match (&job.last, number == count) {
                        (Some(last), true) => last,
                        _ => &job.part,
                    };
                    let part_path = format!("{path}?partNumber={number}&uploadId={upload_id}");
                    let started = Instant::now();
                    match s3.send(Method::PUT, &part_path, Some(body), false).await {
                        Ok(response) => {
                            let etag = response
                                .headers
                                .get("etag")
                                .and_then(|v| v.to_str().ok())
                                .unwrap_or_default()
                                .to_string();
                            stats.ok(started.elapsed(), body.len());
                            etags.push((number, etag));
                        }
                        Err(e) => {
                            stats.error(&e);
                            // One failed part fails the upload: stop sending the others.
                            next.store(count + 1, Ordering::Relaxed);
                        }
                    }
                }
                (stats, etags)
            })
        })
        .collect();
    let mut parts = Stats::default();
    let mut etags = Vec::with_capacity(count);
    match join_all(handles).await {
        Ok(results) => {
            for (stats, tags) in results {
                parts.merge(stats);
                etags.extend(tags);
            }
        }
        Err(e) => return (Err(OpError::Transport(e)), parts),
    }
    if etags.len() != count {
        let _ = abort(s3, &path, &upload_id).await;
        let error = OpError::Transport(format!(
            "{} of {count} parts failed; first: {}",
            count - etags.len(),
            parts.first_error.clone().unwrap_or_default()
        ));
        return (Err(error), parts);
    }
    etags.sort_unstable_by_key(|(number, _)| *number);
    let mut xml = String::from("<CompleteMultipartUpload>");
    for (number, etag) in &etags {
        let etag = etag.replace('&', "&amp;").replace('"', "&quot;");
        xml.push_str(&format!(
            "<Part><PartNumber>{number}</PartNumber><ETag>{etag}</ETag></Part>"
        ));
    }
    xml.push_str("</CompleteMultipartUpload>");
    let body = Body::new(bytes::Bytes::from(xml), s3.payload());
    let result = s3
        .send(
            Method::POST,
            &format!("{path}?uploadId={upload_id}"),
            Some(&body),
            true,
        )
        .await;
    let result = match result {
        // CompleteMultipartUpload may fail after a 200 has been sent: the error is in the body.
        Ok(response) => match response.body.as_deref() {
            Some(body) if String::from_utf8_lossy(body).contains("<Error>") => {
                Err(OpError::Status {
                    status: 200,
                    body: crate::client::body_excerpt(body),
                })
            }
            _ => Ok(()),
        },
        Err(e) => {
            let _ = abort(s3, &path, &upload_id).await;
            Err(e)
        }
    };
    (result, parts)
}

async fn abort(s3: &S3, path: &str, upload_id: &str) -> Result<(), OpError> {
    s3.send(
        Method::DELETE,
        &format!("{path}?uploadId={upload_id}"),
        None,
        false,
    )
    .await
    .map(|_| ())
}

/// Create the bucket unless it exists already (a 409 is fine when a HEAD then finds it ours).
pub async fn ensure_bucket(s3: &S3, bucket: &str) -> Result<(), String> {
    match s3
        .send(Method::PUT, &format!("/{bucket}"), None, false)
        .await
    {
        Ok(_) => Ok(()),
        Err(OpError::Status { status: 409, body }) => s3
            .send(Method::HEAD, &format!("/{bucket}"), None, false)
            .await
            .map(|_| ())
            .map_err(|e| format!("bucket {bucket}: create said 409 ({body}), then HEAD: {e}")),
        Err(e) => Err(format!("create bucket {bucket}: {e}")),
    }
}

/// PUT `count` objects (the set that get / mixed / list work on) with `concurrency` requests in
/// flight. Any failure aborts: a run over a partial set would measure the wrong thing.
pub async fn prefill(
    s3: &S3,
    bucket: &str,
    prefix: &str,
    bodies: &Arc<Vec<Body>>,
    count: usize,
    concurrency: usize,
) -> Result<Vec<String>, String> {
    let keys: Arc<Vec<String>> = Arc::new((0..count).map(|i| format!("{prefix}obj/{i}")).collect());
    let next = Arc::new(AtomicUsize::new(0));
    let handles: Vec<JoinHandle<Result<(), String>>> = (0..concurrency.clamp(1, count.max(1)))
        .map(|_| {
            let (s3, bucket, bodies, keys, next) = (
                s3.clone(),
                bucket.to_string(),
                bodies.clone(),
                keys.clone(),
                next.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(key) = keys.get(i) else {
                        return Ok(());
                    };
                    let body = &bodies[i % bodies.len()];
                    s3.send(Method::PUT, &object_path(&bucket, key), Some(body), false)
                        .await
                        .map_err(|e| format!("prefill PUT {key}: {e}"))?;
                }
            })
        })
        .collect();
    for result in join_all(handles).await? {
        result?;
    }
    Ok(keys.to_vec())
}

/// Delete `keys` (not timed). Failures are counted and reported, not fatal.
pub async fn cleanup(s3: &S3, bucket: &str, keys: Vec<String>, concurrency: usize) -> u64 {
    let keys = Arc::new(keys);
    let next = Arc::new(AtomicUsize::new(0));
    let handles: Vec<JoinHandle<u64>> = (0..concurrency.clamp(1, 64))
        .map(|_| {
            let (s3, bucket, keys, next) =
                (s3.clone(), bucket.to_string(), keys.clone(), next.clone());
            tokio::spawn(async move {
                let mut failed = 0;
                while let Some(key) = keys.get(next.fetch_add(1, Ordering::Relaxed)) {
                    if s3
                        .send(Method::DELETE, &object_path(&bucket, key), None, false)
                        .await
                        .is_err()
                    {
                        failed += 1;
                    }
                }
                failed
            })
        })
        .collect();
    match join_all(handles).await {
        Ok(failed) => failed.iter().sum(),
        Err(_) => keys.len() as u64,
    }
}
