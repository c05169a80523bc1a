//! CPU time and peak RSS of a process over the measured phase, read from /proc (Linux only; on
//! other systems the figures are simply absent).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// /proc reports CPU time in USER_HZ ticks, which Linux fixes at 100 on every architecture we run.
const TICKS_PER_SECOND: f64 = 100.0;
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// utime + stime of a process, seconds ("self" for this process).
pub fn cpu_seconds(pid: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: fields resume after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After ')', index 0 is field 3 (state), so utime (field 14) is 11 and stime (15) is 12.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / TICKS_PER_SECOND)
}

/// A "VmRSS:" / "VmHWM:" line of /proc/PID/status, in bytes.
fn status_bytes(pid: &str, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line[field.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

pub struct Watch {
    pid: String,
    started: Instant,
    cpu_at_start: Option<f64>,
    /// VmHWM was reset at the start, so reading it at the end gives this phase's peak exactly.
    hwm_reset: bool,
    rss_at_start: Option<u64>,
    stop: Arc<AtomicBool>,
    sampler: Option<JoinHandle<u64>>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    /// CPU seconds per wall second (1.0 = one core busy).
    pub cpu_cores: Option<f64>,
    pub peak_rss: Option<u64>,
    /// RSS when the phase began: a peak is only meaningful next to what was held before.
    pub rss_at_start: Option<u64>,
}

impl Watch {
    /// Start watching `pid` ("self" for this process). Peak RSS is tracked for other processes.
    pub fn start(pid: &str) -> Watch {
        let track_rss = pid != "self";
        // Writing 5 to clear_refs resets VmHWM (Linux >= 4.0); allowed for our own children as root
        // or the same user. When it is refused, sampled VmRSS is the fallback.
        let hwm_reset = track_rss && std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok();
        let rss_at_start = track_rss.then(|| status_bytes(pid, "VmRSS:")).flatten();
        let stop = Arc::new(AtomicBool::new(false));
        let sampler = track_rss.then(|| {
            let (pid, stop) = (pid.to_string(), stop.clone());
            std::thread::spawn(move || {
                let mut peak = 0;
                while !stop.load(Ordering::Relaxed) {
                    peak = peak.max(status_bytes(&pid, "VmRSS:").unwrap_or(0));
                    std::thread::sleep(SAMPLE_EVERY);
                }
                peak
            })
        });
        Watch {
            pid: pid.to_string(),
            started: Instant::now(),
            cpu_at_start: cpu_seconds(pid),
            hwm_reset,
            rss_at_start,
            stop,
            sampler,
        }
    }

    pub fn finish(mut self) -> Usage {
        let wall = self.started.elapsed().as_secs_f64().max(1e-9);
        let cpu_cores = match (self.cpu_at_start, cpu_seconds(&self.pid)) {
            (Some(start), Some(end)) => Some((end - start) / wall),
            _ => None,
        };
        self.stop.store(true, Ordering::Relaxed);
        let sampled = self.sampler.take().and_then(|s| s.join().ok());
        let hwm = if self.hwm_reset {
            status_bytes(&self.pid, "VmHWM:")
        } else {
            None
        };
        let peak_rss = match (hwm, sampled) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b).filter(|&v| v > 0),
        };
        Usage {
            cpu_cores,
            peak_rss,
            rss_at_start: self.rss_at_start,
        }
    }
}
