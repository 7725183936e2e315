// Helpers for kernels that use f64 (needs SHADER_F64, and SHADER_INT64 for the bit tests).
// Vulkan defines no f64 transcendentals (GLSL.std.450 exp, log, sin ... are 16/32-bit only), so
// kernels with them run on the CPU; what is here is exact or correctly rounded.

fn nan_f64() -> f64 { return f64(nan_f32()); }
fn inf_f64() -> f64 { return f64(inf_f32()); }
fn isnan_f64(x: f64) -> bool {
    return (bitcast<u64>(x) & 0x7ffffffffffffffflu) > 0x7ff0000000000000lu;
}
fn isinf_f64(x: f64) -> bool {
    return (bitcast<u64>(x) & 0x7ffffffffffffffflu) == 0x7ff0000000000000lu;
}
fn isfinite_f64(x: f64) -> bool {
    return (bitcast<u64>(x) & 0x7ffffffffffffffflu) < 0x7ff0000000000000lu;
}
fn signbit_f64(x: f64) -> bool { return (bitcast<u64>(x) >> 63u) != 0lu; }
fn copysign_f64(mag: f64, sgn: f64) -> f64 {
    return bitcast<f64>((bitcast<u64>(mag) & 0x7ffffffffffffffflu)
        | (bitcast<u64>(sgn) & 0x8000000000000000lu));
}
fn truthy_f64(x: f64) -> bool { return (bitcast<u64>(x) & 0x7ffffffffffffffflu) != 0lu; }
fn f64_lo(x: f64) -> u32 { return u32(bitcast<u64>(x) & 0xfffffffflu); }
fn f64_hi(x: f64) -> u32 { return u32(bitcast<u64>(x) >> 32u); }
fn f64_from_words(lo: u32, hi: u32) -> f64 { return bitcast<f64>(u64(lo) | (u64(hi) << 32u)); }

fn nmin_f64(x: f64, y: f64) -> f64 {
    if (isnan_f64(x)) { return x; }
    if (isnan_f64(y) || y < x) { return y; }
    return x;
}
fn nmax_f64(x: f64, y: f64) -> f64 {
    if (isnan_f64(x)) { return x; }
    if (isnan_f64(y) || y > x) { return y; }
    return x;
}
fn sign_f64(x: f64) -> f64 {
    if (x > 0.0lf) { return 1.0lf; }
    if (x < 0.0lf) { return -1.0lf; }
    return x;
}
fn div_f64(a: f64, b: f64) -> f64 {
    if (b == 0.0lf) {
        if (a == 0.0lf || isnan_f64(a)) { return nan_f64(); }
        return copysign_f64(inf_f64(), bitcast<f64>(bitcast<u64>(a) ^ bitcast<u64>(b)));
    }
    if (isinf_f64(b)) {
        if (!isfinite_f64(a)) { return nan_f64(); }
        return bitcast<f64>((bitcast<u64>(a) ^ bitcast<u64>(b)) & 0x8000000000000000lu);
    }
    return a / b;
}
fn sqrt_f64(x: f64) -> f64 {
    if (x < 0.0lf) { return nan_f64(); }
    if (x == 0.0lf || !isfinite_f64(x)) { return x; }
    return sqrt(x);
}

// musl's fmod, exact.
fn fmod_f64(x: f64, y: f64) -> f64 {
    var ux = bitcast<u64>(x);
    var uy = bitcast<u64>(y);
    var ex = i32((ux >> 52u) & 0x7fflu);
    var ey = i32((uy >> 52u) & 0x7fflu);
    let sx = ux & 0x8000000000000000lu;
    if ((uy << 1u) == 0lu || isnan_f64(y) || ex == 0x7ff) { return nan_f64(); }
    if ((ux << 1u) <= (uy << 1u)) {
        if ((ux << 1u) == (uy << 1u)) { return bitcast<f64>(sx); }
        return x;
    }
    if (ex == 0) {
        var i = ux << 12u;
        while ((i >> 63u) == 0lu) { ex -= 1; i = i << 1u; }
        ux = ux << u32(1 - ex);
    } else {
        ux = (ux & 0x000ffffffffffffflu) | 0x0010000000000000lu;
    }
    if (ey == 0) {
        var i = uy << 12u;
        while ((i >> 63u) == 0lu) { ey -= 1; i = i << 1u; }
        uy = uy << u32(1 - ey);
    } else {
        uy = (uy & 0x000ffffffffffffflu) | 0x0010000000000000lu;
    }
    while (ex > ey) {
        let i = ux - uy;
        if ((i >> 63u) == 0lu) {
            if (i == 0lu) { return bitcast<f64>(sx); }
            ux = i;
        }
        ux = ux << 1u;
        ex -= 1;
    }
    let i = ux - uy;
    if ((i >> 63u) == 0lu) {
        if (i == 0lu) { return bitcast<f64>(sx); }
        ux = i;
    }
    while ((ux >> 52u) == 0lu) { ux = ux << 1u; ex -= 1; }
    if (ex > 0) {
        ux = (ux - 0x0010000000000000lu) | (u64(u32(ex)) << 52u);
    } else {
        ux = ux >> u32(1 - ex);
    }
    return bitcast<f64>(ux | sx);
}

fn f64_to_i32(x: f64) -> i32 {
    if (isnan_f64(x)) { return 0i; }
    if (x >= 2147483647.0lf) { return 2147483647i; }
    if (x <= -2147483648.0lf) { return -2147483647i - 1i; }
    return i32(x);
}
fn f64_to_u32(x: f64) -> u32 {
    if (isnan_f64(x) || x <= 0.0lf) { return 0u; }
    if (x >= 4294967295.0lf) { return 4294967295u; }
    return u32(x);
}
fn f64_to_i64(x: f64) -> i64 {
    if (isnan_f64(x)) { return 0li; }
    if (x >= 9223372036854775808.0lf) { return 9223372036854775807li; }
    if (x <= -9223372036854775808.0lf) { return -9223372036854775807li - 1li; }
    return i64(x);
}
// Rounds to nearest like Rust's `as f32`, overflowing to infinity.
fn f64_to_f32(x: f64) -> f32 {
    if (isnan_f64(x)) { return nan_f32(); }
    if (abs(x) >= 340282356779733661637539395458142568448.0lf) {
        return copysign_f32(inf_f32(), f32(sign_f64(x)));
    }
    return f32(x);
}

// An f32 value as f64, exactly, subnormals included: built from the bits, since a device that
// flushes f32 subnormals may flush them in the conversion too.
fn widen_f32(x: f32) -> f64 {
    let u = bitcast<u32>(x);
    if ((u & 0x7f800000u) != 0u) { return f64(x); }
    // Zero or subnormal: the mantissa times 2^-149.
    let m = f64(u & 0x007fffffu) * 1.401298464324817e-45lf;
    return select(m, -m, (u >> 31u) != 0u);
}

// f32 division, correctly rounded, on a device with f64. Vulkan lets f32 `/` be 2.5 ulps off,
// and NVIDIA's is off by one at times; the quotient in f64, even a few f64 ulps off, rounds to
// the correctly rounded f32 quotient, because no quotient of two f32 values lies within 2^-49
// (relative) of a point halfway between two f32 values. Subnormal operands are divided
// exactly (tested by bits: NVIDIA's f32 compares and conversions flush them, and a subnormal
// divisor gave NaN).
fn div_wide_f32(a: f32, b: f32) -> f32 {
    // Zero, infinite and NaN divisors as `div_f32`; an infinite or NaN dividend divides in
    // f64 like any other (NVIDIA's f32 `inf / 3e38` gave NaN).
    let mag_b = bitcast<u32>(b) & 0x7fffffffu;
    if (mag_b == 0u || mag_b >= 0x7f800000u) { return div_f32(a, b); }
    let q = widen_f32(a) / widen_f32(b);
    // At or past f32::MAX + half an ulp, round to nearest gives infinity (a conversion out of
    // range is not defined by WGSL).
    if (abs(q) >= 3.4028235677973366e38lf) { return select(inf_f32(), -inf_f32(), q < 0.0lf); }
    return f32(q);
}

// numpy's divmod of f64 (see common.wgsl's f32 versions).
fn floordiv_f64(x: f64, y: f64) -> f64 {
    if (y == 0.0lf) { return div_f64(x, y); }
    // NaN answered first: a driver may fold comparisons with NaN (see the top of common.wgsl).
    if (!isfinite_f64(x) || isnan_f64(y)) { return nan_f64(); }
    let m = fmod_f64(x, y);
    var d = div_f64(x - m, y);
    if (m != 0.0lf && ((y < 0.0lf) != (m < 0.0lf))) { d = d - 1.0lf; }
    if (d != 0.0lf) {
        var q = floor(d);
        if (d - q > 0.5lf) { q = q + 1.0lf; }
        return q;
    }
    return copysign_f64(0.0lf, div_f64(x, y));
}
fn remainder_f64(x: f64, y: f64) -> f64 {
    if (y == 0.0lf || !isfinite_f64(x) || isnan_f64(y)) { return nan_f64(); }
    var m = fmod_f64(x, y);
    if (m == 0.0lf) { return copysign_f64(0.0lf, y); }
    if ((y < 0.0lf) != (m < 0.0lf)) { m = m + y; }
    return m;
}

// C's nextafter: one step of the bit pattern toward y.
fn nextafter_f64(x: f64, y: f64) -> f64 {
    if (isnan_f64(x) || isnan_f64(y)) { return nan_f64(); }
    if (x == y) { return y; }
    if (x == 0.0lf) { return copysign_f64(bitcast<f64>(1lu), y); }
    let b = bitcast<u64>(x);
    if ((y > x) == (x > 0.0lf)) { return bitcast<f64>(b + 1lu); }
    return bitcast<f64>(b - 1lu);
}

// Rounding of f64 by the bits: lavapipe's f64 `trunc` returned -52147716448404.03 unchanged
// and its `round` truncated (7.5 gave 7). trunc clears the fraction's bits; the others adjust
// it, exactly, and keep the operand's sign (-0.3 gives -0.0).
fn trunc_f64(x: f64) -> f64 {
    let b = bitcast<u64>(x);
    let e = i32((b >> 52u) & 0x7fflu) - 1023;
    if (e >= 52) { return x; } // already whole, or inf or NaN
    if (e < 0) { return bitcast<f64>(b & 0x8000000000000000lu); }
    let fraction = (1lu << u32(52 - e)) - 1lu;
    return bitcast<f64>(b & ~fraction);
}
fn floor_f64(x: f64) -> f64 {
    let t = trunc_f64(x);
    if (x < t) { return t - 1.0lf; }
    return t;
}
fn ceil_f64(x: f64) -> f64 {
    let t = trunc_f64(x);
    if (x > t) { return copysign_f64(t + 1.0lf, x); }
    return t;
}
// Half to even, as numpy's and Rust's round_ties_even.
fn round_f64(x: f64) -> f64 {
    let t = trunc_f64(x);
    let d = bitcast<f64>(bitcast<u64>(x - t) & 0x7ffffffffffffffflu);
    let odd = t - 2.0lf * trunc_f64(t * 0.5lf) != 0.0lf;
    if (d > 0.5lf || (d == 0.5lf && odd)) { return t + copysign_f64(1.0lf, x); }
    return t;
}
