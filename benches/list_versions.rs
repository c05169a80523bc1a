//! ListObjectsV2 over a prefix whose keys carry many noncurrent versions, against the same
//! listing of a prefix without versions: does history a listing never shows slow it down?
//!
//! Starts the release binary on a temp data dir (through the tests' `TestServer`), creates one
//! bucket with versioning enabled and fills it with small inline objects through the load
//! generator's client (hyper + aws-sigv4): `plain/` gets `--keys` keys with one version each,
//! `versioned/` the same number of keys with `--versions` noncurrent versions plus the current
//! one each. It then times whole ListObjectsV2 listings (max-keys 1000, following continuation
//! tokens) of both prefixes, alternating, and whole ListObjectVersions listings of both; every
//! listing's count is checked (exit status 1 on a mismatch, 2 when the run could not be done).
//!
//! Run: `cargo bench --bench list_versions` (about 520,000 PUTs; a few minutes). A quick run:
//! `-- --keys 1000 --versions 5 --rounds 5`. `-- --reuse-dir DIR` keeps the filled data in DIR
//! and skips the fill when DIR already holds one of the same shape. docs/performance.md
//! ("Listing with versions") has the figures.

#[path = "../tests/common/mod.rs"]
mod common;

// The load generator's modules, shared as they are: `client` names `crate::args::Payload`, so
// the loadgen flag module comes along; what this bench does not use is allowed to lie idle.
#[allow(dead_code)]
#[path = "loadgen/args.rs"]
mod args;
#[allow(dead_code)]
#[path = "loadgen/client.rs"]
mod client;
#[allow(dead_code)]
#[path = "loadgen/procstat.rs"]
mod procstat;
#[allow(dead_code)]
#[path = "loadgen/stats.rs"]
mod stats;
#[allow(dead_code)]
#[path = "loadgen/workloads.rs"]
mod workloads;

#[path = "shared/fill_progress.rs"]
mod fill_progress;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Parser;
use http::Method;

use args::Payload;
use client::{Body, S3, encode_query_value, xml_value};
use stats::{Stats, Summary};

const BUCKET: &str = "list-versions";
/// Object body size: far below the inline threshold, so the fill measures metadata only.
const BODY_BYTES: usize = 16;
/// max-keys of every listing page (S3's default and ceiling).
const PAGE: usize = 1000;
/// Written into a `--reuse-dir` once its fill is complete.
const FILL_MARKER: &str = "fill.txt";

/// `cargo bench --bench list_versions -- [flags]`
#[derive(Parser, Debug)]
#[command(
    name = "list_versions",
    about = "ListObjectsV2 of a prefix whose keys have many noncurrent versions vs one without"
)]
struct Flags {
    /// Keys under each of plain/ and versioned/.
    #[arg(long, default_value_t = 10_000)]
    keys: usize,
    /// Noncurrent versions of every key under versioned/ (each also has its current version).
    #[arg(long, default_value_t = 50)]
    versions: usize,
    /// Timed ListObjectsV2 rounds; each lists plain/ and versioned/ once, alternating the order.
    #[arg(long, default_value_t = 20)]
    rounds: usize,
    /// Timed ListObjectVersions rounds (plain/ and versioned/, alternating).
    #[arg(long, default_value_t = 3)]
    version_rounds: usize,
    /// PUTs in flight during the fill.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Keep the server's data in DIR/data: filled on the first run, reused (no fill) by later
    /// runs with the same --keys and --versions.
    #[arg(long)]
    reuse_dir: Option<PathBuf>,
    /// Added by `cargo bench` to every harness = false target; ignored.
    #[arg(long, hide = true)]
    bench: bool,
}

/// Why a run ended early: the setup failed (2) or a listing returned the wrong count (1).
enum Failure {
    Setup(String),
    Mismatch(String),
}

impl From<String> for Failure {
    fn from(message: String) -> Failure {
        Failure::Setup(message)
    }
}

fn main() -> ExitCode {
    let flags = Flags::parse();
    if flags.keys == 0 || flags.rounds == 0 || flags.concurrency == 0 {
        eprintln!("list_versions: --keys, --rounds and --concurrency must be at least 1");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("list_versions: tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(&flags)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Mismatch(message)) => {
            eprintln!("list_versions: MISMATCH: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Setup(message)) => {
            eprintln!("list_versions: {message}");
            ExitCode::from(2)
        }
    }
}

async fn run(flags: &Flags) -> Result<(), Failure> {
    let fill_needed = match &flags.reuse_dir {
        Some(dir) => reuse_state(dir, flags)?,
        None => true,
    };
    let server = start_server(flags.reuse_dir.as_deref())?;
    let pid = server.pid().to_string();
    println!(
        "strata pid {pid} at {}, data in {}",
        server.endpoint,
        flags
            .reuse_dir
            .as_ref()
            .map_or_else(|| server.data_dir(), |dir| dir.join("data"))
            .display()
    );
    let s3 = S3::new(
        &server.endpoint,
        common::ACCESS_KEY,
        common::SECRET_KEY,
        common::REGION,
        Payload::Unsigned,
    )?;
    workloads::ensure_bucket(&s3, BUCKET).await?;
    let versioning = Body::new(
        Bytes::from_static(
            b"<VersioningConfiguration><Status>Enabled</Status></VersioningConfiguration>",
        ),
        Payload::Unsigned,
    );
    s3.send(
        Method::PUT,
        &format!("/{BUCKET}?versioning="),
        Some(&versioning),
        false,
    )
    .await
    .map_err(|e| format!("enable versioning: {e}"))?;

    if fill_needed {
        let watch = procstat::Watch::start(&pid);
        let (puts, elapsed) = fill(&s3, flags).await?;
        let usage = watch.finish();
        println!(
            "fill: {puts} PUTs in {:.1} s ({:.0} PUT/s), server {} cores, peak RSS {}",
            elapsed.as_secs_f64(),
            puts as f64 / elapsed.as_secs_f64(),
            fmt_cores(usage.cpu_cores),
            fmt_mib(usage.peak_rss)
        );
        if let Some(dir) = &flags.reuse_dir {
            std::fs::write(dir.join(FILL_MARKER), fill_shape(flags))
                .map_err(|e| format!("{}: {e}", dir.join(FILL_MARKER).display()))?;
        }
    } else {
        println!("fill: skipped, reusing {}", fill_shape(flags).trim());
    }

    // A watch starts by reading VmRSS: here, the server's resident set with the fill behind it.
    let rss_after_fill = procstat::Watch::start(&pid).finish().rss_at_start;
    println!(
        "server RSS after the fill{}: {}",
        if fill_needed { "" } else { " (fresh start)" },
        fmt_mib(rss_after_fill)
    );
    let watch = procstat::Watch::start(&pid);
    let report = measure(&s3, flags).await?;
    let usage = watch.finish();
    report.print(flags);
    println!(
        "server during the listings: {} cores, peak RSS {} (after the fill {})",
        fmt_cores(usage.cpu_cores),
        fmt_mib(usage.peak_rss),
        fmt_mib(rss_after_fill)
    );
    Ok(())
}

/// Whether `dir` still needs a fill; an error when it holds a fill of another shape or an
/// unfinished one (a listing over it would measure the wrong thing).
fn reuse_state(dir: &Path, flags: &Flags) -> Result<bool, String> {
    let marker = dir.join(FILL_MARKER);
    match std::fs::read_to_string(&marker) {
        Ok(shape) if shape == fill_shape(flags) => Ok(false),
        Ok(shape) => Err(format!(
            "{} was filled with {}, not {}: pass those flags or another --reuse-dir",
            dir.display(),
            shape.trim(),
            fill_shape(flags).trim()
        )),
        Err(_) if dir.join("data").exists() => Err(format!(
            "{} holds data but no finished fill ({FILL_MARKER} missing): delete it and run again",
            dir.display()
        )),
        Err(_) => Ok(true),
    }
}

fn fill_shape(flags: &Flags) -> String {
    format!("keys={} versions={}\n", flags.keys, flags.versions)
}

/// The release binary on a fresh temp dir, or with `--reuse-dir` on DIR/data. `TestServer`
/// always creates its own data dir (and `--data-dir` may not be given twice), so for a reused
/// dir the server is stopped, its data dir replaced by a symlink to DIR/data, and restarted on
/// the same port. Dropping the server removes the temp dir and the symlink, never DIR.
fn start_server(reuse: Option<&Path>) -> Result<common::TestServer, String> {
    let mut server = common::TestServer::start();
    if let Some(dir) = reuse {
        let data = dir.join("data");
        std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
        let data = data
            .canonicalize()
            .map_err(|e| format!("{}: {e}", data.display()))?;
        server.kill9();
        let fresh = server.data_dir();
        std::fs::remove_dir_all(&fresh).map_err(|e| format!("{}: {e}", fresh.display()))?;
        std::os::unix::fs::symlink(&data, &fresh)
            .map_err(|e| format!("symlink {}: {e}", fresh.display()))?;
        server.restart();
    }
    Ok(server)
}

/// `plain/00042`: zero-padded, so byte order is numeric order.
fn key_name(prefix: &str, index: usize, keys: usize) -> String {
    let width = (keys.max(2) - 1).to_string().len();
    format!("{prefix}{index:0width$}")
}

/// PUT every version: first the plain keys, then the versioned ones round after round (version
/// v of every key before version v+1 of any), so the workers in flight never share a key.
/// Any failure aborts the fill.
async fn fill(s3: &S3, flags: &Flags) -> Result<(usize, Duration), String> {
    let keys = flags.keys;
    let total = keys * (flags.versions + 2);
    let bodies: Arc<Vec<Body>> = Arc::new(
        (0..8)
            .map(|seed| {
                Body::new(
                    Bytes::from(common::pattern(BODY_BYTES, seed)),
                    Payload::Unsigned,
                )
            })
            .collect(),
    );
    println!(
        "fill: plain/ {keys} keys x 1 version, versioned/ {keys} keys x {} versions, {total} PUTs of {BODY_BYTES} B, {} in flight",
        flags.versions + 1,
        flags.concurrency
    );
    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let progress = fill_progress::spawn(done.clone(), total, started);
    let handles: Vec<_> = (0..flags.concurrency.min(total))
        .map(|_| {
            let (s3, bodies, next, done) = (s3.clone(), bodies.clone(), next.clone(), done.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok::<(), String>(());
                    }
                    let key = if i < keys {
                        key_name("plain/", i, keys)
                    } else {
                        key_name("versioned/", (i - keys) % keys, keys)
                    };
                    let body = &bodies[i % bodies.len()];
                    s3.send(Method::PUT, &format!("/{BUCKET}/{key}"), Some(body), false)
                        .await
                        .map_err(|e| format!("fill PUT {key}: {e}"))?;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let results = workloads::join_all(handles).await;
    progress.abort();
    for result in results? {
        result?;
    }
    Ok((total, started.elapsed()))
}

#[derive(Clone, Copy, PartialEq)]
enum Listing {
    /// ListObjectsV2: current versions only.
    Objects,
    /// ListObjectVersions: every version.
    Versions,
}

impl Listing {
    fn name(self) -> &'static str {
        match self {
            Listing::Objects => "ListObjectsV2",
            Listing::Versions => "ListObjectVersions",
        }
    }
}

/// One whole listing of a prefix: every page's latency, and what the pages held.
struct Walk {
    pages: Vec<Duration>,
    bytes: u64,
    /// Keys (ListObjectsV2) or versions and delete markers (ListObjectVersions).
    entries: usize,
    /// Entries with `<IsLatest>true` (ListObjectVersions only).
    latest: usize,
}

impl Walk {
    fn total(&self) -> Duration {
        self.pages.iter().sum()
    }
}

/// List all of `prefix`, page after page of max-keys 1000, following the continuation token
/// (or the key and version-id markers) until a page is not truncated.
async fn walk(s3: &S3, listing: Listing, prefix: &str, limit: usize) -> Result<Walk, String> {
    let mut walk = Walk {
        pages: Vec::new(),
        bytes: 0,
        entries: 0,
        latest: 0,
    };
    let mut markers: Vec<(&str, String)> = Vec::new();
    let what = listing.name();
    loop {
        let mut path = match listing {
            Listing::Objects => format!("/{BUCKET}?list-type=2&max-keys={PAGE}"),
            Listing::Versions => format!("/{BUCKET}?versions=&max-keys={PAGE}"),
        };
        path.push_str(&format!("&prefix={}", encode_query_value(prefix)));
        for (name, value) in &markers {
            path.push_str(&format!("&{name}={}", encode_query_value(value)));
        }
        let started = Instant::now();
        let response = s3
            .send(Method::GET, &path, None, true)
            .await
            .map_err(|e| format!("{what} {prefix}: {e}"))?;
        walk.pages.push(started.elapsed());
        walk.bytes += response.bytes;
        let xml = response
            .body
            .as_deref()
            .map(String::from_utf8_lossy)
            .unwrap_or_default();
        match listing {
            Listing::Objects => walk.entries += xml.matches("<Key>").count(),
            Listing::Versions => {
                walk.entries += xml.matches("<Version>").count();
                walk.entries += xml.matches("<DeleteMarker>").count();
                walk.latest += xml.matches("<IsLatest>true</IsLatest>").count();
            }
        }
        if !xml.contains("<IsTruncated>true</IsTruncated>") {
            return Ok(walk);
        }
        if walk.pages.len() > limit {
            return Err(format!(
                "{what} {prefix}: still truncated after {} pages",
                walk.pages.len()
            ));
        }
        let next = |tag: &str| {
            xml_value(&xml, tag).ok_or_else(|| format!("{what} {prefix}: truncated without {tag}"))
        };
        markers = match listing {
            Listing::Objects => vec![("continuation-token", next("NextContinuationToken")?)],
            Listing::Versions => vec![
                ("key-marker", next("NextKeyMarker")?),
                ("version-id-marker", next("NextVersionIdMarker")?),
            ],
        };
    }
}

/// Timings of one kind of listing of one prefix over all rounds.
#[derive(Default)]
struct Series {
    /// One sample per whole listing.
    listings: Stats,
    /// One sample per page.
    pages: Stats,
    page_count: usize,
}

impl Series {
    fn add(&mut self, walk: &Walk) {
        self.listings.ok(walk.total(), walk.bytes);
        for page in &walk.pages {
            self.pages.ok(*page, 0);
        }
        self.page_count = walk.pages.len();
    }

    fn summaries(&self) -> (Summary, Summary) {
        let time = |s: &Stats| s.clone().summary(Duration::from_secs(1));
        (time(&self.listings), time(&self.pages))
    }
}

/// Series in `PREFIXES` order: plain/, then versioned/.
struct Report {
    objects: [Series; 2],
    versions: [Series; 2],
}

const PREFIXES: [&str; 2] = ["plain/", "versioned/"];

/// An untimed warm-up of each listing, then the timed rounds, checking every count.
async fn measure(s3: &S3, flags: &Flags) -> Result<Report, Failure> {
    let keys = flags.keys;
    // Entries each listing must return, per prefix.
    let objects = [keys, keys];
    let versions = [keys, keys * (flags.versions + 1)];
    println!("warm-up: one listing of each kind (untimed, counts checked)");
    for (listing, expected) in [(Listing::Objects, objects), (Listing::Versions, versions)] {
        for (prefix, expected) in PREFIXES.into_iter().zip(expected) {
            walk_checked(s3, listing, prefix, expected, keys).await?;
        }
    }
    Ok(Report {
        objects: alternate(s3, Listing::Objects, flags.rounds, objects, keys).await?,
        versions: alternate(s3, Listing::Versions, flags.version_rounds, versions, keys).await?,
    })
}

/// `rounds` whole listings of each prefix, plain/ first in even rounds and versioned/ first in
/// odd ones, so drift on this noisy machine hits both alike.
async fn alternate(
    s3: &S3,
    listing: Listing,
    rounds: usize,
    expected: [usize; 2],
    keys: usize,
) -> Result<[Series; 2], Failure> {
    println!(
        "{}: {rounds} rounds of plain/ and versioned/, alternating",
        listing.name()
    );
    let mut series = [Series::default(), Series::default()];
    for round in 0..rounds {
        let mut order = [0, 1];
        if round % 2 == 1 {
            order.reverse();
        }
        for i in order {
            let walk = walk_checked(s3, listing, PREFIXES[i], expected[i], keys).await?;
            series[i].add(&walk);
        }
    }
    Ok(series)
}

/// A whole listing whose count must be `expected` entries, `keys` of them latest (the latter
/// checked for ListObjectVersions only).
async fn walk_checked(
    s3: &S3,
    listing: Listing,
    prefix: &str,
    expected: usize,
    keys: usize,
) -> Result<Walk, Failure> {
    let walk = walk(s3, listing, prefix, expected / PAGE + 2).await?;
    let what = listing.name();
    if walk.entries != expected {
        return Err(Failure::Mismatch(format!(
            "{what} {prefix}: {} entries, expected {expected}",
            walk.entries
        )));
    }
    if listing == Listing::Versions && walk.latest != keys {
        return Err(Failure::Mismatch(format!(
            "{what} {prefix}: {} latest versions, expected {keys}",
            walk.latest
        )));
    }
    Ok(walk)
}

impl Report {
    fn print(&self, flags: &Flags) {
        let keys = flags.keys;
        let versions = flags.versions + 1;
        println!();
        println!(
            "{:<46} {:>5} {:>10} {:>9} {:>12} {:>11} {:>12}",
            "listing (median / p90 over the rounds)",
            "pages",
            "median ms",
            "p90 ms",
            "page med ms",
            "page p90 ms",
            "entries/s"
        );
        let row = |label: String, series: &Series, entries: usize| {
            let (listing, page) = series.summaries();
            println!(
                "{label:<46} {:>5} {:>10.1} {:>9.1} {:>12.2} {:>11.2} {:>12.0}",
                series.page_count,
                listing.p50_ms,
                listing.p90_ms,
                page.p50_ms,
                page.p90_ms,
                entries as f64 / (listing.p50_ms / 1e3)
            );
            (listing, page)
        };
        let (plain, plain_page) = row(
            format!("ListObjectsV2 plain/ ({keys} keys x 1)"),
            &self.objects[0],
            keys,
        );
        let (versioned, versioned_page) = row(
            format!("ListObjectsV2 versioned/ ({keys} keys x {versions})"),
            &self.objects[1],
            keys,
        );
        println!(
            "{:<46} {:>5} {:>9.2}x {:>8.2}x {:>11.2}x {:>10.2}x",
            "  ratio versioned / plain",
            "",
            versioned.p50_ms / plain.p50_ms,
            versioned.p90_ms / plain.p90_ms,
            versioned_page.p50_ms / plain_page.p50_ms,
            versioned_page.p90_ms / plain_page.p90_ms
        );
        if flags.version_rounds > 0 {
            row(
                format!("ListObjectVersions plain/ ({keys} versions)"),
                &self.versions[0],
                keys,
            );
            row(
                format!(
                    "ListObjectVersions versioned/ ({} versions)",
                    keys * versions
                ),
                &self.versions[1],
                keys * versions,
            );
        }
        println!(
            "({} ListObjectsV2 rounds, {} ListObjectVersions rounds; max-keys {PAGE}; every count checked)",
            flags.rounds, flags.version_rounds
        );
    }
}

fn fmt_cores(cores: Option<f64>) -> String {
    cores.map_or("n/a".into(), |c| format!("{c:.2}"))
}

fn fmt_mib(bytes: Option<u64>) -> String {
    bytes.map_or("n/a".into(), |b| {
        format!("{:.0} MiB", b as f64 / (1u64 << 20) as f64)
    })
}
