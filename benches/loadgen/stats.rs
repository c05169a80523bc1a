//! Per-operation statistics: every latency is kept (a run is at most a few million operations),
//! sorted once at the end, and percentiles are read by nearest rank.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::{Value, json};

use crate::client::OpError;

#[derive(Default, Clone)]
pub struct Stats {
    /// Latency of each successful operation, nanoseconds.
    latencies: Vec<u64>,
    /// Object bytes moved by successful operations.
    pub bytes: u64,
    /// Things counted per operation other than bytes (keys listed).
    pub items: u64,
    pub errors: u64,
    pub first_error: Option<String>,
}

impl Stats {
    pub fn ok(&mut self, latency: Duration, bytes: u64) {
        self.latencies.push(latency.as_nanos() as u64);
        self.bytes += bytes;
    }

    pub fn error(&mut self, error: &OpError) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(error.to_string());
        }
    }

    pub fn merge(&mut self, other: Stats) {
        self.latencies.extend(other.latencies);
        self.bytes += other.bytes;
        self.items += other.items;
        self.errors += other.errors;
        if self.first_error.is_none() {
            self.first_error = other.first_error;
        }
    }

    pub fn ops(&self) -> u64 {
        self.latencies.len() as u64
    }

    pub fn summary(mut self, elapsed: Duration) -> Summary {
        self.latencies.sort_unstable();
        let seconds = elapsed.as_secs_f64().max(1e-9);
        let ms = |nanos: u64| nanos as f64 / 1e6;
        Summary {
            ops: self.ops(),
            errors: self.errors,
            first_error: self.first_error,
            seconds,
            ops_per_s: self.latencies.len() as f64 / seconds,
            mib_per_s: self.bytes as f64 / seconds / (1 << 20) as f64,
            p50_ms: ms(percentile(&self.latencies, 50.0)),
            p90_ms: ms(percentile(&self.latencies, 90.0)),
            p99_ms: ms(percentile(&self.latencies, 99.0)),
            max_ms: ms(self.latencies.last().copied().unwrap_or(0)),
            bytes: self.bytes,
            items: self.items,
        }
    }
}

/// Nearest-rank percentile of sorted values; 0 for an empty set.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[derive(Clone, Debug)]
pub struct Summary {
    pub ops: u64,
    pub errors: u64,
    pub first_error: Option<String>,
    pub seconds: f64,
    pub ops_per_s: f64,
    pub mib_per_s: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub bytes: u64,
    pub items: u64,
}

impl Summary {
    pub fn to_json(&self) -> Value {
        json!({
            "ops": self.ops,
            "errors": self.errors,
            "first_error": self.first_error,
            "seconds": round(self.seconds, 3),
            "ops_per_s": round(self.ops_per_s, 1),
            "mib_per_s": round(self.mib_per_s, 1),
            "bytes": self.bytes,
            "items": self.items,
            "latency_ms": {
                "p50": round(self.p50_ms, 3),
                "p90": round(self.p90_ms, 3),
                "p99": round(self.p99_ms, 3),
                "max": round(self.max_ms, 3),
            },
        })
    }

    pub fn print(&self, label: &str, out: &mut dyn std::io::Write) -> std::io::Result<()> {
        writeln!(
            out,
            "  {label:<9} {:>8} ops {:>10.1} ops/s {:>9.1} MiB/s   latency ms p50 {} p90 {} p99 {} max {}   errors {}",
            self.ops,
            self.ops_per_s,
            self.mib_per_s,
            fmt_ms(self.p50_ms),
            fmt_ms(self.p90_ms),
            fmt_ms(self.p99_ms),
            fmt_ms(self.max_ms),
            self.errors
        )?;
        if let Some(error) = &self.first_error {
            writeln!(out, "            first error: {error}")?;
        }
        Ok(())
    }
}

/// Per-kind statistics of one run (one kind for most ops, four for `mixed`).
pub type ByKind = BTreeMap<&'static str, Stats>;

pub fn round(value: f64, digits: i32) -> f64 {
    let scale = 10f64.powi(digits);
    (value * scale).round() / scale
}

fn fmt_ms(ms: f64) -> String {
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}
