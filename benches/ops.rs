//! Criterion benches per op family and backend, 4M rows of f32 (i32 for integer arithmetic):
//! arithmetic, transcendental, comparison and select, casts, reductions; each on the calling
//! thread (`cpu1`), the pool (`cpu`) and, where an adapter exists, the GPU (`gpu`, data left
//! on the device after the first call).
//!
//!     cargo bench --bench ops               # everything
//!     cargo bench --bench ops -- reduce     # one family

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use swath::prelude::*;

#[path = "data.rs"]
mod data;

const ROWS: usize = 4 << 20;

fn frame() -> Frame {
    let ints: Vec<i32> = data::random_f32(ROWS, 9, -1000.0, 1000.0)
        .iter()
        .map(|v| *v as i32)
        .collect();
    Frame::new([
        ("x", Column::from(data::random_f32(ROWS, 7, 0.1, 2.0))),
        ("y", Column::from(data::random_f32(ROWS, 8, 0.1, 2.0))),
        ("k", Column::from(ints)),
    ])
    .expect("equal lengths")
}

fn backends() -> Vec<(&'static str, ExecOptions)> {
    let mut out = vec![
        ("cpu1", ExecOptions::new().backend(Backend::Cpu1)),
        ("cpu", ExecOptions::new().backend(Backend::Cpu)),
    ];
    if swath::gpu::available() {
        out.push(("gpu", ExecOptions::new().backend(Backend::Gpu)));
    }
    out
}

fn family(cr: &mut Criterion, name: &str, exprs: Vec<(&str, Expr)>) {
    let df = frame();
    let mut g = cr.benchmark_group(name);
    g.sample_size(10)
        .throughput(Throughput::Elements(ROWS as u64));
    for (op, e) in &exprs {
        for (backend, options) in backends() {
            g.bench_function(format!("{op}/{backend}"), |b| {
                b.iter(|| df.select_with([e.clone()], &options).expect("select"))
            });
        }
    }
    g.finish();
}

fn arithmetic(cr: &mut Criterion) {
    let (x, y, k) = (col("x"), col("y"), col("k"));
    family(
        cr,
        "arithmetic",
        vec![
            ("add", (x.clone() + y.clone()).alias("o")),
            ("mul_add", (x.clone() * y.clone() + lit(1.0)).alias("o")),
            ("div", (x / y).alias("o")),
            ("int_floor_div", k.clone().floor_div(lit(7)).alias("o")),
            ("int_mul", (k * lit(3)).alias("o")),
        ],
    );
}

fn transcendental(cr: &mut Criterion) {
    let (x, y) = (col("x"), col("y"));
    family(
        cr,
        "transcendental",
        vec![
            ("sqrt", x.clone().sqrt().alias("o")),
            ("sin", x.clone().sin().alias("o")),
            ("exp", x.clone().exp().alias("o")),
            ("ln", x.clone().ln().alias("o")),
            ("tanh", x.clone().tanh().alias("o")),
            ("pow", x.pow(y).alias("o")),
        ],
    );
}

fn compare_select(cr: &mut Criterion) {
    let (x, y) = (col("x"), col("y"));
    family(
        cr,
        "compare_select",
        vec![
            ("gt", x.clone().gt(y.clone()).alias("o")),
            (
                "when",
                when(x.clone().gt(y.clone()))
                    .then(x.clone())
                    .otherwise(y.clone())
                    .alias("o"),
            ),
            ("clamp", x.clone().clamp(lit(0.5), lit(1.5)).alias("o")),
            ("maximum", x.maximum(y).alias("o")),
        ],
    );
}

fn casts(cr: &mut Criterion) {
    family(
        cr,
        "cast",
        vec![
            ("f32_to_f64", col("x").cast(DType::F64).alias("o")),
            ("f32_to_i32", col("x").cast(DType::I32).alias("o")),
            ("i32_to_f32", col("k").cast(DType::F32).alias("o")),
        ],
    );
}

fn reductions(cr: &mut Criterion) {
    let x = || col("x");
    family(
        cr,
        "reduce",
        vec![
            ("sum", x().sum()),
            ("min", x().min()),
            ("argmax", x().arg_max()),
            ("var", x().var(1)),
            ("mean_int", col("k").mean()),
            ("any", x().gt(lit(1.9)).any()),
        ],
    );
}

criterion_group!(
    benches,
    arithmetic,
    transcendental,
    compare_select,
    casts,
    reductions
);
criterion_main!(benches);
