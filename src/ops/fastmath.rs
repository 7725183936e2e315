//! f32 exp, ln, sin and cos as branch-free polynomials (Cephes' single-precision
//! algorithms, the same ones the GPU shaders use), so a block of them vectorizes instead of
//! calling libm once per element. Each function has an in-range test; values outside it
//! (NaN, infinities, subnormal results, huge sin/cos arguments) take libm, which the block
//! path does in a second, scalar sweep over the rare misses. The scalar function and the
//! block path give bit-identical results, so folded constants match kernels.
//!
//! Accuracy over the in-range domain: within 1 ulp of the exact result (the sweeps below;
//! the oracle tests allow 4).

/// Defines `$name(x, out)`: `$fast` over the block, then `$slow` wherever `$in_range` fails.
/// A macro rather than a function taking the three as `impl Fn`: calls through `Fn::call`
/// are inlined only while the caller is small, and once the block evaluator grew they were
/// not, so the polynomials ran as scalar calls (10x slower). Direct calls to
/// `#[inline(always)]` functions are always inlined, into each ISA's copy.
macro_rules! block_fn {
    ($(#[$doc:meta])* $name:ident, $in_range:ident, $fast:ident, $slow:expr) => {
        $(#[$doc])*
        #[inline(always)]
        pub fn $name(x: &[f32], out: &mut [f32]) {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = $fast(v);
            }
            let mut misses = false;
            for &v in x {
                misses |= !$in_range(v);
            }
            if misses {
                for (o, &v) in out.iter_mut().zip(x) {
                    if !$in_range(v) {
                        *o = $slow(v);
                    }
                }
            }
        }
    };
}

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// 1.5 * 2^23: adding it to a float of magnitude below 2^22 leaves its nearest integer in the
/// low mantissa bits.
const MAGIC: f32 = 12_582_912.0;
const MAGIC_BITS: u32 = 0x4B40_0000;

#[inline(always)]
fn exp_in_range(x: f32) -> bool {
    // Beyond these the result overflows or is (nearly) subnormal; NaN fails both tests.
    (-86.5..=88.7).contains(&x)
}

#[inline(always)]
fn exp_poly(x: f32) -> f32 {
    // Round to the nearest integer by adding 1.5 * 2^23: the sum's low mantissa bits are n.
    // (Rust's saturating `as i32` does not vectorize; this does.)
    let t = x * LOG2E + MAGIC;
    let n = t - MAGIC;
    let r = (x - n * 0.693_359_4) - n * -2.121_944_4e-4;
    let p = ((((1.987_569_1e-4 * r + 1.398_2e-3) * r + 8.333_452e-3) * r + 4.166_579_6e-2) * r
        + 1.666_666_5e-1)
        * r
        + 0.5; // Cephes' 5.0000001201e-1, which rounds to 0.5 in f32
    let e = p * (r * r) + r + 1.0;
    // 2^n as 2^(n-1) * 2, built from exponent bits: in range n is within [-125, 128], and
    // 2^128 itself is not a finite f32.
    let n_int = t.to_bits().wrapping_sub(MAGIC_BITS);
    let scale = f32::from_bits(n_int.wrapping_add(126) << 23);
    e * scale * 2.0
}

/// `e^x` for f32: the polynomial in range, libm outside it (NaN, infinities, results that
/// overflow or are subnormal). Within 1 ulp.
///
/// ```
/// use swath::ops::fastmath::exp;
/// assert_eq!(exp(0.0), 1.0);
/// assert!((exp(1.0) - std::f32::consts::E).abs() <= f32::EPSILON * 3.0);
/// assert_eq!(exp(f32::NEG_INFINITY), 0.0);
/// assert!(exp(f32::NAN).is_nan());
/// ```
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    if exp_in_range(x) {
        exp_poly(x)
    } else {
        x.exp()
    }
}

#[inline(always)]
fn ln_in_range(x: f32) -> bool {
    (f32::MIN_POSITIVE..=f32::MAX).contains(&x)
}

#[inline(always)]
fn ln_poly(x: f32) -> f32 {
    let bits = x.to_bits();
    // x = m * 2^e with m in [0.5, 1).
    let mut e = ((bits >> 23) & 0xff) as i32 - 126;
    let mut m = f32::from_bits((bits & 0x007f_ffff) | 0x3f00_0000);
    let small = m < std::f32::consts::FRAC_1_SQRT_2;
    e -= small as i32;
    m = if small { m + m - 1.0 } else { m - 1.0 };
    let z = m * m;
    let mut y = (((((((7.037_683_6e-2 * m - 1.151_461e-1) * m + 1.167_699_9e-1) * m
        - 1.242_014_1e-1)
        * m
        + 1.424_932_3e-1)
        * m
        - 1.666_805_8e-1)
        * m
        + 2.000_071_5e-1)
        * m
        - 2.499_999_4e-1)
        * m
        + 3.333_333e-1;
    y *= m * z;
    let ef = e as f32;
    y += -2.121_944_4e-4 * ef;
    y += -0.5 * z;
    (m + y) + 0.693_359_4 * ef
}

/// The natural logarithm for f32: the polynomial for positive normal numbers, libm for the
/// rest (zero, negatives, subnormals, infinity, NaN). Within 1 ulp.
///
/// ```
/// use swath::ops::fastmath::ln;
/// assert_eq!(ln(1.0), 0.0);
/// assert!((ln(std::f32::consts::E) - 1.0).abs() <= f32::EPSILON);
/// assert_eq!(ln(0.0), f32::NEG_INFINITY);
/// assert!(ln(-1.0).is_nan());
/// ```
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    if ln_in_range(x) { ln_poly(x) } else { x.ln() }
}

#[inline(always)]
fn trig_in_range(x: f32) -> bool {
    // Within 1 ulp up to here; past ~100 the error near the zeros of sin grows (6 ulps at
    // 400), so larger arguments take libm.
    x.abs() <= 100.0
}

/// Reduces |x| to z in [-pi/4, pi/4] and the octant j (even), Cephes style: the constants
/// DP1 and DP2 have few mantissa bits, so j * DP1 and j * DP2 are exact.
#[inline(always)]
fn reduce(x: f32) -> (f32, u32) {
    let ax = x.abs();
    // Out-of-range lanes compute garbage here (discarded later), so no overflow checks.
    let octant = (ax * std::f32::consts::FRAC_2_PI * 2.0).trunc();
    let j = (octant + MAGIC)
        .to_bits()
        .wrapping_sub(MAGIC_BITS)
        .wrapping_add(1)
        & !1;
    let y = (j as i32) as f32;
    let z = ((ax - y * 0.785_156_25) - y * 2.418_756_5e-4) - y * 3.774_895e-8;
    (z, j)
}

#[inline(always)]
fn sin_core(z: f32) -> f32 {
    let zz = z * z;
    ((-1.951_529_6e-4 * zz + 8.332_161e-3) * zz - 1.666_665_5e-1) * zz * z + z
}

#[inline(always)]
fn cos_core(z: f32) -> f32 {
    let zz = z * z;
    ((2.443_315_7e-5 * zz - 1.388_731_6e-3) * zz + 4.166_664_6e-2) * zz * zz - 0.5 * zz + 1.0
}

#[inline(always)]
fn sin_poly(x: f32) -> f32 {
    let (z, j) = reduce(x);
    let use_cos = j & 2 != 0;
    let v = if use_cos { cos_core(z) } else { sin_core(z) };
    // sin is odd; octants 4-7 flip the sign.
    let negate = (j & 4 != 0) != x.is_sign_negative();
    let v = if negate { -v } else { v };
    // sin(-0) is -0.
    if x == 0.0 { x } else { v }
}

/// Sine for f32 (radians): the polynomial for |x| <= 100, libm beyond. Within 1 ulp.
///
/// ```
/// use swath::ops::fastmath::sin;
/// assert_eq!(sin(0.0), 0.0);
/// assert!(sin(-0.0).is_sign_negative()); // sin(-0) is -0
/// assert!((sin(std::f32::consts::FRAC_PI_2) - 1.0).abs() <= f32::EPSILON);
/// assert_eq!(sin(1000.0), 1000.0f32.sin()); // out of range: libm
/// ```
#[inline(always)]
pub fn sin(x: f32) -> f32 {
    if trig_in_range(x) {
        sin_poly(x)
    } else {
        x.sin()
    }
}

#[inline(always)]
fn cos_poly(x: f32) -> f32 {
    let (z, j) = reduce(x);
    let use_sin = j & 2 != 0;
    let v = if use_sin { sin_core(z) } else { cos_core(z) };
    let negate = (j.wrapping_add(2) & 4) != 0;
    if negate { -v } else { v }
}

/// Cosine for f32 (radians): the polynomial for |x| <= 100, libm beyond. Within 1 ulp.
///
/// ```
/// use swath::ops::fastmath::cos;
/// assert_eq!(cos(0.0), 1.0);
/// assert!((cos(std::f32::consts::PI) + 1.0).abs() <= f32::EPSILON);
/// assert!(cos(f32::INFINITY).is_nan());
/// ```
#[inline(always)]
pub fn cos(x: f32) -> f32 {
    if trig_in_range(x) {
        cos_poly(x)
    } else {
        x.cos()
    }
}

block_fn!(
    /// [`exp`] over a block: `out[i] = exp(x[i])` for the rows both slices have, bit-identical
    /// to the scalar function. The polynomial runs over the whole block (it vectorizes); a
    /// second, scalar sweep fixes the rare out-of-range rows.
    ///
    /// ```
    /// use swath::ops::fastmath::{exp, exp_block};
    /// let x = [0.0f32, 1.0, -2.5, 100.0];
    /// let mut out = [0.0f32; 4];
    /// exp_block(&x, &mut out);
    /// assert_eq!(out[0], 1.0);
    /// assert_eq!(out[3], f32::INFINITY); // out of range: libm overflows to +inf
    /// assert!(x.iter().zip(&out).all(|(&v, &o)| o.to_bits() == exp(v).to_bits()));
    /// ```
    exp_block, exp_in_range, exp_poly, f32::exp
);
block_fn!(
    /// [`ln`] over a block, bit-identical to the scalar function (see [`exp_block`]).
    ///
    /// ```
    /// use swath::ops::fastmath::{ln, ln_block};
    /// let x = [1.0f32, 10.0, 0.0, -1.0];
    /// let mut out = [0.0f32; 4];
    /// ln_block(&x, &mut out);
    /// assert_eq!(out[0], 0.0);
    /// assert_eq!(out[2], f32::NEG_INFINITY);
    /// assert!(out[3].is_nan());
    /// assert_eq!(out[1].to_bits(), ln(10.0).to_bits());
    /// ```
    ln_block, ln_in_range, ln_poly, f32::ln
);
block_fn!(
    /// [`sin`] over a block, bit-identical to the scalar function (see [`exp_block`]).
    ///
    /// ```
    /// use swath::ops::fastmath::{sin, sin_block};
    /// let x = [0.0f32, 0.5, -3.0, 500.0];
    /// let mut out = [0.0f32; 4];
    /// sin_block(&x, &mut out);
    /// assert!(x.iter().zip(&out).all(|(&v, &o)| o.to_bits() == sin(v).to_bits()));
    /// ```
    sin_block, trig_in_range, sin_poly, f32::sin
);
block_fn!(
    /// [`cos`] over a block, bit-identical to the scalar function (see [`exp_block`]).
    ///
    /// ```
    /// use swath::ops::fastmath::{cos, cos_block};
    /// let x = [0.0f32, 0.5, -3.0, 500.0];
    /// let mut out = [0.0f32; 4];
    /// cos_block(&x, &mut out);
    /// assert_eq!(out[0], 1.0);
    /// assert!(x.iter().zip(&out).all(|(&v, &o)| o.to_bits() == cos(v).to_bits()));
    /// ```
    cos_block, trig_in_range, cos_poly, f32::cos
);

/// The block path of `op` for f32, if it has one; false means "use the scalar function"
/// (and `out` is left as it was).
///
/// ```
/// use swath::ops::UnaryOp;
/// use swath::ops::fastmath::{sin, unary_block_f32};
/// let x = [0.25f32, 1.5];
/// let mut out = [0.0f32; 2];
/// assert!(unary_block_f32(UnaryOp::Sin, &x, &mut out));
/// assert_eq!(out[1].to_bits(), sin(1.5).to_bits());
/// let mut untouched = [7.0f32; 2];
/// assert!(!unary_block_f32(UnaryOp::Sqrt, &x, &mut untouched));
/// assert_eq!(untouched, [7.0, 7.0]);
/// ```
#[inline(always)]
pub fn unary_block_f32(op: super::UnaryOp, x: &[f32], out: &mut [f32]) -> bool {
    use super::UnaryOp::*;
    match op {
        Exp => exp_block(x, out),
        Ln => ln_block(x, out),
        Sin => sin_block(x, out),
        Cos => cos_block(x, out),
        _ => return false,
    }
    true
}

#[cfg(test)]
mod tests {
    /// Distance in ulps between `got` and the f64 reference rounded to f32.
    fn ulps(got: f32, want: f64) -> f64 {
        let w = want as f32;
        if got == w || (got.is_nan() && w.is_nan()) {
            return 0.0;
        }
        let ulp = (w.abs() * f32::EPSILON).max(f32::MIN_POSITIVE * f32::EPSILON);
        ((got as f64 - want).abs() / ulp as f64).max(0.5)
    }

    fn sweep(f: fn(f32) -> f32, reference: fn(f64) -> f64, lo: f32, hi: f32) -> f64 {
        let n = 200_000;
        let mut worst: f64 = 0.0;
        for i in 0..=n {
            let x = lo + (hi - lo) * (i as f32 / n as f32);
            worst = worst.max(ulps(f(x), reference(x as f64)));
        }
        worst
    }

    #[test]
    fn within_two_ulps_over_their_domains() {
        assert!(sweep(super::exp, f64::exp, -86.5, 88.72) <= 2.0);
        assert!(sweep(super::ln, f64::ln, 1e-30, 10.0) <= 2.0);
        assert!(sweep(super::ln, f64::ln, 0.5, 2.0) <= 2.0);
        assert!(sweep(super::sin, f64::sin, -10.0, 10.0) <= 2.0);
        assert!(sweep(super::cos, f64::cos, -10.0, 10.0) <= 2.0);
        assert!(sweep(super::sin, f64::sin, -100.0, 100.0) <= 2.0);
        assert!(sweep(super::cos, f64::cos, -100.0, 100.0) <= 2.0);
        assert!(sweep(super::sin, f64::sin, -8000.0, 8000.0) <= 2.0);
    }

    #[test]
    fn edges_follow_libm() {
        for x in [
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            1e30,
            -1e30,
            1e-40,
            100.0,
            -100.0,
        ] {
            for (fast, slow) in [
                (super::exp as fn(f32) -> f32, f32::exp as fn(f32) -> f32),
                (super::ln, f32::ln),
                (super::sin, f32::sin),
                (super::cos, f32::cos),
            ] {
                let (a, b) = (fast(x), slow(x));
                assert!(
                    a.to_bits() == b.to_bits()
                        || (a.is_nan() && b.is_nan())
                        || (a - b).abs() <= b.abs() * 2.5e-7,
                    "{x}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn block_and_scalar_agree_bit_for_bit() {
        let x: Vec<f32> = (0..5000)
            .map(|i| (i as f32 - 2500.0) * 0.731)
            .chain([f32::NAN, 1e9, -1e9, 1e-42])
            .collect();
        let mut out = vec![0.0; x.len()];
        for (block, scalar) in [
            (
                super::exp_block as fn(&[f32], &mut [f32]),
                super::exp as fn(f32) -> f32,
            ),
            (super::ln_block, super::ln),
            (super::sin_block, super::sin),
            (super::cos_block, super::cos),
        ] {
            block(&x, &mut out);
            for (o, v) in out.iter().zip(&x) {
                let s = scalar(*v);
                assert!(
                    o.to_bits() == s.to_bits() || (o.is_nan() && s.is_nan()),
                    "{v}"
                );
            }
        }
    }
}
