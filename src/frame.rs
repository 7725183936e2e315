//! Frame: named columns of one length, and the calls that evaluate expressions over them.

use crate::column::Column;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::options::ExecOptions;
use crate::plan;

/// Named columns of equal length. Cheap to clone (columns share their values), and printed
/// as a table by `Display`.
///
/// ```
/// use swath::prelude::*;
/// let df = Frame::new([
///     ("a", Column::from(vec![1.0f64, 2.0, 3.0])),
///     ("k", Column::from(vec![10i32, 20, 30])),
/// ])?;
/// assert_eq!((df.height(), df.width()), (3, 2));
/// let out = df.select([(col("a") * col("k")).sum().alias("dot")])?;
/// assert_eq!(out.values::<f64>("dot")?, [140.0]);
/// assert!(df.to_string().starts_with("shape: (3, 2)"));
/// # Ok::<(), swath::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Frame {
    columns: Vec<(String, Column)>,
    height: usize,
}

impl Frame {
    /// Builds a frame; errors on columns of different lengths ([`Error::LengthMismatch`]) or
    /// repeated names ([`Error::DuplicateColumn`]).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let x = Column::from(vec![1i64, 2]);
    /// let df = Frame::new([("x", x.clone()), ("y", Column::from(vec![true, false]))])?;
    /// assert_eq!(df.names(), ["x", "y"]);
    /// let short = Frame::new([("x", x), ("y", Column::from(vec![1i64]))]);
    /// assert!(matches!(short, Err(Error::LengthMismatch { len: 1, expected: 2, .. })));
    /// let twice = Frame::new([("x", Column::from(vec![1i64])), ("x", Column::from(vec![2i64]))]);
    /// assert_eq!(twice.unwrap_err(), Error::DuplicateColumn("x".into()));
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn new<N: Into<String>>(columns: impl IntoIterator<Item = (N, Column)>) -> Result<Frame> {
        let mut frame = Frame::default();
        for (i, (name, column)) in columns.into_iter().enumerate() {
            let name = name.into();
            if name.contains('\0') {
                return Err(Error::InvalidName(name));
            }
            if frame.columns.iter().any(|(n, _)| *n == name) {
                return Err(Error::DuplicateColumn(name));
            }
            if i == 0 {
                frame.height = column.len();
            } else if column.len() != frame.height {
                return Err(Error::LengthMismatch {
                    name,
                    len: column.len(),
                    expected: frame.height,
                });
            }
            frame.columns.push((name, column));
        }
        Ok(frame)
    }

    /// A frame of `height` rows and no columns, for expressions that read none
    /// (`row_index()`, literals).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::with_rows(4);
    /// assert_eq!((df.height(), df.width()), (4, 0));
    /// let out = df.select([row_index()])?;
    /// assert_eq!(out.values::<u32>("row_index")?, [0, 1, 2, 3]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn with_rows(height: usize) -> Frame {
        Frame {
            columns: Vec::new(),
            height,
        }
    }

    /// Number of rows.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f32, 2.0, 3.0]))])?;
    /// assert_eq!(df.height(), 3);
    /// assert_eq!(df.select([col("x").sum()])?.height(), 1);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn height(&self) -> usize {
        self.height
    }
    /// Number of columns.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("a", Column::from(vec![1i32])), ("b", Column::from(vec![2i32]))])?;
    /// assert_eq!(df.width(), 2);
    /// assert_eq!(Frame::default().width(), 0);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn width(&self) -> usize {
        self.columns.len()
    }
    /// Column names in order.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("b", Column::from(vec![1i32])), ("a", Column::from(vec![2i32]))])?;
    /// assert_eq!(df.names(), ["b", "a"]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }
    /// (name, column) pairs in order.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([
    ///     ("a", Column::from(vec![1i32, 2])),
    ///     ("b", Column::from(vec![0.5f64, 1.5])),
    /// ])?;
    /// let dtypes: Vec<(&str, DType)> = df.columns().map(|(n, c)| (n, c.dtype())).collect();
    /// assert_eq!(dtypes, [("a", DType::I32), ("b", DType::F64)]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn columns(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.columns.iter().map(|(n, c)| (n.as_str(), c))
    }

    /// The column called `name`; [`Error::ColumnNotFound`] (listing the frame's columns) if
    /// there is none.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1i32, 2]))])?;
    /// assert_eq!(df.column("x")?.get(1)?, Scalar::I32(2));
    /// assert!(matches!(df.column("y"), Err(Error::ColumnNotFound { .. })));
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
            .ok_or_else(|| Error::ColumnNotFound {
                name: name.to_string(),
                available: self.names().join(", "),
            })
    }

    /// Typed values of column `name`, copied; errors name the column.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1i32, 2]))])?;
    /// assert_eq!(df.values::<i32>("x")?, [1, 2]);
    /// let wrong = df.values::<f64>("x").unwrap_err();
    /// assert_eq!(wrong.to_string(), "column `x` has dtype i32, not f64");
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn values<T: crate::column::ColumnElem>(&self, name: &str) -> Result<Vec<T>> {
        self.column(name)?
            .to_vec()
            .map_err(|e| Column::name_error(e, name))
    }

    /// Evaluates `exprs` into a new frame, one column per expression. All expressions are
    /// fused into as few passes over the data as their reductions allow. Reductions give one
    /// row, broadcast to the frame height when mixed with full-length columns.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0, 3.0]))])?;
    /// let out = df.select([col("x").sum().alias("total"), col("x").max().alias("top")])?;
    /// assert_eq!(out.column("total")?.get(0)?, Scalar::F64(6.0));
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn select(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<Frame> {
        self.select_with(exprs, &ExecOptions::default())
    }

    /// [`Frame::select`] with explicit execution options.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0, 3.0]))])?;
    /// let options = ExecOptions::new().backend(Backend::Cpu1);
    /// let out = df.select_with([col("x").mean().alias("m")], &options)?;
    /// assert_eq!(out.values::<f64>("m")?, [2.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn select_with(
        &self,
        exprs: impl IntoIterator<Item = Expr>,
        options: &ExecOptions,
    ) -> Result<Frame> {
        let exprs: Vec<Expr> = exprs.into_iter().collect();
        let (plan, validity) = self.plan(&exprs)?;
        let mut outputs = crate::exec::execute(&plan, &|name| self.resolve(name), options)?;
        let full = plan
            .outputs
            .iter()
            .any(|o| !matches!(o.source, plan::Source::Scalar(_)));
        let height = if full { self.height } else { 1 };
        // Each output's values take their validity: a bool output after them, or the inputs'
        // bitmaps ANDed.
        let computed: Vec<Option<Column>> = validity
            .iter()
            .map(|v| match v {
                Some(nulls::Validity::Output(k)) => Some(outputs[*k].1.clone()),
                _ => None,
            })
            .collect();
        outputs.truncate(validity.len());
        let columns = outputs
            .into_iter()
            .zip(validity.iter().zip(computed))
            .map(|((name, column), (source, computed))| {
                let column = match (source, computed) {
                    (_, Some(valid)) => column.with_validity_of(&valid)?,
                    (Some(nulls::Validity::Columns(names)), None) => {
                        let bitmaps = names
                            .iter()
                            .map(|n| {
                                self.base_column(n).map(Column::validity).ok_or_else(|| {
                                    Error::Internal(format!("no column behind `{n}`"))
                                })
                            })
                            .collect::<Result<Vec<_>>>()?;
                        column.with_validity_and(bitmaps.into_iter().flatten())?
                    }
                    _ => column,
                };
                let column = if column.len() == height {
                    column
                } else {
                    broadcast(&column, height)
                };
                Ok((name, column))
            })
            .collect::<Result<_>>()?;
        Ok(Frame { columns, height })
    }

    /// This frame with `exprs` added as columns (replacing columns of the same name).
    /// Single values (reductions) are broadcast to the frame's height.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1.0f64, 2.0, 3.0]))])?;
    /// let out = df.with_columns([
    ///     (col("x") * lit(10.0)).alias("x"),
    ///     col("x").sum().alias("total"),
    /// ])?;
    /// assert_eq!(out.names(), ["x", "total"]);
    /// assert_eq!(out.values::<f64>("x")?, [10.0, 20.0, 30.0]);
    /// assert_eq!(out.values::<f64>("total")?, [6.0, 6.0, 6.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn with_columns(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<Frame> {
        self.with_columns_with(exprs, &ExecOptions::default())
    }

    /// [`Frame::with_columns`] with explicit execution options.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![1i32, -2]))])?;
    /// let options = ExecOptions::new().threads(1);
    /// let out = df.with_columns_with([col("x").abs().alias("ax")], &options)?;
    /// assert_eq!(out.values::<i32>("ax")?, [1, 2]);
    /// assert_eq!(out.values::<i32>("x")?, [1, -2]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn with_columns_with(
        &self,
        exprs: impl IntoIterator<Item = Expr>,
        options: &ExecOptions,
    ) -> Result<Frame> {
        let new = self.select_with(exprs, options)?;
        let mut columns = self.columns.clone();
        for (name, column) in new.columns {
            let column = if column.len() == self.height {
                column
            } else {
                broadcast(&column, self.height)
            };
            match columns.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = column,
                None => columns.push((name, column)),
            }
        }
        Ok(Frame {
            columns,
            height: self.height,
        })
    }

    /// The rows where `predicate` (a bool expression) is true, in order. A predicate that is
    /// a single value (a reduction) keeps all rows or none; one that is not bool is an
    /// [`Error::InvalidType`].
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([
    ///     ("x", Column::from(vec![1.0f64, 5.0, 2.0, 8.0])),
    ///     ("k", Column::from(vec![1i32, 2, 3, 4])),
    /// ])?;
    /// let big = df.filter(col("x").gt(col("x").mean()))?;
    /// assert_eq!(big.values::<i32>("k")?, [2, 4]);
    /// assert!(matches!(df.filter(col("x")), Err(Error::InvalidType { .. })));
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn filter(&self, predicate: Expr) -> Result<Frame> {
        self.filter_with(predicate, &ExecOptions::default())
    }

    /// [`Frame::filter`] with explicit execution options.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("x", Column::from(vec![3i64, -1, 4]))])?;
    /// let options = ExecOptions::new().backend(Backend::Cpu1);
    /// let kept = df.filter_with(col("x").gt_eq(lit(0)), &options)?;
    /// assert_eq!(kept.values::<i64>("x")?, [3, 4]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn filter_with(&self, predicate: Expr, options: &ExecOptions) -> Result<Frame> {
        let mask_frame = self.select_with([predicate.clone().alias("__mask")], options)?;
        let mask = mask_frame.column("__mask")?;
        if mask.dtype() != DType::Bool {
            return Err(Error::InvalidType {
                // Printed only here: a shared subexpression prints once per use.
                expr: predicate.to_string(),
                message: format!("a filter needs a bool expression, not {}", mask.dtype()),
            });
        }
        let bytes_per_row = self
            .columns
            .iter()
            .map(|(_, c)| c.dtype().size_of() as f64)
            .sum();
        let selection = if mask.len() == self.height {
            let crate::column::ColumnData::Bool(values) = mask.data()? else {
                return Err(Error::Internal("a bool mask without bools".into()));
            };
            filter::Selection::new(values, mask.validity(), bytes_per_row, options)?
        } else if mask.get(0) == Ok(Scalar::Bool(true)) {
            // A single value (a reduction, or a literal) keeps all rows or none.
            return Ok(self.clone());
        } else {
            filter::Selection::new(&vec![false; self.height], None, bytes_per_row, options)?
        };
        if selection.height() == self.height {
            // Every row kept: the columns are shared, not copied.
            return Ok(self.clone());
        }
        if selection.height() == 0 {
            // No row kept: empty columns of the same dtypes, without reading (or downloading)
            // any values.
            let empty = |c: &Column| crate::cpu::buffers::Buf::zeroed(c.dtype(), 0);
            let columns = self
                .columns
                .iter()
                .map(|(n, c)| {
                    let data = empty(c).into_column_data();
                    (n.clone(), c.with_kept_rows(data, selection.keep()))
                })
                .collect();
            return Ok(Frame { columns, height: 0 });
        }
        // Columns a GPU pass left on the device are downloaded here (once; the column keeps
        // them).
        let sources: Vec<&crate::column::ColumnData> = self
            .columns
            .iter()
            .map(|(_, c)| c.data())
            .collect::<Result<_>>()?;
        let kept = selection.gather(&sources)?;
        let columns = self
            .columns
            .iter()
            .zip(kept)
            .map(|((n, c), data)| (n.clone(), c.with_kept_rows(data, selection.keep())))
            .collect();
        Ok(Frame {
            columns,
            height: selection.height(),
        })
    }

    /// The rows with no null in the columns `subset` names (every column when `None`), as
    /// Polars' `drop_nulls`. Errors on a name the frame lacks.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([
    ///     ("x", Column::from(vec![Some(1.0f64), None, Some(3.0)])),
    ///     ("k", Column::from(vec![Some(1i32), Some(2), None])),
    /// ])?;
    /// assert_eq!(df.drop_nulls(None)?.values::<f64>("x")?, [1.0]);
    /// assert_eq!(df.drop_nulls(Some(&["x"]))?.values::<f64>("x")?, [1.0, 3.0]);
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn drop_nulls(&self, subset: Option<&[&str]>) -> Result<Frame> {
        let names: Vec<&str> = match subset {
            Some(names) => names.to_vec(),
            None => self.columns.iter().map(|(n, _)| n.as_str()).collect(),
        };
        let mut keep: Option<Expr> = None;
        for name in names {
            if self.column(name)?.null_count() == 0 {
                continue;
            }
            let valid = crate::expr::col(name).is_not_null();
            keep = Some(match keep {
                Some(k) => k & valid,
                None => valid,
            });
        }
        match keep {
            Some(keep) => self.filter(keep),
            None => Ok(self.clone()),
        }
    }

    /// How `select(exprs)` would run: its passes, fused ops, outputs and backend decisions.
    /// Nothing is computed.
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("a", Column::from(vec![1.0f32, 2.0]))])?;
    /// let text = df.explain([col("a").sum().alias("s"), col("a").max().alias("m")])?;
    /// assert!(text.starts_with("plan: 1 pass(es) over 2 rows"));
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn explain(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<String> {
        self.explain_with(exprs, &ExecOptions::default())
    }

    /// [`Frame::explain`] with explicit execution options (the backend decisions it shows
    /// follow them).
    ///
    /// ```
    /// use swath::prelude::*;
    /// let df = Frame::new([("a", Column::from(vec![1.0f32, 2.0]))])?;
    /// let options = ExecOptions::new().backend(Backend::Cpu1);
    /// let text = df.explain_with([col("a") - col("a").mean()], &options)?;
    /// assert!(text.starts_with("plan: 2 pass(es) over 2 rows"));
    /// assert!(text.contains("forced: backend cpu1"));
    /// // A column with nulls is read with its validity:
    /// let nulls = Frame::new([("x", Column::from(vec![Some(1.0f64), None]))])?;
    /// let text = nulls.explain_with([col("x").sum()], &options)?;
    /// assert!(text.contains("reads:  valid(x), x"), "{text}");
    /// # Ok::<(), swath::Error>(())
    /// ```
    pub fn explain_with(
        &self,
        exprs: impl IntoIterator<Item = Expr>,
        options: &ExecOptions,
    ) -> Result<String> {
        let exprs: Vec<Expr> = exprs.into_iter().collect();
        // Where the inputs are now (host or GPU) changes the estimates, as when it runs.
        let column = |name: &str| self.resolve(name);
        let text = crate::exec::explain_placed(&self.plan(&exprs)?.0, options, &|kernel| {
            crate::exec::resident_inputs(kernel, &column)
        })?;
        // The rewrites' inputs (`\0valid(x)`, `\0codes(k)`) print without their NUL byte.
        Ok(text.replace('\0', ""))
    }

    /// The plan of `exprs`, with nulls rewritten into plain expressions when they need it
    /// (`frame/nulls.rs`), and for each expression the index of the plan output holding its
    /// validity, if any row can be null.
    pub(crate) fn plan(
        &self,
        exprs: &[Expr],
    ) -> Result<(plan::Plan, Vec<Option<nulls::Validity>>)> {
        // Distinct counts first: each is counted on the host and enters as a literal.
        let counted;
        let exprs = if unique::needs_rewrite(exprs) {
            counted = unique::count_distinct(self, exprs)?;
            &counted[..]
        } else {
            exprs
        };
        // Text next: its columns become codes, which may hold nulls like any column.
        let is_text = |name: &str| self.column(name).is_ok_and(|c| c.categories().is_some());
        let lowered_text;
        let exprs = if text::needs_rewrite(exprs, &is_text) {
            lowered_text = text::rewrite(exprs, &|name| self.column(name).ok().cloned())?;
            &lowered_text[..]
        } else {
            exprs
        };
        let schema = |name: &str| match (nulls::validity_of(name), text::codes_of(name)) {
            (Some(of), _) => self.base_column(of).map(|_| DType::Bool),
            (None, Some(_)) => self.base_column(name).map(|_| DType::U32),
            (None, None) => self.column(name).ok().map(Column::dtype),
        };
        let names = || self.names().join(", ");
        let nullable = |name: &str| self.base_column(name).is_some_and(|c| c.null_count() > 0);
        if !nulls::needs_rewrite(exprs, &nullable) {
            let plan = plan::lower(exprs, self.height, &schema, &names)?;
            return Ok((plan, vec![None; exprs.len()]));
        }
        let valid_rows = |columns: &[String]| {
            let mut and: Option<crate::column::Bitmap> = None;
            for name in columns {
                let bitmap = self.base_column(name)?.validity()?;
                and = Some(match and {
                    Some(a) => a.and(bitmap),
                    None => bitmap.clone(),
                });
            }
            and.map(|a| a.len() - a.null_count())
        };
        let lowered = nulls::rewrite(exprs, &schema, &names, &nullable, &valid_rows)?;
        let plan = plan::lower(&lowered.exprs, self.height, &schema, &names)?;
        Ok((plan, lowered.validity))
    }

    /// The frame's column behind a name a select reads: a column's own name, or one of the
    /// names the rewrites give its validity or its codes (same rows, same nulls).
    fn base_column(&self, name: &str) -> Option<&Column> {
        if let Some(of) = nulls::validity_of(name) {
            return self.base_column(of);
        }
        if let Some((of, _)) = text::codes_of(name) {
            return self.column(of).ok();
        }
        self.column(name).ok()
    }

    /// The column a select reads under `name`: a column of the frame, or the validity of one
    /// as a bool column (`nulls::validity_input`).
    pub(crate) fn resolve(&self, name: &str) -> Result<Column> {
        let missing = || Error::Internal(format!("no column behind `{name}`"));
        if nulls::validity_of(name).is_some() {
            // A text column's codes have its validity: the one cached on the column.
            return self
                .base_column(name)
                .map(Column::validity_column)
                .ok_or_else(missing);
        }
        if let Some((of, base)) = text::codes_of(name) {
            let base = base.map(|b| self.column(b)).transpose()?;
            return text::codes_column(self.column(of)?, base);
        }
        self.column(name).cloned()
    }
}

fn broadcast(column: &Column, height: usize) -> Column {
    let value = column.get(0).unwrap_or(Scalar::Null);
    Column::full(value, height, column.dtype())
}

mod arrow;
mod compress;
mod concat;
pub(crate) use concat::joined;
mod display;
pub(crate) mod filter;
mod group_by;
mod nulls;
mod text;
mod unique;
mod window;
pub use group_by::{GroupBy, len};
