//! AVX-512 machine code for a lowered body (iced-x86's assembler encodes it).
//!
//! The function takes one argument, a pointer to `u64` words: the number of 64-row groups,
//! the groups per block (0: never close a block), a pointer to the constants (then -0.0), a
//! pointer to the sums' lanes (64 per sum: the state on entry, the state on return, and the
//! identity a new block starts from), a pointer where each closed block leaves one partial
//! per sum, then one pointer per input stream and per output stream, each at the first row.
//! Per group it runs the body once per register of rows (4 times for f32, 8 for f64), each
//! time on the next register of rows of every stream (64 bytes of floats; 16 or 8 bytes of a
//! bool stream, tested into a mask) and into the next accumulator of every sum, so
//! lane `j` of a sum takes rows `j`, `j + 64`, ... as the evaluator's lanes do. At a block's
//! end it folds each sum's lanes by the evaluator's tree (`fold_lanes`: halving the width,
//! lower lanes first) into that block's partial.

use iced_x86::IcedError;
use iced_x86::code_asm::*;

use super::lower::{Arith, Body, MAX_STREAMS, MaskOp, Op, Width};

const ZMM: [AsmRegisterZmm; 32] = [
    zmm0, zmm1, zmm2, zmm3, zmm4, zmm5, zmm6, zmm7, zmm8, zmm9, zmm10, zmm11, zmm12, zmm13, zmm14,
    zmm15, zmm16, zmm17, zmm18, zmm19, zmm20, zmm21, zmm22, zmm23, zmm24, zmm25, zmm26, zmm27,
    zmm28, zmm29, zmm30, zmm31,
];
const YMM: [AsmRegisterYmm; 32] = [
    ymm0, ymm1, ymm2, ymm3, ymm4, ymm5, ymm6, ymm7, ymm8, ymm9, ymm10, ymm11, ymm12, ymm13, ymm14,
    ymm15, ymm16, ymm17, ymm18, ymm19, ymm20, ymm21, ymm22, ymm23, ymm24, ymm25, ymm26, ymm27,
    ymm28, ymm29, ymm30, ymm31,
];
const XMM: [AsmRegisterXmm; 32] = [
    xmm0, xmm1, xmm2, xmm3, xmm4, xmm5, xmm6, xmm7, xmm8, xmm9, xmm10, xmm11, xmm12, xmm13, xmm14,
    xmm15, xmm16, xmm17, xmm18, xmm19, xmm20, xmm21, xmm22, xmm23, xmm24, xmm25, xmm26, xmm27,
    xmm28, xmm29, xmm30, xmm31,
];
const K: [AsmRegisterK; 8] = [k0, k1, k2, k3, k4, k5, k6, k7];
/// Registers holding the streams' base pointers. `rax` is the first row of the current
/// group, `rcx` its byte offset in bit-packed streams, `rdx` the lanes pointer, `r14` the groups left in the block,
/// `r15` where the next partial goes; `rdi` (the argument) is read last.
const STREAMS: [AsmRegister64; MAX_STREAMS] = [rsi, r8, r9, r10, r11, rbx, rbp, r12, r13, rdi];
/// Callee-saved registers among them (System V), pushed on entry.
const SAVED: [AsmRegister64; 6] = [rbx, rbp, r12, r13, r14, r15];

fn zmm(r: u8) -> AsmRegisterZmm {
    ZMM[usize::from(r) % 32]
}

fn ymm(r: u8) -> AsmRegisterYmm {
    YMM[usize::from(r) % 32]
}

fn xmm(r: u8) -> AsmRegisterXmm {
    XMM[usize::from(r) % 32]
}

fn k(r: u8) -> AsmRegisterK {
    K[usize::from(r) % 8]
}

/// `dst` written only where mask `r` is set (k1-k7).
fn masked(dst: AsmRegisterZmm, r: u8) -> AsmRegisterZmm {
    match r {
        1 => dst.k1(),
        2 => dst.k2(),
        3 => dst.k3(),
        4 => dst.k4(),
        5 => dst.k5(),
        6 => dst.k6(),
        _ => dst.k7(),
    }
}

/// The machine code of `body`, position-independent (only relative jumps inside).
pub fn emit(body: &Body) -> Result<Vec<u8>, IcedError> {
    let mut a = CodeAssembler::new(64)?;
    let bytes = body.width.bytes();
    let registers_per_group = 64 / body.width.lanes();
    let streams = body.inputs + body.outputs;

    for &r in &SAVED {
        a.push(r)?;
    }
    // `rax` counts rows (64 per group): float streams scale it by their width, byte bool
    // streams take it as it is. `rcx` counts the bytes of bit-packed streams (8 per group).
    // The end row and the groups per block stay on the stack.
    a.push(qword_ptr(rdi + 8))?;
    a.mov(rcx, qword_ptr(rdi))?;
    a.shl(rcx, 6)?;
    a.push(rcx)?;
    a.mov(r14, qword_ptr(rdi + 8))?;
    a.mov(r15, qword_ptr(rdi + 32))?;
    a.mov(rdx, qword_ptr(rdi + 16))?;
    for (c, &r) in body.const_registers.iter().enumerate() {
        broadcast(&mut a, body.width, r, rdx + (c * bytes) as i32)?;
    }
    if let Some(r) = body.sign_register {
        broadcast(
            &mut a,
            body.width,
            r,
            rdx + (body.const_registers.len() * bytes) as i32,
        )?;
    }
    a.mov(rdx, qword_ptr(rdi + 24))?;
    move_lanes(&mut a, body, true)?;
    // `rdi` is the last stream register, so it is overwritten last.
    for (s, &base) in STREAMS.iter().enumerate().take(streams) {
        a.mov(base, qword_ptr(rdi + (40 + 8 * s) as i32))?;
    }
    a.xor(eax, eax)?;
    let mut done = a.create_label();
    let mut top = a.create_label();
    a.test(rcx, rcx)?;
    a.jz(done)?;
    a.xor(ecx, ecx)?;
    a.set_label(&mut top)?;
    for g in 0..registers_per_group {
        let disp = (g * 64) as i32;
        for op in &body.ops {
            emit_op(&mut a, body, *op, g as u8, disp)?;
        }
    }
    a.add(rax, 64)?;
    a.add(rcx, 8)?;
    if !body.sum_registers.is_empty() {
        let mut same_block = a.create_label();
        a.dec(r14)?;
        a.jnz(same_block)?;
        for (s, &first) in body.sum_registers.iter().enumerate() {
            fold(&mut a, body, first, s)?;
        }
        a.add(r15, (body.sum_registers.len() * bytes) as i32)?;
        move_lanes(&mut a, body, true)?;
        a.mov(r14, qword_ptr(rsp + 8))?;
        a.set_label(&mut same_block)?;
    }
    a.cmp(rax, qword_ptr(rsp))?;
    a.jb(top)?;
    a.set_label(&mut done)?;
    move_lanes(&mut a, body, false)?;
    a.vzeroupper()?;
    a.add(rsp, 16)?;
    for &r in SAVED.iter().rev() {
        a.pop(r)?;
    }
    a.ret()?;
    a.assemble(0)
}

fn broadcast(
    a: &mut CodeAssembler,
    width: Width,
    r: u8,
    at: AsmMemoryOperand,
) -> Result<(), IcedError> {
    match width {
        Width::F32 => a.vbroadcastss(zmm(r), dword_ptr(at)),
        Width::F64 => a.vbroadcastsd(zmm(r), qword_ptr(at)),
    }
}

/// One op over register `group` of the rows (`disp` bytes into each stream's group).
fn emit_op(
    a: &mut CodeAssembler,
    body: &Body,
    op: Op,
    group: u8,
    disp: i32,
) -> Result<(), IcedError> {
    let f64 = body.width == Width::F64;
    let scale = body.width.bytes() as i32;
    let base = |s: u8| STREAMS[usize::from(s) % MAX_STREAMS];
    let stream = |s: u8| zmmword_ptr(base(s) + rax * scale + disp);
    // A bool stream's bytes for this register of rows.
    let lanes = body.width.lanes() as i32;
    let bools = |s: u8| base(s) + rax + i32::from(group) * lanes;
    let sign = zmm(body.sign_register.unwrap_or(0));
    match op {
        Op::Load { dst, stream: s } => a.vmovups(zmm(dst), stream(s)),
        // A lane is set where its bool's byte is not zero (AVX-512BW with VL).
        Op::LoadMask {
            mask,
            stream: s,
            temp,
        } => {
            if f64 {
                a.vmovq(xmm(temp), qword_ptr(bools(s)))?;
            } else {
                a.vmovdqu8(xmm(temp), xmmword_ptr(bools(s)))?;
            }
            a.vptestmb(k(mask), xmm(temp), xmm(temp))
        }
        // 16 (f32) or 8 (f64) rows' bits straight into the mask.
        Op::LoadBits { mask, stream: s } if f64 => {
            a.kmovb(k(mask), byte_ptr(base(s) + rcx + i32::from(group)))
        }
        Op::LoadBits { mask, stream: s } => {
            a.kmovw(k(mask), word_ptr(base(s) + rcx + 2 * i32::from(group)))
        }
        Op::MaskLogic {
            op,
            mask,
            a: x,
            b: y,
        } => match op {
            MaskOp::And => a.kandw(k(mask), k(x), k(y)),
            MaskOp::Or => a.korw(k(mask), k(x), k(y)),
            MaskOp::Xor => a.kxorw(k(mask), k(x), k(y)),
        },
        // The bits past the lanes flip too; nothing reads them.
        Op::MaskNot { mask, a: x } => a.knotw(k(mask), k(x)),
        Op::Store { stream: s, src } => a.vmovups(stream(s), zmm(src)),
        // Sign flip and sign clear: exact on every value, NaN included (integer ops on the
        // bits, AVX-512F; the float forms need DQ).
        Op::Neg { dst, a: x } => a.vpxord(zmm(dst), zmm(x), sign),
        Op::Abs { dst, a: x } => a.vpandnd(zmm(dst), sign, zmm(x)),
        Op::Sqrt { dst, a: x } if f64 => a.vsqrtpd(zmm(dst), zmm(x)),
        Op::Sqrt { dst, a: x } => a.vsqrtps(zmm(dst), zmm(x)),
        Op::Arith {
            op,
            dst,
            a: x,
            b: y,
        } => {
            let (d, x, y) = (zmm(dst), zmm(x), zmm(y));
            match (op, f64) {
                (Arith::Add, false) => a.vaddps(d, x, y),
                (Arith::Sub, false) => a.vsubps(d, x, y),
                (Arith::Mul, false) => a.vmulps(d, x, y),
                (Arith::Div, false) => a.vdivps(d, x, y),
                (Arith::Add, true) => a.vaddpd(d, x, y),
                (Arith::Sub, true) => a.vsubpd(d, x, y),
                (Arith::Mul, true) => a.vmulpd(d, x, y),
                (Arith::Div, true) => a.vdivpd(d, x, y),
            }
        }
        Op::Compare {
            predicate,
            mask,
            a: x,
            b: y,
        } if f64 => a.vcmppd(k(mask), zmm(x), zmm(y), u32::from(predicate)),
        Op::Compare {
            predicate,
            mask,
            a: x,
            b: y,
        } => a.vcmpps(k(mask), zmm(x), zmm(y), u32::from(predicate)),
        // dst = mask ? a : b: the blend takes its second source where the mask is set.
        Op::Select {
            dst,
            mask,
            a: x,
            b: y,
        } if f64 => a.vblendmpd(masked(zmm(dst), mask), zmm(y), zmm(x)),
        Op::Select {
            dst,
            mask,
            a: x,
            b: y,
        } => a.vblendmps(masked(zmm(dst), mask), zmm(y), zmm(x)),
        // b replaces a where (b < a, or b > a for max, or b is NaN) and a is not NaN.
        Op::Extreme {
            max,
            dst,
            a: x,
            b: y,
            masks: [m1, m2],
        } => {
            let (x, y, first, second) = (zmm(x), zmm(y), k(m1), k(m2));
            let better = if max { 0x1e } else { 0x11 }; // GT_OQ, LT_OQ
            let cmp = |a: &mut CodeAssembler, m, p: AsmRegisterZmm, q: AsmRegisterZmm, imm: u32| {
                if f64 {
                    a.vcmppd(m, p, q, imm)
                } else {
                    a.vcmpps(m, p, q, imm)
                }
            };
            cmp(a, first, y, x, better)?;
            cmp(a, second, y, y, 0x03)?; // UNORD_Q: b is NaN
            a.korw(first, first, second)?;
            cmp(a, second, x, x, 0x07)?; // ORD_Q: a is not NaN
            a.kandw(first, first, second)?;
            // The blend takes its second source where the mask is set.
            if f64 {
                a.vblendmpd(masked(zmm(dst), m1), x, y)
            } else {
                a.vblendmps(masked(zmm(dst), m1), x, y)
            }
        }
        Op::Accumulate { sum, src } => {
            let first = body
                .sum_registers
                .get(usize::from(sum))
                .copied()
                .unwrap_or(0);
            let acc = zmm(first + group);
            if f64 {
                a.vaddpd(acc, acc, zmm(src))
            } else {
                a.vaddps(acc, acc, zmm(src))
            }
        }
    }
}

/// Every sum's accumulators from (`load`) or to the lanes at `rdx`.
fn move_lanes(a: &mut CodeAssembler, body: &Body, load: bool) -> Result<(), IcedError> {
    let bytes = body.width.bytes();
    for (s, &first) in body.sum_registers.iter().enumerate() {
        for g in 0..64 / body.width.lanes() {
            let (register, at) = (zmm(first + g as u8), rdx + (s * 64 * bytes + g * 64) as i32);
            if load {
                a.vmovups(register, zmmword_ptr(at))?;
            } else {
                a.vmovups(zmmword_ptr(at), register)?;
            }
        }
    }
    Ok(())
}

/// Folds sum `s`'s 64 lanes (registers from `first`) as `fold_lanes` does: lane `j` takes
/// lane `j + width` for width 32, 16, ..., 1, lower lanes as the first operand. Leaves the
/// partial at `r15 + s * size`.
fn fold(a: &mut CodeAssembler, body: &Body, first: u8, s: usize) -> Result<(), IcedError> {
    let f64 = body.width == Width::F64;
    let add = |a: &mut CodeAssembler, d: AsmRegisterZmm, x: AsmRegisterZmm| {
        if f64 {
            a.vaddpd(d, d, x)
        } else {
            a.vaddps(d, d, x)
        }
    };
    // Whole registers first: 64 lanes are 4 (f32) or 8 (f64) registers.
    let mut registers = 64 / body.width.lanes();
    while registers > 1 {
        registers /= 2;
        for j in 0..registers {
            add(a, zmm(first + j as u8), zmm(first + (j + registers) as u8))?;
        }
    }
    // Then within the register: the upper 256, 128, 64 (f32) and 32 bits onto the lower.
    // A 256- or 128-bit write zeroes the bits above it, which the next extract no longer
    // needs; the accumulators are reloaded after the fold.
    let (acc, t) = (first, body.scratch_register);
    let (x, tx) = (xmm(acc), xmm(t));
    a.vextractf64x4(ymm(t), zmm(acc), 1)?;
    if f64 {
        a.vaddpd(ymm(acc), ymm(acc), ymm(t))?;
        a.vextractf32x4(tx, zmm(acc), 1)?;
        a.vaddpd(x, x, tx)?;
        a.vunpckhpd(tx, x, x)?;
        a.vaddsd(x, x, tx)?;
        a.vmovsd(qword_ptr(r15 + (s * 8) as i32), x)
    } else {
        a.vaddps(ymm(acc), ymm(acc), ymm(t))?;
        a.vextractf32x4(tx, zmm(acc), 1)?;
        a.vaddps(x, x, tx)?;
        a.vmovhlps(tx, tx, x)?;
        a.vaddps(x, x, tx)?;
        a.vmovshdup(tx, x)?;
        a.vaddss(x, x, tx)?;
        a.vmovss(dword_ptr(r15 + (s * 4) as i32), x)
    }
}
