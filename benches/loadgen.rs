//! A warp-like S3 load generator (issue #4), runnable against any S3 endpoint on this machine.
//!
//! `cargo bench --bench loadgen -- <put|get|mixed|list|multipart|ceilings> [flags]`; `--help` lists
//! the flags, docs/performance.md ("Load generator") explains the report. Every run first measures
//! the machine's ceilings (disk with fsync, loopback HTTP to a do-nothing server, CPU of the data
//! path) so that its figures read as ratios on a noisy shared machine.

#[path = "loadgen/args.rs"]
mod args;
#[path = "loadgen/ceilings.rs"]
mod ceilings;
#[path = "loadgen/client.rs"]
mod client;
#[path = "loadgen/procstat.rs"]
mod procstat;
#[path = "loadgen/stats.rs"]
mod stats;
#[path = "loadgen/workloads.rs"]
mod workloads;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use clap::{CommandFactory, FromArgMatches};
use serde_json::{Value, json};

use args::{Args, Op, human_size};
use ceilings::{Ceilings, SMALL_OBJECT};
use client::{Body, S3};
use stats::{ByKind, Stats, round};
use workloads::Gate;

/// Pre-generated bodies per run: a few distinct ones, so consecutive PUTs do not carry identical
/// bytes, bounded so the pool itself stays small next to the server being measured.
const BODY_POOL_BYTES: u64 = 256 << 20;
const BODY_POOL_MAX: u64 = 8;

fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let mut args = match Args::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    // A listing is about keys, not bytes: unless asked otherwise, pre-fill it with small objects.
    if args.op == Some(Op::List)
        && matches.value_source("size") == Some(clap::parser::ValueSource::DefaultValue)
    {
        args.size = 1024;
    }
    let Some(op) = args.op else {
        println!(
            "loadgen: no operation given, nothing to do.\n\
             usage: cargo bench --bench loadgen -- <put|get|mixed|list|multipart|ceilings> [flags]\n\
             (`-- --help` for the flags; see docs/performance.md)"
        );
        return ExitCode::SUCCESS;
    };
    if let Err(e) = check_args(&args, op) {
        eprintln!("loadgen: {e}");
        return ExitCode::from(2);
    }
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        runtime.worker_threads(threads.max(1));
    }
    let runtime = match runtime.enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("loadgen: tokio runtime: {e}");
            return ExitCode::from(2);
        }
    };
    match runtime.block_on(run(args, op)) {
        Ok(0) => ExitCode::SUCCESS,
        Ok(errors) => {
            eprintln!("loadgen: {errors} operations failed");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
    }
}

fn check_args(args: &Args, op: Op) -> Result<(), String> {
    if args.concurrency == 0 {
        return Err("--concurrency must be at least 1".into());
    }
    if args.size == 0 {
        return Err("--size must be at least 1 byte".into());
    }
    if op == Op::Multipart && (args.part_size < 5 << 20 && args.part_size < args.size) {
        return Err(
            "--part-size must be at least 5 MiB (S3's minimum for all but the last part)".into(),
        );
    }
    if op == Op::Ceilings {
        return Ok(());
    }
    if args.access_key.is_empty() || args.secret_key.is_empty() {
        return Err(
            "credentials missing: --access-key/--secret-key or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
                .into(),
        );
    }
    let uri: http::Uri = args
        .endpoint
        .parse()
        .map_err(|e| format!("bad endpoint {:?}: {e}", args.endpoint))?;
    let host = uri.host().unwrap_or_default();
    // Load is only ever aimed at this machine unless the operator says otherwise explicitly.
    let loopback = host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !loopback && !args.allow_remote {
        return Err(format!(
            "endpoint {} is not a loopback address; pass --allow-remote to load another machine",
            args.endpoint
        ));
    }
    Ok(())
}

/// Deterministic pseudo-random bytes (blake3's XOF runs at GiB/s, so generating bodies is quick).
pub fn random_bytes(len: usize, seed: u64) -> Vec<u8> {
    let mut data = vec![0u8; len];
    blake3::Hasher::new()
        .update(&seed.to_le_bytes())
        .finalize_xof()
        .fill(&mut data);
    data
}

/// A fresh prefix per run, so runs never see each other's objects.
fn run_prefix(op: Op) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("loadgen-{}-{:x}/", op.name(), nanos & 0xffff_ffff_ffff)
}

async fn body_pool(size: u64, payload: args::Payload) -> Result<Arc<Vec<Body>>, String> {
    let count = (BODY_POOL_BYTES / size.max(1)).clamp(1, BODY_POOL_MAX);
    tokio::task::spawn_blocking(move || {
        Arc::new(
            (0..count)
                .map(|i| Body::new(Bytes::from(random_bytes(size as usize, 1000 + i)), payload))
                .collect(),
        )
    })
    .await
    .map_err(|e| format!("generating bodies: {e}"))
}

/// Size of the pre-filled set: about 256 MiB of objects, at least one per worker, at most 1,000.
fn default_objects(args: &Args, op: Op) -> usize {
    if op == Op::List {
        return 2000;
    }
    let by_bytes = (BODY_POOL_BYTES / args.size.max(1)) as usize;
    by_bytes.clamp(args.concurrency, 1000.max(args.concurrency))
}

struct Outcome {
    by_kind: ByKind,
    elapsed: std::time::Duration,
    /// Keys to delete afterwards.
    leftovers: Vec<String>,
}

async fn run(args: Args, op: Op) -> Result<u64, String> {
    let mut out: Box<dyn Write + Send> = if args.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let io = |e: std::io::Error| format!("writing the report: {e}");

    let ceilings = if args.no_ceilings && op != Op::Ceilings {
        None
    } else {
        let c = ceilings::measure(&args).await?;
        c.print(&args.dir, &mut *out).map_err(io)?;
        Some(c)
    };
    if op == Op::Ceilings {
        if args.json {
            let c = ceilings.as_ref().map(Ceilings::to_json);
            println!("{}", json!({ "op": "ceilings", "ceilings": c }));
        }
        return Ok(0);
    }

    let s3 = S3::new(
        &args.endpoint,
        &args.access_key,
        &args.secret_key,
        &args.region,
        args.payload,
    )?;
    let s3 = if args.sse { s3.with_sse() } else { s3 };
    workloads::ensure_bucket(&s3, &args.bucket).await?;
    let prefix = run_prefix(op);
    let limit = (Some(args.duration), args.ops);

    let outcome = match op {
        Op::Put => {
            let bodies = body_pool(args.size, args.payload).await?;
            let watches = Watches::start(&args);
            let gate = Arc::new(Gate::new(limit.0, limit.1));
            let started = Instant::now();
            let handles: Vec<_> = (0..args.concurrency)
                .map(|w| {
                    let (s3, bodies, gate) = (s3.clone(), bodies.clone(), gate.clone());
                    let (bucket, prefix) = (args.bucket.clone(), prefix.clone());
                    tokio::spawn(async move {
                        workloads::put_worker(&s3, &bucket, &prefix, &bodies, &gate, w).await
                    })
                })
                .collect();
            let per_worker = workloads::join_all(handles).await?;
            let elapsed = started.elapsed();
            let usage = watches.finish();
            let mut total = Stats::default();
            let mut leftovers = Vec::new();
            for (w, stats) in per_worker.into_iter().enumerate() {
                let attempts = stats.ops() + stats.errors;
                leftovers.extend((0..attempts).map(|n| workloads::put_key(&prefix, w, n)));
                total.merge(stats);
            }
            (
                Outcome {
                    by_kind: ByKind::from([("put", total)]),
                    elapsed,
                    leftovers,
                },
                usage,
            )
        }
        Op::Get => {
            let bodies = body_pool(args.size, args.payload).await?;
            let count = args.objects.unwrap_or_else(|| default_objects(&args, op));
            let keys =
                workloads::prefill(&s3, &args.bucket, &prefix, &bodies, count, args.concurrency)
                    .await?;
            drop(bodies);
            let keys = Arc::new(keys);
            let watches = Watches::start(&args);
            let gate = Arc::new(Gate::new(limit.0, limit.1));
            let started = Instant::now();
            let handles: Vec<_> = (0..args.concurrency)
                .map(|w| {
                    let (s3, keys, gate) = (s3.clone(), keys.clone(), gate.clone());
                    let (bucket, size) = (args.bucket.clone(), args.size);
                    tokio::spawn(async move {
                        workloads::get_worker(&s3, &bucket, &keys, size, &gate, w).await
                    })
                })
                .collect();
            let total = workloads::join_stats(handles).await?;
            let elapsed = started.elapsed();
            (
                Outcome {
                    by_kind: ByKind::from([("get", total)]),
                    elapsed,
                    leftovers: keys.to_vec(),
                },
                watches.finish(),
            )
        }
        Op::Mixed => {
            let bodies = body_pool(args.size, args.payload).await?;
            let count = args.objects.unwrap_or_else(|| default_objects(&args, op));
            let keys =
                workloads::prefill(&s3, &args.bucket, &prefix, &bodies, count, args.concurrency)
                    .await?;
            // Deal the set out round-robin: each worker owns its share.
            let mut shares: Vec<Vec<String>> = vec![Vec::new(); args.concurrency];
            for (i, key) in keys.into_iter().enumerate() {
                shares[i % args.concurrency].push(key);
            }
            let watches = Watches::start(&args);
            let gate = Arc::new(Gate::new(limit.0, limit.1));
            let started = Instant::now();
            let handles: Vec<_> = shares
                .into_iter()
                .enumerate()
                .map(|(w, share)| {
                    let (s3, bodies, gate) = (s3.clone(), bodies.clone(), gate.clone());
                    let (bucket, prefix) = (args.bucket.clone(), prefix.clone());
                    tokio::spawn(async move {
                        workloads::mixed_worker(&s3, &bucket, &prefix, share, &bodies, &gate, w)
                            .await
                    })
                })
                .collect();
            let results = workloads::join_all(handles).await?;
            let elapsed = started.elapsed();
            let usage = watches.finish();
            let mut by_kind = ByKind::new();
            let mut leftovers = Vec::new();
            for (kinds, live) in results {
                workloads::merge_kinds(&mut by_kind, kinds);
                leftovers.extend(live);
            }
            (
                Outcome {
                    by_kind,
                    elapsed,
                    leftovers,
                },
                usage,
            )
        }
        Op::List => {
            let bodies = body_pool(args.size, args.payload).await?;
            let count = args.objects.unwrap_or_else(|| default_objects(&args, op));
            let keys =
                workloads::prefill(&s3, &args.bucket, &prefix, &bodies, count, args.concurrency)
                    .await?;
            let watches = Watches::start(&args);
            let gate = Arc::new(Gate::new(limit.0, limit.1));
            let started = Instant::now();
            let handles: Vec<_> = (0..args.concurrency)
                .map(|_| {
                    let (s3, gate) = (s3.clone(), gate.clone());
                    let (bucket, prefix) = (args.bucket.clone(), prefix.clone());
                    tokio::spawn(async move {
                        workloads::list_worker(&s3, &bucket, &prefix, &gate).await
                    })
                })
                .collect();
            let total = workloads::join_stats(handles).await?;
            let elapsed = started.elapsed();
            (
                Outcome {
                    by_kind: ByKind::from([("list", total)]),
                    elapsed,
                    leftovers: keys,
                },
                watches.finish(),
            )
        }
        Op::Multipart => {
            let part_size = args.part_size.min(args.size);
            let part = Body::new(
                Bytes::from(random_bytes(part_size as usize, 77)),
                args.payload,
            );
            let tail = args.size % part_size;
            // The short last part is a slice of the full one: no second buffer.
            let last =
                (tail != 0).then(|| Body::new(part.data.slice(..tail as usize), args.payload));
            let job = Arc::new(workloads::Multipart {
                bucket: args.bucket.clone(),
                prefix: prefix.clone(),
                size: args.size,
                part_size,
                part_concurrency: args.part_concurrency,
                part,
                last,
            });
            let watches = Watches::start(&args);
            let gate = Arc::new(Gate::new(limit.0, limit.1));
            let started = Instant::now();
            let handles: Vec<_> = (0..args.concurrency)
                .map(|w| {
                    tokio::spawn(workloads::multipart_worker(
                        s3.clone(),
                        job.clone(),
                        gate.clone(),
                        w,
                    ))
                })
                .collect();
            let results = workloads::join_all(handles).await?;
            let elapsed = started.elapsed();
            let usage = watches.finish();
            let mut by_kind = ByKind::new();
            let mut leftovers = Vec::new();
            for (kinds, done) in results {
                workloads::merge_kinds(&mut by_kind, kinds);
                leftovers.extend(done);
            }
            (
                Outcome {
                    by_kind,
                    elapsed,
                    leftovers,
                },
                usage,
            )
        }
        Op::Ceilings => unreachable!("handled above"),
    };
    let (outcome, usage) = outcome;

    let report = Report::new(&args, op, &outcome, usage, ceilings.as_ref());
    report.print(&mut *out).map_err(io)?;
    if args.json {
        println!("{}", report.json);
    }
    if !args.no_cleanup && !outcome.leftovers.is_empty() {
        let count = outcome.leftovers.len();
        let failed =
            workloads::cleanup(&s3, &args.bucket, outcome.leftovers, args.concurrency).await;
        if failed > 0 {
            writeln!(out, "cleanup: {failed} of {count} deletes failed").map_err(io)?;
        }
    }
    Ok(report.errors)
}

/// CPU of this process and of the watched server over the measured phase.
struct Watches {
    client: procstat::Watch,
    server: Option<(u32, procstat::Watch)>,
}

struct Usage {
    client: procstat::Usage,
    server: Option<(u32, procstat::Usage)>,
}

impl Watches {
    fn start(args: &Args) -> Watches {
        Watches {
            client: procstat::Watch::start("self"),
            server: args
                .server_pid
                .map(|pid| (pid, procstat::Watch::start(&pid.to_string()))),
        }
    }

    fn finish(self) -> Usage {
        Usage {
            client: self.client.finish(),
            server: self.server.map(|(pid, w)| (pid, w.finish())),
        }
    }
}

struct Report {
    text: Vec<String>,
    json: Value,
    errors: u64,
}

impl Report {
    fn new(
        args: &Args,
        op: Op,
        outcome: &Outcome,
        usage: Usage,
        ceilings: Option<&Ceilings>,
    ) -> Report {
        let mut text = Vec::new();
        let limit = match args.ops {
            Some(ops) => format!("{ops} ops"),
            None => format!("{:?}", args.duration),
        };
        let payload = match args.payload {
            args::Payload::Sha256 => "sha256",
            args::Payload::Unsigned => "unsigned",
        };
        let mut shape = format!(
            "{} {} x {}",
            op.name(),
            human_size(args.size),
            args.concurrency
        );
        if op == Op::Multipart {
            shape.push_str(&format!(
                " (parts {} x {} in flight)",
                human_size(args.part_size.min(args.size)),
                args.part_concurrency
            ));
        }
        text.push(format!(
            "{shape}, {limit}, payload {payload}, endpoint {}, bucket {}",
            args.endpoint, args.bucket
        ));

        let mut total = Stats::default();
        let mut kinds = serde_json::Map::new();
        let mut lines = Vec::new();
        for (kind, stats) in &outcome.by_kind {
            let summary = stats.clone().summary(outcome.elapsed);
            let mut line = Vec::new();
            let _ = summary.print(kind, &mut line);
            lines.push(String::from_utf8_lossy(&line).trim_end().to_string());
            kinds.insert(kind.to_string(), summary.to_json());
            // "part" repeats the bytes of "upload"; the total is about whole operations.
            if *kind != "part" {
                total.merge(stats.clone());
            }
        }
        let total = total.summary(outcome.elapsed);
        text.extend(lines);
        if outcome.by_kind.len() > 1 && op == Op::Mixed {
            let mut line = Vec::new();
            let _ = total.print("total", &mut line);
            text.push(String::from_utf8_lossy(&line).trim_end().to_string());
        }
        if op == Op::List {
            text.push(format!(
                "  listed {:.0} keys/s ({} keys in {:.1} s)",
                total.items as f64 / total.seconds,
                total.items,
                total.seconds
            ));
        }

        let mut usage_line = String::from("  CPU (cores busy): loadgen");
        usage_line.push_str(&fmt_cores(usage.client.cpu_cores));
        let server = usage.server.map(|(pid, u)| {
            usage_line.push_str(&format!(", server pid {pid}{}", fmt_cores(u.cpu_cores)));
            if let Some(rss) = u.peak_rss {
                let start = u
                    .rss_at_start
                    .map_or_else(String::new, |s| format!(" (at start {:.0} MiB)", mib(s)));
                usage_line.push_str(&format!(", server peak RSS {:.0} MiB{start}", mib(rss)));
            }
            json!({
                "pid": pid,
                "cpu_cores": u.cpu_cores.map(|v| round(v, 2)),
                "rss_at_start_bytes": u.rss_at_start,
                "peak_rss_bytes": u.peak_rss,
            })
        });
        text.push(usage_line);

        let vs = ceilings.and_then(|c| vs_ceiling(op, args.size, &total, c));
        if let Some((ratio, against)) = &vs {
            text.push(format!("  vs ceiling: {:.0} % of {against}", ratio * 100.0));
        }
        let json = json!({
            "tool": "strata loadgen",
            "op": op.name(),
            "endpoint": args.endpoint,
            "bucket": args.bucket,
            "size": args.size,
            "concurrency": args.concurrency,
            "part_size": (op == Op::Multipart).then_some(args.part_size.min(args.size)),
            "part_concurrency": (op == Op::Multipart).then_some(args.part_concurrency),
            "payload": payload,
            "total": total.to_json(),
            "by_kind": kinds,
            "client_cpu_cores": usage.client.cpu_cores.map(|v| round(v, 2)),
            "server": server,
            "ceilings": ceilings.map(Ceilings::to_json),
            "vs_ceiling": vs.map(|(ratio, against)| json!({"ratio": round(ratio, 3), "against": against})),
        });
        Report {
            text,
            json,
            errors: total.errors + outcome.by_kind.get("part").map_or(0, |s| s.errors),
        }
    }

    fn print(&self, out: &mut dyn Write) -> std::io::Result<()> {
        for line in &self.text {
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 20) as f64
}

fn fmt_cores(cores: Option<f64>) -> String {
    cores.map_or_else(|| " n/a".to_string(), |c| format!(" {c:.2}"))
}

/// The run's headline figure as a fraction of the matching ceiling: object bandwidth for large
/// objects, request rate against the do-nothing server for small ones.
fn vs_ceiling(op: Op, size: u64, total: &stats::Summary, c: &Ceilings) -> Option<(f64, String)> {
    let small = size <= SMALL_OBJECT;
    match op {
        Op::Put | Op::Multipart if !small => {
            let (limit, by) = c.put_limit();
            Some((
                total.mib_per_s / limit,
                format!("estimated PUT ceiling {limit:.0} MiB/s ({by})"),
            ))
        }
        Op::Get if !small => {
            let (limit, by) = c.get_limit();
            Some((
                total.mib_per_s / limit,
                format!("estimated GET ceiling {limit:.0} MiB/s ({by})"),
            ))
        }
        Op::Put => Some((
            total.ops_per_s / c.loopback_put.ops_per_s,
            format!(
                "loopback do-nothing PUT {:.0} ops/s",
                c.loopback_put.ops_per_s
            ),
        )),
        Op::Get => Some((
            total.ops_per_s / c.loopback_get.ops_per_s,
            format!(
                "loopback do-nothing GET {:.0} ops/s",
                c.loopback_get.ops_per_s
            ),
        )),
        _ => None,
    }
}
