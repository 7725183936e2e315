//! What the kernel compiler reports, shared by the compiler and its stand-in where there is
//! none (`none.rs`).

/// What the kernel compiler has done in this process so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CompileStats {
    /// Kernel shapes compiled (each once; later passes take them from the cache).
    pub kernels: u64,
    /// Nanoseconds spent compiling them, in all.
    pub nanos: u64,
    /// CPU passes started on this thread that ran compiled code.
    pub passes: u64,
}
