//! Keyed passes: every aggregate of an `agg` keeps one accumulator per slot, and one pass over
//! the rows fills them all (README.md beside this file, "Reductions").
//!
//! Blocks have a fixed number of rows that depends only on the data (rows and slots), each is
//! read in row order by one thread, and the blocks' accumulators merge in block order: every
//! result is bit-identical for any thread count. Floats accumulate in f64, integers in i64
//! (wrapping, as the ungrouped reductions do).

use std::any::Any;
use std::marker::PhantomData;
use std::ops::Range;

use super::keys::Groups;
use super::states::{Arg, Counts, Extreme, Flag, Merge, Prod, Sum, Welford};
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

/// What a pass's aggregates reduce: columns, and expressions over the rows' frame evaluated
/// together a window of [`CHUNK`] rows at a time (one select per window, so operands that
/// share columns read them once; the values are used while they are in cache, and no
/// full-length column of them is made).
pub(crate) struct Operands {
    sources: Vec<Source>,
    frame: Frame,
    exprs: Vec<Expr>,
    options: ExecOptions,
}

enum Source {
    Column(Column),
    /// The select's output of that index.
    Computed(usize),
}

impl Operands {
    /// `operands` over `frame`: bare columns are read in place, the rest computed per window
    /// with `options` (on the thread that reduces the window).
    pub fn new(frame: &Frame, operands: &[Expr], options: ExecOptions) -> Result<Operands> {
        let mut sources = Vec::with_capacity(operands.len());
        let mut exprs = Vec::new();
        for e in operands {
            let column = match e {
                Expr::Column(name) => Some(name),
                Expr::Alias(inner, _) => match &**inner {
                    Expr::Column(name) => Some(name),
                    _ => None,
                },
                _ => None,
            };
            match column {
                Some(name) => sources.push(Source::Column(frame.column(name)?.clone())),
                None => {
                    sources.push(Source::Computed(exprs.len()));
                    exprs.push(e.clone().alias(format!("{}", exprs.len())));
                }
            }
        }
        let frame = frame.only(&exprs)?;
        Ok(Operands {
            sources,
            frame,
            exprs,
            options,
        })
    }

    /// Every operand over `rows`.
    pub fn window(&self, rows: Range<usize>) -> Result<Vec<Column>> {
        let computed: Vec<Column> = if self.exprs.is_empty() {
            Vec::new()
        } else {
            let window = self.frame.window(rows.clone())?;
            let out = window.select_with(self.exprs.iter().cloned(), &self.options)?;
            out.columns().map(|(_, c)| c.clone()).collect()
        };
        self.sources
            .iter()
            .map(|s| match s {
                Source::Column(c) => c.window(rows.clone()),
                Source::Computed(i) => computed
                    .get(*i)
                    .cloned()
                    .ok_or_else(|| Error::Internal("a select without its column".into())),
            })
            .collect()
    }
}

/// One aggregate's accumulators over one block of rows.
pub(crate) trait Accumulate: Send + Sync {
    /// Adds a window of values: row `i` of `piece` belongs to slot `slots[i]`.
    fn add(&mut self, slots: &[u32], piece: &Column) -> Result<()>;
    /// Merges the accumulators of a later block of the same aggregate.
    fn merge(&mut self, later: Box<dyn Accumulate>) -> Result<()>;
    /// The result per slot, as a column in dtype i64, f64 or bool.
    fn finish(&self) -> Column;
    /// Empty accumulators for another block.
    fn fresh(&self) -> Box<dyn Accumulate>;
    fn into_any(self: Box<Self>) -> Box<dyn Any>;
}

/// Accumulators of state `S` over values `T`: `push` takes a valid value, `null` a null row,
/// and `finish` turns the states into the result column.
struct Keyed<T, S, P, N, F> {
    states: Vec<S>,
    empty: S,
    /// Counts read only validity, so they take values of any dtype.
    any_dtype: bool,
    push: P,
    null: N,
    finish: F,
    values: PhantomData<fn(T)>,
}

impl<T, S, P, N, F> Accumulate for Keyed<T, S, P, N, F>
where
    T: ColumnElem + 'static,
    S: Merge,
    P: Fn(&mut S, T) + Clone + Send + Sync + 'static,
    N: Fn(&mut S) + Clone + Send + Sync + 'static,
    F: Fn(&[S]) -> Column + Clone + Send + Sync + 'static,
{
    fn add(&mut self, slots: &[u32], piece: &Column) -> Result<()> {
        let zeros;
        let values: &[T] = match T::slice(piece.data()?) {
            Some(v) => v,
            None if self.any_dtype => {
                zeros = vec![T::default(); piece.len()];
                &zeros
            }
            None => {
                return Err(Error::Internal(format!(
                    "a keyed pass over {} values",
                    piece.dtype()
                )));
            }
        };
        let states = &mut self.states;
        match piece.validity() {
            None => {
                for (&s, &x) in slots.iter().zip(values) {
                    if let Some(state) = states.get_mut(s as usize) {
                        (self.push)(state, x);
                    }
                }
            }
            Some(valid) => {
                for ((r, &s), &x) in (0..).zip(slots).zip(values) {
                    if let Some(state) = states.get_mut(s as usize) {
                        if valid.is_valid(r) {
                            (self.push)(state, x);
                        } else {
                            (self.null)(state);
                        }
                    }
                }
            }
        }
        Ok(())
    }

    fn merge(&mut self, later: Box<dyn Accumulate>) -> Result<()> {
        let later = later
            .into_any()
            .downcast::<Self>()
            .map_err(|_| Error::Internal("merging accumulators of two aggregates".into()))?;
        for (state, later) in self.states.iter_mut().zip(&later.states) {
            *state = state.merge(*later);
        }
        Ok(())
    }

    fn finish(&self) -> Column {
        (self.finish)(&self.states)
    }

    fn fresh(&self) -> Box<dyn Accumulate> {
        Box::new(Keyed {
            states: vec![self.empty; self.states.len()],
            empty: self.empty,
            any_dtype: self.any_dtype,
            push: self.push.clone(),
            null: self.null.clone(),
            finish: self.finish.clone(),
            values: PhantomData,
        })
    }

    fn into_any(self: Box<Self>) -> Box<dyn Any> {
        self
    }
}

fn keyed<T, S, P, N, F>(nslots: usize, empty: S, push: P, null: N, finish: F) -> Box<dyn Accumulate>
where
    T: ColumnElem + 'static,
    S: Merge,
    P: Fn(&mut S, T) + Clone + Send + Sync + 'static,
    N: Fn(&mut S) + Clone + Send + Sync + 'static,
    F: Fn(&[S]) -> Column + Clone + Send + Sync + 'static,
{
    Box::new(Keyed {
        states: vec![empty; nslots],
        empty,
        any_dtype: false,
        push,
        null,
        finish,
        values: PhantomData,
    })
}

/// The accumulators of `agg` over values of `dtype`, one per slot of `nslots`.
pub(crate) fn accumulator(agg: Agg, dtype: DType, nslots: usize) -> Box<dyn Accumulate> {
    match agg {
        Agg::Len | Agg::NullCount | Agg::Reduce(ReduceOp::Count) => {
            let finish = move |states: &[Counts]| {
                Column::from(
                    states
                        .iter()
                        .map(|c| match agg {
                            Agg::Len => (c.valid + c.nulls) as i64,
                            Agg::NullCount => c.nulls as i64,
                            _ => c.valid as i64,
                        })
                        .collect::<Vec<i64>>(),
                )
            };
            Box::new(Keyed {
                states: vec![Counts::default(); nslots],
                empty: Counts::default(),
                any_dtype: true,
                push: |s: &mut Counts, _: u32| s.valid += 1,
                null: |s: &mut Counts| s.nulls += 1,
                finish,
                values: PhantomData,
            })
        }
        Agg::Reduce(op) => match dtype {
            DType::Bool => numeric::<bool, _, _>(op, nslots, false, |x| x as i64 as f64, i64::from),
            DType::I32 => numeric::<i32, _, _>(op, nslots, false, f64::from, i64::from),
            DType::I64 => numeric::<i64, _, _>(op, nslots, false, |x| x as f64, |x| x),
            DType::U32 | DType::Categorical => {
                numeric::<u32, _, _>(op, nslots, false, f64::from, i64::from)
            }
            DType::F32 => numeric::<f32, _, _>(op, nslots, true, f64::from, |x| x as i64),
            DType::F64 => numeric::<f64, _, _>(op, nslots, true, |x| x, |x| x as i64),
        },
    }
}

/// `op` over values `T`, read as floats through `real` (when `float`) or as integers through
/// `int`. Both are type parameters, not function pointers, so the per-row update inlines
/// them.
fn numeric<T, R, I>(
    op: ReduceOp,
    nslots: usize,
    float: bool,
    real: R,
    int: I,
) -> Box<dyn Accumulate>
where
    T: ColumnElem + 'static,
    R: Fn(T) -> f64 + Copy + Send + Sync + 'static,
    I: Fn(T) -> i64 + Copy + Send + Sync + 'static,
{
    match op {
        // Integers sum in i64, wrapping; their mean sums in f64, as the ungrouped mean
        // does, so it does not wrap.
        ReduceOp::Sum if !float => keyed(
            nslots,
            Sum::<i64>::default(),
            move |s: &mut Sum<i64>, x: T| s.add(int(x)),
            ignore,
            |s: &[Sum<i64>]| Column::from(s.iter().map(|s| s.total).collect::<Vec<i64>>()),
        ),
        ReduceOp::Sum | ReduceOp::Mean => keyed(
            nslots,
            Sum::<f64>::default(),
            move |s: &mut Sum<f64>, x: T| s.add(real(x)),
            ignore,
            move |s: &[Sum<f64>]| match op {
                ReduceOp::Mean => Column::from(
                    s.iter()
                        .map(|s| (s.n > 0).then(|| s.total / s.n as f64))
                        .collect::<Vec<_>>(),
                ),
                _ => Column::from(s.iter().map(|s| s.total).collect::<Vec<f64>>()),
            },
        ),
        ReduceOp::Prod if !float => keyed(
            nslots,
            Prod::<i64>::ONE,
            move |s: &mut Prod<i64>, x: T| s.mul(int(x)),
            ignore,
            |s: &[Prod<i64>]| Column::from(s.iter().map(|s| s.total).collect::<Vec<i64>>()),
        ),
        ReduceOp::Prod => keyed(
            nslots,
            Prod::<f64>::ONE,
            move |s: &mut Prod<f64>, x: T| s.mul(real(x)),
            ignore,
            |s: &[Prod<f64>]| Column::from(s.iter().map(|s| s.total).collect::<Vec<f64>>()),
        ),
        ReduceOp::Min | ReduceOp::Max if float => keyed(
            nslots,
            Extreme::<f64>::new(op == ReduceOp::Min),
            move |s: &mut Extreme<f64>, x: T| s.push(real(x)),
            ignore,
            |s: &[Extreme<f64>]| Column::from(s.iter().map(|s| s.value()).collect::<Vec<_>>()),
        ),
        ReduceOp::Min | ReduceOp::Max => keyed(
            nslots,
            Extreme::<i64>::new(op == ReduceOp::Min),
            move |s: &mut Extreme<i64>, x: T| s.push(int(x)),
            ignore,
            |s: &[Extreme<i64>]| Column::from(s.iter().map(|s| s.value()).collect::<Vec<_>>()),
        ),
        ReduceOp::ArgMin | ReduceOp::ArgMax if float => keyed(
            nslots,
            Arg::<f64>::new(op == ReduceOp::ArgMin),
            move |s: &mut Arg<f64>, x: T| s.push(real(x)),
            Arg::skip,
            |s: &[Arg<f64>]| positions(s.iter().map(|s| (s.n, s.at))),
        ),
        ReduceOp::ArgMin | ReduceOp::ArgMax => keyed(
            nslots,
            Arg::<i64>::new(op == ReduceOp::ArgMin),
            move |s: &mut Arg<i64>, x: T| s.push(int(x)),
            Arg::skip,
            |s: &[Arg<i64>]| positions(s.iter().map(|s| (s.n, s.at))),
        ),
        ReduceOp::Var(_) | ReduceOp::Std(_) => keyed(
            nslots,
            Welford(Moments::default()),
            move |s: &mut Welford, x: T| s.push(real(x)),
            ignore,
            move |s: &[Welford]| {
                let finished = s.iter().map(|s| match s.0.finish(op, DType::F64) {
                    Scalar::F64(v) => Some(v),
                    _ => None,
                });
                Column::from(finished.collect::<Vec<Option<f64>>>())
            },
        ),
        ReduceOp::Any | ReduceOp::All => {
            let all = op == ReduceOp::All;
            keyed(
                nslots,
                Flag { holds: all, all },
                move |s: &mut Flag, x: T| s.push(real(x) != 0.0),
                ignore,
                |s: &[Flag]| Column::from(s.iter().map(|s| s.holds).collect::<Vec<bool>>()),
            )
        }
        ReduceOp::Count => accumulator(Agg::Reduce(ReduceOp::Count), DType::U32, nslots),
    }
}

/// A null row, for the accumulators that skip nulls.
fn ignore<S>(_: &mut S) {}

/// Positions within the group, null where a group had no value.
fn positions(states: impl Iterator<Item = (u64, u64)>) -> Column {
    Column::from(
        states
            .map(|(n, at)| (n > 0).then_some(at as i64))
            .collect::<Vec<Option<i64>>>(),
    )
}

/// Rows a block holds: whole chunks, and enough rows per slot that merging the blocks'
/// accumulators costs little beside filling them.
pub(super) fn block_rows(rows: usize, nslots: usize) -> usize {
    nslots
        .saturating_mul(16)
        .max(CHUNK)
        .next_multiple_of(CHUNK)
        .min(rows.max(1).next_multiple_of(CHUNK))
}

/// One pass over the rows of `groups`: each of `accumulators` (empty, one per slot) takes
/// operand `inputs[k]` of `operands`. Gives each one's result per slot.
pub(crate) fn keyed_pass(
    accumulators: &[Box<dyn Accumulate>],
    inputs: &[usize],
    operands: &Operands,
    groups: &Groups<'_>,
    threads: usize,
) -> Result<Vec<Column>> {
    let rows = groups.height;
    let block = block_rows(rows, groups.slots);
    let blocks: Vec<Range<usize>> = (0..rows.div_ceil(block))
        .map(|b| b * block..((b + 1) * block).min(rows))
        .collect();
    let filled = map_items(
        threads,
        blocks,
        |_, block| -> Result<Vec<Box<dyn Accumulate>>> {
            let mut accs: Vec<Box<dyn Accumulate>> =
                accumulators.iter().map(|a| a.fresh()).collect();
            let mut buf = Vec::new();
            let mut start = block.start;
            while start < block.end {
                let end = (start + CHUNK).min(block.end);
                let pieces = operands.window(start..end)?;
                let slots = groups.rows.of(start..end, &mut buf);
                for (acc, &k) in accs.iter_mut().zip(inputs) {
                    let piece = pieces.get(k).ok_or_else(|| {
                        Error::Internal("an aggregate without its operand".into())
                    })?;
                    acc.add(slots, piece)?;
                }
                start = end;
            }
            Ok(accs)
        },
    )?;
    let mut blocks = filled.into_iter();
    let mut merged: Vec<Box<dyn Accumulate>> = match blocks.next() {
        Some(first) => first?,
        None => accumulators.iter().map(|a| a.fresh()).collect(),
    };
    for later in blocks {
        for (acc, later) in merged.iter_mut().zip(later?) {
            acc.merge(later)?;
        }
    }
    Ok(merged.iter().map(|a| a.finish()).collect())
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
