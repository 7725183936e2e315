//! `when(cond).then(a).when(cond2).then(b).otherwise(c)`, built into nested selects.

use std::sync::Arc;

use super::Expr;

/// Starts a conditional expression: `when(cond).then(a).otherwise(b)` is `a` where `cond`
/// holds and `b` elsewhere, row by row. Chains take the first condition that holds.
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([("x", Column::from(vec![-2.0f64, 0.5, 3.0]))])?;
/// let clipped = when(col("x").lt(lit(0.0))).then(lit(0.0)).otherwise(col("x"));
/// let out = df.select([clipped.alias("y")])?;
/// assert_eq!(out.values::<f64>("y")?, [0.0, 0.5, 3.0]);
/// # Ok::<(), swath::Error>(())
/// ```
pub fn when(cond: impl Into<Expr>) -> When {
    When { cond: cond.into() }
}

/// `when(cond)`, waiting for its `then`.
///
/// ```
/// use swath::prelude::*;
/// let pending: swath::expr::When = when(col("flag"));
/// let e = pending.then(lit(1)).otherwise(lit(0));
/// let df = Frame::new([("flag", Column::from(vec![true, false]))])?;
/// assert_eq!(df.select([e.alias("n")])?.values::<i32>("n")?, [1, 0]);
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct When {
    cond: Expr,
}

/// `when(cond).then(value)`, waiting for `otherwise` or another `when`.
///
/// ```
/// use swath::prelude::*;
/// let branch: swath::expr::Then = when(col("k").gt(lit(2))).then(lit(2));
/// let capped = branch.otherwise(col("k"));
/// let df = Frame::new([("k", Column::from(vec![1i32, 5, 2]))])?;
/// assert_eq!(df.select([capped.alias("c")])?.values::<i32>("c")?, [1, 2, 2]);
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Then {
    branches: Vec<(Expr, Expr)>,
}

/// A further `when` in a chain, waiting for its `then`.
///
/// ```
/// use swath::prelude::*;
/// let x = || col("x");
/// let chained: swath::expr::ChainedWhen = when(x().lt(lit(0))).then(lit(-1)).when(x().gt(lit(0)));
/// let sign = chained.then(lit(1)).otherwise(lit(0));
/// let df = Frame::new([("x", Column::from(vec![-5i64, 0, 7]))])?;
/// assert_eq!(df.select([sign.alias("s")])?.values::<i32>("s")?, [-1, 0, 1]); // literals: i32
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct ChainedWhen {
    branches: Vec<(Expr, Expr)>,
    cond: Expr,
}

/// A chain with at least two branches, waiting for `otherwise` or another `when` (the same
/// type as [`Then`]).
///
/// ```
/// use swath::prelude::*;
/// let two: swath::expr::ChainedThen =
///     when(col("x").lt(lit(10))).then(lit(1)).when(col("x").lt(lit(100))).then(lit(2));
/// let bucket = two.otherwise(lit(3));
/// let df = Frame::new([("x", Column::from(vec![5i32, 50, 500]))])?;
/// assert_eq!(df.select([bucket.alias("b")])?.values::<i32>("b")?, [1, 2, 3]);
/// # Ok::<(), swath::Error>(())
/// ```
pub type ChainedThen = Then;

impl When {
    /// The value where the condition holds.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0]))])?;
    /// let e = when(col("x").eq(lit(2.0))).then(lit(20.0)).otherwise(col("x"));
    /// assert_eq!(df.select([e.alias("y")])?.values::<f32>("y")?, [1.0, 20.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn then(self, value: impl Into<Expr>) -> Then {
        Then {
            branches: vec![(self.cond, value.into())],
        }
    }
}

impl Then {
    /// Adds a further condition, tried only where the earlier ones do not hold.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1i32, 2, 3]))])?;
    /// // Row 2 matches both conditions: the first one wins.
    /// let e = when(col("x").gt_eq(lit(2)))
    ///     .then(lit(10))
    ///     .when(col("x").gt_eq(lit(3)))
    ///     .then(lit(20));
    /// let out = df.select([e.otherwise(lit(0)).alias("y")])?;
    /// assert_eq!(out.values::<i32>("y")?, [0, 10, 10]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn when(self, cond: impl Into<Expr>) -> ChainedWhen {
        ChainedWhen {
            branches: self.branches,
            cond: cond.into(),
        }
    }

    /// The value where no condition holds. The first condition that holds wins.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("ok", Column::from(vec![true, false, true]))])?;
    /// let e = when(col("ok")).then(lit(1.5)).otherwise(lit(-1.0));
    /// assert_eq!(df.select([e.alias("v")])?.values::<f64>("v")?, [1.5, -1.0, 1.5]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn otherwise(self, value: impl Into<Expr>) -> Expr {
        self.branches
            .into_iter()
            .rev()
            .fold(value.into(), |otherwise, (cond, then)| Expr::Select {
                cond: Arc::new(cond),
                then: Arc::new(then),
                otherwise: Arc::new(otherwise),
            })
    }
}

impl ChainedWhen {
    /// The value where this condition holds (and no earlier one does).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![0u32, 1, 2]))])?;
    /// let x = || col("x");
    /// let e = when(x().eq(lit(0u32))).then(lit(100u32)).when(x().eq(lit(1u32))).then(lit(200u32));
    /// let out = df.select([e.otherwise(x()).alias("y")])?;
    /// assert_eq!(out.values::<u32>("y")?, [100, 200, 2]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn then(mut self, value: impl Into<Expr>) -> Then {
        self.branches.push((self.cond, value.into()));
        Then {
            branches: self.branches,
        }
    }
}
