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
