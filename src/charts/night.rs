//! A night's water flow or electric power as a small PNG, for the leak and night-use alert
//! e-mails: the line of the readings by local time, and a dashed line at the night's lowest
//! value, which for a leak never reaches zero.

use jiff::civil::DateTime;
use plotters::prelude::*;

use crate::locale::{self, Lang};

#[derive(Debug, thiserror::Error)]
pub enum NightChartError {
    #[error("the night has no readings to draw")]
    NoReadings,
    #[error("cannot draw the night's chart: {0}")]
    Draw(String),
}

/// What the chart shows; the caller words the title (e.g. "Lưu lượng nước đêm 05/12/2026 —
/// Phòng Kế toán").
#[derive(Debug, Clone)]
pub struct NightChart {
    pub title: String,
    /// The value's unit as the reader knows it: "L/phút", "kW".
    pub unit: String,
    /// The readings in the office's local time, in order.
    pub points: Vec<(DateTime, f64)>,
    pub lang: Lang,
    /// The line's colour as RGB.
    pub colour: (u8, u8, u8),
}

/// Small enough for a mail, large enough to read on a phone.
pub const WIDTH: u32 = 720;
pub const HEIGHT: u32 = 320;

/// The lowest-value line's colour.
const RED: RGBColor = RGBColor(183, 28, 28);

fn draw_error(e: impl std::fmt::Display) -> NightChartError {
    NightChartError::Draw(e.to_string())
}

impl NightChart {
    /// The chart as PNG bytes, [`WIDTH`] × [`HEIGHT`].
    pub fn png(&self) -> Result<Vec<u8>, NightChartError> {
        let points: Vec<(DateTime, f64)> = self.points.iter().copied().filter(|(_, v)| v.is_finite()).collect();
        let (Some(first), Some(last)) = (points.first(), points.last()) else {
            return Err(NightChartError::NoReadings);
        };
        if !super::register_font() {
            return Err(NightChartError::Draw("the embedded font could not be loaded".into()));
        }
        let start = first.0;
        // Hours since the first reading: the axis' steps then fall on whole hours.
        let hours = |t: DateTime| t.duration_since(start).as_secs_f64() / 3600.0;
        let end = hours(last.0).max(0.25);
        let lowest = points.iter().map(|(_, v)| *v).fold(f64::INFINITY, f64::min);
        let highest = points.iter().map(|(_, v)| *v).fold(f64::NEG_INFINITY, f64::max);
        // Headroom above the highest reading for the legend.
        let top = if highest > 0.0 { highest * 1.35 } else { 1.0 };
        let bottom = lowest.min(0.0);
        let lang = self.lang;

        let mut pixels = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut pixels, (WIDTH, HEIGHT)).into_drawing_area();
            root.fill(&WHITE).map_err(draw_error)?;
            let mut ctx = ChartBuilder::on(&root)
                .margin(10)
                // Room for the last hour's label, centred on the right edge.
                .margin_right(24)
                .caption(self.title.as_str(), ("sans-serif", 17.0))
                .x_label_area_size(40)
                .y_label_area_size(64)
                .build_cartesian_2d(0.0..end, bottom..top)
                .map_err(draw_error)?;
            let clock = |x: &f64| {
                let at = start.checked_add(jiff::SignedDuration::from_secs_f64(*x * 3600.0)).unwrap_or(start);
                at.strftime("%H:%M").to_string()
            };
            let value = |v: &f64| locale::number(*v, if top < 10.0 { 1 } else { 0 }, lang);
            ctx.configure_mesh()
                .x_labels(9)
                .x_label_formatter(&clock)
                .y_labels(5)
                .y_label_formatter(&value)
                .x_desc(lang.pick("Giờ", "Time"))
                .y_desc(self.unit.as_str())
                .label_style(("sans-serif", 13.0))
                .axis_desc_style(("sans-serif", 13.0))
                .draw()
                .map_err(draw_error)?;
            let (r, g, b) = self.colour;
            let colour = RGBColor(r, g, b);
            ctx.draw_series(LineSeries::new(points.iter().map(|(t, v)| (hours(*t), *v)), colour.stroke_width(2)))
                .map_err(draw_error)?;
            let lowest_label = format!(
                "{}: {} {}",
                lang.pick("Thấp nhất cả đêm", "Lowest all night"),
                locale::number(lowest, 1, lang),
                self.unit
            );
            ctx.draw_series(DashedLineSeries::new([(0.0, lowest), (end, lowest)], 6, 4, RED.stroke_width(2)))
                .map_err(draw_error)?
                .label(lowest_label)
                .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], RED.stroke_width(2)));
            ctx.configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK.mix(0.3))
                .label_font(("sans-serif", 13.0))
                .draw()
                .map_err(draw_error)?;
            root.present().map_err(draw_error)?;
        }
        use image::ImageEncoder;
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&pixels, WIDTH, HEIGHT, image::ColorType::Rgb8)
            .map_err(draw_error)?;
        Ok(png)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    /// A night from 22:00 to 06:00, a reading every 15 minutes.
    fn night(flow: impl Fn(usize) -> f64) -> NightChart {
        let start = date(2026, 12, 5).at(22, 0, 0, 0);
        let points = (0..=32)
            .map(|i| (start.checked_add(jiff::SignedDuration::from_mins(15 * i as i64)).unwrap(), flow(i)))
            .collect();
        NightChart {
            title: "Lưu lượng nước đêm 05/12/2026 — Phòng Kế toán".into(),
            unit: "L/phút".into(),
            points,
            lang: Lang::Vi,
            colour: (21, 101, 192),
        }
    }

    fn pixels_of(png: &[u8]) -> image::RgbImage {
        image::load_from_memory_with_format(png, image::ImageFormat::Png).expect("a PNG").to_rgb8()
    }

    fn count(image: &image::RgbImage, colour: [u8; 3]) -> usize {
        image.pixels().filter(|p| p.0 == colour).count()
    }

    #[test]
    fn a_night_is_a_png_of_its_size_with_the_line_and_the_lowest_value() {
        let image = pixels_of(&night(|i| 3.0 + (i % 4) as f64).png().unwrap());
        assert_eq!(image.dimensions(), (WIDTH, HEIGHT));
        assert!(count(&image, [21, 101, 192]) > 200, "the flow's line is drawn in its colour");
        assert!(count(&image, [183, 28, 28]) > 100, "the lowest value's dashed line is drawn");
    }

    #[test]
    fn the_line_rises_where_the_flow_does() {
        // Quiet until 04:00, then 10 L/min: the line's highest pixel (smallest y) in the
        // chart's right part sits well above the one in its left part.
        let image = pixels_of(&night(|i| if i > 24 { 10.0 } else { 2.0 }).png().unwrap());
        let highest_row = |columns: std::ops::Range<u32>| {
            columns
                .flat_map(|x| (0..HEIGHT).map(move |y| (x, y)))
                .filter(|(x, y)| image.get_pixel(*x, *y).0 == [21, 101, 192])
                .map(|(_, y)| y)
                .min()
                .expect("the line is drawn there")
        };
        let (left, right) = (highest_row(100..300), highest_row(WIDTH - 80..WIDTH - 20));
        assert!(right + 100 < left, "the rise is drawn high on the right ({right}) and the quiet start low ({left})");
    }

    #[test]
    fn a_night_without_readings_is_an_error_not_a_panic() {
        let mut chart = night(|_| 1.0);
        chart.points.clear();
        assert!(matches!(chart.png(), Err(NightChartError::NoReadings)));
        let mut chart = night(|_| f64::NAN);
        chart.points.truncate(3);
        assert!(matches!(chart.png(), Err(NightChartError::NoReadings)));
    }
}
