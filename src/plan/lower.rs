//! Lowering: expressions to kernels (passes over rows) plus a scalar program.
//!
//! Every node is computed in the earliest pass its inputs allow ([`Shape`]): maps over columns
//! in pass 0; a map that needs a reduction's result (`x - x.mean()`) in the pass after that
//! reduction, where it reads the reduction's value as a `Param`. All expressions of one call
//! share those passes, so `sum(a)`, `min(a)` and `max(a * b)` read `a` and `b` once. A node
//! needed in a later pass is recomputed there from the columns: rereading inputs is cheaper
//! than writing a temporary column and reading it back.
//!
//! Constants fold as they are pushed, and [`Program::push`] shares equal instructions.

use rustc_hash::FxHashMap as HashMap;
use std::sync::Arc;

use crate::dtype::{DType, Scalar};
use crate::error::{Error, Result};
use crate::expr::{Expr, LoopOutput, LoopSpec, MAX_DEPTH};
use crate::ops::elem::cast_scalar;
use crate::ops::{BinaryOp, UnaryOp};

use super::ir::{Id, Instr, Kernel, Program, Reduction};
use super::scalar;
use super::types::{Inference, Info, Shape, binary_common_type};

/// Where one output column of a plan comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An input column, passed through without copying.
    Input(String),
    /// Store `index` of kernel `kernel`.
    Store {
        /// The kernel's index in [`Plan::kernels`].
        kernel: usize,
        /// The index into that kernel's [`Kernel::stores`].
        index: usize,
    },
    /// Value `id` of the scalar program: one row.
    Scalar(Id),
}

/// A named output of a plan.
#[derive(Debug, Clone)]
pub struct Output {
    /// The column name ([`Expr::output_name`]).
    pub name: String,
    /// The column's dtype.
    pub dtype: DType,
    /// Where the values are once the plan has run.
    pub source: Source,
}

/// The lowered form of one call: passes, then the scalar program, then the outputs.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The number of rows of the frame.
    pub rows: usize,
    /// The passes over rows, run in order; a pass may read the results of earlier ones.
    pub kernels: Vec<Kernel>,
    /// Single values: reduction results, what is computed from them, and constants.
    pub scalars: Program,
    /// For each scalar-program value, the number of passes that must have run before it can
    /// be computed.
    pub scalar_ready: Vec<usize>,
    /// One output per expression, in order.
    pub outputs: Vec<Output>,
}

/// Lowers `exprs` over a frame of `rows` rows whose columns have the dtypes `schema` gives
/// (`None` for a column that does not exist). `column_names` lists the frame's columns for
/// the error about a missing one. Fails on type errors and on two outputs with one name;
/// nothing is read or computed except constants.
pub fn lower(
    exprs: &[Expr],
    rows: usize,
    schema: &dyn Fn(&str) -> Option<DType>,
    column_names: &dyn Fn() -> String,
) -> Result<Plan> {
    let mut lowerer = Lowerer {
        types: Inference::new(schema, column_names),
        rows,
        kernels: Vec::new(),
        scalars: Program::default(),
        scalar_ready: Vec::new(),
        loops: HashMap::default(),
        loop_scopes: Vec::new(),
    };
    // Every walk below recurses once per level: refuse what would overflow the stack first.
    for (index, e) in exprs.iter().enumerate() {
        let depth = e.depth();
        if depth > MAX_DEPTH {
            return Err(Error::TooDeep {
                index,
                depth,
                limit: MAX_DEPTH,
            });
        }
    }
    let mut outputs = Vec::with_capacity(exprs.len());
    for e in exprs {
        let name = e.output_name();
        if outputs.iter().any(|o: &Output| o.name == name) {
            return Err(Error::DuplicateColumn(name));
        }
        let info = lowerer.types.info(e)?;
        let source = match info.shape {
            Shape::Full { stage } => {
                let id = lowerer.full(e, stage, info.dtype)?;
                let kernel = &mut lowerer.kernels[stage];
                match kernel.program.instrs()[id] {
                    Instr::Load(k) => Source::Input(kernel.inputs[k].clone()),
                    _ => {
                        kernel.stores.push(id);
                        Source::Store {
                            kernel: stage,
                            index: kernel.stores.len() - 1,
                        }
                    }
                }
            }
            Shape::Scalar { .. } => Source::Scalar(lowerer.scalar(e, info.dtype)?),
        };
        outputs.push(Output {
            name,
            dtype: info.dtype,
            source,
        });
    }
    Ok(Plan {
        rows,
        kernels: lowerer.kernels,
        scalars: lowerer.scalars,
        scalar_ready: lowerer.scalar_ready,
        outputs,
    })
}

struct Lowerer<'a> {
    types: Inference<'a>,
    rows: usize,
    kernels: Vec<Kernel>,
    scalars: Program,
    scalar_ready: Vec<usize>,
    /// Loops already lowered, by loop and pass, so all outputs of one loop share it.
    loops: HashMap<(*const LoopSpec, usize), LoopIds>,
    /// The states of the loops whose bodies are being lowered, innermost last.
    loop_scopes: Vec<Vec<(String, Id)>>,
}

/// Where a lowered loop's outputs are.
#[derive(Debug, Clone)]
struct LoopIds {
    end: Id,
    states: Vec<Id>,
}

/// Which program an instruction goes to: a pass, or the scalar program.
#[derive(Clone, Copy)]
enum Target {
    Kernel(usize),
    Scalars,
}

impl Lowerer<'_> {
    fn program(&mut self, target: Target) -> &mut Program {
        match target {
            Target::Kernel(k) => &mut self.kernels[k].program,
            Target::Scalars => &mut self.scalars,
        }
    }

    fn kernel(&mut self, stage: usize) -> &mut Kernel {
        while self.kernels.len() <= stage {
            self.kernels.push(Kernel {
                rows: self.rows,
                ..Kernel::default()
            });
        }
        &mut self.kernels[stage]
    }

    /// Pushes into `target`, folding the instruction if its operands are all constants.
    fn push(&mut self, target: Target, instr: Instr, dtype: DType) -> Id {
        let program = self.program(target);
        let c = |id: Id| program.constant(id);
        let folded = match instr {
            Instr::Unary(op, a) => c(a).map(|x| scalar::unary(op, x)),
            Instr::Binary(op, a, b) => c(a).zip(c(b)).map(|(x, y)| scalar::binary(op, x, y)),
            Instr::Cast(to, a) => c(a).map(|x| cast_scalar(x, to)),
            Instr::Select(cond, a, b) => match c(cond) {
                Some(Scalar::Bool(true)) => return a,
                Some(Scalar::Bool(false)) => return b,
                _ => None,
            },
            _ => None,
        };
        let instr = folded.map_or(instr, Instr::Const);
        let id = program.push(instr.clone(), dtype);
        if matches!(target, Target::Scalars) && id == self.scalar_ready.len() {
            let ready = match instr {
                Instr::KernelResult { kernel, .. } => kernel + 1,
                Instr::Unary(_, a) | Instr::Cast(_, a) | Instr::ReduceScalar(_, a) => {
                    self.scalar_ready[a]
                }
                Instr::Binary(_, a, b) => self.scalar_ready[a].max(self.scalar_ready[b]),
                Instr::Select(x, a, b) => self.scalar_ready[x]
                    .max(self.scalar_ready[a])
                    .max(self.scalar_ready[b]),
                _ => 0,
            };
            self.scalar_ready.push(ready);
        }
        id
    }

    /// Casts `id` to `to` unless it already has that dtype.
    fn cast(&mut self, target: Target, id: Id, to: DType) -> Id {
        if self.program(target).dtype(id) == to {
            id
        } else {
            self.push(target, Instr::Cast(to, id), to)
        }
    }

    /// Lowers `e` into pass `stage`, producing dtype `want`.
    #[recursive::recursive]
    fn full(&mut self, e: &Expr, stage: usize, want: DType) -> Result<Id> {
        let info = self.types.info(e)?;
        let target = Target::Kernel(stage);
        self.kernel(stage);
        if let Shape::Scalar { .. } = info.shape {
            let s = self.scalar(e, want)?;
            let instr = match self.scalars.constant(s) {
                Some(value) => Instr::Const(value),
                None => {
                    let kernel = &mut self.kernels[stage];
                    let slot = kernel
                        .params
                        .iter()
                        .position(|&p| p == s)
                        .unwrap_or_else(|| {
                            kernel.params.push(s);
                            kernel.params.len() - 1
                        });
                    Instr::Param(slot)
                }
            };
            return Ok(self.push(target, instr, want));
        }
        let id = match e {
            Expr::Column(name) => {
                let kernel = &mut self.kernels[stage];
                let k = kernel
                    .inputs
                    .iter()
                    .position(|n| n == name)
                    .unwrap_or_else(|| {
                        kernel.inputs.push(name.clone());
                        kernel.inputs.len() - 1
                    });
                self.push(target, Instr::Load(k), info.dtype)
            }
            Expr::Alias(a, _) => return self.full(a, stage, want),
            Expr::RowIndex => self.push(target, Instr::RowIndex, DType::U32),
            Expr::Cast(dtype, a) => {
                let from = self.types.info(a)?.dtype;
                let x = self.full(a, stage, from)?;
                self.cast(target, x, *dtype)
            }
            Expr::LoopState(name) => self
                .loop_scopes
                .iter()
                .rev()
                .find_map(|scope| scope.iter().find(|(n, _)| n == name))
                .map(|&(_, id)| id)
                .ok_or_else(|| Error::Internal(format!("state `{name}` outside its loop")))?,
            Expr::Loop(spec, output) => {
                let ids = self.lower_loop(spec, stage)?;
                match output {
                    LoopOutput::Iterations => ids.end,
                    LoopOutput::State(name) => spec
                        .states
                        .iter()
                        .position(|s| &s.name == name)
                        .and_then(|k| ids.states.get(k).copied())
                        .ok_or_else(|| Error::Internal(format!("loop state `{name}`")))?,
                }
            }
            _ => {
                return self.map(
                    e,
                    info,
                    target,
                    &mut |this, child, dtype| this.full(child, stage, dtype),
                    want,
                );
            }
        };
        Ok(self.cast(target, id, want))
    }

    /// Lowers a loop into pass `stage`: initial values, `LoopBegin`, the states, the body
    /// (condition and updates), `LoopEnd`.
    fn lower_loop(&mut self, spec: &Arc<LoopSpec>, stage: usize) -> Result<LoopIds> {
        let key = (Arc::as_ptr(spec), stage);
        if let Some(ids) = self.loops.get(&key) {
            return Ok(ids.clone());
        }
        let info = self.types.loop_info(spec)?;
        let target = Target::Kernel(stage);
        let mut inits = Vec::with_capacity(spec.states.len());
        for (s, &dtype) in spec.states.iter().zip(&info.state_dtypes) {
            let init = s.init.as_ref().ok_or_else(|| {
                Error::Internal(format!("state `{}` has no initial value", s.name))
            })?;
            inits.push(self.full(init, stage, dtype)?);
        }
        // What the body computes the same at every step goes before the loop; lowering the
        // body then finds it there (see hoist.rs).
        self.types.enter_loop(spec, &info);
        let hoisted = super::hoist::invariant_parts(spec)
            .into_iter()
            .try_for_each(|part| {
                let dtype = self.types.info(part)?.dtype;
                self.full(part, stage, dtype).map(drop)
            });
        if hoisted.is_err() {
            self.types.exit_loop();
        }
        hoisted?;
        let begin = self.push(target, Instr::LoopBegin, DType::Bool);
        let states: Vec<Id> = inits
            .iter()
            .zip(&info.state_dtypes)
            .map(|(&init, &dtype)| self.push(target, Instr::LoopState { begin, init }, dtype))
            .collect();
        let first_body = begin + 1 + states.len();

        let names = spec.states.iter().map(|s| s.name.clone());
        self.loop_scopes
            .push(names.zip(states.iter().copied()).collect());
        let body = self.lower_loop_body(spec, stage, &info.state_dtypes, &states);
        self.loop_scopes.pop();
        self.types.exit_loop();
        let (cond, updates) = body?;

        let end = self.push(
            target,
            Instr::LoopEnd {
                begin,
                max_iter: spec.max_iter,
                cond,
                updates,
            },
            DType::U32,
        );
        self.program(target).close_loop(first_body, end);
        // Loops lowered inside this body are out of reach after it.
        self.loops
            .retain(|&(_, s), ids| s != stage || ids.end < first_body);
        let ids = LoopIds { end, states };
        self.loops.insert(key, ids.clone());
        Ok(ids)
    }

    /// The condition and one update per state (the state itself where it has none).
    fn lower_loop_body(
        &mut self,
        spec: &LoopSpec,
        stage: usize,
        dtypes: &[DType],
        states: &[Id],
    ) -> Result<(Id, Vec<Id>)> {
        let cond = match &spec.cond {
            Some(c) => self.full(c, stage, DType::Bool)?,
            None => self.push(
                Target::Kernel(stage),
                Instr::Const(Scalar::Bool(true)),
                DType::Bool,
            ),
        };
        let mut updates = Vec::with_capacity(states.len());
        for ((s, &dtype), &state) in spec.states.iter().zip(dtypes).zip(states) {
            updates.push(match &s.update {
                Some(u) => self.full(u, stage, dtype)?,
                None => state,
            });
        }
        Ok((cond, updates))
    }

    /// Lowers a scalar-shaped `e` into the scalar program, producing dtype `want`.
    #[recursive::recursive]
    fn scalar(&mut self, e: &Expr, want: DType) -> Result<Id> {
        let info = self.types.info(e)?;
        let target = Target::Scalars;
        let id = match e {
            Expr::Literal(value) => {
                let value = cast_scalar(*value, want);
                return Ok(self.push(target, Instr::Const(value), want));
            }
            Expr::Alias(a, _) => return self.scalar(a, want),
            Expr::Cast(dtype, a) => {
                let from = self.types.info(a)?.dtype;
                let x = self.scalar(a, from)?;
                self.cast(target, x, *dtype)
            }
            Expr::Reduce(op, a) => {
                let input = self.types.info(a)?;
                let bad = |message| Error::InvalidType {
                    expr: e.to_string(),
                    message,
                };
                let (acc, out) = op.signature(input.dtype).map_err(bad)?;
                match input.shape {
                    Shape::Full { stage } => {
                        let value = self.full(a, stage, acc)?;
                        let kernel = &mut self.kernels[stage];
                        kernel.reductions.push(Reduction {
                            op: *op,
                            value,
                            dtype: out,
                        });
                        let output = kernel.reductions.len() - 1;
                        self.push(
                            target,
                            Instr::KernelResult {
                                kernel: stage,
                                output,
                            },
                            out,
                        )
                    }
                    Shape::Scalar { .. } => {
                        let x = self.scalar(a, acc)?;
                        match self.scalars.constant(x) {
                            Some(c) => {
                                let value = scalar::reduce_one(*op, c, out);
                                self.push(target, Instr::Const(value), out)
                            }
                            None => self.push(target, Instr::ReduceScalar(*op, x), out),
                        }
                    }
                }
            }
            Expr::Column(name) => {
                return Err(Error::Internal(format!(
                    "column `{name}` lowered as a scalar"
                )));
            }
            Expr::RowIndex => {
                return Err(Error::Internal("row_index() lowered as a scalar".into()));
            }
            _ => {
                return self.map(
                    e,
                    info,
                    target,
                    &mut |this, child, dtype| this.scalar(child, dtype),
                    want,
                );
            }
        };
        Ok(self.cast(target, id, want))
    }

    /// Lowers a map node (unary, binary or select) whose operands `lower_child` places.
    #[recursive::recursive]
    fn map(
        &mut self,
        e: &Expr,
        info: Info,
        target: Target,
        lower_child: &mut dyn FnMut(&mut Self, &Expr, DType) -> Result<Id>,
        want: DType,
    ) -> Result<Id> {
        let bad = |message| Error::InvalidType {
            expr: e.to_string(),
            message,
        };
        let id = match e {
            Expr::Unary(op, a) => {
                let input = self.types.info(a)?.dtype;
                let (cast_to, out) = op.signature(input).map_err(bad)?;
                let x = lower_child(self, a, cast_to)?;
                self.push(target, Instr::Unary(*op, x), out)
            }
            Expr::Binary(op, a, b) => {
                let (ia, ib) = (self.types.info(a)?, self.types.info(b)?);
                let common = binary_common_type(*op, ia, ib)
                    .ok_or_else(|| bad(format!("cannot mix {} and {}", ia.dtype, ib.dtype)))?;
                let (cast_to, out) = op.signature(common).map_err(bad)?;
                let x = lower_child(self, a, cast_to)?;
                if *op == BinaryOp::Pow && is_one_half(b) {
                    // numpy computes `x ** 0.5` as sqrt(x): NaN at -inf, where C's pow
                    // gives +inf.
                    self.push(target, Instr::Unary(UnaryOp::Sqrt, x), out)
                } else {
                    let y = lower_child(self, b, cast_to)?;
                    self.push(target, Instr::Binary(*op, x, y), out)
                }
            }
            Expr::Select {
                cond,
                then,
                otherwise,
            } => {
                let c = lower_child(self, cond, DType::Bool)?;
                let x = lower_child(self, then, info.dtype)?;
                let y = lower_child(self, otherwise, info.dtype)?;
                self.push(target, Instr::Select(c, x, y), info.dtype)
            }
            Expr::Nulls(..) | Expr::FillNull(..) | Expr::Text(_) => {
                // Frame rewrites null handling into plain expressions before planning.
                return Err(Error::Internal(format!("`{e}` reached the planner")));
            }
            other => {
                return Err(Error::Internal(format!("`{other}` is not a map")));
            }
        };
        Ok(self.cast(target, id, want))
    }
}

/// Whether `e` is the literal 0.5 (of any float type).
fn is_one_half(e: &Expr) -> bool {
    matches!(e, Expr::Literal(v) if v.as_f64() == Some(0.5) && v.dtype().is_some_and(|d| d.is_float()))
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn source_example() -> crate::Result<()> {
        use crate::plan::Source;
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let exprs = [
            col("x"),
            (col("x") * lit(2.0)).alias("y"),
            col("x").sum().alias("s"),
        ];
        let plan = crate::plan::lower(&exprs, 5, &schema, &|| "x".into())?;
        let sources: Vec<&Source> = plan.outputs.iter().map(|o| &o.source).collect();
        assert_eq!(sources[0], &Source::Input("x".into()));
        assert_eq!(
            sources[1],
            &Source::Store {
                kernel: 0,
                index: 0
            }
        );
        assert!(matches!(sources[2], Source::Scalar(_)));
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn output_example() -> crate::Result<()> {
        use crate::plan::Source;
        use crate::prelude::*;
        let schema = |name: &str| (name == "k").then_some(DType::I32);
        let plan = crate::plan::lower(&[col("k").mean()], 5, &schema, &|| "k".into())?;
        let out = &plan.outputs[0];
        assert_eq!((out.name.as_str(), out.dtype), ("k", DType::F64));
        assert!(matches!(out.source, Source::Scalar(_)));
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn plan_example() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let exprs = [
            (col("x") - col("x").mean()).alias("centered"),
            col("x").max(),
        ];
        let plan = crate::plan::lower(&exprs, 1000, &schema, &|| "x".into())?;
        assert_eq!(plan.rows, 1000);
        assert_eq!(plan.kernels.len(), 2); // the mean (and max), then the subtraction
        assert_eq!(plan.kernels[0].reductions.len(), 2);
        assert_eq!(plan.scalars.len(), plan.scalar_ready.len());
        let names: Vec<&str> = plan.outputs.iter().map(|o| o.name.as_str()).collect();
        assert_eq!(names, ["centered", "x"]);
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn lower_example() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| match name {
            "a" => Some(DType::F32),
            "k" => Some(DType::I32),
            _ => None,
        };
        let names = || "a, k".to_string();
        let exprs = [(col("a") + lit(1.0)).sqrt(), col("k").sum()];
        let plan = crate::plan::lower(&exprs, 8, &schema, &names)?;
        assert_eq!(plan.kernels.len(), 1);
        assert_eq!(plan.kernels[0].inputs, ["a", "k"]);
        assert_eq!(
            (plan.outputs[0].dtype, plan.outputs[1].dtype),
            (DType::F32, DType::I64)
        );

        let missing = crate::plan::lower(&[col("z")], 8, &schema, &names).unwrap_err();
        assert!(missing.to_string().contains("a, k"));
        assert!(crate::plan::lower(&[col("a"), col("a")], 8, &schema, &names).is_err()); // two "a"
        assert!(crate::plan::lower(&[col("a").and(col("a"))], 8, &schema, &names).is_err()); // not bool
        Ok::<(), crate::Error>(())
    }
}
