//! Charts drawn on the server as SVG with plotters: pure functions of the figures, so a chart
//! shows exactly what the API returns. Each SVG carries a title and a description for screen
//! readers.

use std::sync::OnceLock;

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::format::{self, Lang};

/// DejaVu Sans renders Vietnamese stacked diacritics correctly; plotters measures text with it.
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");

#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(String);

fn register_font() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font("sans-serif", FontStyle::Normal, FONT).is_ok());
    if ok { Ok(()) } else { Err(ChartError("the embedded font could not be loaded".into())) }
}

/// A bar per bucket: a month by day, a year by month.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub title: String,
    /// One sentence a screen reader says about the chart.
    pub description: String,
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    pub unit: String,
    pub lang: Lang,
    /// Bar colour as RGB.
    pub colour: (u8, u8, u8),
}

const WIDTH: u32 = 640;
const HEIGHT: u32 = 280;

pub fn bar_chart(chart: &BarChart) -> Result<String, ChartError> {
    register_font()?;
    let draw_error = |e: &dyn std::fmt::Display| ChartError(e.to_string());
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw_error(&e))?;
        let count = chart.values.len().max(1);
        // A value that is not finite would give the axis no end.
        let top = chart.values.iter().copied().filter(|v| v.is_finite()).fold(0.0_f64, f64::max);
        let top = if top > 0.0 { top * 1.1 } else { 1.0 };
        let lang = chart.lang;
        let labels = &chart.labels;
        let mut ctx = ChartBuilder::on(&root)
            .margin(8)
            .x_label_area_size(28)
            .y_label_area_size(64)
            .caption(&chart.title, ("sans-serif", 16))
            .build_cartesian_2d((0..count).into_segmented(), 0.0..top)
            .map_err(|e| draw_error(&e))?;
        ctx.configure_mesh()
            .disable_x_mesh()
            .x_labels(count.min(16))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => labels.get(*i).cloned().unwrap_or_default(),
                SegmentValue::Last => String::new(),
            })
            .y_labels(5)
            .y_label_formatter(&|v| format::number(*v, if top < 10.0 { 1 } else { 0 }, lang))
            .y_desc(chart.unit.as_str())
            .label_style(("sans-serif", 11))
            .draw()
            .map_err(|e| draw_error(&e))?;
        let (r, g, b) = chart.colour;
        ctx.draw_series(
            Histogram::vertical(&ctx)
                .style(RGBColor(r, g, b).filled())
                .margin(1)
                .data(chart.values.iter().enumerate().map(|(i, v)| (i, *v))),
        )
        .map_err(|e| draw_error(&e))?;
        root.present().map_err(|e| draw_error(&e))?;
    }
    Ok(with_accessible_text(&svg, &chart.title, &chart.description))
}

/// Put `<title>` and `<desc>` first inside the `<svg>` element and point `aria` at them.
fn with_accessible_text(svg: &str, title: &str, description: &str) -> String {
    let Some(open_end) = svg.find("<svg").and_then(|start| svg[start..].find('>').map(|end| start + end)) else {
        return svg.to_owned();
    };
    let (head, rest) = svg.split_at(open_end);
    format!(
        "{head} role=\"img\" aria-label=\"{label}\"><title>{title}</title><desc>{desc}</desc>{rest}",
        label = xml_escape(title),
        title = xml_escape(title),
        desc = xml_escape(description),
        rest = &rest[1..],
    )
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_is_svg_with_its_title_description_and_a_bar_per_value() {
        let svg = bar_chart(&BarChart {
            title: "Điện tháng 11/2026 theo ngày".into(),
            description: "Tổng 1.234,5 kWh; cao nhất ngày 3".into(),
            labels: vec!["1".into(), "2".into(), "3".into()],
            values: vec![10.0, 0.0, 30.0],
            unit: "kWh".into(),
            lang: Lang::Vi,
            colour: (46, 125, 50),
        })
        .unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<title>Điện tháng 11/2026 theo ngày</title>"));
        assert!(svg.contains("<desc>Tổng 1.234,5 kWh; cao nhất ngày 3</desc>"));
        assert!(svg.contains("role=\"img\""));
        // Two non-zero bars in the bar colour.
        assert!(svg.matches("fill=\"#2E7D32\"").count() >= 2, "{svg}");
    }
}
