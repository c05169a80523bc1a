//! The lifecycle engine. `rules`: the lifecycle configuration of a bucket (model, AWS's
//! validation, GetBucketLifecycleConfiguration's document); `evaluate`: which action is due for
//! a version and when; `worker`: the loop that carries out what the due-date index
//! (`store::due`) says is due — restores, and lifecycle actions. It decides nothing from an
//! index entry alone: every step re-reads the records it acts on, so stale entries are
//! harmless (docs/lifecycle.md).

mod engine;
pub mod evaluate;
mod filter;
pub mod rules;
pub mod tiering;
mod worker;

pub use worker::LifecycleWorker;
