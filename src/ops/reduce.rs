//! What a reduction means, written once for every backend: the partial state a backend leaves
//! per chunk (the CPU) or per workgroup (the GPU), how two partials merge, what the merged
//! partial finishes to, and the answer over no rows. The backends fill partials their own way
//! (the CPU's vector lanes in `cpu/reduce.rs`, the GPU's workgroup trees in WGSL); combining
//! and finishing are here, used by the CPU's combine, the GPU's host combine and constant
//! folding (a reduction of a single value). ARCHITECTURE.md, "Adding a reduction".

use super::ReduceOp;
use super::elem::{Elem, cast_scalar, nan_max, nan_min};
use super::moments::Moments;
use crate::dtype::{DType, Scalar};

/// What one chunk of rows contributes to a reduction.
///
/// ```
/// use swath::ops::ReduceOp;
/// use swath::ops::reduce::Partial;
/// use swath::{DType, Scalar};
/// // Two chunks of an f64 column: [1, 2] and [3].
/// let a = Partial { rows: 2, value: Scalar::F64(3.0), ..Partial::EMPTY };
/// let b = Partial { rows: 1, value: Scalar::F64(3.0), ..Partial::EMPTY };
/// assert_eq!(ReduceOp::Mean.combine(&[a, b], DType::F64), Scalar::F64(2.0));
/// assert_eq!(ReduceOp::Sum.combine(&[], DType::F64), Scalar::F64(0.0));
/// assert_eq!(ReduceOp::Min.combine(&[], DType::F64), Scalar::Null);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Partial {
    /// Rows seen.
    pub rows: usize,
    /// Sum, product, min or max so far, in the accumulator's dtype (null when nothing was
    /// seen).
    pub value: Scalar,
    /// Row of `value`, for `arg_min` and `arg_max`.
    pub index: usize,
    /// Count, mean and squared deviations, for `var` and `std`.
    pub moments: Moments,
    /// Whether any value was non-zero (`any`), or every value was (`all`).
    pub flag: bool,
}

impl Partial {
    /// Nothing seen (for `all`, set `flag`: all of nothing holds).
    pub const EMPTY: Partial = Partial {
        rows: 0,
        value: Scalar::Null,
        index: 0,
        moments: Moments {
            n: 0.0,
            mean: 0.0,
            m2: 0.0,
        },
        flag: false,
    };

    /// The partial of the single value `x` at row 0, already in the accumulator's dtype:
    /// what a reduction of a scalar expression folds (`col("x").sum().max()`). A null counts
    /// as no row (the planner answers a reduction of a null itself: null, 0 for `count`).
    ///
    /// ```
    /// use swath::ops::ReduceOp;
    /// use swath::ops::reduce::Partial;
    /// use swath::{DType, Scalar};
    /// let one = |op: ReduceOp, x| op.finish(Partial::of_value(op, x), DType::F64);
    /// assert_eq!(one(ReduceOp::Var(0), Scalar::F64(3.0)), Scalar::F64(0.0));
    /// assert!(matches!(one(ReduceOp::Var(1), Scalar::F64(3.0)), Scalar::F64(v) if v.is_nan()));
    /// // (x - mean)^2 is NaN for an infinite x, as numpy gives.
    /// assert!(matches!(one(ReduceOp::Var(0), Scalar::F64(f64::INFINITY)), Scalar::F64(v) if v.is_nan()));
    /// assert_eq!(ReduceOp::ArgMax.finish(Partial::of_value(ReduceOp::ArgMax, Scalar::I32(9)), DType::I64), Scalar::I64(0));
    /// ```
    pub fn of_value(op: ReduceOp, x: Scalar) -> Partial {
        let Some(v) = x.as_f64().filter(|_| !x.is_null()) else {
            return Partial {
                flag: op == ReduceOp::All,
                ..Partial::EMPTY
            };
        };
        // One value's moments as a block's are computed: the mean, then the deviation.
        let mean = v / 1.0;
        Partial {
            rows: 1,
            value: x,
            index: 0,
            moments: Moments {
                n: 1.0,
                mean,
                m2: (v - mean) * (v - mean),
            },
            flag: v != 0.0,
        }
    }
}

impl ReduceOp {
    /// The answer over no rows, of the result dtype `out`: 0 for `sum` and `count`, 1 for
    /// `prod`, false for `any`, true for `all`, null for the others (numpy raises for `min`
    /// of nothing; Polars gives null).
    pub fn empty(self, out: DType) -> Scalar {
        match self {
            ReduceOp::Sum => cast_scalar(Scalar::F64(0.0), out),
            ReduceOp::Prod => cast_scalar(Scalar::F64(1.0), out),
            ReduceOp::Count => Scalar::I64(0),
            ReduceOp::Any => Scalar::Bool(false),
            ReduceOp::All => Scalar::Bool(true),
            _ => Scalar::Null,
        }
    }

    /// Merges `a` and `b`, where `a` holds the earlier rows (ties of `arg_min`/`arg_max` go to
    /// the smaller row either way). Values merge in their accumulator dtype; a null value is
    /// "nothing seen".
    pub fn merge(self, a: Partial, b: Partial) -> Partial {
        let value = match self {
            ReduceOp::Sum | ReduceOp::Mean => pair(a.value, b.value, Fold::Add),
            ReduceOp::Prod => pair(a.value, b.value, Fold::Mul),
            ReduceOp::Min => pair(a.value, b.value, Fold::Min),
            ReduceOp::Max => pair(a.value, b.value, Fold::Max),
            ReduceOp::ArgMin | ReduceOp::ArgMax => {
                let pick_b = match (a.value.is_null(), b.value.is_null()) {
                    (_, true) => false,
                    (true, false) => true,
                    (false, false) => takes(b, a, self == ReduceOp::ArgMin),
                };
                let best = if pick_b { b } else { a };
                return Partial {
                    rows: a.rows + b.rows,
                    ..best
                };
            }
            _ => Scalar::Null,
        };
        Partial {
            rows: a.rows + b.rows,
            value,
            index: 0,
            moments: a.moments.merge(b.moments),
            flag: match self {
                ReduceOp::All => a.flag && b.flag,
                _ => a.flag || b.flag,
            },
        }
    }

    /// What the merged partial `p` gives, as a value of the result dtype `out`.
    pub fn finish(self, p: Partial, out: DType) -> Scalar {
        match self {
            ReduceOp::Sum | ReduceOp::Prod => {
                if p.value.is_null() {
                    return self.empty(out);
                }
                // An f32 product accumulates in f64 (see `ReduceOp::signature`).
                cast_scalar(p.value, out)
            }
            ReduceOp::Mean => match (p.rows, p.value.as_f64()) {
                (0, _) | (_, None) => Scalar::Null,
                (n, Some(sum)) => cast_scalar(Scalar::F64(sum / n as f64), out),
            },
            ReduceOp::Min | ReduceOp::Max => cast_scalar(p.value, out),
            ReduceOp::ArgMin | ReduceOp::ArgMax if p.value.is_null() => Scalar::Null,
            ReduceOp::ArgMin | ReduceOp::ArgMax => Scalar::I64(p.index as i64),
            ReduceOp::Var(_) | ReduceOp::Std(_) => p.moments.finish(self, out),
            ReduceOp::Count => Scalar::I64(p.rows as i64),
            ReduceOp::Any | ReduceOp::All => Scalar::Bool(p.flag),
        }
    }

    /// Merges `parts` (in row order) into one: pairwise for sums and products, whose rounding
    /// depends on the grouping (pairwise keeps the error growth O(log n), like numpy);
    /// in order for the rest (exact, or Chan's merge of moments). `None` for no parts.
    pub fn merge_all(self, parts: &[Partial]) -> Option<Partial> {
        match self {
            ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod => {
                pairwise(parts.to_vec(), |a, b| self.merge(a, b))
            }
            _ => parts.iter().copied().reduce(|a, b| self.merge(a, b)),
        }
    }

    /// The result over `parts` (in row order): merged, then finished; [`ReduceOp::empty`] for
    /// no parts.
    pub fn combine(self, parts: &[Partial], out: DType) -> Scalar {
        match self.merge_all(parts) {
            Some(p) => self.finish(p, out),
            None => self.empty(out),
        }
    }
}

/// How [`pair`] folds two values.
#[derive(Clone, Copy)]
enum Fold {
    Add,
    Mul,
    Min,
    Max,
}

/// Two values of one dtype folded, a null standing for "nothing seen". Integers wrap; min
/// and max propagate NaN.
fn pair(a: Scalar, b: Scalar, fold: Fold) -> Scalar {
    if a.is_null() {
        return b;
    }
    if b.is_null() {
        return a;
    }
    let Some(dtype) = a.dtype() else {
        return Scalar::Null;
    };
    crate::with_dtype!(dtype, T => match (T::from_scalar(a), T::from_scalar(b)) {
        (Some(x), Some(y)) => Elem::to_scalar(match fold {
            Fold::Add => x.add(y),
            Fold::Mul => x.mul(y),
            Fold::Min => nan_min(x, y),
            Fold::Max => nan_max(x, y),
        }),
        _ => Scalar::Null,
    })
}

/// Whether `new` should replace `old` as the `arg_min` (`min`) or `arg_max`: NaN wins (the
/// first NaN, as numpy), then the better value, then the earlier row.
fn takes(new: Partial, old: Partial, min: bool) -> bool {
    let Some(dtype) = new.value.dtype() else {
        return false;
    };
    let earlier = new.index < old.index;
    crate::with_dtype!(dtype, T => match (T::from_scalar(new.value), T::from_scalar(old.value)) {
        (Some(v), Some(best)) => takes_value(v, best, earlier, min),
        _ => false,
    })
}

fn takes_value<T: Elem>(v: T, best: T, earlier: bool, min: bool) -> bool {
    match (best.is_nan(), v.is_nan()) {
        (true, true) => earlier,
        (true, false) => false,
        (false, true) => true,
        (false, false) => {
            let better = if min { v < best } else { v > best };
            better || (v == best && earlier)
        }
    }
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
