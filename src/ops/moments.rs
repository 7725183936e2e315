//! Count, mean and sum of squared deviations: the partial state of `var` and `std`, merged
//! and finished the same way by every backend (the CPU's chunks, the GPU's workgroups).

use super::ReduceOp;
use super::elem::cast_scalar;
use crate::dtype::{DType, Scalar};

/// Count, mean and sum of squared deviations of a set of values.
///
/// ```
/// use swath::ops::ReduceOp;
/// use swath::ops::moments::Moments;
/// use swath::{DType, Scalar};
/// let a = Moments { n: 2.0, mean: 1.5, m2: 0.5 }; // 1, 2
/// let b = Moments { n: 1.0, mean: 3.0, m2: 0.0 }; // 3
/// assert_eq!(a.merge(b).finish(ReduceOp::Var(1), DType::F64), Scalar::F64(1.0));
/// assert_eq!(Moments::default().finish(ReduceOp::Std(0), DType::F64), Scalar::Null);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Moments {
    /// How many values.
    pub n: f64,
    /// Their mean.
    pub mean: f64,
    /// The sum of their squared deviations from the mean.
    pub m2: f64,
}

impl Moments {
    /// Chan et al.'s parallel merge: exact in exact arithmetic, stable in floating point.
    pub fn merge(self, other: Moments) -> Moments {
        if self.n == 0.0 {
            return other;
        }
        if other.n == 0.0 {
            return self;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        Moments {
            n,
            mean: self.mean + delta * (other.n / n),
            m2: self.m2 + other.m2 + delta * delta * (self.n * other.n / n),
        }
    }

    /// The variance (`Var(ddof)`, divisor `n - ddof`, NaN when that is not positive) or
    /// standard deviation (`Std(ddof)`) as a value of `out`; null over no values.
    pub fn finish(self, op: ReduceOp, out: DType) -> Scalar {
        let ddof = match op {
            ReduceOp::Var(d) | ReduceOp::Std(d) => d,
            _ => return Scalar::Null,
        };
        if self.n == 0.0 {
            return Scalar::Null;
        }
        let divisor = self.n - ddof as f64;
        let var = if divisor > 0.0 {
            self.m2 / divisor
        } else {
            f64::NAN
        };
        let v = if matches!(op, ReduceOp::Std(_)) {
            var.sqrt()
        } else {
            var
        };
        cast_scalar(Scalar::F64(v), out)
    }
}
