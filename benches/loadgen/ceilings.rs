//! The machine's ceilings, measured in the same run as the load so results read as ratios:
//! - disk: sequential write + fdatasync on the data dir's filesystem (one writer, and k+m writers
//!   the way a stripe writes its shard files), and create+write+fsync of small files;
//! - loopback HTTP: the same PUT/GET load (same client, size, concurrency, signing) against a
//!   do-nothing hyper server in this process;
//! - CPU of the data path, per core: Reed–Solomon encode for the layout, blake3, MD5, SHA-256.

use std::convert::Infallible;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use crate::args::{Args, Payload, human_size};
use crate::client::{Body, S3};
use crate::random_bytes;
use crate::stats::{Summary, round};
use crate::workloads::{self, Gate};

const MIB: f64 = (1u64 << 20) as f64;
const GIB: f64 = (1u64 << 30) as f64;
/// Each CPU kernel runs CPU_WINDOWS windows of at least CPU_WINDOW; the best window counts.
const CPU_WINDOW: Duration = Duration::from_millis(150);
const CPU_WINDOWS: usize = 3;
/// The sequential-write figures are the best of this many alternating rounds.
const DISK_ROUNDS: usize = 2;
/// Small-file fsync rate: stop after this long or this many files.
const SMALL_FILES_TIME: Duration = Duration::from_secs(1);
const SMALL_FILES_MAX: usize = 1000;
/// Objects up to this size are op-rate bound: their ceiling is counted in files and requests.
pub const SMALL_OBJECT: u64 = 1 << 20;
/// Column slice for the sliced RS encode figure.
const RS_SLICE: usize = 64 << 10;

pub struct Disk {
    pub one_writer_mib: f64,
    pub parallel_writers: usize,
    pub parallel_mib: f64,
    pub small_files_per_s: Option<f64>,
}

pub struct Cpu {
    pub k: usize,
    pub m: usize,
    pub block: usize,
    pub rs_encode_gib: f64,
    /// The same encode done in RS_SLICE column slices.
    pub rs_encode_sliced_gib: f64,
    pub blake3_gib: f64,
    pub md5_gib: f64,
    pub sha256_gib: f64,
    /// Per core, per byte of object data on PUT: RS encode + blake3 of (k+m)/k bytes + MD5
    /// (+ SHA-256 when the payload is signed).
    pub put_path_gib: f64,
    /// Per core on GET: blake3 verification of the data shards.
    pub get_path_gib: f64,
}

pub struct Ceilings {
    pub size: u64,
    pub concurrency: usize,
    pub cores: usize,
    pub disk: Disk,
    pub loopback_put: Summary,
    pub loopback_get: Summary,
    pub cpu: Cpu,
}

/// The size and concurrency the loopback ceiling should use for this op.
pub fn shape(args: &Args) -> (u64, usize) {
    match args.op {
        Some(crate::args::Op::Multipart) => (
            args.part_size,
            args.concurrency * args.part_concurrency.max(1),
        ),
        _ => (args.size, args.concurrency),
    }
}

pub async fn measure(args: &Args) -> Result<Ceilings, String> {
    let (size, concurrency) = shape(args);
    let (k, m) = args.layout;
    let dir = args.dir.clone();
    let disk_bytes = args.disk_bytes;
    // Disk and CPU kernels are blocking work: run them off the reactor, one after the other so
    // they do not disturb each other.
    let disk = tokio::task::spawn_blocking(move || disk(&dir, disk_bytes, k + m, size))
        .await
        .map_err(|e| format!("disk ceiling task: {e}"))??;
    let (block, payload) = (args.block_size as usize, args.payload);
    let cpu = tokio::task::spawn_blocking(move || cpu(k, m, block, payload))
        .await
        .map_err(|e| format!("CPU ceiling task: {e}"))??;
    let (loopback_put, loopback_get) =
        loopback(size, concurrency, args.ceiling_time, args.payload).await?;
    Ok(Ceilings {
        size,
        concurrency,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        disk,
        loopback_put,
        loopback_get,
        cpu,
    })
}

fn disk(dir: &Path, total: u64, writers: usize, size: u64) -> Result<Disk, String> {
    const CHUNK: usize = 4 << 20;
    let tmp = tempfile::Builder::new()
        .prefix(".loadgen-ceiling-")
        .tempdir_in(dir)
        .map_err(|e| format!("disk ceiling: temp dir in {}: {e}", dir.display()))?;
    let chunk = random_bytes(CHUNK, 7);
    let write_file = |path: &Path, bytes: u64| -> Result<(), String> {
        let mut file =
            std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut written = 0u64;
        while written < bytes {
            let n = (bytes - written).min(CHUNK as u64) as usize;
            file.write_all(&chunk[..n])
                .map_err(|e| format!("{}: {e}", path.display()))?;
            written += n as u64;
        }
        file.sync_data()
            .map_err(|e| format!("{}: fdatasync: {e}", path.display()))
    };

    let each = total.div_ceil(writers as u64);
    let (mut one_writer_mib, mut parallel_mib) = (0f64, 0f64);
    // Alternate one writer and k+m writers, best of DISK_ROUNDS each: this virtual disk's speed
    // swings with whatever else is being written back at the time.
    for _ in 0..DISK_ROUNDS {
        let path = tmp.path().join("seq");
        let started = Instant::now();
        write_file(&path, total)?;
        one_writer_mib = one_writer_mib.max(total as f64 / MIB / started.elapsed().as_secs_f64());
        std::fs::remove_file(&path).map_err(|e| format!("disk ceiling: {e}"))?;

        let started = Instant::now();
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..writers)
                .map(|i| {
                    let path = tmp.path().join(format!("par{i}"));
                    let write_file = &write_file;
                    scope.spawn(move || write_file(&path, each))
                })
                .collect();
            handles
                .into_iter()
                .try_for_each(|h| h.join().map_err(|_| "disk writer panicked".to_string())?)
        })?;
        let mib = (each * writers as u64) as f64 / MIB / started.elapsed().as_secs_f64();
        parallel_mib = parallel_mib.max(mib);
        for i in 0..writers {
            std::fs::remove_file(tmp.path().join(format!("par{i}")))
                .map_err(|e| format!("disk ceiling: {e}"))?;
        }
    }

    let small_files_per_s = if size <= SMALL_OBJECT {
        let body = random_bytes(size as usize, 8);
        let started = Instant::now();
        let mut files = 0;
        while files < SMALL_FILES_MAX && started.elapsed() < SMALL_FILES_TIME {
            let path = tmp.path().join(format!("small{files}"));
            let mut file =
                std::fs::File::create(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            file.write_all(&body)
                .and_then(|_| file.sync_all())
                .map_err(|e| format!("{}: {e}", path.display()))?;
            files += 1;
        }
        Some(files as f64 / started.elapsed().as_secs_f64())
    } else {
        None
    };
    Ok(Disk {
        one_writer_mib,
        parallel_writers: writers,
        parallel_mib,
        small_files_per_s,
    })
}

/// Run `kernel` (which processes `bytes` bytes) in a few windows and keep the best: a ceiling is
/// an upper bound, and on a shared machine the slow windows measure the neighbours. GiB/s, one core.
fn rate(bytes: usize, mut kernel: impl FnMut()) -> f64 {
    kernel(); // warm caches and lazily built tables
    let mut best = 0f64;
    for _ in 0..CPU_WINDOWS {
        let started = Instant::now();
        let mut rounds = 0u64;
        while rounds < 2 || started.elapsed() < CPU_WINDOW {
            kernel();
            rounds += 1;
        }
        best = best.max((bytes as u64 * rounds) as f64 / GIB / started.elapsed().as_secs_f64());
    }
    best
}

fn cpu(k: usize, m: usize, block: usize, payload: Payload) -> Result<Cpu, String> {
    use md5::Digest as _;
    let rs = reed_solomon_erasure::galois_8::ReedSolomon::new(k, m)
        .map_err(|e| format!("RS({k},{m}): {e:?}"))?;
    let data: Vec<Vec<u8>> = (0..k).map(|i| random_bytes(block, i as u64)).collect();
    let mut parity: Vec<Vec<u8>> = vec![vec![0u8; block]; m];
    let mut failed = None;
    let rs_encode_gib = rate(k * block, || {
        if let Err(e) = rs.encode_sep(&data, &mut parity) {
            failed = Some(format!("RS encode: {e:?}"));
        }
    });
    // The same stripe encoded 64 KiB of each block at a time (RS works column by column, so the
    // result is identical): shows what cache-sized slices would gain over whole 1 MiB blocks.
    let rs_encode_sliced_gib = rate(k * block, || {
        let mut start = 0;
        while start < block {
            let end = (start + RS_SLICE).min(block);
            let d: Vec<&[u8]> = data.iter().map(|s| &s[start..end]).collect();
            let mut p: Vec<&mut [u8]> = parity.iter_mut().map(|s| &mut s[start..end]).collect();
            if let Err(e) = rs.encode_sep(&d, &mut p) {
                failed = Some(format!("RS encode: {e:?}"));
            }
            start = end;
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    let one = &data[0];
    let blake3_gib = rate(block, || {
        std::hint::black_box(blake3::hash(one));
    });
    let md5_gib = rate(block, || {
        std::hint::black_box(md5::Md5::digest(one));
    });
    let sha256_gib = rate(block, || {
        std::hint::black_box(sha2::Sha256::digest(one));
    });
    let shards = (k + m) as f64 / k as f64;
    let mut put_seconds_per_gib = 1.0 / rs_encode_gib + shards / blake3_gib + 1.0 / md5_gib;
    if payload == Payload::Sha256 {
        put_seconds_per_gib += 1.0 / sha256_gib;
    }
    Ok(Cpu {
        k,
        m,
        block,
        rs_encode_gib,
        rs_encode_sliced_gib,
        blake3_gib,
        md5_gib,
        sha256_gib,
        put_path_gib: 1.0 / put_seconds_per_gib,
        get_path_gib: blake3_gib,
    })
}

/// A server that does nothing: PUT bodies are drained, GET returns the pre-generated body.
async fn serve_nothing(
    request: Request<Incoming>,
    body: Bytes,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let method = request.method().clone();
    let mut incoming = request.into_body();
    // Drain without keeping: like a store that discards.
    while let Some(frame) = incoming.frame().await {
        if frame.is_err() {
            break;
        }
    }
    let response = Response::builder().header("etag", "\"0\"");
    let response = match method {
        hyper::Method::GET => response
            .header("content-length", body.len())
            .body(Full::new(body)),
        hyper::Method::HEAD => response
            .header("content-length", body.len())
            .body(Full::new(Bytes::new())),
        _ => response.body(Full::new(Bytes::new())),
    };
    // The builder only fails on invalid header values, and ours are constants.
    Ok(response.unwrap_or_else(|_| Response::new(Full::new(Bytes::new()))))
}

async fn loopback(
    size: u64,
    concurrency: usize,
    time: Duration,
    payload: Payload,
) -> Result<(Summary, Summary), String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("loopback ceiling: bind: {e}"))?;
    let addr = listener
        .local_addr()
        .map_err(|e| format!("loopback ceiling: {e}"))?;
    let served = Bytes::from(random_bytes(size as usize, 9));
    let server = tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let served = served.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req| serve_nothing(req, served.clone()));
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    let s3 = S3::new(&format!("http://{addr}"), "x", "y", "us-east-1", payload)?;
    let bodies = Arc::new(vec![Body::new(
        Bytes::from(random_bytes(size as usize, 10)),
        payload,
    )]);

    let gate = Arc::new(Gate::new(Some(time), None));
    let started = Instant::now();
    let handles: Vec<_> = (0..concurrency)
        .map(|w| {
            let (s3, bodies, gate) = (s3.clone(), bodies.clone(), gate.clone());
            tokio::spawn(async move {
                workloads::put_worker(&s3, "ceiling", "put/", &bodies, &gate, w).await
            })
        })
        .collect();
    let put = workloads::join_stats(handles)
        .await?
        .summary(started.elapsed());

    let keys: Arc<Vec<String>> = Arc::new(vec!["get".to_string()]);
    let gate = Arc::new(Gate::new(Some(time), None));
    let started = Instant::now();
    let handles: Vec<_> = (0..concurrency)
        .map(|w| {
            let (s3, keys, gate) = (s3.clone(), keys.clone(), gate.clone());
            tokio::spawn(async move {
                workloads::get_worker(&s3, "ceiling", &keys, size, &gate, w).await
            })
        })
        .collect();
    let get = workloads::join_stats(handles)
        .await?
        .summary(started.elapsed());
    server.abort();
    Ok((put, get))
}

impl Ceilings {
    /// What limits a large PUT / GET, in MiB/s of object data, and which resource it is.
    pub fn put_limit(&self) -> (f64, &'static str) {
        let (k, m) = (self.cpu.k as f64, self.cpu.m as f64);
        let streams = self.concurrency.min(self.cores).max(1) as f64;
        let candidates = [
            (self.loopback_put.mib_per_s, "loopback HTTP"),
            (
                self.disk.parallel_mib * k / (k + m),
                "disk (k+m writers, ×k/(k+m))",
            ),
            (
                self.cpu.put_path_gib * 1024.0 * self.cores as f64,
                "CPU data path",
            ),
            (
                self.cpu.md5_gib * 1024.0 * streams,
                "MD5 (one stream per request)",
            ),
        ];
        min_of(&candidates)
    }

    pub fn get_limit(&self) -> (f64, &'static str) {
        let candidates = [
            (self.loopback_get.mib_per_s, "loopback HTTP"),
            (
                self.cpu.get_path_gib * 1024.0 * self.cores as f64,
                "CPU (blake3 verify)",
            ),
        ];
        min_of(&candidates)
    }

    pub fn to_json(&self) -> Value {
        let (put, put_by) = self.put_limit();
        let (get, get_by) = self.get_limit();
        json!({
            "size": self.size,
            "concurrency": self.concurrency,
            "cores": self.cores,
            "disk": {
                "one_writer_mib_per_s": round(self.disk.one_writer_mib, 1),
                "parallel_writers": self.disk.parallel_writers,
                "parallel_mib_per_s": round(self.disk.parallel_mib, 1),
                "small_files_fsync_per_s": self.disk.small_files_per_s.map(|v| round(v, 0)),
            },
            "loopback": {
                "put": self.loopback_put.to_json(),
                "get": self.loopback_get.to_json(),
            },
            "cpu_gib_per_s_per_core": {
                "layout": format!("RS({},{})", self.cpu.k, self.cpu.m),
                "block_size": self.cpu.block,
                "rs_encode": round(self.cpu.rs_encode_gib, 2),
                "rs_encode_64k_slices": round(self.cpu.rs_encode_sliced_gib, 2),
                "blake3": round(self.cpu.blake3_gib, 2),
                "md5": round(self.cpu.md5_gib, 2),
                "sha256": round(self.cpu.sha256_gib, 2),
                "put_path": round(self.cpu.put_path_gib, 3),
                "get_path": round(self.cpu.get_path_gib, 2),
            },
            "estimated": {
                "put_mib_per_s": round(put, 1),
                "put_limited_by": put_by,
                "get_mib_per_s": round(get, 1),
                "get_limited_by": get_by,
            },
        })
    }

    pub fn print(&self, dir: &Path, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        let d = &self.disk;
        let c = &self.cpu;
        writeln!(out, "ceilings ({} cores, measured now)", self.cores)?;
        write!(
            out,
            "  disk {}: write+fdatasync 1 writer {:.0} MiB/s, {} writers {:.0} MiB/s",
            dir.display(),
            d.one_writer_mib,
            d.parallel_writers,
            d.parallel_mib
        )?;
        if let Some(files) = d.small_files_per_s {
            write!(
                out,
                "; {} create+write+fsync {files:.0} files/s",
                human_size(self.size)
            )?;
        }
        writeln!(out)?;
        writeln!(
            out,
            "  loopback HTTP (do-nothing hyper server, {} x {}): PUT {:.0} MiB/s {:.0} ops/s, GET {:.0} MiB/s {:.0} ops/s",
            human_size(self.size),
            self.concurrency,
            self.loopback_put.mib_per_s,
            self.loopback_put.ops_per_s,
            self.loopback_get.mib_per_s,
            self.loopback_get.ops_per_s
        )?;
        writeln!(
            out,
            "  CPU per core: RS({},{}) encode {:.2} GiB/s ({} blocks; {:.2} GiB/s in 64 KiB slices), blake3 {:.2} GiB/s, MD5 {:.2} GiB/s, SHA-256 {:.2} GiB/s",
            c.k,
            c.m,
            c.rs_encode_gib,
            human_size(c.block as u64),
            c.rs_encode_sliced_gib,
            c.blake3_gib,
            c.md5_gib,
            c.sha256_gib
        )?;
        writeln!(
            out,
            "  data path per core: PUT {:.2} GiB/s (encode + blake3 x{:.2} + MD5), GET {:.2} GiB/s (blake3)",
            c.put_path_gib,
            (c.k + c.m) as f64 / c.k as f64,
            c.get_path_gib
        )?;
        let (put, put_by) = self.put_limit();
        let (get, get_by) = self.get_limit();
        writeln!(
            out,
            "  estimated ceiling: PUT {put:.0} MiB/s ({put_by}), GET {get:.0} MiB/s ({get_by})"
        )
    }
}

fn min_of(candidates: &[(f64, &'static str)]) -> (f64, &'static str) {
    candidates
        .iter()
        .copied()
        .filter(|(v, _)| v.is_finite() && *v > 0.0)
        .fold(
            (f64::INFINITY, "none"),
            |best, c| if c.0 < best.0 { c } else { best },
        )
}
