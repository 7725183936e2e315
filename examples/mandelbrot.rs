//! Renders the Mandelbrot set to a PNG with swath's per-row loop (`iterate`): every pixel is
//! a row, its point c comes from the row number, and `z = z² + c` runs inside the kernel until
//! |z| > 2 or 256 steps. No input data exists; one pass computes every pixel's escape time.
//!
//!     cargo run --release --example mandelbrot              # 1920x1280, writes mandelbrot.png
//!     cargo run --release --example mandelbrot -- out.png   # elsewhere
//!     SWATH_EXAMPLE_ROWS=60000 cargo run --example mandelbrot   # about that many pixels (CI)
//!
//! It checks itself twice: the set's area (pixels that never escape) against the published
//! value 1.5066 (Förstemann's pixel counting; Ewing & Schober's bounds), and each of a sample
//! of pixels against a plain f64 Rust loop.

use std::fs::File;
use std::io::BufWriter;

use swath::prelude::*;

const MAX_ITER: u32 = 256;
/// The view: real parts -2.25..0.75, imaginary parts -1.25..1.25 hold the whole set.
const RE: (f64, f64) = (-2.25, 0.75);
const IM: (f64, f64) = (-1.25, 1.25);
/// The area of the Mandelbrot set (1.50659177 ± 0.00000008, Förstemann 2012).
const PUBLISHED_AREA: f64 = 1.506_591_77;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let pixels: usize = std::env::var("SWATH_EXAMPLE_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1920 * 1280);
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "mandelbrot.png".into());
    // Keep the view's aspect ratio (3 : 2.5) with about `pixels` pixels.
    let aspect = (RE.1 - RE.0) / (IM.1 - IM.0);
    let width = ((pixels as f64 * aspect).sqrt().round() as u32).max(2);
    let height = ((pixels as f64 / width as f64).round() as u32).max(2);
    let (dx, dy) = (
        (RE.1 - RE.0) / f64::from(width),
        (IM.1 - IM.0) / f64::from(height),
    );

    // The pixel's centre from its row number: column i % width, line i // width.
    let i = row_index();
    let column = (i.clone() % lit(width)).cast(DType::F32);
    let line = i.floor_div(lit(width)).cast(DType::F32);
    let cx = (column + lit(0.5)) * lit(dx) + lit(RE.0);
    let cy = lit(IM.1) - (line + lit(0.5)) * lit(dy);

    // z starts at 0 (literals take the f32 type of the updates) and steps while |z| <= 2.
    let (zr, zi) = (state("zr"), state("zi"));
    let escape = iterate(MAX_ITER)
        .state("zr", lit(0.0))
        .state("zi", lit(0.0))
        .while_((zr.clone() * zr.clone() + zi.clone() * zi.clone()).lt_eq(lit(4.0)))
        .update("zr", zr.clone() * zr.clone() - zi.clone() * zi.clone() + cx)
        .update("zi", lit(2.0) * zr * zi + cy)
        .iterations()
        .alias("steps");

    let frame = Frame::with_rows(width as usize * height as usize);
    let started = std::time::Instant::now();
    let out = frame.select([escape.clone()])?;
    let elapsed = started.elapsed();
    let steps: Vec<u32> = out.column("steps")?.to_vec()?;
    println!(
        "{width}x{height} pixels, at most {MAX_ITER} steps each, in {elapsed:.2?} ({:.1} Msteps/s)",
        steps.iter().map(|&s| f64::from(s)).sum::<f64>() / elapsed.as_secs_f64() / 1e6
    );
    println!("how it ran:");
    for line in frame
        .explain([escape])?
        .lines()
        .filter(|l| l.starts_with("plan") || l.contains("choice"))
    {
        println!("  {}", line.trim());
    }

    write_png(&path, width, height, &steps)?;
    println!("wrote {path}");

    let mut failed = false;
    // Pixels that never escape are (up to the step limit) in the set.
    let inside = steps.iter().filter(|&&s| s == MAX_ITER).count();
    let area = inside as f64 * dx * dy;
    // The step limit and the pixel grid both overestimate; 3% covers both at CI's size.
    let off = area / PUBLISHED_AREA - 1.0;
    println!(
        "area of the set ~ {area:.4} (published {PUBLISHED_AREA}, {:+.2}%)",
        off * 100.0
    );
    if off.abs() > 0.03 {
        eprintln!("CHECK FAILED: the area is more than 3% from the published value");
        failed = true;
    }
    // Every 97th pixel against a plain f64 loop; f32 rounding may move a pixel on the
    // boundary by a step or so, which 1% of the sample may do.
    let mut disagree = 0usize;
    let mut sampled = 0usize;
    for p in (0..steps.len()).step_by(97) {
        let (c, l) = (p as u32 % width, p as u32 / width);
        let x = RE.0 + (f64::from(c) + 0.5) * dx;
        let y = IM.1 - (f64::from(l) + 0.5) * dy;
        sampled += 1;
        if steps[p].abs_diff(escape_time(x, y)) > 1 {
            disagree += 1;
        }
    }
    println!("{disagree} of {sampled} sampled pixels differ from an f64 loop by more than 1 step");
    if disagree * 100 > sampled {
        eprintln!("CHECK FAILED: more than 1% of the sampled pixels differ");
        failed = true;
    }
    if failed {
        std::process::exit(1);
    }
    println!("check: area and sampled pixels agree");
    Ok(())
}

/// Steps until |z| > 2 for c = x + iy, in f64: the reference.
fn escape_time(x: f64, y: f64) -> u32 {
    let (mut zr, mut zi) = (0.0f64, 0.0f64);
    let mut n = 0;
    while n < MAX_ITER && zr * zr + zi * zi <= 4.0 {
        (zr, zi) = (zr * zr - zi * zi + x, 2.0 * zr * zi + y);
        n += 1;
    }
    n
}

/// Colours by escape time (black inside the set), from dark brown through orange to white.
fn write_png(
    path: &str,
    width: u32,
    height: u32,
    steps: &[u32],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut rgb = Vec::with_capacity(steps.len() * 3);
    for &s in steps {
        if s == MAX_ITER {
            rgb.extend([0, 0, 0]);
            continue;
        }
        let t = (f64::from(s) / f64::from(MAX_ITER)).powf(0.3);
        let channel = |k: f64| (255.0 * (1.0 - (1.0 - t).powf(k))).round() as u8;
        rgb.extend([channel(4.0), channel(2.0), channel(0.8)]);
    }
    let mut encoder = png::Encoder::new(BufWriter::new(File::create(path)?), width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.write_header()?.write_image_data(&rgb)?;
    Ok(())
}
