//! Ops applied to single values: used to fold constants while planning and to run the scalar
//! program that finishes reductions. It calls the same per-element functions as the kernels
//! ([`crate::ops::elem`]), so a folded constant equals what a kernel would compute. Null in
//! gives null out.

use crate::dtype::{DType, Scalar};
use crate::ops::elem::{Elem, cast_scalar};
use crate::ops::{BinaryKind, BinaryOp, ReduceOp, UnaryKind, UnaryOp};

/// `op(x)`; `x` already has the op's input dtype.
pub fn unary(op: UnaryOp, x: Scalar) -> Scalar {
    let Some(dtype) = x.dtype() else {
        return Scalar::Null;
    };
    crate::with_dtype!(dtype, T => {
        let Some(v) = T::from_scalar(x) else { return Scalar::Null };
        match op.kind() {
            UnaryKind::Random => match x {
                Scalar::U32(key) => Scalar::F32(crate::ops::elem::uniform(key)),
                _ => Scalar::Null,
            },
            UnaryKind::Predicate => {
                Scalar::Bool(if op == UnaryOp::IsNan { v.is_nan() } else { v.is_finite() })
            }
            _ => T::unary(op, v).to_scalar(),
        }
    })
}

/// `op(x, y)`; both already have the op's input dtype.
pub fn binary(op: BinaryOp, x: Scalar, y: Scalar) -> Scalar {
    let (Some(dtype), Some(_)) = (x.dtype(), y.dtype()) else {
        return Scalar::Null;
    };
    crate::with_dtype!(dtype, T => {
        let (Some(a), Some(b)) = (T::from_scalar(x), T::from_scalar(y)) else {
            return Scalar::Null;
        };
        match op.kind() {
            BinaryKind::Comparison => Scalar::Bool(T::compare(op, a, b)),
            _ => T::binary(op, a, b).to_scalar(),
        }
    })
}

/// `cond ? then : otherwise`.
pub fn select(cond: Scalar, then: Scalar, otherwise: Scalar) -> Scalar {
    match cond {
        Scalar::Bool(true) => then,
        Scalar::Bool(false) => otherwise,
        _ => Scalar::Null,
    }
}

/// A reduction over the single value `x` (already cast to the accumulator dtype), giving a
/// value of `out`.
pub fn reduce_one(op: ReduceOp, x: Scalar, out: DType) -> Scalar {
    if x.is_null() {
        return match op {
            ReduceOp::Count => Scalar::I64(0),
            _ => Scalar::Null,
        };
    }
    match op {
        ReduceOp::Count => Scalar::I64(1),
        ReduceOp::ArgMin | ReduceOp::ArgMax => Scalar::I64(0),
        ReduceOp::Var(ddof) | ReduceOp::Std(ddof) => {
            // (x - mean)^2 is NaN for an infinite x, as numpy gives.
            let finite = x.as_f64().is_some_and(f64::is_finite);
            let v = if ddof >= 1 || !finite { f64::NAN } else { 0.0 };
            cast_scalar(Scalar::F64(v), out)
        }
        _ => cast_scalar(x, out),
    }
}
