//! Which instruction set the CPU kernels run with: detected once at run time, or forced with
//! `SWATH_ISA=base|avx2|avx512` (or per call) so tests can cover every path on one machine.
//! A bottom-layer type (ARCHITECTURE.md, "Layers"): options, the cost model and the CPU
//! backend all name it.

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// An instruction-set level for the CPU kernels. Parses from (and prints as) the values
/// `SWATH_ISA` takes: `base`, `avx2`, `avx512`.
///
/// ```
/// use swath::prelude::*;
/// assert_eq!("AVX2".parse::<Isa>()?, Isa::Avx2);
/// assert!("sse9".parse::<Isa>().is_err());
/// assert_eq!(Isa::Avx512.to_string(), "avx512");
/// // Every ISA gives bit-identical results; force the baseline for one call:
/// let df = Frame::new([("x", Column::from(vec![0.1f32, 0.2, 0.3]))])?;
/// let base = df.select_with([col("x").sum()], &ExecOptions::new().isa(Isa::Base))?;
/// let best = df.select_with([col("x").sum()], &ExecOptions::new().isa(Isa::detect()))?;
/// assert_eq!(base.values::<f32>("x")?, best.values::<f32>("x")?);
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Isa {
    /// x86-64 baseline (SSE2) or whatever the target compiles for by default.
    Base,
    /// x86-64-v3: AVX2 and FMA (FMA is enabled but never contracted into, see module docs).
    Avx2,
    /// x86-64-v4: AVX-512 F/BW/DQ/VL.
    Avx512,
}

impl Isa {
    /// Every level, from the baseline up.
    ///
    /// ```
    /// use swath::Isa;
    /// assert_eq!(Isa::ALL, [Isa::Base, Isa::Avx2, Isa::Avx512]);
    /// let here: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.is_supported()).collect();
    /// assert_eq!(here[0], Isa::Base);
    /// ```
    pub const ALL: [Isa; 3] = [Isa::Base, Isa::Avx2, Isa::Avx512];

    /// Whether this machine can run kernels compiled for `self`.
    ///
    /// ```
    /// use swath::Isa;
    /// assert!(Isa::Base.is_supported()); // always
    /// if Isa::Avx512.is_supported() {
    ///     assert!(Isa::Avx2.is_supported()); // AVX-512 implies AVX2 here
    /// }
    /// ```
    pub fn is_supported(self) -> bool {
        // Asked for every pass (the option's ISA is checked each time): detect once.
        static SUPPORTED: std::sync::OnceLock<[bool; 3]> = std::sync::OnceLock::new();
        let supported = SUPPORTED.get_or_init(|| Isa::ALL.map(Isa::detect_support));
        Isa::ALL
            .iter()
            .position(|&isa| isa == self)
            .is_some_and(|i| supported[i])
    }

    /// Whether the CPU has every feature the kernels compiled for `self` use.
    fn detect_support(self) -> bool {
        match self {
            Isa::Base => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                // Every feature the AVX2 evaluator is compiled with (src/cpu/isa.rs): a virtual
                // machine may hide one of them, and running it anyway is undefined behaviour.
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("fma")
                    && std::arch::is_x86_feature_detected!("bmi1")
                    && std::arch::is_x86_feature_detected!("bmi2")
                    && std::arch::is_x86_feature_detected!("lzcnt")
                    && std::arch::is_x86_feature_detected!("popcnt")
            }
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                Isa::Avx2.detect_support()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// The best level this machine supports.
    ///
    /// ```
    /// use swath::Isa;
    /// let best = Isa::detect();
    /// assert!(best.is_supported());
    /// assert!(Isa::ALL.iter().filter(|i| i.is_supported()).all(|&i| i as u8 <= best as u8));
    /// ```
    pub fn detect() -> Isa {
        [Isa::Avx512, Isa::Avx2]
            .into_iter()
            .find(|i| i.is_supported())
            .unwrap_or(Isa::Base)
    }

    /// The lowercase name (`"base"`, `"avx2"`, `"avx512"`), as `Display` prints it.
    ///
    /// ```
    /// use swath::Isa;
    /// assert_eq!(Isa::Base.name(), "base");
    /// assert_eq!(Isa::Avx2.name().parse::<Isa>()?, Isa::Avx2);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Isa::Base => "base",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Isa {
    type Err = Error;
    fn from_str(s: &str) -> Result<Isa> {
        match s.trim().to_ascii_lowercase().as_str() {
            "base" | "baseline" | "scalar" => Ok(Isa::Base),
            "avx2" => Ok(Isa::Avx2),
            "avx512" | "avx-512" => Ok(Isa::Avx512),
            other => Err(Error::InvalidSetting {
                setting: "ISA".into(),
                message: format!("`{other}` is not one of base, avx2, avx512"),
            }),
        }
    }
}
