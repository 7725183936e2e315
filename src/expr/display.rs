//! Expressions print in the builder syntax, so error messages show the user's own code.

use std::fmt;

use super::Expr;
use crate::dtype::Scalar;

/// Prints the expression in the builder syntax it was written in (with `(a + b)` for infix
/// operators), as error messages show it.
///
/// ```
/// use swath::prelude::*;
/// let e = when(col("x").gt(lit(0.5))).then(col("x").sqrt()).otherwise(lit(0.0)).alias("y");
/// assert_eq!(
///     e.to_string(),
///     "when((col(\"x\") > lit(0.5))).then(col(\"x\").sqrt()).otherwise(lit(0.0)).alias(\"y\")"
/// );
/// assert_eq!(col("k").var(1).to_string(), "col(\"k\").var(1)");
/// assert_eq!((-col("k")).arg_min().to_string(), "(-col(\"k\")).arg_min()");
/// assert_eq!(swath::row_index().cast(DType::F32).to_string(), "row_index().cast(f32)");
/// ```
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Column(name) => write!(f, "col(\"{name}\")"),
            Expr::Literal(Scalar::Null) => f.write_str("lit(null)"),
            Expr::Literal(value) => write!(f, "lit({value})"),
            // `-x` is the operator in Rust (a `.neg()` method needs `std::ops::Neg` in scope).
            Expr::Unary(crate::ops::UnaryOp::Neg, e) => write!(f, "(-{e})"),
            Expr::Unary(op, e) => write!(f, "{e}.{}()", op.name()),
            Expr::Binary(op, a, b) if op.is_infix() => write!(f, "({a} {} {b})", op.name()),
            Expr::Binary(op, a, b) => write!(f, "{a}.{}({b})", op.name()),
            Expr::Select {
                cond,
                then,
                otherwise,
            } => {
                write!(f, "when({cond}).then({then}).otherwise({otherwise})")
            }
            Expr::Cast(dtype, e) => write!(f, "{e}.cast({dtype})"),
            Expr::Reduce(op, e) => match op {
                crate::ops::ReduceOp::Var(d) | crate::ops::ReduceOp::Std(d) => {
                    write!(f, "{e}.{}({d})", op.name())
                }
                // The methods are `arg_min`/`arg_max`; `op.name()` is the parser's spelling.
                crate::ops::ReduceOp::ArgMin => write!(f, "{e}.arg_min()"),
                crate::ops::ReduceOp::ArgMax => write!(f, "{e}.arg_max()"),
                _ => write!(f, "{e}.{}()", op.name()),
            },
            Expr::Alias(e, name) => write!(f, "{e}.alias(\"{name}\")"),
            Expr::RowIndex => f.write_str("row_index()"),
            Expr::LoopState(name) => write!(f, "state(\"{name}\")"),
            Expr::Loop(spec, output) => {
                write!(f, "iterate({})", spec.max_iter)?;
                for s in &spec.states {
                    match &s.init {
                        Some(init) => write!(f, ".state(\"{}\", {init})", s.name)?,
                        None => write!(f, ".state(\"{}\", ?)", s.name)?,
                    }
                }
                if let Some(cond) = &spec.cond {
                    write!(f, ".while_({cond})")?;
                }
                for s in &spec.states {
                    if let Some(update) = &s.update {
                        write!(f, ".update(\"{}\", {update})", s.name)?;
                    }
                }
                match output {
                    super::LoopOutput::Iterations => f.write_str(".iterations()"),
                    super::LoopOutput::State(name) => write!(f, ".get(\"{name}\")"),
                }
            }
        }
    }
}
