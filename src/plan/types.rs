//! Type inference: the dtype of every expression node, whether it is a weakly typed literal,
//! and whether it is a full-length column or a single value (and after which pass it is ready).

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use crate::dtype::{DType, promote};
use crate::error::{Error, Result};
use crate::expr::{Expr, LoopOutput, LoopSpec};
use crate::ops::{BinaryKind, BinaryOp};

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
/// (ARCHITECTURE.md, "Semantics"): an integer literal takes the other type, a float literal takes a float's type
/// and makes an integer side f64.
pub fn common_type(a: Info, b: Info) -> Option<DType> {
    match (a.weak, b.weak) {
        (true, false) => adopt(a.dtype, b.dtype),
        (false, true) => adopt(b.dtype, a.dtype),
        _ => promote(a.dtype, b.dtype),
    }
}

/// The type the operands of `op` are computed in: [`common_type`], except that a bool in
/// arithmetic (or float math, or a shift) with a number counts as 0/1 of the number's type, as
/// in numpy (`0.25 * (a < 5)`). Comparisons and bitwise ops keep bools apart from numbers.
pub fn binary_common_type(op: BinaryOp, a: Info, b: Info) -> Option<DType> {
    let numeric_op = matches!(
        op.kind(),
        BinaryKind::Arithmetic | BinaryKind::Float | BinaryKind::Shift
    );
    let (flag, other) = match (a.dtype, b.dtype) {
        (DType::Bool, d) if d != DType::Bool => (a, b),
        (d, DType::Bool) if d != DType::Bool => (b, a),
        _ => return common_type(a, b),
    };
    if !numeric_op || !other.dtype.is_numeric() {
        return common_type(a, b);
    }
    // A weak integer literal (`flag * 2`) gives i64, as numpy's default integer, whatever its
    // own size; a bool that is itself a literal adopts the other side's type.
    Some(if other.weak && other.dtype.is_integer() && !flag.weak {
        DType::I64
    } else {
        other.dtype
    })
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

/// The types of a loop's states, and the pass its rows can be computed in.
#[derive(Debug, Clone, PartialEq)]
pub struct LoopInfo {
    pub state_dtypes: Vec<DType>,
    pub shape: Shape,
}

/// A loop whose body is being inferred: its states by name.
#[derive(Debug, Clone)]
struct Scope {
    /// Distinguishes the memo entries of nodes inside this body (a node's info depends on the
    /// states' types): the loop's address, plus 1 for the first, tentative pass.
    key: usize,
    states: Vec<(String, Info)>,
}

/// Infers and remembers the info of every node of the expressions it is given.
pub struct Inference<'a> {
    schema: &'a dyn Fn(&str) -> Option<DType>,
    column_names: &'a dyn Fn() -> String,
    /// Keyed by node address and the innermost loop scope's key (0 outside loops).
    memo: HashMap<(*const Expr, usize), Info>,
    loops: HashMap<(*const LoopSpec, usize), LoopInfo>,
    scopes: Vec<Scope>,
}

impl<'a> Inference<'a> {
    pub fn new(
        schema: &'a dyn Fn(&str) -> Option<DType>,
        column_names: &'a dyn Fn() -> String,
    ) -> Self {
        Inference {
            schema,
            column_names,
            memo: HashMap::default(),
            loops: HashMap::default(),
            scopes: Vec::new(),
        }
    }

    fn scope_key(&self) -> usize {
        self.scopes.last().map_or(0, |s| s.key)
    }

    /// Info of `e`, which must outlive this inference (nodes are remembered by address).
    pub fn info(&mut self, e: &Expr) -> Result<Info> {
        let key = (e as *const Expr, self.scope_key());
        if let Some(info) = self.memo.get(&key) {
            return Ok(*info);
        }
        let info = self.infer(e)?;
        self.memo.insert(key, info);
        Ok(info)
    }

    #[recursive::recursive]
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
                let common = binary_common_type(*op, a, b).ok_or_else(|| {
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
                if !self.scopes.is_empty() && mentions_state(a) {
                    return Err(bad(
                        "a loop state cannot be reduced inside its loop (each row steps alone)"
                            .into(),
                    ));
                }
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
            Expr::Text(_) => {
                return Err(bad(
                    "a text literal only compares (==, !=, is_in) with a text column".into(),
                ));
            }
            Expr::Nulls(op, a) => {
                let a = self.info(a)?;
                if op.is_reduction() {
                    let ready = match a.shape {
                        Shape::Full { stage } => stage + 1,
                        Shape::Scalar { ready } => ready,
                    };
                    Info {
                        dtype: DType::I64,
                        weak: false,
                        shape: Shape::Scalar { ready },
                    }
                } else {
                    Info {
                        dtype: DType::Bool,
                        weak: false,
                        ..a
                    }
                }
            }
            Expr::FillNull(a, b) => {
                let (a, b) = (self.info(a)?, self.info(b)?);
                let dtype = common_type(a, b).ok_or_else(|| {
                    bad(format!(
                        "cannot fill the nulls of {} with {}",
                        a.dtype, b.dtype
                    ))
                })?;
                Info {
                    dtype,
                    weak: a.weak && b.weak,
                    shape: Shape::join(&[a.shape, b.shape]),
                }
            }
            Expr::RowIndex => Info {
                dtype: DType::U32,
                weak: false,
                shape: Shape::Full { stage: 0 },
            },
            Expr::LoopState(name) => self
                .scopes
                .iter()
                .rev()
                .find_map(|scope| scope.states.iter().find(|(n, _)| n == name))
                .map(|(_, info)| *info)
                .ok_or_else(|| {
                    bad(format!(
                        "no enclosing iterate(..) loop has a state named `{name}`"
                    ))
                })?,
            Expr::Loop(spec, output) => {
                let info = self.loop_info(spec)?;
                let dtype = match output {
                    LoopOutput::Iterations => DType::U32,
                    LoopOutput::State(name) => {
                        let k = spec
                            .states
                            .iter()
                            .position(|s| &s.name == name)
                            .ok_or_else(|| bad(format!("the loop has no state named `{name}`")))?;
                        info.state_dtypes[k]
                    }
                };
                Info {
                    dtype,
                    weak: false,
                    shape: info.shape,
                }
            }
        })
    }

    /// Types a loop: each state takes its initial value's type, except that a weakly typed
    /// initial value (a bare literal) takes the type its update has when the state is weak.
    /// Updates must then have their state's type (or be weak literals, which adopt it).
    pub fn loop_info(&mut self, spec: &Arc<LoopSpec>) -> Result<LoopInfo> {
        let memo_key = (Arc::as_ptr(spec), self.scope_key());
        if let Some(info) = self.loops.get(&memo_key) {
            return Ok(info.clone());
        }
        let whole = || Expr::Loop(spec.clone(), LoopOutput::Iterations).to_string();
        let bad = |message: String| Error::InvalidType {
            expr: whole(),
            message,
        };
        let mut inits = Vec::with_capacity(spec.states.len());
        for (k, s) in spec.states.iter().enumerate() {
            if spec.states[..k].iter().any(|t| t.name == s.name) {
                return Err(bad(format!("state `{}` is declared twice", s.name)));
            }
            let init = s.init.as_ref().ok_or_else(|| {
                bad(format!(
                    "state `{}` is updated but never declared with .state(\"{}\", initial value)",
                    s.name, s.name
                ))
            })?;
            inits.push(self.info(init)?);
        }
        let as_state = |info: &Info, weak: bool| Info {
            dtype: info.dtype,
            weak,
            shape: Shape::Full { stage: 0 },
        };
        let base = Arc::as_ptr(spec) as usize;

        // Tentative pass: weak initial values stay weak, to see what their updates become.
        let mut dtypes: Vec<DType> = inits.iter().map(|i| i.dtype).collect();
        if inits.iter().any(|i| i.weak) {
            self.enter(base + 1, spec, inits.iter().map(|i| as_state(i, i.weak)));
            let tentative: Result<Vec<Option<Info>>> = spec
                .states
                .iter()
                .map(|s| s.update.as_ref().map(|u| self.info(u)).transpose())
                .collect();
            self.scopes.pop();
            for ((dtype, init), update) in dtypes.iter_mut().zip(&inits).zip(tentative?) {
                if let Some(update) = update
                    && init.weak
                    && !update.weak
                {
                    *dtype = update.dtype;
                }
            }
        }

        // Final pass, with the states strongly typed.
        let states: Vec<Info> = dtypes
            .iter()
            .map(|&dtype| Info {
                dtype,
                weak: false,
                shape: Shape::Full { stage: 0 },
            })
            .collect();
        self.enter(base, spec, states.iter().copied());
        let result = self.loop_body_info(spec, &dtypes);
        self.scopes.pop();
        let mut shapes = result?;
        shapes.extend(inits.iter().map(|i| i.shape));
        shapes.push(Shape::Full { stage: 0 });
        let info = LoopInfo {
            state_dtypes: dtypes,
            shape: Shape::join(&shapes),
        };
        self.loops.insert(memo_key, info.clone());
        Ok(info)
    }

    /// Checks the condition and updates with the states typed; returns their shapes.
    fn loop_body_info(&mut self, spec: &LoopSpec, dtypes: &[DType]) -> Result<Vec<Shape>> {
        let mut shapes = Vec::new();
        if let Some(cond) = &spec.cond {
            let c = self.info(cond)?;
            if c.dtype != DType::Bool {
                return Err(Error::InvalidType {
                    expr: cond.to_string(),
                    message: format!("a loop condition must be bool, not {}", c.dtype),
                });
            }
            shapes.push(c.shape);
        }
        for (s, &dtype) in spec.states.iter().zip(dtypes) {
            let Some(update) = &s.update else { continue };
            let u = self.info(update)?;
            let fits = u.dtype == dtype || (u.weak && adopt(u.dtype, dtype) == Some(dtype));
            if !fits {
                return Err(Error::InvalidType {
                    expr: update.to_string(),
                    message: format!(
                        "state `{}` is {dtype} but its update is {}; cast one of them",
                        s.name, u.dtype
                    ),
                });
            }
            shapes.push(u.shape);
        }
        Ok(shapes)
    }

    fn enter(&mut self, key: usize, spec: &LoopSpec, states: impl Iterator<Item = Info>) {
        let names = spec.states.iter().map(|s| s.name.clone());
        // Inner loops' nodes depend on the outer states' types too.
        let key = self.scope_key().wrapping_mul(0x9E37_79B9).wrapping_add(key);
        self.scopes.push(Scope {
            key,
            states: names.zip(states).collect(),
        });
    }

    /// Makes the states of `spec` (typed by [`Inference::loop_info`]) visible, so the body's
    /// nodes get the info the loop was typed with. Pair with [`Inference::exit_loop`].
    pub fn enter_loop(&mut self, spec: &Arc<LoopSpec>, info: &LoopInfo) {
        let states = info.state_dtypes.iter().map(|&dtype| Info {
            dtype,
            weak: false,
            shape: Shape::Full { stage: 0 },
        });
        self.enter(Arc::as_ptr(spec) as usize, spec, states);
    }

    pub fn exit_loop(&mut self) {
        self.scopes.pop();
    }
}

/// Whether `e` reads a loop state (outside any loop of its own).
#[recursive::recursive]
fn mentions_state(e: &Expr) -> bool {
    match e {
        Expr::LoopState(_) => true,
        Expr::Loop(spec, _) => {
            spec.states.iter().any(|s| {
                s.init.as_ref().is_some_and(mentions_state)
                    || s.update.as_ref().is_some_and(mentions_state)
            }) || spec.cond.as_ref().is_some_and(mentions_state)
        }
        _ => e.operands().into_iter().any(mentions_state),
    }
}
