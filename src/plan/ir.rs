//! The kernel IR both backends consume: a straight-line SSA program over rows.
//!
//! Each instruction names its operands by index into the same program, so operands always come
//! first (evaluation in order is correct) and equal instructions are stored once (common
//! subexpression elimination falls out of [`Program::push`]).

use std::collections::HashMap;

use crate::dtype::{DType, Scalar};
use crate::ops::{BinaryOp, ReduceOp, UnaryOp};

/// Index of an instruction in its [`Program`].
pub type Id = usize;

/// One SSA instruction. Kernels use the first seven; the scalar program (which finishes
/// reductions and computes scalar-only expressions) uses `Const`, the maps and the last two.
#[derive(Debug, Clone, PartialEq)]
pub enum Instr {
    /// Column `inputs[k]` of the kernel.
    Load(usize),
    Const(Scalar),
    /// Scalar `params[k]` of the kernel, computed before it runs (a reduction's result).
    Param(usize),
    Unary(UnaryOp, Id),
    Binary(BinaryOp, Id, Id),
    /// `cond ? then : otherwise`.
    Select(Id, Id, Id),
    Cast(DType, Id),
    /// The row number (u32).
    RowIndex,
    /// Output `output` of the reductions of kernel `kernel`.
    KernelResult {
        kernel: usize,
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
        begin: Id,
        init: Id,
    },
    /// Ends the loop starting at `begin`: rows where `cond` holds, and that have taken fewer
    /// than `max_iter` steps, replace every state by its update (one per state, in order, all
    /// computed from the old values) and run the body again. Its value is the number of steps
    /// each row took (u32).
    LoopEnd {
        begin: Id,
        max_iter: u32,
        cond: Id,
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

/// A straight-line program: instructions with their result dtypes.
#[derive(Debug, Clone, Default)]
pub struct Program {
    instrs: Vec<Instr>,
    dtypes: Vec<DType>,
    seen: HashMap<(InstrKey, DType), Id>,
}

impl Program {
    /// Appends `instr` unless an equal one exists; returns its id either way.
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
    pub fn instrs(&self) -> &[Instr] {
        &self.instrs
    }
    pub fn dtype(&self, id: Id) -> DType {
        self.dtypes[id]
    }
    pub fn dtypes(&self) -> &[DType] {
        &self.dtypes
    }
    pub fn len(&self) -> usize {
        self.instrs.len()
    }
    pub fn is_empty(&self) -> bool {
        self.instrs.is_empty()
    }
    /// Forgets the instructions of a loop body (ids from `first_body` up to the loop's end),
    /// so that code after the loop does not share them: they hold the last step's values,
    /// and on the GPU they are out of scope. The states and the end stay shared.
    pub fn close_loop(&mut self, first_body: Id, end: Id) {
        self.seen.retain(|_, id| *id < first_body || *id == end);
    }

    /// The ids of the states of the loop starting at `begin`.
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

    /// The id of the `LoopEnd` of the loop starting at `begin`.
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
    pub rows: usize,
    /// Names of the frame columns read, in `Load` order.
    pub inputs: Vec<String>,
    /// Scalar-program ids feeding each `Param` slot.
    pub params: Vec<Id>,
    pub program: Program,
    /// Values written out as new full-length columns.
    pub stores: Vec<Id>,
    pub reductions: Vec<Reduction>,
}

impl Kernel {
    /// Whether the kernel has anything to compute.
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty() && self.reductions.is_empty()
    }
}
