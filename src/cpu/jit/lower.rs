//! From a kernel to the body a compiled kernel runs once per vector of rows: which kernels
//! qualify, and which register holds each value (see `README.md`).

use crate::dtype::{DType, Scalar};
use crate::ops::{BinaryOp, ReduceOp, UnaryOp};
use crate::plan::ir::{Instr, Kernel};

/// Vector registers (zmm0-31) and mask registers usable for values (k1-k7; k0 means "no mask").
const VECTOR_REGISTERS: u8 = 32;
const MASK_REGISTERS: u8 = 7;
/// Streams (inputs plus outputs) the kernel can hold in general-purpose registers.
pub const MAX_STREAMS: usize = 10;

/// The float width every value of a compiled kernel has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Width {
    F32,
    F64,
}

impl Width {
    pub fn bytes(self) -> usize {
        match self {
            Width::F32 => 4,
            Width::F64 => 8,
        }
    }

    pub fn dtype(self) -> DType {
        match self {
            Width::F32 => DType::F32,
            Width::F64 => DType::F64,
        }
    }

    /// Lanes of one 512-bit register.
    pub fn lanes(self) -> usize {
        64 / self.bytes()
    }
}

/// A float op on whole registers. Operand order is the expression's: x86 returns the first
/// operand's NaN when both are NaN, as the evaluator's loops do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `dst = stream[row]`.
    Load {
        dst: u8,
        stream: u8,
    },
    /// `mask = stream[row] != 0` for a bool stream (one byte per row), through vector
    /// register `temp`.
    LoadMask {
        mask: u8,
        stream: u8,
        temp: u8,
    },
    /// `mask = stream[row]` for a bit-packed bool stream (`kmovw`/`kmovb`).
    LoadBits {
        mask: u8,
        stream: u8,
    },
    /// `mask = a op b` on masks (bools: `& | ^`).
    MaskLogic {
        op: MaskOp,
        mask: u8,
        a: u8,
        b: u8,
    },
    /// `mask = !a`.
    MaskNot {
        mask: u8,
        a: u8,
    },
    /// `dst = -a` (sign flip), `|a|` (sign cleared) or `sqrt(a)`.
    Neg {
        dst: u8,
        a: u8,
    },
    Abs {
        dst: u8,
        a: u8,
    },
    Sqrt {
        dst: u8,
        a: u8,
    },
    /// `dst = a op b` for `+ - * /`, rounded after each (never contracted).
    Arith {
        op: Arith,
        dst: u8,
        a: u8,
        b: u8,
    },
    /// `mask = a cmp b`, with the x86 predicate that matches Rust's (false on NaN, but `!=`).
    Compare {
        predicate: u8,
        mask: u8,
        a: u8,
        b: u8,
    },
    /// `dst = minimum(a, b)` (or maximum) as `ops::elem::nan_min` (`nan_max`) picks: `a` if
    /// it is NaN, else `b` if `b` is NaN or smaller (larger), else `a`; the chosen operand's
    /// bits unchanged. `masks` are two mask registers it may overwrite.
    Extreme {
        max: bool,
        dst: u8,
        a: u8,
        b: u8,
        masks: [u8; 2],
    },
    /// `dst = mask ? a : b`.
    Select {
        dst: u8,
        mask: u8,
        a: u8,
        b: u8,
    },
    /// `stream[row] = src`.
    Store {
        stream: u8,
        src: u8,
    },
    /// The lanes of sum `sum` += `src` (lane order fixed by the evaluator's 64 lanes).
    Accumulate {
        sum: u8,
        src: u8,
    },
}

/// What an input stream holds, row by row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StreamKind {
    /// Floats of the kernel's width.
    Float,
    /// Bools, a byte each (loaded as masks).
    Bytes,
    /// Bools packed a bit each, row `r` at bit `r % 64` of word `r / 64` (a validity
    /// bitmap; loaded into mask registers directly).
    Bits,
}

/// A logical op on masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MaskOp {
    And,
    Or,
    Xor,
}

fn mask_op(op: BinaryOp) -> Option<MaskOp> {
    Some(match op {
        BinaryOp::And => MaskOp::And,
        BinaryOp::Or => MaskOp::Or,
        BinaryOp::Xor => MaskOp::Xor,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
}

/// Where a constant register's value comes from, per pass.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ConstSource {
    Literal(Scalar),
    Param(usize),
}

/// What a kernel compiles to: the code's shape, the cache key (constants' values are not in
/// it, they are read at run time).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Body {
    pub width: Width,
    pub ops: Vec<Op>,
    /// Number of input streams, then output streams (numbered after the inputs; output
    /// stream `inputs + s` is the kernel's store `s`).
    pub inputs: usize,
    pub outputs: usize,
    /// What each input stream holds.
    pub input_kinds: Vec<StreamKind>,
    /// Registers holding the constants, in [`Lowered::consts`] order.
    pub const_registers: Vec<u8>,
    /// Register holding -0.0 (the sign bit) when `Neg` or `Abs` is used.
    pub sign_register: Option<u8>,
    /// First register of each sum's accumulators (one register per lane group, consecutive).
    pub sum_registers: Vec<u8>,
    /// A register free between groups, for folding the sums' lanes at a block's end.
    pub scratch_register: u8,
}

/// A kernel lowered for compilation, with what each pass must hand the code.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    pub body: Body,
    /// Kernel input slot of each input stream.
    pub loads: Vec<usize>,
    /// Each constant register's value.
    pub consts: Vec<ConstSource>,
}

/// The comparison predicates of `vcmpps` that match Rust's operators on floats.
fn predicate(op: BinaryOp) -> Option<u8> {
    Some(match op {
        BinaryOp::Eq => 0x00, // EQ_OQ
        BinaryOp::Ne => 0x04, // NEQ_UQ: NaN != x holds
        BinaryOp::Lt => 0x11, // LT_OQ
        BinaryOp::Le => 0x12, // LE_OQ
        BinaryOp::Gt => 0x1e, // GT_OQ
        BinaryOp::Ge => 0x1d, // GE_OQ
        _ => return None,
    })
}

fn arith(op: BinaryOp) -> Option<Arith> {
    Some(match op {
        BinaryOp::Add => Arith::Add,
        BinaryOp::Sub => Arith::Sub,
        BinaryOp::Mul => Arith::Mul,
        BinaryOp::Div => Arith::Div,
        _ => return None,
    })
}

/// Whether `op` is `maximum` (true) or `minimum` (false), the NaN-propagating extremes.
fn extreme(op: BinaryOp) -> Option<bool> {
    match op {
        BinaryOp::Minimum => Some(false),
        BinaryOp::Maximum => Some(true),
        _ => None,
    }
}

/// The operands of an instruction the compiler covers and how many there are (an array,
/// not a vector: lowering runs on every pass, and its allocations showed in a 1000-row
/// select's profile); `None` for instructions it does not cover.
fn operands(instr: &Instr) -> Option<([usize; 3], usize)> {
    Some(match *instr {
        Instr::Load(_) | Instr::Const(_) | Instr::Param(_) => ([0; 3], 0),
        Instr::Unary(_, a) => ([a, 0, 0], 1),
        Instr::Binary(_, a, b) => ([a, b, 0], 2),
        Instr::Select(c, a, b) => ([c, a, b], 3),
        _ => return None,
    })
}

/// A pool of registers, lowest first.
struct Pool {
    free: Vec<u8>,
}

impl Pool {
    fn new(registers: impl DoubleEndedIterator<Item = u8>) -> Pool {
        Pool {
            free: registers.rev().collect(),
        }
    }
    fn take(&mut self) -> Option<u8> {
        self.free.pop()
    }
    fn give(&mut self, register: u8) {
        self.free.push(register);
    }
}

/// Lowers `kernel` if every value it computes is a float of one width made by ops the
/// compiler covers (loads, constants, params, `+ - * /`, neg, abs, sqrt, `minimum`,
/// `maximum`, comparisons feeding selects, selects) and it only stores values and sums them.
/// `None` for anything else: the evaluator runs those.
///
/// `packed[k]` says kernel input `k` is a bool column whose bits the pass can hand the code
/// as well (a validity bitmap): it is then read a bit per row, not a byte.
pub fn lower(kernel: &Kernel, packed: &[bool]) -> Option<Lowered> {
    let program = &kernel.program;
    let instrs = program.instrs();
    // A hand-built kernel may name values that do not exist (`Program::dtype` would panic).
    let outputs = kernel.reductions.iter().map(|r| r.value);
    if outputs
        .chain(kernel.stores.iter().copied())
        .any(|id| id >= instrs.len())
    {
        return None;
    }
    let width = match kernel
        .reductions
        .iter()
        .map(|r| r.value)
        .chain(kernel.stores.iter().copied())
        .map(|id| program.dtype(id))
        .next()?
    {
        DType::F32 => Width::F32,
        DType::F64 => Width::F64,
        _ => return None,
    };
    let float = width.dtype();
    // Which values are needed, and each one's last use (an index into `instrs`; stores and
    // sums use their value where it is made).
    let mut needed = vec![false; instrs.len()];
    for &id in &kernel.stores {
        *needed.get_mut(id)? = true;
    }
    for r in &kernel.reductions {
        if !matches!(r.op, ReduceOp::Sum | ReduceOp::Mean) || program.dtype(r.value) != float {
            return None;
        }
        *needed.get_mut(r.value)? = true;
    }
    let mut last_use: Vec<usize> = (0..instrs.len()).collect();
    for i in (0..instrs.len()).rev() {
        if !needed[i] {
            continue;
        }
        let (operands, count) = operands(&instrs[i])?;
        for &operand in &operands[..count] {
            if operand >= i {
                return None;
            }
            needed[operand] = true;
            last_use[operand] = last_use[operand].max(i);
        }
    }

    let mut loads = Vec::new();
    let mut input_kinds = Vec::new();
    let mut consts = Vec::new();
    let mut const_ids = Vec::new();
    let uses_sign = instrs.iter().enumerate().any(|(i, instr)| {
        needed[i] && matches!(instr, Instr::Unary(UnaryOp::Neg | UnaryOp::Abs, _))
    });
    for (i, instr) in instrs.iter().enumerate() {
        if !needed[i] {
            continue;
        }
        let dtype = program.dtype(i);
        let is_compare = matches!(instr, Instr::Binary(op, ..) if predicate(*op).is_some());
        let bool_operands = |ids: &[usize]| ids.iter().all(|&a| program.dtype(a) == DType::Bool);
        // Masks: comparisons, bool columns, and `& | ^ !` of masks (a null's validity).
        let is_mask = dtype == DType::Bool
            && match *instr {
                Instr::Load(_) => true,
                Instr::Binary(op, a, b) if mask_op(op).is_some() => bool_operands(&[a, b]),
                Instr::Unary(UnaryOp::Not, a) => bool_operands(&[a]),
                _ => is_compare,
            };
        // Every value is a float of the kernel's width, but masks (which only selects and
        // mask ops may use: checked below).
        if dtype != float && !is_mask {
            return None;
        }
        if is_mask && !is_compare {
            continue;
        }
        match *instr {
            Instr::Const(value) => {
                consts.push(ConstSource::Literal(value));
                const_ids.push(i);
            }
            Instr::Param(k) => {
                consts.push(ConstSource::Param(k));
                const_ids.push(i);
            }
            Instr::Load(_) => {}
            Instr::Unary(UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Sqrt, a)
            | Instr::Binary(_, a, _)
                if program.dtype(a) != float =>
            {
                return None;
            }
            Instr::Unary(UnaryOp::Neg | UnaryOp::Abs | UnaryOp::Sqrt, _) => {}
            Instr::Binary(op, ..) if arith(op).is_some() || is_compare || extreme(op).is_some() => {
            }
            Instr::Select(c, ..) if program.dtype(c) == DType::Bool => {}
            _ => return None,
        }
    }
    // Masks feed selects only, and only as their condition (and mask ops).
    for (i, instr) in instrs.iter().enumerate() {
        if !needed[i] {
            continue;
        }
        let mask_operand = |id: usize| program.dtype(id) == DType::Bool;
        match *instr {
            Instr::Unary(UnaryOp::Not, _) if program.dtype(i) == DType::Bool => {}
            Instr::Binary(op, ..) if mask_op(op).is_some() && program.dtype(i) == DType::Bool => {}
            Instr::Unary(_, a) if mask_operand(a) => return None,
            Instr::Binary(_, a, b) if mask_operand(a) || mask_operand(b) => return None,
            Instr::Select(_, a, b) if mask_operand(a) || mask_operand(b) => return None,
            _ => {}
        }
    }
    if kernel.stores.iter().any(|&id| program.dtype(id) != float) {
        return None;
    }

    // Fixed registers: each sum's accumulators (one per lane group of the 64 lanes), the
    // constants, the sign mask; the rest hold values from their op to their last use.
    let groups = 64 / width.lanes();
    let mut next = 0u8;
    let mut fixed = |count: usize| -> Option<u8> {
        let first = next;
        next = next.checked_add(u8::try_from(count).ok()?)?;
        (next <= VECTOR_REGISTERS).then_some(first)
    };
    let sum_registers = (0..kernel.reductions.len())
        .map(|_| fixed(groups))
        .collect::<Option<Vec<u8>>>()?;
    let const_registers = (0..consts.len())
        .map(|_| fixed(1))
        .collect::<Option<Vec<u8>>>()?;
    let sign_register = if uses_sign { Some(fixed(1)?) } else { None };
    let scratch_register = next;
    let mut vectors = Pool::new(next..VECTOR_REGISTERS);
    let mut masks = Pool::new(1..=MASK_REGISTERS);

    let mut register = vec![u8::MAX; instrs.len()];
    for (&id, &r) in const_ids.iter().zip(&const_registers) {
        register[id] = r;
    }
    let mut ops = Vec::new();
    for (i, instr) in instrs.iter().enumerate() {
        if !needed[i] {
            continue;
        }
        // Operands whose last use is here give their registers back first, so the result
        // may take one (the ops have separate destination and sources).
        let (operands, count) = operands(instr)?;
        let operands = &operands[..count];
        for (k, &operand) in operands.iter().enumerate() {
            let repeated = operands[..k].contains(&operand);
            if last_use[operand] != i || repeated || const_ids.contains(&operand) {
                continue;
            }
            if program.dtype(operand) == DType::Bool {
                masks.give(register[operand]);
            } else {
                vectors.give(register[operand]);
            }
        }
        match *instr {
            Instr::Const(_) | Instr::Param(_) => {}
            Instr::Load(k) => {
                let is_mask = program.dtype(i) == DType::Bool;
                let kind = match (is_mask, packed.get(k).copied().unwrap_or(false)) {
                    (false, _) => StreamKind::Float,
                    (true, false) => StreamKind::Bytes,
                    (true, true) => StreamKind::Bits,
                };
                let stream = match loads.iter().position(|&l| l == k) {
                    Some(s) => s,
                    None => {
                        loads.push(k);
                        input_kinds.push(kind);
                        loads.len() - 1
                    }
                };
                let stream = u8::try_from(stream).ok()?;
                if kind == StreamKind::Bits {
                    let mask = masks.take()?;
                    register[i] = mask;
                    ops.push(Op::LoadBits { mask, stream });
                } else if is_mask {
                    // The bytes pass through a vector register, free again at once.
                    let temp = vectors.take()?;
                    vectors.give(temp);
                    let mask = masks.take()?;
                    register[i] = mask;
                    ops.push(Op::LoadMask { mask, stream, temp });
                } else {
                    let dst = vectors.take()?;
                    register[i] = dst;
                    ops.push(Op::Load { dst, stream });
                }
            }
            Instr::Unary(UnaryOp::Not, a) if program.dtype(i) == DType::Bool => {
                let a = register[a];
                let mask = masks.take()?;
                register[i] = mask;
                ops.push(Op::MaskNot { mask, a });
            }
            Instr::Binary(op, a, b) if program.dtype(i) == DType::Bool && mask_op(op).is_some() => {
                let (a, b) = (register[a], register[b]);
                let mask = masks.take()?;
                register[i] = mask;
                ops.push(Op::MaskLogic {
                    op: mask_op(op)?,
                    mask,
                    a,
                    b,
                });
            }
            Instr::Unary(op, a) => {
                let dst = vectors.take()?;
                let a = register[a];
                register[i] = dst;
                ops.push(match op {
                    UnaryOp::Neg => Op::Neg { dst, a },
                    UnaryOp::Abs => Op::Abs { dst, a },
                    _ => Op::Sqrt { dst, a },
                });
            }
            Instr::Binary(op, a, b) => {
                let (a, b) = (register[a], register[b]);
                if let Some(predicate) = predicate(op) {
                    let mask = masks.take()?;
                    register[i] = mask;
                    ops.push(Op::Compare {
                        predicate,
                        mask,
                        a,
                        b,
                    });
                } else if let Some(max) = extreme(op) {
                    // Two masks for the choice, free again once the op is done.
                    let (m1, m2) = (masks.take()?, masks.take()?);
                    masks.give(m2);
                    masks.give(m1);
                    let dst = vectors.take()?;
                    register[i] = dst;
                    ops.push(Op::Extreme {
                        max,
                        dst,
                        a,
                        b,
                        masks: [m1, m2],
                    });
                } else {
                    let dst = vectors.take()?;
                    register[i] = dst;
                    ops.push(Op::Arith {
                        op: arith(op)?,
                        dst,
                        a,
                        b,
                    });
                }
            }
            Instr::Select(c, a, b) => {
                let (mask, a, b) = (register[c], register[a], register[b]);
                let dst = vectors.take()?;
                register[i] = dst;
                ops.push(Op::Select { dst, mask, a, b });
            }
            _ => return None,
        }
        // Stores and sums of this value, where it is made.
        for (s, _) in kernel.stores.iter().enumerate().filter(|&(_, &id)| id == i) {
            ops.push(Op::Store {
                stream: u8::try_from(s).ok()?, // numbered after the inputs below
                src: register[i],
            });
        }
        for (k, _) in kernel
            .reductions
            .iter()
            .enumerate()
            .filter(|(_, red)| red.value == i)
        {
            ops.push(Op::Accumulate {
                sum: u8::try_from(k).ok()?,
                src: register[i],
            });
        }
        // A value nobody reads again (stored or summed only) frees its register now.
        if last_use[i] == i && !const_ids.contains(&i) {
            if program.dtype(i) == DType::Bool {
                masks.give(register[i]);
            } else {
                vectors.give(register[i]);
            }
        }
    }
    // Output streams are numbered after the inputs.
    let inputs = loads.len();
    for op in &mut ops {
        if let Op::Store { stream, .. } = op {
            *stream = u8::try_from(inputs + usize::from(*stream)).ok()?;
        }
    }
    if inputs + kernel.stores.len() > MAX_STREAMS || scratch_register >= VECTOR_REGISTERS {
        return None;
    }
    Some(Lowered {
        body: Body {
            width,
            ops,
            inputs,
            input_kinds,
            outputs: kernel.stores.len(),
            const_registers,
            sign_register,
            sum_registers,
            scratch_register,
        },
        loads,
        consts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    /// The one kernel of `exprs` over columns named `f0..`, `d0..` (f32, f64) and `i0..`
    /// (i32).
    fn kernel(exprs: &[Expr]) -> Kernel {
        let schema = |name: &str| match name.as_bytes().first() {
            Some(b'f') => Some(DType::F32),
            Some(b'd') => Some(DType::F64),
            Some(b'i') => Some(DType::I32),
            Some(b'b') => Some(DType::Bool),
            _ => None,
        };
        let plan = crate::plan::lower(exprs, 10_000, &schema, &|| "f0".to_string());
        let mut kernels = plan.map(|p| p.kernels).unwrap_or_default();
        assert_eq!(kernels.len(), 1, "{exprs:?}");
        kernels.remove(0)
    }

    fn f(k: usize) -> Expr {
        col(format!("f{k}"))
    }

    #[test]
    fn validity_masks_lower_to_bytes_or_bits() {
        use super::{Op, StreamKind};
        use crate::prelude::*;
        // `when(valid).then(x).otherwise(0).sum()`, as the null rewrite writes a sum.
        let e = when(col("b0")).then(f(0)).otherwise(lit(0.0f32)).sum();
        let k = kernel(&[e]);
        let bytes = lower(&k, &[]).expect("a bool column lowers");
        assert!(bytes.body.input_kinds.contains(&StreamKind::Bytes));
        assert!(
            bytes
                .body
                .ops
                .iter()
                .any(|op| matches!(op, Op::LoadMask { .. }))
        );
        let slot = k.inputs.iter().position(|n| n == "b0").expect("b0 read");
        let mut packed = vec![false; k.inputs.len()];
        packed[slot] = true;
        let bits = lower(&k, &packed).expect("a packed bool column lowers");
        assert!(bits.body.input_kinds.contains(&StreamKind::Bits));
        assert!(
            bits.body
                .ops
                .iter()
                .any(|op| matches!(op, Op::LoadBits { .. }))
        );
        assert_ne!(
            bits.body, bytes.body,
            "a different body, so a different cache entry"
        );
    }

    #[test]
    fn the_fused_shapes_lower() {
        let fused = kernel(&[(f(0) * f(1) + f(2)).sqrt().sum()]);
        let lowered = lower(&fused, &[]).expect("fused lowers");
        assert_eq!(lowered.body.width, Width::F32);
        assert_eq!(lowered.loads.len(), 3);
        assert_eq!(lowered.body.sum_registers.len(), 1);
        let branchy = when(f(0).gt(f(1)))
            .then(f(0) * f(1) - f(2))
            .otherwise(f(2).abs());
        let lowered = lower(&kernel(&[branchy.clone().alias("m"), branchy.sum()]), &[]);
        let body = lowered.expect("branchy lowers").body;
        assert!(body.ops.iter().any(|op| matches!(op, Op::Select { .. })));
        assert!(body.ops.iter().any(|op| matches!(op, Op::Store { .. })));
        assert!(body.sign_register.is_some());
        let clipped = lower(&kernel(&[f(0).clamp(lit(-1.0f32), lit(1.0f32)).sum()]), &[])
            .expect("clip lowers");
        let extremes = clipped.body.ops.iter();
        assert_eq!(
            extremes
                .filter(|op| matches!(op, Op::Extreme { .. }))
                .count(),
            2
        );
    }

    #[test]
    fn what_the_compiler_does_not_cover_stays_on_the_evaluator() {
        let refused = [
            vec![col("i0").sum()],                                   // integers
            vec![(f(0) + col("d0").cast(DType::F32)).sum()],         // a cast
            vec![f(0).sin().sum()],                                  // a transcendental
            vec![f(0).max()],                                        // another reduction
            vec![f(0).sum().alias("a"), col("d0").sum().alias("b")], // two widths
            vec![f(0).gt(f(1)).alias("mask")],                       // a stored mask
        ];
        for exprs in refused {
            assert!(lower(&kernel(&exprs), &[]).is_none(), "{exprs:?}");
        }
        // More streams than general-purpose registers.
        let many: Vec<Expr> = (0..MAX_STREAMS + 1)
            .map(|k| (f(k) * 2.0).alias(format!("o{k}")))
            .collect();
        assert!(lower(&kernel(&many), &[]).is_none());
        // More accumulators than vector registers: five f64 sums need 40.
        let sums: Vec<Expr> = (0..5)
            .map(|k| (col(format!("d{k}")) * 3.0).sum().alias(format!("s{k}")))
            .collect();
        assert!(lower(&kernel(&sums), &[]).is_none());
        assert!(lower(&kernel(&sums[..3]), &[]).is_some());
    }
}
