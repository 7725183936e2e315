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

/// Defines `pub fn $name(args) -> ret` three times over: the body compiled for AVX-512, for
/// AVX2 and for baseline x86-64, and a dispatcher that picks the copy as swath picks its own
/// kernels (`Isa::detect`), so a reference never runs on a narrower ISA than swath does.
macro_rules! isa_copies {
    ($(#[$doc:meta])* pub fn $name:ident($($arg:ident : $ty:ty),*) -> $ret:ty $body:block) => {
        $(#[$doc])*
        pub fn $name($($arg: $ty),*) -> $ret {
            #[inline(always)]
            fn body($($arg: $ty),*) -> $ret $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(
                enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma,bmi1,bmi2,lzcnt,popcnt"
            )]
            unsafe fn avx512($($arg: $ty),*) -> $ret {
                body($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx2,fma,bmi1,bmi2,lzcnt,popcnt")]
            unsafe fn avx2($($arg: $ty),*) -> $ret {
                body($($arg),*)
            }
            match swath::Isa::detect() {
                // SAFETY: `Isa::detect` names only an ISA whose every feature this CPU has,
                // the features these copies are compiled with.
                #[cfg(target_arch = "x86_64")]
                swath::Isa::Avx512 => unsafe { avx512($($arg),*) },
                // SAFETY: as above.
                #[cfg(target_arch = "x86_64")]
                swath::Isa::Avx2 => unsafe { avx2($($arg),*) },
                _ => body($($arg),*),
            }
        }
    };
}

isa_copies! {
    /// A plain read of `xs`' bytes (an xor of their bits): the memory or cache limit a loop
    /// over the same bytes cannot beat, printed beside each reference.
    pub fn read(xs: &[&[f32]]) -> u32 {
        // One column at a time, its 32 lanes in registers (with the lanes shared across the
        // columns they lived on the stack: a store and a load per step, half the speed).
        #[inline(always)]
        fn column(x: &[f32]) -> u32 {
            let mut acc = [0u32; 32];
            let mut chunks = x.chunks_exact(32);
            for c in &mut chunks {
                for (a, v) in acc.iter_mut().zip(c) {
                    *a ^= v.to_bits();
                }
            }
            let tail = chunks.remainder().iter().fold(0, |a, v| a ^ v.to_bits());
            acc.iter().fold(tail, |a, b| a ^ b)
        }
        xs.iter().fold(0, |a, x| a ^ column(x))
    }
}

isa_copies! {
    /// The hand-written 16-accumulator f32 sum: the practical limit for `sum`.
    pub fn sum16(x: &[f32]) -> f32 {
        let mut acc = [0.0f32; 16];
        let mut chunks = x.chunks_exact(16);
        for c in &mut chunks {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += v;
            }
        }
        let tail: f32 = chunks.remainder().iter().sum();
        acc.iter().sum::<f32>() + tail
    }
}

isa_copies! {
    /// The f64 sum, 8 accumulators (one AVX-512 vector).
    pub fn sum_f64(x: &[f64]) -> f64 {
        let mut acc = [0.0f64; 8];
        let mut chunks = x.chunks_exact(8);
        for c in &mut chunks {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += v;
            }
        }
        let tail: f64 = chunks.remainder().iter().sum();
        acc.iter().sum::<f64>() + tail
    }
}

isa_copies! {
    /// The i32 sum into i64, as swath sums i32 (no overflow).
    pub fn sum_i32(x: &[i32]) -> i64 {
        let mut acc = [0i64; 8];
        let mut chunks = x.chunks_exact(8);
        for c in &mut chunks {
            for (a, v) in acc.iter_mut().zip(c) {
                *a += i64::from(*v);
            }
        }
        let tail: i64 = chunks.remainder().iter().map(|&v| i64::from(v)).sum();
        acc.iter().sum::<i64>() + tail
    }
}

isa_copies! {
    /// The hand-written fused `sum(sqrt(a*b+c))` loop, 16 accumulators, the three streams
    /// zipped (no indexing, so no bounds checks: it vectorizes).
    pub fn fused16(a: &[f32], b: &[f32], c: &[f32]) -> f32 {
        let mut acc = [0.0f32; 16];
        let (ca, cb, cc) = (a.chunks_exact(16), b.chunks_exact(16), c.chunks_exact(16));
        let tail = ca
            .remainder()
            .iter()
            .zip(cb.remainder())
            .zip(cc.remainder())
            .map(|((a, b), c)| (a * b + c).sqrt())
            .sum::<f32>();
        for ((a, b), c) in ca.zip(cb).zip(cc) {
            for j in 0..16 {
                acc[j] += (a[j] * b[j] + c[j]).sqrt();
            }
        }
        acc.iter().sum::<f32>() + tail
    }
}

isa_copies! {
    /// The fused loop in f64, 8 accumulators.
    pub fn fused_f64(a: &[f64], b: &[f64], c: &[f64]) -> f64 {
        let mut acc = [0.0f64; 8];
        let (ca, cb, cc) = (a.chunks_exact(8), b.chunks_exact(8), c.chunks_exact(8));
        let tail = ca
            .remainder()
            .iter()
            .zip(cb.remainder())
            .zip(cc.remainder())
            .map(|((a, b), c)| (a * b + c).sqrt())
            .sum::<f64>();
        for ((a, b), c) in ca.zip(cb).zip(cc) {
            for j in 0..8 {
                acc[j] += (a[j] * b[j] + c[j]).sqrt();
            }
        }
        acc.iter().sum::<f64>() + tail
    }
}

isa_copies! {
    /// The map `a*b+c` into a preallocated buffer (no contraction, as swath); gives the rows
    /// written.
    pub fn map_into(a: &[f32], b: &[f32], c: &[f32], out: &mut [f32]) -> usize {
        let rows = out.len().min(a.len()).min(b.len()).min(c.len());
        for (((o, a), b), c) in out.iter_mut().zip(a).zip(b).zip(c) {
            *o = a * b + c;
        }
        rows
    }
}

isa_copies! {
    /// The branchy chain `sum(a > b ? a*b - c : |c|)` by hand, 16 accumulators (the select
    /// compiles to a blend).
    pub fn branchy16(a: &[f32], b: &[f32], c: &[f32]) -> f32 {
        let mut acc = [0.0f32; 16];
        let (ca, cb, cc) = (a.chunks_exact(16), b.chunks_exact(16), c.chunks_exact(16));
        let pick = |a: f32, b: f32, c: f32| if a > b { a * b - c } else { c.abs() };
        let tail = ca
            .remainder()
            .iter()
            .zip(cb.remainder())
            .zip(cc.remainder())
            .map(|((&a, &b), &c)| pick(a, b, c))
            .sum::<f32>();
        for ((a, b), c) in ca.zip(cb).zip(cc) {
            for j in 0..16 {
                acc[j] += pick(a[j], b[j], c[j]);
            }
        }
        acc.iter().sum::<f32>() + tail
    }
}

/// `sum(sin(a) * exp(-(a*a)))` calling the standard library's `sin` and `exp` (one library
/// call each per element: what a hand loop gets without a vector math library).
pub fn heavy_std(a: &[f32]) -> f32 {
    a.iter().map(|&x| x.sin() * (-(x * x)).exp()).sum()
}

/// `f` over the two halves of `0..n` on two threads of a pool kept for the purpose (rayon's
/// `join`: spawning a thread per call cost ~90 µs here, more than a 64K-row pass), the results
/// combined by `join`: the practical two-core limit of a reference.
pub fn two_threads<T: Send>(
    n: usize,
    f: impl Fn(std::ops::Range<usize>) -> T + Sync,
    join: impl Fn(T, T) -> T,
) -> T {
    static POOL: std::sync::OnceLock<rayon::ThreadPool> = std::sync::OnceLock::new();
    let pool = POOL.get_or_init(|| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(2)
            .build()
            .expect("a two-thread pool")
    });
    let h = n / 2;
    let (left, right) = pool.install(|| rayon::join(|| f(0..h), || f(h..n)));
    join(left, right)
}

/// Median wall time of `runs` calls, after one warm-up call.
pub fn median_ns(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = std::time::Instant::now();
            f();
            t.elapsed().as_nanos() as f64
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}
