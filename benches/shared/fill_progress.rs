//! What the benches that fill a store before measuring share: a line of fill progress every ten
//! seconds, so a multi-minute fill shows it is alive and how fast it goes.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const PROGRESS_EVERY: Duration = Duration::from_secs(10);

/// Prints `done` of `total` PUTs and the rate since the last line until the task is aborted.
pub fn spawn(
    done: Arc<AtomicUsize>,
    total: usize,
    started: Instant,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(PROGRESS_EVERY);
        ticks.tick().await;
        let mut last = 0;
        loop {
            ticks.tick().await;
            let now = done.load(Ordering::Relaxed);
            println!(
                "  {now:>8} / {total} PUTs, {:>6.0} PUT/s over the last {} s, {:.0} s elapsed",
                (now - last) as f64 / PROGRESS_EVERY.as_secs_f64(),
                PROGRESS_EVERY.as_secs(),
                started.elapsed().as_secs_f64()
            );
            last = now;
        }
    })
}
