//! The scalar Rust function of every op, per element type. The CPU kernels call these inside
//! their loops (with the op fixed per loop, so the compiler vectorizes what it can), and the
//! planner calls them to fold constants. Each dtype class (float, signed, unsigned, bool) writes
//! an op once.
//!
//! The math functions (sqrt, exp, hypot ...) are columns of the op table (`table.rs`); what is
//! written here is the structural ops, once per dtype class.
//!
//! Integer semantics (README, "Semantics worth knowing"): arithmetic wraps; `/` is true
//! division (the planner casts integers to f64 first); `//` rounds toward negative infinity and
//! `%` takes the divisor's sign (numpy, Python); `fmod` takes the dividend's sign (C); integer
//! `x // 0`, `x % 0` and `fmod(x, 0)` are 0; shifts by a negative amount or by the width or
//! more give 0 (or -1 for `>>` of a negative signed value), as numpy's do.

use super::{BinaryOp, UnaryOp};
use crate::dtype::{DType, Scalar};

/// An element type swath computes with: `bool`, `i32`, `i64`, `u32`, `f32` and `f64`, each
/// tied to its [`DType`] and carrying the scalar function of every op.
///
/// ```
/// use swath::DType;
/// use swath::ops::elem::Elem;
/// use swath::ops::{BinaryOp, UnaryOp};
/// fn apply<T: Elem>(op: BinaryOp, xs: &[T], y: T) -> Vec<T> {
///     xs.iter().map(|&x| T::binary(op, x, y)).collect()
/// }
/// assert_eq!(apply(BinaryOp::Mul, &[1i32, 2, 3], 10), [10, 20, 30]);
/// assert_eq!(apply(BinaryOp::FloorDiv, &[7i64, -7], 2), [3, -4]); // toward -inf
/// assert_eq!(apply(BinaryOp::Rem, &[7i64, -7], 0), [0, 0]); // integer x % 0 is 0
/// assert_eq!(f64::unary(UnaryOp::Round, 2.5), 2.0); // half to even
/// assert_eq!(<f32 as Elem>::DTYPE, DType::F32);
/// ```
pub trait Elem:
    Copy + Send + Sync + PartialEq + PartialOrd + Default + std::fmt::Debug + 'static
{
    /// The dtype of columns of this type.
    ///
    /// ```
    /// use swath::DType;
    /// use swath::ops::elem::Elem;
    /// assert_eq!(<u32 as Elem>::DTYPE, DType::U32);
    /// assert_eq!(<bool as Elem>::DTYPE, DType::Bool);
    /// ```
    const DTYPE: DType;
    /// Zero (false for bool).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert_eq!(<i64 as Elem>::ZERO, 0);
    /// assert!(!<bool as Elem>::ZERO);
    /// ```
    const ZERO: Self;
    /// One, the identity of products (true for bool).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert_eq!(<f32 as Elem>::ONE, 1.0);
    /// assert!(<bool as Elem>::ONE);
    /// ```
    const ONE: Self;
    /// The identity of addition: -0.0 for floats (so a sum of negative zeros stays -0.0, as
    /// IEEE and numpy give), 0 otherwise.
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// let z = <f64 as Elem>::SUM_IDENTITY;
    /// assert!(z == 0.0 && z.is_sign_negative());
    /// assert_eq!(<i32 as Elem>::SUM_IDENTITY, 0);
    /// ```
    const SUM_IDENTITY: Self;
    /// The identity of `min`: the largest value (+inf for floats).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert_eq!(<f32 as Elem>::MIN_IDENTITY, f32::INFINITY);
    /// assert_eq!(<u32 as Elem>::MIN_IDENTITY, u32::MAX);
    /// ```
    const MIN_IDENTITY: Self;
    /// The identity of `max`: the smallest value (-inf for floats).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert_eq!(<f64 as Elem>::MAX_IDENTITY, f64::NEG_INFINITY);
    /// assert_eq!(<i32 as Elem>::MAX_IDENTITY, i32::MIN);
    /// ```
    const MAX_IDENTITY: Self;

    /// `op` applied to `x`. Only ops whose [signature](UnaryOp::signature) gives this type
    /// back are meaningful (the planner casts first); others return `x` unchanged.
    ///
    /// ```
    /// use swath::ops::UnaryOp;
    /// use swath::ops::elem::Elem;
    /// assert_eq!(f64::unary(UnaryOp::Sqrt, 9.0), 3.0);
    /// assert_eq!(i32::unary(UnaryOp::Neg, i32::MIN), i32::MIN); // wraps
    /// assert_eq!(i64::unary(UnaryOp::Sign, -5), -1);
    /// assert!(bool::unary(UnaryOp::Not, false));
    /// ```
    fn unary(op: UnaryOp, x: Self) -> Self;
    /// `op` over a whole block, where the type has a faster path than `unary` per element
    /// (giving the same bits); returns false where it has none.
    ///
    /// ```
    /// use swath::ops::UnaryOp;
    /// use swath::ops::elem::Elem;
    /// let x = [0.5f32, 1.0, 2.0];
    /// let mut out = [0.0f32; 3];
    /// assert!(f32::unary_block(UnaryOp::Exp, &x, &mut out)); // f32 exp has a block path
    /// assert_eq!(out[1].to_bits(), f32::unary(UnaryOp::Exp, 1.0).to_bits());
    /// let mut ints = [0i32; 3];
    /// assert!(!i32::unary_block(UnaryOp::Abs, &[1, -2, 3], &mut ints)); // none for i32
    /// ```
    #[inline(always)]
    fn unary_block(_op: UnaryOp, _x: &[Self], _out: &mut [Self]) -> bool {
        false
    }
    /// `op` applied to `x` and `y`, for arithmetic, float, bitwise and shift ops (comparisons
    /// are [`Elem::compare`]). Integer arithmetic wraps; integer `x // 0` and `x % 0` are 0.
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// use swath::ops::elem::Elem;
    /// assert_eq!(i32::binary(BinaryOp::Rem, -7, 2), 1); // the divisor's sign
    /// assert_eq!(i32::binary(BinaryOp::Fmod, -7, 2), -1); // the dividend's sign
    /// assert_eq!(f64::binary(BinaryOp::Rem, 7.5, -2.0), -0.5);
    /// assert_eq!(f64::binary(BinaryOp::FloorDiv, -7.0, 2.0), -4.0);
    /// assert_eq!(i64::binary(BinaryOp::Shl, 1, 64), 0); // past the width
    /// assert_eq!(i32::binary(BinaryOp::Shr, -8, 99), -1);
    /// assert_eq!(u32::binary(BinaryOp::Sub, 0, 1), u32::MAX); // wraps
    /// assert_eq!(f64::binary(BinaryOp::Pow, 2.0, 10.0), 1024.0);
    /// assert!(f32::binary(BinaryOp::Minimum, f32::NAN, 1.0).is_nan());
    /// assert!(bool::binary(BinaryOp::Xor, true, false));
    /// ```
    fn binary(op: BinaryOp, x: Self, y: Self) -> Self;
    /// The comparison `op` (`Eq`, `Ne`, `Lt`, `Le`, `Gt`, `Ge`) of `x` and `y`; false for
    /// other ops. Comparisons with NaN are false, except `Ne`.
    ///
    /// ```
    /// use swath::ops::BinaryOp;
    /// use swath::ops::elem::Elem;
    /// assert!(i64::compare(BinaryOp::Le, 3, 3));
    /// assert!(!f64::compare(BinaryOp::Eq, f64::NAN, f64::NAN));
    /// assert!(f64::compare(BinaryOp::Ne, f64::NAN, 1.0));
    /// ```
    fn compare(op: BinaryOp, x: Self, y: Self) -> bool;
    /// The predicate `op` (`IsNan`, `IsFinite`, `IsInf`, `Signbit`) of `x`; false for other
    /// ops.
    ///
    /// ```
    /// use swath::ops::UnaryOp;
    /// use swath::ops::elem::Elem;
    /// assert!(f32::predicate(UnaryOp::IsInf, f32::NEG_INFINITY));
    /// assert!(f64::predicate(UnaryOp::Signbit, -0.0));
    /// assert!(i32::predicate(UnaryOp::Signbit, -3));
    /// assert!(!u32::predicate(UnaryOp::IsNan, 3));
    /// ```
    fn predicate(op: UnaryOp, x: Self) -> bool;
    /// Whether the value is NaN (never, for integers and bools).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert!(Elem::is_nan(f32::NAN));
    /// assert!(!Elem::is_nan(0i32));
    /// ```
    fn is_nan(self) -> bool;
    /// Whether the value is neither NaN nor infinite (always, for integers and bools).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert!(!Elem::is_finite(f64::INFINITY));
    /// assert!(Elem::is_finite(i64::MAX));
    /// ```
    fn is_finite(self) -> bool;
    /// Addition as sums accumulate (wrapping for integers).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert_eq!(Elem::add(i32::MAX, 1), i32::MIN);
    /// assert_eq!(Elem::add(0.5f64, 0.25), 0.75);
    /// assert!(Elem::add(true, false)); // or, for bools
    /// ```
    fn add(self, other: Self) -> Self;
    /// Multiplication as products accumulate (wrapping for integers).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert_eq!(Elem::mul(1u32 << 31, 2u32), 0);
    /// assert_eq!(Elem::mul(1.5f32, 2.0), 3.0);
    /// assert!(!Elem::mul(true, false)); // and, for bools
    /// ```
    fn mul(self, other: Self) -> Self;
    /// The value as f64 (bool as 0 or 1).
    ///
    /// ```
    /// use swath::ops::elem::Elem;
    /// assert_eq!(Elem::to_f64(true), 1.0);
    /// assert_eq!(Elem::to_f64(-3i32), -3.0);
    /// ```
    fn to_f64(self) -> f64;
    /// The value as a [`Scalar`] of its dtype.
    ///
    /// ```
    /// use swath::Scalar;
    /// use swath::ops::elem::Elem;
    /// assert_eq!(Elem::to_scalar(7u32), Scalar::U32(7));
    /// ```
    fn to_scalar(self) -> Scalar;
    /// The value of a [`Scalar`] of exactly this dtype; `None` for other dtypes and null
    /// (no conversion: see [`cast_scalar`] for that).
    ///
    /// ```
    /// use swath::Scalar;
    /// use swath::ops::elem::Elem;
    /// assert_eq!(i64::from_scalar(Scalar::I64(5)), Some(5));
    /// assert_eq!(i64::from_scalar(Scalar::I32(5)), None);
    /// assert_eq!(f32::from_scalar(Scalar::Null), None);
    /// ```
    fn from_scalar(s: Scalar) -> Option<Self>;
}

/// The math functions of one operand, per float type; generated from the op table
/// (`table.rs`), so each math op's scalar function is written once, in its row.
pub trait MathFns: Sized {
    /// The math op `op` of `x` (`x` unchanged for ops that are not math ops).
    fn math_unary(op: UnaryOp, x: Self) -> Self;
}

/// The math functions of two operands, per float type (see [`MathFns`]).
pub trait MathFns2: Sized {
    /// The math op `op` of `x` and `y` (`x` for ops that are not math ops).
    fn math_binary(op: BinaryOp, x: Self, y: Self) -> Self;
}

/// C's `nextafterf`: the next f32 after `x` toward `y` (`y` when they are equal, NaN if
/// either is NaN).
///
/// ```
/// use swath::ops::elem::next_after_f32;
/// assert_eq!(next_after_f32(1.0, 2.0), 1.0 + f32::EPSILON);
/// assert_eq!(next_after_f32(0.0, -1.0), -f32::from_bits(1));
/// assert_eq!(next_after_f32(-0.0, 0.0), 0.0);
/// ```
#[inline(always)]
pub fn next_after_f32(x: f32, y: f32) -> f32 {
    if x.is_nan() || y.is_nan() {
        f32::NAN
    } else if x == y {
        y
    } else if x < y {
        x.next_up()
    } else {
        x.next_down()
    }
}

/// C's `nextafter` for f64 (see [`next_after_f32`]).
///
/// ```
/// use swath::ops::elem::next_after_f64;
/// assert_eq!(next_after_f64(1.0, 0.0), 1.0 - f64::EPSILON / 2.0);
/// ```
#[inline(always)]
pub fn next_after_f64(x: f64, y: f64) -> f64 {
    if x.is_nan() || y.is_nan() {
        f64::NAN
    } else if x == y {
        y
    } else if x < y {
        x.next_up()
    } else {
        x.next_down()
    }
}

/// acosh of f32: libm's, except NaN below 1 (where libm's formula gives finite values for
/// x < -1 instead of C's domain error).
///
/// ```
/// use swath::ops::elem::acosh_f32;
/// assert!(acosh_f32(-80.0).is_nan());
/// assert_eq!(acosh_f32(1.0), 0.0);
/// ```
#[inline(always)]
pub fn acosh_f32(x: f32) -> f32 {
    if x < 1.0 { f32::NAN } else { libm::acoshf(x) }
}

/// acosh of f64 (see [`acosh_f32`]).
///
/// ```
/// use swath::ops::elem::acosh_f64;
/// assert!(acosh_f64(-2.0).is_nan());
/// ```
#[inline(always)]
pub fn acosh_f64(x: f64) -> f64 {
    if x < 1.0 { f64::NAN } else { libm::acosh(x) }
}

/// The `uniform` op: Chris Wellons' "lowbias32" integer hash of `key`, its top 24 bits scaled
/// to [0, 1). Pure 32-bit integer arithmetic, so every backend gives the same bits.
///
/// ```
/// use swath::ops::elem::uniform;
/// let u = uniform(42);
/// assert!((0.0..1.0).contains(&u));
/// assert_eq!(u.to_bits(), uniform(42).to_bits()); // the same key, the same number
/// assert_ne!(uniform(42), uniform(43));
/// assert_eq!(uniform(0), 0.0);
/// ```
#[inline(always)]
pub fn uniform(key: u32) -> f32 {
    let mut h = key;
    h ^= h >> 16;
    h = h.wrapping_mul(0x7feb_352d);
    h ^= h >> 15;
    h = h.wrapping_mul(0x846c_a68b);
    h ^= h >> 16;
    (h >> 8) as f32 * (1.0 / 16_777_216.0)
}

/// The smaller of `x` and `y`, NaN if either is NaN (numpy's `minimum`); `x` when they are
/// equal. Floats' `minimum` and the `min` reduction's combine step use it.
///
/// ```
/// use swath::ops::elem::nan_min;
/// assert_eq!(nan_min(3, -1), -1);
/// assert_eq!(nan_min(2.0f64, 5.0), 2.0);
/// assert!(nan_min(1.0f32, f32::NAN).is_nan());
/// assert!(nan_min(f32::NAN, 1.0).is_nan());
/// ```
#[inline(always)]
pub fn nan_min<T: Elem>(x: T, y: T) -> T {
    if x.is_nan() {
        x
    } else if y.is_nan() || y < x {
        y
    } else {
        x
    }
}

/// The larger of `x` and `y`, NaN if either is NaN (numpy's `maximum`); `x` when they are
/// equal. Floats' `maximum` and the `max` reduction's combine step use it.
///
/// ```
/// use swath::ops::elem::nan_max;
/// assert_eq!(nan_max(3u32, 7), 7);
/// assert_eq!(nan_max(-2.0f64, -5.0), -2.0);
/// assert!(nan_max(f64::NAN, 1.0).is_nan());
/// ```
#[inline(always)]
pub fn nan_max<T: Elem>(x: T, y: T) -> T {
    if x.is_nan() {
        x
    } else if y.is_nan() || y > x {
        y
    } else {
        x
    }
}

#[inline(always)]
fn compare_ord<T: PartialOrd>(op: BinaryOp, x: T, y: T) -> bool {
    match op {
        BinaryOp::Eq => x == y,
        BinaryOp::Ne => x != y,
        BinaryOp::Lt => x < y,
        BinaryOp::Le => x <= y,
        BinaryOp::Gt => x > y,
        BinaryOp::Ge => x >= y,
        _ => false,
    }
}

/// numpy's `divmod` of floats (`npy_divmod`): (`x // y`, `x % y`), the quotient rounded
/// toward negative infinity and the remainder with the divisor's sign, computed from the exact
/// `fmod` so that `x == q * y + r` holds as closely as the type allows. `x // 0` is `x / 0`
/// (±inf or NaN), `x % 0` NaN; a zero remainder takes the divisor's sign.
#[inline(always)]
fn float_divmod<T: Float>(x: T, y: T) -> (T, T) {
    let m = x.fmod(y);
    if y == T::zero() {
        return (x / y, m);
    }
    let mut div = (x - m) / y;
    let mut m = m;
    if m != T::zero() {
        if (y < T::zero()) != (m < T::zero()) {
            m = m + y;
            div = div - T::one();
        }
    } else {
        m = T::zero().copysign(y);
    }
    let q = if div != T::zero() {
        let f = div.floor();
        if div - f > T::half() { f + T::one() } else { f }
    } else {
        T::zero().copysign(x / y)
    };
    (q, m)
}

/// The float operations [`float_divmod`] needs, for f32 and f64.
trait Float:
    Copy
    + PartialOrd
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Div<Output = Self>
{
    fn zero() -> Self;
    fn one() -> Self;
    fn half() -> Self;
    fn fmod(self, y: Self) -> Self;
    fn floor(self) -> Self;
    fn copysign(self, sign: Self) -> Self;
}

macro_rules! float_ops {
    ($($t:ident),*) => {$(
        impl Float for $t {
            #[inline(always)]
            fn zero() -> Self { 0.0 }
            #[inline(always)]
            fn one() -> Self { 1.0 }
            #[inline(always)]
            fn half() -> Self { 0.5 }
            #[inline(always)]
            fn fmod(self, y: Self) -> Self { self % y }
            #[inline(always)]
            fn floor(self) -> Self { $t::floor(self) }
            #[inline(always)]
            fn copysign(self, sign: Self) -> Self { $t::copysign(self, sign) }
        }
    )*};
}
float_ops!(f32, f64);

macro_rules! float_elem {
    ($t:ident, $variant:ident, $block:expr) => {
        impl Elem for $t {
            const DTYPE: DType = DType::$variant;
            const ZERO: Self = 0.0;
            const ONE: Self = 1.0;
            const SUM_IDENTITY: Self = -0.0;
            const MIN_IDENTITY: Self = $t::INFINITY;
            const MAX_IDENTITY: Self = $t::NEG_INFINITY;

            #[inline(always)]
            fn unary(op: UnaryOp, x: Self) -> Self {
                use UnaryOp::*;
                match op {
                    Neg => -x,
                    Abs => x.abs(),
                    // numpy's sign: NaN stays NaN and a zero keeps itself.
                    Sign => {
                        if x > 0.0 {
                            1.0
                        } else if x < 0.0 {
                            -1.0
                        } else {
                            x
                        }
                    }
                    Floor => x.floor(),
                    Ceil => x.ceil(),
                    // numpy and WGSL round half to even.
                    Round => x.round_ties_even(),
                    Trunc => x.trunc(),
                    // The math functions, from their rows of the op table; Not, the predicates
                    // and Uniform never reach a float map (the type rules send them elsewhere).
                    _ => <Self as MathFns>::math_unary(op, x),
                }
            }

            #[inline(always)]
            fn unary_block(op: UnaryOp, x: &[Self], out: &mut [Self]) -> bool {
                $block(op, x, out)
            }

            #[inline(always)]
            fn binary(op: BinaryOp, x: Self, y: Self) -> Self {
                use BinaryOp::*;
                match op {
                    Add => x + y,
                    Sub => x - y,
                    Mul => x * y,
                    Div => x / y,
                    FloorDiv => float_divmod(x, y).0,
                    Rem => float_divmod(x, y).1,
                    Fmod => x % y,
                    Minimum => nan_min(x, y),
                    Maximum => nan_max(x, y),
                    // Comparisons, bitwise ops and shifts never reach floats.
                    Eq | Ne | Lt | Le | Gt | Ge | And | Or | Xor | Shl | Shr => x,
                    _ => <Self as MathFns2>::math_binary(op, x, y),
                }
            }

            #[inline(always)]
            fn compare(op: BinaryOp, x: Self, y: Self) -> bool {
                compare_ord(op, x, y)
            }
            #[inline(always)]
            fn predicate(op: UnaryOp, x: Self) -> bool {
                match op {
                    UnaryOp::IsNan => x.is_nan(),
                    UnaryOp::IsFinite => x.is_finite(),
                    UnaryOp::IsInf => x.is_infinite(),
                    UnaryOp::Signbit => x.is_sign_negative(),
                    _ => false,
                }
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                self != self
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                $t::is_finite(self)
            }
            #[inline(always)]
            fn add(self, other: Self) -> Self {
                self + other
            }
            #[inline(always)]
            fn mul(self, other: Self) -> Self {
                self * other
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn to_scalar(self) -> Scalar {
                Scalar::$variant(self)
            }
            fn from_scalar(s: Scalar) -> Option<Self> {
                match s {
                    Scalar::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}
// f32 exp, ln, sin and cos use the vectorizable polynomials of `fastmath`; f64 uses libm.
float_elem!(f32, F32, super::fastmath::unary_block_f32);
float_elem!(f64, F64, |_, _, _| false);

macro_rules! int_elem {
    ($t:ident, $variant:ident, $signed:expr) => {
        impl Elem for $t {
            const DTYPE: DType = DType::$variant;
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const SUM_IDENTITY: Self = 0;
            const MIN_IDENTITY: Self = $t::MAX;
            const MAX_IDENTITY: Self = $t::MIN;

            #[inline(always)]
            fn unary(op: UnaryOp, x: Self) -> Self {
                use UnaryOp::*;
                match op {
                    Neg => (0 as $t).wrapping_sub(x),
                    Abs if $signed && x < (0 as $t) => (0 as $t).wrapping_sub(x),
                    Sign if x == 0 => 0,
                    Sign if $signed && x < (0 as $t) => (0 as $t).wrapping_sub(1),
                    Sign => 1,
                    // `~x`, numpy's `invert`.
                    Not => !x,
                    // Rounding an integer leaves it; float math never reaches integers (the
                    // type rules cast them to f64 first).
                    _ => x,
                }
            }

            #[inline(always)]
            fn binary(op: BinaryOp, x: Self, y: Self) -> Self {
                use BinaryOp::*;
                match op {
                    Add => x.wrapping_add(y),
                    Sub => x.wrapping_sub(y),
                    Mul => x.wrapping_mul(y),
                    // `/` reaches integers only through constant folding of a hand-built
                    // program (the type rules make it f64); truncating division then.
                    Div | FloorDiv | Rem | Fmod if y == 0 => 0,
                    Div => x.wrapping_div(y),
                    FloorDiv => {
                        let (q, r) = (x.wrapping_div(y), x.wrapping_rem(y));
                        // Round toward negative infinity: one less where the exact quotient
                        // is negative and inexact.
                        if r != 0 && ((r < (0 as $t)) != (y < (0 as $t))) {
                            q.wrapping_sub(1)
                        } else {
                            q
                        }
                    }
                    Rem => {
                        let r = x.wrapping_rem(y);
                        if r != 0 && ((r < (0 as $t)) != (y < (0 as $t))) {
                            r.wrapping_add(y)
                        } else {
                            r
                        }
                    }
                    Fmod => x.wrapping_rem(y),
                    Minimum => x.min(y),
                    Maximum => x.max(y),
                    And => x & y,
                    Or => x | y,
                    Xor => x ^ y,
                    // numpy: a shift by the width or more (or by a negative amount, which
                    // reads as a huge one) gives 0, or -1 for `>>` of a negative value.
                    Shl => match u32::try_from(y) {
                        Ok(s) if s < $t::BITS => x << s,
                        _ => 0,
                    },
                    Shr => match u32::try_from(y) {
                        Ok(s) if s < $t::BITS => x >> s,
                        _ if x < (0 as $t) => (0 as $t).wrapping_sub(1),
                        _ => 0,
                    },
                    _ => x,
                }
            }

            #[inline(always)]
            fn compare(op: BinaryOp, x: Self, y: Self) -> bool {
                compare_ord(op, x, y)
            }
            #[inline(always)]
            fn predicate(op: UnaryOp, x: Self) -> bool {
                match op {
                    UnaryOp::IsFinite => true,
                    UnaryOp::Signbit => x < (0 as $t),
                    _ => false,
                }
            }
            #[inline(always)]
            fn is_nan(self) -> bool {
                false
            }
            #[inline(always)]
            fn is_finite(self) -> bool {
                true
            }
            #[inline(always)]
            fn add(self, other: Self) -> Self {
                self.wrapping_add(other)
            }
            #[inline(always)]
            fn mul(self, other: Self) -> Self {
                self.wrapping_mul(other)
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn to_scalar(self) -> Scalar {
                Scalar::$variant(self)
            }
            fn from_scalar(s: Scalar) -> Option<Self> {
                match s {
                    Scalar::$variant(v) => Some(v),
                    _ => None,
                }
            }
        }
    };
}
int_elem!(i32, I32, true);
int_elem!(i64, I64, true);
int_elem!(u32, U32, false);

impl Elem for bool {
    const DTYPE: DType = DType::Bool;
    const ZERO: Self = false;
    const ONE: Self = true;
    const SUM_IDENTITY: Self = false;
    const MIN_IDENTITY: Self = true;
    const MAX_IDENTITY: Self = false;

    #[inline(always)]
    fn unary(op: UnaryOp, x: Self) -> Self {
        match op {
            UnaryOp::Not => !x,
            _ => x,
        }
    }
    #[inline(always)]
    fn binary(op: BinaryOp, x: Self, y: Self) -> Self {
        match op {
            BinaryOp::And => x & y,
            BinaryOp::Or => x | y,
            BinaryOp::Xor => x ^ y,
            BinaryOp::Minimum => x & y,
            BinaryOp::Maximum => x | y,
            _ => x,
        }
    }
    #[inline(always)]
    fn compare(op: BinaryOp, x: Self, y: Self) -> bool {
        compare_ord(op, x, y)
    }
    #[inline(always)]
    fn predicate(_op: UnaryOp, _x: Self) -> bool {
        false
    }
    #[inline(always)]
    fn is_nan(self) -> bool {
        false
    }
    #[inline(always)]
    fn is_finite(self) -> bool {
        true
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        self | other
    }
    #[inline(always)]
    fn mul(self, other: Self) -> Self {
        self & other
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as u8 as f64
    }
    fn to_scalar(self) -> Scalar {
        Scalar::Bool(self)
    }
    fn from_scalar(s: Scalar) -> Option<Self> {
        match s {
            Scalar::Bool(v) => Some(v),
            _ => None,
        }
    }
}

/// Conversion between element types with Rust's `as` semantics: integers wrap, floats to
/// integers saturate (NaN gives 0), numbers to bool test `!= 0` (NaN is true).
///
/// ```
/// use swath::ops::elem::CastTo;
/// let wrapped: u32 = CastTo::<u32>::cast(-1i32);
/// assert_eq!(wrapped, u32::MAX);
/// let saturated: i32 = CastTo::<i32>::cast(1e20f64);
/// assert_eq!(saturated, i32::MAX);
/// let nan: i64 = CastTo::<i64>::cast(f32::NAN);
/// assert_eq!(nan, 0);
/// let truthy: bool = CastTo::<bool>::cast(f64::NAN);
/// assert!(truthy);
/// ```
pub trait CastTo<D>: Copy {
    /// `self` converted to `D` (see the trait for the rules).
    ///
    /// ```
    /// use swath::ops::elem::CastTo;
    /// let x: f32 = true.cast();
    /// assert_eq!(x, 1.0);
    /// let y: i32 = (-2.7f64).cast();
    /// assert_eq!(y, -2); // toward zero
    /// ```
    fn cast(self) -> D;
}

macro_rules! cast_numeric {
    ($($s:ty),*) => {$(
        impl CastTo<i32> for $s { #[inline(always)] fn cast(self) -> i32 { self as i32 } }
        impl CastTo<i64> for $s { #[inline(always)] fn cast(self) -> i64 { self as i64 } }
        impl CastTo<u32> for $s { #[inline(always)] fn cast(self) -> u32 { self as u32 } }
        impl CastTo<f32> for $s { #[inline(always)] fn cast(self) -> f32 { self as f32 } }
        impl CastTo<f64> for $s { #[inline(always)] fn cast(self) -> f64 { self as f64 } }
        impl CastTo<bool> for $s {
            #[inline(always)]
            #[allow(clippy::float_cmp)]
            fn cast(self) -> bool { self != (0 as $s) }
        }
    )*};
}
cast_numeric!(i32, i64, u32, f32, f64);

macro_rules! cast_bool {
    ($($d:ty),*) => {$(
        impl CastTo<$d> for bool { #[inline(always)] fn cast(self) -> $d { self as u8 as $d } }
    )*};
}
cast_bool!(i32, i64, u32, f32, f64);
impl CastTo<bool> for bool {
    #[inline(always)]
    fn cast(self) -> bool {
        self
    }
}

/// Runs `$body` with `$t` bound to the Rust type of `$dtype`.
#[macro_export]
#[doc(hidden)]
macro_rules! with_dtype {
    ($dtype:expr, $t:ident => $body:expr) => {
        match $dtype {
            $crate::dtype::DType::Bool => {
                type $t = bool;
                $body
            }
            $crate::dtype::DType::I32 => {
                type $t = i32;
                $body
            }
            $crate::dtype::DType::I64 => {
                type $t = i64;
                $body
            }
            // Text is its `u32` codes wherever values are handled by type.
            $crate::dtype::DType::U32 | $crate::dtype::DType::Categorical => {
                type $t = u32;
                $body
            }
            $crate::dtype::DType::F32 => {
                type $t = f32;
                $body
            }
            $crate::dtype::DType::F64 => {
                type $t = f64;
                $body
            }
        }
    };
}

/// Casts a scalar to `to` with the same rules as the kernels ([`CastTo`]); null stays null.
///
/// ```
/// use swath::{DType, Scalar};
/// use swath::ops::elem::cast_scalar;
/// assert_eq!(cast_scalar(Scalar::F64(2.9), DType::I32), Scalar::I32(2));
/// assert_eq!(cast_scalar(Scalar::I32(0), DType::Bool), Scalar::Bool(false));
/// assert_eq!(cast_scalar(Scalar::Bool(true), DType::F32), Scalar::F32(1.0));
/// assert_eq!(cast_scalar(Scalar::Null, DType::F64), Scalar::Null);
/// ```
pub fn cast_scalar(s: Scalar, to: DType) -> Scalar {
    fn go<S: CastTo<bool> + CastTo<i32> + CastTo<i64> + CastTo<u32> + CastTo<f32> + CastTo<f64>>(
        v: S,
        to: DType,
    ) -> Scalar {
        match to {
            DType::Bool => Scalar::Bool(v.cast()),
            DType::I32 => Scalar::I32(v.cast()),
            DType::I64 => Scalar::I64(v.cast()),
            DType::U32 | DType::Categorical => Scalar::U32(v.cast()),
            DType::F32 => Scalar::F32(v.cast()),
            DType::F64 => Scalar::F64(v.cast()),
        }
    }
    match s {
        Scalar::Null => Scalar::Null,
        Scalar::Bool(v) => go(v, to),
        Scalar::I32(v) => go(v, to),
        Scalar::I64(v) => go(v, to),
        Scalar::U32(v) => go(v, to),
        Scalar::F32(v) => go(v, to),
        Scalar::F64(v) => go(v, to),
    }
}
