//! Expressions over named columns, built Polars-style: `col("a") * col("b") + lit(1.0)`.
//!
//! An [`Expr`] is only a description; nothing runs until a [`crate::Frame`] evaluates it, when
//! the planner type-checks it, folds constants, shares common subexpressions and fuses it with
//! the other expressions of the same call into passes over memory.

mod depth;
mod display;
mod iterate;
mod nulls;
mod parse;
mod when;

use std::ops;
use std::sync::Arc;

use crate::dtype::{DType, Scalar};
use crate::ops::{BinaryOp, ReduceOp, UnaryOp};

pub use depth::MAX_DEPTH;
pub use iterate::{Iterate, LoopOutput, LoopSpec, LoopState, iterate, state};
pub use nulls::NullOp;
pub use parse::parse;

pub use when::{ChainedThen, ChainedWhen, Then, When, when};

/// A column expression. Cheap to clone: subtrees are shared.
///
/// Build expressions with [`col`], [`lit`], [`when`], [`iterate`], the operators
/// (`+ - * / %`, unary `-` and `!`) and the methods below; a [`crate::Frame`] evaluates them.
/// The variants are public so that expressions can be inspected; they print in the builder
/// syntax.
///
/// ```
/// use std::sync::Arc;
/// use swath::ops::BinaryOp;
/// use swath::prelude::*;
/// let e = col("a") * lit(2.0);
/// assert_eq!(
///     e,
///     Expr::Binary(BinaryOp::Mul, Arc::new(col("a")), Arc::new(lit(2.0)))
/// );
/// assert_eq!(e.to_string(), "(col(\"a\") * lit(2.0))");
/// let df = Frame::new([("a", Column::from(vec![1.5f64, 4.0]))])?;
/// assert_eq!(df.select([e])?.values::<f64>("a")?, [3.0, 8.0]);
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Clone)]
pub enum Expr {
    /// The column of that name.
    Column(String),
    /// A weakly typed literal: it takes the type of the operand it meets (ARCHITECTURE.md, "Semantics").
    Literal(Scalar),
    /// An elementwise op of one operand: `-x`, `!b`, `x.sqrt()`, `x.is_nan()` ...
    Unary(UnaryOp, Arc<Expr>),
    /// An elementwise op of two operands, computed in their common type: `a + b`,
    /// `a.pow(b)`, `a.lt(b)` ...
    Binary(BinaryOp, Arc<Expr>, Arc<Expr>),
    /// `when(cond).then(a).otherwise(b)`: `a` where `cond` holds, else `b`.
    Select {
        /// The bool condition, row by row.
        cond: Arc<Expr>,
        /// The value where `cond` is true.
        then: Arc<Expr>,
        /// The value where `cond` is false.
        otherwise: Arc<Expr>,
    },
    /// The operand converted to a dtype ([`Expr::cast`]).
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
    /// A question about the operand's nulls: [`Expr::is_null`], [`Expr::is_not_null`],
    /// [`Expr::null_count`], [`Expr::len`].
    Nulls(NullOp, Arc<Expr>),
    /// The first operand, with its nulls replaced by the second's values
    /// ([`Expr::fill_null`]).
    FillNull(Arc<Expr>, Arc<Expr>),
    /// A text literal (`lit("beta")`), compared against text columns.
    Text(Arc<str>),
}

/// The column named `name`.
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([("x", Column::from(vec![1i32, 2, 3]))])?;
/// let out = df.select([col("x")])?;
/// assert_eq!(out.values::<i32>("x")?, [1, 2, 3]);
/// assert!(df.select([col("y")]).is_err()); // no such column
/// # Ok::<(), swath::Error>(())
/// ```
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
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([
///     ("x", Column::from(vec![1.5f32, 2.0])),
///     ("k", Column::from(vec![1u32, 2])),
/// ])?;
/// let out = df.select([col("x") * lit(2.0), col("k") + lit(1)])?;
/// assert_eq!(out.column("x")?.dtype(), DType::F32); // not f64
/// assert_eq!(out.values::<f32>("x")?, [3.0, 4.0]);
/// assert_eq!(out.values::<u32>("k")?, [2, 3]); // not i32
/// # Ok::<(), swath::Error>(())
/// ```
pub fn lit(value: impl IntoLiteral) -> Expr {
    value.into_literal()
}

/// What [`lit`] takes: a number, a bool or a [`Scalar`] (a weakly typed literal), or text
/// (`&str`, `String`: a text literal, compared against text columns).
pub trait IntoLiteral {
    /// The literal expression of this value.
    fn into_literal(self) -> Expr;
}

impl<T: Into<Scalar>> IntoLiteral for T {
    fn into_literal(self) -> Expr {
        Expr::Literal(self.into())
    }
}

impl IntoLiteral for &str {
    fn into_literal(self) -> Expr {
        Expr::Text(self.into())
    }
}

impl IntoLiteral for String {
    fn into_literal(self) -> Expr {
        Expr::Text(self.into())
    }
}

impl From<&str> for Expr {
    /// A text literal: `col("k").eq("beta")`.
    fn from(text: &str) -> Self {
        Expr::Text(text.into())
    }
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

/// The math functions' methods, from their rows of the op table (`ops/table.rs`).
macro_rules! math_methods {
    (
        structural { $($sv:ident $sm:ident [$($sa:literal),*] $sk:ident $sdoc:literal,)* }
        math { $($mv:ident $mm:ident [$($ma:literal),*] $mc:ident ($f32:expr) ($f64:expr)
               $g32:literal $g64:literal $mdoc:literal,)* }
    ) => {$(
        #[doc = $mdoc]
        ///
        /// A math function: f32 stays f32, integers are computed in f64, as in numpy.
        pub fn $mm(self) -> Expr {
            Expr::Unary(UnaryOp::$mv, Arc::new(self))
        }
    )*};
}

/// The two-operand math functions' methods, from their rows of the op table.
macro_rules! math_methods2 {
    (
        structural { $($sv:ident $sm:ident $sym:literal [$($sa:literal),*] $sk:ident $st:ident
                       $sp:ident $sdoc:literal,)* }
        math { $($mv:ident $mm:ident [$($ma:literal),*] $mc:ident ($f32:expr) ($f64:expr)
               $g32:literal $g64:literal $mdoc:literal,)* }
    ) => {$(
        #[doc = $mdoc]
        ///
        /// A math function of `self` and `other`: f32 stays f32, integers are computed in
        /// f64.
        pub fn $mm(self, other: impl Into<Expr>) -> Expr {
            Expr::Binary(BinaryOp::$mv, Arc::new(self), Arc::new(other.into()))
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
    /// This node with each operand replaced by `f(operand)`; leaves and loops (whose
    /// expressions live in scopes of their own) come back unchanged.
    pub(crate) fn map_operands(
        &self,
        mut f: impl FnMut(&Arc<Expr>) -> crate::error::Result<Arc<Expr>>,
    ) -> crate::error::Result<Expr> {
        Ok(match self {
            Expr::Unary(op, a) => Expr::Unary(*op, f(a)?),
            Expr::Binary(op, a, b) => Expr::Binary(*op, f(a)?, f(b)?),
            Expr::Select {
                cond,
                then,
                otherwise,
            } => Expr::Select {
                cond: f(cond)?,
                then: f(then)?,
                otherwise: f(otherwise)?,
            },
            Expr::Cast(d, a) => Expr::Cast(*d, f(a)?),
            Expr::Reduce(op, a) => Expr::Reduce(*op, f(a)?),
            Expr::Alias(a, name) => Expr::Alias(f(a)?, name.clone()),
            Expr::Nulls(op, a) => Expr::Nulls(*op, f(a)?),
            Expr::FillNull(a, b) => Expr::FillNull(f(a)?, f(b)?),
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::Text(_)
            | Expr::RowIndex
            | Expr::LoopState(_)
            | Expr::Loop(..) => self.clone(),
        })
    }

    /// The node's operands, in order: none for a leaf, and none for a loop (its initial
    /// values, condition and updates live in its [`LoopSpec`], in scopes of their own).
    pub(crate) fn operands(&self) -> Vec<&Expr> {
        match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::Text(_)
            | Expr::RowIndex
            | Expr::LoopState(_)
            | Expr::Loop(..) => Vec::new(),
            Expr::Unary(_, a)
            | Expr::Cast(_, a)
            | Expr::Reduce(_, a)
            | Expr::Alias(a, _)
            | Expr::Nulls(_, a) => {
                vec![a]
            }
            Expr::Binary(_, a, b) | Expr::FillNull(a, b) => vec![a, b],
            Expr::Select {
                cond,
                then,
                otherwise,
            } => vec![cond, then, otherwise],
        }
    }

    /// The names of the columns the expression reads, each once, in order of first use
    /// (Polars' `meta.root_names`).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let e = (col("b") * col("a") + col("b").sum()).alias("z");
    /// assert_eq!(e.column_names(), ["b", "a"]);
    /// assert!(lit(1).column_names().is_empty());
    /// ```
    pub fn column_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let mut stack = vec![self];
        while let Some(e) = stack.pop() {
            if let Expr::Column(name) = e {
                if !names.contains(name) {
                    names.push(name.clone());
                }
                continue;
            }
            let mut children = Vec::new();
            e.for_each_child(&mut |c| children.push(c));
            stack.extend(children.into_iter().rev());
        }
        names
    }

    crate::ops::unary_table!(math_methods);
    crate::ops::binary_table!(math_methods2);

    unary_methods! {
        /// Absolute value (wrapping for the most negative integer).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![-3i32, 4, i32::MIN]))])?;
        /// let out = df.select([col("k").abs()])?;
        /// assert_eq!(out.values::<i32>("k")?, [3, 4, i32::MIN]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        abs => Abs,
        /// -1, 0 or 1 (a float zero keeps its sign, NaN stays NaN).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![-2.5f64, 0.0, 7.0, f64::NAN]))])?;
        /// let y = df.select([col("x").sign()])?.values::<f64>("x")?;
        /// assert_eq!(y[..3], [-1.0, 0.0, 1.0]);
        /// assert!(y[3].is_nan());
        /// # Ok::<(), swath::Error>(())
        /// ```
        sign => Sign,
        /// Rounds down to the nearest integer (integers are unchanged).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![-1.5f64, 2.5, 3.0]))])?;
        /// let out = df.select([col("x").floor()])?;
        /// assert_eq!(out.values::<f64>("x")?, [-2.0, 2.0, 3.0]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        floor => Floor,
        /// Rounds up to the nearest integer (integers are unchanged).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![-1.5f64, 2.5, 3.0]))])?;
        /// let out = df.select([col("x").ceil()])?;
        /// assert_eq!(out.values::<f64>("x")?, [-1.0, 3.0, 3.0]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        ceil => Ceil,
        /// Rounds half to even, as numpy does.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![0.5f64, 1.5, 2.5, -2.7]))])?;
        /// let out = df.select([col("x").round()])?;
        /// assert_eq!(out.values::<f64>("x")?, [0.0, 2.0, 2.0, -3.0]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        round => Round,
        /// Rounds toward zero (integers are unchanged).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![-1.7f64, 1.7]))])?;
        /// let out = df.select([col("x").trunc()])?;
        /// assert_eq!(out.values::<f64>("x")?, [-1.0, 1.0]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        trunc => Trunc,
        /// Logical not of a bool expression, bitwise not of an integer one (also written `!expr`;
        /// `~` in the parser).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("b", Column::from(vec![true, false]))])?;
        /// let out = df.select([col("b").not(), (!col("b")).alias("also")])?;
        /// assert_eq!(out.values::<bool>("b")?, [false, true]);
        /// assert_eq!(out.values::<bool>("also")?, [false, true]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        not => Not,
        /// True where the value is NaN (never for integers).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f64, f64::NAN, f64::INFINITY]))])?;
        /// let out = df.select([col("x").is_nan()])?;
        /// assert_eq!(out.values::<bool>("x")?, [false, true, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        is_nan => IsNan,
        /// True where the value is neither NaN nor infinite.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f64, f64::NAN, f64::INFINITY]))])?;
        /// let out = df.select([col("x").is_finite()])?;
        /// assert_eq!(out.values::<bool>("x")?, [true, false, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        is_finite => IsFinite,
        /// True where the value is +inf or -inf (never for integers).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f32, f32::NAN, f32::NEG_INFINITY]))])?;
        /// assert_eq!(df.select([col("x").is_inf()])?.values::<bool>("x")?, [false, false, true]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        is_inf => IsInf,
        /// True where the sign bit is set: negative numbers and -0.0 (numpy's `signbit`).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![-1.0f64, -0.0, 0.0, 2.0]))])?;
        /// let out = df.select([col("x").signbit()])?;
        /// assert_eq!(out.values::<bool>("x")?, [true, true, false, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        signbit => Signbit,
        /// A pseudo-random f32 in [0, 1) that depends only on this integer key (a counter-based
        /// generator: `(row_index() * 2).uniform()` gives one stream, `* 2 + 1` another).
        /// Integer keys are taken as u32 (wrapping); the value is
        /// [`swath::ops::elem::uniform`](crate::ops::elem::uniform) of the key.
        ///
        /// ```
        /// use swath::ops::elem::uniform;
        /// use swath::prelude::*;
        /// let out = Frame::with_rows(3).select([(swath::row_index() * 2).uniform().alias("u")])?;
        /// let u = out.values::<f32>("u")?;
        /// assert_eq!(u, [uniform(0), uniform(2), uniform(4)]);
        /// assert!(u.iter().all(|v| (0.0..1.0).contains(v)));
        /// # Ok::<(), swath::Error>(())
        /// ```
        uniform => Uniform,
    }

    binary_methods! {
        /// Elementwise minimum of two expressions; NaN propagates (numpy's `minimum`).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f64, 5.0, f64::NAN]))])?;
        /// let y = df.select([col("x").minimum(lit(3.0))])?.values::<f64>("x")?;
        /// assert_eq!(y[..2], [1.0, 3.0]);
        /// assert!(y[2].is_nan());
        /// # Ok::<(), swath::Error>(())
        /// ```
        minimum => Minimum,
        /// Floor division, `self // other` in the parser: the quotient rounded toward negative
        /// infinity (numpy's `floor_divide`, Polars' `floor_div`). Integer `x // 0` is null.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![7i32, -7, 7, 5]))])?;
        /// let out = df.select([col("k").floor_div(lit(2)), col("k").floor_div(lit(0)).alias("z")])?;
        /// assert_eq!(out.values::<i32>("k")?, [3, -4, 3, 2]);
        /// assert_eq!(out.column("z")?.null_count(), 4); // integer division by zero: null
        /// # Ok::<(), swath::Error>(())
        /// ```
        floor_div => FloorDiv,
        /// C's `fmod`: the remainder with the dividend's sign (numpy's `fmod`); `%` takes the
        /// divisor's. Integer `fmod(x, 0)` is null.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![-7i64, 7]))])?;
        /// let out = df.select([col("k").fmod(lit(3)), (col("k") % lit(3)).alias("rem")])?;
        /// assert_eq!(out.values::<i64>("k")?, [-1, 1]);
        /// assert_eq!(out.values::<i64>("rem")?, [2, 1]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        fmod => Fmod,
        /// `self << other` on integers; a shift by a negative amount or by the width or more
        /// gives 0 (numpy).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![1i32, 3, 1]))])?;
        /// let out = df.select([col("k").left_shift(lit(4))])?;
        /// assert_eq!(out.values::<i32>("k")?, [16, 48, 16]);
        /// let out = df.select([col("k") << lit(40)])?; // past the width
        /// assert_eq!(out.values::<i32>("k")?, [0, 0, 0]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        left_shift => Shl,
        /// `self >> other` on integers (arithmetic for signed ones); a shift by a negative
        /// amount or by the width or more gives 0, or -1 for a negative signed value (numpy).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![-16i64, 16]))])?;
        /// let out = df.select([col("k").right_shift(lit(2)), (col("k") >> lit(64)).alias("far")])?;
        /// assert_eq!(out.values::<i64>("k")?, [-4, 4]);
        /// assert_eq!(out.values::<i64>("far")?, [-1, 0]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        right_shift => Shr,
        /// Elementwise maximum of two expressions; NaN propagates (numpy's `maximum`).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f64, 5.0, f64::NAN]))])?;
        /// let y = df.select([col("x").maximum(lit(3.0))])?.values::<f64>("x")?;
        /// assert_eq!(y[..2], [3.0, 5.0]);
        /// assert!(y[2].is_nan());
        /// # Ok::<(), swath::Error>(())
        /// ```
        maximum => Maximum,
        /// `self == other`, row by row (false where either is NaN).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0, f64::NAN]))])?;
        /// let out = df.select([col("x").eq(lit(2.0)), col("x").eq(col("x")).alias("same")])?;
        /// assert_eq!(out.values::<bool>("x")?, [false, true, false]);
        /// assert_eq!(out.values::<bool>("same")?, [true, true, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        eq => Eq,
        /// `self != other`, row by row (true where either is NaN).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0, f64::NAN]))])?;
        /// let out = df.select([col("x").neq(lit(2.0))])?;
        /// assert_eq!(out.values::<bool>("x")?, [true, false, true]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        neq => Ne,
        /// `self < other`, row by row (false where either is NaN).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![1i32, 2, 3]))])?;
        /// let out = df.select([col("k").lt(lit(2))])?;
        /// assert_eq!(out.values::<bool>("k")?, [true, false, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        lt => Lt,
        /// `self <= other`, row by row (false where either is NaN).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![1i32, 2, 3]))])?;
        /// let out = df.select([col("k").lt_eq(lit(2))])?;
        /// assert_eq!(out.values::<bool>("k")?, [true, true, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        lt_eq => Le,
        /// `self > other`, row by row (false where either is NaN).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![1i32, 2, 3]))])?;
        /// let out = df.select([col("k").gt(lit(2))])?;
        /// assert_eq!(out.values::<bool>("k")?, [false, false, true]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        gt => Gt,
        /// `self >= other`, row by row (false where either is NaN).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![1i32, 2, 3]))])?;
        /// let out = df.select([col("k").gt_eq(lit(2))])?;
        /// assert_eq!(out.values::<bool>("k")?, [false, true, true]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        gt_eq => Ge,
        /// Logical and of two bool expressions, bitwise and of integers (also `a & b`).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([
        ///     ("a", Column::from(vec![true, true, false, false])),
        ///     ("b", Column::from(vec![true, false, true, false])),
        /// ])?;
        /// let out = df.select([col("a").and(col("b"))])?;
        /// assert_eq!(out.values::<bool>("a")?, [true, false, false, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        and => And,
        /// Logical or of two bool expressions, bitwise or of integers (also `a | b`).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([
        ///     ("a", Column::from(vec![true, true, false, false])),
        ///     ("b", Column::from(vec![true, false, true, false])),
        /// ])?;
        /// let out = df.select([col("a").or(col("b"))])?;
        /// assert_eq!(out.values::<bool>("a")?, [true, true, true, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        or => Or,
        /// Logical exclusive or of two bool expressions, bitwise of integers (also `a ^ b`).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([
        ///     ("a", Column::from(vec![true, true, false, false])),
        ///     ("b", Column::from(vec![true, false, true, false])),
        /// ])?;
        /// let out = df.select([col("a").xor(col("b"))])?;
        /// assert_eq!(out.values::<bool>("a")?, [false, true, true, false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        xor => Xor,
    }

    reduce_methods! {
        /// Sum (0 for no rows); i32, u32 and bool sums accumulate in and return i64.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![i32::MAX, 1]))])?;
        /// let out = df.select([col("k").sum()])?;
        /// assert_eq!(out.values::<i64>("k")?, [i32::MAX as i64 + 1]); // no i32 overflow
        /// # Ok::<(), swath::Error>(())
        /// ```
        sum => Sum,
        /// Product (1 for no rows); integer products return i64.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![2i32, 3, 4]))])?;
        /// let out = df.select([col("k").product()])?;
        /// assert_eq!(out.values::<i64>("k")?, [24]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        product => Prod,
        /// Arithmetic mean: f32 for f32, f64 otherwise; null for no rows.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("k", Column::from(vec![1i32, 2]))])?;
        /// let out = df.select([col("k").mean()])?;
        /// assert_eq!(out.values::<f64>("k")?, [1.5]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        mean => Mean,
        /// Smallest value (NaN if any is NaN); null for no rows.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![3.0f64, -1.0, 2.0]))])?;
        /// assert_eq!(df.select([col("x").min()])?.values::<f64>("x")?, [-1.0]);
        /// let empty = Frame::new([("x", Column::from(Vec::<f64>::new()))])?;
        /// assert_eq!(empty.select([col("x").min()])?.column("x")?.get(0)?, Scalar::Null);
        /// # Ok::<(), swath::Error>(())
        /// ```
        min => Min,
        /// Largest value (NaN if any is NaN); null for no rows.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![3.0f64, -1.0, 2.0]))])?;
        /// assert_eq!(df.select([col("x").max()])?.values::<f64>("x")?, [3.0]);
        /// let nan = Frame::new([("x", Column::from(vec![1.0f64, f64::NAN]))])?;
        /// assert!(nan.select([col("x").max()])?.values::<f64>("x")?[0].is_nan());
        /// # Ok::<(), swath::Error>(())
        /// ```
        max => Max,
        /// Number of rows, as i64.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![3.0f64, f64::NAN, 2.0]))])?;
        /// assert_eq!(df.select([col("x").count()])?.values::<i64>("x")?, [3]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        count => Count,
        /// Row of the first smallest value (of the first NaN if any), as i64.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![3.0f64, -1.0, 2.0, -1.0]))])?;
        /// assert_eq!(df.select([col("x").arg_min()])?.values::<i64>("x")?, [1]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        arg_min => ArgMin,
        /// Row of the first largest value (of the first NaN if any), as i64.
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![3.0f64, f64::NAN, 5.0]))])?;
        /// assert_eq!(df.select([col("x").arg_max()])?.values::<i64>("x")?, [1]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        arg_max => ArgMax,
        /// Whether any row of a bool expression is true (false for no rows).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f64, 5.0, 2.0]))])?;
        /// let big = col("x").gt(lit(4.0)).any().alias("big");
        /// let out = df.select([big, col("x").lt(lit(0.0)).any()])?;
        /// assert_eq!(out.values::<bool>("big")?, [true]);
        /// assert_eq!(out.values::<bool>("x")?, [false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        any => Any,
        /// Whether every row of a bool expression is true (true for no rows).
        ///
        /// ```
        /// use swath::prelude::*;
        /// let df = Frame::new([("x", Column::from(vec![1.0f64, 5.0, 2.0]))])?;
        /// let pos = col("x").gt(lit(0.0)).all().alias("pos");
        /// let out = df.select([pos, col("x").lt(lit(3.0)).all()])?;
        /// assert_eq!(out.values::<bool>("pos")?, [true]);
        /// assert_eq!(out.values::<bool>("x")?, [false]);
        /// # Ok::<(), swath::Error>(())
        /// ```
        all => All,
    }

    /// Alias of [`Expr::product`], numpy's name.
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert_eq!(col("x").prod(), col("x").product());
    /// let df = Frame::new([("x", Column::from(vec![1.5f64, 4.0]))])?;
    /// assert_eq!(df.select([col("x").prod()])?.values::<f64>("x")?, [6.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn prod(self) -> Expr {
        self.product()
    }

    /// Variance with divisor `n - ddof` (Polars' default is `ddof = 1`), computed in f64; the
    /// result is f32 for f32 input, else f64.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let x = vec![2.0f64, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]; // mean 5, squares sum to 32
    /// let df = Frame::new([("x", Column::from(x))])?;
    /// let out = df.select([col("x").var(0).alias("pop"), col("x").var(1).alias("sample")])?;
    /// assert_eq!(out.values::<f64>("pop")?, [4.0]);
    /// assert_eq!(out.values::<f64>("sample")?, [32.0 / 7.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn var(self, ddof: u8) -> Expr {
        Expr::Reduce(ReduceOp::Var(ddof), Arc::new(self))
    }

    /// Standard deviation with divisor `n - ddof` (see [`Expr::var`]).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let x = vec![2.0f32, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
    /// let df = Frame::new([("x", Column::from(x))])?;
    /// let out = df.select([col("x").std(0)])?;
    /// assert_eq!(out.values::<f32>("x")?, [2.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn std(self, ddof: u8) -> Expr {
        Expr::Reduce(ReduceOp::Std(ddof), Arc::new(self))
    }

    /// Names the output of this expression.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1i32, 2]))])?;
    /// let out = df.select([col("x"), (col("x") * lit(10)).alias("x10")])?;
    /// assert_eq!(out.names(), ["x", "x10"]);
    /// assert_eq!(out.values::<i32>("x10")?, [10, 20]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn alias(self, name: impl Into<String>) -> Expr {
        Expr::Alias(Arc::new(self), name.into())
    }

    /// Converts to `dtype` with Rust's `as` rules (floats to integers saturate, NaN gives 0).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.9f64, -1.9, f64::NAN, 1e10]))])?;
    /// let out = df.select([col("x").cast(DType::I32)])?;
    /// assert_eq!(out.values::<i32>("x")?, [1, -1, 0, i32::MAX]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn cast(self, dtype: DType) -> Expr {
        Expr::Cast(dtype, Arc::new(self))
    }

    /// Limits values to `[lo, hi]`; NaN stays NaN. The same as `self.maximum(lo).minimum(hi)`.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![-5.0f64, 0.5, 5.0, f64::NAN]))])?;
    /// let y = df.select([col("x").clamp(lit(0.0), lit(1.0))])?.values::<f64>("x")?;
    /// assert_eq!(y[..3], [0.0, 0.5, 1.0]);
    /// assert!(y[3].is_nan());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn clamp(self, lo: impl Into<Expr>, hi: impl Into<Expr>) -> Expr {
        self.maximum(lo).minimum(hi)
    }

    /// Replaces NaN with `value`.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f64, f64::NAN, 3.0]))])?;
    /// let out = df.select([col("x").fill_nan(lit(0.0))])?;
    /// assert_eq!(out.values::<f64>("x")?, [1.0, 0.0, 3.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn fill_nan(self, value: impl Into<Expr>) -> Expr {
        when(self.clone().is_nan()).then(value).otherwise(self)
    }

    /// The name a `select` gives this expression's output: its alias, else the first column
    /// it reads (as Polars does), else `literal`. Row indices, loop iteration counts and loop
    /// states are named `row_index`, `iterations` and the state's name. An operand's own
    /// name counts, so an aliased operand lends its alias.
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert_eq!(col("a").sqrt().sum().output_name(), "a");
    /// assert_eq!((lit(1.0) + col("b") * col("a")).output_name(), "b");
    /// assert_eq!((col("a") + col("b")).alias("s").output_name(), "s");
    /// assert_eq!((col("a").alias("z") + col("b")).output_name(), "z");
    /// assert_eq!(lit(2).output_name(), "literal");
    /// assert_eq!(swath::row_index().output_name(), "row_index");
    /// ```
    pub fn output_name(&self) -> String {
        match self {
            Expr::Alias(_, name) => name.clone(),
            Expr::Column(name) => name.clone(),
            Expr::Literal(_) | Expr::Text(_) => "literal".to_string(),
            Expr::RowIndex => "row_index".to_string(),
            Expr::LoopState(name) => name.clone(),
            Expr::Loop(_, LoopOutput::Iterations) => "iterations".to_string(),
            Expr::Loop(_, LoopOutput::State(name)) => name.clone(),
            Expr::Unary(_, e) | Expr::Cast(_, e) | Expr::Reduce(_, e) | Expr::Nulls(_, e) => {
                e.output_name()
            }
            Expr::FillNull(a, _) => a.output_name(),
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

#[recursive::recursive]
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
    /// A literal ([`lit`]).
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert_eq!(Expr::from(Scalar::I64(3)), lit(3i64));
    /// ```
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
binary_operator!(
    Add add => Add, Sub sub => Sub, Mul mul => Mul, Div div => Div, Rem rem => Rem,
    BitAnd bitand => And, BitOr bitor => Or, BitXor bitxor => Xor, Shl shl => Shl, Shr shr => Shr
);

impl ops::Neg for Expr {
    type Output = Expr;
    /// `-expr`: negation (wrapping for the most negative integer).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("k", Column::from(vec![1i32, -2, i32::MIN]))])?;
    /// let out = df.select([-col("k")])?;
    /// assert_eq!(out.values::<i32>("k")?, [-1, 2, i32::MIN]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    fn neg(self) -> Expr {
        Expr::Unary(UnaryOp::Neg, Arc::new(self))
    }
}

impl ops::Not for Expr {
    type Output = Expr;
    /// `!expr`: the same as [`Expr::not`].
    ///
    /// ```
    /// use swath::prelude::*;
    /// assert_eq!(!col("b"), col("b").not());
    /// ```
    fn not(self) -> Expr {
        Expr::Unary(UnaryOp::Not, Arc::new(self))
    }
}
