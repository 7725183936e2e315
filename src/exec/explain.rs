//! A readable account of a plan: each pass, what it reads, the ops it fuses, what it writes,
//! and how the CPU will run it and why.

use std::fmt::Write;

use crate::error::Result;
use crate::options::ExecOptions;
use crate::plan::ir::{Instr, Kernel, Program};
use crate::plan::{Plan, Source};

/// Describes `plan` as it would run with `options`: per pass, the columns it reads, its
/// instructions, what it writes and reduces, the cost estimates and the backend chosen; then
/// the outputs that no pass writes. [`Frame::explain`](crate::Frame::explain) prints this.
/// `resident` gives, per pass, the bytes per row of its inputs already on the GPU (the
/// estimates and the choice depend on it, as they do when the plan runs).
pub fn explain_placed(
    plan: &Plan,
    options: &ExecOptions,
    resident: &dyn Fn(&Kernel) -> Result<f64>,
) -> Result<String> {
    let mut out = String::new();
    let passes = plan.kernels.iter().filter(|k| !k.is_empty()).count();
    let _ = writeln!(out, "plan: {passes} pass(es) over {} rows", plan.rows);
    for (k, kernel) in plan
        .kernels
        .iter()
        .enumerate()
        .filter(|(_, k)| !k.is_empty())
    {
        let _ = writeln!(out, "pass {k}:");
        let _ = writeln!(out, "  reads:  {}", reads(kernel));
        let ops = fused_ops(&kernel.program);
        let _ = writeln!(
            out,
            "  fuses:  {}",
            if ops.is_empty() { "-".into() } else { ops }
        );
        for (i, &s) in kernel.stores.iter().enumerate() {
            let name = output_name(plan, |src| {
                *src == Source::Store {
                    kernel: k,
                    index: i,
                }
            });
            let _ = writeln!(
                out,
                "  writes: column {name} ({}, %{s})",
                kernel.program.dtype(s)
            );
        }
        for r in &kernel.reductions {
            let _ = writeln!(
                out,
                "  reduce: {}(%{}) -> {}",
                r.op.name(),
                r.value,
                r.dtype
            );
        }
        if !kernel.params.is_empty() {
            let _ = writeln!(
                out,
                "  params: {} value(s) from earlier passes",
                kernel.params.len()
            );
        }
        let costs = crate::calibrate::costs()?;
        let choice = crate::cost::choose_explained(kernel, resident(kernel)?, options, &costs)?;
        // A column can be loaded again after a loop; it is read from memory once.
        let mut loads: Vec<(usize, usize)> = (kernel.program.instrs().iter().enumerate())
            .filter_map(|(id, i)| match i {
                Instr::Load(k) => Some((*k, kernel.program.dtype(id).size_of())),
                _ => None,
            })
            .collect();
        loads.sort_unstable();
        loads.dedup();
        let bytes: usize = kernel.rows * loads.iter().map(|&(_, size)| size).sum::<usize>();
        let estimates: Vec<String> = choice
            .estimates
            .iter()
            .map(|(way, ns)| format!("{way} {}", crate::cost::us(*ns)))
            .collect();
        let _ = writeln!(out, "  estimates: {}", estimates.join(", "));
        let how = &choice.reason;
        let s = choice.schedule;
        let way = match choice.way {
            crate::cost::Way::Gpu => "gpu".to_string(),
            _ => format!("cpu/{}", s.isa),
        };
        let _ = writeln!(out, "  choice: {way} — {how}; reads {bytes} bytes");
        if choice.way != crate::cost::Way::Gpu {
            let code = crate::cpu::jit::describe(kernel, s.isa);
            let _ = writeln!(out, "  cpu code: {code}");
        }
    }
    for o in plan
        .outputs
        .iter()
        .filter(|o| !matches!(o.source, Source::Store { .. }))
    {
        let how = match o.source {
            Source::Input(ref n) => format!("column {n} passed through (no copy)"),
            _ => "computed from pass results".into(),
        };
        let _ = writeln!(out, "output {} ({}): {how}", o.name, o.dtype);
    }
    Ok(out)
}

fn reads(kernel: &Kernel) -> String {
    if kernel.inputs.is_empty() {
        return "-".into();
    }
    kernel.inputs.join(", ")
}

fn output_name(plan: &Plan, is: impl Fn(&Source) -> bool) -> String {
    plan.outputs
        .iter()
        .find(|o| is(&o.source))
        .map_or("?".into(), |o| o.name.clone())
}

/// The program's instructions in SSA form, one per line-item: `%3 = sqrt(%2)`.
fn fused_ops(program: &Program) -> String {
    let mut items = Vec::new();
    for (id, instr) in program.instrs().iter().enumerate() {
        let text = match instr {
            Instr::Load(k) => format!("load #{k}"),
            Instr::Const(c) => format!("{c}"),
            Instr::Param(k) => format!("param #{k}"),
            Instr::Unary(op, a) => format!("{}(%{a})", op.name()),
            Instr::Binary(op, a, b) => format!("%{a} {} %{b}", op.name()),
            Instr::Select(c, a, b) => format!("%{c} ? %{a} : %{b}"),
            Instr::Cast(t, a) => format!("%{a} as {t}"),
            Instr::KernelResult { kernel, output } => format!("result {kernel}.{output}"),
            Instr::ReduceScalar(op, a) => format!("{}(%{a})", op.name()),
            Instr::RowIndex => "row index".to_string(),
            Instr::LoopBegin => "loop {".to_string(),
            Instr::LoopState { init, .. } => format!("state from %{init}"),
            Instr::LoopEnd {
                max_iter,
                cond,
                updates,
                ..
            } => {
                let updates: Vec<String> = updates.iter().map(|u| format!("%{u}")).collect();
                format!(
                    "}} while %{cond} at most {max_iter} times, updating to ({}); steps",
                    updates.join(", ")
                )
            }
        };
        items.push(format!("%{id} = {text}"));
    }
    items.join("; ")
}

/// The examples of this file's items, run as unit tests: the items are crate-private, so
/// a doctest could not reach them.
#[cfg(test)]
mod examples {
    #[test]
    fn explain_example() -> crate::Result<()> {
        use crate::prelude::*;
        let schema = |name: &str| (name == "a").then_some(DType::F32);
        let exprs = [(col("a") * lit(2.0)).alias("b"), col("a").sum().alias("s")];
        let plan = crate::plan::lower(&exprs, 4, &schema, &|| "a".into())?;
        let text = crate::exec::explain_placed(
            &plan,
            &ExecOptions::new().backend(Backend::Cpu1),
            &|_| Ok(0.0),
        )?;
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "plan: 1 pass(es) over 4 rows");
        assert_eq!(lines[2], "  reads:  a");
        assert_eq!(lines[3], "  fuses:  %0 = load #0; %1 = 2.0; %2 = %0 * %1");
        assert_eq!(lines[4], "  writes: column b (f32, %2)");
        assert_eq!(lines[5], "  reduce: sum(%0) -> f32");
        assert!(lines[7].contains("forced: backend cpu1"));
        // Four rows stay on the evaluator, whose fixed cost is lower (`cpu/jit` MIN_ROWS).
        assert!(
            lines[8].starts_with("  cpu code: tile evaluator"),
            "{}",
            lines[8]
        );
        assert_eq!(lines[9], "output s (f32): computed from pass results");
        Ok::<(), crate::Error>(())
    }
}
