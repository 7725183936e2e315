//! The scalar Rust function of every op, per element type. The CPU kernels call these inside
//! their loops (with the op fixed per loop, so the compiler vectorizes what it can), and the
//! planner calls them to fold constants. Each dtype class (float, signed, unsigned, bool) writes
//! an op once.
//!
//! Integer semantics (DESIGN.md): arithmetic wraps; `x / 0` and `x % 0` are 0; `/` truncates
//! toward zero and `%` takes the dividend's sign, like Rust's own operators on integers.

use super::{BinaryOp, UnaryOp};
use crate::dtype::{DType, Scalar};

/// An element type swath computes with.
pub trait Elem:
    Copy + Send + Sync + PartialEq + PartialOrd + Default + std::fmt::Debug + 'static
{
    const DTYPE: DType;
    const ZERO: Self;
    const ONE: Self;
    /// The identity of addition: -0.0 for floats (so a sum of negative zeros stays -0.0, as
    /// IEEE and numpy give), 0 otherwise.
    const SUM_IDENTITY: Self;
    /// The identity of `min`: the largest value (+inf for floats).
    const MIN_IDENTITY: Self;
    /// The identity of `max`: the smallest value (-inf for floats).
    const MAX_IDENTITY: Self;

    fn unary(op: UnaryOp, x: Self) -> Self;
    /// `op` over a whole block, where the type has a faster path than `unary` per element
    /// (giving the same bits); returns false where it has none.
    #[inline(always)]
    fn unary_block(_op: UnaryOp, _x: &[Self], _out: &mut [Self]) -> bool {
        false
    }
    fn binary(op: BinaryOp, x: Self, y: Self) -> Self;
    fn compare(op: BinaryOp, x: Self, y: Self) -> bool;
    fn is_nan(self) -> bool;
    fn is_finite(self) -> bool;
    /// Addition as sums accumulate (wrapping for integers).
    fn add(self, other: Self) -> Self;
    /// Multiplication as products accumulate (wrapping for integers).
    fn mul(self, other: Self) -> Self;
    fn to_f64(self) -> f64;
    fn to_scalar(self) -> Scalar;
    fn from_scalar(s: Scalar) -> Option<Self>;
}

/// The `uniform` op: Chris Wellons' "lowbias32" integer hash of `key`, its top 24 bits scaled
/// to [0, 1). Pure 32-bit integer arithmetic, so every backend gives the same bits.
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

/// `x > y` that an argmin/argmax scan uses; NaN is handled by the caller.
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

macro_rules! float_elem {
    ($t:ident, $variant:ident, $exp:path, $ln:path, $sin:path, $cos:path, $block:expr) => {
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
                    Sqrt => x.sqrt(),
                    Cbrt => x.cbrt(),
                    Exp => $exp(x),
                    Exp2 => x.exp2(),
                    Ln => $ln(x),
                    Log2 => x.log2(),
                    Log10 => x.log10(),
                    Log1p => x.ln_1p(),
                    Expm1 => x.exp_m1(),
                    Sin => $sin(x),
                    Cos => $cos(x),
                    Tan => x.tan(),
                    Asin => x.asin(),
                    Acos => x.acos(),
                    Atan => x.atan(),
                    Sinh => x.sinh(),
                    Cosh => x.cosh(),
                    Tanh => x.tanh(),
                    // Not, IsNan, IsFinite and Uniform never reach a float map: the type rules send
                    // them elsewhere.
                    Not | IsNan | IsFinite | Uniform => x,
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
                    Rem => x % y,
                    Pow => x.powf(y),
                    Atan2 => x.atan2(y),
                    Minimum => nan_min(x, y),
                    Maximum => nan_max(x, y),
                    _ => x,
                }
            }

            #[inline(always)]
            fn compare(op: BinaryOp, x: Self, y: Self) -> bool {
                compare_ord(op, x, y)
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
float_elem!(
    f32,
    F32,
    super::fastmath::exp,
    super::fastmath::ln,
    super::fastmath::sin,
    super::fastmath::cos,
    super::fastmath::unary_block_f32
);
float_elem!(
    f64,
    F64,
    f64::exp,
    f64::ln,
    f64::sin,
    f64::cos,
    |_, _, _| false
);

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
                    Div if y == 0 => 0,
                    Div => x.wrapping_div(y),
                    Rem if y == 0 => 0,
                    Rem => x.wrapping_rem(y),
                    Minimum => x.min(y),
                    Maximum => x.max(y),
                    _ => x,
                }
            }

            #[inline(always)]
            fn compare(op: BinaryOp, x: Self, y: Self) -> bool {
                compare_ord(op, x, y)
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
pub trait CastTo<D>: Copy {
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
            $crate::dtype::DType::U32 => {
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

/// Casts a scalar to `to` with the same rules as the kernels; null stays null.
pub fn cast_scalar(s: Scalar, to: DType) -> Scalar {
    fn go<S: CastTo<bool> + CastTo<i32> + CastTo<i64> + CastTo<u32> + CastTo<f32> + CastTo<f64>>(
        v: S,
        to: DType,
    ) -> Scalar {
        match to {
            DType::Bool => Scalar::Bool(v.cast()),
            DType::I32 => Scalar::I32(v.cast()),
            DType::I64 => Scalar::I64(v.cast()),
            DType::U32 => Scalar::U32(v.cast()),
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
