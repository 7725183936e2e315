//! Nulls, lowered to plain expressions before planning (ARCHITECTURE.md, "Nulls").
//!
//! Every expression becomes a pair: its values, computed by today's kernels as if no row
//! were null (a null slot holds some value nobody reads), and its validity, a bool
//! expression over the inputs' validity columns (`Column::validity_column`), or none when
//! no row can be null. Both go into one select, so the planner fuses them into the same
//! passes and reads each input once; the frame then packs each validity into a bitmap.
//!
//! A select over columns without nulls is not rewritten at all ([`needs_rewrite`]): it plans
//! and runs exactly as before nulls existed.

use std::sync::Arc;

use rustc_hash::FxHashMap as HashMap;

use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::expr::{Expr, NullOp, col, lit};
use crate::ops::{BinaryOp, ReduceOp};
use crate::plan::types::{Inference, Shape};

/// The name under which a select reads the validity of column `name` as a bool column. The
/// NUL byte keeps it apart from user names (`Frame::new` refuses names holding one).
pub(crate) fn validity_input(name: &str) -> String {
    format!("\0valid({name})")
}

/// The column whose validity `name` reads, if it is a [`validity_input`] name.
pub(crate) fn validity_of(name: &str) -> Option<&str> {
    name.strip_prefix("\0valid(")?.strip_suffix(')')
}

/// The output name of the validity of output `index`.
fn validity_output(index: usize) -> String {
    format!("\0valid#{index}")
}

/// A select's expressions after the rewrite.
pub(crate) struct Lowered {
    /// The values of each output, in order, then the validities the kernels compute.
    pub exprs: Vec<Expr>,
    /// For each output, where its validity comes from; `None`: no row can be null.
    pub validity: Vec<Option<Validity>>,
}

/// Where an output's validity comes from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Validity {
    /// Output `k` of the select: a bool column the kernels computed.
    Output(usize),
    /// The rows valid in every one of these columns: their bitmaps ANDed a word (64 rows)
    /// at a time on the host, so a map over nullable columns runs the same kernel as
    /// without nulls and reads no validity in it.
    Columns(Vec<String>),
}

/// Whether `exprs` need the rewrite: they read a column with nulls, ask about nulls, or
/// divide integers (`//`, `%` and `fmod` by zero give null).
pub(crate) fn needs_rewrite(exprs: &[Expr], nullable: &dyn Fn(&str) -> bool) -> bool {
    let mut stack: Vec<&Expr> = exprs.iter().collect();
    while let Some(e) = stack.pop() {
        match e {
            Expr::Column(name) if nullable(name) => return true,
            Expr::Nulls(..) | Expr::FillNull(..) => return true,
            Expr::Binary(BinaryOp::FloorDiv | BinaryOp::Rem | BinaryOp::Fmod, ..) => return true,
            _ => e.for_each_child(&mut |c| stack.push(c)),
        }
    }
    false
}

/// Rewrites `exprs` into values and validities. `schema` and `column_names` are the frame's
/// (types are checked on the user's expressions first, so errors show them), `nullable`
/// says which columns hold nulls.
pub(crate) fn rewrite(
    exprs: &[Expr],
    schema: &dyn Fn(&str) -> Option<DType>,
    column_names: &dyn Fn() -> String,
    nullable: &dyn Fn(&str) -> bool,
    valid_rows: &dyn Fn(&[String]) -> Option<usize>,
) -> Result<Lowered> {
    let mut rewriter = Rewriter {
        types: Inference::new(schema, column_names),
        nullable,
        valid_rows,
        memo: HashMap::default(),
    };
    for e in exprs {
        rewriter.types.info(e)?;
    }
    let mut values = Vec::with_capacity(exprs.len());
    let mut validities = Vec::new();
    let mut validity = Vec::with_capacity(exprs.len());
    for (i, e) in exprs.iter().enumerate() {
        let (value, valid) = rewriter.pair(e)?;
        values.push(value.alias(e.output_name()));
        validity.push(valid.map(|v| match conjunction_of_columns(&v) {
            Some(names) => Validity::Columns(names),
            None => {
                validities.push(v.alias(validity_output(i)));
                Validity::Output(exprs.len() + validities.len() - 1)
            }
        }));
    }
    values.extend(validities);
    Ok(Lowered {
        exprs: values,
        validity,
    })
}

/// The columns whose validities `valid` ANDs, if it is only that (`valid(a) & valid(b)`).
fn conjunction_of_columns(valid: &Expr) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut stack = vec![valid];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Column(name) => names.push(validity_of(name)?.to_string()),
            Expr::Binary(BinaryOp::And, a, b) => {
                stack.push(a);
                stack.push(b);
            }
            _ => return None,
        }
    }
    names.sort();
    names.dedup();
    Some(names)
}

/// An expression's values and validity (`None`: never null).
type Pair = (Expr, Option<Expr>);

struct Rewriter<'a> {
    /// Types of the user's nodes (never of rewritten ones: the memo is by address).
    types: Inference<'a>,
    nullable: &'a dyn Fn(&str) -> bool,
    /// The number of rows valid in every one of these columns (their bitmaps ANDed).
    valid_rows: &'a dyn Fn(&[String]) -> Option<usize>,
    /// Shared subexpressions are rewritten once.
    memo: HashMap<*const Expr, Pair>,
}

impl Rewriter<'_> {
    fn pair(&mut self, e: &Expr) -> Result<Pair> {
        let key = e as *const Expr;
        if let Some(pair) = self.memo.get(&key) {
            return Ok(pair.clone());
        }
        let pair = self.rewrite(e)?;
        self.memo.insert(key, pair.clone());
        Ok(pair)
    }

    fn dtype(&mut self, e: &Expr) -> Result<DType> {
        Ok(self.types.info(e)?.dtype)
    }

    #[recursive::recursive]
    fn rewrite(&mut self, e: &Expr) -> Result<Pair> {
        Ok(match e {
            Expr::Column(name) => {
                let valid = (self.nullable)(name).then(|| col(validity_input(name)));
                (e.clone(), valid)
            }
            Expr::Literal(_) | Expr::Text(_) | Expr::RowIndex | Expr::LoopState(_) => {
                (e.clone(), None)
            }
            Expr::Loop(..) => {
                if let Some(name) = nullable_column(e, self.nullable) {
                    return Err(Error::InvalidType {
                        expr: e.to_string(),
                        message: format!(
                            "the loop reads `{name}`, which holds nulls; fill them first \
                             (`col(\"{name}\").fill_null(..)`)"
                        ),
                    });
                }
                (e.clone(), None)
            }
            Expr::Alias(a, name) => {
                let (v, m) = self.pair(a)?;
                (v.alias(name.clone()), m)
            }
            Expr::Unary(op, a) => {
                let (v, m) = self.pair(a)?;
                (Expr::Unary(*op, Arc::new(v)), m)
            }
            Expr::Cast(dtype, a) => {
                let (v, m) = self.pair(a)?;
                (v.cast(*dtype), m)
            }
            Expr::Binary(op, a, b) => self.binary(e, *op, a, b)?,
            Expr::Select {
                cond,
                then,
                otherwise,
            } => {
                let (c, mc) = self.pair(cond)?;
                // A null condition counts as false (Polars' `when`).
                let c = match mc {
                    Some(mc) => c & mc,
                    None => c,
                };
                let (t, mt) = self.pair(then)?;
                let (o, mo) = self.pair(otherwise)?;
                let valid = match (mt, mo) {
                    (None, None) => None,
                    (mt, mo) => Some(select(
                        c.clone(),
                        mt.unwrap_or_else(|| lit(true)),
                        mo.unwrap_or_else(|| lit(true)),
                    )),
                };
                (select(c, t, o), valid)
            }
            Expr::FillNull(a, b) => {
                let dtype = self.dtype(e)?;
                let (va, ma) = self.pair(a)?;
                let (vb, mb) = self.pair(b)?;
                match ma {
                    None if self.dtype(a)? == dtype => (va, None),
                    None => (va.cast(dtype), None),
                    Some(ma) => {
                        let valid = mb.map(|mb| ma.clone() | mb);
                        (select(ma, va, vb), valid)
                    }
                }
            }
            Expr::Nulls(op, a) => {
                let (v, m) = self.pair(a)?;
                let shape = self.types.info(a)?.shape;
                let value = match (op, m) {
                    (NullOp::IsNull, Some(m)) => !m,
                    (NullOp::IsNotNull, Some(m)) => m,
                    (NullOp::IsNull, None) => never(shape, false),
                    (NullOp::IsNotNull, None) => never(shape, true),
                    (NullOp::NullCount, Some(m)) => {
                        let m = match shape {
                            Shape::Full { .. } if !varies_by_row(&m) => m & never(shape, true),
                            _ => m,
                        };
                        (!m).sum()
                    }
                    (NullOp::NullCount, None) => lit(Scalar::I64(0)).cast(DType::I64),
                    // `count` of the values, as kernels count them, counts every row.
                    (NullOp::Len, _) => v.count(),
                    (NullOp::NUnique, _) => {
                        return Err(Error::Internal(
                            "n_unique reached the null rewrite (it is counted before)".into(),
                        ));
                    }
                };
                (value, None)
            }
            Expr::Reduce(op, a) => self.reduce(e, *op, a)?,
        })
    }

    fn binary(&mut self, e: &Expr, op: BinaryOp, a: &Expr, b: &Expr) -> Result<Pair> {
        let (va, ma) = self.pair(a)?;
        let (vb, mb) = self.pair(b)?;
        let value = Expr::Binary(op, Arc::new(va.clone()), Arc::new(vb.clone()));
        let bools = self.dtype(a)? == DType::Bool && self.dtype(b)? == DType::Bool;
        let valid = match op {
            // Kleene logic: false & null is false, true | null is true.
            BinaryOp::And if bools && (ma.is_some() || mb.is_some()) => {
                let (ma, mb) = (
                    ma.unwrap_or_else(|| lit(true)),
                    mb.unwrap_or_else(|| lit(true)),
                );
                Some((ma.clone() & mb.clone()) | (ma & !va) | (mb & !vb))
            }
            BinaryOp::Or if bools && (ma.is_some() || mb.is_some()) => {
                let (ma, mb) = (
                    ma.unwrap_or_else(|| lit(true)),
                    mb.unwrap_or_else(|| lit(true)),
                );
                Some((ma.clone() & mb.clone()) | (ma & va) | (mb & vb))
            }
            BinaryOp::FloorDiv | BinaryOp::Rem | BinaryOp::Fmod if self.dtype(e)?.is_integer() => {
                // Integer division by zero is null (Polars); a bool divisor counts as 0/1.
                // A literal divisor folds to a constant validity (no bitmap when nonzero).
                let divisor = vb.cast(self.dtype(e)?);
                and(and(ma, mb), Some(divisor.neq(lit(0))))
            }
            _ => and(ma, mb),
        };
        Ok((value, valid))
    }

    fn reduce(&mut self, e: &Expr, op: ReduceOp, a: &Expr) -> Result<Pair> {
        let (v, m) = self.pair(a)?;
        let Some(m) = m else {
            return Ok((Expr::Reduce(op, Arc::new(v)), None));
        };
        let input = self.dtype(a)?;
        let out = self.dtype(e)?;
        // A validity of one value (from a reduction: `x + y.min()`) over full-length values
        // must count once per row.
        let full = matches!(self.types.info(a)?.shape, Shape::Full { .. });
        let m = if full && !varies_by_row(&m) {
            m & never(Shape::Full { stage: 0 }, true)
        } else {
            m
        };
        let masked = |fill: Scalar| select(m.clone(), v.clone(), lit(fill));
        // Where the validity is the inputs' bitmaps ANDed, the count of valid rows is known
        // before the pass (a popcount), so the pass sums floats only, which the compiled
        // kernels cover; else it counts the mask.
        let known = full
            .then(|| conjunction_of_columns(&m))
            .flatten()
            .and_then(|names| (self.valid_rows)(&names));
        let count = match known {
            Some(n) => lit(Scalar::I64(n as i64)).cast(DType::I64),
            None => m.clone().sum(),
        };
        let some = || Some(count.clone().gt(lit(0i64)));
        Ok(match op {
            ReduceOp::Sum => (masked(zero(input)).sum(), None),
            ReduceOp::Prod => (masked(one(input)).prod(), None),
            ReduceOp::Count => (count, None),
            ReduceOp::Any => ((m & v).any(), None),
            ReduceOp::All => ((!m | v).all(), None),
            ReduceOp::Min | ReduceOp::Max => {
                let fill = extreme(input, op == ReduceOp::Min);
                (Expr::Reduce(op, Arc::new(masked(fill))), some())
            }
            ReduceOp::Mean => {
                // Summed in the dtype `mean` accumulates in (f64 but for f32), so integers do
                // not wrap.
                let acc = if input == DType::F32 {
                    DType::F32
                } else {
                    DType::F64
                };
                let values = select(m.clone(), v.clone().cast(acc), lit(0.0));
                let sum = values.sum().cast(DType::F64);
                ((sum / count.clone().cast(DType::F64)).cast(out), some())
            }
            ReduceOp::Var(ddof) | ReduceOp::Std(ddof) => {
                let x = v.clone().cast(DType::F64);
                let n = count.clone().cast(DType::F64);
                let mean = select(m.clone(), x.clone(), lit(0.0)).sum() / n.clone();
                let dev = x - mean;
                let squares = select(m.clone(), dev.clone() * dev, lit(0.0)).sum();
                let divisor = n - lit(f64::from(ddof));
                let var = select(
                    divisor.clone().gt(lit(0.0)),
                    squares / divisor,
                    lit(f64::NAN),
                );
                let value = if matches!(op, ReduceOp::Std(_)) {
                    var.sqrt()
                } else {
                    var
                };
                (value.cast(out), some())
            }
            ReduceOp::ArgMin | ReduceOp::ArgMax => {
                // The first valid row holding the extreme of the valid values (the first
                // NaN's when there is one, as without nulls).
                let min = op == ReduceOp::ArgMin;
                let fill = extreme(input, min);
                let reduce = if min { ReduceOp::Min } else { ReduceOp::Max };
                let best = Expr::Reduce(reduce, Arc::new(masked(fill)));
                let hit = if input.is_float() {
                    select(
                        best.clone().is_nan(),
                        v.clone().is_nan(),
                        v.clone().eq(best),
                    )
                } else {
                    v.clone().eq(best)
                };
                let first = (m & hit).cast(DType::U32).arg_max();
                (first.cast(out), some())
            }
        })
    }
}

/// `when(c).then(a).otherwise(b)`.
fn select(c: Expr, a: Expr, b: Expr) -> Expr {
    Expr::Select {
        cond: Arc::new(c),
        then: Arc::new(a),
        otherwise: Arc::new(b),
    }
}

/// Both validities (`None` is always valid).
fn and(a: Option<Expr>, b: Option<Expr>) -> Option<Expr> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a & b),
        (a, b) => a.or(b),
    }
}

/// `value` in every row of `a` (a full column where `a` is one, else a single value).
fn never(shape: Shape, value: bool) -> Expr {
    if let Shape::Scalar { .. } = shape {
        return lit(value);
    }
    // Full length, read from no memory: the row index is never negative.
    let always = Expr::RowIndex.gt_eq(lit(0u32));
    if value { always } else { !always }
}

/// Whether `e` can differ between rows (it reads a column or the row index outside a
/// reduction).
fn varies_by_row(e: &Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Column(_) | Expr::RowIndex | Expr::Loop(..) => return true,
            Expr::Reduce(..) | Expr::Nulls(..) => {}
            _ => e.for_each_child(&mut |c| stack.push(c)),
        }
    }
    false
}

/// A column with nulls that `e` reads, if any.
fn nullable_column(e: &Expr, nullable: &dyn Fn(&str) -> bool) -> Option<String> {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        match e {
            Expr::Column(name) if nullable(name) => return Some(name.clone()),
            _ => e.for_each_child(&mut |c| stack.push(c)),
        }
    }
    None
}

fn zero(dtype: DType) -> Scalar {
    match dtype {
        DType::Bool => Scalar::Bool(false),
        d if d.is_float() => Scalar::F64(0.0),
        _ => Scalar::I64(0),
    }
}

fn one(dtype: DType) -> Scalar {
    match dtype {
        DType::Bool => Scalar::Bool(true),
        d if d.is_float() => Scalar::F64(1.0),
        _ => Scalar::I64(1),
    }
}

/// The value a null row stands in for in a min (the largest) or a max (the smallest): it
/// never wins against a valid row, and ties only where the answer is the same value.
fn extreme(dtype: DType, for_min: bool) -> Scalar {
    match (dtype, for_min) {
        (DType::F32, true) => Scalar::F32(f32::INFINITY),
        (DType::F32, false) => Scalar::F32(f32::NEG_INFINITY),
        (DType::F64, true) => Scalar::F64(f64::INFINITY),
        (DType::F64, false) => Scalar::F64(f64::NEG_INFINITY),
        (DType::I32, true) => Scalar::I32(i32::MAX),
        (DType::I32, false) => Scalar::I32(i32::MIN),
        (DType::I64, true) => Scalar::I64(i64::MAX),
        (DType::I64, false) => Scalar::I64(i64::MIN),
        (DType::U32 | DType::Categorical, true) => Scalar::U32(u32::MAX),
        (DType::U32 | DType::Categorical, false) => Scalar::U32(0),
        (DType::Bool, for_min) => Scalar::Bool(for_min),
    }
}
