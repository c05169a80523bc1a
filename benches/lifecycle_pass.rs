//! A lifecycle pass over 1,000,000 versions of which 1 % are due: how long it takes and how
//! much metadata it reads (issue #9). The point of the due-date index (`store::due`) is that a
//! pass reads what is due, not every object; this bench counts the reads to show it.
//!
//! Builds a `Store` in-process (no HTTP) on a temp dir: the built-in storage classes over three
//! AZs and sled metadata behind a counting `MetaBackend` (point gets, range scans and the rows
//! they return, transactions with the reads and writes inside them, and fsyncs, per tree). One
//! unversioned bucket gets `--versions` tiny inline objects (one version per key): first the
//! `keep/` keys (99 %), then the `due/` keys (`--due-percent`, 1 %), `--concurrency` puts in
//! flight. Then a lifecycle configuration with two rules (`due/` expires after 1 day, `keep/`
//! after 36,500 days) is put and `lifecycle_changed` called, and `LifecycleWorker::pass` run
//! until it returns 0: the re-index after a configuration change, which evaluates every key once
//! and files it in the due index. Once the `due/` expirations are due, the counters are reset and
//! `pass` is timed again until it returns 0: the figure asked for. Afterwards every `due/` key
//! must be gone, a sample of `keep/` keys still there, and the due index hold one entry per
//! `keep/` key (exit status 1 otherwise, 2 when the run could not be done).
//!
//! The lifecycle day: the `due/` objects must not be due yet when the re-index looks at them
//! (else the re-index itself would expire them) nor while it still runs (a pass takes whatever
//! became due meanwhile), but due once it is over. The re-index takes minutes at full size, so the
//! day is chosen after the fill: `--day-seconds`, or by default the fill time, at least 20 s
//! (the re-index took 0.2 to 0.6 of the fill time in the runs so far; a run where it outlasts
//! the day stops with status 1 and says so). The store used for the
//! passes is a second `Store` over the same metadata with that day length.
//!
//! Run: `cargo bench --bench lifecycle_pass` (1,000,000 PUTs; about ten minutes on 2 cores).
//! A quick run: `-- --quick` (50,000 versions). docs/performance.md ("Lifecycle pass (issue
//! #9)") has the figures.

#[path = "shared/fill_progress.rs"]
mod fill_progress;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use futures_util::stream;
use serde_json::json;

use strata::checksum::ChecksumAlgorithm;
use strata::chunk::{ChunkConfig, ChunkStore};
use strata::classes::StorageClasses;
use strata::lifecycle::LifecycleWorker;
use strata::lifecycle::rules;
use strata::meta::model::ObjectAttributes;
use strata::meta::sled_backend::SledBackend;
use strata::meta::{Abort, KeyValue, Meta, MetaBackend, MetaError, Tree, Txn};
use strata::s3::error::S3Error;
use strata::store::bucket_config::BucketConfig;
use strata::store::object::{ChecksumSpec, PutInput, WriteCondition};
use strata::store::versions::VersionSelector;
use strata::store::{Store, StoreError, now_ms};

const BUCKET: &str = "lifecycle-pass";
const OWNER: &str = "owner";
/// Far below the inline threshold: the objects live in the metadata, no shard files.
const BODY: &[u8] = b"tiny";
const INLINE_THRESHOLD: usize = 4096;
/// Every this many `keep/` keys is looked up after the pass.
const KEEP_SAMPLE_EVERY: usize = 1000;

/// `cargo bench --bench lifecycle_pass -- [flags]`
#[derive(Parser, Debug)]
#[command(
    name = "lifecycle_pass",
    about = "A lifecycle pass over many versions of which a few are due: time and metadata reads"
)]
struct Flags {
    /// Versions in the bucket (one per key, unversioned bucket).
    #[arg(long, default_value_t = 1_000_000)]
    versions: usize,
    /// Share of the versions under due/ (expire after 1 day), in percent.
    #[arg(long, default_value_t = 1.0)]
    due_percent: f64,
    /// PUTs in flight during the fill.
    #[arg(long, default_value_t = 256)]
    concurrency: usize,
    /// Length of a lifecycle day in seconds; default: the fill time, at least 20 s.
    #[arg(long)]
    day_seconds: Option<f64>,
    /// A small run: 50,000 versions.
    #[arg(long)]
    quick: bool,
    /// Added by `cargo bench` to every harness = false target; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

// ---------------------------------------------------------------------------------------------
// The counting backend

const TREES: usize = Tree::ALL.len();

fn tree_index(tree: Tree) -> usize {
    Tree::ALL.iter().position(|t| *t == tree).unwrap_or(0)
}

#[derive(Default)]
struct Counters {
    gets: [AtomicU64; TREES],
    scans: [AtomicU64; TREES],
    scan_rows: [AtomicU64; TREES],
    /// Reads inside transaction bodies (every run of a body, retries included).
    txn_gets: [AtomicU64; TREES],
    txn_puts: [AtomicU64; TREES],
    txn_deletes: [AtomicU64; TREES],
    transactions: AtomicU64,
    /// Runs of transaction bodies: more than `transactions` when sled retried on conflict.
    txn_bodies: AtomicU64,
    flushes: AtomicU64,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

/// Forwards to sled and counts.
struct Counting {
    inner: SledBackend,
    counters: Arc<Counters>,
}

struct CountingTxn<'a> {
    inner: &'a dyn Txn,
    counters: &'a Counters,
}

impl Txn for CountingTxn<'_> {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, Abort> {
        bump(&self.counters.txn_gets[tree_index(tree)], 1);
        self.inner.get(tree, key)
    }
    fn put(&self, tree: Tree, key: &[u8], value: &[u8]) -> Result<(), Abort> {
        bump(&self.counters.txn_puts[tree_index(tree)], 1);
        self.inner.put(tree, key, value)
    }
    fn delete(&self, tree: Tree, key: &[u8]) -> Result<(), Abort> {
        bump(&self.counters.txn_deletes[tree_index(tree)], 1);
        self.inner.delete(tree, key)
    }
}

impl MetaBackend for Counting {
    fn get(&self, tree: Tree, key: &[u8]) -> Result<Option<Vec<u8>>, MetaError> {
        bump(&self.counters.gets[tree_index(tree)], 1);
        self.inner.get(tree, key)
    }

    fn scan(
        &self,
        tree: Tree,
        start: &[u8],
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<KeyValue>, MetaError> {
        let rows = self.inner.scan(tree, start, end, limit)?;
        bump(&self.counters.scans[tree_index(tree)], 1);
        bump(
            &self.counters.scan_rows[tree_index(tree)],
            rows.len() as u64,
        );
        Ok(rows)
    }

    fn transact(
        &self,
        body: &dyn Fn(&dyn Txn) -> Result<(), Abort>,
    ) -> Result<Result<(), Abort>, MetaError> {
        bump(&self.counters.transactions, 1);
        self.inner.transact(&|txn| {
            bump(&self.counters.txn_bodies, 1);
            body(&CountingTxn {
                inner: txn,
                counters: &self.counters,
            })
        })
    }

    fn flush(&self) -> Result<(), MetaError> {
        bump(&self.counters.flushes, 1);
        self.inner.flush()
    }
}

/// The counters at one moment; subtract two to get what happened in between.
#[derive(Clone, Default)]
struct Snapshot {
    gets: [u64; TREES],
    scans: [u64; TREES],
    scan_rows: [u64; TREES],
    txn_gets: [u64; TREES],
    txn_puts: [u64; TREES],
    txn_deletes: [u64; TREES],
    transactions: u64,
    txn_bodies: u64,
    flushes: u64,
}

fn load(counters: &[AtomicU64; TREES]) -> [u64; TREES] {
    std::array::from_fn(|i| counters[i].load(Ordering::Relaxed))
}

fn minus(a: &[u64; TREES], b: &[u64; TREES]) -> [u64; TREES] {
    std::array::from_fn(|i| a[i] - b[i])
}

impl Counters {
    fn snapshot(&self) -> Snapshot {
        Snapshot {
            gets: load(&self.gets),
            scans: load(&self.scans),
            scan_rows: load(&self.scan_rows),
            txn_gets: load(&self.txn_gets),
            txn_puts: load(&self.txn_puts),
            txn_deletes: load(&self.txn_deletes),
            transactions: self.transactions.load(Ordering::Relaxed),
            txn_bodies: self.txn_bodies.load(Ordering::Relaxed),
            flushes: self.flushes.load(Ordering::Relaxed),
        }
    }
}

impl Snapshot {
    fn since(&self, before: &Snapshot) -> Snapshot {
        Snapshot {
            gets: minus(&self.gets, &before.gets),
            scans: minus(&self.scans, &before.scans),
            scan_rows: minus(&self.scan_rows, &before.scan_rows),
            txn_gets: minus(&self.txn_gets, &before.txn_gets),
            txn_puts: minus(&self.txn_puts, &before.txn_puts),
            txn_deletes: minus(&self.txn_deletes, &before.txn_deletes),
            transactions: self.transactions - before.transactions,
            txn_bodies: self.txn_bodies - before.txn_bodies,
            flushes: self.flushes - before.flushes,
        }
    }

    fn total(counts: &[u64; TREES]) -> u64 {
        counts.iter().sum()
    }

    /// Rows read: point gets that found or missed a row, plus rows returned by scans, plus
    /// reads inside transactions.
    fn rows_read(&self) -> u64 {
        Self::total(&self.gets) + Self::total(&self.scan_rows) + Self::total(&self.txn_gets)
    }

    fn to_json(&self) -> serde_json::Value {
        let mut per_tree = serde_json::Map::new();
        for (i, tree) in Tree::ALL.iter().enumerate() {
            let row = [
                self.gets[i],
                self.scans[i],
                self.scan_rows[i],
                self.txn_gets[i],
                self.txn_puts[i],
                self.txn_deletes[i],
            ];
            if row.iter().any(|n| *n > 0) {
                per_tree.insert(
                    tree.name().to_string(),
                    json!({
                        "gets": row[0], "scans": row[1], "scan_rows": row[2],
                        "txn_gets": row[3], "txn_puts": row[4], "txn_deletes": row[5],
                    }),
                );
            }
        }
        json!({
            "gets": Self::total(&self.gets),
            "scans": Self::total(&self.scans),
            "scan_rows": Self::total(&self.scan_rows),
            "txn_gets": Self::total(&self.txn_gets),
            "txn_puts": Self::total(&self.txn_puts),
            "txn_deletes": Self::total(&self.txn_deletes),
            "rows_read": self.rows_read(),
            "transactions": self.transactions,
            "txn_bodies": self.txn_bodies,
            "fsyncs": self.flushes,
            "per_tree": per_tree,
        })
    }

    fn print(&self, indent: &str) {
        println!(
            "{indent}{:<14} {:>10} {:>8} {:>10} {:>10} {:>10} {:>10}",
            "tree", "gets", "scans", "scan rows", "txn gets", "txn puts", "txn dels"
        );
        for (i, tree) in Tree::ALL.iter().enumerate() {
            let row = [
                self.gets[i],
                self.scans[i],
                self.scan_rows[i],
                self.txn_gets[i],
                self.txn_puts[i],
                self.txn_deletes[i],
            ];
            if row.iter().any(|n| *n > 0) {
                println!(
                    "{indent}{:<14} {:>10} {:>8} {:>10} {:>10} {:>10} {:>10}",
                    tree.name(),
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    row[5]
                );
            }
        }
        println!(
            "{indent}{:<14} {:>10} {:>8} {:>10} {:>10} {:>10} {:>10}",
            "all",
            Self::total(&self.gets),
            Self::total(&self.scans),
            Self::total(&self.scan_rows),
            Self::total(&self.txn_gets),
            Self::total(&self.txn_puts),
            Self::total(&self.txn_deletes)
        );
        println!(
            "{indent}transactions {} (bodies run {}), fsyncs {}",
            self.transactions, self.txn_bodies, self.flushes
        );
    }
}

// ---------------------------------------------------------------------------------------------

/// Why a run ended early: the setup failed (2) or the outcome was wrong (1).
enum Failure {
    Setup(String),
    Wrong(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Setup(message)
    }
}

impl From<StoreError> for Failure {
    fn from(err: StoreError) -> Failure {
        Failure::Setup(format!("store: {err}"))
    }
}

fn main() -> ExitCode {
    let mut flags = Flags::parse();
    if flags.quick {
        flags.versions = 50_000;
    }
    if flags.versions == 0
        || flags.concurrency == 0
        || !(flags.due_percent > 0.0 && flags.due_percent < 100.0)
    {
        eprintln!(
            "lifecycle_pass: --versions and --concurrency must be at least 1, --due-percent in (0, 100)"
        );
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("lifecycle_pass: tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(&flags)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Wrong(message)) => {
            eprintln!("lifecycle_pass: WRONG: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Setup(message)) => {
            eprintln!("lifecycle_pass: {message}");
            ExitCode::from(2)
        }
    }
}

fn key_name(prefix: &str, index: usize, count: usize) -> String {
    let width = (count.max(2) - 1).to_string().len();
    format!("{prefix}{index:0width$}")
}

fn open_store(
    dir: &std::path::Path,
    meta: &Meta,
    day_seconds: Option<f64>,
) -> Result<Store, String> {
    let classes = StorageClasses::embedded(3).map_err(|e| format!("storage classes: {e}"))?;
    let chunk = ChunkStore::open(ChunkConfig::with_default_azs(&dir.join("chunks"), 3))
        .map_err(|e| format!("chunk store: {e}"))?;
    let store = Store::new(meta.clone(), chunk, Arc::new(classes), INLINE_THRESHOLD);
    Ok(match day_seconds {
        Some(seconds) => store.with_lifecycle_day_seconds(seconds),
        None => store,
    })
}

/// The rows of a tree, counted a page at a time without going through the counters.
fn count_rows(backend: &SledBackend, tree: Tree) -> Result<usize, String> {
    const PAGE: usize = 10_000;
    let mut count = 0;
    let mut start = Vec::new();
    loop {
        let rows = backend
            .scan(tree, &start, None, PAGE)
            .map_err(|e| format!("count {}: {e}", tree.name()))?;
        count += rows.len();
        match rows.last() {
            Some((last, _)) if rows.len() == PAGE => {
                start = last.clone();
                start.push(0);
            }
            _ => return Ok(count),
        }
    }
}

fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

struct Phase {
    elapsed: Duration,
    handled: usize,
    passes: usize,
    reads: Snapshot,
}

/// `pass` until it returns 0, timed and counted.
async fn passes(worker: &LifecycleWorker, counters: &Counters) -> Result<Phase, Failure> {
    let before = counters.snapshot();
    let started = Instant::now();
    let mut handled = 0;
    let mut passes = 0;
    loop {
        let n = worker.pass().await?;
        passes += 1;
        if n == 0 {
            break;
        }
        handled += n;
    }
    Ok(Phase {
        elapsed: started.elapsed(),
        handled,
        passes,
        reads: counters.snapshot().since(&before),
    })
}

async fn run(flags: &Flags) -> Result<(), Failure> {
    let total = flags.versions;
    let due = ((total as f64 * flags.due_percent / 100.0).round() as usize).clamp(1, total - 1);
    let keep = total - due;
    let dir = tempfile::Builder::new()
        .prefix("lifecycle-pass-")
        .tempdir()
        .map_err(|e| format!("temp dir: {e}"))?;
    let sled = SledBackend::open(&dir.path().join("meta")).map_err(|e| format!("sled: {e}"))?;
    let counters = Arc::new(Counters::default());
    let backend = Arc::new(Counting {
        inner: sled,
        counters: counters.clone(),
    });
    let meta = Meta::new(backend.clone());
    println!(
        "lifecycle_pass: {total} versions (one per key, unversioned bucket): {keep} under keep/, {due} under due/; data in {}",
        dir.path().display()
    );

    // The fill: keep/ first, due/ last (the re-index must not find them due).
    let fill_store = Arc::new(open_store(dir.path(), &meta, None)?);
    fill_store
        .create_bucket(BUCKET, OWNER, "us-east-1")
        .await
        .map_err(|e| format!("create bucket: {e}"))?;
    let fill_before = counters.snapshot();
    let (fill_elapsed, due_created) = fill(&fill_store, flags, keep, due).await?;
    let fill_reads = counters.snapshot().since(&fill_before);
    println!(
        "fill: {total} PUTs in {:.1} s ({:.0} PUT/s, {} in flight), {} fsyncs",
        fill_elapsed.as_secs_f64(),
        total as f64 / fill_elapsed.as_secs_f64(),
        flags.concurrency,
        fill_reads.flushes
    );
    drop(fill_store);

    let day_seconds = flags
        .day_seconds
        .unwrap_or_else(|| fill_elapsed.as_secs_f64().ceil().max(20.0));
    let day_ms = ((day_seconds * 1000.0).round() as i64).max(1);
    let store = Arc::new(open_store(dir.path(), &meta, Some(day_seconds))?);
    // When the last due/ expiration falls due: 1 day after creation, rounded up to a day
    // boundary (`lifecycle::evaluate::due_after`).
    let due_at = |created: i64| {
        let at = created + day_ms;
        match at.rem_euclid(day_ms) {
            0 => at,
            into => at - into + day_ms,
        }
    };
    let first_due = due_at(due_created.0);
    let last_due = due_at(due_created.1);
    println!(
        "lifecycle day {day_seconds} s: the due/ expirations fall due {:.1} s to {:.1} s from now",
        (first_due - now_ms()) as f64 / 1e3,
        (last_due - now_ms()) as f64 / 1e3
    );

    // The configuration, then the re-index it starts.
    let config = rules::parse(
        br#"<LifecycleConfiguration>
  <Rule><ID>due</ID><Filter><Prefix>due/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>1</Days></Expiration></Rule>
  <Rule><ID>keep</ID><Filter><Prefix>keep/</Prefix></Filter><Status>Enabled</Status><Expiration><Days>36500</Days></Expiration></Rule>
</LifecycleConfiguration>"#,
        None,
    )
    .map_err(|e| format!("lifecycle configuration: {}", e.message))?;
    store
        .set_bucket_config(BUCKET, BucketConfig::Lifecycle, Some(config.to_stored()))
        .await?;
    let worker = LifecycleWorker::new(store.clone());
    let reindex_before = counters.snapshot();
    let reindex_started = Instant::now();
    store.lifecycle_changed(BUCKET).await?;
    let mut reindex = passes(&worker, &counters).await?;
    reindex.elapsed = reindex_started.elapsed();
    reindex.reads = counters.snapshot().since(&reindex_before);
    println!(
        "re-index after the configuration change: {} entries handled in {:.1} s ({} passes), {:.0} keys/s",
        reindex.handled,
        reindex.elapsed.as_secs_f64(),
        reindex.passes,
        total as f64 / reindex.elapsed.as_secs_f64()
    );
    reindex.reads.print("  ");
    let indexed = count_rows(&backend.inner, Tree::Due)?;
    let objects = count_rows(&backend.inner, Tree::Objects)?;
    if indexed != total || objects != total {
        return Err(Failure::Wrong(format!(
            "after the re-index the due index holds {indexed} entries and the bucket {objects} \
             keys, expected {total} of each: the re-index outlasted the lifecycle day \
             ({day_seconds} s) and expired due/ keys itself; pass a larger --day-seconds"
        )));
    }
    if now_ms() >= first_due {
        return Err(Failure::Wrong(format!(
            "the due/ expirations fell due while the re-index ran; pass a --day-seconds larger than {day_seconds}"
        )));
    }

    // Wait until every due/ expiration is due, then the pass this bench is about.
    let wait_ms = (last_due - now_ms() + 50).max(0);
    println!(
        "waiting {:.1} s until the due/ expirations are due",
        wait_ms as f64 / 1e3
    );
    tokio::time::sleep(Duration::from_millis(wait_ms as u64)).await;
    let pass = passes(&worker, &counters).await?;
    let rows_read = pass.reads.rows_read();
    println!(
        "pass with {due} of {total} versions due: {} entries handled in {:.3} s ({} passes), {:.0} entries/s",
        pass.handled,
        pass.elapsed.as_secs_f64(),
        pass.passes,
        pass.handled as f64 / pass.elapsed.as_secs_f64()
    );
    pass.reads.print("  ");
    println!(
        "  rows read {rows_read} = {:.4} of the {total} versions ({:.1} per due version); fsyncs {} ({:.2} ms of pass per due version)",
        rows_read as f64 / total as f64,
        rows_read as f64 / due as f64,
        pass.reads.flushes,
        pass.elapsed.as_secs_f64() * 1e3 / due as f64
    );

    // Did it do what it should?
    let verify_started = Instant::now();
    let mut still_there = 0;
    for i in 0..due {
        match store.version(BUCKET, &key_name("due/", i, due), VersionSelector::Latest) {
            Err(StoreError::NoSuchKey(_)) => {}
            Ok(_) => still_there += 1,
            Err(err) => return Err(Failure::Setup(format!("HEAD due/{i}: {err}"))),
        }
    }
    let mut keep_checked = 0;
    let mut keep_missing = 0;
    for i in (0..keep).step_by(KEEP_SAMPLE_EVERY) {
        keep_checked += 1;
        match store.version(BUCKET, &key_name("keep/", i, keep), VersionSelector::Latest) {
            Ok(_) => {}
            Err(StoreError::NoSuchKey(_)) => keep_missing += 1,
            Err(err) => return Err(Failure::Setup(format!("HEAD keep/{i}: {err}"))),
        }
    }
    let indexed_after = count_rows(&backend.inner, Tree::Due)?;
    let objects_after = count_rows(&backend.inner, Tree::Objects)?;
    println!(
        "check ({:.1} s): due/ {still_there} of {due} still there; keep/ {keep_missing} of {keep_checked} sampled missing; bucket {objects_after} keys, due index {indexed_after} entries",
        verify_started.elapsed().as_secs_f64()
    );
    let rss = peak_rss_mib();
    println!(
        "{}",
        json!({
            "bench": "lifecycle_pass",
            "versions": total,
            "due": due,
            "keep": keep,
            "day_seconds": day_seconds,
            "fill": {
                "puts": total,
                "seconds": round(fill_elapsed.as_secs_f64(), 3),
                "puts_per_second": round(total as f64 / fill_elapsed.as_secs_f64(), 0),
                "concurrency": flags.concurrency,
                "fsyncs": fill_reads.flushes,
            },
            "reindex": phase_json(&reindex, total),
            "pass": phase_json(&pass, total),
            "pass_rows_read_per_version": round(rows_read as f64 / total as f64, 5),
            "check": {
                "due_left": still_there,
                "keep_sampled": keep_checked,
                "keep_missing": keep_missing,
                "objects_after": objects_after,
                "due_index_after": indexed_after,
            },
            "peak_rss_mib": rss.map(|m| round(m, 0)),
        })
    );
    if still_there != 0 || keep_missing != 0 || objects_after != keep || indexed_after != keep {
        return Err(Failure::Wrong(format!(
            "after the pass: {still_there} due/ keys left, {keep_missing} sampled keep/ keys \
             missing, {objects_after} keys (expected {keep}), {indexed_after} due entries \
             (expected {keep})"
        )));
    }
    Ok(())
}

fn round(value: f64, places: i32) -> f64 {
    let scale = 10f64.powi(places);
    (value * scale).round() / scale
}

fn phase_json(phase: &Phase, total: usize) -> serde_json::Value {
    json!({
        "seconds": round(phase.elapsed.as_secs_f64(), 4),
        "entries_handled": phase.handled,
        "passes": phase.passes,
        "rows_read_per_version": round(phase.reads.rows_read() as f64 / total as f64, 5),
        "meta": phase.reads.to_json(),
    })
}

/// PUTs every version, keep/ keys first and due/ keys last; the fill time and the earliest and
/// latest creation time of the due/ versions.
async fn fill(
    store: &Arc<Store>,
    flags: &Flags,
    keep: usize,
    due: usize,
) -> Result<(Duration, (i64, i64)), String> {
    let total = keep + due;
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let first_due = Arc::new(AtomicI64::new(i64::MAX));
    let last_due = Arc::new(AtomicI64::new(0));
    let started = Instant::now();
    let progress = fill_progress::spawn(done.clone(), total, started);
    let tasks: Vec<_> = (0..flags.concurrency.min(total))
        .map(|_| {
            let (store, next, done) = (store.clone(), next.clone(), done.clone());
            let (first_due, last_due) = (first_due.clone(), last_due.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok::<(), String>(());
                    }
                    let key = if i < keep {
                        key_name("keep/", i, keep)
                    } else {
                        key_name("due/", i - keep, due)
                    };
                    let version = put(&store, &key)
                        .await
                        .map_err(|e| format!("PUT {key}: {e}"))?;
                    if i >= keep {
                        first_due.fetch_min(version.last_modified_ms, Ordering::Relaxed);
                        last_due.fetch_max(version.last_modified_ms, Ordering::Relaxed);
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let mut outcome = Ok(());
    for task in tasks {
        let result = task
            .await
            .map_err(|e| format!("fill task: {e}"))
            .and_then(|r| r);
        if outcome.is_ok() {
            outcome = result;
        }
    }
    progress.abort();
    outcome?;
    Ok((
        started.elapsed(),
        (
            first_due.load(Ordering::Relaxed),
            last_due.load(Ordering::Relaxed),
        ),
    ))
}

async fn put(store: &Store, key: &str) -> Result<strata::meta::model::ObjectVersion, StoreError> {
    let input = PutInput {
        bucket: BUCKET.into(),
        key: key.into(),
        attrs: ObjectAttributes {
            storage_class: "STANDARD".into(),
            owner: OWNER.into(),
            content: Default::default(),
            user_meta: Vec::new(),
            tags: Vec::new(),
            acl: None,
            website_redirect: None,
        },
        content_md5: None,
        checksum: ChecksumSpec {
            algorithm: ChecksumAlgorithm::Crc64Nvme,
            expected: None,
        },
        condition: WriteCondition::None,
        encryption: None,
        lock: None,
    };
    let mut body = stream::iter(vec![Ok::<_, S3Error>(Bytes::from_static(BODY))]);
    store.put_object(input, &mut body).await
}
