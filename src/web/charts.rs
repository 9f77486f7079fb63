//! Charts drawn on the server with plotters: pure functions of the figures, so a chart shows
//! exactly what the API returns. Each is drawn as SVG for the page (with a title and a
//! description for screen readers) or as PNG for reports, from the same drawing code.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use crate::locale::{self, Lang};

#[derive(Debug, thiserror::Error)]
#[error("cannot draw the chart: {0}")]
pub struct ChartError(String);

/// The grid's lines, in the greys plotters' translucent defaults (black at 20 % and 10 %)
/// give over the white background they are drawn on (where two lines meet they are no longer
/// darker): opaque, a line is filled rather than blended pixel by pixel, which was a fifth of
/// a tall ranking's time.
const GRID_BOLD: RGBColor = RGBColor(205, 205, 205);
const GRID_LIGHT: RGBColor = RGBColor(231, 231, 231);

/// The font is shared with the charts that leave the page (`crate::charts`).
fn register_font() -> Result<(), ChartError> {
    if crate::charts::register_font() {
        Ok(())
    } else {
        Err(ChartError("the embedded font could not be loaded".into()))
    }
}

fn draw_error(e: impl std::fmt::Display) -> ChartError {
    ChartError(e.to_string())
}

/// A bar per bucket: a month by day, a year by month; optionally a target per bucket.
#[derive(Debug, Clone)]
pub struct BarChart {
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    /// The most each bucket may use to stay on target, drawn as a dashed line.
    pub target: Option<Vec<f64>>,
    pub unit: String,
    /// Bar colour as RGB.
    pub colour: (u8, u8, u8),
}

/// Bars side by side, longest first: departments or meters compared.
#[derive(Debug, Clone)]
pub struct RankingChart {
    pub labels: Vec<String>,
    pub values: Vec<f64>,
    pub unit: String,
    pub colour: (u8, u8, u8),
}

/// Average use by hour (columns) and day of the week (rows, Monday first).
#[derive(Debug, Clone)]
pub struct HeatmapChart {
    pub cells: [[f64; 24]; 7],
    pub day_labels: [String; 7],
    pub unit: String,
    pub colour: (u8, u8, u8),
}

#[derive(Debug, Clone)]
pub enum Drawing {
    Bars(BarChart),
    Ranking(RankingChart),
    /// Boxed: its 168 cells would make every chart that large.
    Heatmap(Box<HeatmapChart>),
}

/// A chart with the words that go with it.
#[derive(Debug, Clone)]
pub struct Chart {
    pub title: String,
    /// One sentence a screen reader says about the chart.
    pub description: String,
    pub lang: Lang,
    pub drawing: Drawing,
}

/// Drawn about as wide as a chart shows on a wide screen, so that its text reads at its size.
const WIDTH: u32 = 560;

impl Chart {
    fn size(&self) -> (u32, u32) {
        match &self.drawing {
            Drawing::Bars(_) => (WIDTH, 270),
            // Room for two bars at least: a department alone (the others without a meter of
            // their own) still gets a readable chart and axis.
            Drawing::Ranking(r) => (WIDTH, 60 + 24 * r.values.len().max(2) as u32),
            Drawing::Heatmap(_) => (WIDTH, 240),
        }
    }

    /// The chart as an SVG element, with `<title>` and `<desc>` for screen readers.
    pub fn svg(&self) -> Result<String, ChartError> {
        register_font()?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size()).into_drawing_area();
            // The page shows the title above the chart; the SVG carries it for screen readers.
            self.draw(&root, 1.0, false)?;
            root.present().map_err(draw_error)?;
        }
        Ok(with_accessible_text(&svg, &self.title, &self.description))
    }

    /// The chart as a PNG file, twice the page's size so that it prints sharply.
    pub fn png(&self) -> Result<Vec<u8>, ChartError> {
        register_font()?;
        let (w, h) = self.size();
        let (w, h) = (w * 2, h * 2);
        let mut pixels = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (w, h)).into_drawing_area();
            // Every size scaled by two, so the PNG looks like the page's chart.
            self.draw(&root, 2.0, true)?;
            root.present().map_err(draw_error)?;
        }
        use image::ImageEncoder;
        use image::codecs::png::{CompressionType, FilterType, PngEncoder};
        let mut png = Vec::new();
        // One filter, not the encoder's adaptive choice, which tries all five on every row: a
        // third of a tall chart's time (70 meters ranked: 1120 × 3480 pixels). Paeth gave
        // files of the same size in half the time; `Up` and `Sub` gave larger files.
        PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Paeth)
            .write_image(&pixels, w, h, image::ColorType::Rgb8)
            .map_err(draw_error)?;
        Ok(png)
    }

    /// Draw at `scale` times the page's size; `caption`: the title above the chart (for the
    /// PNG, which travels without the page).
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        scale: f64,
        caption: bool,
    ) -> Result<(), ChartError> {
        root.fill(&WHITE).map_err(draw_error)?;
        let title = if caption { self.title.as_str() } else { "" };
        let px = |v: f64| (v * scale).round() as u32;
        let font = |size: f64| ("sans-serif", size * scale);
        let lang = self.lang;
        match &self.drawing {
            Drawing::Bars(chart) => {
                let count = chart.values.len().max(1);
                let top =
                    finite_max(chart.values.iter().copied().chain(chart.target.iter().flatten().copied())).max(0.0);
                let top = if top > 0.0 { top * 1.1 } else { 1.0 };
                let labels = &chart.labels;
                let mut ctx = ChartBuilder::on(root)
                    .margin(px(8.0))
                    .x_label_area_size(px(28.0))
                    .y_label_area_size(px(64.0))
                    .caption(title, font(16.0))
                    .build_cartesian_2d((0..count).into_segmented(), 0.0..top)
                    .map_err(draw_error)?;
                ctx.configure_mesh()
                    .bold_line_style(GRID_BOLD)
                    .light_line_style(GRID_LIGHT)
                    .disable_x_mesh()
                    .x_labels(count.min(16))
                    .x_label_formatter(&|v| segment_label(v, |i| labels.get(i).cloned()))
                    .y_labels(5)
                    .y_label_formatter(&|v| value_label(*v, top, lang))
                    .y_desc(chart.unit.as_str())
                    .label_style(font(12.0))
                    .axis_desc_style(font(12.0))
                    .draw()
                    .map_err(draw_error)?;
                let (r, g, b) = chart.colour;
                // Bars in the figures' order (plotters' Histogram draws them in a HashMap's
                // order, different in each process), so the same figures give the same page.
                let buckets = ctx.as_coord_spec().x_spec().clone();
                let bars = chart.values.iter().enumerate().filter_map(|(i, v)| {
                    let mut bar = Rectangle::new(
                        [(buckets.from_index(i)?, *v), (buckets.from_index(i + 1)?, 0.0)],
                        RGBColor(r, g, b).filled(),
                    );
                    bar.set_margin(0, 0, px(1.0), px(1.0));
                    Some(bar)
                });
                ctx.draw_series(bars).map_err(draw_error)?;
                if let Some(target) = &chart.target {
                    let red = RGBColor(183, 28, 28);
                    // A dashed step per bucket, from its left edge to the next one's.
                    for (i, t) in target.iter().enumerate().filter(|(_, t)| t.is_finite()) {
                        let end = if i + 1 < count { SegmentValue::Exact(i + 1) } else { SegmentValue::Last };
                        let step = DashedLineSeries::new(
                            [(SegmentValue::Exact(i), *t), (end, *t)],
                            px(5.0),
                            px(3.0),
                            red.stroke_width(px(2.0)),
                        );
                        ctx.draw_series(step).map_err(draw_error)?;
                    }
                }
            }
            Drawing::Ranking(chart) => {
                let count = chart.values.len().max(1);
                let top = finite_max(chart.values.iter().copied()).max(0.0);
                let top = if top > 0.0 { top * 1.1 } else { 1.0 };
                let labels = &chart.labels;
                let mut ctx = ChartBuilder::on(root)
                    .margin(px(8.0))
                    .x_label_area_size(px(28.0))
                    .y_label_area_size(px(210.0))
                    .caption(title, font(16.0))
                    .build_cartesian_2d(0.0..top, (0..count).into_segmented())
                    .map_err(draw_error)?;
                ctx.configure_mesh()
                    .bold_line_style(GRID_BOLD)
                    .light_line_style(GRID_LIGHT)
                    .disable_y_mesh()
                    .y_labels(count)
                    // Row 0 is drawn at the bottom: the first (largest) goes on top.
                    .y_label_formatter(&|v| {
                        segment_label(v, |i| {
                            (i < count).then(|| labels.get(count - 1 - i).map(|l| shorten(l, 30))).flatten()
                        })
                    })
                    .x_labels(5)
                    .x_label_formatter(&|v| value_label(*v, top, lang))
                    .x_desc(chart.unit.as_str())
                    .label_style(font(12.0))
                    .axis_desc_style(font(12.0))
                    .draw()
                    .map_err(draw_error)?;
                let (r, g, b) = chart.colour;
                let rows = ctx.as_coord_spec().y_spec().clone();
                let bars = chart.values.iter().enumerate().filter_map(|(i, v)| {
                    let row = count - 1 - i;
                    let mut bar = Rectangle::new(
                        [(*v, rows.from_index(row)?), (0.0, rows.from_index(row + 1)?)],
                        RGBColor(r, g, b).filled(),
                    );
                    bar.set_margin(px(3.0), px(3.0), 0, 0);
                    Some(bar)
                });
                ctx.draw_series(bars).map_err(draw_error)?;
            }
            Drawing::Heatmap(chart) => {
                let top = finite_max(chart.cells.iter().flatten().copied()).max(0.0);
                // Hours 0–24 across, days down (Monday on top); the day names are drawn inside
                // the plot, left of hour 0, so that they sit in the middle of their rows.
                let mut ctx = ChartBuilder::on(root)
                    .margin(px(8.0))
                    .x_label_area_size(px(28.0))
                    .caption(title, font(16.0))
                    .build_cartesian_2d(-1.6..24.0, 0.0..7.0)
                    .map_err(draw_error)?;
                ctx.configure_mesh()
                    .disable_mesh()
                    .disable_y_axis()
                    .x_labels(14)
                    .x_label_formatter(&|h: &f64| if *h >= 0.0 { format!("{h:.0}h") } else { String::new() })
                    .label_style(font(12.0))
                    .draw()
                    .map_err(draw_error)?;
                let left = ("sans-serif", 12.0 * scale).into_text_style(root).pos(Pos::new(HPos::Left, VPos::Center));
                ctx.draw_series(
                    chart
                        .day_labels
                        .iter()
                        .enumerate()
                        .map(|(day, name)| Text::new(name.clone(), (-1.5, 6.5 - day as f64), left.clone())),
                )
                .map_err(draw_error)?;
                let (r, g, b) = chart.colour;
                let shade = |value: f64| {
                    let t = if top > 0.0 && value.is_finite() { (value / top).clamp(0.0, 1.0) } else { 0.0 };
                    let mix = |c: u8| (255.0 - (255.0 - f64::from(c)) * t).round() as u8;
                    RGBColor(mix(r), mix(g), mix(b))
                };
                ctx.draw_series(chart.cells.iter().enumerate().flat_map(|(day, hours)| {
                    hours.iter().enumerate().map(move |(hour, value)| {
                        let row = 6.0 - day as f64;
                        Rectangle::new([(hour as f64, row), (hour as f64 + 1.0, row + 1.0)], shade(*value).filled())
                    })
                }))
                .map_err(draw_error)?;
            }
        }
        Ok(())
    }
}

/// A bucket's label on a segmented axis; the axis' end has none.
fn segment_label(value: &SegmentValue<usize>, label: impl Fn(usize) -> Option<String>) -> String {
    match value {
        SegmentValue::CenterOf(i) | SegmentValue::Exact(i) => label(*i).unwrap_or_default(),
        SegmentValue::Last => String::new(),
    }
}

/// A value axis' number: one decimal below 10, whole above.
fn value_label(value: f64, top: f64, lang: Lang) -> String {
    locale::number(value, if top < 10.0 { 1 } else { 0 }, lang)
}

fn finite_max(values: impl Iterator<Item = f64>) -> f64 {
    values.filter(|v| v.is_finite()).fold(f64::NEG_INFINITY, f64::max)
}

/// A long name cut to `max` characters with an ellipsis, so the axis keeps its room.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut short: String = text.chars().take(max - 1).collect();
    short.push('…');
    short
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

    /// Each chart's grid runs one way only, so its lines never cross and blend twice.
    #[test]
    fn the_grid_greys_give_the_pixels_of_plotters_translucent_defaults_on_white() {
        let line = |style: ShapeStyle| {
            let mut pixels = vec![0u8; 4 * 4 * 3];
            {
                let root = BitMapBackend::with_buffer(&mut pixels, (4, 4)).into_drawing_area();
                root.fill(&WHITE).unwrap();
                root.draw(&PathElement::new(vec![(1, 0), (1, 3)], style)).unwrap();
                root.present().unwrap();
            }
            pixels
        };
        for (grey, alpha) in [(GRID_BOLD, 0.2), (GRID_LIGHT, 0.1)] {
            assert_eq!(line(grey.into()), line(BLACK.mix(alpha).into()), "{grey:?} for black at {alpha}");
        }
    }

    fn bars() -> Chart {
        Chart {
            title: "Điện tháng 11/2026 theo ngày".into(),
            description: "Tổng 1.234,5 kWh; cao nhất ngày 3".into(),
            lang: Lang::Vi,
            drawing: Drawing::Bars(BarChart {
                labels: vec!["1".into(), "2".into(), "3".into()],
                values: vec![10.0, 0.0, 30.0],
                target: Some(vec![20.0, 20.0, 20.0]),
                unit: "kWh".into(),
                colour: (46, 125, 50),
            }),
        }
    }

    #[test]
    fn a_chart_is_svg_with_its_title_description_and_a_bar_per_value() {
        let svg = bars().svg().unwrap();
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<title>Điện tháng 11/2026 theo ngày</title>"));
        assert!(svg.contains("<desc>Tổng 1.234,5 kWh; cao nhất ngày 3</desc>"));
        assert!(svg.contains("role=\"img\""));
        // Two non-zero bars in the bar colour, and the target line in red.
        assert!(svg.matches("fill=\"#2E7D32\"").count() >= 2, "{svg}");
        assert!(svg.contains("#B71C1C"), "the target line is drawn");
    }

    /// The left edges of the bars in the SVG, in the order they are drawn.
    fn bar_edges(svg: &str) -> Vec<u32> {
        svg.lines()
            .filter(|l| l.starts_with("<rect") && l.contains("fill=\"#2E7D32\""))
            .map(|l| l.split("x=\"").nth(1).and_then(|x| x.split('"').next()).unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn the_same_figures_draw_the_same_chart_bar_by_bar_in_order() {
        let mut month = bars();
        if let Drawing::Bars(chart) = &mut month.drawing {
            chart.labels = (1..=31).map(|d| d.to_string()).collect();
            chart.values = (0..31).map(|d| f64::from(d % 3)).collect();
            chart.target = None;
        }
        let svg = month.svg().unwrap();
        let edges = bar_edges(&svg);
        assert_eq!(edges.len(), 31, "{svg}");
        assert!(edges.is_sorted(), "bars drawn out of order: {edges:?}");
        assert_eq!(month.svg().unwrap(), svg);
    }

    #[test]
    fn the_same_chart_is_a_png_twice_the_size() {
        let png = bars().png().unwrap();
        let image = image::load_from_memory_with_format(&png, image::ImageFormat::Png).unwrap();
        assert_eq!((image.width(), image.height()), (1120, 540));
        // Some pixels carry the bar colour.
        let rgb = image.to_rgb8();
        assert!(rgb.pixels().any(|p| p.0 == [46, 125, 50]));
    }

    #[test]
    fn a_heatmap_has_a_cell_per_hour_of_the_week() {
        let mut cells = [[0.0; 24]; 7];
        cells[0][9] = 5.0;
        let chart = Chart {
            title: "Điện theo giờ trong tuần".into(),
            description: "Cao nhất thứ Hai 9 giờ".into(),
            lang: Lang::Vi,
            drawing: Drawing::Heatmap(Box::new(HeatmapChart {
                cells,
                day_labels: ["T2", "T3", "T4", "T5", "T6", "T7", "CN"].map(String::from),
                unit: "kWh".into(),
                colour: (46, 125, 50),
            })),
        };
        let svg = chart.svg().unwrap();
        assert_eq!(svg.matches("<rect").count() - 1, 7 * 24, "a cell per hour (and the background)");
        assert!(svg.contains("fill=\"#2E7D32\""), "the busiest hour is the darkest");
    }
}
