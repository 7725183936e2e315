//! `when(cond).then(a).when(cond2).then(b).otherwise(c)`, built into nested selects.

use std::sync::Arc;

use super::Expr;

/// Starts a conditional expression.
pub fn when(cond: impl Into<Expr>) -> When {
    When { cond: cond.into() }
}

/// `when(cond)`, waiting for its `then`.
#[derive(Debug, Clone)]
pub struct When {
    cond: Expr,
}

/// `when(cond).then(value)`, waiting for `otherwise` or another `when`.
#[derive(Debug, Clone)]
pub struct Then {
    branches: Vec<(Expr, Expr)>,
}

/// A further `when` in a chain.
#[derive(Debug, Clone)]
pub struct ChainedWhen {
    branches: Vec<(Expr, Expr)>,
    cond: Expr,
}

/// A chain with at least two branches, waiting for `otherwise` or another `when`.
pub type ChainedThen = Then;

impl When {
    pub fn then(self, value: impl Into<Expr>) -> Then {
        Then {
            branches: vec![(self.cond, value.into())],
        }
    }
}

impl Then {
    pub fn when(self, cond: impl Into<Expr>) -> ChainedWhen {
        ChainedWhen {
            branches: self.branches,
            cond: cond.into(),
        }
    }

    /// The value where no condition holds. The first condition that holds wins.
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
    pub fn then(mut self, value: impl Into<Expr>) -> Then {
        self.branches.push((self.cond, value.into()));
        Then {
            branches: self.branches,
        }
    }
}
