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
///
/// An expression nested deeper than [`MAX_DEPTH`](super::MAX_DEPTH) prints as a placeholder
/// saying so: printing it would overflow the stack.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let depth = self.depth();
        if depth > super::MAX_DEPTH {
            return write!(f, "<an expression nested {depth} levels deep>");
        }
        Shown(self).fmt(f)
    }
}

/// The printer itself, recursive: [`Expr`]'s `Display` checks the depth once, then this
/// prints every level without checking again.
struct Shown<'a>(&'a Expr);

impl fmt::Display for Shown<'_> {
    #[recursive::recursive]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Expr::Column(name) => write!(f, "col(\"{name}\")"),
            Expr::Literal(Scalar::Null) => f.write_str("lit(null)"),
            Expr::Literal(value) => write!(f, "lit({value})"),
            // `-x` is the operator in Rust (a `.neg()` method needs `std::ops::Neg` in scope).
            Expr::Unary(crate::ops::UnaryOp::Neg, e) => write!(f, "(-{})", Shown(e)),
            Expr::Unary(op, e) => write!(f, "{}.{}()", Shown(e), op.name()),
            Expr::Binary(op, a, b) if op.is_infix() => {
                write!(f, "({} {} {})", Shown(a), op.name(), Shown(b))
            }
            Expr::Binary(op, a, b) => write!(f, "{}.{}({})", Shown(a), op.name(), Shown(b)),
            Expr::Select {
                cond,
                then,
                otherwise,
            } => write!(
                f,
                "when({}).then({}).otherwise({})",
                Shown(cond),
                Shown(then),
                Shown(otherwise)
            ),
            Expr::Cast(dtype, e) => write!(f, "{}.cast({dtype})", Shown(e)),
            Expr::Reduce(op, e) => match op {
                crate::ops::ReduceOp::Var(d) | crate::ops::ReduceOp::Std(d) => {
                    write!(f, "{}.{}({d})", Shown(e), op.name())
                }
                // The methods are `arg_min`/`arg_max`; `op.name()` is the parser's spelling.
                crate::ops::ReduceOp::ArgMin => write!(f, "{}.arg_min()", Shown(e)),
                crate::ops::ReduceOp::ArgMax => write!(f, "{}.arg_max()", Shown(e)),
                _ => write!(f, "{}.{}()", Shown(e), op.name()),
            },
            Expr::Alias(e, name) => write!(f, "{}.alias(\"{name}\")", Shown(e)),
            Expr::RowIndex => f.write_str("row_index()"),
            Expr::Text(text) => write!(f, "lit({text:?})"),
            Expr::Nulls(op, e) => write!(f, "{}.{}()", Shown(e), op.name()),
            Expr::FillNull(a, b) => write!(f, "{}.fill_null({})", Shown(a), Shown(b)),
            Expr::LoopState(name) => write!(f, "state(\"{name}\")"),
            Expr::Loop(spec, output) => {
                write!(f, "iterate({})", spec.max_iter)?;
                for s in &spec.states {
                    match &s.init {
                        Some(init) => write!(f, ".state(\"{}\", {})", s.name, Shown(init))?,
                        None => write!(f, ".state(\"{}\", ?)", s.name)?,
                    }
                }
                if let Some(cond) = &spec.cond {
                    write!(f, ".while_({})", Shown(cond))?;
                }
                for s in &spec.states {
                    if let Some(update) = &s.update {
                        write!(f, ".update(\"{}\", {})", s.name, Shown(update))?;
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
