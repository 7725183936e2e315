//! Instructions the tile evaluator runs inside their one user instead of on their own.
//!
//! An interpreter runs each instruction as its own loop over a tile, so an instruction whose
//! only use is the next step costs a store and a reload of every row, and its loop cannot
//! overlap with its user's. Where the user can take the work into its own loop, the
//! instruction is skipped. Three cases, each only where the skipped value has that one use:
//!
//! - integers summed into i64 (`sum` of an i32, u32 or bool column casts to i64 first, so
//!   nothing overflows): the reduction's lane loop widens as it adds;
//! - `sqrt` or `abs` of floats summed: the lane loop applies the op as it adds;
//! - two float `+ - *` in a row (`a*b + c`): one loop computes both, rounding after each
//!   (no contraction into a fused multiply-add, so every ISA gives the same bits).
//!
//! Measured in BENCHMARKS.md (issue 13).

use crate::dtype::DType;
use crate::ops::{BinaryOp, ReduceOp, UnaryOp};
use crate::plan::ir::{Id, Instr, Kernel};

/// How a reduction takes its tile of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feed {
    /// The value's register (or input column).
    Direct,
    /// The value is `Cast(I64, from)` with `from` of dtype bool, i32 or u32: the lanes widen
    /// `from`'s values themselves.
    WidenToI64 { from: Id },
    /// The value is `Unary(op, from)`, `op` one of [`LANE_UNARY`] on floats: the lanes apply
    /// it.
    Unary { op: UnaryOp, from: Id },
}

/// The unary ops a float sum's lanes apply themselves: cheap, and exact (the same bits
/// whether computed here or in their own loop). Not `-`: LLVM may rewrite `a + (-v)` as
/// `a - v`, which keeps a NaN's sign where the unfused loop flipped it.
pub const LANE_UNARY: [UnaryOp; 2] = [UnaryOp::Sqrt, UnaryOp::Abs];

/// The arithmetic ops fused in pairs.
const PAIRED: [BinaryOp; 3] = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul];

/// An instruction `op(inner, other)` (or `op(other, inner)` when `inner_right`) whose operand
/// `inner` is itself a float `+ - *` computed in the same loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub inner: Id,
    pub inner_right: bool,
}

/// What the evaluator fuses in one kernel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fusion {
    /// Instructions not to evaluate: their one user computes them.
    pub skip: Vec<bool>,
    /// One per reduction.
    pub feeds: Vec<Feed>,
    /// Per instruction: the operand it computes in its own loop, if any.
    pub pairs: Vec<Option<Pair>>,
}

impl Fusion {
    /// Nothing fused: every instruction in its own loop, every reduction fed directly.
    pub fn none(kernel: &Kernel) -> Fusion {
        Fusion {
            skip: vec![false; kernel.program.len()],
            feeds: vec![Feed::Direct; kernel.reductions.len()],
            pairs: vec![None; kernel.program.len()],
        }
    }
}

/// How many times each instruction's value is read: by instructions, stores and reductions.
fn use_counts(kernel: &Kernel) -> Vec<usize> {
    let program = &kernel.program;
    let mut uses = vec![0usize; program.len()];
    let mut read = |id: Id| {
        if let Some(u) = uses.get_mut(id) {
            *u += 1;
        }
    };
    for instr in program.instrs() {
        match instr {
            Instr::Unary(_, a) | Instr::Cast(_, a) | Instr::ReduceScalar(_, a) => read(*a),
            Instr::Binary(_, a, b) => {
                read(*a);
                read(*b);
            }
            Instr::Select(c, a, b) => {
                read(*c);
                read(*a);
                read(*b);
            }
            Instr::LoopState { begin, init } => {
                read(*begin);
                read(*init);
            }
            Instr::LoopEnd {
                begin,
                cond,
                updates,
                ..
            } => {
                read(*begin);
                read(*cond);
                updates.iter().for_each(|&u| read(u));
            }
            Instr::Load(_)
            | Instr::Const(_)
            | Instr::Param(_)
            | Instr::RowIndex
            | Instr::KernelResult { .. }
            | Instr::LoopBegin => {}
        }
    }
    kernel.stores.iter().for_each(|&s| read(s));
    kernel.reductions.iter().for_each(|r| read(r.value));
    uses
}

/// The fusions of `kernel`. Kernels with per-row loops fuse nothing (their tiles step
/// through the loop together, and a value's uses may come round again).
pub fn plan(kernel: &Kernel) -> Fusion {
    let program = &kernel.program;
    let mut fusion = Fusion::none(kernel);
    if program.instrs().contains(&Instr::LoopBegin) {
        return fusion;
    }
    let uses = use_counts(kernel);
    for (feed, red) in fusion.feeds.iter_mut().zip(&kernel.reductions) {
        if !matches!(red.op, ReduceOp::Sum | ReduceOp::Mean) || uses.get(red.value) != Some(&1) {
            continue;
        }
        match program.instrs().get(red.value) {
            Some(&Instr::Cast(DType::I64, from))
                if matches!(program.dtype(from), DType::Bool | DType::I32 | DType::U32) =>
            {
                *feed = Feed::WidenToI64 { from };
                fusion.skip[red.value] = true;
            }
            Some(&Instr::Unary(op, from))
                if LANE_UNARY.contains(&op) && program.dtype(from).is_float() =>
            {
                *feed = Feed::Unary { op, from };
                fusion.skip[red.value] = true;
            }
            _ => {}
        }
    }
    let paired = |id: Id| match program.instrs().get(id) {
        Some(Instr::Binary(op, _, _)) => {
            PAIRED.contains(op) && program.dtype(id).is_float() && uses.get(id) == Some(&1)
        }
        _ => false,
    };
    for (i, instr) in program.instrs().iter().enumerate() {
        let &Instr::Binary(op, a, b) = instr else {
            continue;
        };
        // An operand already fused into this one's user is not available to pair.
        if !PAIRED.contains(&op) || !program.dtype(i).is_float() || fusion.skip[i] {
            continue;
        }
        // An operand that computes its own pair cannot be computed here too: its inner
        // operand has no register (`x + 1 + 1 + 1` pairs the first two and the last two).
        let free = |id: Id| paired(id) && fusion.pairs.get(id) == Some(&None);
        let (inner, inner_right) = if free(a) {
            (a, false)
        } else if free(b) {
            (b, true)
        } else {
            continue;
        };
        fusion.pairs[i] = Some(Pair { inner, inner_right });
        fusion.skip[inner] = true;
    }
    fusion
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prelude::*;

    fn kernel(exprs: &[Expr], dtype: DType) -> Kernel {
        let schema = move |name: &str| (name == "x").then_some(dtype);
        let plan = crate::plan::lower(exprs, 1000, &schema, &|| "x".to_string()).unwrap();
        plan.kernels[0].clone()
    }

    #[test]
    fn an_integer_sum_widens_in_its_lanes() {
        let k = kernel(&[col("x").sum()], DType::I32);
        let fusion = plan(&k);
        assert!(matches!(fusion.feeds[0], Feed::WidenToI64 { .. }));
        assert_eq!(fusion.skip.iter().filter(|&&s| s).count(), 1);
    }

    #[test]
    fn a_cast_with_another_use_is_still_computed() {
        let x = || col("x").cast(DType::I64);
        let k = kernel(&[x().sum(), x().max().alias("m")], DType::I32);
        let fusion = plan(&k);
        assert_eq!(fusion.feeds, [Feed::Direct, Feed::Direct]);
        assert!(fusion.skip.iter().all(|&s| !s));
    }

    #[test]
    fn a_chain_pairs_each_op_once() {
        let k = kernel(
            &[(col("x") + lit(1.0) + lit(2.0) + lit(3.0) + lit(4.0)).sum()],
            DType::F32,
        );
        let fusion = plan(&k);
        for (i, pair) in fusion.pairs.iter().enumerate() {
            if let Some(pair) = pair {
                assert!(!fusion.skip[i], "a skipped instruction computes a pair");
                assert!(fusion.pairs[pair.inner].is_none(), "a pair inside a pair");
            }
        }
        assert_eq!(fusion.pairs.iter().flatten().count(), 2);
    }

    #[test]
    fn float_sums_are_fed_directly() {
        let k = kernel(&[col("x").sum()], DType::F32);
        assert_eq!(plan(&k).feeds, [Feed::Direct]);
    }

    #[test]
    fn the_fused_shape_pairs_its_multiply_add_and_sums_its_sqrt_in_the_lanes() {
        let x = || col("x");
        let k = kernel(&[(x() * x() + lit(1.0f32)).sqrt().sum()], DType::F32);
        let fusion = plan(&k);
        assert!(matches!(
            fusion.feeds[0],
            Feed::Unary {
                op: UnaryOp::Sqrt,
                ..
            }
        ));
        assert_eq!(fusion.pairs.iter().flatten().count(), 1);
        assert_eq!(fusion.skip.iter().filter(|&&s| s).count(), 2); // the sqrt and the multiply
    }

    #[test]
    fn a_product_used_twice_is_not_paired() {
        let p = || col("x") * col("x");
        let k = kernel(&[(p() + p() * lit(2.0f32)).sum()], DType::F32);
        let fusion = plan(&k);
        assert!(fusion.pairs.iter().all(|p| p.is_none_or(|p| !matches!(
            k.program.instrs()[p.inner], Instr::Binary(BinaryOp::Mul, a, b) if a == b
        ))));
    }
}
