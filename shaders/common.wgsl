// Helpers every generated kernel includes: NaN tests by bits, IEEE division and exact fmod,
// numpy's minimum/maximum, and the saturating casts of Rust's `as` (f32 math is in
// math_f32.wgsl).
//
// Why so many guards: Vulkan leaves builtins undefined or loosely bounded at special inputs
// (sqrt of -1, division by 0 or by infinity), WGSL's min/max drop NaN, and a driver may fold
// `x != x` to false. Each helper answers the special cases itself and calls the builtin only
// where the builtin is defined.
//
// NaN and infinity come from the constants buffer (`consts[1]`, `consts[2]`): a NaN or an
// infinity written as a WGSL constant expression is a shader-creation error.

fn nan_f32() -> f32 { return bitcast<f32>(consts[1]); }
fn inf_f32() -> f32 { return bitcast<f32>(consts[2]); }
fn isnan_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
fn isinf_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) == 0x7f800000u; }
fn isfinite_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) < 0x7f800000u; }
// Whether x is -0.0 or has its sign bit set.
fn signbit_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x80000000u) != 0u; }
fn copysign_f32(mag: f32, sgn: f32) -> f32 {
    return bitcast<f32>((bitcast<u32>(mag) & 0x7fffffffu) | (bitcast<u32>(sgn) & 0x80000000u));
}
// Number to bool, Rust's `x != 0` (NaN is true, -0 is false).
fn truthy_f32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) != 0u; }

// numpy's minimum/maximum: NaN propagates (the first operand's NaN if both are NaN).
fn nmin_f32(x: f32, y: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    if (isnan_f32(y) || y < x) { return y; }
    return x;
}
fn nmax_f32(x: f32, y: f32) -> f32 {
    if (isnan_f32(x)) { return x; }
    if (isnan_f32(y) || y > x) { return y; }
    return x;
}

fn sign_f32(x: f32) -> f32 {
    if (x > 0.0) { return 1.0; }
    if (x < 0.0) { return -1.0; }
    return x; // zeros keep their sign, NaN stays NaN
}

// Vulkan bounds division only for divisors in [2^-126, 2^126]: give IEEE answers for zero and
// infinite divisors, and scale larger ones into range (NVIDIA multiplies by a reciprocal,
// which flushes to zero past 2^126: inf / 3e38 gave NaN).
fn div_f32(a: f32, b: f32) -> f32 {
    if (b == 0.0) {
        if (a == 0.0 || isnan_f32(a)) { return nan_f32(); }
        return copysign_f32(inf_f32(), bitcast<f32>(bitcast<u32>(a) ^ bitcast<u32>(b)));
    }
    if (isinf_f32(b)) {
        if (!isfinite_f32(a)) { return nan_f32(); }
        return bitcast<f32>((bitcast<u32>(a) ^ bitcast<u32>(b)) & 0x80000000u);
    }
    if (abs(b) > 8.507059e37) { return (a * 0.25) / (b * 0.25); }
    return a / b;
}

// C's fmod, exact (musl's fmodf): the remainder has the dividend's sign. WGSL's `%` on floats
// is `x - y * trunc(x / y)`, which is not exact.
fn fmod_f32(x: f32, y: f32) -> f32 {
    var ux = bitcast<u32>(x);
    var uy = bitcast<u32>(y);
    var ex = i32((ux >> 23u) & 0xffu);
    var ey = i32((uy >> 23u) & 0xffu);
    let sx = ux & 0x80000000u;
    if ((uy << 1u) == 0u || isnan_f32(y) || ex == 0xff) { return nan_f32(); }
    if ((ux << 1u) <= (uy << 1u)) {
        if ((ux << 1u) == (uy << 1u)) { return bitcast<f32>(sx); }
        return x;
    }
    if (ex == 0) {
        var i = ux << 9u;
        while ((i >> 31u) == 0u) { ex -= 1; i = i << 1u; }
        ux = ux << u32(1 - ex);
    } else {
        ux = (ux & 0x007fffffu) | 0x00800000u;
    }
    if (ey == 0) {
        var i = uy << 9u;
        while ((i >> 31u) == 0u) { ey -= 1; i = i << 1u; }
        uy = uy << u32(1 - ey);
    } else {
        uy = (uy & 0x007fffffu) | 0x00800000u;
    }
    while (ex > ey) {
        let i = ux - uy;
        if ((i >> 31u) == 0u) {
            if (i == 0u) { return bitcast<f32>(sx); }
            ux = i;
        }
        ux = ux << 1u;
        ex -= 1;
    }
    let i = ux - uy;
    if ((i >> 31u) == 0u) {
        if (i == 0u) { return bitcast<f32>(sx); }
        ux = i;
    }
    while ((ux >> 23u) == 0u) { ux = ux << 1u; ex -= 1; }
    if (ex > 0) {
        ux = (ux - 0x00800000u) | (u32(ex) << 23u);
    } else {
        ux = ux >> u32(1 - ex);
    }
    return bitcast<f32>(ux | sx);
}

fn sqrt_f32(x: f32) -> f32 {
    if (x < 0.0) { return nan_f32(); }
    if (x == 0.0 || !isfinite_f32(x)) { return x; }
    return sqrt(x);
}

// Float to integer with Rust's `as`: truncate, saturate, NaN gives 0.
fn f32_to_i32(x: f32) -> i32 {
    if (isnan_f32(x)) { return 0i; }
    if (x >= 2147483648.0) { return 2147483647i; }
    if (x <= -2147483648.0) { return -2147483647i - 1i; }
    return i32(x);
}
fn f32_to_u32(x: f32) -> u32 {
    if (isnan_f32(x) || x <= 0.0) { return 0u; }
    if (x >= 4294967296.0) { return 4294967295u; }
    return u32(x);
}

// The `uniform` op: the "lowbias32" hash of a u32 key, top 24 bits scaled to [0, 1). Integer
// arithmetic only, so it matches the CPU (src/ops/elem.rs `uniform`) bit for bit.
fn uniform_u32(key: u32) -> f32 {
    var h = key;
    h = h ^ (h >> 16u);
    h = h * 0x7feb352du;
    h = h ^ (h >> 15u);
    h = h * 0x846ca68bu;
    h = h ^ (h >> 16u);
    return f32(h >> 8u) * (1.0 / 16777216.0);
}

// numpy's divmod of floats (npy_divmod): the quotient rounded toward -inf and the remainder
// with the divisor's sign, from the exact fmod (see src/ops/elem.rs `float_divmod`).
fn floordiv_f32(x: f32, y: f32) -> f32 {
    if (y == 0.0) { return div_f32(x, y); }
    // NaN answered first: a driver may fold comparisons with NaN (see the top of common.wgsl).
    if (!isfinite_f32(x) || isnan_f32(y)) { return nan_f32(); }
    let m = fmod_f32(x, y);
    var d = div_f32(x - m, y);
    if (m != 0.0 && ((y < 0.0) != (m < 0.0))) { d = d - 1.0; }
    if (d != 0.0) {
        var q = floor(d);
        if (d - q > 0.5) { q = q + 1.0; }
        return q;
    }
    return copysign_f32(0.0, div_f32(x, y));
}
fn remainder_f32(x: f32, y: f32) -> f32 {
    if (y == 0.0 || !isfinite_f32(x) || isnan_f32(y)) { return nan_f32(); }
    var m = fmod_f32(x, y);
    if (m == 0.0) { return copysign_f32(0.0, y); }
    if ((y < 0.0) != (m < 0.0)) { m = m + y; }
    return m;
}

// C's nextafter: one step of the bit pattern toward y.
fn nextafter_f32(x: f32, y: f32) -> f32 {
    if (isnan_f32(x) || isnan_f32(y)) { return nan_f32(); }
    if (x == y) { return y; }
    if (x == 0.0) { return copysign_f32(bitcast<f32>(1u), y); }
    let b = bitcast<u32>(x);
    if ((y > x) == (x > 0.0)) { return bitcast<f32>(b + 1u); }
    return bitcast<f32>(b - 1u);
}

// Integer `//`, `%` (the divisor's sign) and fmod (the dividend's sign), 0 for a zero divisor.
// Signed `%` is spelled `a - (a / b) * b`: naga's GLSL output computed it as an unsigned
// modulo (5 % -3 gave 5 on llvmpipe's GL); MIN / -1 wraps to MIN, as Rust's wrapping_div.
fn floordiv_i32(a: i32, b: i32) -> i32 {
    if (b == 0i) { return 0i; }
    let q = a / b;
    let r = a - q * b;
    if (r != 0i && ((r < 0i) != (b < 0i))) { return q - 1i; }
    return q;
}
fn remainder_i32(a: i32, b: i32) -> i32 {
    if (b == 0i) { return 0i; }
    let r = a - (a / b) * b;
    if (r != 0i && ((r < 0i) != (b < 0i))) { return r + b; }
    return r;
}
fn fmod_i32(a: i32, b: i32) -> i32 {
    if (b == 0i) { return 0i; }
    return a - (a / b) * b;
}
fn floordiv_u32(a: u32, b: u32) -> u32 { return select(a / b, 0u, b == 0u); }
fn remainder_u32(a: u32, b: u32) -> u32 { return select(a % b, 0u, b == 0u); }
fn fmod_u32(a: u32, b: u32) -> u32 { return select(a % b, 0u, b == 0u); }

// Shifts as numpy's: by a negative amount or the width or more, 0 (or -1 for `>>` of a
// negative value); WGSL would take the amount modulo the width.
fn shl_i32(a: i32, b: i32) -> i32 {
    if (b < 0i || b >= 32i) { return 0i; }
    return a << u32(b);
}
fn shr_i32(a: i32, b: i32) -> i32 {
    // Past the width: the sign fill, which an arithmetic shift by 31 is.
    if (b < 0i || b >= 32i) { return a >> 31u; }
    return a >> u32(b);
}
fn shl_u32(a: u32, b: u32) -> u32 { return select(a << (b & 31u), 0u, b >= 32u); }
fn shr_u32(a: u32, b: u32) -> u32 { return select(a >> (b & 31u), 0u, b >= 32u); }
