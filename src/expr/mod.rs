//! Expressions over named columns, built Polars-style: `col("a") * col("b") + lit(1.0)`.
//!
//! An [`Expr`] is only a description; nothing runs until a [`crate::Frame`] evaluates it, when
//! the planner type-checks it, folds constants, shares common subexpressions and fuses it with
//! the other expressions of the same call into passes over memory.

mod display;
mod iterate;
mod parse;
mod when;

use std::ops;
use std::sync::Arc;

use crate::dtype::{DType, Scalar};
use crate::ops::{BinaryOp, ReduceOp, UnaryOp};

pub use iterate::{Iterate, LoopOutput, LoopSpec, LoopState, iterate, state};
pub use parse::parse;

pub use when::{ChainedThen, ChainedWhen, Then, When, when};

/// A column expression. Cheap to clone: subtrees are shared.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// The column of that name.
    Column(String),
    /// A weakly typed literal: it takes the type of the operand it meets (DESIGN.md).
    Literal(Scalar),
    Unary(UnaryOp, Arc<Expr>),
    Binary(BinaryOp, Arc<Expr>, Arc<Expr>),
    /// `when(cond).then(a).otherwise(b)`: `a` where `cond` holds, else `b`.
    Select {
        cond: Arc<Expr>,
        then: Arc<Expr>,
        otherwise: Arc<Expr>,
    },
    Cast(DType, Arc<Expr>),
    /// A reduction: gives one row, broadcast when combined with full-length columns.
    Reduce(ReduceOp, Arc<Expr>),
    /// The same value under another output name.
    Alias(Arc<Expr>, String),
    /// The row number (u32, from 0), Polars' `int_range(0, height)`.
    RowIndex,
    /// The current value of a state of the enclosing [`iterate`] loop.
    LoopState(String),
    /// One output of a per-row loop built with [`iterate`].
    Loop(Arc<LoopSpec>, LoopOutput),
}

/// The column named `name`.
pub fn col(name: impl Into<String>) -> Expr {
    Expr::Column(name.into())
}

/// The row number of each row as u32, counting from 0 (wrapping past 2^32 - 1 rows).
///
/// ```
/// use swath::prelude::*;
/// let out = Frame::with_rows(3).select([swath::row_index().alias("i")])?;
/// assert_eq!(out.column("i")?.to_vec::<u32>()?, vec![0, 1, 2]);
/// # Ok::<(), swath::Error>(())
/// ```
pub fn row_index() -> Expr {
    Expr::RowIndex
}

/// A literal value. Literals are weakly typed: `col("x_f32") * lit(2.0)` stays f32, and an
/// integer literal takes the type of the integer column it meets.
pub fn lit(value: impl Into<Scalar>) -> Expr {
    Expr::Literal(value.into())
}

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(self) -> Expr {
            Expr::Unary(UnaryOp::$op, Arc::new(self))
        }
    )*};
}

macro_rules! binary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(self, other: impl Into<Expr>) -> Expr {
            Expr::Binary(BinaryOp::$op, Arc::new(self), Arc::new(other.into()))
        }
    )*};
}

macro_rules! reduce_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(self) -> Expr {
            Expr::Reduce(ReduceOp::$op, Arc::new(self))
        }
    )*};
}

// `not` and `eq` mirror Polars' method names; `!expr` works too (ops::Not is implemented).
#[allow(clippy::should_implement_trait)]
impl Expr {
    unary_methods! {
        /// Absolute value (wrapping for the most negative integer).
        abs => Abs,
        /// -1, 0 or 1 (a float zero keeps its sign, NaN stays NaN).
        sign => Sign,
        floor => Floor,
        ceil => Ceil,
        /// Rounds half to even, as numpy does.
        round => Round,
        trunc => Trunc,
        sqrt => Sqrt,
        cbrt => Cbrt,
        exp => Exp,
        exp2 => Exp2,
        /// Natural logarithm.
        ln => Ln,
        log2 => Log2,
        log10 => Log10,
        /// ln(1 + x), accurate near 0.
        log1p => Log1p,
        /// exp(x) - 1, accurate near 0.
        expm1 => Expm1,
        sin => Sin,
        cos => Cos,
        tan => Tan,
        asin => Asin,
        acos => Acos,
        atan => Atan,
        sinh => Sinh,
        cosh => Cosh,
        tanh => Tanh,
        /// Logical not of a bool expression.
        not => Not,
        /// True where the value is NaN (never for integers).
        is_nan => IsNan,
        /// True where the value is neither NaN nor infinite.
        is_finite => IsFinite,
        /// A pseudo-random f32 in [0, 1) that depends only on this integer key (a counter-based
        /// generator: `(row_index() * 2).uniform()` gives one stream, `* 2 + 1` another).
        uniform => Uniform,
    }

    binary_methods! {
        /// `self` raised to `exponent` (float math).
        pow => Pow,
        /// Four-quadrant arctangent of `self / other`.
        atan2 => Atan2,
        /// Elementwise minimum of two expressions; NaN propagates (numpy's `minimum`).
        minimum => Minimum,
        /// Elementwise maximum of two expressions; NaN propagates (numpy's `maximum`).
        maximum => Maximum,
        eq => Eq,
        neq => Ne,
        lt => Lt,
        lt_eq => Le,
        gt => Gt,
        gt_eq => Ge,
        /// Logical and of two bool expressions.
        and => And,
        /// Logical or of two bool expressions.
        or => Or,
        /// Logical exclusive or of two bool expressions.
        xor => Xor,
    }

    reduce_methods! {
        /// Sum (0 for no rows); i32, u32 and bool sums accumulate in and return i64.
        sum => Sum,
        /// Product (1 for no rows); integer products return i64.
        product => Prod,
        /// Arithmetic mean: f32 for f32, f64 otherwise; null for no rows.
        mean => Mean,
        /// Smallest value (NaN if any is NaN); null for no rows.
        min => Min,
        /// Largest value (NaN if any is NaN); null for no rows.
        max => Max,
        /// Number of rows, as i64.
        count => Count,
        /// Row of the first smallest value (of the first NaN if any), as i64.
        arg_min => ArgMin,
        /// Row of the first largest value (of the first NaN if any), as i64.
        arg_max => ArgMax,
        /// Whether any row of a bool expression is true (false for no rows).
        any => Any,
        /// Whether every row of a bool expression is true (true for no rows).
        all => All,
    }

    /// Alias of [`Expr::product`], numpy's name.
    pub fn prod(self) -> Expr {
        self.product()
    }

    /// Variance with divisor `n - ddof` (Polars' default is `ddof = 1`).
    pub fn var(self, ddof: u8) -> Expr {
        Expr::Reduce(ReduceOp::Var(ddof), Arc::new(self))
    }

    /// Standard deviation with divisor `n - ddof`.
    pub fn std(self, ddof: u8) -> Expr {
        Expr::Reduce(ReduceOp::Std(ddof), Arc::new(self))
    }

    /// Names the output of this expression.
    pub fn alias(self, name: impl Into<String>) -> Expr {
        Expr::Alias(Arc::new(self), name.into())
    }

    /// Converts to `dtype` with Rust's `as` rules (floats to integers saturate, NaN gives 0).
    pub fn cast(self, dtype: DType) -> Expr {
        Expr::Cast(dtype, Arc::new(self))
    }

    /// Limits values to `[lo, hi]`; NaN stays NaN.
    pub fn clamp(self, lo: impl Into<Expr>, hi: impl Into<Expr>) -> Expr {
        self.maximum(lo).minimum(hi)
    }

    /// Replaces NaN with `value`.
    pub fn fill_nan(self, value: impl Into<Expr>) -> Expr {
        when(self.clone().is_nan()).then(value).otherwise(self)
    }

    /// The name a `select` gives this expression's output: its alias, else the first column
    /// it reads (as Polars does), else `literal`.
    pub fn output_name(&self) -> String {
        match self {
            Expr::Alias(_, name) => name.clone(),
            Expr::Column(name) => name.clone(),
            Expr::Literal(_) => "literal".to_string(),
            Expr::RowIndex => "row_index".to_string(),
            Expr::LoopState(name) => name.clone(),
            Expr::Loop(_, LoopOutput::Iterations) => "iterations".to_string(),
            Expr::Loop(_, LoopOutput::State(name)) => name.clone(),
            Expr::Unary(_, e) | Expr::Cast(_, e) | Expr::Reduce(_, e) => e.output_name(),
            Expr::Binary(_, a, b) => first_column(a)
                .or_else(|| first_column(b))
                .unwrap_or_else(|| "literal".into()),
            Expr::Select {
                cond,
                then,
                otherwise,
            } => first_column(then)
                .or_else(|| first_column(otherwise))
                .or_else(|| first_column(cond))
                .unwrap_or_else(|| "literal".into()),
        }
    }
}

fn first_column(e: &Expr) -> Option<String> {
    match e {
        Expr::Literal(_) => None,
        other => {
            let name = other.output_name();
            (name != "literal").then_some(name)
        }
    }
}

macro_rules! expr_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Expr {
            /// A literal.
            fn from(v: $t) -> Self { lit(v) }
        }
    )*};
}
expr_from!(bool, i32, i64, u32, f32, f64);

impl From<Scalar> for Expr {
    fn from(v: Scalar) -> Self {
        Expr::Literal(v)
    }
}

macro_rules! binary_operator {
    ($($trait:ident $method:ident => $op:ident),*) => {$(
        impl<R: Into<Expr>> ops::$trait<R> for Expr {
            type Output = Expr;
            fn $method(self, rhs: R) -> Expr {
                Expr::Binary(BinaryOp::$op, Arc::new(self), Arc::new(rhs.into()))
            }
        }
    )*};
}
binary_operator!(Add add => Add, Sub sub => Sub, Mul mul => Mul, Div div => Div, Rem rem => Rem);

impl ops::Neg for Expr {
    type Output = Expr;
    fn neg(self) -> Expr {
        Expr::Unary(UnaryOp::Neg, Arc::new(self))
    }
}

impl ops::Not for Expr {
    type Output = Expr;
    fn not(self) -> Expr {
        Expr::Unary(UnaryOp::Not, Arc::new(self))
    }
}
