//! Execution options: per call (`Frame::select_with`) or process-wide from the environment
//! (`SWATH_ISA`, `SWATH_THREADS`, `SWATH_BACKEND`). A per-call option wins over the environment.

use std::sync::OnceLock;

use crate::error::{Error, Result};
use crate::isa::Isa;

/// How to run one call. `Default` means: decide from the environment and the hardware.
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0, 3.0]))])?;
/// let options = ExecOptions::new().threads(1).backend(Backend::Cpu1);
/// let out = df.select_with([col("x").sum()], &options)?;
/// assert_eq!(out.values::<f32>("x")?, [6.0]);
/// assert_eq!(ExecOptions::default().threads, None);
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ExecOptions {
    /// Force an instruction set (it must be supported by this CPU).
    pub isa: Option<Isa>,
    /// Threads in the CPU pool; 1 runs everything on the calling thread.
    pub threads: Option<usize>,
    /// Where passes run: forced CPU, forced GPU, or chosen per pass.
    pub backend: Option<Backend>,
}

/// Which backend runs a call's passes. Parses from (and prints as) `cpu`, `cpu1`, `gpu`,
/// `auto`, the values `SWATH_BACKEND` takes.
///
/// ```
/// use swath::Backend;
/// assert_eq!("gpu".parse::<Backend>(), Ok(Backend::Gpu));
/// assert_eq!(" CPU1 ".parse::<Backend>(), Ok(Backend::Cpu1));
/// assert!("tpu".parse::<Backend>().is_err());
/// assert_eq!(Backend::default(), Backend::Auto);
/// assert_eq!(Backend::Cpu.to_string(), "cpu");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Backend {
    /// Every pass on the CPU, on swath's thread pool (whatever its size).
    Cpu,
    /// Every pass on the CPU, on the calling thread.
    Cpu1,
    /// Every pass the GPU can run on the GPU; a pass it cannot run (f64 without the device
    /// feature, say) goes to the CPU. Without a GPU adapter a call is an error.
    Gpu,
    /// Chosen per pass by the cost model ([`crate::cost::choose`]): the smallest estimated
    /// time among the calling thread, the pool and a hardware GPU.
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
    /// Options that set nothing (the same as `ExecOptions::default()`).
    ///
    /// ```
    /// use swath::ExecOptions;
    /// let o = ExecOptions::new();
    /// assert_eq!(o, ExecOptions::default());
    /// assert_eq!((o.isa, o.threads, o.backend), (None, None, None));
    /// ```
    pub fn new() -> Self {
        Self::default()
    }
    /// Forces the CPU kernels' instruction set. A level this CPU lacks makes the call an
    /// [`Error::InvalidSetting`].
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1i32, 2, 3]))])?;
    /// let out = df.select_with([col("x").max()], &ExecOptions::new().isa(Isa::Base))?;
    /// assert_eq!(out.values::<i32>("x")?, [3]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn isa(mut self, isa: Isa) -> Self {
        self.isa = Some(isa);
        self
    }
    /// Sets the pool size for this call (1: everything on the calling thread). Results are
    /// bit-identical for any thread count.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![0.1f32; 200_000]))])?;
    /// let one = df.select_with([col("x").sum()], &ExecOptions::new().threads(1))?;
    /// let two = df.select_with([col("x").sum()], &ExecOptions::new().threads(2))?;
    /// assert_eq!(one.values::<f32>("x")?, two.values::<f32>("x")?);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads);
        self
    }
    /// Sets where the call's passes run. [`Backend::Gpu`] without a GPU adapter makes the
    /// call an [`Error::BackendUnavailable`].
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0, 3.0]))])?;
    /// let twice = || [(col("x") * lit(2.0)).alias("y")];
    /// let cpu = df.select_with(twice(), &ExecOptions::new().backend(Backend::Cpu))?;
    /// assert_eq!(cpu.values::<f32>("y")?, [2.0, 4.0, 6.0]);
    /// match df.select_with(twice(), &ExecOptions::new().backend(Backend::Gpu)) {
    ///     Ok(gpu) => assert_eq!(gpu.values::<f32>("y")?, [2.0, 4.0, 6.0]),
    ///     Err(e) => assert!(matches!(e, Error::BackendUnavailable(_))), // no GPU here
    /// }
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = Some(backend);
        self
    }

    /// The backend to use: the option, else `SWATH_BACKEND`, else [`Backend::Auto`].
    ///
    /// Errors: [`Error::InvalidSetting`] when the option is unset and `SWATH_BACKEND` is not
    /// a backend.
    ///
    /// ```
    /// use swath::{Backend, ExecOptions};
    /// let o = ExecOptions::new().backend(Backend::Cpu1);
    /// assert_eq!(o.resolved_backend()?, Backend::Cpu1);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn resolved_backend(&self) -> Result<Backend> {
        match self.backend {
            Some(b) => Ok(b),
            None => Ok(env().backend.clone()?.unwrap_or_default()),
        }
    }

    /// The instruction set to use: the option, else `SWATH_ISA`, else the best detected.
    ///
    /// Errors: [`Error::InvalidSetting`] when that level is not supported by this CPU (or
    /// `SWATH_ISA` does not parse).
    ///
    /// ```
    /// use swath::{ExecOptions, Isa};
    /// assert_eq!(ExecOptions::new().isa(Isa::Base).resolved_isa()?, Isa::Base);
    /// if !Isa::Avx512.is_supported() {
    ///     assert!(ExecOptions::new().isa(Isa::Avx512).resolved_isa().is_err());
    /// }
    /// # Ok::<(), swath::Error>(())
    /// ```
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
    ///
    /// Errors: [`Error::InvalidSetting`] for 0 threads or more than [`MAX_THREADS`] (or a
    /// `SWATH_THREADS` that is not a number).
    ///
    /// ```
    /// use swath::ExecOptions;
    /// assert_eq!(ExecOptions::new().threads(3).resolved_threads()?, 3);
    /// assert!(ExecOptions::new().threads(0).resolved_threads().is_err());
    /// assert!(ExecOptions::new().threads(60_000).resolved_threads().is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn resolved_threads(&self) -> Result<usize> {
        let threads = match self.threads {
            Some(t) => t,
            None => env().threads.clone()?.unwrap_or(env().cores),
        };
        if threads == 0 || threads > MAX_THREADS {
            return Err(Error::InvalidSetting {
                setting: "threads".into(),
                message: format!("must be from 1 to {MAX_THREADS}, not {threads}"),
            });
        }
        Ok(threads)
    }
}

/// The most threads a pool may have: more than the largest machines' hardware threads, and
/// far below what would exhaust a process's threads (each pool is kept for reuse).
pub const MAX_THREADS: usize = 1024;

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
