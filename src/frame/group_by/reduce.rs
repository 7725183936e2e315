//! Keyed reductions: one accumulator per slot, filled block by block (README.md beside this
//! file, "Reductions").
//!
//! Blocks have a fixed number of rows that depends only on the data (rows and slots), each is
//! read in row order by one thread, and the blocks' accumulators merge in block order: every
//! result is bit-identical for any thread count. Floats accumulate in f64, integers in i64
//! (wrapping, as the ungrouped reductions do).

use std::ops::Range;

use super::keys::Groups;
use crate::column::{Column, ColumnElem};
use crate::cpu::CHUNK;
use crate::cpu::pool::map_items;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::frame::Frame;
use crate::ops::ReduceOp;
use crate::ops::moments::Moments;
use crate::options::ExecOptions;

/// A keyed aggregate over a value column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Agg {
    Reduce(ReduceOp),
    NullCount,
    Len,
}

/// What an aggregate reduces: a column, or an expression over the rows' frame evaluated a
/// window of [`CHUNK`] rows at a time (the window's values are used while they are in cache,
/// and no full-length column of them is ever made).
pub(crate) enum Operand {
    Column(Column),
    Rows {
        frame: Frame,
        expr: Expr,
        options: ExecOptions,
    },
}

impl Operand {
    /// The operand over `rows`.
    pub fn window(&self, rows: Range<usize>) -> Result<Column> {
        match self {
            Operand::Column(c) => c.window(rows),
            Operand::Rows {
                frame,
                expr,
                options,
            } => {
                let window = frame.window(rows)?;
                let out = window.select_with([expr.clone()], options)?;
                out.columns()
                    .next()
                    .map(|(_, c)| c.clone())
                    .ok_or_else(|| Error::Internal("a select without its column".into()))
            }
        }
    }
}

/// The aggregate `agg` of `operand` (of dtype `dtype`) per slot of `groups`, as a column of
/// one row per slot in dtypes i64, f64 or bool (the caller casts to the reduction's dtype).
pub(crate) fn keyed(
    agg: Agg,
    operand: &Operand,
    dtype: DType,
    groups: &Groups<'_>,
    threads: usize,
) -> Result<Column> {
    let run = Run {
        groups,
        operand,
        threads,
    };
    let counts = |run: &Run<'_>| {
        run.fold::<u32, _>(
            true,
            Counts::default(),
            |s, _| s.valid += 1,
            |s| s.nulls += 1,
        )
    };
    Ok(match agg {
        Agg::Len | Agg::NullCount | Agg::Reduce(ReduceOp::Count) => {
            let counts = counts(&run)?;
            Column::from(
                counts
                    .iter()
                    .map(|c| match agg {
                        Agg::Len => (c.valid + c.nulls) as i64,
                        Agg::NullCount => c.nulls as i64,
                        _ => c.valid as i64,
                    })
                    .collect::<Vec<i64>>(),
            )
        }
        Agg::Reduce(op) => match dtype {
            DType::Bool => run.numeric::<bool>(op, false, |x| Num::Int(i64::from(x)))?,
            DType::I32 => run.numeric::<i32>(op, false, |x| Num::Int(i64::from(x)))?,
            DType::I64 => run.numeric::<i64>(op, false, Num::Int)?,
            DType::U32 | DType::Categorical => {
                run.numeric::<u32>(op, false, |x| Num::Int(i64::from(x)))?
            }
            DType::F32 => run.numeric::<f32>(op, true, |x| Num::Float(f64::from(x)))?,
            DType::F64 => run.numeric::<f64>(op, true, Num::Float)?,
        },
    })
}

/// A value widened to its accumulator.
#[derive(Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

#[derive(Clone, Copy, Default)]
struct Counts {
    valid: u64,
    nulls: u64,
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
trait Merge: Copy + Send + Sync {
    fn merge(self, later: Self) -> Self;
}

struct Run<'a> {
    groups: &'a Groups<'a>,
    operand: &'a Operand,
    threads: usize,
}

/// Rows a block holds: whole chunks, and enough rows per slot that merging the blocks'
/// accumulators costs little beside filling them.
fn block_rows(rows: usize, nslots: usize) -> usize {
    nslots
        .saturating_mul(16)
        .max(CHUNK)
        .next_multiple_of(CHUNK)
        .min(rows.max(1).next_multiple_of(CHUNK))
}

impl Run<'_> {
    /// Every slot's state after `push` of each valid row's value and `null` of each null row,
    /// in row order. With `any_dtype` the values are not read (counts only need validity).
    fn fold<T: ColumnElem + Sync, S: Merge>(
        &self,
        any_dtype: bool,
        empty: S,
        push: impl Fn(&mut S, T) + Sync,
        null: impl Fn(&mut S) + Sync,
    ) -> Result<Vec<S>> {
        let rows = self.groups.height;
        let nslots = self.groups.slots;
        let block = block_rows(rows, nslots);
        let blocks: Vec<Range<usize>> = (0..rows.div_ceil(block))
            .map(|b| b * block..((b + 1) * block).min(rows))
            .collect();
        let filled = map_items(self.threads, blocks, |_, block| -> Result<Vec<S>> {
            let mut states = vec![empty; nslots];
            let mut buf = Vec::new();
            let mut start = block.start;
            while start < block.end {
                let end = (start + CHUNK).min(block.end);
                let piece = self.operand.window(start..end)?;
                let slots = self.groups.rows.of(start..end, &mut buf);
                let zeros;
                let values: &[T] = match T::slice(piece.data()?) {
                    Some(v) => v,
                    None if any_dtype => {
                        zeros = vec![T::default(); end - start];
                        &zeros
                    }
                    None => {
                        return Err(Error::Internal(format!(
                            "a keyed pass over {} values",
                            piece.dtype()
                        )));
                    }
                };
                match piece.validity() {
                    None => {
                        for (&s, &x) in slots.iter().zip(values) {
                            if let Some(state) = states.get_mut(s as usize) {
                                push(state, x);
                            }
                        }
                    }
                    Some(valid) => {
                        for ((r, &s), &x) in (0..).zip(slots).zip(values) {
                            if let Some(state) = states.get_mut(s as usize) {
                                if valid.is_valid(r) {
                                    push(state, x);
                                } else {
                                    null(state);
                                }
                            }
                        }
                    }
                }
                start = end;
            }
            Ok(states)
        })?;
        let mut blocks = filled.into_iter();
        let mut states = match blocks.next() {
            Some(first) => first?,
            None => vec![empty; nslots],
        };
        for later in blocks {
            for (state, later) in states.iter_mut().zip(later?) {
                *state = state.merge(later);
            }
        }
        Ok(states)
    }

    /// `op` over the operand's values, each widened by `widen` (to floats when `float`, else
    /// integers).
    fn numeric<T: ColumnElem + Sync>(
        &self,
        op: ReduceOp,
        float: bool,
        widen: impl Fn(T) -> Num + Sync,
    ) -> Result<Column> {
        let int = |x: T| match widen(x) {
            Num::Int(i) => i,
            Num::Float(f) => f as i64,
        };
        let real = |x: T| match widen(x) {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        };
        Ok(match op {
            ReduceOp::Sum if !float => {
                // Integers sum in i64, wrapping; their mean (below) sums in f64, as the
                // ungrouped mean does, so it does not wrap.
                let s =
                    self.fold::<T, _>(false, Sum::<i64>::default(), |s, x| s.add(int(x)), |_| {})?;
                Column::from(s.iter().map(|s| s.total).collect::<Vec<i64>>())
            }
            ReduceOp::Sum | ReduceOp::Mean => {
                let s =
                    self.fold::<T, _>(false, Sum::<f64>::default(), |s, x| s.add(real(x)), |_| {})?;
                match op {
                    ReduceOp::Sum => Column::from(s.iter().map(|s| s.total).collect::<Vec<f64>>()),
                    _ => Column::from(
                        s.iter()
                            .map(|s| (s.n > 0).then(|| s.total / s.n as f64))
                            .collect::<Vec<_>>(),
                    ),
                }
            }
            ReduceOp::Prod if !float => {
                let s = self.fold::<T, _>(false, Prod::<i64>::ONE, |s, x| s.mul(int(x)), |_| {})?;
                Column::from(s.iter().map(|s| s.total).collect::<Vec<i64>>())
            }
            ReduceOp::Prod => {
                let s =
                    self.fold::<T, _>(false, Prod::<f64>::ONE, |s, x| s.mul(real(x)), |_| {})?;
                Column::from(s.iter().map(|s| s.total).collect::<Vec<f64>>())
            }
            ReduceOp::Min | ReduceOp::Max => {
                let min = op == ReduceOp::Min;
                if float {
                    let s = self.fold::<T, _>(
                        false,
                        Extreme::<f64>::new(min),
                        |s, x| s.push(real(x)),
                        |_| {},
                    )?;
                    Column::from(s.iter().map(|s| s.value()).collect::<Vec<Option<f64>>>())
                } else {
                    let s = self.fold::<T, _>(
                        false,
                        Extreme::<i64>::new(min),
                        |s, x| s.push(int(x)),
                        |_| {},
                    )?;
                    Column::from(s.iter().map(|s| s.value()).collect::<Vec<Option<i64>>>())
                }
            }
            ReduceOp::ArgMin | ReduceOp::ArgMax => {
                let min = op == ReduceOp::ArgMin;
                let at = |n: u64, at: u64| (n > 0).then_some(at as i64);
                let positions: Vec<Option<i64>> = if float {
                    let s = self.fold::<T, _>(
                        false,
                        Arg::<f64>::new(min),
                        |s, x| s.push(real(x)),
                        Arg::skip,
                    )?;
                    s.iter().map(|s| at(s.n, s.at)).collect()
                } else {
                    let s = self.fold::<T, _>(
                        false,
                        Arg::<i64>::new(min),
                        |s, x| s.push(int(x)),
                        Arg::skip,
                    )?;
                    s.iter().map(|s| at(s.n, s.at)).collect()
                };
                Column::from(positions)
            }
            ReduceOp::Var(_) | ReduceOp::Std(_) => {
                let s = self.fold::<T, _>(
                    false,
                    Welford(Moments::default()),
                    |s, x| s.push(real(x)),
                    |_| {},
                )?;
                let finished = s
                    .iter()
                    .map(|s| match s.0.finish(op, crate::dtype::DType::F64) {
                        Scalar::F64(v) => Some(v),
                        _ => None,
                    });
                Column::from(finished.collect::<Vec<Option<f64>>>())
            }
            ReduceOp::Any | ReduceOp::All => {
                let all = op == ReduceOp::All;
                let s = self.fold::<T, _>(
                    false,
                    Flag { holds: all, all },
                    |s, x| s.push(real(x) != 0.0),
                    |_| {},
                )?;
                Column::from(s.iter().map(|s| s.holds).collect::<Vec<bool>>())
            }
            ReduceOp::Count => {
                let s = self.fold::<T, _>(
                    false,
                    Counts::default(),
                    |s, _| s.valid += 1,
                    |s| s.nulls += 1,
                )?;
                Column::from(s.iter().map(|c| c.valid as i64).collect::<Vec<i64>>())
            }
        })
    }
}

/// A sum and how many values it holds.
#[derive(Clone, Copy, Default)]
struct Sum<X> {
    total: X,
    n: u64,
}

impl Sum<i64> {
    fn add(&mut self, x: i64) {
        self.total = self.total.wrapping_add(x);
        self.n += 1;
    }
}

impl Sum<f64> {
    fn add(&mut self, x: f64) {
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
struct Prod<X> {
    total: X,
}

impl Prod<i64> {
    const ONE: Self = Prod { total: 1 };
    fn mul(&mut self, x: i64) {
        self.total = self.total.wrapping_mul(x);
    }
}

impl Prod<f64> {
    const ONE: Self = Prod { total: 1.0 };
    fn mul(&mut self, x: f64) {
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
struct Extreme<X> {
    best: X,
    n: u64,
    min: bool,
}

impl<X: Copy + PartialOrd + Default> Extreme<X> {
    fn new(min: bool) -> Self {
        Extreme {
            best: X::default(),
            n: 0,
            min,
        }
    }

    fn push(&mut self, x: X) {
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

    fn value(&self) -> Option<X> {
        (self.n > 0).then_some(self.best)
    }
}

impl<X: Copy + PartialOrd + Default + Send + Sync> Merge for Extreme<X> {
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
struct Arg<X> {
    best: X,
    at: u64,
    /// Rows of the group seen, nulls included: the next row's position.
    seen: u64,
    n: u64,
    min: bool,
}

impl<X: Copy + PartialOrd + Default> Arg<X> {
    fn new(min: bool) -> Self {
        Arg {
            best: X::default(),
            at: 0,
            seen: 0,
            n: 0,
            min,
        }
    }

    fn skip(&mut self) {
        self.seen += 1;
    }

    fn push(&mut self, x: X) {
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

impl<X: Copy + PartialOrd + Default + Send + Sync> Merge for Arg<X> {
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
struct Welford(Moments);

impl Welford {
    fn push(&mut self, x: f64) {
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
struct Flag {
    holds: bool,
    all: bool,
}

impl Flag {
    fn push(&mut self, truth: bool) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_hold_whole_chunks_and_grow_with_slots() {
        assert_eq!(block_rows(10, 1), CHUNK);
        assert_eq!(block_rows(10_000_000, 100), CHUNK);
        assert_eq!(
            block_rows(10_000_000, 100_000),
            1_600_000usize.next_multiple_of(CHUNK)
        );
    }
}
