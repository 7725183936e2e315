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
#[derive(Debug, Clone, PartialEq)]
pub struct LoopSpec {
    /// At most this many updates per row.
    pub max_iter: u32,
    pub states: Vec<LoopState>,
    /// Rows keep iterating while this bool holds; `None` iterates `max_iter` times.
    pub cond: Option<Expr>,
}

/// One state variable of a loop.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopState {
    pub name: String,
    /// `None` when the state was updated but never declared (an error when evaluated).
    pub init: Option<Expr>,
    /// `None` leaves the state unchanged.
    pub update: Option<Expr>,
}

/// Which value of a loop an expression reads.
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
pub fn iterate(max_iter: u32) -> Iterate {
    Iterate {
        spec: Arc::new(LoopSpec {
            max_iter,
            states: Vec::new(),
            cond: None,
        }),
    }
}

/// The current value of the state `name` of the enclosing [`iterate`] loop.
pub fn state(name: impl Into<String>) -> Expr {
    Expr::LoopState(name.into())
}

impl Iterate {
    fn spec_mut(&mut self) -> &mut LoopSpec {
        Arc::make_mut(&mut self.spec)
    }

    /// Declares the state `name` with its value before the first step. Declaring a name twice
    /// is reported when the loop is evaluated.
    pub fn state(mut self, name: impl Into<String>, init: impl Into<Expr>) -> Iterate {
        self.spec_mut().states.push(LoopState {
            name: name.into(),
            init: Some(init.into()),
            update: None,
        });
        self
    }

    /// Keeps iterating a row while `cond` (a bool expression of the states and columns) holds.
    pub fn while_(mut self, cond: impl Into<Expr>) -> Iterate {
        self.spec_mut().cond = Some(cond.into());
        self
    }

    /// The value state `name` takes at each step, computed from the previous step's states.
    /// Updating an undeclared state is reported when the loop is evaluated.
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

    /// The number of steps each row took (u32, at most `max_iter`).
    pub fn iterations(&self) -> Expr {
        Expr::Loop(self.spec.clone(), LoopOutput::Iterations)
    }

    /// The final value of state `name`. An unknown name is reported when evaluated.
    pub fn get(&self, name: impl Into<String>) -> Expr {
        Expr::Loop(self.spec.clone(), LoopOutput::State(name.into()))
    }
}
