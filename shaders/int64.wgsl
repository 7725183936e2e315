// Helpers for kernels that use i64 (needs the device's SHADER_INT64).

fn f32_to_i64(x: f32) -> i64 {
    if (isnan_f32(x)) { return 0li; }
    if (x >= 9223372036854775808.0) { return 9223372036854775807li; }
    if (x <= -9223372036854775808.0) { return -9223372036854775807li - 1li; }
    return i64(x);
}
// Bits of an i64 as two u32 words (low first), and back.
fn i64_lo(x: i64) -> u32 { return u32(bitcast<u64>(x) & 0xfffffffflu); }
fn i64_hi(x: i64) -> u32 { return u32(bitcast<u64>(x) >> 32u); }
fn i64_from_words(lo: u32, hi: u32) -> i64 { return bitcast<i64>(u64(lo) | (u64(hi) << 32u)); }

// i64 `//`, `%`, fmod and shifts (see common.wgsl's i32 versions).
fn floordiv_i64(a: i64, b: i64) -> i64 {
    if (b == 0li) { return 0li; }
    let q = a / b;
    let r = a - q * b;
    if (r != 0li && ((r < 0li) != (b < 0li))) { return q - 1li; }
    return q;
}
fn remainder_i64(a: i64, b: i64) -> i64 {
    if (b == 0li) { return 0li; }
    let r = a - (a / b) * b;
    if (r != 0li && ((r < 0li) != (b < 0li))) { return r + b; }
    return r;
}
fn fmod_i64(a: i64, b: i64) -> i64 {
    if (b == 0li) { return 0li; }
    return a - (a / b) * b;
}
fn shl_i64(a: i64, b: i64) -> i64 {
    if (b < 0li || b >= 64li) { return 0li; }
    return a << u32(b);
}
fn shr_i64(a: i64, b: i64) -> i64 {
    if (b < 0li || b >= 64li) { return select(0li, -1li, a < 0li); }
    return a >> u32(b);
}
