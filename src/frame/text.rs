//! Text columns in expressions, lowered to their codes before planning (ARCHITECTURE.md,
//! "Text"). Kernels never see a string: `k == "beta"` becomes `codes(k) == 3` (the code of
//! "beta" in k's dictionary, or a code no row holds), and `k1 == k2` compares codes, with
//! k2's remapped into k1's dictionary on the host when the two differ. A text column may
//! also be counted, asked about its nulls, or selected as it is; anything else is an error
//! naming the expression.

use std::sync::Arc;

use crate::column::Column;
use crate::error::{Error, Result};
use crate::expr::{Expr, col, lit};
use crate::ops::{BinaryOp, ReduceOp};

/// The name under which a select reads text column `name`'s codes (a `u32` column).
fn codes_input(name: &str) -> String {
    format!("\0codes({name})")
}

/// The name of `other`'s codes remapped into `base`'s dictionary.
fn remapped_input(other: &str, base: &str) -> String {
    format!("\0codes({other}@{base})")
}

/// What a [`codes_input`] or [`remapped_input`] name asks for: the column, and the column
/// whose dictionary to remap into.
pub(crate) fn codes_of(name: &str) -> Option<(&str, Option<&str>)> {
    let inner = name.strip_prefix("\0codes(")?.strip_suffix(')')?;
    Some(match inner.split_once('@') {
        Some((other, base)) => (other, Some(base)),
        None => (inner, None),
    })
}

/// The codes column a [`codes_of`] name names, made from the frame's text columns.
pub(crate) fn codes_column(text: &Column, base: Option<&Column>) -> Result<Column> {
    let Some(base) = base else {
        return text.codes_column();
    };
    let (from, to) = (dictionary(text)?, dictionary(base)?);
    // Each of `text`'s codes as the code of the same string in `base`'s dictionary, or one
    // that no row holds (u32::MAX: a dictionary has fewer strings).
    let index: std::collections::HashMap<&str, u32> = to
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k as u32))
        .collect();
    let map: Vec<u32> = from
        .iter()
        .map(|s| index.get(s.as_str()).copied().unwrap_or(u32::MAX))
        .collect();
    let codes: Vec<u32> = text
        .codes()?
        .iter()
        .map(|&c| map.get(c as usize).copied().unwrap_or(u32::MAX))
        .collect();
    Ok(Column::with_validity(
        crate::column::ColumnData::U32(crate::column::Values::new(codes)),
        text.validity().cloned().map(Arc::new),
    ))
}

fn dictionary(c: &Column) -> Result<&[String]> {
    c.categories()
        .ok_or_else(|| Error::Internal("a text column without a dictionary".into()))
}

/// Whether `exprs` read a text column or hold a text literal.
pub(crate) fn needs_rewrite(exprs: &[Expr], is_text: &dyn Fn(&str) -> bool) -> bool {
    let mut stack: Vec<&Expr> = exprs.iter().collect();
    while let Some(e) = stack.pop() {
        match e {
            Expr::Column(name) if is_text(name) => return true,
            Expr::Text(_) => return true,
            _ => e.for_each_child(&mut |c| stack.push(c)),
        }
    }
    false
}

/// `exprs` with every use of text lowered to codes. `column` finds a frame's column.
pub(crate) fn rewrite(
    exprs: &[Expr],
    column: &dyn Fn(&str) -> Option<Column>,
) -> Result<Vec<Expr>> {
    let rewriter = Rewriter { column };
    exprs
        .iter()
        .map(|e| match e {
            // Selected as it is: the column passes through, dictionary and all.
            Expr::Column(_) => Ok(e.clone()),
            Expr::Alias(inner, name) if matches!(**inner, Expr::Column(_)) => {
                Ok(Expr::Alias(inner.clone(), name.clone()))
            }
            // The output keeps the user's name, not the codes column's.
            _ => rewriter
                .rewrite(e, e)
                .map(|lowered| lowered.alias(e.output_name())),
        })
        .collect()
}

struct Rewriter<'a> {
    column: &'a dyn Fn(&str) -> Option<Column>,
}

impl Rewriter<'_> {
    fn text(&self, e: &Expr) -> Option<(String, Column)> {
        match e {
            Expr::Column(name) => {
                let c = (self.column)(name)?;
                c.categories().is_some().then(|| (name.clone(), c))
            }
            _ => None,
        }
    }

    #[recursive::recursive]
    fn rewrite(&self, e: &Expr, whole: &Expr) -> Result<Expr> {
        let refuse = |what: &str| Error::InvalidType {
            expr: whole.to_string(),
            message: format!(
                "{what}: text supports ==, != and is_in against text, count, len, \
                 null_count, is_null and is_not_null"
            ),
        };
        Ok(match e {
            Expr::Binary(op @ (BinaryOp::Eq | BinaryOp::Ne), a, b) => {
                match (self.text(a), self.text(b), &**a, &**b) {
                    (Some((k, c)), None, _, Expr::Text(s))
                    | (None, Some((k, c)), Expr::Text(s), _) => {
                        let code = dictionary(&c)?
                            .iter()
                            .position(|d| **d == **s)
                            .map_or(u32::MAX, |p| p as u32);
                        Expr::Binary(*op, Arc::new(col(codes_input(&k))), Arc::new(lit(code)))
                    }
                    (Some((k1, c1)), Some((k2, c2)), _, _) => {
                        let right = if dictionary(&c1)? == dictionary(&c2)? {
                            codes_input(&k2)
                        } else {
                            remapped_input(&k2, &k1)
                        };
                        Expr::Binary(*op, Arc::new(col(codes_input(&k1))), Arc::new(col(right)))
                    }
                    (Some((k, _)), None, _, _) | (None, Some((k, _)), _, _) => {
                        return Err(refuse(&format!(
                            "text column `{k}` compared with a non-text value"
                        )));
                    }
                    _ => self.map_children(e, whole)?,
                }
            }
            Expr::Nulls(op, a) if self.text(a).is_some() => {
                let (k, _) = self.text(a).ok_or_else(|| refuse("text"))?;
                Expr::Nulls(*op, Arc::new(col(codes_input(&k))))
            }
            Expr::Reduce(ReduceOp::Count, a) if self.text(a).is_some() => {
                let (k, _) = self.text(a).ok_or_else(|| refuse("text"))?;
                col(codes_input(&k)).count()
            }
            Expr::Column(name) if self.text(e).is_some() => {
                return Err(refuse(&format!("text column `{name}` used as a number")));
            }
            Expr::Text(_) => {
                return Err(refuse(
                    "a text literal outside a comparison with a text column",
                ));
            }
            _ => self.map_children(e, whole)?,
        })
    }

    /// `e` with each operand rewritten.
    fn map_children(&self, e: &Expr, whole: &Expr) -> Result<Expr> {
        // Loops read columns in their own scopes: a text column there is refused by the
        // planner's types (it has no numeric type).
        e.map_operands(|x| Ok(Arc::new(self.rewrite(x, whole)?)))
    }
}
