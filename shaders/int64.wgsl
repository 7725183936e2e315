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
