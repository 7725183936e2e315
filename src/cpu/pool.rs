//! swath's own rayon pools, one per requested size, created on first use and kept: building a
//! pool spawns threads, far too slow to do per call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{Error, Result};

/// The pool with `threads` threads.
pub fn pool(threads: usize) -> Result<Arc<ThreadPool>> {
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
