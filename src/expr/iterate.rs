//! Bounded iteration per row: `iterate(n).state(..).while_(..).update(..)`, a `while` loop
//! that runs inside the kernel (JAX's `lax.while_loop` over every row at once).
//!
//! Each row starts from its states' initial values and, while the condition holds and fewer
//! than `max_iter` steps have run, replaces every state by its update (all at once, from the
//! old values). The loop gives the number of steps each row took ([`Iterate::iterations`]) and
//! each state's final value ([`Iterate::get`]). Escape-time fractals, fixed-point solvers and
//! Newton iterations are written this way without leaving the engine.

use std::sync::Arc;

use super::Expr;

/// A loop over every row, built by [`iterate`].
///
/// ```
/// use swath::prelude::*;
/// // Halve each value until it is below 1: how many halvings, and where it ends.
/// let df = Frame::new([("x", Column::from(vec![0.5f64, 3.0, 40.0]))])?;
/// let halve = iterate(100)
///     .state("v", col("x"))
///     .while_(state("v").gt_eq(lit(1.0)))
///     .update("v", state("v") / lit(2.0));
/// let out = df.select([halve.iterations().alias("n"), halve.get("v").alias("v")])?;
/// assert_eq!(out.column("n")?.to_vec::<u32>()?, vec![0, 2, 6]);
/// assert_eq!(out.column("v")?.to_vec::<f64>()?, vec![0.5, 0.75, 0.625]);
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Iterate {
    pub(crate) spec: Arc<LoopSpec>,
}

/// What a loop computes; shared by every output taken from it, so the planner runs it once.
/// Read it from an [`Expr::Loop`].
///
/// ```
/// use swath::expr::LoopOutput;
/// use swath::prelude::*;
/// let e = iterate(10)
///     .state("v", lit(1.0))
///     .while_(state("v").lt(lit(100.0)))
///     .update("v", state("v") * lit(3.0))
///     .get("v");
/// let Expr::Loop(spec, LoopOutput::State(name)) = &e else { unreachable!() };
/// assert_eq!(name, "v");
/// assert_eq!(spec.max_iter, 10);
/// assert_eq!(spec.states.len(), 1);
/// assert_eq!(spec.cond, Some(state("v").lt(lit(100.0))));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LoopSpec {
    /// At most this many updates per row.
    pub max_iter: u32,
    /// The state variables, in declaration order (then any updated but never declared).
    pub states: Vec<LoopState>,
    /// Rows keep iterating while this bool holds; `None` iterates `max_iter` times.
    pub cond: Option<Expr>,
}

/// One state variable of a loop: its name, initial value and update.
///
/// ```
/// use swath::expr::LoopState;
/// use swath::prelude::*;
/// let e = iterate(5)
///     .state("a", col("x"))
///     .state("b", lit(0))
///     .update("a", state("a") + state("b"))
///     .iterations();
/// let Expr::Loop(spec, _) = &e else { unreachable!() };
/// assert_eq!(
///     spec.states[0],
///     LoopState { name: "a".into(), init: Some(col("x")), update: Some(state("a") + state("b")) }
/// );
/// assert_eq!(spec.states[1].update, None); // `b` keeps its initial value
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LoopState {
    /// The name [`state`] reads it by and [`Iterate::get`] returns it by.
    pub name: String,
    /// `None` when the state was updated but never declared (an error when evaluated).
    pub init: Option<Expr>,
    /// `None` leaves the state unchanged.
    pub update: Option<Expr>,
}

/// Which value of a loop an expression reads.
///
/// ```
/// use swath::expr::LoopOutput;
/// use swath::prelude::*;
/// let lp = iterate(3).state("v", lit(0)).update("v", state("v") + lit(1));
/// assert!(matches!(lp.iterations(), Expr::Loop(_, LoopOutput::Iterations)));
/// assert!(matches!(&lp.get("v"), Expr::Loop(_, LoopOutput::State(name)) if name == "v"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoopOutput {
    /// The number of updates the row went through (u32).
    Iterations,
    /// The final value of the state of that name.
    State(String),
}

/// Starts a loop that runs at most `max_iter` steps per row.
///
/// States are declared with [`Iterate::state`], read inside the loop with [`state`], and
/// replaced each step by [`Iterate::update`]. A state whose initial value is a bare literal
/// takes its type from its update (`state("z", lit(0.0))` updated with f32 columns is f32);
/// otherwise it keeps its initial value's type, and an update of another type is an error.
///
/// ```
/// use swath::prelude::*;
/// // Newton's method for the square root of each x, 6 steps; `r` is f32 like `x`.
/// let df = Frame::new([("x", Column::from(vec![4.0f32, 9.0, 2.25]))])?;
/// let newton = iterate(6)
///     .state("r", col("x"))
///     .update("r", (state("r") + col("x") / state("r")) * lit(0.5));
/// let out = df.select([newton.get("r").alias("r"), newton.iterations().alias("n")])?;
/// assert_eq!(out.values::<f32>("r")?, [2.0, 3.0, 1.5]);
/// assert_eq!(out.values::<u32>("n")?, [6, 6, 6]); // no condition: always max_iter steps
/// # Ok::<(), swath::Error>(())
/// ```
pub fn iterate(max_iter: u32) -> Iterate {
    Iterate {
        spec: Arc::new(LoopSpec {
            max_iter,
            states: Vec::new(),
            cond: None,
        }),
    }
}

/// The current value of the state `name` of the enclosing [`iterate`] loop. Use it inside
/// the loop's condition and updates; read a loop's result with [`Iterate::get`].
///
/// ```
/// use swath::prelude::*;
/// // Count the steps of the Collatz sequence from each n down to 1.
/// let df = Frame::new([("n", Column::from(vec![1i64, 6, 27]))])?;
/// let collatz = iterate(1000)
///     .state("n", col("n"))
///     .while_(state("n").gt(lit(1)))
///     .update(
///         "n",
///         when((state("n") % lit(2)).eq(lit(0)))
///             .then(state("n").floor_div(lit(2)))
///             .otherwise(state("n") * lit(3) + lit(1)),
///     );
/// let out = df.select([collatz.iterations().alias("steps")])?;
/// assert_eq!(out.values::<u32>("steps")?, [0, 8, 111]);
/// # Ok::<(), swath::Error>(())
/// ```
pub fn state(name: impl Into<String>) -> Expr {
    Expr::LoopState(name.into())
}

impl Iterate {
    fn spec_mut(&mut self) -> &mut LoopSpec {
        Arc::make_mut(&mut self.spec)
    }

    /// Declares the state `name` with its value before the first step. Declaring a name twice
    /// is reported when the loop is evaluated.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0]))])?;
    /// // Two states: `s` starts at x and `k` at 0; both update from the old values.
    /// let lp = iterate(3)
    ///     .state("s", col("x"))
    ///     .state("k", lit(0.0))
    ///     .update("s", state("s") + state("k"))
    ///     .update("k", state("k") + lit(1.0));
    /// // s: x, x + 0, x + 0 + 1, x + 0 + 1 + 2
    /// assert_eq!(df.select([lp.get("s")])?.values::<f64>("s")?, [4.0, 5.0]);
    /// let twice = iterate(3).state("s", col("x")).state("s", lit(0.0)).get("s");
    /// assert!(df.select([twice]).is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn state(mut self, name: impl Into<String>, init: impl Into<Expr>) -> Iterate {
        self.spec_mut().states.push(LoopState {
            name: name.into(),
            init: Some(init.into()),
            update: None,
        });
        self
    }

    /// Keeps iterating a row while `cond` (a bool expression of the states and columns) holds.
    /// The condition is checked before each step, so a row where it is false at the start
    /// takes no step. Without a condition every row takes `max_iter` steps.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1i32, 5, 40]))])?;
    /// // Double each value while it is below 10.
    /// let lp = iterate(50)
    ///     .state("v", col("x"))
    ///     .while_(state("v").lt(lit(10)))
    ///     .update("v", state("v") * lit(2));
    /// let out = df.select([lp.get("v").alias("v"), lp.iterations().alias("n")])?;
    /// assert_eq!(out.values::<i32>("v")?, [16, 10, 40]);
    /// assert_eq!(out.values::<u32>("n")?, [4, 1, 0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn while_(mut self, cond: impl Into<Expr>) -> Iterate {
        self.spec_mut().cond = Some(cond.into());
        self
    }

    /// The value state `name` takes at each step, computed from the previous step's states.
    /// All states update at once: an update reads the other states' old values, not their
    /// new ones. Updating an undeclared state is reported when the loop is evaluated.
    ///
    /// ```
    /// use swath::prelude::*;
    /// // Fibonacci: (a, b) -> (b, a + b), both from the old pair.
    /// let fib = iterate(10)
    ///     .state("a", lit(0i64))
    ///     .state("b", lit(1i64))
    ///     .update("a", state("b"))
    ///     .update("b", state("a") + state("b"));
    /// let out = Frame::with_rows(1).select([fib.get("a")])?;
    /// assert_eq!(out.values::<i64>("a")?, [55]);
    /// let undeclared = iterate(3).update("z", lit(1.0)).get("z");
    /// assert!(Frame::with_rows(1).select([undeclared]).is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn update(mut self, name: impl Into<String>, value: impl Into<Expr>) -> Iterate {
        let name = name.into();
        let value = value.into();
        let spec = self.spec_mut();
        match spec.states.iter_mut().find(|s| s.name == name) {
            Some(s) => s.update = Some(value),
            None => spec.states.push(LoopState {
                name,
                init: None,
                update: Some(value),
            }),
        }
        self
    }

    /// The number of steps each row took (u32, at most `max_iter`), named `iterations`.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![0.5f32, 100.0]))])?;
    /// let lp = iterate(3)
    ///     .state("v", col("x"))
    ///     .while_(state("v").gt(lit(1.0)))
    ///     .update("v", state("v").sqrt());
    /// let out = df.select([lp.iterations()])?;
    /// assert_eq!(out.names(), ["iterations"]);
    /// assert_eq!(out.values::<u32>("iterations")?, [0, 3]); // 100 stops at max_iter
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn iterations(&self) -> Expr {
        Expr::Loop(self.spec.clone(), LoopOutput::Iterations)
    }

    /// The final value of state `name` (named after the state). An unknown name is
    /// reported when evaluated.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![3u32, 10]))])?;
    /// let lp = iterate(4).state("v", col("x")).update("v", state("v") + lit(1));
    /// let out = df.select([lp.get("v")])?;
    /// assert_eq!(out.values::<u32>("v")?, [7, 14]);
    /// assert!(df.select([lp.get("w")]).is_err());
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn get(&self, name: impl Into<String>) -> Expr {
        Expr::Loop(self.spec.clone(), LoopOutput::State(name.into()))
    }
}
