//! The lifecycle engine: the worker that carries out what the due-date index (`store::due`)
//! says is due — restores now; lifecycle rules' expirations and transitions as they land
//! (docs/lifecycle.md). It decides nothing from the index entry alone: every step re-reads
//! the records it acts on, so stale entries are harmless.

mod worker;

pub use worker::LifecycleWorker;
