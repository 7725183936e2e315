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
}

impl InstrKey {
    fn of(instr: &Instr, dtype: DType) -> (InstrKey, DType) {
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
        let key = InstrKey::of(&instr, dtype);
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
