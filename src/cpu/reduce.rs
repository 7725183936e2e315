//! Reductions on the CPU, deterministic by construction.
//!
//! A block is reduced with 64 independent lane accumulators (enough to hide add latency at any
//! vector width, and the same lanes whatever the ISA, so the rounding is identical everywhere),
//! then block partials are combined pairwise within a chunk, then chunk partials pairwise in
//! chunk order. Chunk and block sizes are fixed, so the result does not depend on the thread
//! count or the ISA, and float sums have pairwise error growth (O(log n), like numpy).
//! Variance merges per-block (count, mean, M2) with Chan's formula.

use std::any::Any;

use super::buffers::CpuElem;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::ops::ReduceOp;
use crate::ops::elem::{Elem, cast_scalar, nan_max, nan_min};
use crate::ops::moments::Moments;

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

/// What one chunk contributes to a reduction.
#[derive(Debug, Clone, Copy)]
pub struct Partial {
    pub rows: usize,
    /// Sum, product, min or max so far (null when nothing was seen).
    pub value: Scalar,
    /// Row of `value` for argmin/argmax.
    pub index: usize,
    pub moments: Moments,
    pub flag: bool,
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
    let empty = Partial {
        rows: 0,
        value: Scalar::Null,
        index: 0,
        moments: Moments::default(),
        flag: false,
    };
    let Ok(acc) = state.downcast::<TypedAcc<T>>() else {
        return empty;
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

/// Combines chunk partials (in chunk order) into the reduction's result: `acc` is the dtype
/// the values were accumulated in, `out` the result's dtype.
pub fn combine(op: ReduceOp, parts: &[Partial], acc: DType, out: DType) -> Scalar {
    let rows: usize = parts.iter().map(|p| p.rows).sum();
    let values = || parts.iter().map(|p| p.value).filter(|v| !v.is_null());
    let fold = |f: fn(Scalar, Scalar) -> Scalar| values().reduce(f).unwrap_or(Scalar::Null);
    match op {
        ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod => {
            let combine = if op == ReduceOp::Prod {
                mul_scalar
            } else {
                add_scalar
            };
            let total = pairwise(values().collect(), combine);
            let identity = if op == ReduceOp::Prod { 1.0 } else { 0.0 };
            let total = total.unwrap_or(cast_scalar(Scalar::F64(identity), acc));
            if op != ReduceOp::Mean {
                // An f32 product accumulates in f64 (see `ReduceOp::signature`).
                return cast_scalar(total, out);
            }
            match (rows, total.as_f64()) {
                (0, _) | (_, None) => Scalar::Null,
                (n, Some(sum)) => cast_scalar(Scalar::F64(sum / n as f64), out),
            }
        }
        ReduceOp::Min => fold(|a, b| scalar_op(a, b, nan_min_dyn)),
        ReduceOp::Max => fold(|a, b| scalar_op(a, b, nan_max_dyn)),
        ReduceOp::ArgMin | ReduceOp::ArgMax => {
            let min = op == ReduceOp::ArgMin;
            let mut best: Option<(Scalar, usize)> = None;
            for p in parts.iter().filter(|p| !p.value.is_null()) {
                let replace = match best {
                    None => true,
                    Some((old, _)) => better_dyn(p.value, old, min),
                };
                if replace {
                    best = Some((p.value, p.index));
                }
            }
            best.map_or(Scalar::Null, |(_, i)| Scalar::I64(i as i64))
        }
        ReduceOp::Var(_) | ReduceOp::Std(_) => parts
            .iter()
            .fold(Moments::default(), |a, p| a.merge(p.moments))
            .finish(op, out),
        ReduceOp::Count => Scalar::I64(rows as i64),
        ReduceOp::Any => Scalar::Bool(parts.iter().any(|p| p.flag)),
        ReduceOp::All => Scalar::Bool(parts.iter().all(|p| p.flag)),
    }
}

/// Applies a typed binary function to two scalars of the same dtype.
fn scalar_op(a: Scalar, b: Scalar, f: fn(Scalar, Scalar) -> Option<Scalar>) -> Scalar {
    f(a, b).unwrap_or(Scalar::Null)
}

macro_rules! typed_pair {
    ($name:ident, |$x:ident, $y:ident| $body:expr) => {
        fn $name(a: Scalar, b: Scalar) -> Option<Scalar> {
            let dtype = a.dtype()?;
            crate::with_dtype!(dtype, T => {
                let ($x, $y) = (T::from_scalar(a)?, T::from_scalar(b)?);
                Some(Elem::to_scalar($body))
            })
        }
    };
}
typed_pair!(add_dyn, |x, y| x.add(y));
typed_pair!(mul_dyn, |x, y| x.mul(y));
typed_pair!(nan_min_dyn, |x, y| nan_min(x, y));
typed_pair!(nan_max_dyn, |x, y| nan_max(x, y));

fn add_scalar(a: Scalar, b: Scalar) -> Scalar {
    scalar_op(a, b, add_dyn)
}
fn mul_scalar(a: Scalar, b: Scalar) -> Scalar {
    scalar_op(a, b, mul_dyn)
}

fn better_dyn(new: Scalar, old: Scalar, min: bool) -> bool {
    let Some(dtype) = new.dtype() else {
        return false;
    };
    crate::with_dtype!(dtype, T => match (T::from_scalar(new), T::from_scalar(old)) {
        (Some(n), Some(o)) => better(n, o, min),
        _ => false,
    })
}
