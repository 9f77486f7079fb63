//! The report as DOCX for Word and LibreOffice Writer: real paragraphs and tables a clerk can
//! edit, A4 portrait with the decree's margins, Times New Roman (Liberation Serif where it is
//! missing: the same metrics), the page number at the top centre, charts as PNG images.

use docx_rs::{
    AlignmentType, Docx, Header, PageMargin, PageNum, Paragraph, Pic, Run, RunFonts, Shading, Table as DocxTable,
    TableCell, TableRow, WidthType,
};

use super::ReportError;
use super::chart_png;
use super::content::{Block, Content, Table};

/// Twentieths of a point per millimetre.
const MM: f32 = 1440.0 / 25.4;
/// The text width between the margins (210 − 30 − 15 mm), in twips.
const TEXT_WIDTH: f32 = 165.0 * MM;

fn run(text: &str, size_pt: f32) -> Run {
    Run::new().add_text(text).size((size_pt * 2.0) as usize)
}

fn centred(runs: Vec<Run>) -> Paragraph {
    runs.into_iter().fold(Paragraph::new().align(AlignmentType::Center), Paragraph::add_run)
}

fn cell(paragraphs: Vec<Paragraph>, width: usize) -> TableCell {
    paragraphs.into_iter().fold(TableCell::new().width(width, WidthType::Dxa), TableCell::add_paragraph)
}

/// The letterhead: two columns without borders, body and number left, motto and date right.
fn heading(content: &Content) -> DocxTable {
    let h = &content.heading;
    let left = (TEXT_WIDTH * 0.42) as usize;
    let right = (TEXT_WIDTH * 0.58) as usize;
    let row = TableRow::new(vec![
        cell(
            vec![
                centred(vec![run(&h.superior, 12.0)]),
                centred(vec![run(&h.issuing_body, 12.0).bold()]),
                centred(vec![run(&h.number, 13.0)]),
            ],
            left,
        ),
        cell(
            vec![
                centred(vec![run(&h.motto, 12.0).bold()]),
                centred(vec![run(&h.motto_line, 13.0).bold()]),
                centred(vec![run(&h.place_date, 13.0).italic()]),
            ],
            right,
        ),
    ]);
    DocxTable::without_borders(vec![row]).set_grid(vec![left, right])
}

fn table(table: &Table) -> DocxTable {
    let total: f32 = table.columns.iter().map(|c| c.width).sum();
    let widths: Vec<usize> = table.columns.iter().map(|c| (TEXT_WIDTH * c.width / total) as usize).collect();
    let header = TableRow::new(
        table
            .columns
            .iter()
            .zip(&widths)
            .map(|(c, w)| {
                cell(vec![centred(vec![run(&c.title, 10.0).bold()])], *w).shading(Shading::new().fill("E6E6E6"))
            })
            .collect(),
    );
    let mut rows = vec![header];
    for (i, row) in table.rows.iter().enumerate() {
        let bold = table.bold_rows.contains(&i);
        rows.push(TableRow::new(
            row.iter()
                .zip(&table.columns)
                .zip(&widths)
                .map(|((text, column), w)| {
                    let r = run(text, 10.0);
                    let r = if bold { r.bold() } else { r };
                    let align = if column.numeric { AlignmentType::Right } else { AlignmentType::Left };
                    cell(vec![Paragraph::new().align(align).add_run(r)], *w)
                })
                .collect(),
        ));
    }
    DocxTable::new(rows).set_grid(widths)
}

/// The report as the bytes of a DOCX file.
pub fn docx(content: &Content) -> Result<Vec<u8>, ReportError> {
    let margin = PageMargin {
        top: (20.0 * MM) as i32,
        bottom: (20.0 * MM) as i32,
        left: (30.0 * MM) as i32,
        right: (15.0 * MM) as i32,
        header: (10.0 * MM) as i32,
        footer: (10.0 * MM) as i32,
        gutter: 0,
    };
    let serif = RunFonts::new().ascii("Times New Roman").hi_ansi("Times New Roman").cs("Times New Roman");
    let page_number =
        Header::new().add_paragraph(Paragraph::new().align(AlignmentType::Center).add_page_num(PageNum::new()));
    let mut doc = Docx::new()
        .page_size((210.0 * MM) as u32, (297.0 * MM) as u32)
        .page_margin(margin)
        .default_fonts(serif)
        .default_size(26)
        .header(page_number)
        .first_header(Header::new())
        .title_pg()
        .add_table(heading(content))
        .add_paragraph(Paragraph::new())
        .add_paragraph(centred(vec![run(&content.heading.title, 14.0).bold()]))
        .add_paragraph(centred(vec![run(&content.heading.subtitle, 14.0).bold()]));
    for block in &content.blocks {
        doc = match block {
            Block::Section(text) => doc.add_paragraph(Paragraph::new().keep_next(true).add_run(run(text, 13.0).bold())),
            Block::Paragraph(text) => {
                doc.add_paragraph(Paragraph::new().align(AlignmentType::Both).add_run(run(text, 13.0)))
            }
            Block::Table(t) => doc.add_table(table(t)).add_paragraph(Paragraph::new()),
            Block::Chart(c) if c.bars.is_empty() => doc,
            Block::Chart(c) => {
                let (png, width_emu, height_emu) = chart_png::png(c)?;
                // The size it shows at is set in EMU, so the pixel size given first is unused.
                let picture = Pic::new_with_dimensions(png, 0, 0).size(width_emu, height_emu);
                doc.add_paragraph(centred(vec![Run::new().add_image(picture)]))
            }
        };
    }
    let c = &content.closing;
    let left = (TEXT_WIDTH * 0.45) as usize;
    let right = (TEXT_WIDTH * 0.55) as usize;
    let mut recipients = vec![Paragraph::new().add_run(run("Nơi nhận:", 12.0).bold().italic())];
    recipients.extend(c.recipients.iter().map(|r| Paragraph::new().add_run(run(r, 11.0))));
    let mut signer = vec![centred(vec![run(&c.signer_title, 13.0).bold()])];
    signer.extend((0..5).map(|_| Paragraph::new()));
    signer.push(centred(vec![run(&c.signer_name, 13.0).bold()]));
    let closing = TableRow::new(vec![cell(recipients, left), cell(signer, right)]).cant_split();
    doc = doc
        .add_paragraph(Paragraph::new())
        .add_table(DocxTable::without_borders(vec![closing]).set_grid(vec![left, right]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    doc.build().pack(&mut bytes).map_err(|e| ReportError::Docx(e.to_string()))?;
    Ok(bytes.into_inner())
}
