// f32 transcendentals for generated kernels, included when a kernel uses one.
//
// Why not WGSL's builtins: Vulkan bounds them loosely (log: 2^-21 absolute near 1; asin, acos,
// atan: 4096 ulps; sinh and friends: "inherited" from exp, so no relative accuracy near 0; sin:
// 2^-11 absolute), and drivers use that freedom: measured on lavapipe, ln near 1 was 35 000 ulps
// off and asin 3 800. These are Cephes' single-precision routines (S. Moshier; the library
// numpy's and many libms' float paths descend from), 1-3 ulps in plain f32 arithmetic, with
// C99's answers at special values (what Rust's f32 methods give) handled first.
//
// sin, cos and tan reduce large arguments exactly (Payne-Hanek), so sin(1e30) is libm's answer.
//
// Known gaps: subnormal inputs and results may be flushed to zero by the device; pow is
// exp2(y log2 x), whose error grows with |y log2 x| (0.6 ulps per unit of it: 21 ulps for
// 0.7824 ** -92.75 on lavapipe).

const PI_F32: f32 = 3.14159265358979323846;
const PIO2_F32: f32 = 1.57079632679489661923;
const PIO4_F32: f32 = 0.78539816339744830962;
const SQRTH_F32: f32 = 0.70710678118654752440;

// 2^n for n in about [-300, 300], in two steps so neither overflows the exponent range.
fn scale2_f32(x: f32, n: i32) -> f32 {
    let h = n / 2;
    return ldexp(ldexp(x, h), n - h);
}

// Cephes expf.
fn exp_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    if (x > 88.72283905206835) { return inf_f32(); }
    if (x < -103.972084) { return 0.0; }
    return exp_scaled_f32(x, 0);
}

// exp(x) * 2^n for finite x in expf's range (the caller checks), scaled by exact ldexp: sinh
// and cosh take exp(x) / 2 this way where exp(x) itself would overflow. (Squaring exp(x / 2)
// instead overflowed on NVIDIA's compiler, which reordered (0.5 * e) * e.)
fn exp_scaled_f32(x: f32, n: i32) -> f32 {
    let z = floor(1.44269504088896341 * x + 0.5);
    var r = x - z * 0.693359375;
    r = r - z * -2.12194440e-4;
    let r2 = r * r;
    let p = (((((1.9875691500e-4 * r + 1.3981999507e-3) * r + 8.3334519073e-3) * r
        + 4.1665795894e-2) * r + 1.6666665459e-1) * r + 5.0000001201e-1) * r2 + r + 1.0;
    return scale2_f32(p, i32(z) + n);
}

// exp(a) / 2 for a >= 0: sinh and cosh of large arguments, finite up to ln(2 * f32::MAX).
fn exp_half_f32(a: f32) -> f32 {
    if (a > 89.41598629223294) { return inf_f32(); }
    return exp_scaled_f32(a, -1);
}

// Cephes exp2f.
fn exp2_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    if (x >= 128.0) { return inf_f32(); }
    if (x < -150.0) { return 0.0; }
    let i = floor(x + 0.5);
    let f = x - i;
    let p = 1.0 + f * (((((1.535336188319500e-4 * f + 1.339887440266574e-3) * f
        + 9.618437357674640e-3) * f + 5.550332471162809e-2) * f + 2.402264791363012e-1) * f
        + 6.931472028550421e-1);
    return scale2_f32(p, i32(i));
}

// Special values of every logarithm: NaN stays, negatives give NaN, zeros -inf, +inf itself.
fn log_special_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    let b = bitcast<u32>(x);
    if ((b & 0x7fffffffu) == 0u) { return -inf_f32(); }
    if ((b & 0x80000000u) != 0u) { return nan_f32(); }
    return x; // +inf
}
// Positive, finite and nonzero, subnormals included: tested on the bits, because a device that
// flushes subnormals may compare a subnormal equal to zero.
fn log_ordinary_f32(x: f32) -> bool {
    let b = bitcast<u32>(x);
    return b != 0u && b < 0x7f800000u;
}

// ln(1 + m) - m for m in [sqrt(1/2) - 1, sqrt(2) - 1): Cephes' polynomial m^3 P(m) - m^2 / 2,
// shared by logf, log2f, log10f and log1p.
fn log1p_tail_f32(m: f32) -> f32 {
    let z = m * m;
    let y = ((((((((7.0376836292e-2 * m - 1.1514610310e-1) * m + 1.1676998740e-1) * m
        - 1.2420140846e-1) * m + 1.4249322787e-1) * m - 1.6668057665e-1) * m
        + 2.0000714765e-1) * m - 2.4999993993e-1) * m + 3.3333331174e-1) * m * z;
    return y - 0.5 * z;
}

// x = 2^e (1 + m) with m in [sqrt(1/2) - 1, sqrt(2) - 1): returns (m, e, ln(1 + m) - m).
// A subnormal x (exponent field 0) is m * 2^-149 with m its 23 mantissa bits: taken apart by its
// bits, since frexp of a subnormal is undefined in Vulkan (lavapipe gave ln(5e-40) = -87.99,
// not -90.49) and a device may flush it to zero.
fn log_core_f32(x: f32) -> vec3<f32> {
    let bits = bitcast<u32>(x);
    var xs = x;
    var bias = 0;
    if ((bits & 0x7f800000u) == 0u) {
        xs = f32(bits & 0x7fffffu);
        bias = -149;
    }
    let fr = frexp(xs);
    var m = fr.fract;
    var e = fr.exp + bias;
    if (m < SQRTH_F32) {
        e -= 1;
        m = m + m - 1.0;
    } else {
        m = m - 1.0;
    }
    return vec3<f32>(m, f32(e), log1p_tail_f32(m));
}

fn ln_f32(x: f32) -> f32 {
    if (!log_ordinary_f32(x)) { return log_special_f32(x); }
    let c = log_core_f32(x);
    var y = c.z + -2.12194440e-4 * c.y;
    var z = c.x + y;
    return z + 0.693359375 * c.y;
}
fn log2_f32(x: f32) -> f32 {
    if (!log_ordinary_f32(x)) { return log_special_f32(x); }
    let c = log_core_f32(x);
    let log2ea = 0.44269504088896340736;
    var z = c.z * log2ea;
    z += c.x * log2ea;
    z += c.z;
    z += c.x;
    return z + c.y;
}
fn log10_f32(x: f32) -> f32 {
    if (!log_ordinary_f32(x)) { return log_special_f32(x); }
    let c = log_core_f32(x);
    var z = (c.x + c.z) * 7.00731903251827651129e-4;
    z += c.z * 4.3359375e-1;
    z += c.x * 4.3359375e-1;
    z += c.y * 2.48745663981195213739e-4;
    return z + c.y * 3.0078125e-1;
}

// ln(1 + x): the log polynomial on x itself where 1 + x is in [sqrt(1/2), sqrt(2)), so x is
// never rounded; ln(1 + x) beyond, where rounding 1 + x costs under an ulp. (Goldberg's
// `ln(u) * x / (u - 1)` is not safe here: drivers simplify `(1 + x) - 1` to `x`.)
fn log1p_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    if (x < -1.0) { return nan_f32(); }
    if (x == -1.0) { return -inf_f32(); }
    if (isinf_f32(x)) { return x; }
    if (x >= -0.29289321881345248 && x < 0.41421356237309505) {
        if (x == 0.0) { return x; }
        return x + log1p_tail_f32(x);
    }
    return ln_f32(1.0 + x);
}

// exp(x) - 1: Taylor series to x^9 for |x| < 1/2 (error below 2^-30), exp(x) - 1 beyond, where
// the subtraction loses at most 1.3 bits.
fn expm1_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    if (abs(x) < 0.5) {
        if (x == 0.0) { return x; }
        let p = 0.5 + x * (1.6666666666666667e-1 + x * (4.1666666666666667e-2
            + x * (8.3333333333333333e-3 + x * (1.3888888888888889e-3 + x * (1.9841269841269841e-4
            + x * (2.4801587301587302e-5 + x * 2.7557319223985891e-6))))));
        return x + x * x * p;
    }
    if (x < -20.0) { return -1.0; }
    return exp_f32(x) - 1.0;
}

// sin and cos of the reduced argument of |x| <= 8192 (Cephes sinf/cosf): returns
// (sin r, cos r, quadrant) with |x| = r + quadrant pi/2.
fn sincos_core_f32(a: f32) -> vec3<f32> {
    var j = u32(a * 1.27323954473516);
    var y = f32(j);
    if ((j & 1u) == 1u) {
        j += 1u;
        y += 1.0;
    }
    let q = (j >> 1u) & 3u;
    let r = ((a - y * 0.78515625) - y * 2.4187564849853515625e-4) - y * 3.77489497744594108e-8;
    let z = r * r;
    let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
    let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z
        - 0.5 * z + 1.0;
    return vec3<f32>(s, c, f32(q));
}

// Bits of 2/pi after the binary point, most significant first.
var<private> TWO_OVER_PI: array<u32, 10> = array<u32, 10>(
    0xa2f9836eu, 0x4e441529u, 0xfc2757d1u, 0xf534ddc0u, 0xdb629599u,
    0x3c439041u, 0xfe5163abu, 0xdebbc561u, 0xb7246e3au, 0x424dd2e0u);

// 32 bits of 2/pi starting at fraction bit `o` (0-based; negative offsets read zeros).
fn two_over_pi_bits(o: i32) -> u32 {
    if (o <= -32) { return 0u; }
    if (o < 0) { return TWO_OVER_PI[0] >> u32(-o); }
    let k = o / 32;
    let sh = u32(o % 32);
    if (sh == 0u) { return TWO_OVER_PI[k]; }
    return (TWO_OVER_PI[k] << sh) | (TWO_OVER_PI[k + 1] >> (32u - sh));
}

// The 64-bit product of two u32s, as (high, low).
fn mul_wide_u32(a: u32, b: u32) -> vec2<u32> {
    let a0 = a & 0xffffu;
    let a1 = a >> 16u;
    let b0 = b & 0xffffu;
    let b1 = b >> 16u;
    let p00 = a0 * b0;
    let p01 = a0 * b1;
    let p10 = a1 * b0;
    let mid = (p00 >> 16u) + (p01 & 0xffffu) + (p10 & 0xffffu);
    let lo = (p00 & 0xffffu) | (mid << 16u);
    let hi = a1 * b1 + (p01 >> 16u) + (p10 >> 16u) + (mid >> 16u);
    return vec2<u32>(hi, lo);
}

// Payne-Hanek reduction, exact enough for every finite x: |x| = r + q pi/2 with |r| <= pi/4,
// from |x| 2/pi computed in integers (a 24-bit mantissa times 96 bits of 2/pi). Returns
// (sin r, cos r, q) like sincos_core_f32.
fn sincos_huge_f32(a: f32) -> vec3<f32> {
    let bits = bitcast<u32>(a);
    let e = i32(bits >> 23u) - 150;
    let m = (bits & 0x7fffffu) | 0x800000u;
    // Window bits weigh 2^1, 2^0, 2^-1 ...: bits of 2/pi worth multiples of 4 after the
    // multiplication by m 2^e are dropped (they do not change the quadrant mod 4).
    let s0 = e - 2;
    let p0 = mul_wide_u32(m, two_over_pi_bits(s0));
    let p1 = mul_wide_u32(m, two_over_pi_bits(s0 + 32));
    let p2 = mul_wide_u32(m, two_over_pi_bits(s0 + 64));
    // Product words 1 (2^-30 .. 2^1) and 2 (2^-62 .. 2^-31).
    let w2 = p1.y + p2.x;
    let c2 = select(0u, 1u, w2 < p1.y);
    let w1a = p0.y + p1.x;
    let w1 = w1a + c2;
    var q = w1 >> 30u;
    var fh = w1 & 0x3fffffffu;
    var fl = w2;
    var neg = false;
    if ((fh & 0x20000000u) != 0u) {
        // Fraction >= 1/2: round the quadrant up and reduce to -(1 - fraction).
        q += 1u;
        neg = true;
        fl = ~fl + 1u;
        fh = (~fh & 0x3fffffffu) + select(0u, 1u, fl == 0u);
    }
    q = q & 3u;
    // The 62-bit fraction, left-aligned in (hi, lo) and normalized.
    var hi = (fh << 2u) | (fl >> 30u);
    var lo = fl << 2u;
    var shift = 0;
    if (hi == 0u) {
        hi = lo;
        lo = 0u;
        shift = 32;
    }
    var r = 0.0;
    if (hi != 0u) {
        let lz = countLeadingZeros(hi);
        if (lz > 0u) {
            hi = (hi << lz) | (lo >> (32u - lz));
            lo = lo << lz;
        }
        shift += i32(lz);
        let k = ldexp(1.0, -32 - shift);
        let xh = f32(hi & 0xffffff00u) * k;
        let xl = (f32(hi & 0xffu) + f32(lo) * 2.3283064365386963e-10) * k;
        // r = (xh + xl) pi/2, with pi/2 split in two floats.
        r = xh * 1.5707963705062866 + (xl * 1.5707963705062866 + xh * -4.371139000186241e-8);
    }
    if (neg) { r = -r; }
    let z = r * r;
    let s = ((-1.9515295891e-4 * z + 8.3321608736e-3) * z - 1.6666654611e-1) * z * r + r;
    let c = ((2.443315711809948e-5 * z - 1.388731625493765e-3) * z + 4.166664568298827e-2) * z * z
        - 0.5 * z + 1.0;
    return vec3<f32>(s, c, f32(q));
}

// Below this Cephes' three-part reduction is accurate; above, Payne-Hanek.
const SINCOS_CEPHES_LIMIT_F32: f32 = 16.0;

fn sincos_any_f32(a: f32) -> vec3<f32> {
    if (a > SINCOS_CEPHES_LIMIT_F32) { return sincos_huge_f32(a); }
    return sincos_core_f32(a);
}

fn sin_f32(x: f32) -> f32 {
    if (!isfinite_f32(x)) { return nan_f32(); }
    if (x == 0.0) { return x; }
    let a = abs(x);
    let k = sincos_any_f32(a);
    var v: f32;
    switch (u32(k.z)) {
        case 0u: { v = k.x; }
        case 1u: { v = k.y; }
        case 2u: { v = -k.x; }
        default: { v = -k.y; }
    }
    return select(v, -v, x < 0.0);
}
fn cos_f32(x: f32) -> f32 {
    if (!isfinite_f32(x)) { return nan_f32(); }
    let a = abs(x);
    let k = sincos_any_f32(a);
    switch (u32(k.z)) {
        case 0u: { return k.y; }
        case 1u: { return -k.x; }
        case 2u: { return -k.y; }
        default: { return k.x; }
    }
}
fn tan_f32(x: f32) -> f32 {
    if (!isfinite_f32(x)) { return nan_f32(); }
    if (x == 0.0) { return x; }
    let a = abs(x);
    let k = sincos_any_f32(a);
    var v: f32;
    if ((u32(k.z) & 1u) == 0u) { v = k.x / k.y; } else { v = -k.y / k.x; }
    return select(v, -v, x < 0.0);
}

// Cephes asinf on |x| <= 1, sign restored by the caller.
fn asin_core_f32(a: f32) -> f32 {
    if (a < 1.0e-4) { return a; }
    var x = a;
    var z: f32;
    let big = a > 0.5;
    if (big) {
        z = 0.5 * (1.0 - a);
        x = sqrt(z);
    } else {
        z = a * a;
    }
    var r = ((((4.2163199048e-2 * z + 2.4181311049e-2) * z + 4.5470025998e-2) * z
        + 7.4953002686e-2) * z + 1.6666752422e-1) * z * x + x;
    if (big) {
        r = PIO2_F32 - (r + r);
    }
    return r;
}
fn asin_f32(x: f32) -> f32 {
    if (isnan_f32(x) || x == 0.0) { return x; }
    let a = abs(x);
    if (a > 1.0) { return nan_f32(); }
    return copysign_f32(asin_core_f32(a), x);
}
fn acos_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    if (abs(x) > 1.0) { return nan_f32(); }
    if (x < -0.5) { return PI_F32 - 2.0 * asin_core_f32(sqrt(0.5 * (1.0 + x))); }
    if (x > 0.5) { return 2.0 * asin_core_f32(sqrt(0.5 * (1.0 - x))); }
    return PIO2_F32 - copysign_f32(asin_core_f32(abs(x)), x);
}

// Cephes atanf.
fn atan_f32(x: f32) -> f32 {
    if (isnan_f32(x) || x == 0.0) { return x; }
    if (isinf_f32(x)) { return copysign_f32(PIO2_F32, x); }
    var a = abs(x);
    var y = 0.0;
    if (a > 2.414213562373095) {
        y = PIO2_F32;
        a = -(1.0 / a);
    } else if (a > 0.4142135623730950) {
        y = PIO4_F32;
        a = (a - 1.0) / (a + 1.0);
    }
    let z = a * a;
    y += (((8.05374449538e-2 * z - 1.38776856032e-1) * z + 1.99777106478e-1) * z
        - 3.33329491539e-1) * z * a + a;
    return copysign_f32(y, x);
}

// atan2(y, x) with C's answers at zeros and infinities (Vulkan leaves atan2(0, 0) undefined).
fn atan2_f32(y: f32, x: f32) -> f32 {
    if (isnan_f32(x) || isnan_f32(y)) { return nan_f32(); }
    if (y == 0.0) {
        if (x > 0.0 || (x == 0.0 && !signbit_f32(x))) { return y; }
        return copysign_f32(PI_F32, y);
    }
    if (isinf_f32(y)) {
        if (isinf_f32(x)) {
            if (x > 0.0) { return copysign_f32(PIO4_F32, y); }
            return copysign_f32(3.0 * PIO4_F32, y);
        }
        return copysign_f32(PIO2_F32, y);
    }
    if (isinf_f32(x)) {
        if (x > 0.0) { return copysign_f32(0.0, y); }
        return copysign_f32(PI_F32, y);
    }
    if (x == 0.0) { return copysign_f32(PIO2_F32, y); }
    let t = atan_f32(y / x);
    if (x > 0.0) { return t; }
    return t + copysign_f32(PI_F32, y);
}

// sinh, cosh, tanh from the accurate exp and expm1, with a halved exponent where e^|x| would
// overflow before the result does.
fn sinh_f32(x: f32) -> f32 {
    if (!isfinite_f32(x) || x == 0.0) { return x; }
    let a = abs(x);
    var r: f32;
    if (a < 1.0) {
        let e = expm1_f32(a);
        r = 0.5 * (e + e / (e + 1.0));
    } else if (a < 88.0) {
        let e = exp_f32(a);
        r = 0.5 * (e - 1.0 / e);
    } else {
        r = exp_half_f32(a);
    }
    return copysign_f32(r, x);
}
fn cosh_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    let a = abs(x);
    if (isinf_f32(a)) { return a; }
    if (a < 88.0) {
        let e = exp_f32(a);
        return 0.5 * (e + 1.0 / e);
    }
    return exp_half_f32(a);
}
fn tanh_f32(x: f32) -> f32 {
    if (isnan_f32(x) || x == 0.0) { return x; }
    let a = abs(x);
    if (a > 9.1) { return copysign_f32(1.0, x); }
    let e = expm1_f32(2.0 * a);
    return copysign_f32(e / (e + 2.0), x);
}

// WGSL has no cbrt: exp2(log2|x| / 3) refined by one Newton step (written so y^3 cannot
// overflow).
fn cbrt_f32(x: f32) -> f32 {
    if (x == 0.0 || !isfinite_f32(x)) { return x; }
    let a = abs(x);
    var y = exp2_f32(log2_f32(a) * (1.0 / 3.0));
    y = y + (a / (y * y) - y) * (1.0 / 3.0);
    return copysign_f32(y, x);
}

// Whether y (finite) is an odd integer.
fn is_odd_integer_f32(y: f32) -> bool {
    if (trunc(y) != y || abs(y) >= 16777216.0) { return false; }
    return (i32(y) & 1) != 0;
}

// C's pow (what Rust's powf does) at every special value; exp2(y log2 x) otherwise.
fn pow_f32(x: f32, y: f32) -> f32 {
    if (y == 0.0 || x == 1.0) { return 1.0; }
    if (isnan_f32(x) || isnan_f32(y)) { return nan_f32(); }
    let ax = abs(x);
    if (isinf_f32(y)) {
        if (ax == 1.0) { return 1.0; }
        if ((ax < 1.0) == (y > 0.0)) { return 0.0; }
        return inf_f32();
    }
    let odd = is_odd_integer_f32(y);
    if (x == 0.0) {
        if (y < 0.0) {
            if (odd) { return copysign_f32(inf_f32(), x); }
            return inf_f32();
        }
        if (odd) { return x; }
        return 0.0;
    }
    if (isinf_f32(x)) {
        var r = 0.0;
        if (y > 0.0) { r = inf_f32(); }
        if (x < 0.0 && odd) { return -r; }
        return r;
    }
    if (x < 0.0 && trunc(y) != y) { return nan_f32(); }
    let r = exp2_f32(y * log2_f32(ax));
    if (x < 0.0 && odd) { return -r; }
    return r;
}

const LN2_F32: f32 = 0.69314718055994531;

// hypot without overflow or underflow in between: both scaled by the larger one's power of
// two (exact), so the squares stay in range; C's answer (inf) if either is infinite, even
// beside a NaN.
fn hypot_f32(x: f32, y: f32) -> f32 {
    let a = abs(x);
    let b = abs(y);
    if (isinf_f32(a) || isinf_f32(b)) { return inf_f32(); }
    if (isnan_f32(a) || isnan_f32(b)) { return nan_f32(); }
    let hi = max(a, b);
    if (hi == 0.0) { return 0.0; }
    let e = frexp(hi).exp;
    let s = ldexp(a, -e);
    let t = ldexp(b, -e);
    return ldexp(sqrt(s * s + t * t), e);
}

// The inverse hyperbolic functions from the accurate ln and log1p, in the forms that keep
// their relative accuracy: log1p near 0 (and near 1 for acosh), ln(2|x|) where the square
// root is |x| to f32 precision.
fn asinh_f32(x: f32) -> f32 {
    if (!isfinite_f32(x) || x == 0.0) { return x; }
    let a = abs(x);
    var r: f32;
    if (a > 4096.0) {
        r = ln_f32(a) + LN2_F32;
    } else if (a > 2.0) {
        r = ln_f32(2.0 * a + 1.0 / (sqrt(a * a + 1.0) + a));
    } else {
        let t = a * a;
        r = log1p_f32(a + t / (1.0 + sqrt(1.0 + t)));
    }
    return copysign_f32(r, x);
}
fn acosh_f32(x: f32) -> f32 {
    if (isnan_f32(x) || x < 1.0) { return nan_f32(); }
    if (isinf_f32(x)) { return x; }
    if (x > 4096.0) { return ln_f32(x) + LN2_F32; }
    if (x > 2.0) { return ln_f32(2.0 * x - 1.0 / (x + sqrt(x * x - 1.0))); }
    let t = x - 1.0; // exact for x in [1, 2]
    return log1p_f32(t + sqrt(2.0 * t + t * t));
}
fn atanh_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    let a = abs(x);
    if (a > 1.0) { return nan_f32(); }
    if (a == 1.0) { return copysign_f32(inf_f32(), x); }
    var r: f32;
    if (a < 0.5) {
        r = 0.5 * log1p_f32(2.0 * a + 2.0 * a * a / (1.0 - a));
    } else {
        r = 0.5 * log1p_f32(2.0 * a / (1.0 - a));
    }
    return copysign_f32(r, x);
}

// erf: below 0.8 its Taylor series in x^2 (the terms alternate but fall fast, so little
// cancels); from 0.8, 1 - erfc with erfc = e^(-x^2) / sqrt(pi) / (x + 1/2 / (x + 1 / (x +
// 3/2 / ...))), the continued fraction evaluated from the bottom (80 levels reach 1e-10 at
// x = 1). There erfc < 0.26, so the rounding of x^2 inside e^(-x^2) is scaled down in the
// result. From 4 on erf is 1 in f32.
fn erf_f32(x: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    let a = abs(x);
    if (a >= 4.0) { return copysign_f32(1.0, x); }
    let t = a * a;
    if (a < 0.8) {
        var p = -1.2290555e-9;
        p = p * t + 1.4807193e-8;
        p = p * t - 1.6365845e-7;
        p = p * t + 1.6462114e-6;
        p = p * t - 1.4925650e-5;
        p = p * t + 1.2055333e-4;
        p = p * t - 8.5483270e-4;
        p = p * t + 5.2239776e-3;
        p = p * t - 2.6866171e-2;
        p = p * t + 1.1283792e-1;
        p = p * t - 3.7612639e-1;
        p = p * t + 1.1283792;
        return x * p;
    }
    var f = 0.0;
    for (var k = 80; k > 0; k--) {
        f = (f32(k) * 0.5) / (a + f);
    }
    let erfc = exp_f32(-t) * 0.56418958 / (a + f);
    return copysign_f32(1.0 - erfc, x);
}
