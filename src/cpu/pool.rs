//! swath's own rayon pools, one per requested size, created on first use and kept: building a
//! pool spawns threads, far too slow to do per call.
//!
//! A pass on `n` threads is the calling thread plus `n - 1` pool workers, not `n` workers and a
//! caller asleep: after a pass, rayon's idle workers spin (yielding) for a while before they
//! sleep, and with as many workers as cores they took time slices from the caller's next,
//! serial pass. Measured on the 2-core dev VM: a 1,600-row sum right after a pool pass ran
//! 1.7x slower than one after a serial pass. With `n - 1` workers the spinning ones have a
//! core to themselves.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{Error, Result};

/// `f(i, item)` for every item, on the calling thread and `threads - 1` pool workers, which
/// take items in turn until none are left; the results come back in the items' order, so
/// combining them does not depend on which thread ran what.
pub fn map_items<I, T, F>(threads: usize, items: Vec<I>, f: F) -> Result<Vec<T>>
where
    I: Send,
    T: Send,
    F: Fn(usize, I) -> T + Sync,
{
    let helpers = threads.saturating_sub(1).min(items.len().saturating_sub(1));
    if helpers == 0 {
        return Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, x)| f(i, x))
            .collect());
    }
    let pool = pool(threads - 1)?;
    let count = items.len();
    // One slot per item: each is taken once (by whoever claims its index) and filled once.
    // A poisoned slot only means `f` panicked on another item; the panic is re-raised by the
    // scope below, so the slot's contents are never read in that case.
    let inputs: Vec<Mutex<Option<I>>> = items.into_iter().map(|x| Mutex::new(Some(x))).collect();
    let outputs: Vec<Mutex<Option<T>>> = (0..count).map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let work = || {
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(slot) = inputs.get(i) else { break };
            let item = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(item) = item {
                let out = f(i, item);
                if let Some(slot) = outputs.get(i) {
                    *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(out);
                }
            }
        }
    };
    pool.in_place_scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|_| work());
        }
        work();
    });
    outputs
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(PoisonError::into_inner)
                .ok_or_else(|| Error::Internal("a chunk of the pass was not run".into()))
        })
        .collect()
}

/// The pool with `threads` worker threads.
fn pool(threads: usize) -> Result<Arc<ThreadPool>> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<ThreadPool>>>> = OnceLock::new();
    let pools = POOLS.get_or_init(Default::default);
    // A panic elsewhere while holding the lock cannot leave the map half-written (insert is
    // the only mutation), so a poisoned lock is safe to reuse.
    let mut pools = pools
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(pool) = pools.get(&threads) {
        return Ok(pool.clone());
    }
    let pool = ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("swath-{i}"))
        .build()
        .map_err(|e| Error::InvalidSetting {
            setting: "threads".into(),
            message: format!("cannot start {threads} threads: {e}"),
        })?;
    let pool = Arc::new(pool);
    pools.insert(threads, pool.clone());
    Ok(pool)
}
