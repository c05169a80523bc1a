//! Command line of the load generator: flags, and the size / duration / layout notations they use.

use std::time::Duration;

use clap::{Parser, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Op {
    /// PUT objects of --size under fresh keys.
    Put,
    /// GET random objects of a pre-filled set.
    Get,
    /// 45 % GET, 30 % HEAD, 15 % PUT, 10 % DELETE over a pre-filled set.
    Mixed,
    /// ListObjectsV2 pages (1,000 keys each) over a pre-filled set.
    List,
    /// Whole multipart uploads (create, parts, complete) of --size objects.
    Multipart,
    /// Only measure the machine's ceilings.
    Ceilings,
}

impl Op {
    pub fn name(self) -> &'static str {
        match self {
            Op::Put => "put",
            Op::Get => "get",
            Op::Mixed => "mixed",
            Op::List => "list",
            Op::Multipart => "multipart",
            Op::Ceilings => "ceilings",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Payload {
    /// x-amz-content-sha256 is the hex SHA-256 of the body (computed once per pre-generated body).
    Sha256,
    /// x-amz-content-sha256: UNSIGNED-PAYLOAD.
    Unsigned,
}

/// `cargo bench --bench loadgen -- <op> [flags]`
#[derive(Parser, Debug, Clone)]
#[command(
    name = "loadgen",
    about = "warp-like S3 load generator; prints the machine's ceilings first so results read as ratios"
)]
pub struct Args {
    /// What to run. Without it the tool only prints a usage hint (so a bare `cargo bench` passes).
    #[arg(value_enum)]
    pub op: Option<Op>,

    /// S3 endpoint (http only). Only loopback addresses are accepted unless --allow-remote.
    #[arg(long, default_value = "http://127.0.0.1:9000")]
    pub endpoint: String,

    #[arg(
        long,
        env = "AWS_ACCESS_KEY_ID",
        default_value = "",
        hide_env_values = true
    )]
    pub access_key: String,

    #[arg(
        long,
        env = "AWS_SECRET_ACCESS_KEY",
        default_value = "",
        hide_env_values = true
    )]
    pub secret_key: String,

    #[arg(long, default_value = "us-east-1")]
    pub region: String,

    /// Created if missing; objects go under a fresh prefix per run.
    #[arg(long, default_value = "loadgen")]
    pub bucket: String,

    /// Object size: bytes, or with KiB/MiB/GiB (also KB/MB/GB = powers of 1000).
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    pub size: u64,

    /// Requests in flight (for multipart: uploads in flight).
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,

    /// How long to run, e.g. 10s, 500ms, 2m. Ignored when --ops is given.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,

    /// Run exactly this many operations instead of for --duration.
    #[arg(long)]
    pub ops: Option<u64>,

    #[arg(long, value_enum, default_value = "unsigned")]
    pub payload: Payload,

    /// Ask for SSE-S3 on every PUT (`x-amz-server-side-encryption: AES256`); objects the
    /// run reads are the ones it wrote, so GETs decrypt. (A strata server encrypts writes
    /// without the header too, unless it runs with `--no-default-encryption`: that is the
    /// plain baseline.)
    #[arg(long)]
    pub sse: bool,

    /// Print one JSON object on stdout (the human-readable report goes to stderr).
    #[arg(long)]
    pub json: bool,

    /// Skip the ceilings measured before the run.
    #[arg(long)]
    pub no_ceilings: bool,

    /// Directory for the disk ceiling; put it on the data dir's filesystem.
    #[arg(long, default_value = ".")]
    pub dir: std::path::PathBuf,

    /// Erasure layout k,m for the CPU ceiling (STANDARD is 4,2).
    #[arg(long, default_value = "4,2", value_parser = parse_layout)]
    pub layout: (usize, usize),

    /// Erasure block (shard) size for the CPU ceiling.
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    pub block_size: u64,

    /// Bytes written by the sequential-write disk ceiling.
    #[arg(long, default_value = "256MiB", value_parser = parse_size)]
    pub disk_bytes: u64,

    /// Time spent on each loopback HTTP ceiling (PUT, then GET).
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub ceiling_time: Duration,

    /// Size of the pre-filled set for get / mixed / list (default: ~256 MiB worth, clamped to
    /// [concurrency, 1000]; list defaults to 2,000 keys).
    #[arg(long)]
    pub objects: Option<usize>,

    /// Multipart part size.
    #[arg(long, default_value = "8MiB", value_parser = parse_size)]
    pub part_size: u64,

    /// Parts in flight within one multipart upload.
    #[arg(long, default_value_t = 4)]
    pub part_concurrency: usize,

    /// Leave the objects written by the run in place.
    #[arg(long)]
    pub no_cleanup: bool,

    /// Server process to watch during the measured phase: its CPU time and peak RSS (from /proc).
    #[arg(long)]
    pub server_pid: Option<u32>,

    /// Client runtime worker threads (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,

    /// Accept a non-loopback endpoint. Never use it on a shared machine or in CI.
    #[arg(long)]
    pub allow_remote: bool,

    /// Added by `cargo bench` to every harness = false target; ignored.
    #[arg(long, hide = true)]
    pub bench: bool,
}

pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("bad size {text:?}: expected e.g. 4KiB, 64MiB, 1048576"))?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        other => return Err(format!("bad size unit {other:?} in {text:?}")),
    };
    Ok((number * multiplier as f64).round() as u64)
}

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("bad duration {text:?}: expected e.g. 10s, 500ms, 2m"))?;
    let seconds = match unit {
        "" | "s" => number,
        "ms" => number / 1000.0,
        "m" | "min" => number * 60.0,
        other => return Err(format!("bad duration unit {other:?} in {text:?}")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

pub fn parse_layout(text: &str) -> Result<(usize, usize), String> {
    let (k, m) = text
        .split_once(',')
        .ok_or_else(|| format!("bad layout {text:?}: expected k,m such as 4,2"))?;
    let k: usize = k.trim().parse().map_err(|_| format!("bad k in {text:?}"))?;
    let m: usize = m.trim().parse().map_err(|_| format!("bad m in {text:?}"))?;
    if k == 0 || m == 0 || k + m > 256 {
        return Err(format!("layout {text:?} out of range"));
    }
    Ok((k, m))
}

/// "64 MiB", "4 KiB", "1.5 MiB": sizes as a person reads them.
pub fn human_size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, scale) in UNITS {
        if bytes >= scale {
            let value = bytes as f64 / scale as f64;
            return if value.fract() == 0.0 {
                format!("{value} {unit}")
            } else {
                format!("{value:.1} {unit}")
            };
        }
    }
    format!("{bytes} B")
}
