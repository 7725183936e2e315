//! The CPU's measured constants and its two estimates: a pass on the calling thread and on
//! the pool (ARCHITECTURE.md, "Layers": the backend owns its figures, the chooser compares
//! them).

use serde::{Deserialize, Serialize};

use crate::plan::Work;

/// Constants of the CPU backend measured on this machine.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CpuCosts {
    /// Fixed cost of running a pass on the calling thread, ns.
    pub call_ns: f64,
    /// Extra fixed cost of handing a pass to the pool and waiting for it, ns.
    pub pool_ns: f64,
    /// Threads in the pool the figures below were measured with.
    pub threads: usize,
    /// Bytes per ns one thread streams through a pass.
    pub read_bytes_per_ns: f64,
    /// Bytes per ns the whole pool streams.
    pub pool_read_bytes_per_ns: f64,
    /// Bytes per ns one thread reads from its own cache, for passes whose data fits it.
    #[serde(default)]
    pub cached_read_bytes_per_ns: f64,
    /// Bytes of data that fit the calling core's cache (its L2).
    #[serde(default)]
    pub cache_bytes: f64,
    /// ns per element of one cheap op on one thread.
    pub cheap_op_ns: f64,
    /// ns per element of one cheap op in compiled code (`cpu/jit`) on one thread (0: not
    /// measured, taken as `cheap_op_ns`).
    #[serde(default)]
    pub compiled_op_ns: f64,
    /// ns per element of one vectorized transcendental op ([`Work::heavy_ops`]) on one thread.
    pub heavy_op_ns: f64,
    /// ns per element of one transcendental computed by a library call ([`Work::libm_ops`])
    /// on one thread (0: not measured, taken as `heavy_op_ns`).
    #[serde(default)]
    pub libm_op_ns: f64,
    /// How many times faster the whole pool computes than one thread: below `threads` where
    /// threads share cores (SMT) or clocks drop as more cores work (0: not measured, taken
    /// as `threads`).
    #[serde(default)]
    pub pool_compute_speedup: f64,
}

impl CpuCosts {
    fn compute_ns(&self, w: &Work) -> f64 {
        let libm_op_ns = if self.libm_op_ns > 0.0 {
            self.libm_op_ns
        } else {
            self.heavy_op_ns
        };
        let cheap_op_ns = if w.compiled && self.compiled_op_ns > 0.0 {
            self.compiled_op_ns
        } else {
            self.cheap_op_ns
        };
        w.rows
            * (w.cheap_ops * cheap_op_ns + w.heavy_ops * self.heavy_op_ns + w.libm_ops * libm_op_ns)
    }

    /// Estimated ns on the calling thread.
    pub fn serial_ns(&self, w: &Work) -> f64 {
        // A streaming pass overlaps memory and arithmetic: it takes the longer of the two.
        // Data that fits the calling core's cache (the usual case for mid-sized inputs it has
        // just written or read) streams at cache speed; the pool's threads must fetch it.
        let bytes = w.rows * (w.bytes_in + w.bytes_out);
        let bw = if bytes <= self.cache_bytes {
            self.cached_read_bytes_per_ns.max(self.read_bytes_per_ns)
        } else {
            self.read_bytes_per_ns
        };
        self.call_ns + (bytes / bw).max(self.compute_ns(w))
    }

    /// Estimated ns on a pool of `threads` threads.
    pub fn pool_ns(&self, w: &Work, threads: usize) -> f64 {
        let threads = threads.max(1) as f64;
        let chunks = (w.rows / super::CHUNK as f64).ceil().max(1.0);
        // Only threads with a chunk to run are busy. Each streams at up to one thread's rate,
        // and together they cannot pass what the whole pool measured. (Until session 6 the
        // pool's figure was scaled by requested/calibrated threads and every requested thread
        // was charged a share: a 2-chunk pass on a 16-thread host got 2/16 of the pool's
        // bandwidth where it gets two threads' worth, and `auto` kept such passes on the
        // calling thread at 1.3x the pool's time.)
        let busy = threads.min(chunks);
        let bw = (self.read_bytes_per_ns * busy)
            .min(self.pool_read_bytes_per_ns)
            .max(self.read_bytes_per_ns);
        // Compute splits over the threads, but only in whole chunks: the busiest thread's share
        // of the rows is whole chunks, the last one partial (at 102,400 rows on two threads
        // one thread takes 65,536 of them, not half). It streams at its share of `bw`.
        let chunk = super::CHUNK as f64;
        let busiest = ((chunks / threads).ceil() * chunk).min(w.rows) / w.rows.max(1.0);
        let memory = busiest * busy * w.rows * (w.bytes_in + w.bytes_out) / bw;
        // Each busy thread computes at one thread's speed until more threads are busy than
        // the measured speedup allows (shared cores, lower clocks); then they slow alike.
        let speedup = if self.pool_compute_speedup > 0.0 {
            self.pool_compute_speedup
        } else {
            threads
        };
        let slowdown = (threads.min(chunks) / speedup).max(1.0);
        self.call_ns + self.pool_ns + memory.max(busiest * slowdown * self.compute_ns(w))
    }
}
