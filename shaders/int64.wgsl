// Helpers for kernels that use i64 (needs the device's SHADER_INT64).

fn f32_to_i64(x: f32) -> i64 {
    if (isnan_f32(x)) { return 0li; }
    if (x >= 9223372036854775808.0) { return 9223372036854775807li; }
    if (x <= -9223372036854775808.0) { return -9223372036854775807li - 1li; }
    return i64(x);
}
// i32 to i64 by its bits: lavapipe's compiled `i64(x)` zero-extended a negative x when the
// result fed a sign test (`-265` became 4294967031 inside `%` and `//`).
fn i32_to_i64(x: i32) -> i64 {
    let low = u64(bitcast<u32>(x));
    if (x < 0i) { return bitcast<i64>(low | 0xffffffff00000000lu); }
    return bitcast<i64>(low);
}
// Bits of an i64 as two u32 words (low first), and back.
fn i64_lo(x: i64) -> u32 { return u32(bitcast<u64>(x) & 0xfffffffflu); }
fn i64_hi(x: i64) -> u32 { return u32(bitcast<u64>(x) >> 32u); }
fn i64_from_words(lo: u32, hi: u32) -> i64 { return bitcast<i64>(u64(lo) | (u64(hi) << 32u)); }

// i64 `//`, `%`, fmod and shifts (see common.wgsl's i32 versions). Signs and ranges are
// tested on the bits (`bitcast<u64>`): lavapipe miscompiled `b < 0li || b >= 64li` on an
// i64 widened from an i32 (it took a zero amount for a negative one).
fn neg_i64(x: i64) -> bool { return (bitcast<u64>(x) >> 63u) != 0lu; }
fn floordiv_i64(a: i64, b: i64) -> i64 {
    if (bitcast<u64>(b) == 0lu) { return a - a; }
    let q = a / b;
    let r = a - q * b;
    if (bitcast<u64>(r) != 0lu && neg_i64(r) != neg_i64(b)) { return q - 1li; }
    return q;
}
fn remainder_i64(a: i64, b: i64) -> i64 {
    if (bitcast<u64>(b) == 0lu) { return a - a; }
    let r = a - (a / b) * b;
    if (bitcast<u64>(r) != 0lu && neg_i64(r) != neg_i64(b)) { return r + b; }
    return r;
}
fn fmod_i64(a: i64, b: i64) -> i64 {
    if (bitcast<u64>(b) == 0lu) { return a - a; }
    return a - (a / b) * b;
}
// A negative amount is a huge one as u64, so one unsigned test covers both.
fn shl_i64(a: i64, b: i64) -> i64 {
    if (bitcast<u64>(b) >= 64lu) { return a - a; }
    return a << u32(bitcast<u64>(b));
}
fn shr_i64(a: i64, b: i64) -> i64 {
    // Past the width: the sign fill, which an arithmetic shift by 63 is.
    if (bitcast<u64>(b) >= 64lu) { return a >> 63u; }
    return a >> u32(bitcast<u64>(b));
}
