//! Property tests: random expression trees (depth up to 4) over random columns of every
//! dtype at random lengths (0, small, around the 4096-row block, past the 65536-row chunk),
//! reductions nested in maps included, must agree with the oracle on every backend; random
//! ill-typed or ill-formed requests must give `Err`, never panic.
//!
//! Trees are generated untyped and then repaired into well-typed ones by inserting casts
//! where an op would refuse its operands' dtypes, so a shrunk tree is still well-typed.

mod common;

use std::sync::Arc;

use common::Rng;
use common::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use swath::ops::{BinaryOp, ReduceOp, UnaryOp};
use swath::prelude::*;

/// An expression as generated: columns by index, literals by dtype and seed.
#[derive(Clone, Debug)]
enum G {
    Col(usize),
    /// A column the frame does not have.
    Missing,
    Lit(DType, u64),
    NullLit,
    Un(UnaryOp, Box<G>),
    Bin(BinaryOp, Box<G>, Box<G>),
    When(Box<G>, Box<G>, Box<G>),
    Cast(DType, Box<G>),
    Red(ReduceOp, Box<G>),
    /// `a - a.reduce()`: a map that needs a reduction of its own input first (two passes).
    Dev(ReduceOp, Box<G>),
}

/// Two independent columns of every dtype.
const COPIES: usize = 2;
const NCOLS: usize = 6 * COPIES;

fn col_name(i: usize) -> String {
    cname(DType::ALL[i % 6], i / 6)
}

fn dtype() -> impl Strategy<Value = DType> {
    prop::sample::select(DType::ALL.to_vec())
}

fn reduce_op() -> impl Strategy<Value = ReduceOp> {
    use ReduceOp::*;
    prop::sample::select(vec![
        Sum,
        Prod,
        Mean,
        Min,
        Max,
        Count,
        Var(0),
        Var(1),
        Std(1),
        Std(2),
        ArgMin,
        ArgMax,
        Any,
        All,
    ])
}

/// Binary ops, arithmetic weighted up so that most trees compute numbers.
fn binary_op() -> impl Strategy<Value = BinaryOp> {
    use BinaryOp::*;
    prop_oneof![
        4 => prop::sample::select(vec![Add, Sub, Mul, Div, Rem, Minimum, Maximum]),
        1 => prop::sample::select(vec![Pow, Atan2]),
        2 => prop::sample::select(vec![Eq, Ne, Lt, Le, Gt, Ge]),
        1 => prop::sample::select(vec![And, Or, Xor]),
    ]
}

/// Random trees; `ill_formed` adds missing columns and null literals to the leaves.
fn tree(ill_formed: bool) -> impl Strategy<Value = G> {
    let bad = if ill_formed { 1 } else { 0 };
    let leaf = prop_oneof![
        6 => (0..NCOLS).prop_map(G::Col),
        2 => (dtype(), any::<u64>()).prop_map(|(d, s)| G::Lit(d, s)),
        bad => Just(G::Missing),
        bad => Just(G::NullLit),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            3 => (prop::sample::select(UnaryOp::ALL.to_vec()), inner.clone())
                .prop_map(|(op, a)| G::Un(op, Box::new(a))),
            5 => (binary_op(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| G::Bin(op, Box::new(a), Box::new(b))),
            1 => (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| G::When(Box::new(c), Box::new(a), Box::new(b))),
            1 => (dtype(), inner.clone()).prop_map(|(d, a)| G::Cast(d, Box::new(a))),
            2 => (reduce_op(), inner.clone()).prop_map(|(op, a)| G::Red(op, Box::new(a))),
            1 => (reduce_op(), inner).prop_map(|(op, a)| G::Dev(op, Box::new(a))),
        ]
    })
}

/// Trees of the shapes the CPU evaluator fuses (`fuse.rs`): chains of `+ - *`, `sqrt`,
/// `abs` and `-` under sums, casts to i64 under sums. Random trees from [`tree`] rarely
/// chain three of these, which is where a fusion bug once hid.
fn fusable_tree() -> impl Strategy<Value = G> {
    use BinaryOp::*;
    let leaf = prop_oneof![
        6 => (0..NCOLS).prop_map(G::Col),
        2 => (dtype(), any::<u64>()).prop_map(|(d, s)| G::Lit(d, s)),
    ];
    let arith = leaf.prop_recursive(6, 32, 2, |inner| {
        prop_oneof![
            6 => (prop::sample::select(vec![Add, Sub, Mul]), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| G::Bin(op, Box::new(a), Box::new(b))),
            2 => (
                prop::sample::select(vec![UnaryOp::Sqrt, UnaryOp::Abs, UnaryOp::Neg]),
                inner.clone()
            )
                .prop_map(|(op, a)| G::Un(op, Box::new(a))),
            1 => inner.prop_map(|a| G::Cast(DType::I64, Box::new(a))),
        ]
    });
    (
        arith,
        prop::sample::select(vec![ReduceOp::Sum, ReduceOp::Mean, ReduceOp::Max]),
        any::<bool>(),
    )
        .prop_map(|(a, op, reduce)| if reduce { G::Red(op, Box::new(a)) } else { a })
}

/// Trees the CPU compiles to machine code (`src/cpu/jit`): one float width throughout, made
/// of `+ - * /`, `minimum`, `maximum`, `sqrt`, `abs`, `-` and comparisons under `when`,
/// stored or summed. Random
/// trees from [`tree`] mix dtypes and ops the compiler leaves to the evaluator.
fn compilable_tree() -> impl Strategy<Value = G> {
    use BinaryOp::*;
    prop::sample::select(vec![DType::F32, DType::F64]).prop_flat_map(|width| {
        let first = DType::ALL.iter().position(|&d| d == width).unwrap_or(0);
        let leaf = prop_oneof![
            6 => prop::sample::select(vec![first, first + 6]).prop_map(G::Col),
            2 => any::<u64>().prop_map(move |s| G::Lit(width, s)),
        ];
        let chain = leaf.prop_recursive(5, 32, 3, |inner| {
            prop_oneof![
                6 => (
                    prop::sample::select(vec![Add, Sub, Mul, Div, Minimum, Maximum]),
                    inner.clone(),
                    inner.clone()
                )
                    .prop_map(|(op, a, b)| G::Bin(op, Box::new(a), Box::new(b))),
                2 => (
                    prop::sample::select(vec![UnaryOp::Sqrt, UnaryOp::Abs, UnaryOp::Neg]),
                    inner.clone()
                )
                    .prop_map(|(op, a)| G::Un(op, Box::new(a))),
                2 => (
                    prop::sample::select(vec![Eq, Ne, Lt, Le, Gt, Ge]),
                    inner.clone(),
                    inner.clone(),
                    inner.clone(),
                    inner.clone()
                )
                    .prop_map(|(op, x, y, a, b)| G::When(
                        Box::new(G::Bin(op, Box::new(x), Box::new(y))),
                        Box::new(a),
                        Box::new(b)
                    )),
            ]
        });
        (
            chain,
            prop::sample::select(vec![ReduceOp::Sum, ReduceOp::Mean]),
            any::<bool>(),
        )
            .prop_map(|(a, op, reduce)| if reduce { G::Red(op, Box::new(a)) } else { a })
    })
}

/// A column's values as exact bits: floats by `to_bits`, so NaN's sign and payload count
/// (the oracle's values print every NaN alike).
fn exact_bits(c: &Column) -> String {
    match (c.dtype(), c.as_slice::<f32>(), c.as_slice::<f64>()) {
        (DType::F32, Ok(v), _) if c.null_count() == 0 => {
            format!("{:x?}", v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        }
        (DType::F64, _, Ok(v)) if c.null_count() == 0 => {
            format!("{:x?}", v.iter().map(|x| x.to_bits()).collect::<Vec<_>>())
        }
        _ => format!("{:?}", column_values(c)),
    }
}

fn un(op: UnaryOp, e: Expr) -> Expr {
    Expr::Unary(op, Arc::new(e))
}

/// The tree as written, well-typed or not.
fn raw(g: &G) -> Expr {
    match g {
        G::Col(i) => col(col_name(*i)),
        G::Missing => col("no_such_column"),
        G::Lit(d, seed) => lit(gen_scalar(&mut Rng::new(*seed), *d)),
        G::NullLit => lit(Scalar::Null),
        G::Un(op, a) => un(*op, raw(a)),
        G::Bin(op, a, b) => Expr::Binary(*op, Arc::new(raw(a)), Arc::new(raw(b))),
        G::When(c, a, b) => when(raw(c)).then(raw(a)).otherwise(raw(b)),
        G::Cast(d, a) => raw(a).cast(*d),
        G::Red(op, a) => Expr::Reduce(*op, Arc::new(raw(a))),
        G::Dev(op, a) => raw(a) - Expr::Reduce(*op, Arc::new(raw(a))),
    }
}

/// Builds well-typed expressions, asking a zero-row oracle for the type of each subtree.
struct Repair {
    typer: Oracle,
}

impl Repair {
    fn new() -> Repair {
        let frame = random_frame(&mut Rng::new(0), 0, COPIES, Flavor::Tame);
        Repair {
            typer: Oracle::new(&frame),
        }
    }

    fn ty(&self, e: &Expr) -> (DType, bool) {
        let o = self
            .typer
            .eval(e)
            .unwrap_or_else(|err| panic!("repair left `{e}` ill-typed: {err}"));
        (o.dtype, o.weak)
    }

    /// `e` as a number (bools become i32 or f32, depending on `pick`).
    fn numeric(&self, e: Expr, pick: usize) -> Expr {
        if self.ty(&e).0 == DType::Bool {
            e.cast(if pick.is_multiple_of(2) {
                DType::I32
            } else {
                DType::F32
            })
        } else {
            e
        }
    }

    fn boolean(&self, e: Expr) -> Expr {
        if self.ty(&e).0 == DType::Bool {
            e
        } else {
            e.cast(DType::Bool)
        }
    }

    /// Makes two operands mix: a bool meeting a number becomes that number's dtype.
    fn mixable(&self, a: Expr, b: Expr) -> (Expr, Expr) {
        let ((da, wa), (db, wb)) = (self.ty(&a), self.ty(&b));
        if common_type(da, wa, db, wb).is_some() {
            (a, b)
        } else if da == DType::Bool {
            (a.cast(db), b)
        } else {
            (a, b.cast(da))
        }
    }

    fn build(&self, g: &G) -> Expr {
        match g {
            G::Col(_) | G::Lit(..) => raw(g),
            G::Missing => col(col_name(0)),
            G::NullLit => lit(0.5),
            G::Un(op, a) => {
                let a = self.build(a);
                let a = if *op == UnaryOp::Not {
                    self.boolean(a)
                } else if *op == UnaryOp::Uniform {
                    // A counter-based random number takes an integer key.
                    a.cast(DType::U32)
                } else {
                    self.numeric(a, *op as usize)
                };
                un(*op, a)
            }
            G::Bin(op, a, b) => {
                let (a, b) = self.mixable(self.build(a), self.build(b));
                let (a, b) = match op {
                    BinaryOp::And | BinaryOp::Or | BinaryOp::Xor => {
                        (self.boolean(a), self.boolean(b))
                    }
                    BinaryOp::Eq
                    | BinaryOp::Ne
                    | BinaryOp::Lt
                    | BinaryOp::Le
                    | BinaryOp::Gt
                    | BinaryOp::Ge => (a, b),
                    _ => (self.numeric(a, *op as usize), self.numeric(b, *op as usize)),
                };
                // Casting one side of a logic op or a number can leave a bool-number pair.
                let (a, b) = self.mixable(a, b);
                Expr::Binary(*op, Arc::new(a), Arc::new(b))
            }
            G::When(c, a, b) => {
                let c = self.boolean(self.build(c));
                let (a, b) = self.mixable(self.build(a), self.build(b));
                when(c).then(a).otherwise(b)
            }
            G::Cast(d, a) => self.build(a).cast(*d),
            G::Red(op, a) => {
                let a = self.build(a);
                let a = if matches!(op, ReduceOp::Any | ReduceOp::All) {
                    self.boolean(a)
                } else {
                    a
                };
                Expr::Reduce(*op, Arc::new(a))
            }
            G::Dev(op, a) => {
                let a = self.numeric(self.build(a), 0);
                let inner = match op {
                    ReduceOp::Any | ReduceOp::All => self.boolean(a.clone()),
                    _ => a.clone(),
                };
                let r = self.numeric(Expr::Reduce(*op, Arc::new(inner)), 1);
                a - r
            }
        }
    }
}

fn length() -> impl Strategy<Value = usize> {
    prop_oneof![
        2 => Just(0usize),
        2 => Just(1usize),
        6 => 2usize..70,
        4 => 4090usize..4100,
        1 => Just(65537usize),
    ]
}

/// `cases` cases from a fixed seed (`SWATH_TEST_SEED` changes it), so a run is reproducible;
/// `PROPTEST_CASES=<n>` overrides the count for a longer soak.
fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 64,
        rng_seed: RngSeed::Fixed(base_seed()),
        ..Config::default()
    }
}

proptest! {
    #![proptest_config(config(128))]

    /// Well-typed trees agree with the oracle on every backend.
    #[test]
    fn well_typed_trees_agree_with_oracle(
        trees in prop::collection::vec(tree(false), 1..4),
        len in length(),
        seed in any::<u64>(),
        wild in any::<bool>(),
    ) {
        let flavor = if wild { Flavor::Wild } else { Flavor::Tame };
        let frame = random_frame(&mut Rng::new(seed), len, COPIES, flavor);
        let oracle = Oracle::new(&frame);
        let repair = Repair::new();
        let exprs: Vec<Expr> = trees.iter().map(|g| repair.build(g)).collect();
        for e in &exprs {
            prop_assert!(oracle.eval(e).is_ok(), "repair produced an ill-typed `{}`", e);
        }
        let failures = check_exprs(&frame, &oracle, &exprs);
        prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// Well-typed trees over columns with nulls (each column a random pattern: first, last,
    /// every third, random rows, all or none) agree with the oracle on every backend.
    #[test]
    fn well_typed_trees_over_nullable_columns_agree_with_oracle(
        trees in prop::collection::vec(tree(false), 1..4),
        len in length(),
        seed in any::<u64>(),
        wild in any::<bool>(),
        rotate in 0..NullRows::ALL.len(),
    ) {
        let flavor = if wild { Flavor::Wild } else { Flavor::Tame };
        let mut patterns = NullRows::ALL.to_vec();
        patterns.rotate_left(rotate);
        let frame = random_null_frame(&mut Rng::new(seed), len, COPIES, flavor, &patterns);
        let oracle = Oracle::new(&frame);
        let repair = Repair::new();
        let exprs: Vec<Expr> = trees.iter().map(|g| repair.build(g)).collect();
        let failures = check_exprs(&frame, &oracle, &exprs);
        prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    /// The differential test of the CPU evaluator: today's (compiled kernels where the ISA
    /// allows, else tiles and fusion), the tile evaluator without the compiler, the reference
    /// evaluator the tiles replaced (each instruction in its own loop over whole blocks,
    /// nothing fused), and the smallest tiles give the same bits for every well-typed tree, on Tame
    /// and Wild data, at lengths around the tile and block edges, on every ISA.
    #[test]
    fn the_evaluator_gives_the_reference_evaluators_bits(
        trees in prop::collection::vec(
            prop_oneof![1 => tree(false), 1 => fusable_tree(), 2 => compilable_tree()],
            1..4
        ),
        len in prop_oneof![
            2 => 1usize..70,
            2 => 1020usize..1030,
            2 => 4090usize..4100,
            1 => 8180usize..8200,
            1 => 9000usize..9300,
        ],
        seed in any::<u64>(),
        wild in any::<bool>(),
    ) {
        use swath::unstable::{
            with_cpu_interpreter, with_cpu_reference_evaluator, with_cpu_tile_rows,
        };
        let flavor = if wild { Flavor::Wild } else { Flavor::Tame };
        let frame = random_frame(&mut Rng::new(seed), len, COPIES, flavor);
        let repair = Repair::new();
        let exprs: Vec<Expr> = trees
            .iter()
            .enumerate()
            .map(|(k, g)| repair.build(g).alias(format!("e{k}")))
            .collect();
        for isa in supported_isas() {
            let one = ExecOptions::new().backend(Backend::Cpu1).isa(isa);
            let values = |how: &str| {
                let run = || frame.select_with(exprs.clone(), &one);
                let out = match how {
                    "reference" => with_cpu_reference_evaluator(run),
                    "small tiles" => with_cpu_tile_rows(64, run),
                    "interpreter" => with_cpu_interpreter(run),
                    _ => run(),
                };
                out.map(|f| {
                    f.columns()
                        .map(|(name, c)| format!("{name}: {}", exact_bits(c)))
                        .collect::<Vec<_>>()
                })
                .map_err(|e| e.to_string())
            };
            let today = values("today");
            prop_assert!(today.is_ok(), "{isa:?}: {:?}", today);
            prop_assert_eq!(&values("reference"), &today, "reference vs today, {:?}", isa);
            prop_assert_eq!(&values("small tiles"), &today, "64-row tiles vs today, {:?}", isa);
            prop_assert_eq!(&values("interpreter"), &today, "evaluator vs compiled, {:?}", isa);
        }
    }

    /// Unrepaired trees (often ill-typed, sometimes naming missing columns or holding null
    /// literals): swath gives `Err` exactly where the oracle refuses, otherwise the oracle's
    /// values, and never panics.
    #[test]
    fn ill_typed_trees_give_errors_not_panics(
        trees in prop::collection::vec(tree(true), 1..4),
        len in prop_oneof![Just(0usize), 1usize..40, 4095usize..4098],
        seed in any::<u64>(),
    ) {
        let frame = random_frame(&mut Rng::new(seed), len, COPIES, Flavor::Wild);
        let oracle = Oracle::new(&frame);
        let exprs: Vec<Expr> = trees.iter().map(raw).collect();
        let failures = check_exprs(&frame, &oracle, &exprs);
        prop_assert!(failures.is_empty(), "{}", failures.join("\n"));
        // All of them in one select: an error if any is ill-formed, and no panic.
        let any_bad = exprs.iter().any(|e| oracle.eval(e).is_err());
        for b in backends() {
            let aliased: Vec<Expr> =
                exprs.iter().enumerate().map(|(i, e)| e.clone().alias(format!("o{i}"))).collect();
            match try_select(&frame, &aliased, &b.opts) {
                Err(p) => prop_assert!(false, "[{}] panicked: {}", b, p),
                Ok(r) => prop_assert_eq!(r.is_err(), any_bad, "[{}] {:?}", b, r.err()),
            }
        }
    }

    /// Frame::new: an error exactly for unequal lengths or repeated names; never a panic.
    #[test]
    fn frame_new_checks_lengths_and_names(
        cols in prop::collection::vec((0usize..4, 0usize..3, dtype()), 0..6),
    ) {
        let mut rng = Rng::new(cols.len() as u64);
        let columns: Vec<(String, Column)> = cols
            .iter()
            .map(|&(name, len, d)| (format!("c{name}"), gen_column(&mut rng, d, len, Flavor::Wild)))
            .collect();
        let mut names: Vec<&String> = columns.iter().map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        let duplicate = names.len() != columns.len();
        let unequal = columns.windows(2).any(|w| w[0].1.len() != w[1].1.len());
        let result = no_panic(|| Frame::new(columns.clone()));
        prop_assert!(result.is_ok(), "Frame::new panicked");
        let result = result.unwrap();
        prop_assert_eq!(result.is_err(), duplicate || unequal, "{:?}", result.as_ref().err());
        if let Ok(frame) = result {
            prop_assert_eq!(frame.width(), columns.len());
            prop_assert_eq!(frame.height(), columns.first().map_or(0, |c| c.1.len()));
        }
    }

    /// filter with a random predicate: the rows kept are the ones the oracle says are true;
    /// a predicate that is not bool is an error.
    #[test]
    fn filter_keeps_rows_where_predicate_holds(
        g in tree(false),
        len in prop_oneof![Just(0usize), 1usize..80, 4095usize..4098],
        seed in any::<u64>(),
    ) {
        let frame = random_frame(&mut Rng::new(seed), len, COPIES, Flavor::Wild);
        let oracle = Oracle::new(&frame);
        let repair = Repair::new();
        let e = repair.build(&g);
        let want = oracle.eval(&e).unwrap();
        let result = no_panic(|| frame.filter(e.clone()));
        prop_assert!(result.is_ok(), "filter panicked on `{}`", e);
        let result = result.unwrap();
        if want.dtype != DType::Bool {
            prop_assert!(result.is_err(), "filter on non-bool `{}` should fail", e);
            return Ok(());
        }
        let n = if want.scalar { 1 } else { len };
        if (0..n).any(|i| !matches!(want.at(i), V::B(_))) {
            return Ok(()); // some row undecidable (or null): nothing to compare
        }
        let kept = result.map_err(|err| TestCaseError::fail(format!("`{e}`: {err}")))?;
        let rows: Vec<usize> = (0..len).filter(|&i| want.at(i) == V::B(true)).collect();
        prop_assert_eq!(kept.height(), rows.len(), "`{}`", e);
        let source = frame.column("f64").unwrap().to_vec::<f64>().unwrap();
        let got = kept.column("f64").unwrap().to_vec::<f64>().unwrap();
        let expected: Vec<f64> = rows.iter().map(|&i| source[i]).collect();
        let same = got.iter().zip(&expected).all(|(x, y)| x.to_bits() == y.to_bits());
        prop_assert!(same, "`{}` kept the wrong rows", e);
    }
}

/// The compiled kernels run where they should: on a CPU with AVX-512, the fused shapes of
/// issue 13 run compiled code (not only the evaluator), stored and summed, at lengths with
/// and without a partial last block and group, and give the evaluator's bits; a pass under
/// one block (4096 rows) stays on the evaluator, whose fixed cost is lower.
#[test]
fn compiled_kernels_run_the_fused_shapes() -> Result<(), Error> {
    use swath::unstable::{cpu_compile_stats, with_cpu_interpreter};
    if !Isa::Avx512.is_supported() {
        eprintln!("SKIPPED compiled_kernels_run_the_fused_shapes: this CPU has no AVX-512");
        return Ok(());
    }
    let avx512 = ExecOptions::new().backend(Backend::Cpu1).isa(Isa::Avx512);
    // The first select of the process calibrates the cost model, running compiled probes
    // on this thread: done here, so the counts below are the selects' own.
    let warm = random_frame(&mut Rng::new(1), 10, COPIES, Flavor::Tame);
    warm.select_with([col(cname(DType::F32, 0)).sum()], &avx512)?;
    for len in [1000usize, 4096, 4097, 4159, 9000, 70_001] {
        let frame = random_frame(&mut Rng::new(len as u64), len, COPIES, Flavor::Wild);
        let [a, b, c] = [
            cname(DType::F32, 0),
            cname(DType::F32, 1),
            cname(DType::F64, 0),
        ];
        let (a, b, c) = (col(&a), col(&b), col(&c));
        let (p, q) = (col(cname(DType::Bool, 0)), col(cname(DType::Bool, 1)));
        let exprs = [
            (a.clone() * b.clone() + a.clone())
                .sqrt()
                .sum()
                .alias("fused"),
            (a.clone() * b.clone() + a.clone()).alias("map"),
            when(a.clone().gt(b.clone()))
                .then(a.clone() * b.clone() - a.clone())
                .otherwise(b.clone().abs())
                .sum()
                .alias("branchy"),
            (-(c.clone() / (c.clone() * c.clone() + 1.5)))
                .mean()
                .alias("f64"),
            // NaN-propagating extremes on Wild data (NaN, infinities, signed zeros).
            a.clone().minimum(b.clone()).alias("minimum"),
            (c.clone().maximum(c.clone() * -1.0) + c.clone().clamp(lit(-1.0), lit(1.0)))
                .sum()
                .alias("maximum"),
            // Masks from bool columns (a byte per row), and logic on them.
            when(p.clone())
                .then(a.clone())
                .otherwise(lit(0.0))
                .sum()
                .alias("mask"),
            when((p.clone() & !q.clone()) | (p.clone() ^ q.clone()))
                .then(c.clone() * c.clone())
                .otherwise(c.clone())
                .sum()
                .alias("mask_logic"),
        ];
        // The same frame with nulls: sums read their inputs' validity as masks.
        let patterns = [
            NullRows::Random(0.05),
            NullRows::EveryThird,
            NullRows::First,
        ];
        let nullable = random_null_frame(
            &mut Rng::new(len as u64),
            len,
            COPIES,
            Flavor::Wild,
            &patterns,
        );
        let masked = [
            (a.clone() * b.clone() + a.clone())
                .sqrt()
                .sum()
                .alias("null_fused"),
            c.clone().sum().alias("null_sum"),
            (c.clone() - lit(1.0)).mean().alias("null_mean"),
        ];
        let runs = exprs
            .into_iter()
            .map(|e| (&frame, e))
            .chain(masked.into_iter().map(|e| (&nullable, e)));
        for (frame, e) in runs {
            let before = cpu_compile_stats().passes;
            let compiled = frame.select_with([e.clone()], &avx512)?;
            let ran = cpu_compile_stats().passes - before;
            assert_eq!(
                ran >= 1,
                len >= 4096,
                "`{e}` over {len} rows: {ran} compiled passes"
            );
            let evaluated = with_cpu_interpreter(|| frame.select_with([e.clone()], &avx512))?;
            for ((name, x), (_, y)) in compiled.columns().zip(evaluated.columns()) {
                assert_eq!(exact_bits(x), exact_bits(y), "{name}, {len} rows");
            }
        }
    }
    Ok(())
}
