//! What the bench targets share: random data (never zeros or constants: BENCHMARKS.md, top) and
//! the hand-written loops swath is measured against.

#![allow(dead_code)] // each bench target uses part of this file

/// `n` pseudo-random f32 in [lo, hi), from a splitmix64 stream seeded with `seed`.
pub fn random_f32(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            lo + (hi - lo) * ((z >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// The hand-written 16-accumulator f32 sum: the practical limit for `sum`.
pub fn sum16(x: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let mut chunks = x.chunks_exact(16);
    for c in &mut chunks {
        for j in 0..16 {
            acc[j] += c[j];
        }
    }
    let tail: f32 = chunks.remainder().iter().sum();
    acc.iter().sum::<f32>() + tail
}

/// The hand-written fused `sum(sqrt(a*b+c))` loop, 16 accumulators.
pub fn fused16(a: &[f32], b: &[f32], c: &[f32]) -> f32 {
    let mut acc = [0.0f32; 16];
    let n = a.len() / 16 * 16;
    for i in (0..n).step_by(16) {
        for j in 0..16 {
            acc[j] += (a[i + j] * b[i + j] + c[i + j]).sqrt();
        }
    }
    let tail: f32 = (n..a.len()).map(|i| (a[i] * b[i] + c[i]).sqrt()).sum();
    acc.iter().sum::<f32>() + tail
}
