//! PNG plots for reports (`voxcue eval --snr-sweep --plot FILE.png`).
//!
//! Runs on the CLI's main thread. Text is drawn with the Ubuntu font egui already ships, so the
//! plot looks the same on a machine without any system fonts.

use std::path::Path;

use plotters::prelude::*;
use plotters::style::{register_font, FontStyle};

const WIDTH: u32 = 900;
const HEIGHT: u32 = 560;
const COLORS: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(31, 119, 180),
    RGBColor(150, 150, 150),
    RGBColor(214, 39, 40),
    RGBColor(214, 39, 40),
    RGBColor(120, 120, 120),
];

/// Draws accuracy (%) against SNR (dB), one line per series, into `path`.
pub fn accuracy_vs_snr(path: &Path, series: &[(String, Vec<(f32, f32)>)]) -> Result<(), String> {
    let _ = register_font("sans-serif", FontStyle::Normal, epaint_default_fonts::UBUNTU_LIGHT);
    draw(path, series).map_err(|e| format!("{}: cannot draw the plot: {e}", path.display()))
}

fn draw(path: &Path, series: &[(String, Vec<(f32, f32)>)]) -> Result<(), Box<dyn std::error::Error>> {
    let points = series.iter().flat_map(|(_, p)| p.iter());
    let (min_snr, max_snr) = points.clone().fold((f32::MAX, f32::MIN), |(lo, hi), p| (lo.min(p.0), hi.max(p.0)));
    let min_acc = points.fold(100.0f32, |lo, p| lo.min(p.1));
    let y_floor = ((min_acc - 5.0) / 10.0).floor().clamp(0.0, 9.0) * 10.0;
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption("Voxcue: command accuracy against speech-to-music ratio", ("sans-serif", 24))
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d((min_snr - 1.0)..(max_snr + 1.0), y_floor..100.5f32)?;
    chart
        .configure_mesh()
        .x_desc("speech-to-music ratio (dB); louder music to the left")
        .y_desc("accuracy (%)")
        .label_style(("sans-serif", 16))
        .draw()?;
    for (i, (name, points)) in series.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let dashed = name.contains("no reference") || name.contains("clean");
        let style = ShapeStyle { color: color.to_rgba(), filled: true, stroke_width: if dashed { 1 } else { 3 } };
        chart
            .draw_series(LineSeries::new(points.iter().copied(), style))?
            .label(name.as_str())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], style));
        if !name.contains("clean") {
            chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, style)))?;
        }
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .label_font(("sans-serif", 16))
        .background_style(WHITE.mix(0.9))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}
