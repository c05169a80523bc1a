//! Small-object PUT and GET throughput with and without inline storage, to choose the inline
//! threshold from a measurement. Starts the real binary twice (inline threshold 0 = every object
//! erasure-coded into k+m shard files, and the default), alternating, and prints ops/s per size.
//!
//! Run: `cargo bench --bench inline_threshold` (add `-- --quick` for a short run).

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::Instant;

use aws_sdk_s3::primitives::ByteStream;

const CONCURRENCY: usize = 8;

async fn run(server: &common::TestServer, size: usize, ops: usize) -> (f64, f64) {
    let s3 = Arc::new(server.client());
    let bucket = format!("bench-{size}");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let data = bytes::Bytes::from(common::pattern(size, 1));
    let per_task = ops / CONCURRENCY;

    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CONCURRENCY {
        let (s3, bucket, data) = (s3.clone(), bucket.clone(), data.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                s3.put_object()
                    .bucket(&bucket)
                    .key(format!("k{t}-{i}"))
                    .body(ByteStream::from(data.clone()))
                    .send()
                    .await
                    .expect("put");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let put_rate = (per_task * CONCURRENCY) as f64 / started.elapsed().as_secs_f64();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for t in 0..CONCURRENCY {
        let (s3, bucket) = (s3.clone(), bucket.clone());
        tasks.push(tokio::spawn(async move {
            for i in 0..per_task {
                let out = s3
                    .get_object()
                    .bucket(&bucket)
                    .key(format!("k{t}-{i}"))
                    .send()
                    .await
                    .expect("get");
                out.body.collect().await.expect("body");
            }
        }));
    }
    for task in tasks {
        task.await.expect("task");
    }
    let get_rate = (per_task * CONCURRENCY) as f64 / started.elapsed().as_secs_f64();
    (put_rate, get_rate)
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let ops = if quick { 400 } else { 2000 };
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    println!(
        "size      | PUT ops/s inline | PUT ops/s shards | GET ops/s inline | GET ops/s shards"
    );
    for size in [4 * 1024, 32 * 1024, 128 * 1024, 512 * 1024] {
        let mut inline = (0.0, 0.0);
        let mut sharded = (0.0, 0.0);
        // Alternate A and B on this noisy machine; keep the better of two rounds each.
        for _ in 0..2 {
            let server =
                common::TestServer::start_with(&["--inline-threshold", &(1024 * 1024).to_string()]);
            let r = runtime.block_on(run(&server, size, ops));
            inline = (f64::max(inline.0, r.0), f64::max(inline.1, r.1));
            drop(server);
            let server = common::TestServer::start_with(&["--inline-threshold", "0"]);
            let r = runtime.block_on(run(&server, size, ops));
            sharded = (f64::max(sharded.0, r.0), f64::max(sharded.1, r.1));
        }
        println!(
            "{:>7} KiB | {:>16.0} | {:>16.0} | {:>16.0} | {:>16.0}",
            size / 1024,
            inline.0,
            sharded.0,
            inline.1,
            sharded.1
        );
    }
}
