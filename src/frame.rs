//! Frame: named columns of one length, and the calls that evaluate expressions over them.

use crate::column::Column;
use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::options::ExecOptions;
use crate::plan;

/// Named columns of equal length.
#[derive(Debug, Clone, Default)]
pub struct Frame {
    columns: Vec<(String, Column)>,
    height: usize,
}

impl Frame {
    /// Builds a frame; errors on columns of different lengths or repeated names.
    pub fn new<N: Into<String>>(columns: impl IntoIterator<Item = (N, Column)>) -> Result<Frame> {
        let mut frame = Frame::default();
        for (i, (name, column)) in columns.into_iter().enumerate() {
            let name = name.into();
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
    pub fn with_rows(height: usize) -> Frame {
        Frame {
            columns: Vec::new(),
            height,
        }
    }

    /// Number of rows.
    pub fn height(&self) -> usize {
        self.height
    }
    /// Number of columns.
    pub fn width(&self) -> usize {
        self.columns.len()
    }
    /// Column names in order.
    pub fn names(&self) -> Vec<&str> {
        self.columns.iter().map(|(n, _)| n.as_str()).collect()
    }
    /// (name, column) pairs in order.
    pub fn columns(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.columns.iter().map(|(n, c)| (n.as_str(), c))
    }

    /// The column called `name`.
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
    pub fn select_with(
        &self,
        exprs: impl IntoIterator<Item = Expr>,
        options: &ExecOptions,
    ) -> Result<Frame> {
        let exprs: Vec<Expr> = exprs.into_iter().collect();
        let plan = self.plan(&exprs)?;
        let outputs = plan::execute(&plan, &|name| self.column(name).cloned(), options)?;
        let full = plan
            .outputs
            .iter()
            .any(|o| !matches!(o.source, plan::Source::Scalar(_)));
        let height = if full { self.height } else { 1 };
        let columns = outputs
            .into_iter()
            .map(|(name, column)| {
                let column = if column.len() == height {
                    column
                } else {
                    broadcast(&column, height)
                };
                (name, column)
            })
            .collect();
        Ok(Frame { columns, height })
    }

    /// This frame with `exprs` added as columns (replacing columns of the same name).
    pub fn with_columns(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<Frame> {
        self.with_columns_with(exprs, &ExecOptions::default())
    }

    /// [`Frame::with_columns`] with explicit execution options.
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

    /// The rows where `predicate` (a bool expression) is true.
    pub fn filter(&self, predicate: Expr) -> Result<Frame> {
        self.filter_with(predicate, &ExecOptions::default())
    }

    /// [`Frame::filter`] with explicit execution options.
    pub fn filter_with(&self, predicate: Expr, options: &ExecOptions) -> Result<Frame> {
        let text = predicate.to_string();
        let mask_frame = self.select_with([predicate.alias("__mask")], options)?;
        let mask = mask_frame.column("__mask")?;
        if mask.dtype() != DType::Bool {
            return Err(Error::InvalidType {
                expr: text,
                message: format!("a filter needs a bool expression, not {}", mask.dtype()),
            });
        }
        let keep: Vec<bool> = if mask.len() == self.height {
            mask.to_vec::<bool>()?
        } else {
            // A single value (a reduction, or a literal) keeps all rows or none.
            vec![mask.get(0) == Ok(Scalar::Bool(true)); self.height]
        };
        let height = keep.iter().filter(|k| **k).count();
        let columns = self
            .columns
            .iter()
            .map(|(n, c)| Ok((n.clone(), c.gather_mask(&keep)?)))
            .collect::<Result<_>>()?;
        Ok(Frame { columns, height })
    }

    /// How `select(exprs)` would run: its passes, fused ops, outputs and backend decisions.
    pub fn explain(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<String> {
        self.explain_with(exprs, &ExecOptions::default())
    }

    /// [`Frame::explain`] with explicit execution options.
    pub fn explain_with(
        &self,
        exprs: impl IntoIterator<Item = Expr>,
        options: &ExecOptions,
    ) -> Result<String> {
        let exprs: Vec<Expr> = exprs.into_iter().collect();
        plan::explain(&self.plan(&exprs)?, options)
    }

    pub(crate) fn plan(&self, exprs: &[Expr]) -> Result<plan::Plan> {
        let schema = |name: &str| self.column(name).ok().map(Column::dtype);
        let names = || self.names().join(", ");
        plan::lower(exprs, self.height, &schema, &names)
    }
}

fn broadcast(column: &Column, height: usize) -> Column {
    let value = column.get(0).unwrap_or(Scalar::Null);
    Column::full(value, height, column.dtype())
}

mod display;
