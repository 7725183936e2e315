//! Host side of GPU reductions: the shader leaves one partial per workgroup (at most
//! `MAX_WORKGROUPS`), combined here in workgroup order, so results are deterministic for a
//! given row count. Float sums and products of f32 partials are combined in f64 (the partials
//! are few; the extra precision is free). The answers over no rows are the CPU backend's
//! (`cpu::reduce::combine`): sum 0, prod 1, count 0, any false, all true, the rest null.

use super::codegen::{DeviceReduction, NO_ROW, Shader, words};
use crate::dtype::{DType, Scalar};
use crate::ops::ReduceOp;
use crate::ops::elem::cast_scalar;
use crate::ops::moments::Moments;
use crate::ops::reduce::Partial;
use crate::plan::ir::Kernel;

/// One value of dtype `dtype` from its partial words (bools are u32 0/1).
fn value(dtype: DType, w: &[u32]) -> Scalar {
    let wide = || w[0] as u64 | (w.get(1).copied().unwrap_or(0) as u64) << 32;
    match dtype {
        DType::Bool => Scalar::Bool(w[0] != 0),
        DType::I32 => Scalar::I32(w[0] as i32),
        DType::U32 | DType::Categorical => Scalar::U32(w[0]),
        DType::F32 => Scalar::F32(f32::from_bits(w[0])),
        DType::I64 => Scalar::I64(wide() as i64),
        DType::F64 => Scalar::F64(f64::from_bits(wide())),
    }
}

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
                _ => red.op.empty(red.dtype),
            }
        })
        .collect()
}

/// Combines the partial records of one reduction (each record starts at its own words): each
/// record read into the shared `ops::reduce::Partial`, then merged and finished by the
/// reduction's own rule, as the CPU's chunk partials are.
fn one(d: &DeviceReduction, records: &[&[u32]], rows: usize, out: DType) -> Scalar {
    let parts: Vec<Partial> = records.iter().map(|r| partial(d, r)).collect();
    match d.op.merge_all(&parts) {
        // The workgroups' rows are not recorded: the pass's are the total (for `mean`).
        Some(merged) => d.op.finish(Partial { rows, ..merged }, out),
        None => d.op.empty(out),
    }
}

/// One workgroup's record as a partial.
fn partial(d: &DeviceReduction, r: &[u32]) -> Partial {
    let mut value = value(d.dtype, r);
    // Float sums and products of f32 partials are combined in f64 (the partials are few;
    // the extra precision is free).
    if matches!(d.op, ReduceOp::Sum | ReduceOp::Mean | ReduceOp::Prod) && d.dtype == DType::F32 {
        value = cast_scalar(value, DType::F64);
    }
    match d.op {
        ReduceOp::ArgMin | ReduceOp::ArgMax => {
            let row = r[words(d.dtype)];
            Partial {
                value: if row == NO_ROW { Scalar::Null } else { value },
                index: row as usize,
                ..Partial::EMPTY
            }
        }
        ReduceOp::Var(_) | ReduceOp::Std(_) => {
            let f = |k: usize| f64::from_bits(r[2 * k] as u64 | (r[2 * k + 1] as u64) << 32);
            Partial {
                moments: Moments {
                    n: f(0),
                    mean: f(1),
                    m2: f(2),
                },
                ..Partial::EMPTY
            }
        }
        ReduceOp::Any | ReduceOp::All => Partial {
            flag: r[0] != 0,
            ..Partial::EMPTY
        },
        _ => Partial {
            value,
            ..Partial::EMPTY
        },
    }
}
