//! `n_unique`, counted on the host before planning: a distinct count needs a set, which no
//! kernel keeps, so each `n_unique(e)` becomes a select of `e`, a count here, and a literal
//! in the expression the planner sees (ARCHITECTURE.md "Nulls").

use std::sync::Arc;

use rustc_hash::FxHashSet;

use super::Frame;
use crate::column::{Column, ColumnData};
use crate::dtype::{DType, Scalar};
use crate::error::Result;
use crate::expr::{Expr, NullOp, lit};

/// Whether any expression asks for a distinct count.
pub(super) fn needs_rewrite(exprs: &[Expr]) -> bool {
    // A loop, not recursion: expressions may be deeper than a thread's stack (they are
    // refused later, with an error).
    let mut stack: Vec<&Expr> = exprs.iter().collect();
    while let Some(e) = stack.pop() {
        match e {
            Expr::Nulls(NullOp::NUnique, _) => return true,
            _ => e.for_each_child(&mut |c| stack.push(c)),
        }
    }
    false
}

/// `exprs` with each `n_unique(e)` replaced by its count over `frame` (an i64 literal); each
/// expression keeps its output name.
pub(super) fn count_distinct(frame: &Frame, exprs: &[Expr]) -> Result<Vec<Expr>> {
    exprs
        .iter()
        .map(|e| {
            let counted = replace(frame, e)?;
            let name = e.output_name();
            Ok(if counted.output_name() == name {
                counted
            } else {
                counted.alias(&name)
            })
        })
        .collect()
}

#[recursive::recursive]
fn replace(frame: &Frame, e: &Expr) -> Result<Expr> {
    if let Expr::Nulls(NullOp::NUnique, operand) = e {
        let operand = replace(frame, operand)?;
        let values = frame.select([operand.alias("n_unique")])?;
        let count = distinct(values.column("n_unique")?)?;
        return Ok(lit(Scalar::I64(count)).cast(DType::I64));
    }
    e.map_operands(|x| Ok(Arc::new(replace(frame, x)?)))
}

/// The distinct values of `column`, null counting as one; floats compare as Polars' do (every
/// NaN equal, `-0.0` equal to `0.0`).
fn distinct(column: &Column) -> Result<i64> {
    let valid = column.validity();
    let rows = |n: usize| (0..n).filter(move |&r| valid.is_none_or(|v| v.is_valid(r)));
    let count = match column.data()? {
        ColumnData::U32(codes) if column.categories().is_some() => {
            let mut seen = vec![false; column.categories().map_or(0, <[String]>::len)];
            for r in rows(codes.len()) {
                if let Some(slot) = codes.get(r).and_then(|&c| seen.get_mut(c as usize)) {
                    *slot = true;
                }
            }
            seen.into_iter().filter(|&s| s).count()
        }
        ColumnData::Bool(v) => set(rows(v.len()).map(|r| u64::from(v[r]))),
        ColumnData::I32(v) => set(rows(v.len()).map(|r| v[r] as u64)),
        ColumnData::I64(v) => set(rows(v.len()).map(|r| v[r] as u64)),
        ColumnData::U32(v) => set(rows(v.len()).map(|r| u64::from(v[r]))),
        ColumnData::F32(v) => {
            set(rows(v.len()).map(|r| super::group_by::float_bits(f64::from(v[r]))))
        }
        ColumnData::F64(v) => set(rows(v.len()).map(|r| super::group_by::float_bits(v[r]))),
    };
    let null = usize::from(column.null_count() > 0);
    Ok(i64::try_from(count + null).unwrap_or(i64::MAX))
}

/// How many distinct keys.
fn set(keys: impl Iterator<Item = u64>) -> usize {
    keys.collect::<FxHashSet<u64>>().len()
}
