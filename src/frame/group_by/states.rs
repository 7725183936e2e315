//! The accumulators of keyed reductions: one state per slot, updated a value at a time and
//! merged with the state of later rows (README.md beside this file, "Reductions").

use crate::ops::moments::Moments;

/// Values and nulls seen.
#[derive(Clone, Copy, Default)]
pub(super) struct Counts {
    pub valid: u64,
    pub nulls: u64,
}

impl Merge for Counts {
    fn merge(self, later: Self) -> Self {
        Counts {
            valid: self.valid + later.valid,
            nulls: self.nulls + later.nulls,
        }
    }
}

/// An accumulator's state merged with the state of later rows.
pub(super) trait Merge: Copy + Send + Sync + 'static {
    fn merge(self, later: Self) -> Self;
}

/// A sum and how many values it holds.
#[derive(Clone, Copy, Default)]
pub(super) struct Sum<X> {
    pub total: X,
    pub n: u64,
}

impl Sum<i64> {
    pub(super) fn add(&mut self, x: i64) {
        self.total = self.total.wrapping_add(x);
        self.n += 1;
    }
}

impl Sum<f64> {
    pub(super) fn add(&mut self, x: f64) {
        self.total += x;
        self.n += 1;
    }
}

impl Merge for Sum<i64> {
    fn merge(self, later: Self) -> Self {
        Sum {
            total: self.total.wrapping_add(later.total),
            n: self.n + later.n,
        }
    }
}

impl Merge for Sum<f64> {
    fn merge(self, later: Self) -> Self {
        Sum {
            total: self.total + later.total,
            n: self.n + later.n,
        }
    }
}

/// A product (1 over no values).
#[derive(Clone, Copy)]
pub(super) struct Prod<X> {
    pub total: X,
}

impl Prod<i64> {
    pub(super) const ONE: Self = Prod { total: 1 };
    pub(super) fn mul(&mut self, x: i64) {
        self.total = self.total.wrapping_mul(x);
    }
}

impl Prod<f64> {
    pub(super) const ONE: Self = Prod { total: 1.0 };
    pub(super) fn mul(&mut self, x: f64) {
        self.total *= x;
    }
}

impl Merge for Prod<i64> {
    fn merge(self, later: Self) -> Self {
        Prod {
            total: self.total.wrapping_mul(later.total),
        }
    }
}

impl Merge for Prod<f64> {
    fn merge(self, later: Self) -> Self {
        Prod {
            total: self.total * later.total,
        }
    }
}

/// The smallest or largest value so far; a NaN sticks (NaN if any value is NaN).
#[derive(Clone, Copy)]
pub(super) struct Extreme<X> {
    pub best: X,
    pub n: u64,
    pub min: bool,
}

impl<X: Copy + PartialOrd + Default> Extreme<X> {
    pub(super) fn new(min: bool) -> Self {
        Extreme {
            best: X::default(),
            n: 0,
            min,
        }
    }

    pub(super) fn push(&mut self, x: X) {
        #[allow(clippy::eq_op)] // x != x: NaN, for floats
        let nan = |v: X| v != v;
        if self.n == 0
            || nan(x)
            || (!nan(self.best)
                && if self.min {
                    x < self.best
                } else {
                    x > self.best
                })
        {
            self.best = x;
        }
        self.n += 1;
    }

    pub(super) fn value(&self) -> Option<X> {
        (self.n > 0).then_some(self.best)
    }
}

impl<X: Copy + PartialOrd + Default + Send + Sync + 'static> Merge for Extreme<X> {
    fn merge(mut self, later: Self) -> Self {
        if later.n > 0 {
            let n = self.n;
            self.push(later.best);
            self.n = n + later.n;
        }
        self
    }
}

/// The position within its group of the smallest or largest value (the first such, or the
/// first NaN's), as Polars' `arg_min` in an aggregation.
#[derive(Clone, Copy)]
pub(super) struct Arg<X> {
    pub best: X,
    pub at: u64,
    /// Rows of the group seen, nulls included: the next row's position.
    pub seen: u64,
    pub n: u64,
    pub min: bool,
}

impl<X: Copy + PartialOrd + Default> Arg<X> {
    pub(super) fn new(min: bool) -> Self {
        Arg {
            best: X::default(),
            at: 0,
            seen: 0,
            n: 0,
            min,
        }
    }

    pub(super) fn skip(&mut self) {
        self.seen += 1;
    }

    pub(super) fn push(&mut self, x: X) {
        self.offer(x, self.seen);
        self.seen += 1;
        self.n += 1;
    }

    /// Takes `x` at `at` when it is better than the best so far (`at` is later than it).
    fn offer(&mut self, x: X, at: u64) {
        #[allow(clippy::eq_op)] // v != v: NaN, for floats
        let nan = |v: X| v != v;
        let better = if nan(self.best) {
            false
        } else if nan(x) {
            true
        } else if self.min {
            x < self.best
        } else {
            x > self.best
        };
        if self.n == 0 || better {
            self.best = x;
            self.at = at;
        }
    }
}

impl<X: Copy + PartialOrd + Default + Send + Sync + 'static> Merge for Arg<X> {
    fn merge(mut self, later: Self) -> Self {
        if later.n > 0 {
            let n = self.n;
            self.offer(later.best, self.seen + later.at);
            self.n = n + later.n;
        }
        self.seen += later.seen;
        self
    }
}

/// Count, mean and squared deviations (Welford's update per value, Chan's merge).
#[derive(Clone, Copy)]
pub(super) struct Welford(pub Moments);

impl Welford {
    pub(super) fn push(&mut self, x: f64) {
        let m = &mut self.0;
        m.n += 1.0;
        let d = x - m.mean;
        m.mean += d / m.n;
        m.m2 += d * (x - m.mean);
    }
}

impl Merge for Welford {
    fn merge(self, later: Self) -> Self {
        Welford(self.0.merge(later.0))
    }
}

/// Whether any (or every) value is non-zero.
#[derive(Clone, Copy)]
pub(super) struct Flag {
    pub holds: bool,
    pub all: bool,
}

impl Flag {
    pub(super) fn push(&mut self, truth: bool) {
        self.holds = if self.all {
            self.holds && truth
        } else {
            self.holds || truth
        };
    }
}

impl Merge for Flag {
    fn merge(mut self, later: Self) -> Self {
        self.push(later.holds);
        self
    }
}
