//! `Frame::group_by(keys).agg(exprs)`: reductions per group of rows with equal keys
//! (README.md beside this file).

mod explain;
mod keys;
mod reduce;
mod states;

use std::collections::HashMap;
use std::sync::Arc;

use super::Frame;
use crate::column::Column;
use crate::dtype::DType;
use crate::error::{Error, Result};
use crate::expr::{Expr, NullOp, col};
use crate::options::{Backend, ExecOptions};
use keys::Groups;
use reduce::{Agg, Operands};

pub(crate) use keys::float_bits;

/// A frame split into groups by key expressions, waiting for its aggregates
/// ([`Frame::group_by`]).
#[derive(Debug, Clone)]
pub struct GroupBy<'a> {
    frame: &'a Frame,
    keys: Vec<Expr>,
}

impl Frame {
    /// Groups the rows by the values of `keys` (expressions with one value per row: columns,
    /// or maps of them), for [`GroupBy::agg`]. Rows whose keys are all equal form a group; a
    /// null is a key value of its own, every NaN is one value, and `-0.0` equals `0.0`.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([
    ///     ("k", Column::from(vec!["b", "a", "b", "a", "b"])),
    ///     ("v", Column::from(vec![1.0f64, 2.0, 3.0, 4.0, 5.0])),
    /// ])?;
    /// let out = df.group_by([col("k")]).agg([col("v").sum(), swath::len()])?;
    /// // Groups come in the order of their first rows.
    /// assert_eq!(out.column("k")?.to_strings()?, [Some("b".to_string()), Some("a".to_string())]);
    /// assert_eq!(out.values::<f64>("v")?, [9.0, 6.0]);
    /// assert_eq!(out.values::<i64>("len")?, [3, 2]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn group_by(&self, keys: impl IntoIterator<Item = Expr>) -> GroupBy<'_> {
        GroupBy {
            frame: self,
            keys: keys.into_iter().collect(),
        }
    }
}

impl GroupBy<'_> {
    /// The threads a keyed pass may use, and the key columns (one value per row each).
    fn key_step(&self, options: &ExecOptions) -> Result<(usize, Frame)> {
        let threads = match options.resolved_backend()? {
            Backend::Cpu1 => 1,
            _ => options.resolved_threads()?,
        };
        let key_frame = self.frame.select_with(self.keys.iter().cloned(), options)?;
        if let Some((key, _)) = self
            .keys
            .iter()
            .zip(key_frame.columns())
            .find(|(_, (_, c))| c.len() != self.frame.height())
        {
            return Err(Error::InvalidType {
                expr: key.to_string(),
                message: "a group-by key needs one value per row, not a single value".into(),
            });
        }
        Ok((threads, key_frame))
    }

    /// One row per group, in the order of each group's first row: the key columns (named as
    /// their expressions), then one column per aggregate. Each aggregate is a reduction
    /// (`sum`, `mean`, `min`, `max`, `var`, `std`, `count`, `len`, `null_count`, `n_unique`,
    /// `arg_min`, `arg_max`, `prod`, `any`, `all`) of any map, or an expression of such
    /// reductions (`col("a").sum() / col("b").sum()`); a reduction inside an aggregate's
    /// operand is per group too (`(col("v") - col("v").mean()).abs().sum()`). `arg_min` and
    /// `arg_max` give the position within the group, as Polars does.
    ///
    /// Errors: a key or aggregate naming an unknown column, a key that is a reduction, an
    /// aggregate that reads a column outside any reduction (there are no list columns), a
    /// reduction a dtype does not take (`sum` of text): each an [`Error`] naming the
    /// expression.
    pub fn agg(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<Frame> {
        self.agg_with(exprs, &ExecOptions::default())
    }

    /// [`GroupBy::agg`] with explicit execution options (the thread count; keyed passes run on
    /// the CPU).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([
    ///     ("k", Column::from(vec![1i64, 2, 1])),
    ///     ("v", Column::from(vec![Some(1.0f64), None, Some(3.0)])),
    /// ])?;
    /// let one = ExecOptions::new().threads(1);
    /// let out = df.group_by([col("k")]).agg_with([col("v").mean().alias("m")], &one)?;
    /// assert_eq!(out.column("m")?.to_options::<f64>()?, [Some(2.0), None]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn agg_with(
        &self,
        exprs: impl IntoIterator<Item = Expr>,
        options: &ExecOptions,
    ) -> Result<Frame> {
        let frame = self.frame;
        let (threads, key_frame) = self.key_step(options)?;
        let refs: Vec<&Column> = key_frame.columns().map(|(_, c)| c).collect();
        let groups = keys::group_rows(&refs, frame.height(), threads)?;
        let mut lifting = Lifting {
            rows: frame.clone(),
            groups: &groups,
            grouped: Vec::new(),
            group_ids: None,
            batched: HashMap::new(),
            threads,
            options: *options,
        };
        let exprs: Vec<Expr> = exprs.into_iter().collect();
        lifting.batch(&exprs)?;
        let mut lifted = Vec::with_capacity(exprs.len());
        for e in &exprs {
            let name = e.output_name();
            lifted.push(lifting.group_level(e, e)?.alias(&name));
        }
        let first_rows: Vec<u32> = groups.first_rows.iter().map(|&r| r as u32).collect();
        let mut out: Vec<(String, Column)> = key_frame
            .columns()
            .map(|(name, column)| Ok((name.to_string(), column.take_rows(&first_rows)?)))
            .collect::<Result<_>>()?;
        let grouped = std::mem::take(&mut lifting.grouped);
        // With no reduction (literal aggregates only) the frame still has a row per group.
        let per_group = if grouped.is_empty() {
            Frame::with_rows(groups.len())
        } else {
            Frame::new(grouped)?
        };
        let results = per_group.select_with(lifted, &lifting.options)?;
        for (name, column) in results.columns() {
            let column = if column.len() == groups.len() {
                column.clone()
            } else {
                column.take_rows(&vec![0; groups.len()])?
            };
            out.push((name.to_string(), column));
        }
        Frame::new(out)
    }
}

/// The state of rewriting aggregates: each reduction is computed per group and replaced by a
/// column of the per-group frame (`grouped`); one nested in another reduction's operand is
/// also spread back to the rows (a column of `rows`).
struct Lifting<'g> {
    rows: Frame,
    groups: &'g Groups<'g>,
    grouped: Vec<(String, Column)>,
    /// Per row: its group, made when a nested reduction first needs it.
    group_ids: Option<Vec<u32>>,
    /// The reductions computed together up front ([`Lifting::batch`]): each node (by its
    /// debug text) and the column that holds it.
    batched: HashMap<String, String>,
    threads: usize,
    options: ExecOptions,
}

impl Lifting<'_> {
    /// `e` at the level of groups: its reductions become per-group columns; a column read
    /// outside any reduction is an error naming `whole`.
    #[recursive::recursive]
    fn group_level(&mut self, e: &Expr, whole: &Expr) -> Result<Expr> {
        if let Some((agg, operand)) = as_aggregate(e) {
            return Ok(col(self.reduce(e, agg, operand, whole)?));
        }
        match e {
            Expr::Column(name) => Err(Error::InvalidType {
                expr: whole.to_string(),
                message: format!(
                    "`{name}` has one value per row; in an aggregation it must be reduced (sum, mean, len ...)"
                ),
            }),
            Expr::RowIndex | Expr::Loop(..) | Expr::LoopState(_) => Err(Error::InvalidType {
                expr: whole.to_string(),
                message: "a per-row expression in an aggregation must be reduced".into(),
            }),
            _ => e.map_operands(|x| Ok(Arc::new(self.group_level(x, whole)?))),
        }
    }

    /// `e` at the level of rows (inside a reduction's operand): a nested reduction becomes
    /// its per-group value spread over its group's rows.
    #[recursive::recursive]
    fn row_level(&mut self, e: &Expr, whole: &Expr) -> Result<Expr> {
        if let Some((agg, operand)) = as_aggregate(e) {
            let grouped = self.reduce(e, agg, operand, whole)?;
            let values = self
                .grouped
                .iter()
                .find(|(n, _)| *n == grouped)
                .map(|(_, c)| c.clone())
                .ok_or_else(|| Error::Internal(format!("no grouped column `{grouped}`")))?;
            let spread = values.take_rows(self.group_ids())?;
            let name = hidden_name(&self.rows, "row", self.rows.width());
            let mut columns: Vec<(String, Column)> = self
                .rows
                .columns()
                .map(|(n, c)| (n.to_string(), c.clone()))
                .collect();
            columns.push((name.clone(), spread));
            self.rows = Frame::new(columns)?;
            return Ok(col(name));
        }
        e.map_operands(|x| Ok(Arc::new(self.row_level(x, whole)?)))
    }

    /// Computes the reduction `e` (`agg` of `operand`) per group; gives the name of the column
    /// that holds it in the per-group frame.
    fn reduce(&mut self, e: &Expr, agg: Aggregate, operand: &Expr, whole: &Expr) -> Result<String> {
        if let Some(name) = self.batched.get(&format!("{e:?}")) {
            return Ok(name.clone());
        }
        let operand_name = operand.output_name();
        let operand = self.row_level(operand, whole)?.alias("v");
        let name = hidden_name(&self.rows, "agg", self.grouped.len());
        // Over no rows first: the operand's dtype and errors, and whether it is a single
        // value (a literal), which reduces as itself in every group, as in Polars.
        let probe = self
            .rows
            .window(0..0)?
            .select_with([operand.clone()], &self.options)?;
        let probe = probe.column("v")?.clone();
        if !probe.is_empty() {
            let one = Frame::new([(name.clone(), probe)])?;
            let reduced = one.select_with([rebuild(e, col(&name))], &self.options)?;
            let reduced = reduced.columns().next().map(|(_, c)| c.clone());
            let reduced = reduced.ok_or_else(|| Error::Internal("an empty select".into()))?;
            let per_group = reduced.take_rows(&vec![0; self.groups.len()])?;
            self.grouped.push((name.clone(), per_group));
            return Ok(name);
        }
        let per_slot = match agg {
            Aggregate::Keyed(agg) => {
                let out = result_dtype(agg, &probe, &operand_name).map_err(|message| {
                    Error::InvalidType {
                        expr: e.to_string(),
                        message,
                    }
                })?;
                let operands =
                    Operands::new(&self.rows, &[operand], self.options.backend(Backend::Cpu1))?;
                let accumulator = reduce::accumulator(agg, probe.dtype(), self.groups.slots);
                let raw =
                    reduce::keyed_pass(&[accumulator], &[0], &operands, self.groups, self.threads)?;
                let raw = raw.into_iter().next();
                cast(
                    raw.ok_or_else(|| Error::Internal("a pass without its result".into()))?,
                    out,
                )?
            }
            Aggregate::NUnique => {
                let operands =
                    Operands::new(&self.rows, &[operand], self.options.backend(Backend::Cpu1))?;
                let values = operands.window(0..self.groups.height)?;
                let values = values
                    .first()
                    .ok_or_else(|| Error::Internal("no operand".into()))?;
                keys::distinct_per_slot(self.groups, values, self.threads)?
            }
        };
        let per_group = per_slot.take_rows(&self.groups.order)?;
        self.grouped.push((name.clone(), per_group));
        Ok(name)
    }

    /// Computes every reduction of `exprs` whose operand holds no reduction in one pass over
    /// the rows (their operands evaluated together per window), so `agg([a.mean(),
    /// b.mean(), c.mean()])` reads the keys once. A reduction this cannot take (a literal
    /// operand, one that fails to type) is left to [`Lifting::reduce`], which reports errors.
    fn batch(&mut self, exprs: &[Expr]) -> Result<()> {
        let leaves = leaves(exprs);
        let operands: Vec<Expr> = leaves
            .iter()
            .enumerate()
            .map(|(k, l)| l.2.clone().alias(format!("{k}")))
            .collect();
        let Ok(probe) = self
            .rows
            .window(0..0)?
            .select_with(operands.clone(), &self.options)
        else {
            return Ok(());
        };
        let mut taken = Vec::new();
        for ((leaf, operand), (_, probe)) in leaves.iter().zip(operands).zip(probe.columns()) {
            if !probe.is_empty() {
                continue;
            }
            if let Ok(out) = result_dtype(leaf.1, probe, &leaf.3) {
                taken.push((leaf, operand, probe.dtype(), out));
            }
        }
        if taken.is_empty() {
            return Ok(());
        }
        let exprs: Vec<Expr> = taken.iter().map(|t| t.1.clone()).collect();
        let operands = Operands::new(&self.rows, &exprs, self.options.backend(Backend::Cpu1))?;
        let accumulators: Vec<_> = taken
            .iter()
            .map(|t| reduce::accumulator(t.0.1, t.2, self.groups.slots))
            .collect();
        let inputs: Vec<usize> = (0..taken.len()).collect();
        let raw = reduce::keyed_pass(&accumulators, &inputs, &operands, self.groups, self.threads)?;
        for (t, raw) in taken.iter().zip(raw) {
            let per_group = cast(raw, t.3)?.take_rows(&self.groups.order)?;
            let name = hidden_name(&self.rows, "agg", self.grouped.len());
            self.grouped.push((name.clone(), per_group));
            self.batched.insert(t.0.0.clone(), name);
        }
        Ok(())
    }

    /// Per row: its group (made once, when a nested reduction first needs it).
    fn group_ids(&mut self) -> &[u32] {
        let groups = self.groups;
        self.group_ids.get_or_insert_with(|| {
            let of_slot = groups.group_of_slot();
            let mut buf = Vec::new();
            groups
                .rows
                .of(0..groups.height, &mut buf)
                .iter()
                .map(|&s| of_slot.get(s as usize).copied().unwrap_or(0))
                .collect()
        })
    }
}

impl Frame {
    /// This frame with only the columns `exprs` read (all of them when one holds a loop,
    /// whose scopes name columns too).
    pub(super) fn only(&self, exprs: &[Expr]) -> Result<Frame> {
        let mut names: Vec<&str> = Vec::new();
        let mut stack: Vec<&Expr> = exprs.iter().collect();
        while let Some(e) = stack.pop() {
            match e {
                Expr::Column(name) => names.push(name),
                Expr::Loop(..) => return Ok(self.clone()),
                _ => e.for_each_child(&mut |c| stack.push(c)),
            }
        }
        names.sort_unstable();
        names.dedup();
        let columns = names
            .iter()
            .map(|n| Ok((n.to_string(), self.column(n)?.clone())))
            .collect::<Result<Vec<_>>>()?;
        if columns.is_empty() {
            return Ok(Frame::with_rows(self.height()));
        }
        Frame::new(columns)
    }
}

/// The reductions of `exprs` one keyed pass can take together: those whose operand holds no
/// reduction and reads the rows (a literal operand reduces as a single value, left to
/// `Lifting::reduce`, since a select of it beside columns would spread it over the rows).
/// Each once: (its debug text, the aggregate, its operand, the operand's name).
fn leaves(exprs: &[Expr]) -> Vec<(String, Agg, Expr, String)> {
    let mut leaves: Vec<(String, Agg, Expr, String)> = Vec::new();
    let mut stack: Vec<&Expr> = exprs.iter().rev().collect();
    while let Some(e) = stack.pop() {
        match as_aggregate(e) {
            Some((Aggregate::Keyed(agg), operand))
                if !has_aggregate(operand) && reads_rows(operand) =>
            {
                let key = format!("{e:?}");
                if !leaves.iter().any(|l| l.0 == key) {
                    leaves.push((key, agg, operand.clone(), operand.output_name()));
                }
            }
            _ => e.for_each_child(&mut |c| stack.push(c)),
        }
    }
    leaves
}

/// Whether `e` reads the rows (a column, the row index, a loop over them).
fn reads_rows(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if matches!(e, Expr::Column(_) | Expr::RowIndex | Expr::Loop(..)) {
            return true;
        }
        e.for_each_child(&mut |c| stack.push(c));
    }
    false
}

/// Whether `e` holds a reduction.
fn has_aggregate(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if as_aggregate(e).is_some() {
            return true;
        }
        e.for_each_child(&mut |c| stack.push(c));
    }
    false
}

/// What a reduction node asks for.
#[derive(Clone, Copy)]
enum Aggregate {
    Keyed(Agg),
    NUnique,
}

/// The reduction node `e` over another operand.
fn rebuild(e: &Expr, operand: Expr) -> Expr {
    let operand = Arc::new(operand);
    match e {
        Expr::Reduce(op, _) => Expr::Reduce(*op, operand),
        Expr::Nulls(op, _) => Expr::Nulls(*op, operand),
        _ => e.clone(),
    }
}

fn as_aggregate(e: &Expr) -> Option<(Aggregate, &Expr)> {
    match e {
        Expr::Reduce(op, operand) => Some((Aggregate::Keyed(Agg::Reduce(*op)), operand)),
        Expr::Nulls(NullOp::Len, operand) => Some((Aggregate::Keyed(Agg::Len), operand)),
        Expr::Nulls(NullOp::NullCount, operand) => {
            Some((Aggregate::Keyed(Agg::NullCount), operand))
        }
        Expr::Nulls(NullOp::NUnique, operand) => Some((Aggregate::NUnique, operand)),
        _ => None,
    }
}

/// The dtype the ungrouped reduction gives for `values` (asked of the planner over no rows,
/// so the rules live in one place), or why it does not take them (naming the operand `name`).
fn result_dtype(agg: Agg, values: &Column, name: &str) -> std::result::Result<DType, String> {
    let empty = values.take_rows(&[]).map_err(|e| e.to_string())?;
    let probe = Frame::new([(name, empty)]).map_err(|e| e.to_string())?;
    let e = match agg {
        Agg::Reduce(op) => Expr::Reduce(op, Arc::new(col(name))),
        Agg::Len => col(name).len(),
        Agg::NullCount => col(name).null_count(),
    };
    let out = probe.select([e.alias("v")]).map_err(|e| match e {
        Error::InvalidType { message, .. } => message,
        other => other.to_string(),
    })?;
    out.column("v")
        .map(Column::dtype)
        .map_err(|e| e.to_string())
}

/// `column` converted to `dtype` (nulls kept).
fn cast(column: Column, dtype: DType) -> Result<Column> {
    if column.dtype() == dtype {
        return Ok(column);
    }
    let frame = Frame::new([("v", column)])?;
    let out = frame.select([col("v").cast(dtype)])?;
    out.column("v").cloned()
}

/// A column name for internal use that no column of `frame` has.
fn hidden_name(frame: &Frame, what: &str, n: usize) -> String {
    let mut name = format!("__swath_{what}_{n}");
    while frame.column(&name).is_ok() {
        name.push('_');
    }
    name
}

/// The number of rows in each group, a reduction, as Polars' `pl.len()`: with
/// [`GroupBy::agg`] the rows per group, in [`Frame::select`] the frame's height. Named
/// `len`.
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([("x", Column::from(vec![Some(1i32), None]))])?;
/// assert_eq!(df.select([swath::len()])?.values::<i64>("len")?, [2]);
/// # Ok::<(), swath::Error>(())
/// ```
pub fn len() -> Expr {
    Expr::RowIndex.len().alias("len")
}
