//! Execution options: per call (`Frame::select_with`) or process-wide from the environment
//! (`SWATH_ISA`, `SWATH_THREADS`). A per-call option wins over the environment.

use std::sync::OnceLock;

use crate::cpu::isa::Isa;
use crate::error::{Error, Result};

/// How to run one call. `Default` means: decide from the environment and the hardware.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// Force an instruction set (it must be supported by this CPU).
    pub isa: Option<Isa>,
    /// Threads in the CPU pool; 1 runs everything on the calling thread.
    pub threads: Option<usize>,
}

impl ExecOptions {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn isa(mut self, isa: Isa) -> Self {
        self.isa = Some(isa);
        self
    }
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }

    /// The instruction set to use: the option, else `SWATH_ISA`, else the best detected.
    pub fn resolved_isa(&self) -> Result<Isa> {
        let isa = match self.isa {
            Some(isa) => isa,
            None => env().isa.clone()?.unwrap_or_else(Isa::detect),
        };
        if !isa.is_supported() {
            return Err(Error::InvalidSetting {
                setting: "ISA".into(),
                message: format!(
                    "this CPU cannot run {isa} kernels (best: {})",
                    Isa::detect()
                ),
            });
        }
        Ok(isa)
    }

    /// The pool size: the option, else `SWATH_THREADS`, else the available cores.
    pub fn resolved_threads(&self) -> Result<usize> {
        let threads = match self.threads {
            Some(t) => t,
            None => env().threads.clone()?.unwrap_or(env().cores),
        };
        if threads == 0 {
            return Err(Error::InvalidSetting {
                setting: "threads".into(),
                message: "must be at least 1".into(),
            });
        }
        Ok(threads)
    }
}

struct Env {
    isa: Result<Option<Isa>>,
    threads: Result<Option<usize>>,
    /// Cores available to this process. Read once: on Linux the query reads cgroup files,
    /// which costs more than a small select.
    cores: usize,
}

/// The environment's settings, read once: they are process-wide by definition.
fn env() -> &'static Env {
    static ENV: OnceLock<Env> = OnceLock::new();
    ENV.get_or_init(|| Env {
        isa: std::env::var("SWATH_ISA")
            .ok()
            .map(|v| v.parse::<Isa>())
            .transpose()
            .map_err(|e| Error::InvalidSetting {
                setting: "SWATH_ISA".into(),
                message: e.to_string(),
            }),
        threads: std::env::var("SWATH_THREADS")
            .ok()
            .map(|v| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| Error::InvalidSetting {
                        setting: "SWATH_THREADS".into(),
                        message: format!("`{v}` is not a thread count"),
                    })
            })
            .transpose(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}
