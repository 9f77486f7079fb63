//! The report as PDF: A4 portrait with the decree's margins, Liberation Serif embedded (subset
//! by krilla, so the text stays selectable and searchable), tables with their header repeated
//! on each page, charts as vector paths, page numbers at the top centre from page 2.
//!
//! Laid out in two steps: the content becomes pages of drawing operations (measured with
//! ab_glyph on the same font files), then krilla writes them.

use std::sync::OnceLock;

use ab_glyph::{Font as _, FontRef};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use super::ReportError;
use super::content::{Block, Chart, Content, Table};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Bold.ttf");
static ITALIC: &[u8] = include_bytes!("../../assets/fonts/LiberationSerif-Italic.ttf");

/// 1 mm in PDF points.
const MM: f32 = 72.0 / 25.4;
const PAGE_WIDTH: f32 = 210.0 * MM;
const PAGE_HEIGHT: f32 = 297.0 * MM;
/// Nghị định 30/2020/NĐ-CP: top and bottom 20–25 mm, left 30–35 mm, right 15–20 mm.
const TOP: f32 = 20.0 * MM;
const BOTTOM: f32 = 20.0 * MM;
const LEFT: f32 = 30.0 * MM;
const RIGHT: f32 = 15.0 * MM;
const WIDTH: f32 = PAGE_WIDTH - LEFT - RIGHT;
/// Body text 13 pt (the decree asks 13–14), tables 10 pt.
const BODY: f32 = 13.0;
const SMALL: f32 = 10.0;
const CELL_PADDING: f32 = 3.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    Regular,
    Bold,
    Italic,
}

fn measure_font(style: Style) -> &'static FontRef<'static> {
    static FONTS: OnceLock<[FontRef<'static>; 3]> = OnceLock::new();
    let fonts = FONTS.get_or_init(|| {
        let load = |bytes| FontRef::try_from_slice(bytes).expect("the embedded Liberation Serif is a valid font");
        [load(REGULAR), load(BOLD), load(ITALIC)]
    });
    &fonts[style as usize]
}

fn text_width(text: &str, style: Style, size: f32) -> f32 {
    let font = measure_font(style);
    let per_unit = size / font.units_per_em().unwrap_or(2048.0);
    text.chars().map(|c| font.h_advance_unscaled(font.glyph_id(c))).sum::<f32>() * per_unit
}

/// Break `text` into lines no wider than `width`.
fn wrap(text: &str, style: Style, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
        if text_width(&candidate, style, size) <= width || line.is_empty() {
            line = candidate;
        } else {
            lines.push(std::mem::replace(&mut line, word.to_owned()));
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

#[derive(Debug, Clone)]
enum Op {
    /// `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        size: f32,
        style: Style,
        text: String,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<(u8, u8, u8)>,
        stroke: bool,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
    },
}

/// Pages of operations, filled top to bottom.
struct Layout {
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl Layout {
    fn new() -> Layout {
        Layout { pages: vec![Vec::new()], y: TOP }
    }

    fn ops(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("a layout always has a page")
    }

    fn room(&self) -> f32 {
        PAGE_HEIGHT - BOTTOM - self.y
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = TOP + BODY;
    }

    fn ensure(&mut self, height: f32) {
        if self.room() < height {
            self.new_page();
        }
    }

    fn text(&mut self, x: f32, y: f32, size: f32, style: Style, text: &str) {
        self.ops().push(Op::Text { x, y, size, style, text: text.to_owned() });
    }

    /// A line of text aligned in the band `(x, width)`: 0 left, 0.5 centre, 1 right.
    fn aligned(&mut self, (x, width): (f32, f32), y: f32, size: f32, style: Style, text: &str, align: f32) {
        let offset = (width - text_width(text, style, size)) * align;
        self.text(x + offset.max(0.0), y, size, style, text);
    }

    fn paragraph(&mut self, text: &str, style: Style, size: f32, align: f32) {
        let leading = size * 1.3;
        for line in wrap(text, style, size, WIDTH) {
            self.ensure(leading);
            self.y += leading;
            self.aligned((LEFT, WIDTH), self.y - size * 0.25, size, style, &line, align);
        }
    }

    fn gap(&mut self, height: f32) {
        self.y += height;
    }
}

fn heading(layout: &mut Layout, content: &Content) {
    let h = &content.heading;
    let (left_w, right_x, right_w) = (WIDTH * 0.42, LEFT + WIDTH * 0.40, WIDTH * 0.60);
    let leading = 12.0 * 1.3;
    let top = layout.y;
    let mut y = top + leading;
    layout.aligned((LEFT, left_w), y, 12.0, Style::Regular, &h.superior, 0.5);
    y += leading;
    layout.aligned((LEFT, left_w), y, 12.0, Style::Bold, &h.issuing_body, 0.5);
    let rule = text_width(&h.issuing_body, Style::Bold, 12.0) * 0.4;
    layout.ops().push(Op::Line {
        x1: LEFT + (left_w - rule) / 2.0,
        y1: y + 3.0,
        x2: LEFT + (left_w + rule) / 2.0,
        y2: y + 3.0,
    });
    y += leading * 1.4;
    layout.aligned((LEFT, left_w), y, BODY, Style::Regular, &h.number, 0.5);
    let mut y2 = top + leading;
    layout.aligned((right_x, right_w), y2, 12.0, Style::Bold, &h.motto, 0.5);
    y2 += leading;
    layout.aligned((right_x, right_w), y2, BODY, Style::Bold, &h.motto_line, 0.5);
    let rule = text_width(&h.motto_line, Style::Bold, BODY);
    let x1 = right_x + (right_w - rule) / 2.0;
    layout.ops().push(Op::Line { x1, y1: y2 + 3.0, x2: x1 + rule, y2: y2 + 3.0 });
    y2 += leading * 1.4;
    layout.aligned((right_x, right_w), y2, BODY, Style::Italic, &h.place_date, 0.5);
    layout.y = y.max(y2) + leading;
    layout.paragraph(&h.title, Style::Bold, 14.0, 0.5);
    layout.paragraph(&h.subtitle, Style::Bold, 14.0, 0.5);
    layout.gap(BODY);
}

fn table(layout: &mut Layout, table: &Table) {
    let total: f32 = table.columns.iter().map(|c| c.width).sum();
    let widths: Vec<f32> = table.columns.iter().map(|c| WIDTH * c.width / total).collect();
    let leading = SMALL * 1.25;
    let cells = |row: &[String], style: Style| -> (Vec<Vec<String>>, f32) {
        let lines: Vec<Vec<String>> =
            row.iter().zip(&widths).map(|(text, w)| wrap(text, style, SMALL, w - 2.0 * CELL_PADDING)).collect();
        let height = lines.iter().map(Vec::len).max().unwrap_or(1) as f32 * leading + 2.0 * CELL_PADDING;
        (lines, height)
    };
    let header: Vec<String> = table.columns.iter().map(|c| c.title.clone()).collect();
    let (header_lines, header_height) = cells(&header, Style::Bold);
    let draw_row =
        |layout: &mut Layout, lines: &[Vec<String>], height: f32, style: Style, fill: Option<(u8, u8, u8)>| {
            let mut x = LEFT;
            for (i, (cell, w)) in lines.iter().zip(&widths).enumerate() {
                let y = layout.y;
                layout.ops().push(Op::Rect { x, y, w: *w, h: height, fill, stroke: true });
                let align = if table.columns[i].numeric && fill.is_none() {
                    1.0
                } else if fill.is_some() {
                    0.5
                } else {
                    0.0
                };
                for (n, line) in cell.iter().enumerate() {
                    let baseline = layout.y + CELL_PADDING + (n as f32 + 1.0) * leading - SMALL * 0.25;
                    layout.aligned((x + CELL_PADDING, w - 2.0 * CELL_PADDING), baseline, SMALL, style, line, align);
                }
                x += w;
            }
            layout.y += height;
        };
    layout.ensure(header_height + leading * 2.0);
    draw_row(layout, &header_lines, header_height, Style::Bold, Some((230, 230, 230)));
    for (i, row) in table.rows.iter().enumerate() {
        let style = if table.bold_rows.contains(&i) { Style::Bold } else { Style::Regular };
        let (lines, height) = cells(row, style);
        if layout.room() < height {
            layout.new_page();
            draw_row(layout, &header_lines, header_height, Style::Bold, Some((230, 230, 230)));
        }
        draw_row(layout, &lines, height, style, None);
    }
    layout.gap(BODY * 0.6);
}

/// Horizontal bars: a label, the bar to scale, the value.
fn chart(layout: &mut Layout, chart: &Chart) {
    if chart.bars.is_empty() {
        return;
    }
    let bar = 12.0;
    let step = 16.0;
    let height = BODY * 1.5 + step * chart.bars.len() as f32 + 6.0;
    layout.ensure(height);
    layout.y += BODY * 1.3;
    let title = format!("{} ({})", chart.title, chart.unit);
    layout.aligned((LEFT, WIDTH), layout.y, 11.0, Style::Italic, &title, 0.5);
    layout.y += 6.0;
    let label_w = WIDTH * 0.30;
    let value_w = WIDTH * 0.15;
    let bar_w = WIDTH - label_w - value_w;
    let most = chart.bars.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let axis_x = LEFT + label_w;
    let top = layout.y;
    for (label, value) in &chart.bars {
        let length = if most > 0.0 { (value.max(0.0) / most) as f32 * bar_w } else { 0.0 };
        let baseline = layout.y + bar - 2.5;
        layout.aligned((LEFT, label_w - 6.0), baseline, SMALL, Style::Regular, label, 1.0);
        let y = layout.y;
        layout.ops().push(Op::Rect {
            x: axis_x,
            y,
            w: length.max(0.5),
            h: bar,
            fill: Some(chart.colour),
            stroke: false,
        });
        let text = crate::locale::amount(*value, crate::locale::Lang::Vi);
        layout.text(axis_x + length + 4.0, baseline, SMALL, Style::Regular, &text);
        layout.y += step;
    }
    let bottom = layout.y;
    layout.ops().push(Op::Line { x1: axis_x, y1: top - 2.0, x2: axis_x, y2: bottom });
    layout.gap(6.0);
}

fn closing(layout: &mut Layout, content: &Content) {
    let c = &content.closing;
    let leading = 12.0 * 1.3;
    let height = leading * (c.recipients.len() as f32 + 7.0);
    layout.ensure(height);
    layout.gap(BODY);
    let top = layout.y;
    let mut y = top + leading;
    layout.text(LEFT, y, 12.0, Style::Bold, "Nơi nhận:");
    for line in &c.recipients {
        y += leading * 0.9;
        layout.text(LEFT, y, 11.0, Style::Regular, line);
    }
    let (x, w) = (LEFT + WIDTH * 0.45, WIDTH * 0.55);
    let mut y = top + leading;
    layout.aligned((x, w), y, BODY, Style::Bold, &c.signer_title, 0.5);
    y += leading * 6.0;
    layout.aligned((x, w), y, BODY, Style::Bold, &c.signer_name, 0.5);
    layout.y = y;
}

fn lay_out(content: &Content) -> Vec<Vec<Op>> {
    let mut layout = Layout::new();
    heading(&mut layout, content);
    for block in &content.blocks {
        match block {
            Block::Section(text) => {
                layout.ensure(BODY * 5.0);
                layout.gap(BODY * 0.4);
                layout.paragraph(text, Style::Bold, BODY, 0.0);
            }
            Block::Paragraph(text) => layout.paragraph(text, Style::Regular, BODY, 0.0),
            Block::Table(t) => table(&mut layout, t),
            Block::Chart(c) => chart(&mut layout, c),
        }
    }
    closing(&mut layout, content);
    layout.pages
}

fn colour((r, g, b): (u8, u8, u8)) -> rgb::Color {
    rgb::Color::new(r, g, b)
}

/// The report as the bytes of a PDF file.
pub fn pdf(content: &Content) -> Result<Vec<u8>, ReportError> {
    let font = |bytes: &'static [u8]| Font::new(bytes.into(), 0).ok_or(ReportError::Font);
    let fonts = [font(REGULAR)?, font(BOLD)?, font(ITALIC)?];
    let pages = lay_out(content);
    let mut document = Document::new();
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT).ok_or(ReportError::Font)?;
    let black = Fill { paint: colour((0, 0, 0)).into(), opacity: NormalizedF32::ONE, rule: Default::default() };
    for (number, ops) in pages.iter().enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let draw_text =
            |surface: &mut krilla::surface::Surface, x: f32, y: f32, size: f32, style: Style, text: &str| {
                surface.set_fill(Some(black.clone()));
                surface.set_stroke(None);
                surface.draw_text(
                    Point::from_xy(x, y),
                    fonts[style as usize].clone(),
                    size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            };
        if number > 0 {
            let label = (number + 1).to_string();
            let x = LEFT + (WIDTH - text_width(&label, Style::Regular, BODY)) / 2.0;
            draw_text(&mut surface, x, TOP - 4.0, BODY, Style::Regular, &label);
        }
        for op in ops {
            match op {
                Op::Text { x, y, size, style, text } => draw_text(&mut surface, *x, *y, *size, *style, text),
                Op::Rect { x, y, w, h, fill, stroke } => {
                    let mut path = PathBuilder::new();
                    let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) else { continue };
                    path.push_rect(rect);
                    let Some(path) = path.finish() else { continue };
                    surface.set_fill(fill.map(|c| Fill { paint: colour(c).into(), ..black.clone() }));
                    surface.set_stroke(stroke.then(|| Stroke {
                        paint: colour((0, 0, 0)).into(),
                        width: 0.5,
                        ..Default::default()
                    }));
                    surface.draw_path(&path);
                }
                Op::Line { x1, y1, x2, y2 } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y1);
                    path.line_to(*x2, *y2);
                    let Some(path) = path.finish() else { continue };
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: colour((0, 0, 0)).into(),
                        width: 0.6,
                        ..Default::default()
                    }));
                    surface.draw_path(&path);
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| ReportError::Pdf(format!("{e:?}")))
}
