//! Reductions on the CPU, deterministic by construction.
//!
//! A block is reduced with 64 independent lane accumulators (enough to hide add latency at any
//! vector width, and the same lanes whatever the ISA, so the rounding is identical everywhere),
//! then block partials are combined pairwise within a chunk, then chunk partials pairwise in
//! chunk order. Chunk and block sizes are fixed, so the result does not depend on the thread
//! count or the ISA, and float sums have pairwise error growth (O(log n), like numpy).
//! Variance merges per-block (count, mean, M2) with Chan's formula. A chunk's partial is the
//! shared `ops::reduce::Partial`, combined across chunks by the reduction's own rule
//! (`ReduceOp::combine`), as the GPU's workgroup partials are.

use std::any::Any;

use super::buffers::CpuElem;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::ops::ReduceOp;
use crate::ops::elem::{Elem, nan_max, nan_min};
use crate::ops::moments::Moments;
pub use crate::ops::reduce::Partial;

const LANES: usize = 64;

/// Reduces `x` with `f` over 64 lanes, then folds the lanes as a fixed tree.
#[inline(always)]
fn lanes<T: Elem>(x: &[T], identity: T, f: impl Fn(T, T) -> T) -> T {
    let mut acc = [identity; LANES];
    let mut blocks = x.chunks_exact(LANES);
    for block in &mut blocks {
        for j in 0..LANES {
            acc[j] = f(acc[j], block[j]);
        }
    }
    for (j, &v) in blocks.remainder().iter().enumerate() {
        acc[j] = f(acc[j], v);
    }
    fold_lanes(acc, f)
}

/// Folds the 64 lanes as a fixed tree (halving the width each step), so every ISA rounds
/// the same way.
#[inline(always)]
fn fold_lanes<T: Copy>(mut acc: [T; LANES], f: impl Fn(T, T) -> T) -> T {
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] = f(acc[j], acc[j + width]);
        }
    }
    acc[0]
}

/// Smallest (`min`) or largest value; NaN if any value is NaN. NaN is tracked in its own lanes
/// (a plain `<` skips it), which vectorizes, and vanishes for integers.
#[inline(always)]
fn lane_extreme<T: Elem>(x: &[T], min: bool) -> T {
    let identity = if min {
        T::MIN_IDENTITY
    } else {
        T::MAX_IDENTITY
    };
    let mut acc = [identity; LANES];
    let mut nan = [false; LANES];
    let mut blocks = x.chunks_exact(LANES);
    let pick = |a: T, b: T| {
        if (min && b < a) || (!min && b > a) {
            b
        } else {
            a
        }
    };
    for block in &mut blocks {
        for j in 0..LANES {
            acc[j] = pick(acc[j], block[j]);
            nan[j] |= block[j].is_nan();
        }
    }
    for (j, &v) in blocks.remainder().iter().enumerate() {
        acc[j] = pick(acc[j], v);
        nan[j] |= v.is_nan();
    }
    if nan.iter().any(|&n| n)
        && let Some(&first) = x.iter().find(|v| v.is_nan())
    {
        return first;
    }
    fold_lanes(acc, pick)
}

#[inline(always)]
fn lane_min<T: Elem>(x: &[T]) -> T {
    lane_extreme(x, true)
}

#[inline(always)]
fn lane_max<T: Elem>(x: &[T]) -> T {
    lane_extreme(x, false)
}

/// Combines `xs` pairwise (adjacent pairs, level by level): a fixed tree for a given length.
fn pairwise<T: Copy>(mut xs: Vec<T>, f: impl Fn(T, T) -> T) -> Option<T> {
    while xs.len() > 1 {
        xs = xs
            .chunks(2)
            .map(|p| if p.len() == 2 { f(p[0], p[1]) } else { p[0] })
            .collect();
    }
    xs.pop()
}

/// The moments of one block, over the fixed lanes (so every ISA gets the same bits).
#[inline(always)]
fn moments_of_block<T: Elem>(x: &[T]) -> Moments {
    let n = x.len() as f64;
    let mut acc = [0.0f64; LANES];
    let mut blocks = x.chunks_exact(LANES);
    for block in &mut blocks {
        for j in 0..LANES {
            acc[j] += block[j].to_f64();
        }
    }
    for (j, v) in blocks.remainder().iter().enumerate() {
        acc[j] += v.to_f64();
    }
    let mean = lanes(&acc, 0.0, |a, b| a + b) / n;
    let mut dev = [0.0f64; LANES];
    let mut blocks = x.chunks_exact(LANES);
    for block in &mut blocks {
        for j in 0..LANES {
            let d = block[j].to_f64() - mean;
            dev[j] += d * d;
        }
    }
    for (j, v) in blocks.remainder().iter().enumerate() {
        let d = v.to_f64() - mean;
        dev[j] += d * d;
    }
    Moments {
        n,
        mean,
        m2: lanes(&dev, 0.0, |a, b| a + b),
    }
}

struct TypedAcc<T> {
    op: ReduceOp,
    partials: Vec<T>,
    best: Option<(T, usize)>,
    moments: Moments,
    rows: usize,
    flag: bool,
}

/// One reduction's running state within a chunk.
pub struct Accumulator {
    state: Box<dyn Any + Send>,
    finish: fn(Box<dyn Any + Send>) -> Partial,
}

/// Whether `new` should replace `old` as the argmin (`min`) or argmax: NaN wins, ties keep the
/// earlier row.
#[inline(always)]
fn better<T: Elem>(new: T, old: T, min: bool) -> bool {
    if old.is_nan() {
        false
    } else if new.is_nan() {
        true
    } else if min {
        new < old
    } else {
        new > old
    }
}

impl Accumulator {
    pub fn new(op: ReduceOp, dtype: DType) -> Accumulator {
        fn make<T: CpuElem>(op: ReduceOp) -> Accumulator {
            let state = TypedAcc::<T> {
                op,
                partials: Vec::new(),
                best: None,
                moments: Moments::default(),
                rows: 0,
                flag: op == ReduceOp::All,
            };
            Accumulator {
                state: Box::new(state),
                finish: finish::<T>,
            }
        }
        crate::with_dtype!(dtype, T => make::<T>(op))
    }

    /// Folds in one block of values whose first row is `first_row`.
    #[inline(always)]
    pub fn update<T: CpuElem>(&mut self, x: &[T], first_row: usize) -> Result<()> {
        let acc = self
            .state
            .downcast_mut::<TypedAcc<T>>()
            .ok_or_else(|| Error::Internal("accumulator of unexpected type".into()))?;
        if x.is_empty() {
            return Ok(());
        }
        acc.rows += x.len();
        match acc.op {
            ReduceOp::Sum | ReduceOp::Mean => acc.partials.push(lanes(x, T::SUM_IDENTITY, T::add)),
            ReduceOp::Prod => acc.partials.push(lanes(x, T::ONE, T::mul)),
            ReduceOp::Min => {
                let m = lane_min(x);
                acc.best = Some((acc.best.map_or(m, |(b, _)| nan_min(b, m)), 0));
            }
            ReduceOp::Max => {
                let m = lane_max(x);
                acc.best = Some((acc.best.map_or(m, |(b, _)| nan_max(b, m)), 0));
            }
            ReduceOp::ArgMin | ReduceOp::ArgMax => {
                let min = acc.op == ReduceOp::ArgMin;
                let m = if min { lane_min(x) } else { lane_max(x) };
                let at = if m.is_nan() {
                    x.iter().position(|v| v.is_nan())
                } else {
                    x.iter().position(|v| *v == m)
                };
                let row = first_row + at.unwrap_or(0);
                if acc.best.is_none_or(|(old, _)| better(m, old, min)) {
                    acc.best = Some((m, row));
                }
            }
            ReduceOp::Var(_) | ReduceOp::Std(_) => {
                acc.moments = acc.moments.merge(moments_of_block(x));
            }
            ReduceOp::Count => {}
            ReduceOp::Any => acc.flag |= x.iter().any(|v| *v != T::ZERO),
            ReduceOp::All => acc.flag &= x.iter().all(|v| *v != T::ZERO),
        }
        Ok(())
    }

    pub fn finish(self) -> Partial {
        (self.finish)(self.state)
    }
}

fn finish<T: CpuElem>(state: Box<dyn Any + Send>) -> Partial {
    let Ok(acc) = state.downcast::<TypedAcc<T>>() else {
        return Partial::EMPTY;
    };
    let value = match acc.op {
        ReduceOp::Prod => pairwise(acc.partials, T::mul),
        _ if !acc.partials.is_empty() => pairwise(acc.partials, T::add),
        _ => acc.best.map(|(v, _)| v),
    };
    Partial {
        rows: acc.rows,
        value: value.map_or(Scalar::Null, T::to_scalar),
        index: acc.best.map_or(0, |(_, i)| i),
        moments: acc.moments,
        flag: acc.flag,
    }
}
