//! Execution options: per call (`Frame::select_with`) or process-wide from the environment
//! (`SWATH_ISA`, `SWATH_THREADS`, `SWATH_BACKEND`). A per-call option wins over the environment.

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
    /// Where passes run: forced CPU, forced GPU, or chosen per pass.
    pub backend: Option<Backend>,
}

/// Which backend runs a call's passes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Every pass on the CPU, on swath's thread pool (whatever its size).
    Cpu,
    /// Every pass on the CPU, on the calling thread.
    Cpu1,
    /// Every pass the GPU can run on the GPU; a pass it cannot run (f64 without the device
    /// feature, say) goes to the CPU. Without a GPU adapter a call is an error.
    Gpu,
    /// Chosen per pass. For now this is the CPU; a cost-based choice comes later.
    #[default]
    Auto,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Cpu => "cpu",
            Backend::Cpu1 => "cpu1",
            Backend::Gpu => "gpu",
            Backend::Auto => "auto",
        })
    }
}

impl std::str::FromStr for Backend {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cpu" => Ok(Backend::Cpu),
            "cpu1" => Ok(Backend::Cpu1),
            "gpu" => Ok(Backend::Gpu),
            "auto" => Ok(Backend::Auto),
            other => Err(format!(
                "`{other}` is not a backend (cpu, cpu1, gpu or auto)"
            )),
        }
    }
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
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// The backend to use: the option, else `SWATH_BACKEND`, else [`Backend::Auto`].
    pub fn resolved_backend(&self) -> Result<Backend> {
        match self.backend {
            Some(b) => Ok(b),
            None => Ok(env().backend.clone()?.unwrap_or_default()),
        }
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
    backend: Result<Option<Backend>>,
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
        backend: std::env::var("SWATH_BACKEND")
            .ok()
            .map(|v| v.parse::<Backend>())
            .transpose()
            .map_err(|message| Error::InvalidSetting {
                setting: "SWATH_BACKEND".into(),
                message,
            }),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
    })
}
