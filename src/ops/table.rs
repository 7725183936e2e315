//! The op table: every elementwise op, declared once.
//!
//! Each row names an op and says everything about it that is not a per-dtype-class rule: its
//! method and printed name, the other names the parser accepts (numpy's and numexpr's), its
//! dtype class, and for the math functions their cost class, their scalar Rust functions and
//! their WGSL functions. The enums [`UnaryOp`](super::UnaryOp) and
//! [`BinaryOp`](super::BinaryOp), their `ALL` lists, names, parser lookups, kinds and cost
//! classes, the math scalar functions the CPU kernels and constant folding call, the GPU's
//! function names, the `Expr` methods of the math functions and the CPU evaluator's per-op
//! loops are all generated from these rows (`ops/mod.rs`, `ops/elem.rs`, `expr/mod.rs`,
//! `cpu/block.rs`). A test (`tests/op_table.rs`) walks `ALL` and checks every op parses by
//! every name, prints, folds and runs on every backend against the oracle, so a half-added op
//! fails a test.
//!
//! How to add an op: ARCHITECTURE.md, "Adding an op".
//!
//! The table is an "X-macro": `unary_table!(cb)` expands to `cb! { rows }` (and
//! `unary_table!(cb (args))` to `cb! { (args) rows }`), and each consumer is a `macro_rules!`
//! that reads the rows and keeps the columns it needs.

/// Invokes `$cb!` with every unary op.
///
/// `structural` rows (`Variant method [aliases] Kind "doc"`): ops whose meaning depends on the
/// dtype class (integers, floats, bools), written per class in `elem.rs` and `gpu/codegen.rs`.
///
/// `math` rows (`Variant method [aliases] Cost (f32 fn) (f64 fn) "wgsl f32" "wgsl f64" "doc"`):
/// float functions (integers are computed as f64, numpy's rule). The two Rust functions are
/// what the CPU kernels and constant folding call; the WGSL names are functions of
/// `shaders/*.wgsl` (an empty name: the GPU has none for that precision, and a pass with it
/// runs on the CPU).
macro_rules! unary_table {
    ($($cb:ident)::+ $(($($args:tt)*))?) => {
        $($cb)::+! {
            $(($($args)*))?
            structural {
                Neg neg [] Numeric "`-x` (wrapping for the most negative integer).",
                Abs abs ["absolute"] Numeric "`|x|` (wrapping for the most negative integer).",
                Sign sign [] Numeric "-1, 0 or 1 by the sign of `x` (NaN stays NaN, a float zero keeps its sign).",
                Floor floor [] Numeric "Round toward negative infinity.",
                Ceil ceil [] Numeric "Round toward positive infinity.",
                Round round ["rint"] Numeric "Round to the nearest integer, half to even.",
                Trunc trunc [] Numeric "Round toward zero.",
                Not not ["invert", "bitwise_not"] Logical "Logical not of a bool; bitwise not (`~`) of an integer.",
                IsNan is_nan ["isnan"] Predicate "Whether a number is NaN (always false for integers).",
                IsFinite is_finite ["isfinite"] Predicate "Whether a number is neither NaN nor infinite (always true for integers).",
                IsInf is_inf ["isinf"] Predicate "Whether a number is +inf or -inf (always false for integers).",
                Signbit signbit [] Predicate "Whether the sign bit is set: true for negative numbers, -0.0 and NaNs with the bit (numpy's `signbit`).",
                Uniform uniform [] Random "A counter-based random number: a fixed 32-bit hash of the integer key, mapped to a uniform f32 in [0, 1). The same key gives the same number on every backend.",
            }
            math {
                Sqrt sqrt [] Sqrt (f32::sqrt) (f64::sqrt) "sqrt_f32" "sqrt_f64" "Square root.",
                Cbrt cbrt [] Libm (f32::cbrt) (f64::cbrt) "cbrt_f32" "" "Cube root.",
                Exp exp [] VectorF32 ($crate::ops::fastmath::exp) (f64::exp) "exp_f32" "" "`e^x`.",
                Exp2 exp2 [] Libm (f32::exp2) (f64::exp2) "exp2_f32" "" "`2^x`.",
                Ln ln ["log"] VectorF32 ($crate::ops::fastmath::ln) (f64::ln) "ln_f32" "" "Natural logarithm.",
                Log2 log2 [] Libm (f32::log2) (f64::log2) "log2_f32" "" "Base-2 logarithm.",
                Log10 log10 [] Libm (f32::log10) (f64::log10) "log10_f32" "" "Base-10 logarithm.",
                Log1p log1p [] Libm (f32::ln_1p) (f64::ln_1p) "log1p_f32" "" "`ln(1 + x)`, accurate near 0.",
                Expm1 expm1 [] Libm (f32::exp_m1) (f64::exp_m1) "expm1_f32" "" "`e^x - 1`, accurate near 0.",
                Sin sin [] VectorF32 ($crate::ops::fastmath::sin) (f64::sin) "sin_f32" "" "Sine (radians).",
                Cos cos [] VectorF32 ($crate::ops::fastmath::cos) (f64::cos) "cos_f32" "" "Cosine (radians).",
                Tan tan [] Libm (f32::tan) (f64::tan) "tan_f32" "" "Tangent (radians).",
                Asin asin ["arcsin"] Libm (f32::asin) (f64::asin) "asin_f32" "" "Arcsine.",
                Acos acos ["arccos"] Libm (f32::acos) (f64::acos) "acos_f32" "" "Arccosine.",
                Atan atan ["arctan"] Libm (f32::atan) (f64::atan) "atan_f32" "" "Arctangent.",
                Sinh sinh [] Libm (f32::sinh) (f64::sinh) "sinh_f32" "" "Hyperbolic sine.",
                Cosh cosh [] Libm (f32::cosh) (f64::cosh) "cosh_f32" "" "Hyperbolic cosine.",
                Tanh tanh [] Libm (f32::tanh) (f64::tanh) "tanh_f32" "" "Hyperbolic tangent.",
                Asinh asinh ["arcsinh"] Libm (libm::asinhf) (libm::asinh) "asinh_f32" "" "Inverse hyperbolic sine.",
                Acosh acosh ["arccosh"] Libm ($crate::ops::elem::acosh_f32) ($crate::ops::elem::acosh_f64) "acosh_f32" "" "Inverse hyperbolic cosine (NaN below 1).",
                Atanh atanh ["arctanh"] Libm (libm::atanhf) (libm::atanh) "atanh_f32" "" "Inverse hyperbolic tangent (±inf at ±1, NaN beyond).",
                Degrees degrees ["rad2deg"] Cheap (f32::to_degrees) (f64::to_degrees) "degrees" "" "Radians to degrees.",
                Radians radians ["deg2rad"] Cheap (f32::to_radians) (f64::to_radians) "radians" "" "Degrees to radians.",
                Erf erf [] Libm (libm::erff) (libm::erf) "erf_f32" "" "The error function, `2/sqrt(pi)` times the integral of `e^(-t^2)` from 0 to `x`.",
            }
        }
    };
}
pub(crate) use unary_table;

/// Invokes `$cb!` with every binary op.
///
/// `structural` rows (`Variant method "symbol" [aliases] Kind Style Level "doc"`): `symbol` is
/// the operator the parser reads (empty for ops written as calls); `Style` is `Infix` for ops
/// Rust writes between their operands too (`a + b`), `Method` for ops Rust writes as a method
/// (`a.floor_div(b)`, parsed as `a // b`), `Call` for ops that are calls everywhere
/// (`maximum(a, b)`); `Level` is the operator's precedence level in the parser (loosest first:
/// `Or`, `Xor`, `And`, then `not`, `Compare`, `Shift`, `Sum`, `Product`, as Python orders `| ^ &`;
/// `None` for calls). Aliases are names the parser also accepts as calls (`remainder(a, b)`).
///
/// `math` rows (`Variant method [aliases] Cost (f32 fn) (f64 fn) "wgsl f32" "wgsl f64" "doc"`):
/// float functions of two operands, as for unary ops.
macro_rules! binary_table {
    ($($cb:ident)::+ $(($($args:tt)*))?) => {
        $($cb)::+! {
            $(($($args)*))?
            structural {
                Add add "+" ["add"] Arithmetic Infix Sum "`a + b` (wrapping for integers).",
                Sub sub "-" ["subtract"] Arithmetic Infix Sum "`a - b` (wrapping for integers).",
                Mul mul "*" ["multiply"] Arithmetic Infix Product "`a * b` (wrapping for integers).",
                Div div "/" ["divide", "true_divide"] Float Infix Product "`a / b`, true division: integers divide as f64 (numpy, Polars).",
                FloorDiv floor_div "//" ["floor_divide"] Arithmetic Method Product "`a // b`, the quotient rounded toward negative infinity (numpy's `floor_divide`); for integers `x // 0` is null.",
                Rem rem "%" ["remainder", "mod"] Arithmetic Infix Product "`a % b` with the divisor's sign (numpy's `remainder`, Python, Polars); for integers `x % 0` is null.",
                Fmod fmod "" [] Arithmetic Call None "C's `fmod`: the remainder with the dividend's sign (numpy's `fmod`); for integers `fmod(x, 0)` is null.",
                Minimum minimum "" [] Arithmetic Call None "The smaller operand; NaN if either is NaN.",
                Maximum maximum "" [] Arithmetic Call None "The larger operand; NaN if either is NaN.",
                Eq eq "==" ["equal"] Comparison Infix Compare "`a == b`.",
                Ne neq "!=" ["not_equal"] Comparison Infix Compare "`a != b`.",
                Lt lt "<" ["less"] Comparison Infix Compare "`a < b`.",
                Le lt_eq "<=" ["less_equal"] Comparison Infix Compare "`a <= b`.",
                Gt gt ">" ["greater"] Comparison Infix Compare "`a > b`.",
                Ge gt_eq ">=" ["greater_equal"] Comparison Infix Compare "`a >= b`.",
                And and "&" ["bitwise_and"] Bitwise Infix And "Logical and of bools; bitwise and of integers.",
                Or or "|" ["bitwise_or"] Bitwise Infix Or "Logical or of bools; bitwise or of integers.",
                Xor xor "^" ["bitwise_xor"] Bitwise Infix Xor "Logical exclusive or of bools; bitwise exclusive or of integers.",
                Shl left_shift "<<" ["left_shift"] Shift Infix Shift "`a << b` on integers; a shift by a negative amount or by the width or more gives 0 (numpy).",
                Shr right_shift ">>" ["right_shift"] Shift Infix Shift "`a >> b` on integers (arithmetic for signed ones); a shift by a negative amount or by the width or more gives 0, or -1 for a negative signed `a` (numpy).",
            }
            math {
                Pow pow ["power"] Libm (f32::powf) (f64::powf) "pow_f32" "" "`a` to the power `b` (`a ** b` in the parser). A literal exponent 0.5 is computed as `sqrt(a)`, as numpy computes `a ** 0.5` (NaN at -inf, where C's pow gives +inf), whether written `**`, `pow` or `power`.",
                Atan2 atan2 ["arctan2"] Libm (f32::atan2) (f64::atan2) "atan2_f32" "" "The four-quadrant arctangent of `a / b`.",
                Hypot hypot [] Libm (libm::hypotf) (libm::hypot) "hypot_f32" "" "`sqrt(a^2 + b^2)` without overflow or underflow in between (inf if either is infinite, even with a NaN).",
                Copysign copysign [] Cheap (f32::copysign) (f64::copysign) "copysign_f32" "copysign_f64" "`|a|` with the sign bit of `b`.",
                Nextafter nextafter [] Cheap ($crate::ops::elem::next_after_f32) ($crate::ops::elem::next_after_f64) "nextafter_f32" "nextafter_f64" "The next representable value after `a` toward `b` (`b` if they are equal).",
            }
        }
    };
}
pub(crate) use binary_table;
