//! The chart `swath bench` draws: throughput against size, one panel per kernel shape and
//! placement of the data (host, device), one line per way of running, with the sizes where
//! the fastest forced way changes (the crossovers) marked. Written as SVG and PNG.

use std::path::Path;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::bench::{Placement, Point, Report, Shape, Way, panels, shape_title};

const FONT: &[u8] = include_bytes!("DejaVuSans.ttf");

fn color(way: Way) -> RGBColor {
    match way {
        Way::Cpu1 => RGBColor(31, 119, 180),
        Way::Cpu => RGBColor(44, 160, 44),
        Way::Gpu => RGBColor(214, 39, 40),
        Way::Auto => RGBColor(0, 0, 0),
    }
}

/// Writes `stem.svg` and `stem.png`.
pub fn write(report: &Report, stem: &Path) -> Result<(), String> {
    // Text is laid out with a bundled font so the PNG needs no system fonts.
    plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
        .map_err(|_| "the bundled chart font is unreadable".to_string())?;
    let svg = stem.with_extension("svg");
    let png = stem.with_extension("png");
    if let Some(dir) = svg.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    // With both placements, one row of panels per shape: host left, device right.
    let size = match layout(report) {
        Layout::SideBySide(shapes) => (1400, 100 + 450 * shapes.len() as u32),
        Layout::Grid => (1400, 1000),
    };
    draw(SVGBackend::new(&svg, size).into_drawing_area(), report)?;
    draw(BitMapBackend::new(&png, size).into_drawing_area(), report)?;
    Ok(())
}

/// Ways within this factor of the fastest count as tied: the pool and the calling thread on
/// a one-chunk pass run the same code and trade places by noise, which is no crossover.
const TIE: f64 = 1.05;

/// The rows at which the winning forced way changes, with (from, to). At each size the
/// winner is the simplest way (calling thread, then pool, then GPU) within [`TIE`] of the
/// fastest: a more complex way wins only when it is clearly faster.
pub fn crossovers(report: &Report, shape: Shape, data: Placement) -> Vec<(usize, Way, Way)> {
    let at = |p: &Point| p.shape == shape && p.data == data;
    let mut rows: Vec<usize> = report
        .points
        .iter()
        .filter(|p| at(p))
        .map(|p| p.rows)
        .collect();
    rows.sort_unstable();
    rows.dedup();
    let winner = |n: usize| {
        let forced = || {
            report
                .points
                .iter()
                .filter(move |p| at(p) && p.rows == n && p.way != Way::Auto)
        };
        let fastest = forced().map(|p| p.median_ns).fold(f64::INFINITY, f64::min);
        [Way::Cpu1, Way::Cpu, Way::Gpu]
            .into_iter()
            .find(|&w| forced().any(|p| p.way == w && p.median_ns <= fastest * TIE))
    };
    let mut out = Vec::new();
    let mut leader: Option<Way> = None;
    for n in rows {
        let Some(best) = winner(n) else { continue };
        if let Some(from) = leader.filter(|&w| w != best) {
            out.push((n, from, best));
        }
        leader = Some(best);
    }
    out
}

/// How panels are laid out: a 2x2 grid of one placement's shapes, or, with both placements,
/// one row per shape (these shapes) with host left and device right.
enum Layout {
    Grid,
    SideBySide(Vec<Shape>),
}

fn layout(report: &Report) -> Layout {
    let keys = panels(report);
    let has = |d: Placement| keys.iter().any(|(p, _)| *p == d);
    if has(Placement::Host) && has(Placement::Device) {
        let mut shapes: Vec<Shape> = keys.iter().map(|(_, s)| *s).collect();
        shapes.sort_by_key(|s| Shape::ALL.iter().position(|t| t == s));
        shapes.dedup();
        Layout::SideBySide(shapes)
    } else {
        Layout::Grid
    }
}

fn draw<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, report: &Report) -> Result<(), String> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| format!("drawing the chart: {e:?}");
    root.fill(&WHITE).map_err(err)?;
    let title = format!("swath bench — {}", report.machine);
    let root = root.titled(&title, ("sans-serif", 22)).map_err(err)?;
    let layout = layout(report);
    let areas = match &layout {
        Layout::SideBySide(shapes) => root.split_evenly((shapes.len(), 2)),
        Layout::Grid => root.split_evenly((2, 2)),
    };
    for (k, &(data, shape)) in panels(report).iter().enumerate() {
        let index = match &layout {
            Layout::SideBySide(shapes) => {
                let row = shapes.iter().position(|s| *s == shape).unwrap_or(0);
                row * 2 + usize::from(data == Placement::Device)
            }
            Layout::Grid => k,
        };
        let Some(area) = areas.get(index) else {
            continue;
        };
        let points: Vec<_> = report
            .points
            .iter()
            .filter(|p| p.shape == shape && p.data == data)
            .collect();
        let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for p in &points {
            x0 = x0.min(p.rows as f64);
            x1 = x1.max(p.rows as f64);
            y0 = y0.min(p.gb_per_s);
            y1 = y1.max(p.gb_per_s);
        }
        let mut chart = ChartBuilder::on(area)
            .caption(
                format!("{}, data on the {}", shape_title(shape), data.name()),
                ("sans-serif", 18),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(60)
            .build_cartesian_2d(
                (x0 * 0.8..x1 * 1.25).log_scale(),
                (y0.max(1e-6) * 0.5..y1 * 2.0).log_scale(),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("rows")
            .y_desc("GB/s")
            .x_label_formatter(&|x| format_rows(*x))
            .draw()
            .map_err(err)?;
        for way in [Way::Cpu1, Way::Cpu, Way::Gpu, Way::Auto] {
            let series: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.way == way)
                .map(|p| (p.rows as f64, p.gb_per_s))
                .collect();
            if series.is_empty() {
                continue;
            }
            let c = color(way);
            let width = if way == Way::Auto { 1 } else { 2 };
            chart
                .draw_series(LineSeries::new(series.clone(), c.stroke_width(width)))
                .map_err(err)?
                .label(way.name())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            chart
                .draw_series(series.into_iter().map(|p| Circle::new(p, 3, c.filled())))
                .map_err(err)?;
        }
        for (rows, from, to) in crossovers(report, shape, data) {
            let x = rows as f64;
            // Labels go right of their line, except at the right edge where they would clip.
            let label_x = if x * 3.0 > x1 { x / 4.0 } else { x * 1.05 };
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, y0.max(1e-6) * 0.5), (x, y1 * 2.0)],
                    BLACK.mix(0.4).stroke_width(1),
                )))
                .map_err(err)?;
            chart
                .draw_series(std::iter::once(Text::new(
                    format!("{}→{}", from.name(), to.name()),
                    (label_x, y1 * 1.4),
                    ("sans-serif", 13),
                )))
                .map_err(err)?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(err)?;
    }
    root.present().map_err(err)
}

fn format_rows(x: f64) -> String {
    if x >= 1e6 {
        format!("{:.0}M", x / 1e6)
    } else if x >= 1e3 {
        format!("{:.0}K", x / 1e3)
    } else {
        format!("{x:.0}")
    }
}
