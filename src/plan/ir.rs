//! The kernel IR both backends consume: a straight-line SSA program over rows.
//!
//! Each instruction names its operands by index into the same program, so operands always come
//! first (evaluation in order is correct) and equal instructions are stored once (common
//! subexpression elimination falls out of [`Program::push`]).

use rustc_hash::FxHashMap as HashMap;

use crate::dtype::{DType, Scalar};
use crate::ops::{BinaryOp, ReduceOp, UnaryOp};

/// Index of an instruction in its [`Program`]; operands name their instructions by it.
pub type Id = usize;

/// One SSA instruction. Kernels (passes over rows) use `Load`, `Const`, `Param`, the maps
/// (`Unary`, `Binary`, `Select`, `Cast`), `RowIndex` and the loop instructions; the scalar
/// program (which finishes reductions and computes scalar-only expressions) uses `Const`,
/// the maps, `KernelResult` and `ReduceScalar`.
#[derive(Debug, Clone, PartialEq)]
pub enum Instr {
    /// Column `inputs[k]` of the kernel.
    Load(usize),
    /// A constant (folded constants included).
    Const(Scalar),
    /// Scalar `params[k]` of the kernel, computed before it runs (a reduction's result).
    Param(usize),
    /// `op(a)`, with `a` already of the op's input dtype.
    Unary(UnaryOp, Id),
    /// `op(a, b)`, with both operands already of the op's input dtype.
    Binary(BinaryOp, Id, Id),
    /// `cond ? then : otherwise`.
    Select(Id, Id, Id),
    /// The operand converted to the dtype with Rust's `as` rules.
    Cast(DType, Id),
    /// The row number (u32).
    RowIndex,
    /// Output `output` of the reductions of kernel `kernel`.
    KernelResult {
        /// The kernel's index in [`Plan::kernels`](crate::plan::Plan::kernels).
        kernel: usize,
        /// The index into that kernel's [`Kernel::reductions`].
        output: usize,
    },
    /// A reduction over a single value.
    ReduceScalar(ReduceOp, Id),
    /// Starts a per-row loop (see [`crate::iterate`]). Its states follow it directly, then
    /// the body, then its [`Instr::LoopEnd`]. The CPU keeps here which rows still iterate.
    LoopBegin,
    /// A state of the loop starting at `begin`: `init` on entry, the current value in the
    /// body, the final value after the loop.
    LoopState {
        /// The loop's [`Instr::LoopBegin`].
        begin: Id,
        /// The initial value, computed before the loop.
        init: Id,
    },
    /// Ends the loop starting at `begin`: rows where `cond` holds, and that have taken fewer
    /// than `max_iter` steps, replace every state by its update (one per state, in order, all
    /// computed from the old values) and run the body again. Its value is the number of steps
    /// each row took (u32).
    LoopEnd {
        /// The loop's [`Instr::LoopBegin`].
        begin: Id,
        /// At most this many steps per row.
        max_iter: u32,
        /// The bool that keeps a row iterating (a `true` constant for loops without one).
        cond: Id,
        /// The next value of each state, in state order (the state itself where it has no
        /// update).
        updates: Vec<Id>,
    },
}

/// Instr with constants compared by bits, so it can key the CSE table.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum InstrKey {
    Load(usize),
    Const(Option<DType>, u64),
    Param(usize),
    Unary(UnaryOp, Id),
    Binary(BinaryOp, Id, Id),
    Select(Id, Id, Id),
    Cast(DType, Id),
    KernelResult(usize, usize),
    ReduceScalar(ReduceOp, Id),
    RowIndex,
    /// Never shared: each loop is its own.
    LoopBegin(usize),
    LoopState(usize),
    LoopEnd(Id, u32, Id, Vec<Id>),
}

impl InstrKey {
    fn of(instr: &Instr, dtype: DType, next_id: Id) -> (InstrKey, DType) {
        let key = match *instr {
            Instr::Load(k) => InstrKey::Load(k),
            Instr::Const(s) => {
                let (dt, bits) = s.identity();
                InstrKey::Const(dt, bits)
            }
            Instr::Param(k) => InstrKey::Param(k),
            Instr::Unary(op, a) => InstrKey::Unary(op, a),
            Instr::Binary(op, a, b) => InstrKey::Binary(op, a, b),
            Instr::Select(c, a, b) => InstrKey::Select(c, a, b),
            Instr::Cast(dt, a) => InstrKey::Cast(dt, a),
            Instr::KernelResult { kernel, output } => InstrKey::KernelResult(kernel, output),
            Instr::ReduceScalar(op, a) => InstrKey::ReduceScalar(op, a),
            Instr::RowIndex => InstrKey::RowIndex,
            Instr::LoopBegin => InstrKey::LoopBegin(next_id),
            // Two states with the same initial value are still two states.
            Instr::LoopState { .. } => InstrKey::LoopState(next_id),
            Instr::LoopEnd {
                begin,
                max_iter,
                cond,
                ref updates,
            } => InstrKey::LoopEnd(begin, max_iter, cond, updates.clone()),
        };
        (key, dtype)
    }
}

/// A straight-line program: instructions with their result dtypes. Equal instructions
/// are stored once.
#[derive(Debug, Clone, Default)]
pub struct Program {
    instrs: Vec<Instr>,
    dtypes: Vec<DType>,
    seen: HashMap<(InstrKey, DType), Id>,
}

impl Program {
    /// Appends `instr` unless an equal one of the same dtype exists; returns its id either
    /// way. Constants are equal when their bits are (NaN equals NaN, -0.0 differs from 0.0);
    /// loop beginnings and states are never shared.
    pub fn push(&mut self, instr: Instr, dtype: DType) -> Id {
        let key = InstrKey::of(&instr, dtype, self.instrs.len());
        if let Some(&id) = self.seen.get(&key) {
            return id;
        }
        let id = self.instrs.len();
        self.instrs.push(instr);
        self.dtypes.push(dtype);
        self.seen.insert(key, id);
        id
    }
    /// The instructions, indexed by [`Id`].
    pub fn instrs(&self) -> &[Instr] {
        &self.instrs
    }
    /// The dtype of the value instruction `id` computes. Panics if there is no such id.
    pub fn dtype(&self, id: Id) -> DType {
        self.dtypes[id]
    }
    /// The dtypes of all instructions, indexed by [`Id`].
    pub fn dtypes(&self) -> &[DType] {
        &self.dtypes
    }
    /// The number of instructions.
    pub fn len(&self) -> usize {
        self.instrs.len()
    }
    /// Whether the program has no instructions.
    pub fn is_empty(&self) -> bool {
        self.instrs.is_empty()
    }
    /// Forgets the instructions of a loop body (ids from `first_body` up to the loop's end),
    /// so that code after the loop does not share them: they hold the last step's values,
    /// and on the GPU they are out of scope. The states and the end stay shared.
    pub fn close_loop(&mut self, first_body: Id, end: Id) {
        self.seen.retain(|_, id| *id < first_body || *id == end);
    }

    /// The ids of the states of the loop starting at `begin` (they follow it directly).
    pub fn loop_states(&self, begin: Id) -> std::ops::Range<Id> {
        let count = self
            .instrs
            .get(begin + 1..)
            .unwrap_or_default()
            .iter()
            .take_while(|i| matches!(i, Instr::LoopState { begin: b, .. } if *b == begin))
            .count();
        begin + 1..begin + 1 + count
    }

    /// The id of the `LoopEnd` of the loop starting at `begin`, if there is one.
    pub fn loop_end(&self, begin: Id) -> Option<Id> {
        (begin..self.instrs.len())
            .find(|&id| matches!(self.instrs[id], Instr::LoopEnd { begin: b, .. } if b == begin))
    }

    /// The constant `id` holds, if it is one.
    pub fn constant(&self, id: Id) -> Option<Scalar> {
        match self.instrs.get(id) {
            Some(Instr::Const(s)) => Some(*s),
            _ => None,
        }
    }
}

/// A reduction a kernel computes.
#[derive(Debug, Clone, PartialEq)]
pub struct Reduction {
    /// What is computed.
    pub op: ReduceOp,
    /// The value reduced, already cast to the accumulator dtype.
    pub value: Id,
    /// The dtype of the result.
    pub dtype: DType,
}

/// One pass over `rows` rows: reads `inputs`, writes one column per store and one scalar per
/// reduction.
#[derive(Debug, Clone, Default)]
pub struct Kernel {
    /// The number of rows the pass runs over.
    pub rows: usize,
    /// Names of the frame columns read, in `Load` order.
    pub inputs: Vec<String>,
    /// Scalar-program ids feeding each `Param` slot.
    pub params: Vec<Id>,
    /// What each row computes.
    pub program: Program,
    /// Values written out as new full-length columns.
    pub stores: Vec<Id>,
    /// Values reduced over all rows, one scalar each.
    pub reductions: Vec<Reduction>,
}

impl Kernel {
    /// Whether the kernel has anything to compute: no stores and no reductions means the
    /// pass is skipped (as for an output that passes an input column through).
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty() && self.reductions.is_empty()
    }

    /// Checks that the kernel is well formed, as the planner builds them: every operand
    /// precedes its user, loads and params name existing slots, stores and reductions name
    /// existing values, loop states and ends name a loop start, each loop ends once with one
    /// update per state, and no scalar-program instruction is inside. The backends call it
    /// before running a kernel, so a hand-built one gives an error, never a panic.
    pub fn validate(&self) -> crate::error::Result<()> {
        let bad = |what: String| {
            Err(crate::error::Error::Internal(format!(
                "malformed kernel: {what}"
            )))
        };
        let instrs = self.program.instrs();
        let n = instrs.len();
        if self.program.dtypes().len() != n {
            return bad("dtypes and instructions differ in number".into());
        }
        let is_begin = |id: Id| matches!(instrs.get(id), Some(Instr::LoopBegin));
        // Loops nest: the starts not yet ended, innermost last (no allocation for a kernel
        // without loops, which is most of them: this runs before every pass).
        let mut open: Vec<Id> = Vec::new();
        for (id, instr) in instrs.iter().enumerate() {
            let precedes = |a: &Id| *a < id;
            let ok = match instr {
                Instr::Load(k) if *k >= self.inputs.len() => {
                    return bad(format!("%{id} loads input {k} of {}", self.inputs.len()));
                }
                Instr::Param(k) if *k >= self.params.len() => {
                    return bad(format!("%{id} reads param {k} of {}", self.params.len()));
                }
                Instr::Load(_) | Instr::Param(_) | Instr::Const(_) | Instr::RowIndex => true,
                Instr::Unary(_, a) | Instr::Cast(_, a) => precedes(a),
                Instr::Binary(_, a, b) => precedes(a) && precedes(b),
                Instr::Select(c, a, b) => precedes(c) && precedes(a) && precedes(b),
                Instr::KernelResult { .. } | Instr::ReduceScalar(..) => {
                    return bad(format!("%{id} is a scalar-program instruction"));
                }
                Instr::LoopBegin => {
                    open.push(id);
                    true
                }
                Instr::LoopState { begin, init } => {
                    if !is_begin(*begin) || !self.program.loop_states(*begin).contains(&id) {
                        return bad(format!("%{id} is a state of no loop starting at %{begin}"));
                    }
                    precedes(init)
                }
                Instr::LoopEnd {
                    begin,
                    cond,
                    updates,
                    ..
                } => {
                    if open.pop() != Some(*begin) {
                        return bad(format!("%{id} ends a loop that %{begin} does not start"));
                    }
                    if updates.len() != self.program.loop_states(*begin).len() {
                        return bad(format!("%{id} has {} updates", updates.len()));
                    }
                    precedes(cond) && updates.iter().all(precedes)
                }
            };
            if !ok {
                return bad(format!("%{id} reads a value that does not precede it"));
            }
        }
        if let Some(begin) = open.pop() {
            return bad(format!("the loop at %{begin} never ends"));
        }
        if let Some(s) = self.stores.iter().find(|&&s| s >= n) {
            return bad(format!("store of %{s}, past the program's {n} values"));
        }
        if let Some(r) = self.reductions.iter().find(|r| r.value >= n) {
            return bad(format!(
                "reduction of %{}, past the program's {n} values",
                r.value
            ));
        }
        Ok(())
    }
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn id_example() {
        use crate::DType;
        use crate::ops::UnaryOp;
        use crate::plan::ir::{Id, Instr, Program};
        let mut p = Program::default();
        let x: Id = p.push(Instr::Load(0), DType::F32);
        let y: Id = p.push(Instr::Unary(UnaryOp::Sqrt, x), DType::F32);
        assert_eq!((x, y), (0, 1));
        assert_eq!(p.instrs()[y], Instr::Unary(UnaryOp::Sqrt, x));
    }

    #[test]
    fn instr_example() -> crate::Result<()> {
        use crate::ops::BinaryOp;
        use crate::plan::ir::Instr;
        use crate::prelude::*;
        // x - mean(x): pass 0 reduces, the scalar program picks up the result, and pass 1
        // subtracts it, read as a param.
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&[col("x") - col("x").mean()], 4, &schema, &|| "x".into())?;
        assert_eq!(
            plan.scalars.instrs(),
            [Instr::KernelResult {
                kernel: 0,
                output: 0
            }]
        );
        assert_eq!(plan.kernels[1].params, [0]); // param #0 is scalar-program value 0
        assert_eq!(
            plan.kernels[1].program.instrs(),
            [
                Instr::Load(0),
                Instr::Param(0),
                Instr::Binary(BinaryOp::Sub, 0, 1)
            ]
        );
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn program_example() {
        use crate::DType;
        use crate::ops::BinaryOp;
        use crate::plan::ir::{Instr, Program};
        let mut p = Program::default();
        let a = p.push(Instr::Load(0), DType::I32);
        let b = p.push(Instr::Load(1), DType::I32);
        let sum = p.push(Instr::Binary(BinaryOp::Add, a, b), DType::I32);
        assert_eq!(p.push(Instr::Binary(BinaryOp::Add, a, b), DType::I32), sum); // shared
        assert_eq!(p.len(), 3);
        assert_eq!(p.dtypes(), [DType::I32; 3]);
    }

    #[test]
    fn push_example() {
        use crate::plan::ir::{Instr, Program};
        use crate::{DType, Scalar};
        let mut p = Program::default();
        let nan = p.push(Instr::Const(Scalar::F64(f64::NAN)), DType::F64);
        assert_eq!(p.push(Instr::Const(Scalar::F64(f64::NAN)), DType::F64), nan);
        let zero = p.push(Instr::Const(Scalar::F64(0.0)), DType::F64);
        assert_ne!(p.push(Instr::Const(Scalar::F64(-0.0)), DType::F64), zero);
        // The same instruction with another dtype is another value.
        let x = p.push(Instr::Load(0), DType::F32);
        assert_ne!(p.push(Instr::Load(0), DType::F64), x);
        assert_eq!(p.len(), 5);
    }

    #[test]
    fn instrs_example() {
        use crate::DType;
        use crate::plan::ir::{Instr, Program};
        let mut p = Program::default();
        p.push(Instr::RowIndex, DType::U32);
        p.push(Instr::Cast(DType::F32, 0), DType::F32);
        assert_eq!(p.instrs(), [Instr::RowIndex, Instr::Cast(DType::F32, 0)]);
    }

    #[test]
    fn dtype_example() {
        use crate::DType;
        use crate::ops::UnaryOp;
        use crate::plan::ir::{Instr, Program};
        let mut p = Program::default();
        let x = p.push(Instr::Load(0), DType::F32);
        let nan = p.push(Instr::Unary(UnaryOp::IsNan, x), DType::Bool);
        assert_eq!((p.dtype(x), p.dtype(nan)), (DType::F32, DType::Bool));
    }

    #[test]
    fn dtypes_example() {
        use crate::DType;
        use crate::plan::ir::{Instr, Program};
        let mut p = Program::default();
        p.push(Instr::Load(0), DType::I32);
        p.push(Instr::Cast(DType::I64, 0), DType::I64);
        assert_eq!(p.dtypes(), [DType::I32, DType::I64]);
    }

    #[test]
    fn len_example() {
        use crate::DType;
        use crate::plan::ir::{Instr, Program};
        let mut p = Program::default();
        p.push(Instr::Load(0), DType::F64);
        p.push(Instr::Load(0), DType::F64); // shared: still one
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn is_empty_example() {
        use crate::DType;
        use crate::plan::ir::{Instr, Program};
        let mut p = Program::default();
        assert!(p.is_empty());
        p.push(Instr::RowIndex, DType::U32);
        assert!(!p.is_empty());
    }

    #[test]
    fn close_loop_example() {
        use crate::ops::BinaryOp;
        use crate::plan::ir::{Instr, Program};
        use crate::{DType, Scalar};
        let mut p = Program::default();
        let x = p.push(Instr::Load(0), DType::F32);
        let begin = p.push(Instr::LoopBegin, DType::Bool);
        let v = p.push(Instr::LoopState { begin, init: x }, DType::F32);
        let two = p.push(Instr::Const(Scalar::F32(2.0)), DType::F32); // the body starts here
        let next = p.push(Instr::Binary(BinaryOp::Mul, v, two), DType::F32);
        let cond = p.push(Instr::Const(Scalar::Bool(true)), DType::Bool);
        let end = p.push(
            Instr::LoopEnd {
                begin,
                max_iter: 3,
                cond,
                updates: vec![next],
            },
            DType::U32,
        );
        p.close_loop(two, end);
        assert_eq!(p.push(Instr::Const(Scalar::F32(2.0)), DType::F32), end + 1); // not `two`
        assert_eq!(p.push(Instr::Load(0), DType::F32), x); // before the loop: still shared
    }

    #[test]
    fn loop_states_example() -> crate::Result<()> {
        use crate::plan::ir::Instr;
        use crate::prelude::*;
        let lp = iterate(4)
            .state("a", col("x"))
            .state("b", lit(1.0))
            .update("a", state("a") * state("b"));
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&[lp.get("a")], 3, &schema, &|| "x".into())?;
        let program = &plan.kernels[0].program;
        let begin = program
            .instrs()
            .iter()
            .position(|i| *i == Instr::LoopBegin)
            .unwrap();
        assert_eq!(program.loop_states(begin), begin + 1..begin + 3);
        assert_eq!(program.loop_states(begin + 1), begin + 2..begin + 2); // not a loop: none
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn loop_end_example() -> crate::Result<()> {
        use crate::plan::ir::Instr;
        use crate::prelude::*;
        let lp = iterate(4)
            .state("a", col("x"))
            .update("a", state("a") + lit(1.0));
        let schema = |name: &str| (name == "x").then_some(DType::F64);
        let plan = crate::plan::lower(&[lp.iterations()], 3, &schema, &|| "x".into())?;
        let program = &plan.kernels[0].program;
        let begin = program
            .instrs()
            .iter()
            .position(|i| *i == Instr::LoopBegin)
            .unwrap();
        let end = program.loop_end(begin).unwrap();
        assert!(matches!(
            program.instrs()[end],
            Instr::LoopEnd { max_iter: 4, .. }
        ));
        assert_eq!(plan.kernels[0].stores, [end]); // the step count is the loop end's value
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn constant_example() {
        use crate::plan::ir::{Instr, Program};
        use crate::{DType, Scalar};
        let mut p = Program::default();
        let c = p.push(Instr::Const(Scalar::I32(7)), DType::I32);
        let x = p.push(Instr::Load(0), DType::I32);
        assert_eq!(p.constant(c), Some(Scalar::I32(7)));
        assert_eq!(p.constant(x), None);
        assert_eq!(p.constant(99), None); // no such instruction
    }

    #[test]
    fn reduction_example() -> crate::Result<()> {
        use crate::ops::ReduceOp;
        use crate::plan::ir::{Instr, Reduction};
        use crate::prelude::*;
        let schema = |name: &str| (name == "k").then_some(DType::I32);
        let plan = crate::plan::lower(&[col("k").sum()], 10, &schema, &|| "k".into())?;
        let kernel = &plan.kernels[0];
        // An i32 sum accumulates in i64: the kernel casts each value first.
        assert_eq!(
            kernel.reductions,
            [Reduction {
                op: ReduceOp::Sum,
                value: 1,
                dtype: DType::I64
            }]
        );
        assert_eq!(kernel.program.instrs()[1], Instr::Cast(DType::I64, 0));
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn kernel_example() -> crate::Result<()> {
        use crate::plan::ir::Instr;
        use crate::prelude::*;
        let schema = |name: &str| ["a", "b"].contains(&name).then_some(DType::F32);
        let exprs = [(col("a") * col("b")).alias("ab"), col("b").max()];
        let plan = crate::plan::lower(&exprs, 100, &schema, &|| "a, b".into())?;
        assert_eq!(plan.kernels.len(), 1); // one pass does both
        let kernel = &plan.kernels[0];
        assert_eq!(kernel.rows, 100);
        assert_eq!(kernel.inputs, ["a", "b"]);
        assert_eq!(kernel.stores.len(), 1);
        assert!(matches!(
            kernel.program.instrs()[kernel.stores[0]],
            Instr::Binary(..)
        ));
        assert_eq!(kernel.reductions.len(), 1);
        assert!(kernel.params.is_empty());
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn is_empty_example_2() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| (name == "x").then_some(DType::F32);
        let names = || "x".to_string();
        let plan = crate::plan::lower(&[col("x")], 10, &schema, &names)?;
        assert!(plan.kernels[0].is_empty());
        let plan = crate::plan::lower(&[col("x").sum()], 10, &schema, &names)?;
        assert!(!plan.kernels[0].is_empty());
        assert!(crate::plan::ir::Kernel::default().is_empty());
        Ok::<(), crate::Error>(())
    }

    #[test]
    fn validate_example() {
        use crate::DType;
        use crate::ops::UnaryOp;
        use crate::plan::ir::{Instr, Kernel};
        let mut kernel = Kernel {
            rows: 4,
            inputs: vec!["x".into()],
            ..Kernel::default()
        };
        let x = kernel.program.push(Instr::Load(0), DType::F32);
        let y = kernel
            .program
            .push(Instr::Unary(UnaryOp::Sqrt, x), DType::F32);
        kernel.stores.push(y);
        assert!(kernel.validate().is_ok());
        kernel
            .program
            .push(Instr::Unary(UnaryOp::Sqrt, 99), DType::F32); // no value 99
        assert!(kernel.validate().is_err());
    }
}
