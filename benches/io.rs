//! Reading files (issue 15): swath's CSV and Parquet readers on the files given, median of
//! five reads each after one warm-up, beside Polars on the same files when
//! `benches/peers/io.py` is run with the same paths (it calls this bench too).
//!
//!     cargo bench --bench io -- FILE.csv ... FILE.parquet ...
//!     cargo bench --bench io --features bench-mimalloc -- FILE ...   # with mimalloc

/// With `--features bench-mimalloc`, mimalloc serves every allocation (as jemalloc does in
/// Polars' wheel); otherwise the system's malloc.
#[cfg(feature = "bench-mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::hint::black_box;
use std::time::Instant;

fn median_s(mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[2]
}

fn main() {
    let files: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    for file in files {
        let seconds = if file.ends_with(".parquet") {
            median_s(|| {
                black_box(swath::io::read_parquet(&file, None).expect("a readable Parquet file"));
            })
        } else {
            let options = swath::io::CsvOptions::new();
            median_s(|| {
                black_box(swath::io::read_csv_with(&file, &options).expect("a readable CSV"));
            })
        };
        let allocator = if cfg!(feature = "bench-mimalloc") {
            "mimalloc"
        } else {
            "system"
        };
        println!(
            "{{\"reader\":\"swath\",\"allocator\":\"{allocator}\",\"file\":\"{file}\",\"median_s\":{seconds:.4}}}"
        );
    }
}
