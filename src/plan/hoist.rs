//! Loop-invariant code motion for per-row loops: the parts of a loop's condition and updates
//! that do not read the loop's states are the same at every step, so they are lowered before
//! the loop begins; when the body is lowered, common-subexpression sharing finds them there
//! and the body only refers to them. In the Mandelbrot example the pixel's point `c`
//! (row index, `%`, `/`, casts and scaling: 14 of the body's 26 instructions, integer division
//! among them) was computed again at every step, on the CPU and in the GPU shader alike.

use crate::expr::{Expr, LoopSpec};

/// The largest parts of `spec`'s condition and updates that read none of its states and are
/// worth computing once: they vary by row (a column, the row index or an enclosing loop's
/// state) and are more than a bare column or literal. Nested loops stay where they are.
/// In `state("v") + col("x") * 2.0` the part is `col("x") * 2.0`.
pub(super) fn invariant_parts(spec: &LoopSpec) -> Vec<&Expr> {
    let names: Vec<&str> = spec.states.iter().map(|s| s.name.as_str()).collect();
    let mut parts = Vec::new();
    let roots = spec
        .cond
        .iter()
        .chain(spec.states.iter().filter_map(|s| s.update.as_ref()));
    for root in roots {
        if invariant(root, &names, &mut parts) {
            keep_if_worth(root, &mut parts);
        }
    }
    parts
}

/// Whether `e` reads none of the states in `names`; the largest invariant parts of a
/// variant `e` are added to `parts`.
#[recursive::recursive]
fn invariant<'e>(e: &'e Expr, names: &[&str], parts: &mut Vec<&'e Expr>) -> bool {
    match e {
        Expr::LoopState(name) => return !names.contains(&name.as_str()),
        // A nested loop is lowered in its own place, with its own scope.
        Expr::Loop(..) => return false,
        _ => {}
    }
    let children = e.operands();
    let flags: Vec<bool> = children
        .iter()
        .map(|c| invariant(c, names, parts))
        .collect();
    if flags.iter().all(|&f| f) {
        return true;
    }
    for (child, flag) in children.into_iter().zip(flags) {
        if flag {
            keep_if_worth(child, parts);
        }
    }
    false
}

fn keep_if_worth<'e>(e: &'e Expr, parts: &mut Vec<&'e Expr>) {
    let leaf = matches!(e, Expr::Column(_) | Expr::Literal(_) | Expr::LoopState(_));
    if !leaf && varies_by_row(e) {
        parts.push(e);
    }
}

/// Whether `e` reads anything that differs between rows (else it folds to a constant or is
/// a reduction's single value, computed before the pass).
#[recursive::recursive]
fn varies_by_row(e: &Expr) -> bool {
    match e {
        Expr::Column(_) | Expr::RowIndex | Expr::LoopState(_) | Expr::Loop(..) => true,
        Expr::Reduce(..) => false,
        _ => e.operands().into_iter().any(varies_by_row),
    }
}

#[cfg(test)]
mod tests {
    use super::invariant_parts;
    use crate::expr::Expr;
    use crate::prelude::*;

    fn spec(e: &Expr) -> &crate::expr::LoopSpec {
        match e {
            Expr::Loop(spec, _) => spec,
            _ => panic!("not a loop"),
        }
    }

    #[test]
    fn the_parts_that_read_no_state_are_found_largest_first() {
        let scaled = (col("x") + lit(0.5)) * lit(2.0);
        let e = iterate(8)
            .state("v", lit(0.0))
            .while_(state("v").lt(col("limit").sqrt()))
            .update("v", state("v") * state("v") + scaled.clone())
            .iterations();
        let parts: Vec<String> = invariant_parts(spec(&e))
            .iter()
            .map(|p| p.to_string())
            .collect();
        assert_eq!(parts, [col("limit").sqrt().to_string(), scaled.to_string()]);
    }

    #[test]
    fn bare_columns_literals_and_reductions_stay() {
        let e = iterate(8)
            .state("v", lit(0.0))
            .update(
                "v",
                state("v") + col("x") + lit(1.0) + col("x").mean() * lit(2.0),
            )
            .iterations();
        assert!(invariant_parts(spec(&e)).is_empty());
    }

    #[test]
    fn an_update_that_reads_no_state_is_hoisted_whole() {
        let e = iterate(8)
            .state("v", lit(0.0))
            .update("v", row_index().cast(DType::F32) * lit(3.0))
            .iterations();
        assert_eq!(invariant_parts(spec(&e)).len(), 1);
    }

    /// Lowered, the body of a loop whose row-index arithmetic reads no state holds no
    /// row index, cast, unary op or load: they run once, before the loop.
    #[test]
    fn the_lowered_body_holds_only_what_states_feed() {
        use crate::plan::ir::Instr;
        let stepped = iterate(30)
            .state("v", lit(0.0f32))
            .while_(state("v").lt(col("a32").abs().sqrt().minimum(lit(50.0))))
            .update(
                "v",
                state("v") + (row_index() % lit(7u32)).cast(DType::F32) + lit(0.5),
            );
        let schema = |name: &str| (name == "a32").then_some(DType::F32);
        let plan = crate::plan::lower(&[stepped.iterations()], 10, &schema, &|| "a32".into())
            .expect("plan");
        let program = &plan.kernels[0].program;
        let instrs = program.instrs();
        let begin = instrs
            .iter()
            .position(|i| *i == Instr::LoopBegin)
            .expect("a loop");
        let end = program.loop_end(begin).expect("its end");
        let hoistable = |i: &Instr| {
            matches!(
                i,
                Instr::RowIndex | Instr::Cast(..) | Instr::Unary(..) | Instr::Load(_)
            )
        };
        assert!(
            !instrs[begin..end].iter().any(hoistable),
            "the body still computes what no state feeds: {instrs:?}"
        );
    }
}
