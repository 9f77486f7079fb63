//! A report's bar chart as a PNG for the DOCX (Word has no vector format that both Word and
//! LibreOffice draw alike): the same bars, labels and values as the PDF's vector chart.

use std::sync::OnceLock;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::ReportError;
use super::content::Chart;

static SERIF: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Regular.ttf");

/// Pixels across: drawn twice the size it shows at, so that it prints sharply.
const WIDTH: u32 = 1200;
const ROW: u32 = 44;
const TOP: u32 = 64;
/// How wide it shows in the document, in EMU (150 mm).
const SHOWN_WIDTH_EMU: u32 = 150 * 36_000;

fn register_font() -> Result<(), ReportError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| plotters::style::register_font("serif", FontStyle::Normal, SERIF).is_ok());
    if ok { Ok(()) } else { Err(ReportError::Font) }
}

fn chart_error(e: impl std::fmt::Display) -> ReportError {
    ReportError::Chart(e.to_string())
}

/// The chart as PNG bytes and the size it shows at, in EMU.
pub fn png(chart: &Chart) -> Result<(Vec<u8>, u32, u32), ReportError> {
    register_font()?;
    let height = TOP + ROW * chart.bars.len() as u32 + 16;
    let mut pixels = vec![0u8; (WIDTH * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, height)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let title = ("serif", 30.0).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Top));
        root.draw_text(&format!("{} ({})", chart.title, chart.unit), &title, (WIDTH as i32 / 2, 10))
            .map_err(chart_error)?;
        let label_w = (WIDTH as f64 * 0.30) as i32;
        let bar_w = WIDTH as f64 * 0.55;
        let most = chart.bars.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
        let (r, g, b) = chart.colour;
        let label = ("serif", 24.0).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
        let value = ("serif", 24.0).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
        for (i, (name, amount)) in chart.bars.iter().enumerate() {
            let y = (TOP + ROW * i as u32) as i32;
            let length = if most > 0.0 { (amount.max(0.0) / most * bar_w) as i32 } else { 0 };
            root.draw_text(name, &label, (label_w - 12, y + ROW as i32 / 2 - 4)).map_err(chart_error)?;
            root.draw(&Rectangle::new(
                [(label_w, y), (label_w + length.max(1), y + ROW as i32 - 12)],
                RGBColor(r, g, b).filled(),
            ))
            .map_err(chart_error)?;
            let text = crate::locale::amount(*amount, crate::locale::Lang::Vi);
            root.draw_text(&text, &value, (label_w + length + 10, y + ROW as i32 / 2 - 4)).map_err(chart_error)?;
        }
        root.draw(&PathElement::new(vec![(label_w, TOP as i32 - 6), (label_w, height as i32 - 10)], BLACK))
            .map_err(chart_error)?;
        root.present().map_err(chart_error)?;
    }
    use image::ImageEncoder;
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, WIDTH, height, image::ColorType::Rgb8)
        .map_err(chart_error)?;
    let shown_height = (u64::from(SHOWN_WIDTH_EMU) * u64::from(height) / u64::from(WIDTH)) as u32;
    Ok((png, SHOWN_WIDTH_EMU, shown_height))
}
