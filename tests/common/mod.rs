//! Shared support for swath's integration tests:
//!
//! - [`Rng`]: a seeded splitmix64 generator (`SWATH_TEST_SEED` overrides the seed);
//! - random columns full of awkward values (NaN, ±inf, -0.0, huge, subnormal, integer extremes);
//! - [`backends`]: the execution configurations every check runs on;
//! - [`Oracle`]: a plain scalar evaluator of the public [`Expr`] tree. It knows swath's
//!   decided semantics (ARCHITECTURE.md, "Semantics") but shares no code with swath's planner or ops: it walks
//!   the tree itself, tracks dtypes and weak literals itself, and computes integers in i128
//!   and floats in f64 (rounding to f32 after each op whose result is f32). Loops
//!   (`iterate`) it types by the documented rules and runs as a plain `while` per row,
//!   evaluating the body over that one row (reductions in a body still see every row);
//! - [`check_exprs`]: runs expressions through swath on every backend and compares each
//!   result with the oracle.
//!
//! # How the oracle stays exact where it can and honest where it cannot
//!
//! Every float value carries an absolute error bound. Correctly rounded ops (`+ - * /`, `%`,
//! `sqrt`, floor and friends, min/max, casts) on exact inputs give exact results: swath must
//! match them exactly. Math functions (`sin`, `exp`, `pow`, ...) get a few ulps, and
//! reductions an error bound scaled by the sum of magnitudes. Bounds propagate through later
//! ops (by evaluating at the corners of the input intervals). Where a bound makes the result
//! genuinely undecidable (a comparison of two values closer than their error, `floor` across
//! an integer, an overflow that depends on summation order) the value is [`V::Unknown`] and
//! is not compared. Exact values are never unknown, so plain maps are checked bit for bit.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use swath::expr::{LoopOutput, LoopSpec, NullOp};
use swath::ops::{BinaryOp, ReduceOp, UnaryOp};
use swath::prelude::*;

// ---------------------------------------------------------------------------------------------
// Random numbers
// ---------------------------------------------------------------------------------------------

/// The seed every test derives its generator from; `SWATH_TEST_SEED=<u64>` changes it.
pub fn base_seed() -> u64 {
    std::env::var("SWATH_TEST_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0x5EED_5A7A)
}

/// splitmix64: tiny, fast, and good enough for test data.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// A generator for one test: the base seed mixed with the test's name.
    pub fn for_test(name: &str) -> Rng {
        let mut h = base_seed() ^ 0x9E37_79B9_7F4A_7C15;
        for b in name.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01B3);
        }
        Rng(h)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }

    /// Uniform in `lo..=hi`.
    pub fn int_in(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn uniform(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------------------------
// Random data
// ---------------------------------------------------------------------------------------------

/// What kind of values a random column holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// Everything: NaN, ±inf, ±0, huge, subnormal, ties for rounding, integer extremes.
    Wild,
    /// Finite, moderate values (and zeros, ties): what sums and variances are checked on.
    Tame,
    /// Values close to 1, so long products neither overflow nor underflow.
    NearOne,
}

const F64_SPECIALS: [f64; 22] = [
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
    0.0,
    -0.0,
    1e300,
    -1e300,
    f64::MAX,
    f64::MIN,
    f64::MIN_POSITIVE,
    5e-324,
    -5e-324,
    1e-310,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    1.0,
    -1.0,
    9007199254740993.0,
    -4503599627370497.5,
];

const F32_SPECIALS: [f32; 22] = [
    f32::NAN,
    f32::INFINITY,
    f32::NEG_INFINITY,
    0.0,
    -0.0,
    1e30,
    -1e30,
    f32::MAX,
    f32::MIN,
    f32::MIN_POSITIVE,
    1e-45,
    -1e-45,
    1e-40,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    1.0,
    -1.0,
    16777217.0,
    -8388609.5,
];

fn gen_float(rng: &mut Rng, flavor: Flavor, single: bool) -> f64 {
    let max_exp = if single { 37.0 } else { 300.0 };
    match flavor {
        Flavor::Wild => {
            let r = rng.unit();
            if r < 0.10 {
                if single {
                    rng.pick(&F32_SPECIALS) as f64
                } else {
                    rng.pick(&F64_SPECIALS)
                }
            } else if r < 0.35 {
                rng.uniform(-1.0, 1.0)
            } else if r < 0.60 {
                rng.uniform(-100.0, 100.0)
            } else if r < 0.75 {
                rng.int_in(-16, 16) as f64 / 2.0
            } else {
                let sign = if rng.chance(0.5) { -1.0 } else { 1.0 };
                sign * 10f64.powf(rng.uniform(-max_exp, max_exp))
            }
        }
        Flavor::Tame => {
            let r = rng.unit();
            if r < 0.05 {
                rng.pick(&[0.0, -0.0, 0.5, -0.5, 1.0, -1.0, 2.5])
            } else if r < 0.5 {
                rng.uniform(-1.0, 1.0)
            } else {
                rng.uniform(-1000.0, 1000.0)
            }
        }
        Flavor::NearOne => {
            if rng.chance(0.002) {
                rng.pick(&[1.0, -1.0, 0.5, 2.0])
            } else {
                1.0 + rng.uniform(-1e-3, 1e-3)
            }
        }
    }
}

pub fn gen_f64(rng: &mut Rng, len: usize, flavor: Flavor) -> Vec<f64> {
    (0..len).map(|_| gen_float(rng, flavor, false)).collect()
}

pub fn gen_f32(rng: &mut Rng, len: usize, flavor: Flavor) -> Vec<f32> {
    (0..len)
        .map(|_| gen_float(rng, flavor, true) as f32)
        .collect()
}

fn gen_int(rng: &mut Rng, flavor: Flavor, min: i64, max: i64) -> i64 {
    match flavor {
        Flavor::Wild => {
            let r = rng.unit();
            if r < 0.15 {
                let extremes = [min, max, 0, 1, max - 1, min + 1, min.max(-1), min.max(-7)];
                rng.pick(&extremes)
            } else if r < 0.55 {
                rng.int_in(min.max(-10), 10)
            } else {
                // Full range: the raw bits, reduced to the type.
                let bits = rng.next_u64() as i64;
                if min == 0 {
                    bits & max
                } else if max == i32::MAX as i64 {
                    bits as i32 as i64
                } else {
                    bits
                }
            }
        }
        Flavor::Tame => rng.int_in(min.max(-1000), 1000),
        Flavor::NearOne => {
            if rng.chance(0.01) {
                rng.pick(&[2, min.max(-1), 3])
            } else {
                1
            }
        }
    }
}

pub fn gen_column(rng: &mut Rng, dtype: DType, len: usize, flavor: Flavor) -> Column {
    match dtype {
        DType::Categorical => panic!("text columns are tested in tests/text.rs, not here"),
        DType::Bool => {
            let p = if flavor == Flavor::NearOne {
                0.98
            } else {
                rng.pick(&[0.5, 0.1, 0.9])
            };
            Column::from((0..len).map(|_| rng.chance(p)).collect::<Vec<bool>>())
        }
        DType::I32 => Column::from(
            (0..len)
                .map(|_| gen_int(rng, flavor, i32::MIN as i64, i32::MAX as i64) as i32)
                .collect::<Vec<i32>>(),
        ),
        DType::I64 => Column::from(
            (0..len)
                .map(|_| gen_int(rng, flavor, i64::MIN, i64::MAX))
                .collect::<Vec<i64>>(),
        ),
        DType::U32 => Column::from(
            (0..len)
                .map(|_| gen_int(rng, flavor, 0, u32::MAX as i64) as u32)
                .collect::<Vec<u32>>(),
        ),
        DType::F32 => Column::from(gen_f32(rng, len, flavor)),
        DType::F64 => Column::from(gen_f64(rng, len, flavor)),
    }
}

/// A random literal of `dtype` (mostly small values, sometimes an awkward one).
pub fn gen_scalar(rng: &mut Rng, dtype: DType) -> Scalar {
    let small = rng.chance(0.8);
    match dtype {
        DType::Categorical => panic!("text columns are tested in tests/text.rs, not here"),
        DType::Bool => Scalar::Bool(rng.chance(0.5)),
        DType::I32 => Scalar::I32(if small {
            rng.int_in(-5, 5) as i32
        } else {
            rng.pick(&[i32::MIN, i32::MAX, -1, 1000])
        }),
        DType::I64 => Scalar::I64(if small {
            rng.int_in(-5, 5)
        } else {
            rng.pick(&[i64::MIN, i64::MAX, -1, 1 << 40])
        }),
        DType::U32 => Scalar::U32(if small {
            rng.int_in(0, 5) as u32
        } else {
            rng.pick(&[u32::MAX, 1 << 31, 7])
        }),
        DType::F32 => Scalar::F32(if small {
            (rng.int_in(-20, 20) as f32) / 4.0
        } else {
            rng.pick(&F32_SPECIALS)
        }),
        DType::F64 => Scalar::F64(if small {
            (rng.int_in(-20, 20) as f64) / 4.0 + rng.pick(&[0.0, 0.1])
        } else {
            rng.pick(&F64_SPECIALS)
        }),
    }
}

/// The column name [`random_frame`] gives dtype `d` (`copy` 0 or 1: two independent columns).
pub fn cname(d: DType, copy: usize) -> String {
    if copy == 0 {
        d.name().to_string()
    } else {
        format!("{}_{copy}", d.name())
    }
}

/// A frame with `copies` random columns of every dtype, named by [`cname`].
pub fn random_frame(rng: &mut Rng, len: usize, copies: usize, flavor: Flavor) -> Frame {
    let mut cols = Vec::new();
    for copy in 0..copies {
        for d in DType::ALL {
            cols.push((cname(d, copy), gen_column(rng, d, len, flavor)));
        }
    }
    Frame::new(cols).expect("random frame")
}

// ---------------------------------------------------------------------------------------------
// Backends
// ---------------------------------------------------------------------------------------------

/// One configuration every check runs on.
#[derive(Clone, Debug)]
pub struct TestBackend {
    pub name: &'static str,
    pub opts: ExecOptions,
    /// Loosens the oracle's float tolerances for this backend (see [`gpu_tol`]); `None`
    /// keeps the oracle's own.
    pub loosen: Option<fn(Tol) -> Tol>,
    /// Whether the device may flush f32 subnormals to zero (the GPU: WGSL allows it): a row
    /// also passes if it matches the oracle evaluated that way.
    pub may_flush_f32: bool,
}

impl fmt::Display for TestBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// Whether a GPU adapter is usable. Without one: says so on stderr (once per test binary)
/// and returns false, unless `SWATH_REQUIRE_GPU=1`, where it panics.
pub fn gpu_present() -> bool {
    static PRESENT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let present = PRESENT.get_or_init(|| {
        if swath::gpu::available() {
            return Ok(());
        }
        let reason = swath::gpu::unavailable_reason().unwrap_or_default();
        eprintln!("skipping the GPU backend in these tests: no adapter ({reason})");
        Err(reason)
    });
    match present {
        Ok(()) => true,
        Err(reason) if std::env::var("SWATH_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
            panic!("SWATH_REQUIRE_GPU=1 but there is no usable GPU: {reason}")
        }
        Err(_) => false,
    }
}

/// The oracle's tolerances for the GPU backend. Only one is looser than the CPU's, for a
/// stated reason; integers, bools, NaN semantics and the correctly rounded ops stay exact:
///
/// - f32 `pow`: the shader computes `exp2(y * log2(x))` in f32 (WGSL has no wider float on
///   every device, and no f64 transcendentals anywhere), so the rounding of `t = y * log2(x)`
///   (half an ulp of t, plus log2's few ulps times |y|) becomes a relative error of about
///   `ln 2 * |t| * 2^-24` in the result: ~0.7 ulp per unit of |log2(result)|. Measured on
///   lavapipe: 42 ulps at a result of 6.6e22 (|t| = 75). The GPU entry allows 1 ulp per
///   unit of |log2(result)| on top of the usual 4.
///
/// - A product feeding an add or subtract may be fused with it (`a * b + c` in one rounding):
///   NVIDIA's compiler contracts them, as CUDA does by default, and WGSL cannot forbid it.
///   Seen on an H200: `f * 2.5 - 1` one ulp off the separately rounded answer.
///
/// Subnormal f32 values may also be flushed to zero (checked by a second oracle, see
/// [`Tol::flush_f32_subnormals`]).
///
/// Everything else keeps the CPU's bounds: the one-argument f32 functions are Cephes' within
/// 4 ulps of libm (`tests/gpu_accuracy.rs`), subnormal arguments of the logarithms are taken
/// apart by their bits (no flush), and f32 sums (grid-stride f32 per thread, per-workgroup
/// partials combined in f64) stay inside the oracle's 1e-5 times the sum of magnitudes.
pub fn gpu_tol(base: Tol) -> Tol {
    Tol {
        // exp2(y log2 x) in f32: 0.7824 ** -92.75 (|y log2 x| = 32.8) came out 42 of these
        // units (2^-24 of the result) off on lavapipe, 1.06 per unit of |log2 result|.
        pow_ulps_per_log2_f32: base.pow_ulps_per_log2_f32.max(1.5),
        products_may_fuse: true,
        ..base
    }
}

/// The backends whose results must agree with the oracle: the CPU with one and two threads,
/// and the GPU (`Backend::Gpu`) when an adapter exists (see [`gpu_present`]). The CPU ones
/// are forced: `auto` may send a pass to a fast GPU, whose results follow the GPU's bounds.
pub fn backends() -> Vec<TestBackend> {
    let mut list = vec![
        TestBackend {
            name: "cpu-1-thread",
            opts: ExecOptions::new().backend(Backend::Cpu).threads(1),
            loosen: None,
            may_flush_f32: false,
        },
        TestBackend {
            name: "cpu-2-threads",
            opts: ExecOptions::new().backend(Backend::Cpu).threads(2),
            loosen: None,
            may_flush_f32: false,
        },
    ];
    if gpu_present() {
        list.push(TestBackend {
            name: "gpu",
            opts: ExecOptions::new().backend(Backend::Gpu),
            loosen: Some(gpu_tol),
            may_flush_f32: true,
        });
    }
    list
}

/// Every ISA this machine supports.
pub fn supported_isas() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|i| i.is_supported()).collect()
}

// ---------------------------------------------------------------------------------------------
// The oracle
// ---------------------------------------------------------------------------------------------

/// A float product's values as a device that may skip their rounding sees them: within half
/// an ulp (see [`Tol::products_may_fuse`]).
fn unrounded_product(c: &OCol) -> OCol {
    if !is_float(c.dtype) {
        return c.clone();
    }
    let vals = c
        .vals
        .iter()
        .map(|&v| match v {
            V::F(x, e) if x.is_finite() => V::F(x, e + 0.5 * ulp(c.dtype, x)),
            v => v,
        })
        .collect();
    OCol {
        vals: Arc::new(vals),
        ..c.clone()
    }
}

/// One expected value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum V {
    Null,
    /// Not decidable within the error bounds: not compared.
    Unknown,
    B(bool),
    /// Any integer dtype, already wrapped to its range.
    I(i128),
    /// A float value (f32 values are exactly representable) and an absolute error bound;
    /// a bound of 0 means swath must give exactly this value. A value with a non-zero bound is
    /// always finite.
    F(f64, f64),
}

impl fmt::Display for V {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            V::Null => f.write_str("null"),
            V::Unknown => f.write_str("?"),
            V::B(b) => write!(f, "{b}"),
            V::I(i) => write!(f, "{i}"),
            V::F(x, e) if *e == 0.0 => write!(f, "{x:e}"),
            V::F(x, e) => write!(f, "{x:e}±{e:.3e}"),
        }
    }
}

/// The oracle's result for one expression.
#[derive(Clone, Debug)]
pub struct OCol {
    pub dtype: DType,
    /// A literal, or an op over literals only.
    pub weak: bool,
    /// One value (a literal or reduction), broadcast when mixed with full-length columns.
    pub scalar: bool,
    pub vals: Arc<Vec<V>>,
}

impl OCol {
    #[inline]
    pub fn at(&self, i: usize) -> V {
        if self.scalar {
            self.vals[0]
        } else {
            self.vals[i]
        }
    }
}

/// Tolerances the oracle grants.
#[derive(Clone, Copy, Debug)]
pub struct Tol {
    /// Math functions (sin, exp, pow, ...) whose result is f32.
    pub math_ulps_f32: f64,
    /// Math functions whose result is f64.
    pub math_ulps_f64: f64,
    /// Float sums and means, times the sum of magnitudes: f32 input.
    pub sum_rel_f32: f64,
    /// The same for f64 input (and integer means).
    pub sum_rel_f64: f64,
    /// Variance, times sum(x^2) / (n - ddof).
    pub var_rel: f64,
    /// Extra ulps for an f32 `pow` per unit of |log2(result)| (`exp2(y * log2(x))` carries
    /// the rounding of `y * log2(x)` into the exponent); 0 for a correctly rounded-ish libm.
    pub pow_ulps_per_log2_f32: f64,
    /// Evaluate as a device that flushes f32 subnormals to zero does: every f32 operand and
    /// result that is subnormal counts as a zero of its sign. WGSL allows it and NVIDIA's
    /// Vulkan driver does it (lavapipe does not); see [`gpu_ftz`].
    pub flush_f32_subnormals: bool,
    /// A float product feeding an add or subtract may be fused with it (one rounding, as an
    /// FMA does): GPU compilers contract `a * b + c` (NVIDIA's does; CUDA does by default),
    /// so such a product counts as known within half an ulp.
    pub products_may_fuse: bool,
}

impl Default for Tol {
    fn default() -> Tol {
        Tol {
            math_ulps_f32: 4.0,
            math_ulps_f64: 2.0,
            sum_rel_f32: 1e-5,
            sum_rel_f64: 1e-12,
            var_rel: 1e-10,
            pow_ulps_per_log2_f32: 0.0,
            flush_f32_subnormals: false,
            products_may_fuse: false,
        }
    }
}

/// The scalar evaluator. Build it from a frame, then [`Oracle::eval`] expressions.
pub struct Oracle {
    height: usize,
    columns: HashMap<String, OCol>,
    pub tol: Tol,
}

fn is_float(d: DType) -> bool {
    matches!(d, DType::F32 | DType::F64)
}
fn is_int(d: DType) -> bool {
    matches!(d, DType::I32 | DType::I64 | DType::U32)
}
fn is_num(d: DType) -> bool {
    is_float(d) || is_int(d)
}
fn float_of(d: DType) -> DType {
    if d == DType::F32 {
        DType::F32
    } else {
        DType::F64
    }
}

/// The common type of two strongly typed operands.
pub fn promote(a: DType, b: DType) -> Option<DType> {
    use DType::*;
    if a == b {
        return Some(a);
    }
    if a == Bool || b == Bool {
        return None;
    }
    Some(if a == F64 || b == F64 {
        F64
    } else if a == F32 || b == F32 {
        F32
    } else {
        I64
    })
}

/// The common type of two operands, either of which may be a weak literal.
pub fn common_type(a: DType, a_weak: bool, b: DType, b_weak: bool) -> Option<DType> {
    fn adopt(weak: DType, strong: DType) -> Option<DType> {
        if weak == DType::Bool || strong == DType::Bool {
            return (weak == strong).then_some(DType::Bool);
        }
        if is_float(weak) && is_int(strong) {
            Some(DType::F64)
        } else {
            Some(strong)
        }
    }
    match (a_weak, b_weak) {
        (true, false) => adopt(a, b),
        (false, true) => adopt(b, a),
        _ => promote(a, b),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum UKind {
    Numeric,
    Float,
    Logical,
    Predicate,
    Random,
}

fn ukind(op: UnaryOp) -> UKind {
    use UnaryOp::*;
    match op {
        Neg | Abs | Sign | Floor | Ceil | Round | Trunc => UKind::Numeric,
        Not => UKind::Logical,
        IsNan | IsFinite | IsInf | Signbit => UKind::Predicate,
        Uniform => UKind::Random,
        Sqrt | Cbrt | Exp | Exp2 | Ln | Log2 | Log10 | Log1p | Expm1 | Sin | Cos | Tan | Asin
        | Acos | Atan | Sinh | Cosh | Tanh | Asinh | Acosh | Atanh | Erf | Degrees | Radians => {
            UKind::Float
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum BKind {
    Arith,
    /// Float results: integers are computed as f64 (true division and the math functions).
    FloatMath,
    Compare,
    /// Logical on bools, bitwise on integers.
    Logic,
    /// Integers only.
    Shift,
}

fn bkind(op: BinaryOp) -> BKind {
    use BinaryOp::*;
    match op {
        Add | Sub | Mul | FloorDiv | Rem | Fmod | Minimum | Maximum => BKind::Arith,
        Div | Pow | Atan2 | Hypot | Copysign | Nextafter => BKind::FloatMath,
        Eq | Ne | Lt | Le | Gt | Ge => BKind::Compare,
        And | Or | Xor => BKind::Logic,
        Shl | Shr => BKind::Shift,
    }
}

/// (result dtype) of a reduction over `d`, or why it is refused.
pub fn reduce_dtype(op: ReduceOp, d: DType) -> Result<DType, String> {
    use DType::*;
    Ok(match op {
        ReduceOp::Count | ReduceOp::ArgMin | ReduceOp::ArgMax => I64,
        ReduceOp::Any | ReduceOp::All => {
            if d != Bool {
                return Err(format!("{op:?} needs bool, not {d}"));
            }
            Bool
        }
        ReduceOp::Min | ReduceOp::Max => d,
        ReduceOp::Sum | ReduceOp::Prod => {
            if is_float(d) {
                d
            } else {
                I64
            }
        }
        ReduceOp::Mean | ReduceOp::Var(_) | ReduceOp::Std(_) => float_of(d),
    })
}

/// Wraps an integer to the range of `d` (two's complement, like Rust's `as`).
fn wrap(d: DType, x: i128) -> i128 {
    match d {
        DType::I32 => x as i32 as i128,
        DType::U32 => x as u32 as i128,
        DType::I64 => x as i64 as i128,
        _ => unreachable!("wrap to {d}"),
    }
}

thread_local! {
    /// Set while an oracle with `flush_f32_subnormals` evaluates (see [`Oracle::eval`]).
    static FLUSH_F32: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// `x` as a device that flushes f32 subnormals sees it: a zero of the same sign.
pub fn flush_f32(x: f64) -> f64 {
    if x != 0.0 && x.abs() < f32::MIN_POSITIVE as f64 {
        0.0f64.copysign(x)
    } else {
        x
    }
}

fn round_to(d: DType, x: f64) -> f64 {
    match d {
        DType::F32 if FLUSH_F32.get() => flush_f32(x as f32 as f64),
        DType::F32 => x as f32 as f64,
        _ => x,
    }
}

/// An f32 input value under the current flush mode.
fn f32_input(v: V) -> V {
    match v {
        V::F(x, 0.0) if FLUSH_F32.get() => V::F(flush_f32(x), 0.0),
        v => v,
    }
}

/// The gap between |x| (rounded to `d`) and the next larger value of `d`.
pub fn ulp(d: DType, x: f64) -> f64 {
    if d == DType::F32 {
        let a = (x.abs() as f32).abs();
        if !a.is_finite() || a >= f32::MAX {
            return 2f64.powi(104);
        }
        (f32::from_bits(a.to_bits() + 1) - a) as f64
    } else {
        let a = x.abs();
        if !a.is_finite() || a >= f64::MAX {
            return 2f64.powi(971);
        }
        f64::from_bits(a.to_bits() + 1) - a
    }
}

/// A float result of dtype `d` whose true (unrounded) value is within `err` of `c`.
fn finalize(d: DType, c: f64, err: f64) -> V {
    if c.is_nan() {
        return if err == 0.0 {
            V::F(f64::NAN, 0.0)
        } else {
            V::Unknown
        };
    }
    if err == 0.0 {
        return V::F(round_to(d, c), 0.0);
    }
    if !err.is_finite() {
        return V::Unknown;
    }
    let (lo, hi) = (round_to(d, c - err), round_to(d, c + err));
    if lo == hi && lo.is_infinite() {
        return V::F(lo, 0.0);
    }
    if !lo.is_finite() || !hi.is_finite() || !c.is_finite() {
        return V::Unknown;
    }
    if d == DType::F32 && FLUSH_F32.get() && c.abs() - err < f32::MIN_POSITIVE as f64 {
        // The true value may be subnormal, which the device may give as zero.
        return V::F(round_to(d, c), c.abs() + err + ulp(d, c));
    }
    V::F(round_to(d, c), err + ulp(d, c))
}

fn math_fn(op: UnaryOp) -> fn(f64) -> f64 {
    use UnaryOp::*;
    match op {
        Sqrt => f64::sqrt,
        Cbrt => f64::cbrt,
        Exp => f64::exp,
        Exp2 => f64::exp2,
        Ln => f64::ln,
        Log2 => f64::log2,
        Log10 => f64::log10,
        Log1p => f64::ln_1p,
        Expm1 => f64::exp_m1,
        Sin => f64::sin,
        Cos => f64::cos,
        Tan => f64::tan,
        Asin => f64::asin,
        Acos => f64::acos,
        Atan => f64::atan,
        Sinh => f64::sinh,
        Cosh => f64::cosh,
        Tanh => f64::tanh,
        // std has no erf, and its acosh loses accuracy near 1: the reference libm's.
        Asinh => libm::asinh,
        // C's domain error below 1 (libm's formula gives numbers for x < -1).
        Acosh => |x| if x < 1.0 { f64::NAN } else { libm::acosh(x) },
        Atanh => libm::atanh,
        Erf => libm::erf,
        Degrees => |x| x * (180.0 / std::f64::consts::PI),
        Radians => |x| x * (std::f64::consts::PI / 180.0),
        _ => unreachable!("{op:?} is not a math function"),
    }
}

fn sign_f(x: f64) -> f64 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else {
        x // ±0 keeps itself, NaN stays NaN
    }
}

/// Rust `as` from a float (value given as f64) to an integer dtype: saturating, NaN -> 0.
fn float_to_int(d: DType, x: f64) -> i128 {
    match d {
        DType::I32 => x as i32 as i128,
        DType::I64 => x as i64 as i128,
        DType::U32 => x as u32 as i128,
        _ => unreachable!(),
    }
}

/// Converts a value of dtype `from` to `to` with Rust `as` semantics (promotion and cast).
pub fn conv(v: V, from: DType, to: DType) -> V {
    match v {
        V::Null | V::Unknown => v,
        V::B(b) => match to {
            DType::Bool => V::B(b),
            DType::F32 | DType::F64 => V::F(b as u8 as f64, 0.0),
            _ => V::I(b as i128),
        },
        V::I(x) => match to {
            DType::Bool => V::B(x != 0),
            DType::F32 => V::F(
                if from == DType::U32 {
                    x as u32 as f32 as f64
                } else {
                    x as i64 as f32 as f64
                },
                0.0,
            ),
            DType::F64 => V::F(x as i64 as f64, 0.0),
            _ => V::I(wrap(to, x)),
        },
        V::F(x, e) => match to {
            DType::Bool => {
                if e == 0.0 {
                    V::B(x != 0.0)
                } else if x - e > 0.0 || x + e < 0.0 {
                    V::B(true)
                } else {
                    V::Unknown
                }
            }
            DType::F32 if from == DType::F32 => v,
            DType::F32 => finalize(DType::F32, x, e),
            DType::F64 => V::F(x, e),
            _ => {
                if e == 0.0 {
                    V::I(float_to_int(to, x))
                } else {
                    let (lo, hi) = (float_to_int(to, x - e), float_to_int(to, x + e));
                    if lo == hi { V::I(lo) } else { V::Unknown }
                }
            }
        },
    }
}

fn unary_v(op: UnaryOp, d: DType, v: V, tol: &Tol) -> V {
    use UnaryOp::*;
    match (ukind(op), v) {
        (_, V::Null | V::Unknown) => v,
        (UKind::Logical, V::B(b)) => V::B(!b),
        (UKind::Logical, V::I(x)) => V::I(wrap(d, !x)),
        (UKind::Random, V::I(key)) => V::F(lowbias32_uniform(key as u32), 0.0),
        (UKind::Predicate, V::I(x)) => V::B(match op {
            IsFinite => true,
            Signbit => x < 0,
            _ => false,
        }),
        (UKind::Predicate, V::F(x, e)) => match op {
            IsNan => V::B(x.is_nan()),
            IsFinite => V::B(x.is_finite()),
            IsInf => V::B(x.is_infinite()),
            // The sign bit: an inexact value whose interval holds 0 may have either, and a
            // NaN's sign is not specified (x86 makes invalid results negative NaNs).
            _ if e > 0.0 && x.abs() <= e => V::Unknown,
            _ if x.is_nan() => V::Unknown,
            _ => V::B(x.is_sign_negative()),
        },
        (UKind::Numeric, V::I(x)) => V::I(match op {
            Neg => wrap(d, -x),
            Abs => wrap(d, x.abs()),
            Sign => x.signum(),
            _ => x,
        }),
        (UKind::Numeric, V::F(x, e)) => match op {
            Neg => V::F(-x, e),
            Abs => V::F(x.abs(), e),
            Sign if e == 0.0 => V::F(sign_f(x), 0.0),
            Sign if x - e > 0.0 => V::F(1.0, 0.0),
            Sign if x + e < 0.0 => V::F(-1.0, 0.0),
            Sign => V::Unknown,
            _ => {
                let g: fn(f64) -> f64 = match op {
                    Floor => f64::floor,
                    Ceil => f64::ceil,
                    Round => f64::round_ties_even,
                    _ => f64::trunc,
                };
                if e == 0.0 || g(x - e) == g(x + e) {
                    V::F(g(x), 0.0)
                } else {
                    V::Unknown
                }
            }
        },
        (UKind::Float, V::F(x, e)) => {
            let f = math_fn(op);
            let ulps = if op == Sqrt {
                0.0 // correctly rounded in both precisions
            } else if d == DType::F32 {
                tol.math_ulps_f32
            } else {
                tol.math_ulps_f64
            };
            if e == 0.0 {
                let c = f(x);
                let err = if c.is_finite() && ulps > 0.0 {
                    ulps * ulp(d, c)
                } else {
                    0.0
                };
                return finalize(d, c, err);
            }
            let (lo, c, hi) = (f(x - e), f(x), f(x + e));
            if !(lo.is_finite() && c.is_finite() && hi.is_finite()) {
                return V::Unknown;
            }
            let spread = (lo - c).abs().max((hi - c).abs());
            let prop = match op {
                Sin | Cos => e.min(2.0),
                // An interval as wide as half a period may hide a pole and still look sorted.
                Tan if e >= 1.0 => return V::Unknown,
                Cosh => spread,
                // Monotone everywhere else (tan between its poles): a reversed order means a
                // pole inside the interval.
                _ if (lo <= c && c <= hi) || (lo >= c && c >= hi) => spread,
                _ => return V::Unknown,
            };
            finalize(d, c, prop * (1.0 + 1e-9) + (ulps + 1.0) * ulp(d, c))
        }
        (k, v) => panic!("oracle bug: unary {op:?} ({k:?}) on {v:?} of {d}"),
    }
}

fn int_binary(op: BinaryOp, d: DType, a: i128, b: i128) -> i128 {
    use BinaryOp::*;
    match op {
        Add => wrap(d, a + b),
        Sub => wrap(d, a - b),
        Mul => wrap(d, a * b),
        FloorDiv | Rem | Fmod if b == 0 => 0,
        // Python's rules: // rounds toward -inf, % takes the divisor's sign.
        FloorDiv => wrap(
            d,
            a.div_euclid(b) - i128::from(b < 0 && a.rem_euclid(b) != 0),
        ),
        Rem => wrap(
            d,
            a - b * (a.div_euclid(b) - i128::from(b < 0 && a.rem_euclid(b) != 0)),
        ),
        Fmod => wrap(d, a % b),
        Minimum => a.min(b),
        Maximum => a.max(b),
        And => wrap(d, a & b),
        Or => wrap(d, a | b),
        Xor => wrap(d, a ^ b),
        // numpy: amounts outside [0, width) give 0, or -1 for >> of a negative number.
        Shl | Shr => {
            let width: i128 = if d == DType::I64 { 64 } else { 32 };
            match (op, (0..width).contains(&b)) {
                (Shl, true) => wrap(d, a << b),
                (_, true) => a >> b, // a is in range, so this needs no wrap
                (Shl, false) => 0,
                (_, false) => -i128::from(a < 0),
            }
        }
        _ => unreachable!("int {op:?}"),
    }
}

fn float_binary_exact(op: BinaryOp, x: f64, y: f64) -> f64 {
    use BinaryOp::*;
    match op {
        Add => x + y,
        Sub => x - y,
        Mul => x * y,
        Div => x / y,
        Fmod => x % y,
        // numpy's remainder: the divisor's sign; a zero result takes the divisor's sign too.
        Rem => {
            let m = x % y;
            if m != 0.0 && (m < 0.0) != (y < 0.0) {
                m + y
            } else if m == 0.0 {
                0.0f64.copysign(y)
            } else {
                m
            }
        }
        Pow => x.powf(y),
        Atan2 => x.atan2(y),
        Hypot => libm::hypot(x, y),
        Copysign => x.copysign(y),
        Minimum if x.is_nan() || y.is_nan() => f64::NAN,
        Minimum => x.min(y),
        Maximum if x.is_nan() || y.is_nan() => f64::NAN,
        Maximum => x.max(y),
        _ => unreachable!("float {op:?}"),
    }
}

/// numpy's floor division of two exact values of dtype `d`: floor(x / y), the exact quotient's
/// floor (x / y in f64 is close enough to decide it for f32 operands; for f64 ones a quotient
/// within rounding of an integer is Unknown), with numpy's answers at 0 and the infinities.
fn float_floor_div(d: DType, x: f64, y: f64) -> V {
    if y == 0.0 {
        return V::F(x / y, 0.0);
    }
    if x.is_nan() || y.is_nan() || x.is_infinite() {
        return V::F(f64::NAN, 0.0);
    }
    if y.is_infinite() {
        // fmod(x, ±inf) = x: the quotient is 0 (with the sign of x / y), or -1 if x and y
        // have opposite signs.
        return if x != 0.0 && (x < 0.0) != (y < 0.0) {
            V::F(-1.0, 0.0)
        } else {
            V::F(0.0f64.copysign(x / y), 0.0)
        };
    }
    let q = x / y;
    // A quotient too small for f64 still floors to -1 when x and y have opposite signs.
    if q == 0.0 && x != 0.0 {
        return if (x < 0.0) != (y < 0.0) {
            V::F(-1.0, 0.0)
        } else {
            V::F(0.0, 0.0)
        };
    }
    let f = q.floor();
    if d == DType::F64 {
        let slack = q.abs() * 4.0 * f64::EPSILON;
        if q - f < slack || f + 1.0 - q < slack {
            return V::Unknown;
        }
    }
    if f == 0.0 {
        return V::F(0.0f64.copysign(q), 0.0);
    }
    // numpy computes the quotient in the dtype and rounds it to the nearest integer: past
    // 2^21 (f32) or 2^50 (f64) its rounding may reach half a unit, so the floor may be one off.
    let big = if d == DType::F32 {
        2097152.0
    } else {
        1125899906842624.0
    };
    if f.abs() >= big {
        return finalize(d, f, 1.0f64.max(ulp(d, f)));
    }
    V::F(f, 0.0)
}

/// C's nextafter in the precision of `d`, by the bits.
fn next_after(d: DType, x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        return f64::NAN;
    }
    if x == y {
        return y;
    }
    let up = y > x;
    if d == DType::F32 {
        let x = x as f32;
        if x == 0.0 {
            return f32::from_bits(1).copysign(if up { 1.0 } else { -1.0 }) as f64;
        }
        let b = x.to_bits();
        (if up == (x > 0.0) {
            f32::from_bits(b + 1)
        } else {
            f32::from_bits(b - 1)
        }) as f64
    } else {
        if x == 0.0 {
            return f64::from_bits(1).copysign(if up { 1.0 } else { -1.0 });
        }
        let b = x.to_bits();
        if up == (x > 0.0) {
            f64::from_bits(b + 1)
        } else {
            f64::from_bits(b - 1)
        }
    }
}

fn float_binary(op: BinaryOp, d: DType, x: f64, ex: f64, y: f64, ey: f64, tol: &Tol) -> V {
    use BinaryOp::*;
    // A NaN's sign is not specified, so the sign it lends is not either.
    if op == Copysign && y.is_nan() && !x.is_nan() {
        return V::Unknown;
    }
    if matches!(op, FloorDiv | Nextafter) {
        if ex > 0.0 || ey > 0.0 {
            return V::Unknown; // steps: an inexact operand may land on either side
        }
        return match op {
            FloorDiv => float_floor_div(d, x, y),
            _ => {
                let r = next_after(d, x, y);
                if d == DType::F32
                    && FLUSH_F32.get()
                    && r != 0.0
                    && r.abs() < f32::MIN_POSITIVE as f64
                {
                    return V::F(r, r.abs()); // a subnormal result may be flushed
                }
                V::F(r, 0.0)
            }
        };
    }
    let math = matches!(op, Pow | Atan2 | Hypot);
    let c = float_binary_exact(op, x, y);
    let ulps = match (math, d) {
        (false, _) => 0.0,
        (true, DType::F32) if op == Pow && c.is_finite() && c != 0.0 => {
            tol.math_ulps_f32 + tol.pow_ulps_per_log2_f32 * c.abs().log2().abs()
        }
        (true, DType::F32) => tol.math_ulps_f32,
        (true, _) => tol.math_ulps_f64,
    };
    if ex == 0.0 && ey == 0.0 {
        let err = if c.is_finite() && ulps > 0.0 {
            ulps * ulp(d, c)
        } else {
            0.0
        };
        return finalize(d, c, err);
    }
    // Some input is inexact (and so finite).
    if (x.is_nan() || y.is_nan()) && op != Pow {
        return V::F(f64::NAN, 0.0);
    }
    let (xl, xh, yl, yh) = (x - ex, x + ex, y - ey, y + ey);
    let undecidable = match op {
        Rem | Fmod => true,
        Div => yl <= 0.0 && yh >= 0.0,
        Pow => x.is_nan() || y.is_nan() || (xl <= 0.0 && xh >= 0.0) || (xl < 0.0 && ey > 0.0),
        Atan2 => (xl <= 0.0 && xh >= 0.0) && (yl <= 0.0 || (yh >= 0.0 && ex > 0.0)),
        _ => false,
    };
    if undecidable {
        return V::Unknown;
    }
    let xs: &[f64] = if ex > 0.0 { &[xl, x, xh] } else { &[x] };
    let ys: &[f64] = if ey > 0.0 { &[yl, y, yh] } else { &[y] };
    let mut spread = 0.0f64;
    let mut all_same = true;
    let mut all_finite = true;
    for &a in xs {
        for &b in ys {
            let r = float_binary_exact(op, a, b);
            all_same &= r == c || (r.is_nan() && c.is_nan());
            all_finite &= r.is_finite();
            spread = spread.max((r - c).abs());
        }
    }
    if all_same {
        let err = if c.is_finite() && ulps > 0.0 {
            ulps * ulp(d, c)
        } else {
            0.0
        };
        return finalize(d, c, err);
    }
    if !all_finite || !c.is_finite() {
        return V::Unknown;
    }
    finalize(d, c, spread * (1.0 + 1e-9) + (ulps + 1.0) * ulp(d, c))
}

fn compare_v(op: BinaryOp, x: V, y: V) -> V {
    use BinaryOp::*;
    let ord = |o: std::cmp::Ordering| match op {
        Eq => o.is_eq(),
        Ne => o.is_ne(),
        Lt => o.is_lt(),
        Le => o.is_le(),
        Gt => o.is_gt(),
        Ge => o.is_ge(),
        _ => unreachable!(),
    };
    match (x, y) {
        (V::Null, _) | (_, V::Null) => V::Null,
        (V::Unknown, _) | (_, V::Unknown) => V::Unknown,
        (V::B(a), V::B(b)) => V::B(ord(a.cmp(&b))),
        (V::I(a), V::I(b)) => V::B(ord(a.cmp(&b))),
        (V::F(a, ea), V::F(b, eb)) => {
            if ea == 0.0 && eb == 0.0 || a.is_nan() || b.is_nan() {
                return V::B(match op {
                    Eq => a == b,
                    Ne => a != b,
                    Lt => a < b,
                    Le => a <= b,
                    Gt => a > b,
                    _ => a >= b,
                });
            }
            let (al, ah, bl, bh) = (a - ea, a + ea, b - eb, b + eb);
            let sure_lt = ah < bl;
            let sure_gt = al > bh;
            match op {
                Eq if sure_lt || sure_gt => V::B(false),
                Ne if sure_lt || sure_gt => V::B(true),
                Lt | Le if sure_lt => V::B(true),
                Lt | Le if sure_gt => V::B(false),
                Gt | Ge if sure_gt => V::B(true),
                Gt | Ge if sure_lt => V::B(false),
                _ => V::Unknown,
            }
        }
        (x, y) => panic!("oracle bug: compare {x:?} {y:?}"),
    }
}

fn logic_v(op: BinaryOp, x: V, y: V) -> V {
    // Kleene logic: false & null is false, true | null is true, otherwise null wins.
    let (a, b) = match (x, y) {
        (V::Null, V::Null) => return V::Null,
        (V::Null, V::B(v)) | (V::B(v), V::Null) => {
            return match op {
                BinaryOp::And if !v => V::B(false),
                BinaryOp::Or if v => V::B(true),
                _ => V::Null,
            };
        }
        (V::Null, _) | (_, V::Null) => return V::Unknown,
        (V::B(a), V::B(b)) => (Some(a), Some(b)),
        (V::B(a), V::Unknown) => (Some(a), None),
        (V::Unknown, V::B(b)) => (None, Some(b)),
        (V::Unknown, V::Unknown) => return V::Unknown,
        (x, y) => panic!("oracle bug: logic on {x:?} {y:?}"),
    };
    match op {
        BinaryOp::And if a == Some(false) || b == Some(false) => V::B(false),
        BinaryOp::Or if a == Some(true) || b == Some(true) => V::B(true),
        _ => match (a, b) {
            (Some(a), Some(b)) => V::B(match op {
                BinaryOp::And => a && b,
                BinaryOp::Or => a || b,
                _ => a ^ b,
            }),
            _ => V::Unknown,
        },
    }
}

fn binary_v(op: BinaryOp, d: DType, x: V, y: V, tol: &Tol) -> V {
    match bkind(op) {
        BKind::Logic if d == DType::Bool => logic_v(op, x, y),
        BKind::Compare => compare_v(op, x, y),
        BKind::Arith | BKind::FloatMath | BKind::Logic | BKind::Shift => match (x, y) {
            (V::Null, _) | (_, V::Null) => V::Null,
            // Integer division by zero is null (Polars).
            (_, V::I(0)) if matches!(op, BinaryOp::FloorDiv | BinaryOp::Rem | BinaryOp::Fmod) => {
                V::Null
            }
            (V::Unknown, _) | (_, V::Unknown) => V::Unknown,
            (V::I(a), V::I(b)) => V::I(int_binary(op, d, a, b)),
            (V::F(a, ea), V::F(b, eb)) => float_binary(op, d, a, ea, b, eb, tol),
            (x, y) => panic!("oracle bug: {op:?} on {x:?} {y:?} ({d})"),
        },
    }
}

/// Kahan-Babuska-Neumaier summation.
fn neumaier(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        if s.abs() >= x.abs() {
            c += (s - t) + x;
        } else {
            c += (x - t) + s;
        }
        s = t;
    }
    s + c
}

enum FSum {
    /// NaN or an infinity, certain.
    Exact(f64),
    /// True sum within `err` of `center`.
    Approx(f64, f64),
    Unknown,
}

fn float_sum(vals: &[V], d: DType, tol: &Tol) -> FSum {
    let (mut nan, mut pinf, mut ninf) = (false, false, false);
    let (mut abs_sum, mut err_sum) = (0.0f64, 0.0f64);
    for v in vals {
        match *v {
            V::F(x, e) => {
                if x.is_nan() {
                    nan = true;
                } else if x == f64::INFINITY {
                    pinf = true;
                } else if x == f64::NEG_INFINITY {
                    ninf = true;
                } else {
                    abs_sum += x.abs();
                    err_sum += e;
                }
            }
            _ => return FSum::Unknown,
        }
    }
    if nan || (pinf && ninf) {
        return FSum::Exact(f64::NAN);
    }
    let (max, rel) = if d == DType::F32 {
        (f32::MAX as f64, tol.sum_rel_f32)
    } else {
        (f64::MAX, tol.sum_rel_f64)
    };
    let bound = abs_sum * (1.0 + 2.0 * rel) + err_sum;
    if bound.is_nan() || bound >= max {
        return FSum::Unknown; // some order of summation might overflow
    }
    if pinf {
        return FSum::Exact(f64::INFINITY);
    }
    if ninf {
        return FSum::Exact(f64::NEG_INFINITY);
    }
    let s = neumaier(
        vals.iter()
            .map(|v| if let V::F(x, _) = v { *x } else { 0.0 }),
    );
    FSum::Approx(s, rel * abs_sum + err_sum)
}

fn float_prod(vals: &[V], d: DType) -> V {
    // Both float types accumulate in f64 (an f32 product is rounded to f32 once, at the end,
    // by `finalize`), so only f64's range can overflow on the way.
    let (max_exp, min_exp, eps) = (1024.0, -1022.0, f64::EPSILON / 2.0);
    let (mut nan, mut zero, mut inf, mut negatives) = (false, false, false, 0usize);
    let (mut log_hi, mut log_lo, mut rel_in) = (0.0f64, 0.0f64, 0.0f64);
    for v in vals {
        let V::F(x, e) = *v else { return V::Unknown };
        if x.is_nan() {
            nan = true;
            continue;
        }
        if x < 0.0 {
            negatives += 1;
        }
        if x == 0.0 && e == 0.0 {
            zero = true;
        } else if x.is_infinite() {
            inf = true;
        } else {
            let (lo, hi) = (x.abs() - e, x.abs() + e);
            if lo <= 0.0 {
                return V::Unknown;
            }
            if hi > 1.0 {
                log_hi += hi.log2();
            }
            if lo < 1.0 {
                log_lo += lo.log2();
            }
            rel_in += e / x.abs();
        }
    }
    if nan || (zero && inf) {
        return V::F(f64::NAN, 0.0);
    }
    let overflow = log_hi >= max_exp - 1.0;
    let underflow = log_lo <= min_exp + 1.0;
    if zero {
        return if overflow { V::Unknown } else { V::F(0.0, 0.0) };
    }
    if inf {
        let sign = if negatives % 2 == 1 { -1.0 } else { 1.0 };
        return if underflow {
            V::Unknown
        } else {
            V::F(sign * f64::INFINITY, 0.0)
        };
    }
    if overflow || underflow {
        return V::Unknown;
    }
    let p: f64 = vals
        .iter()
        .map(|v| if let V::F(x, _) = v { *x } else { 1.0 })
        .product();
    let n = vals.len() as f64;
    let rel = n * eps * 1.01 + n * f64::EPSILON + rel_in * 1.01;
    if rel == 0.0 || vals.len() <= 1 {
        return finalize(d, p, if rel_in > 0.0 { p.abs() * rel } else { 0.0 });
    }
    finalize(d, p, p.abs() * rel)
}

/// A float reduction that comes out exactly zero may be +0 or -0 (it depends on where the
/// accumulator starts and on the order of terms; not decided): give it a bound of the smallest
/// subnormal so that later ops that tell the zeros apart (`1 / x`, `pow`) are not compared.
fn zero_sign_free(v: V) -> V {
    match v {
        V::F(x, e) if x == 0.0 && e == 0.0 => V::F(0.0, f64::from_bits(1)),
        v => v,
    }
}

fn reduce_v(op: ReduceOp, d: DType, out: DType, vals: &[V], tol: &Tol) -> V {
    // Reductions skip nulls (Polars): over the valid values only; arg_min/arg_max name the
    // row in the whole column.
    let valid: Vec<usize> = (0..vals.len()).filter(|&i| vals[i] != V::Null).collect();
    let v = if valid.len() == vals.len() {
        reduce_exact(op, d, out, vals, tol)
    } else {
        let kept: Vec<V> = valid.iter().map(|&i| vals[i]).collect();
        match reduce_exact(op, d, out, &kept, tol) {
            V::I(k) if matches!(op, ReduceOp::ArgMin | ReduceOp::ArgMax) => {
                V::I(valid[k as usize] as i128)
            }
            v => v,
        }
    };
    match op {
        ReduceOp::Sum | ReduceOp::Prod | ReduceOp::Mean | ReduceOp::Min | ReduceOp::Max
            if is_float(d) =>
        {
            zero_sign_free(v)
        }
        _ => v,
    }
}

fn reduce_exact(op: ReduceOp, d: DType, out: DType, vals: &[V], tol: &Tol) -> V {
    use ReduceOp::*;
    let n = vals.len();
    // Nulls were taken out by `reduce_v`; an undecidable value makes the result one.
    if vals.iter().any(|v| matches!(v, V::Unknown | V::Null)) {
        return V::Unknown;
    }
    if op == Count {
        return V::I(n as i128);
    }
    if n == 0 {
        return match op {
            Sum if is_float(d) => V::F(0.0, 0.0),
            Sum => V::I(0),
            Prod if is_float(d) => V::F(1.0, 0.0),
            Prod => V::I(1),
            Any => V::B(false),
            All => V::B(true),
            _ => V::Null,
        };
    }
    let int_of = |v: &V| match *v {
        V::I(x) => x,
        V::B(b) => b as i128,
        _ => unreachable!(),
    };
    let bool_of = |v: &V| matches!(v, V::B(true));
    match op {
        Any => V::B(vals.iter().any(bool_of)),
        All => V::B(vals.iter().all(bool_of)),
        Sum if is_float(d) => match float_sum(vals, d, tol) {
            FSum::Exact(x) => V::F(x, 0.0),
            FSum::Approx(c, e) => finalize(d, c, e),
            FSum::Unknown => V::Unknown,
        },
        Sum => V::I(wrap(DType::I64, vals.iter().map(int_of).sum::<i128>())),
        Prod if is_float(d) => float_prod(vals, d),
        Prod => V::I(
            vals.iter()
                .fold(1i64, |acc, v| acc.wrapping_mul(int_of(v) as i64)) as i128,
        ),
        Mean if is_float(d) => match float_sum(vals, d, tol) {
            FSum::Exact(x) => V::F(x, 0.0),
            FSum::Approx(c, e) => finalize(out, c / n as f64, e / n as f64),
            FSum::Unknown => V::Unknown,
        },
        Mean => {
            let s: i128 = vals.iter().map(int_of).sum();
            let abs: f64 = vals.iter().map(|v| int_of(v).abs() as f64).sum();
            finalize(
                DType::F64,
                s as f64 / n as f64,
                tol.sum_rel_f64 * abs / n as f64,
            )
        }
        Min | Max if d == DType::Bool => V::B(if op == Min {
            vals.iter().all(bool_of)
        } else {
            vals.iter().any(bool_of)
        }),
        Min | Max if is_int(d) => {
            let it = vals.iter().map(int_of);
            V::I(if op == Min {
                it.min().unwrap()
            } else {
                it.max().unwrap()
            })
        }
        Min | Max => {
            let mut best = f64::NAN;
            let mut err = 0.0f64;
            for v in vals {
                let V::F(x, e) = *v else { unreachable!() };
                if x.is_nan() {
                    return V::F(f64::NAN, 0.0);
                }
                err = err.max(e);
                if best.is_nan() || (op == Min && x < best) || (op == Max && x > best) {
                    best = x;
                }
            }
            if best.is_infinite() {
                V::F(best, 0.0)
            } else {
                V::F(best, err)
            }
        }
        ArgMin | ArgMax => arg_extreme(op == ArgMin, vals),
        Var(ddof) | Std(ddof) => {
            let xs: Vec<(f64, f64)> = vals
                .iter()
                .map(|v| match *v {
                    V::F(x, e) => (x, e),
                    V::I(x) => ((x as i64) as f64, 0.0),
                    V::B(b) => (b as u8 as f64, 0.0),
                    _ => unreachable!(),
                })
                .collect();
            if xs.iter().any(|(x, _)| !x.is_finite()) || n <= ddof as usize {
                return V::F(f64::NAN, 0.0);
            }
            let denom = (n - ddof as usize) as f64;
            let sum_sq: f64 = xs.iter().map(|(x, _)| x * x).sum();
            if !sum_sq.is_finite() {
                return V::Unknown;
            }
            let mean = neumaier(xs.iter().map(|p| p.0)) / n as f64;
            let ss = neumaier(xs.iter().map(|(x, _)| (x - mean) * (x - mean)));
            let e2: f64 = xs.iter().map(|(_, e)| e * e).sum();
            let var = ss / denom;
            let err = tol.var_rel * sum_sq / denom + (2.0 * (ss * e2).sqrt() + e2) / denom;
            if matches!(op, Var(_)) {
                finalize(out, var, err)
            } else {
                let s = var.sqrt();
                let es = (var + err).sqrt() - (var - err).max(0.0).sqrt();
                finalize(out, s, es)
            }
        }
        Count => unreachable!(),
    }
}

fn arg_extreme(min: bool, vals: &[V]) -> V {
    // Map everything onto (value, err) in f64; NaN wins at its first occurrence.
    let xs: Vec<(f64, f64)> = vals
        .iter()
        .map(|v| match *v {
            V::F(x, e) => (x, e),
            V::I(x) => (x as f64, 0.0),
            V::B(b) => (b as u8 as f64, 0.0),
            _ => unreachable!(),
        })
        .collect();
    if let Some(i) = xs.iter().position(|(x, _)| x.is_nan()) {
        return V::I(i as i128);
    }
    // Integers: compare exactly (i64 values do not all fit f64).
    if let V::I(_) = vals[0] {
        let ints: Vec<i128> = vals
            .iter()
            .map(|v| if let V::I(x) = v { *x } else { 0 })
            .collect();
        let mut best = 0;
        for (i, x) in ints.iter().enumerate() {
            if (min && *x < ints[best]) || (!min && *x > ints[best]) {
                best = i;
            }
        }
        return V::I(best as i128);
    }
    let better = |a: f64, b: f64| if min { a < b } else { a > b };
    let mut best = 0;
    for (i, (x, _)) in xs.iter().enumerate() {
        if better(*x, xs[best].0) {
            best = i;
        }
    }
    if xs.iter().all(|(_, e)| *e == 0.0) {
        return V::I(best as i128);
    }
    // Inexact: the winner must be separated from every other candidate.
    let (bx, be) = xs[best];
    let sign = if min { 1.0 } else { -1.0 };
    for (j, (x, e)) in xs.iter().enumerate() {
        if j == best {
            continue;
        }
        // distance by which x_j is "worse" than the winner, for sure
        let margin = sign * (x - bx) - e - be;
        let ok = if j < best {
            margin > 0.0
        } else {
            margin >= 0.0
        };
        if !ok {
            return V::Unknown;
        }
    }
    V::I(best as i128)
}

fn scalar_to_v(s: &Scalar) -> Option<(DType, V)> {
    Some(match *s {
        Scalar::Null => return None,
        Scalar::Bool(b) => (DType::Bool, V::B(b)),
        Scalar::I32(x) => (DType::I32, V::I(x as i128)),
        Scalar::I64(x) => (DType::I64, V::I(x as i128)),
        Scalar::U32(x) => (DType::U32, V::I(x as i128)),
        Scalar::F32(x) => (DType::F32, V::F(x as f64, 0.0)),
        Scalar::F64(x) => (DType::F64, V::F(x, 0.0)),
    })
}

/// Reads a swath column into oracle values (nulls included).
pub fn column_values(c: &Column) -> Vec<V> {
    if c.null_count() > 0 {
        return (0..c.len())
            .map(|i| match c.get(i).expect("row in range") {
                Scalar::Null => V::Null,
                s => scalar_to_v(&s).unwrap().1,
            })
            .collect();
    }
    match c.dtype() {
        DType::Categorical => panic!("text columns are tested in tests/text.rs, not here"),
        DType::Bool => c
            .as_slice::<bool>()
            .unwrap()
            .iter()
            .map(|&b| V::B(b))
            .collect(),
        DType::I32 => c
            .as_slice::<i32>()
            .unwrap()
            .iter()
            .map(|&x| V::I(x as i128))
            .collect(),
        DType::I64 => c
            .as_slice::<i64>()
            .unwrap()
            .iter()
            .map(|&x| V::I(x as i128))
            .collect(),
        DType::U32 => c
            .as_slice::<u32>()
            .unwrap()
            .iter()
            .map(|&x| V::I(x as i128))
            .collect(),
        DType::F32 => c
            .as_slice::<f32>()
            .unwrap()
            .iter()
            .map(|&x| V::F(x as f64, 0.0))
            .collect(),
        DType::F64 => c
            .as_slice::<f64>()
            .unwrap()
            .iter()
            .map(|&x| V::F(x, 0.0))
            .collect(),
    }
}

impl Oracle {
    pub fn new(frame: &Frame) -> Oracle {
        let columns = frame
            .columns()
            .map(|(name, c)| {
                let col = OCol {
                    dtype: c.dtype(),
                    weak: false,
                    scalar: false,
                    vals: Arc::new(column_values(c)),
                };
                (name.to_string(), col)
            })
            .collect();
        Oracle {
            height: frame.height(),
            columns,
            tol: Tol::default(),
        }
    }

    pub fn height(&self) -> usize {
        self.height
    }

    /// The same oracle with other tolerances (the columns are shared, not copied).
    pub fn with_tol(&self, tol: Tol) -> Oracle {
        Oracle {
            height: self.height,
            columns: self.columns.clone(),
            tol,
        }
    }

    fn out_len(&self, cols: &[&OCol]) -> (bool, usize) {
        let scalar = cols.iter().all(|c| c.scalar);
        (scalar, if scalar { 1 } else { self.height })
    }

    /// The expected result of `e`, or why swath must refuse it.
    pub fn eval(&self, e: &Expr) -> Result<OCol, String> {
        /// Restores the flush flag however `ev` returns.
        struct Restore(bool);
        impl Drop for Restore {
            fn drop(&mut self) {
                FLUSH_F32.set(self.0);
            }
        }
        let _restore = Restore(FLUSH_F32.replace(self.tol.flush_f32_subnormals));
        let reductions = RefCell::new(HashMap::new());
        let cx = Cx {
            mode: Mode::Full,
            scope: None,
            reductions: &reductions,
        };
        self.ev(e, cx)
    }

    /// `e` evaluated where `cx` says: every row, one row (inside a loop), or types only.
    fn ev(&self, e: &Expr, cx: Cx<'_>) -> Result<OCol, String> {
        let tol = &self.tol;
        Ok(match e {
            Expr::Column(name) => {
                let c = self
                    .columns
                    .get(name)
                    .ok_or_else(|| format!("no column `{name}`"))?;
                let flush = c.dtype == DType::F32 && FLUSH_F32.get();
                match cx.mode {
                    Mode::Full if flush => OCol {
                        vals: Arc::new(c.vals.iter().map(|&v| f32_input(v)).collect()),
                        ..c.clone()
                    },
                    Mode::Full => c.clone(),
                    Mode::Row(i) if flush => one(c.dtype, false, f32_input(c.vals[i])),
                    Mode::Row(i) => one(c.dtype, false, c.vals[i]),
                    Mode::Types => one(c.dtype, false, V::Unknown),
                }
            }
            Expr::Literal(s) => {
                let (dtype, v) = scalar_to_v(s).ok_or("a null literal has no type")?;
                let v = if dtype == DType::F32 { f32_input(v) } else { v };
                OCol {
                    dtype,
                    weak: true,
                    scalar: true,
                    vals: Arc::new(vec![v]),
                }
            }
            Expr::Alias(a, _) => self.ev(a, cx)?,
            Expr::LoopState(name) => {
                let mut scope = cx.scope;
                loop {
                    let Some(s) = scope else {
                        return Err(format!("no enclosing loop has a state named `{name}`"));
                    };
                    if let Some(k) = s.spec.states.iter().position(|t| &t.name == name) {
                        break s.states[k].clone();
                    }
                    scope = s.outer;
                }
            }
            Expr::Loop(spec, output) => self.eval_loop(spec, output, cx)?,
            Expr::RowIndex => {
                let index = |i: usize| V::I(i as i128 % (1i128 << 32));
                match cx.mode {
                    Mode::Full => OCol {
                        dtype: DType::U32,
                        weak: false,
                        scalar: false,
                        vals: Arc::new((0..self.height).map(index).collect()),
                    },
                    Mode::Row(i) => one(DType::U32, false, index(i)),
                    Mode::Types => one(DType::U32, false, V::Unknown),
                }
            }
            Expr::Unary(op, a) => {
                let a = self.ev(a, cx)?;
                let kind = ukind(*op);
                let ok = match kind {
                    UKind::Logical => a.dtype == DType::Bool || is_int(a.dtype),
                    UKind::Random => matches!(a.dtype, DType::I32 | DType::I64 | DType::U32),
                    _ => is_num(a.dtype),
                };
                if !ok {
                    return Err(format!("{op:?} does not take {}", a.dtype));
                }
                let (work, out) = match kind {
                    UKind::Float => (float_of(a.dtype), float_of(a.dtype)),
                    UKind::Predicate => (a.dtype, DType::Bool),
                    UKind::Random => (DType::U32, DType::F32),
                    _ => (a.dtype, a.dtype),
                };
                let (scalar, len) = self.out_len(&[&a]);
                let vals = (0..len)
                    .map(|i| unary_v(*op, work, conv(a.at(i), a.dtype, work), tol))
                    .collect();
                OCol {
                    dtype: out,
                    weak: a.weak,
                    scalar,
                    vals: Arc::new(vals),
                }
            }
            Expr::Binary(op, a_expr, b_expr) => {
                let (mut a, mut b) = (self.ev(a_expr, cx)?, self.ev(b_expr, cx)?);
                if tol.products_may_fuse && matches!(op, BinaryOp::Add | BinaryOp::Sub) {
                    for (child, col) in [(a_expr, &mut a), (b_expr, &mut b)] {
                        if matches!(**child, Expr::Binary(BinaryOp::Mul, ..)) {
                            *col = unrounded_product(col);
                        }
                    }
                }
                let kind = bkind(*op);
                // numpy: a bool in arithmetic with a number is 0 or 1 of the number's type.
                let numeric_op = matches!(kind, BKind::Arith | BKind::FloatMath | BKind::Shift);
                let common = match (a.dtype, b.dtype) {
                    (DType::Bool, o) if numeric_op && is_num(o) => {
                        Some(if b.weak && is_int(o) && !a.weak {
                            DType::I64
                        } else {
                            o
                        })
                    }
                    (o, DType::Bool) if numeric_op && is_num(o) => {
                        Some(if a.weak && is_int(o) && !b.weak {
                            DType::I64
                        } else {
                            o
                        })
                    }
                    _ => common_type(a.dtype, a.weak, b.dtype, b.weak),
                }
                .ok_or_else(|| format!("{op:?} cannot mix {} and {}", a.dtype, b.dtype))?;
                let ok = match kind {
                    BKind::Arith | BKind::FloatMath => is_num(common),
                    BKind::Compare => true,
                    BKind::Logic => common == DType::Bool || is_int(common),
                    BKind::Shift => is_int(common),
                };
                if !ok {
                    return Err(format!("{op:?} does not take {common}"));
                }
                let work = if kind == BKind::FloatMath {
                    float_of(common)
                } else {
                    common
                };
                let out = match kind {
                    BKind::Compare => DType::Bool,
                    _ => work,
                };
                // numpy computes `x ** 0.5` as sqrt(x) (NaN at -inf, where C's pow gives inf).
                let half = *op == BinaryOp::Pow
                    && matches!(**b_expr, Expr::Literal(Scalar::F32(_) | Scalar::F64(_)))
                    && matches!(**b_expr, Expr::Literal(h) if h.as_f64() == Some(0.5));
                let (scalar, len) = self.out_len(&[&a, &b]);
                let vals = (0..len)
                    .map(|i| {
                        let x = conv(a.at(i), a.dtype, work);
                        if half {
                            return unary_v(UnaryOp::Sqrt, work, x, tol);
                        }
                        let y = conv(b.at(i), b.dtype, work);
                        binary_v(*op, work, x, y, tol)
                    })
                    .collect();
                OCol {
                    dtype: out,
                    weak: a.weak && b.weak,
                    scalar,
                    vals: Arc::new(vals),
                }
            }
            Expr::Select {
                cond,
                then,
                otherwise,
            } => {
                let c = self.ev(cond, cx)?;
                if c.dtype != DType::Bool {
                    return Err(format!("condition is {}, not bool", c.dtype));
                }
                let (a, b) = (self.ev(then, cx)?, self.ev(otherwise, cx)?);
                let common = common_type(a.dtype, a.weak, b.dtype, b.weak)
                    .ok_or_else(|| format!("branches {} and {} do not mix", a.dtype, b.dtype))?;
                let (scalar, len) = self.out_len(&[&c, &a, &b]);
                let vals = (0..len)
                    .map(|i| match c.at(i) {
                        V::B(true) => conv(a.at(i), a.dtype, common),
                        // A null condition counts as false (Polars' `when`).
                        V::B(false) | V::Null => conv(b.at(i), b.dtype, common),
                        _ => V::Unknown,
                    })
                    .collect();
                OCol {
                    dtype: common,
                    weak: a.weak && b.weak,
                    scalar,
                    vals: Arc::new(vals),
                }
            }
            Expr::Cast(to, a) => {
                let a = self.ev(a, cx)?;
                let vals = a.vals.iter().map(|v| conv(*v, a.dtype, *to)).collect();
                OCol {
                    dtype: *to,
                    weak: false,
                    scalar: a.scalar,
                    vals: Arc::new(vals),
                }
            }
            Expr::Nulls(op, a) => self.eval_nulls(*op, a, cx)?,
            Expr::Text(_) => return Err("a text literal only compares with a text column".into()),
            Expr::FillNull(a, b) => {
                let (a, b) = (self.ev(a, cx)?, self.ev(b, cx)?);
                let common = common_type(a.dtype, a.weak, b.dtype, b.weak)
                    .ok_or_else(|| format!("cannot fill {} with {}", a.dtype, b.dtype))?;
                let (scalar, len) = self.out_len(&[&a, &b]);
                let vals = (0..len)
                    .map(|i| match a.at(i) {
                        V::Null => conv(b.at(i), b.dtype, common),
                        v => conv(v, a.dtype, common),
                    })
                    .collect();
                OCol {
                    dtype: common,
                    weak: a.weak && b.weak,
                    scalar,
                    vals: Arc::new(vals),
                }
            }
            Expr::Reduce(op, a) => {
                // A reduction runs over every row of the frame, also inside a loop's body
                // (where it is the same value for every row and step: computed once), and sees
                // no loop state (a state has a value per row and step, not a column).
                let key = e as *const Expr;
                if !matches!(cx.mode, Mode::Types)
                    && let Some(done) = cx.reductions.borrow().get(&key)
                {
                    return Ok(done.clone());
                }
                let whole = Cx {
                    mode: match cx.mode {
                        Mode::Types => Mode::Types,
                        Mode::Full | Mode::Row(_) => Mode::Full,
                    },
                    scope: None,
                    reductions: cx.reductions,
                };
                let a = self.ev(a, whole)?;
                let out = reduce_dtype(*op, a.dtype)?;
                let vals: &[V] = if a.scalar { &a.vals[..1] } else { &a.vals[..] };
                let v = reduce_v(*op, a.dtype, out, vals, tol);
                let result = one(out, false, v);
                if !matches!(cx.mode, Mode::Types) {
                    cx.reductions.borrow_mut().insert(key, result.clone());
                }
                result
            }
        })
    }

    /// `is_null`, `is_not_null`, `null_count`, `len` and `n_unique` of `a`.
    fn eval_nulls(&self, op: NullOp, a: &Expr, cx: Cx<'_>) -> Result<OCol, String> {
        let whole = Cx {
            mode: match cx.mode {
                Mode::Types => Mode::Types,
                Mode::Full | Mode::Row(_) => Mode::Full,
            },
            scope: None,
            reductions: cx.reductions,
        };
        let types_only = matches!(cx.mode, Mode::Types);
        Ok(match op {
            NullOp::IsNull | NullOp::IsNotNull => {
                let a = self.ev(a, cx)?;
                let vals = a
                    .vals
                    .iter()
                    .map(|v| match v {
                        V::Unknown => V::Unknown,
                        v => V::B((*v == V::Null) == (op == NullOp::IsNull)),
                    })
                    .collect();
                OCol {
                    dtype: DType::Bool,
                    weak: false,
                    scalar: a.scalar,
                    vals: Arc::new(vals),
                }
            }
            NullOp::NullCount | NullOp::Len => {
                let a = self.ev(a, whole)?;
                let vals: &[V] = if a.scalar { &a.vals[..1] } else { &a.vals[..] };
                let v = match op {
                    _ if types_only => V::Unknown,
                    NullOp::Len => V::I(vals.len() as i128),
                    _ => V::I(vals.iter().filter(|v| **v == V::Null).count() as i128),
                };
                one(DType::I64, false, v)
            }
            NullOp::NUnique => {
                let a = self.ev(a, whole)?;
                let vals: &[V] = if a.scalar { &a.vals[..1] } else { &a.vals[..] };
                // Values known only within a bound cannot be told apart: not decided.
                let inexact = vals
                    .iter()
                    .any(|v| matches!(v, V::Unknown) || matches!(v, V::F(_, e) if *e != 0.0));
                let v = if types_only || inexact {
                    V::Unknown
                } else {
                    let keys: std::collections::HashSet<String> = vals
                        .iter()
                        .map(|v| match v {
                            V::F(x, _) if x.is_nan() => "nan".to_string(),
                            V::F(x, _) if *x == 0.0 => "0".to_string(),
                            V::F(x, _) => format!("f{:x}", x.to_bits()),
                            other => format!("{other:?}"),
                        })
                        .collect();
                    V::I(keys.len() as i128)
                };
                one(DType::I64, false, v)
            }
        })
    }

    /// One output of a loop: checks its declarations, types it ([`Oracle::loop_dtypes`]),
    /// then runs it row by row ([`Oracle::run_row`]).
    fn eval_loop(&self, spec: &LoopSpec, output: &LoopOutput, cx: Cx<'_>) -> Result<OCol, String> {
        for (k, s) in spec.states.iter().enumerate() {
            if spec.states[..k].iter().any(|t| t.name == s.name) {
                return Err(format!("loop state `{}` is declared twice", s.name));
            }
            if s.init.is_none() {
                return Err(format!(
                    "loop state `{}` is updated, never declared",
                    s.name
                ));
            }
        }
        // Initial values are computed where the loop is, outside its own states.
        let inits = spec
            .states
            .iter()
            .map(|s| self.ev(s.init.as_ref().expect("checked"), cx))
            .collect::<Result<Vec<OCol>, String>>()?;
        let dtypes = self.loop_dtypes(spec, &inits, cx)?;
        let (out, pick) = match output {
            LoopOutput::Iterations => (DType::U32, None),
            LoopOutput::State(name) => {
                let k = spec
                    .states
                    .iter()
                    .position(|s| &s.name == name)
                    .ok_or_else(|| format!("the loop has no state `{name}`"))?;
                (dtypes[k], Some(k))
            }
        };
        // Runs frame row `i`, whose initial values are at `at` of `inits`.
        let row = |at: usize, i: usize| -> Result<V, String> {
            let start = inits
                .iter()
                .zip(&dtypes)
                .map(|(c, &d)| conv(c.at(at), c.dtype, d))
                .collect();
            let inner = Cx {
                mode: Mode::Row(i),
                ..cx
            };
            let (n, states) = self.run_row(spec, &dtypes, start, inner)?;
            Ok(match pick {
                None => n,
                Some(k) => states[k],
            })
        };
        Ok(match cx.mode {
            Mode::Types => one(out, false, V::Unknown),
            // Inside another loop's body: this row only (the initial values are one value).
            Mode::Row(i) => one(out, false, row(0, i)?),
            // A loop always gives full-length rows, even when every input is one value.
            Mode::Full => OCol {
                dtype: out,
                weak: false,
                scalar: false,
                vals: Arc::new(
                    (0..self.height)
                        .map(|i| row(i, i))
                        .collect::<Result<_, _>>()?,
                ),
            },
        })
    }

    /// The dtypes of a loop's states, from the rules written in `swath::iterate`'s docs:
    ///
    /// 1. a state has its initial value's dtype, except that a weakly typed initial value
    ///    (a literal, or ops over literals only) whose update is strongly typed when the
    ///    weak states are still weak takes the update's dtype;
    /// 2. then, with the states strongly typed, the condition must be bool and every update
    ///    must have its state's dtype, or be weak and adopt it.
    fn loop_dtypes(
        &self,
        spec: &LoopSpec,
        inits: &[OCol],
        cx: Cx<'_>,
    ) -> Result<Vec<DType>, String> {
        let typing = |dtypes: &[DType], weak: &[bool]| Scope {
            spec,
            states: dtypes
                .iter()
                .zip(weak)
                .map(|(&d, &w)| one(d, w, V::Unknown))
                .collect(),
            outer: cx.scope,
        };
        let mut dtypes: Vec<DType> = inits.iter().map(|c| c.dtype).collect();
        let weak: Vec<bool> = inits.iter().map(|c| c.weak).collect();
        if weak.iter().any(|&w| w) {
            let scope = typing(&dtypes, &weak);
            let inner = Cx {
                mode: Mode::Types,
                scope: Some(&scope),
                reductions: cx.reductions,
            };
            let mut adopted = dtypes.clone();
            for (k, s) in spec.states.iter().enumerate() {
                if let Some(u) = &s.update {
                    let u = self.ev(u, inner)?;
                    if weak[k] && !u.weak {
                        adopted[k] = u.dtype;
                    }
                }
            }
            dtypes = adopted;
        }
        let scope = typing(&dtypes, &vec![false; dtypes.len()]);
        let inner = Cx {
            mode: Mode::Types,
            scope: Some(&scope),
            reductions: cx.reductions,
        };
        if let Some(c) = &spec.cond {
            let c = self.ev(c, inner)?;
            if c.dtype != DType::Bool {
                return Err(format!("the loop condition is {}, not bool", c.dtype));
            }
        }
        for (s, &d) in spec.states.iter().zip(&dtypes) {
            if let Some(u) = &s.update {
                let u = self.ev(u, inner)?;
                let fits =
                    u.dtype == d || (u.weak && common_type(u.dtype, true, d, false) == Some(d));
                if !fits {
                    return Err(format!(
                        "loop state `{}` is {d} but its update is {}",
                        s.name, u.dtype
                    ));
                }
            }
        }
        Ok(dtypes)
    }

    /// The loop's semantics for one row, literally: `n = 0; s = start; while n < max_iter
    /// && cond(s) { s = update(s); n += 1 }`, every update computed from the old states.
    /// Gives (n, final states); both unknown once the condition is undecidable.
    fn run_row(
        &self,
        spec: &LoopSpec,
        dtypes: &[DType],
        start: Vec<V>,
        cx: Cx<'_>,
    ) -> Result<(V, Vec<V>), String> {
        let mut s = start;
        let mut n: u32 = 0;
        while n < spec.max_iter {
            let scope = Scope {
                spec,
                states: s
                    .iter()
                    .zip(dtypes)
                    .map(|(&v, &d)| one(d, false, v))
                    .collect(),
                outer: cx.scope,
            };
            let inner = Cx {
                scope: Some(&scope),
                ..cx
            };
            if let Some(c) = &spec.cond {
                match self.ev(c, inner)?.at(0) {
                    V::B(true) => {}
                    V::B(false) => break,
                    _ => return Ok((V::Unknown, vec![V::Unknown; s.len()])),
                }
            }
            let mut next = s.clone();
            for (k, st) in spec.states.iter().enumerate() {
                if let Some(u) = &st.update {
                    let u = self.ev(u, inner)?;
                    next[k] = conv(u.at(0), u.dtype, dtypes[k]);
                }
            }
            s = next;
            n += 1;
        }
        Ok((V::I(n as i128), s))
    }
}

/// Where [`Oracle::ev`] evaluates.
#[derive(Clone, Copy, Debug)]
enum Mode {
    /// Every row of the frame (single values stay single).
    Full,
    /// One row of the frame, inside a loop's body: every result is one value.
    Row(usize),
    /// Types only (a loop's body, typed before it runs): every value is unknown.
    Types,
}

/// The states of the loops around what is being evaluated, innermost first.
struct Scope<'a> {
    spec: &'a LoopSpec,
    /// One single-value column per state of `spec`, in its order.
    states: Vec<OCol>,
    outer: Option<&'a Scope<'a>>,
}

/// What [`Oracle::ev`] evaluates in.
#[derive(Clone, Copy)]
struct Cx<'a> {
    mode: Mode,
    scope: Option<&'a Scope<'a>>,
    /// Reductions computed during this [`Oracle::eval`], by node (they are the same for
    /// every row and step of a loop).
    reductions: &'a RefCell<HashMap<*const Expr, OCol>>,
}

/// A single value.
fn one(dtype: DType, weak: bool, v: V) -> OCol {
    OCol {
        dtype,
        weak,
        scalar: true,
        vals: Arc::new(vec![v]),
    }
}

// ---------------------------------------------------------------------------------------------
// Comparing swath with the oracle
// ---------------------------------------------------------------------------------------------

/// A value swath produced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Got {
    Null,
    B(bool),
    I(i128),
    F(f64),
}

impl fmt::Display for Got {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Got::Null => f.write_str("null"),
            Got::B(b) => write!(f, "{b}"),
            Got::I(i) => write!(f, "{i}"),
            Got::F(x) => write!(f, "{x:e}"),
        }
    }
}

/// Calls `f(row, value)` for every value of a swath column.
pub fn for_each_got(c: &Column, mut f: impl FnMut(usize, Got)) {
    if c.null_count() > 0 {
        for i in 0..c.len() {
            let g = match c.get(i).expect("row in range") {
                Scalar::Null => Got::Null,
                s => match scalar_to_v(&s).unwrap().1 {
                    V::B(b) => Got::B(b),
                    V::I(x) => Got::I(x),
                    V::F(x, _) => Got::F(x),
                    _ => unreachable!(),
                },
            };
            f(i, g);
        }
        return;
    }
    match c.dtype() {
        DType::Categorical => panic!("text columns are tested in tests/text.rs, not here"),
        DType::Bool => c
            .as_slice::<bool>()
            .unwrap()
            .iter()
            .enumerate()
            .for_each(|(i, &x)| f(i, Got::B(x))),
        DType::I32 => c
            .as_slice::<i32>()
            .unwrap()
            .iter()
            .enumerate()
            .for_each(|(i, &x)| f(i, Got::I(x as i128))),
        DType::I64 => c
            .as_slice::<i64>()
            .unwrap()
            .iter()
            .enumerate()
            .for_each(|(i, &x)| f(i, Got::I(x as i128))),
        DType::U32 => c
            .as_slice::<u32>()
            .unwrap()
            .iter()
            .enumerate()
            .for_each(|(i, &x)| f(i, Got::I(x as i128))),
        DType::F32 => c
            .as_slice::<f32>()
            .unwrap()
            .iter()
            .enumerate()
            .for_each(|(i, &x)| f(i, Got::F(x as f64))),
        DType::F64 => c
            .as_slice::<f64>()
            .unwrap()
            .iter()
            .enumerate()
            .for_each(|(i, &x)| f(i, Got::F(x))),
    }
}

/// Whether swath's value is acceptable for the oracle's.
pub fn matches(want: V, got: Got) -> bool {
    match (want, got) {
        (V::Unknown, _) => true,
        (V::Null, Got::Null) => true,
        (V::B(a), Got::B(b)) => a == b,
        (V::I(a), Got::I(b)) => a == b,
        (V::F(v, e), Got::F(s)) => {
            if v.is_nan() {
                s.is_nan()
            } else if e == 0.0 {
                s == v
            } else {
                (s - v).abs() <= e
            }
        }
        _ => false,
    }
}

/// Compares one result column with the oracle's (broadcasting a scalar to `len`). Returns
/// a description of the mismatches, if any.
pub fn compare(got: &Column, want: &OCol, len: usize) -> Result<(), String> {
    compare_either(got, want, None, len)
}

/// [`compare`], where a row may also match `flushed`: the oracle of a device that flushes f32
/// subnormals (then an f32 result is compared as that device reads it, subnormals as zeros).
pub fn compare_either(
    got: &Column,
    want: &OCol,
    flushed: Option<&OCol>,
    len: usize,
) -> Result<(), String> {
    if got.dtype() != want.dtype {
        return Err(format!(
            "dtype {} but the oracle says {}",
            got.dtype(),
            want.dtype
        ));
    }
    if got.len() != len {
        return Err(format!("{} rows, expected {len}", got.len()));
    }
    let mut bad = Vec::new();
    let mut count = 0;
    let f32_out = got.dtype() == DType::F32;
    for_each_got(got, |i, g| {
        let w = want.at(i);
        let flushed_match = || {
            let g = match g {
                Got::F(x) if f32_out => Got::F(flush_f32(x)),
                g => g,
            };
            flushed.is_some_and(|f| matches(f.at(i), g))
        };
        if !matches(w, g) && !flushed_match() {
            count += 1;
            if bad.len() < 4 {
                bad.push((i, w, g));
            }
        }
    });
    if count == 0 {
        return Ok(());
    }
    let rows: Vec<String> = bad
        .iter()
        .map(|(i, w, g)| format!("row {i}: expected {w}, got {g}"))
        .collect();
    Err(format!("{count} of {len} rows differ; {}", rows.join("; ")))
}

/// The inputs of a frame at one row, for failure messages.
pub fn row_context(frame: &Frame, row: usize) -> String {
    frame
        .columns()
        .filter(|(_, c)| row < c.len())
        .map(|(n, c)| {
            format!(
                "{n}={}",
                c.get(row).map(|s| format!("{s:?}")).unwrap_or_default()
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic".into()
    }
}

/// Runs `f`, turning a panic into `Err(message)`.
pub fn no_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(panic_message)
}

/// `frame.select_with(exprs, opts)`, with a panic caught and reported as `Err(Err(message))`.
pub fn try_select(
    frame: &Frame,
    exprs: &[Expr],
    opts: &ExecOptions,
) -> Result<Result<Frame, swath::Error>, String> {
    no_panic(|| frame.select_with(exprs.to_vec(), opts))
}

/// How many expressions go into one select (all fused into as few passes as swath manages).
pub const BATCH: usize = 24;

/// Runs every expression on every backend and compares with the oracle. Valid expressions
/// run in batches (so fusion is exercised); ones the oracle refuses must give `Err`, never a
/// panic. Returns the failures, each naming the backend and the expression.
pub fn check_exprs(frame: &Frame, oracle: &Oracle, exprs: &[Expr]) -> Vec<String> {
    let mut failures = Vec::new();
    let mut good: Vec<(String, Expr, OCol)> = Vec::new();
    for (k, e) in exprs.iter().enumerate() {
        match oracle.eval(e) {
            Ok(want) => good.push((format!("out{k}"), e.clone(), want)),
            Err(why) => {
                for b in backends() {
                    match try_select(frame, std::slice::from_ref(e), &b.opts) {
                        Err(p) => failures.push(format!("[{b}] `{e}` panicked: {p} ({why})")),
                        Ok(Ok(_)) => failures.push(format!(
                            "[{b}] `{e}` gave a result; expected an error: {why}"
                        )),
                        Ok(Err(_)) => {}
                    }
                }
            }
        }
    }
    for b in backends() {
        let tol = b.loosen.map_or(oracle.tol, |loosen| loosen(oracle.tol));
        let mine = oracle.with_tol(tol);
        let flushing = oracle.with_tol(Tol {
            flush_f32_subnormals: true,
            ..tol
        });
        // The same expressions, with this backend's tolerances (and, for a device that may
        // flush f32 subnormals, the oracle of that device as a second acceptable answer).
        let wants: Vec<Want> = good
            .iter()
            .map(|(n, e, want)| Want {
                name: n.clone(),
                expr: e.clone(),
                want: if b.loosen.is_some() {
                    mine.eval(e).unwrap_or_else(|_| want.clone())
                } else {
                    want.clone()
                },
                flushed: b.may_flush_f32.then(|| flushing.eval(e).ok()).flatten(),
            })
            .collect();
        for batch in wants.chunks(BATCH) {
            check_batch(frame, batch, &b, &mut failures);
        }
    }
    failures
}

/// One expression to check, with what the oracle accepts.
struct Want {
    name: String,
    expr: Expr,
    want: OCol,
    /// The oracle's answer for a device that flushes f32 subnormals, where that is allowed.
    flushed: Option<OCol>,
}

fn check_batch(frame: &Frame, batch: &[Want], b: &TestBackend, failures: &mut Vec<String>) {
    let all_scalar = batch.iter().all(|g| g.want.scalar);
    let height = if all_scalar { 1 } else { frame.height() };
    let exprs: Vec<Expr> = batch
        .iter()
        .map(|w| w.expr.clone().alias(w.name.as_str()))
        .collect();
    let out = match try_select(frame, &exprs, &b.opts) {
        Ok(Ok(out)) => out,
        other => {
            if batch.len() == 1 {
                let what = match other {
                    Err(p) => format!("panicked: {p}"),
                    Ok(Err(e)) => format!("failed: {e}"),
                    Ok(Ok(_)) => unreachable!(),
                };
                failures.push(format!(
                    "[{b}] `{}` (height {}) {what}; expected {}",
                    batch[0].expr,
                    frame.height(),
                    batch[0].want.dtype
                ));
            } else {
                // The batch itself failing is a failure (each expression may well work alone,
                // as when fusing them is what goes wrong); then find culprits one by one.
                let what = match other {
                    Err(p) => format!("panicked: {p}"),
                    Ok(Err(e)) => format!("failed: {e}"),
                    Ok(Ok(_)) => unreachable!(),
                };
                let texts: Vec<String> = batch.iter().map(|g| format!("`{}`", g.expr)).collect();
                failures.push(format!(
                    "[{b}] a select of {} valid exprs (height {}) {what}: {}",
                    batch.len(),
                    frame.height(),
                    texts.join(", ")
                ));
                for one in batch.chunks(1) {
                    check_batch(frame, one, b, failures);
                }
            }
            return;
        }
    };
    if out.height() != height || out.width() != batch.len() {
        failures.push(format!(
            "[{b}] select of {} exprs gave {}x{}, expected {}x{} (first: `{}`)",
            batch.len(),
            out.height(),
            out.width(),
            height,
            batch.len(),
            batch[0].expr
        ));
        return;
    }
    for Want {
        name,
        expr: e,
        want,
        flushed,
    } in batch
    {
        let got = match out.column(name) {
            Ok(c) => c,
            Err(err) => {
                failures.push(format!("[{b}] `{e}`: output missing: {err}"));
                continue;
            }
        };
        if let Err(msg) = compare_either(got, want, flushed.as_ref(), height) {
            let row = msg
                .split("row ")
                .nth(1)
                .and_then(|s| s.split(':').next())
                .and_then(|s| s.parse::<usize>().ok());
            let context = match row {
                Some(r) if !want.scalar => format!(" [inputs: {}]", row_context(frame, r)),
                _ => String::new(),
            };
            failures.push(format!(
                "[{b}] `{e}` ({} rows, batch of {}): {msg}{context}",
                frame.height(),
                batch.len()
            ));
        }
    }
}

/// Panics with every failure (the first 40) if there are any.
pub fn assert_ok(failures: Vec<String>, what: &str) {
    if failures.is_empty() {
        return;
    }
    let n = failures.len();
    let shown: Vec<String> = failures.into_iter().take(40).collect();
    panic!(
        "{what}: {n} failures (SWATH_TEST_SEED={}):\n  {}",
        base_seed(),
        shown.join("\n  ")
    );
}

/// The `uniform` op's definition (DESIGN: a counter-based generator): Wellons' lowbias32 hash
/// of the key, top 24 bits over 2^24. Written here from the published constants.
fn lowbias32_uniform(key: u32) -> f64 {
    let mut h = key as u64;
    h ^= h >> 16;
    h = (h * 0x7feb352d) & 0xffff_ffff;
    h ^= h >> 15;
    h = (h * 0x846ca68b) & 0xffff_ffff;
    h ^= h >> 16;
    (h >> 8) as f64 / 16_777_216.0
}

// ---------------------------------------------------------------------------------------------
// Nulls
// ---------------------------------------------------------------------------------------------

/// Where a column's nulls are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NullRows {
    None,
    First,
    Last,
    All,
    /// Every third row.
    EveryThird,
    /// Each row with this chance.
    Random(f64),
}

impl NullRows {
    pub const ALL: [NullRows; 7] = [
        NullRows::None,
        NullRows::First,
        NullRows::Last,
        NullRows::All,
        NullRows::EveryThird,
        NullRows::Random(0.05),
        NullRows::Random(0.5),
    ];
    /// Whether row `i` of `len` is null.
    pub fn is_null(self, rng: &mut Rng, i: usize, len: usize) -> bool {
        match self {
            NullRows::None => false,
            NullRows::First => i == 0,
            NullRows::Last => i + 1 == len,
            NullRows::All => true,
            NullRows::EveryThird => i.is_multiple_of(3),
            NullRows::Random(p) => rng.chance(p),
        }
    }
}

/// `c` with nulls at `rows` (built through the public `From<Vec<Option<T>>>`).
pub fn with_nulls(c: &Column, rows: NullRows, rng: &mut Rng) -> Column {
    let len = c.len();
    let mask: Vec<bool> = (0..len).map(|i| rows.is_null(rng, i, len)).collect();
    macro_rules! nullify {
        ($t:ty) => {{
            let vals = c.to_vec::<$t>().expect("column without nulls");
            let opts: Vec<Option<$t>> = vals
                .into_iter()
                .zip(&mask)
                .map(|(v, &null)| (!null).then_some(v))
                .collect();
            Column::from(opts)
        }};
    }
    match c.dtype() {
        DType::Categorical => panic!("text columns are tested in tests/text.rs, not here"),
        DType::Bool => nullify!(bool),
        DType::I32 => nullify!(i32),
        DType::I64 => nullify!(i64),
        DType::U32 => nullify!(u32),
        DType::F32 => nullify!(f32),
        DType::F64 => nullify!(f64),
    }
}

/// [`random_frame`] with nulls: copy `k` of each dtype gets the null pattern
/// `patterns[(k + dtype index) % patterns.len()]`.
pub fn random_null_frame(
    rng: &mut Rng,
    len: usize,
    copies: usize,
    flavor: Flavor,
    patterns: &[NullRows],
) -> Frame {
    let mut cols = Vec::new();
    for copy in 0..copies {
        for (k, d) in DType::ALL.into_iter().enumerate() {
            let c = gen_column(rng, d, len, flavor);
            let rows = patterns[(copy + k) % patterns.len()];
            cols.push((cname(d, copy), with_nulls(&c, rows, rng)));
        }
    }
    Frame::new(cols).expect("random frame")
}

/// [`random_null_frame`] (`copies` of each dtype, the null patterns rotated by `len`) plus a
/// text column `text` of `words`, each row null with chance `null_chance`.
pub fn random_frame_with_text(
    rng: &mut Rng,
    len: usize,
    copies: usize,
    words: &[&str],
    null_chance: f64,
) -> Frame {
    let mut patterns = NullRows::ALL.to_vec();
    patterns.rotate_left(len % NullRows::ALL.len());
    let frame = random_null_frame(rng, len, copies, Flavor::Wild, &patterns);
    let text: Vec<Option<&str>> = (0..len)
        .map(|_| (!rng.chance(null_chance)).then(|| rng.pick(words)))
        .collect();
    let mut columns: Vec<(String, Column)> = frame
        .columns()
        .map(|(n, c)| (n.to_string(), c.clone()))
        .collect();
    columns.push(("text".into(), Column::from(text)));
    Frame::new(columns).expect("random frame")
}

/// A value's identity when counting distinct values or grouping: floats by value (every NaN
/// one key, `-0.0` as `0.0`), everything else by its debug text (null one key).
pub fn value_key(s: Scalar) -> String {
    let float = |x: f64| {
        if x.is_nan() {
            "nan".to_string()
        } else if x == 0.0 {
            "0".to_string()
        } else {
            format!("{:x}", x.to_bits())
        }
    };
    match s {
        Scalar::F32(x) => float(f64::from(x)),
        Scalar::F64(x) => float(x),
        other => format!("{other:?}"),
    }
}
