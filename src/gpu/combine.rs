//! Host side of GPU reductions: the shader leaves one partial per workgroup (at most
//! `MAX_WORKGROUPS`), combined here in workgroup order, so results are deterministic for a
//! given row count. Float sums and products of f32 partials are combined in f64 (the partials
//! are few; the extra precision is free). The answers over no rows are the CPU backend's
//! (`cpu::reduce::combine`): sum 0, prod 1, count 0, any false, all true, the rest null.

use super::codegen::{DeviceReduction, NO_ROW, Shader, words};
use crate::dtype::{DType, Scalar};
use crate::ops::ReduceOp;
use crate::ops::elem::{Elem, cast_scalar, nan_max, nan_min};
use crate::plan::ir::Kernel;

/// The result of `op` over zero rows, of the reduction's result dtype `out`.
pub fn empty(op: ReduceOp, out: DType) -> Scalar {
    match op {
        ReduceOp::Sum => cast_scalar(Scalar::F64(0.0), out),
        ReduceOp::Prod => cast_scalar(Scalar::F64(1.0), out),
        ReduceOp::Count => Scalar::I64(0),
        ReduceOp::Any => Scalar::Bool(false),
        ReduceOp::All => Scalar::Bool(true),
        _ => Scalar::Null,
    }
}

/// One value of dtype `dtype` from its partial words (bools are u32 0/1).
fn value(dtype: DType, w: &[u32]) -> Scalar {
    let wide = || w[0] as u64 | (w.get(1).copied().unwrap_or(0) as u64) << 32;
    match dtype {
        DType::Bool => Scalar::Bool(w[0] != 0),
        DType::I32 => Scalar::I32(w[0] as i32),
        DType::U32 => Scalar::U32(w[0]),
        DType::F32 => Scalar::F32(f32::from_bits(w[0])),
        DType::I64 => Scalar::I64(wide() as i64),
        DType::F64 => Scalar::F64(f64::from_bits(wide())),
    }
}

/// Pairwise sum, so 2048 partials lose no more than a few roundings.
fn pairwise(xs: &[f64]) -> f64 {
    match xs.len() {
        0 => 0.0,
        1 => xs[0],
        n => pairwise(&xs[..n / 2]) + pairwise(&xs[n / 2..]),
    }
}

// Partial variances merge exactly as the CPU's do (Chan's formula), with the same code.
use crate::ops::moments::Moments;

/// Every reduction of `kernel`, from the partials of `workgroups` workgroups.
pub fn finish(
    kernel: &Kernel,
    shader: &Shader,
    partials: &[u32],
    workgroups: usize,
) -> Vec<Scalar> {
    kernel
        .reductions
        .iter()
        .enumerate()
        .map(|(index, red)| {
            if red.op == ReduceOp::Count {
                return Scalar::I64(kernel.rows as i64);
            }
            match shader.reductions.iter().find(|d| d.index == index) {
                Some(d) if workgroups > 0 => {
                    let records: Vec<&[u32]> = (0..workgroups)
                        .filter_map(|w| {
                            let start = w * shader.partial_words + d.offset;
                            partials.get(start..start + shader.partial_words - d.offset)
                        })
                        .collect();
                    one(d, &records, kernel.rows, red.dtype)
                }
                _ => empty(red.op, red.dtype),
            }
        })
        .collect()
}

/// Combines the partial records of one reduction (each record starts at its own words).
fn one(d: &DeviceReduction, records: &[&[u32]], rows: usize, out: DType) -> Scalar {
    let values = || records.iter().map(|r| value(d.dtype, r));
    let as_f64s = || values().filter_map(|v| v.as_f64()).collect::<Vec<f64>>();
    match d.op {
        ReduceOp::Sum | ReduceOp::Mean => {
            let total = match d.dtype {
                DType::I64 => {
                    let t = values().fold(0i64, |a, v| match v {
                        Scalar::I64(x) => a.wrapping_add(x),
                        _ => a,
                    });
                    if d.op == ReduceOp::Sum {
                        return Scalar::I64(t);
                    }
                    t as f64
                }
                _ => pairwise(&as_f64s()),
            };
            if d.op == ReduceOp::Sum {
                return cast_scalar(Scalar::F64(total), d.dtype);
            }
            cast_scalar(Scalar::F64(total / rows as f64), out)
        }
        ReduceOp::Prod => match d.dtype {
            DType::I64 => Scalar::I64(values().fold(1i64, |a, v| match v {
                Scalar::I64(x) => a.wrapping_mul(x),
                _ => a,
            })),
            // An f32 product accumulates in f64 and gives f32 (`ReduceOp::signature`).
            _ => cast_scalar(Scalar::F64(as_f64s().iter().product()), out),
        },
        ReduceOp::Min | ReduceOp::Max => {
            let min = d.op == ReduceOp::Min;
            crate::with_dtype!(d.dtype, T => {
                values()
                    .filter_map(T::from_scalar)
                    .reduce(|a, b| if min { nan_min(a, b) } else { nan_max(a, b) })
                    .map_or(Scalar::Null, Elem::to_scalar)
            })
        }
        ReduceOp::ArgMin | ReduceOp::ArgMax => {
            let min = d.op == ReduceOp::ArgMin;
            let at = words(d.dtype);
            crate::with_dtype!(d.dtype, T => {
                let mut best: Option<(T, u32)> = None;
                for r in records {
                    let row = r[at];
                    let Some(v) = T::from_scalar(value(d.dtype, r)) else { continue };
                    if row == NO_ROW {
                        continue;
                    }
                    if best.is_none_or(|(bv, bi)| takes(v, row, bv, bi, min)) {
                        best = Some((v, row));
                    }
                }
                best.map_or(Scalar::Null, |(_, i)| Scalar::I64(i as i64))
            })
        }
        ReduceOp::Var(_) | ReduceOp::Std(_) => {
            let m = records
                .iter()
                .map(|r| {
                    let f =
                        |k: usize| f64::from_bits(r[2 * k] as u64 | (r[2 * k + 1] as u64) << 32);
                    Moments {
                        n: f(0),
                        mean: f(1),
                        m2: f(2),
                    }
                })
                .fold(Moments::default(), Moments::merge);
            m.finish(d.op, out)
        }
        ReduceOp::Any => Scalar::Bool(records.iter().any(|r| r[0] != 0)),
        ReduceOp::All => Scalar::Bool(records.iter().all(|r| r[0] != 0)),
        ReduceOp::Count => Scalar::I64(rows as i64),
    }
}

/// Whether (v, i) should replace (bv, bi) as argmin (`min`) or argmax: NaN wins, then the
/// better value, then the earlier row (the shader's rule).
fn takes<T: Elem>(v: T, i: u32, bv: T, bi: u32, min: bool) -> bool {
    match (bv.is_nan(), v.is_nan()) {
        (true, true) => i < bi,
        (true, false) => false,
        (false, true) => true,
        _ => {
            let better = if min { v < bv } else { v > bv };
            better || (v == bv && i < bi)
        }
    }
}
