//! Null-aware expressions: `is_null`, `is_not_null`, `null_count`, `len`, `n_unique` and
//! `fill_null`.
//! They never reach the planner: `Frame` rewrites every expression into a value and a
//! validity before planning (`src/frame/nulls.rs`, ARCHITECTURE.md "Nulls").

use std::sync::Arc;

use super::Expr;

/// What an [`Expr::Nulls`] node asks of its operand's nulls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullOp {
    /// Per row: whether it is null (bool, never null itself).
    IsNull,
    /// Per row: whether it holds a value.
    IsNotNull,
    /// A reduction: the number of null rows (i64).
    NullCount,
    /// A reduction: the number of rows, null or not (i64; `count` counts values).
    Len,
    /// A reduction: the number of distinct values, null counting as one (i64). No kernel
    /// computes it: `Frame` counts it on the host before planning (`src/frame/unique.rs`).
    NUnique,
}

impl NullOp {
    /// The method's name, as expressions print it and the parser reads it.
    pub fn name(self) -> &'static str {
        match self {
            NullOp::IsNull => "is_null",
            NullOp::IsNotNull => "is_not_null",
            NullOp::NullCount => "null_count",
            NullOp::Len => "len",
            NullOp::NUnique => "n_unique",
        }
    }
    /// The op of that name.
    pub fn from_name(name: &str) -> Option<NullOp> {
        [
            NullOp::IsNull,
            NullOp::IsNotNull,
            NullOp::NullCount,
            NullOp::Len,
            NullOp::NUnique,
        ]
        .into_iter()
        .find(|op| op.name() == name)
    }
    /// Whether it gives one value (a reduction) rather than one per row.
    pub fn is_reduction(self) -> bool {
        matches!(self, NullOp::NullCount | NullOp::Len | NullOp::NUnique)
    }
}

impl Expr {
    /// Whether each row is null (a bool that is never null itself).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![Some(1.0f64), None, Some(3.0)]))])?;
    /// let out = df.select([col("x").is_null()])?;
    /// assert_eq!(out.values::<bool>("x")?, [false, true, false]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn is_null(self) -> Expr {
        Expr::Nulls(NullOp::IsNull, Arc::new(self))
    }

    /// Whether each row holds a value.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("k", Column::from(vec![None, Some(2i32)]))])?;
    /// let out = df.select([col("k").is_not_null()])?;
    /// assert_eq!(out.values::<bool>("k")?, [false, true]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn is_not_null(self) -> Expr {
        Expr::Nulls(NullOp::IsNotNull, Arc::new(self))
    }

    /// The number of null rows (i64), a reduction.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("k", Column::from(vec![None, Some(2i32), None]))])?;
    /// let out = df.select([col("k").null_count()])?;
    /// assert_eq!(out.values::<i64>("k")?, [2]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn null_count(self) -> Expr {
        Expr::Nulls(NullOp::NullCount, Arc::new(self))
    }

    /// The number of rows, null or not (i64), a reduction; [`Expr::count`] counts values.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("k", Column::from(vec![None, Some(2i32), None]))])?;
    /// let out = df.select([col("k").len().alias("rows"), col("k").count().alias("values")])?;
    /// assert_eq!(out.values::<i64>("rows")?, [3]);
    /// assert_eq!(out.values::<i64>("values")?, [1]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn len(self) -> Expr {
        Expr::Nulls(NullOp::Len, Arc::new(self))
    }

    /// The number of distinct values (i64), a reduction. Null counts as one value, as in
    /// Polars; every NaN is one value, and `-0.0` is `0.0`. For text, the distinct strings
    /// present (a filtered column's dictionary may hold more).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([
    ///     ("k", Column::from(vec![Some("a"), None, Some("b"), Some("a")])),
    ///     ("x", Column::from(vec![1.0f64, -0.0, 0.0, 1.0])),
    /// ])?;
    /// let out = df.select([col("k").n_unique(), col("x").n_unique()])?;
    /// assert_eq!(out.values::<i64>("k")?, [3]);
    /// assert_eq!(out.values::<i64>("x")?, [2]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn n_unique(self) -> Expr {
        Expr::Nulls(NullOp::NUnique, Arc::new(self))
    }

    /// Whether each row equals one of `values` (numbers, or text for a text column): the
    /// comparisons ORed, so a null row is null. An empty list is false for every row with a
    /// value.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("k", Column::from(vec!["a", "b", "c"]))])?;
    /// let out = df.select([col("k").is_in(["a", "c"])])?;
    /// assert_eq!(out.values::<bool>("k")?, [true, false, true]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn is_in<V: Into<Expr>>(self, values: impl IntoIterator<Item = V>) -> Expr {
        let tests = values.into_iter().map(|v| self.clone().eq(v.into()));
        tests
            .reduce(|a, b| a | b)
            .unwrap_or_else(|| self.clone().is_null() & self.is_not_null())
    }

    /// This expression with its nulls replaced by `fill`'s values (a literal, a column or any
    /// expression; null where `fill` is null too).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![Some(1.5f64), None]))])?;
    /// let out = df.select([col("x").fill_null(lit(0.0))])?;
    /// assert_eq!(out.values::<f64>("x")?, [1.5, 0.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn fill_null(self, fill: impl Into<Expr>) -> Expr {
        Expr::FillNull(Arc::new(self), Arc::new(fill.into()))
    }
}
