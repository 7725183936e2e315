//! Type inference: the dtype of every expression node, whether it is a weakly typed literal,
//! and whether it is a full-length column or a single value (and after which pass it is ready).

use std::collections::HashMap;

use crate::dtype::{DType, promote};
use crate::error::{Error, Result};
use crate::expr::Expr;

/// Full-length rows or one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A column of frame height; computable in pass `stage` or any later one.
    Full { stage: usize },
    /// A single value, known once the passes before `ready` have run.
    Scalar { ready: usize },
}

impl Shape {
    /// The earliest pass a node of these operands can be computed in.
    fn join(shapes: &[Shape]) -> Shape {
        let level = |s: &Shape| match *s {
            Shape::Full { stage } => stage,
            Shape::Scalar { ready } => ready,
        };
        let at = shapes.iter().map(level).max().unwrap_or(0);
        if shapes.iter().any(|s| matches!(s, Shape::Full { .. })) {
            Shape::Full { stage: at }
        } else {
            Shape::Scalar { ready: at }
        }
    }
}

/// What inference knows about one node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Info {
    pub dtype: DType,
    /// A literal (or an op over literals only): it adopts the type of a strong operand.
    pub weak: bool,
    pub shape: Shape,
}

/// The type two operands are computed in, with weak literals adopting the other side's type
/// (DESIGN.md): an integer literal takes the other type, a float literal takes a float's type
/// and makes an integer side f64.
pub fn common_type(a: Info, b: Info) -> Option<DType> {
    match (a.weak, b.weak) {
        (true, false) => adopt(a.dtype, b.dtype),
        (false, true) => adopt(b.dtype, a.dtype),
        _ => promote(a.dtype, b.dtype),
    }
}

fn adopt(weak: DType, strong: DType) -> Option<DType> {
    if weak == DType::Bool || strong == DType::Bool {
        return (weak == strong).then_some(weak);
    }
    if weak.is_float() && strong.is_integer() {
        Some(DType::F64)
    } else {
        Some(strong)
    }
}

/// Infers and remembers the info of every node of the expressions it is given.
pub struct Inference<'a> {
    schema: &'a dyn Fn(&str) -> Option<DType>,
    column_names: &'a dyn Fn() -> String,
    memo: HashMap<*const Expr, Info>,
}

impl<'a> Inference<'a> {
    pub fn new(
        schema: &'a dyn Fn(&str) -> Option<DType>,
        column_names: &'a dyn Fn() -> String,
    ) -> Self {
        Inference {
            schema,
            column_names,
            memo: HashMap::new(),
        }
    }

    /// Info of `e`, which must outlive this inference (nodes are remembered by address).
    pub fn info(&mut self, e: &Expr) -> Result<Info> {
        let key = e as *const Expr;
        if let Some(info) = self.memo.get(&key) {
            return Ok(*info);
        }
        let info = self.infer(e)?;
        self.memo.insert(key, info);
        Ok(info)
    }

    fn infer(&mut self, e: &Expr) -> Result<Info> {
        let bad = |message: String| Error::InvalidType {
            expr: e.to_string(),
            message,
        };
        Ok(match e {
            Expr::Column(name) => {
                let dtype = (self.schema)(name).ok_or_else(|| Error::ColumnNotFound {
                    name: name.clone(),
                    available: (self.column_names)(),
                })?;
                Info {
                    dtype,
                    weak: false,
                    shape: Shape::Full { stage: 0 },
                }
            }
            Expr::Literal(value) => {
                let dtype = value
                    .dtype()
                    .ok_or_else(|| bad("a null literal has no type; cast it".into()))?;
                Info {
                    dtype,
                    weak: true,
                    shape: Shape::Scalar { ready: 0 },
                }
            }
            Expr::Unary(op, a) => {
                let a = self.info(a)?;
                let (_, out) = op.signature(a.dtype).map_err(bad)?;
                Info { dtype: out, ..a }
            }
            Expr::Binary(op, a, b) => {
                let (a, b) = (self.info(a)?, self.info(b)?);
                let common = common_type(a, b).ok_or_else(|| {
                    bad(format!(
                        "`{}` cannot mix {} and {}",
                        op.name(),
                        a.dtype,
                        b.dtype
                    ))
                })?;
                let (_, out) = op.signature(common).map_err(bad)?;
                Info {
                    dtype: out,
                    weak: a.weak && b.weak,
                    shape: Shape::join(&[a.shape, b.shape]),
                }
            }
            Expr::Select {
                cond,
                then,
                otherwise,
            } => {
                let c = self.info(cond)?;
                if c.dtype != DType::Bool {
                    return Err(bad(format!("the condition must be bool, not {}", c.dtype)));
                }
                let (a, b) = (self.info(then)?, self.info(otherwise)?);
                let dtype = common_type(a, b).ok_or_else(|| {
                    bad(format!(
                        "`then` is {} but `otherwise` is {}",
                        a.dtype, b.dtype
                    ))
                })?;
                let shape = Shape::join(&[c.shape, a.shape, b.shape]);
                Info {
                    dtype,
                    weak: a.weak && b.weak,
                    shape,
                }
            }
            Expr::Cast(dtype, a) => Info {
                dtype: *dtype,
                weak: false,
                ..self.info(a)?
            },
            Expr::Reduce(op, a) => {
                let a = self.info(a)?;
                let (_, out) = op.signature(a.dtype).map_err(bad)?;
                let ready = match a.shape {
                    Shape::Full { stage } => stage + 1,
                    Shape::Scalar { ready } => ready,
                };
                Info {
                    dtype: out,
                    weak: false,
                    shape: Shape::Scalar { ready },
                }
            }
            Expr::Alias(a, _) => self.info(a)?,
            Expr::RowIndex => Info {
                dtype: DType::U32,
                weak: false,
                shape: Shape::Full { stage: 0 },
            },
        })
    }
}
