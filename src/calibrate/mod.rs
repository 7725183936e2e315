//! The calibration: the cost model's constants measured on this machine by short probes
//! (`measure.rs`) that run swath's own kernels on each backend directly. Above the backends
//! and the pure cost model, below the execution layer that reads it (ARCHITECTURE.md,
//! "Layers").
//!
//! The calibration is measured once per machine and kept on disk, under
//! `$SWATH_CACHE_DIR`, else `$XDG_CACHE_HOME/swath`, else `~/.cache/swath`. A file that does
//! not parse or was measured on other hardware (another fingerprint) is measured again and
//! replaced, never trusted; a cache that cannot be written is only logged.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

mod measure;

pub use measure::{gpu_identity, measure, measure_gpu};

use crate::cost::{Calibration, Costs, GpuCosts, fingerprint};
use crate::error::Result;

/// This machine's calibrated constants, as the chooser reads them (the GPU's measured when
/// first asked for).
pub fn costs() -> Result<Costs> {
    Ok(Costs {
        cpu: &calibration()?.cpu,
        gpu: gpu_costs,
    })
}

const FILE_NAME: &str = "calibration.json";

/// Where the calibration is cached, if there is anywhere to cache it: `calibration.json` in
/// `$SWATH_CACHE_DIR`, else `$XDG_CACHE_HOME/swath`, else `~/.cache/swath`.
pub fn cache_path() -> Option<PathBuf> {
    let var = |name: &str| {
        std::env::var_os(name)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let dir = var("SWATH_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("swath")))
        .or_else(|| var("HOME").map(|d| d.join(".cache").join("swath")))?;
    Some(dir.join(FILE_NAME))
}

/// The GPU's figures for the adapter in use, measured (and added to the cache) the first time
/// they are needed; `None` without a GPU. Only passes big enough that a GPU could win ask, so
/// small programs never start the GPU.
///
/// Starting a GPU context costs time and memory (a software adapter's compiler alone is
/// ~200 MB), so a cache that says "no GPU" or "a software GPU" is believed without starting
/// one; a cached hardware GPU is checked against the adapter present. After changing GPUs,
/// `swath calibrate` looks again.
///
/// Errors: as [`calibration`], or a GPU measurement that fails.
pub fn gpu_costs() -> Result<Option<&'static GpuCosts>> {
    static GPU: OnceLock<Result<Option<GpuCosts>>> = OnceLock::new();
    GPU.get_or_init(|| {
        let cached = calibration()?;
        if cached.gpu_probed && cached.gpu.as_ref().is_none_or(|g| g.software) {
            return Ok(cached.gpu.clone());
        }
        let Some(info) = crate::gpu::adapter_info() else {
            remember_gpu(None);
            return Ok(None);
        };
        let identity = gpu_identity(&info);
        if let Some(g) = cached.gpu.clone().filter(|g| g.adapter == identity) {
            if !cached.gpu_probed {
                remember_gpu(Some(g.clone()));
            }
            return Ok(Some(g));
        }
        log::info!("measuring the GPU ({identity})");
        // A GPU that fails its probes (lost, out of memory) is left out of `auto`'s choices
        // for this process, not cached, and not an error for every later select.
        match measure_gpu() {
            Ok(measured) => {
                remember_gpu(measured.clone());
                Ok(measured)
            }
            Err(e) => {
                log::warn!("the GPU failed its calibration, so auto leaves it out: {e}");
                Ok(None)
            }
        }
    })
    .as_ref()
    .map(Option::as_ref)
    .map_err(Clone::clone)
}

/// Adds the GPU's figures (or their absence) to the cached calibration.
fn remember_gpu(gpu: Option<GpuCosts>) {
    let (Some(path), Ok(c)) = (cache_path(), calibration()) else {
        return;
    };
    let mut c = c.clone();
    c.gpu = gpu;
    c.gpu_probed = true;
    save(&c, &path);
}

/// This process's calibration: from the cache when it is valid, else measured (and cached).
/// Computed once per process.
///
/// Errors: a measurement that fails (an invalid `SWATH_THREADS` or `SWATH_ISA`, say).
pub fn calibration() -> Result<&'static Calibration> {
    static CALIBRATION: OnceLock<Result<Calibration>> = OnceLock::new();
    CALIBRATION
        .get_or_init(|| match cache_path() {
            Some(path) => load_or_measure(&path),
            None => measure(),
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The calibration cached at `path` if it parses and matches this machine, else a fresh
/// measurement, written to `path`.
pub fn load_or_measure(path: &Path) -> Result<Calibration> {
    match load(path) {
        Ok(c) => Ok(c),
        Err(reason) => {
            log::info!("calibrating swath ({reason})");
            let c = measure()?;
            save(&c, path);
            Ok(c)
        }
    }
}

/// Measures again, the GPU too, and replaces the cache (what `swath calibrate` does).
/// Takes about a second in a release build, longer with a GPU.
pub fn recalibrate() -> Result<Calibration> {
    let mut c = measure()?;
    c.gpu = measure_gpu()?;
    c.gpu_probed = true;
    if let Some(path) = cache_path() {
        save(&c, &path);
    }
    Ok(c)
}

fn load(path: &Path) -> std::result::Result<Calibration, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("no cache at {}: {e}", path.display()))?;
    let c: Calibration = serde_json::from_str(&text)
        .map_err(|e| format!("cache {} is corrupt: {e}", path.display()))?;
    let here = fingerprint();
    if c.fingerprint != here {
        return Err(format!(
            "cache is from other hardware ({}; this is {here})",
            c.fingerprint
        ));
    }
    let cpu = &c.cpu;
    let figures = [
        cpu.call_ns,
        cpu.pool_ns,
        cpu.read_bytes_per_ns,
        cpu.pool_read_bytes_per_ns,
        cpu.cached_read_bytes_per_ns,
        cpu.cheap_op_ns,
        cpu.compiled_op_ns,
        cpu.heavy_op_ns,
        cpu.libm_op_ns,
    ];
    if figures.iter().any(|v| !v.is_finite() || *v < 0.0)
        || cpu.read_bytes_per_ns <= 0.0
        || cpu.cached_read_bytes_per_ns <= 0.0
    {
        return Err(format!("cache {} holds impossible figures", path.display()));
    }
    Ok(c)
}

fn save(c: &Calibration, path: &Path) {
    let write = || -> std::result::Result<(), String> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
        }
        let text = serde_json::to_string_pretty(c).map_err(|e| e.to_string())?;
        // Write then rename, so a concurrent reader never sees half a file.
        let tmp = path.with_extension(format!("json.{}", std::process::id()));
        std::fs::write(&tmp, text).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, path).map_err(|e| e.to_string())
    };
    if let Err(e) = write() {
        log::warn!("cannot cache the calibration at {}: {e}", path.display());
    }
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn costs_example() -> crate::Result<()> {
        let costs = crate::calibrate::costs()?;
        assert!(std::ptr::eq(
            costs.cpu,
            &crate::calibrate::calibration()?.cpu
        ));
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn cache_path_example() {
        if let Some(path) = crate::calibrate::cache_path() {
            assert!(path.ends_with("calibration.json"));
        }
    }

    #[test]
    fn gpu_costs_example() -> crate::Result<()> {
        if let Some(gpu) = crate::calibrate::gpu_costs()? {
            assert!(gpu.roundtrip_ns > 0.0);
            println!("{}: software adapter: {}", gpu.adapter, gpu.software);
        }
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn calibration_example() -> crate::Result<()> {
        let c = crate::calibrate::calibration()?;
        assert_eq!(c.fingerprint, crate::cost::fingerprint()); // never another machine's figures
        assert!(c.cpu.read_bytes_per_ns > 0.0);
        assert!(std::ptr::eq(c, crate::calibrate::calibration()?)); // the same one every time
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn load_or_measure_example() -> crate::Result<()> {
        use crate::calibrate::load_or_measure;
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("calibration.json");
        let fresh = load_or_measure(&path)?; // nothing there yet: measures, then writes it
        assert!(path.exists());
        let cached = load_or_measure(&path)?; // read back
        assert_eq!(cached.fingerprint, fresh.fingerprint);
        assert_eq!(cached.cpu.threads, fresh.cpu.threads);
        std::fs::write(&path, "not json").expect("writable");
        let remeasured = load_or_measure(&path)?; // corrupt: measured again, never trusted
        assert_eq!(remeasured.fingerprint, fresh.fingerprint);
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn recalibrate_example() -> crate::Result<()> {
        // Keep this example away from the real cache: point SWATH_CACHE_DIR elsewhere first.
        let dir = tempfile::tempdir().expect("a temporary directory");
        // SAFETY: no other thread is running yet.
        unsafe { std::env::set_var("SWATH_CACHE_DIR", dir.path()) };
        let c = crate::calibrate::recalibrate()?;
        assert!(c.gpu_probed);
        assert_eq!(c.gpu.is_some(), crate::gpu::adapter_info().is_some());
        assert!(dir.path().join("calibration.json").exists());
        Ok::<(), crate::Error>(())
    }
}
