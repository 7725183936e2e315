//! Ops applied to single values: used to fold constants while planning and to run the scalar
//! program that finishes reductions. It calls the same per-element functions as the kernels
//! ([`crate::ops::elem`]), so a folded constant equals what a kernel would compute. Null in
//! gives null out.

use crate::dtype::{DType, Scalar};
use crate::ops::elem::Elem;
use crate::ops::reduce::Partial;
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
            UnaryKind::Predicate => Scalar::Bool(T::predicate(op, v)),
            _ => T::unary(op, v).to_scalar(),
        }
    })
}

/// `op(x, y)`; both already have the op's input dtype. Comparisons give bools.
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

/// `cond ? then : otherwise`; null when `cond` is not a bool (null).
pub fn select(cond: Scalar, then: Scalar, otherwise: Scalar) -> Scalar {
    match cond {
        Scalar::Bool(true) => then,
        Scalar::Bool(false) => otherwise,
        _ => Scalar::Null,
    }
}

/// A reduction over the single value `x` (already cast to the accumulator dtype), giving a
/// value of `out`: what `sum`, `var` ... of a scalar expression give (`col("x").sum().max()`).
/// A null is skipped, as reductions skip nulls: the answer over no values (0 for `sum` and
/// `count`, false for `any` ...; see `ReduceOp::empty`).
pub fn reduce_one(op: ReduceOp, x: Scalar, out: DType) -> Scalar {
    if x.is_null() {
        return op.empty(out);
    }
    // The reduction's own merge-and-finish rule (ops/reduce.rs), over one partial.
    op.finish(Partial::of_value(op, x), out)
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn unary_example() {
        use crate::Scalar;
        use crate::ops::UnaryOp;
        use crate::plan::scalar::unary;
        assert_eq!(unary(UnaryOp::Sqrt, Scalar::F64(9.0)), Scalar::F64(3.0));
        assert_eq!(
            unary(UnaryOp::Neg, Scalar::I32(i32::MIN)),
            Scalar::I32(i32::MIN)
        ); // wraps
        assert_eq!(
            unary(UnaryOp::IsNan, Scalar::F32(f32::NAN)),
            Scalar::Bool(true)
        );
        assert_eq!(unary(UnaryOp::Abs, Scalar::Null), Scalar::Null);
    }

    #[test]
    fn binary_example() {
        use crate::Scalar;
        use crate::ops::BinaryOp;
        use crate::plan::scalar::binary;
        assert_eq!(
            binary(BinaryOp::Add, Scalar::I32(2), Scalar::I32(3)),
            Scalar::I32(5)
        );
        assert_eq!(
            binary(BinaryOp::Rem, Scalar::I64(7), Scalar::I64(0)),
            Scalar::I64(0)
        );
        assert_eq!(
            binary(BinaryOp::Lt, Scalar::F64(1.0), Scalar::F64(2.0)),
            Scalar::Bool(true)
        );
        assert_eq!(
            binary(BinaryOp::Mul, Scalar::F32(2.0), Scalar::Null),
            Scalar::Null
        );
    }

    #[test]
    fn select_example() {
        use crate::Scalar;
        use crate::plan::scalar::select;
        let (a, b) = (Scalar::F64(1.0), Scalar::F64(2.0));
        assert_eq!(select(Scalar::Bool(true), a, b), a);
        assert_eq!(select(Scalar::Bool(false), a, b), b);
        assert_eq!(select(Scalar::Null, a, b), Scalar::Null);
    }

    #[test]
    fn reduce_one_example() -> crate::Result<()> {
        use crate::ops::ReduceOp;
        use crate::plan::scalar::reduce_one;
        use crate::{DType, Scalar};
        assert_eq!(
            reduce_one(ReduceOp::Sum, Scalar::F64(2.5), DType::F64),
            Scalar::F64(2.5)
        );
        assert_eq!(
            reduce_one(ReduceOp::Mean, Scalar::F64(2.5), DType::F32),
            Scalar::F32(2.5)
        );
        assert_eq!(
            reduce_one(ReduceOp::Count, Scalar::I64(9), DType::I64),
            Scalar::I64(1)
        );
        assert_eq!(
            reduce_one(ReduceOp::ArgMax, Scalar::I32(9), DType::I64),
            Scalar::I64(0)
        );
        assert_eq!(
            reduce_one(ReduceOp::Var(0), Scalar::F64(3.0), DType::F64),
            Scalar::F64(0.0)
        );
        let sample = reduce_one(ReduceOp::Var(1), Scalar::F64(3.0), DType::F64); // n - 1 = 0
        assert!(matches!(sample, Scalar::F64(v) if v.is_nan()));
        assert_eq!(
            reduce_one(ReduceOp::Count, Scalar::Null, DType::I64),
            Scalar::I64(0)
        );

        use crate::prelude::*;
        let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0]))])?;
        let out = df.select([
            col("x").sum().max().alias("m"),
            col("x").sum().std(1).alias("s"),
        ])?;
        assert_eq!(out.values::<f64>("m")?, [3.0]);
        assert!(out.values::<f64>("s")?[0].is_nan());
        Ok::<(), crate::Error>(())
    }
}
