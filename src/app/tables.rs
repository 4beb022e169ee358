//! A report's tables (`report::Section`s) as files: CSV and a formatted spreadsheet, the
//! same bytes whichever face (the CLI, the back office) asks for them.

use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::report::{Cell, Section};

/// A cell as plain text (money to the fen, without a currency sign).
pub fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Money(d) => format!("{d:.2}"),
    }
}

/// One CSV: `section, column headers…` then the section's rows, a blank line between
/// sections.
pub fn write_csv(sections: &[Section], to: &mut dyn std::io::Write) -> Result<(), csv::Error> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(to);
    for s in sections {
        let mut head = vec![s.title.to_string()];
        head.extend(s.headers.iter().map(|h| h.to_string()));
        w.write_record(&head)?;
        for row in &s.rows {
            let mut rec = vec![String::new()];
            rec.extend(row.iter().map(cell_text));
            w.write_record(&rec)?;
        }
        w.write_record([""])?;
    }
    w.flush()?;
    Ok(())
}

/// A workbook with one sheet per section: bold headers, ¥ number formats, widths to fit.
pub fn workbook(sections: &[Section]) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#F2E6EA").set_align(FormatAlign::Center);
    let money = Format::new().set_num_format("¥#,##0.00");
    let count = Format::new().set_num_format("#,##0");
    let title = Format::new().set_bold().set_font_size(14);
    for (i, s) in sections.iter().enumerate() {
        let ws = wb.add_worksheet();
        // sheet names: at most 31 characters, no brackets
        let name: String = s.title.split_whitespace().next().unwrap_or("Sheet").chars().take(28).collect();
        ws.set_name(format!("{}{}", i + 1, name))?;
        ws.write_with_format(0, 0, s.title, &title)?;
        let mut widths: Vec<usize> = s.headers.iter().map(|h| unicode_width::UnicodeWidthStr::width(*h)).collect();
        for (c, h) in s.headers.iter().enumerate() {
            ws.write_with_format(2, c as u16, *h, &bold)?;
        }
        for (r_i, row) in s.rows.iter().enumerate() {
            let r_no = 3 + r_i as u32;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                match cell {
                    Cell::Text(t) => ws.write(r_no, col, t.as_str())?,
                    Cell::Count(n) => ws.write_with_format(r_no, col, *n as f64, &count)?,
                    Cell::Money(d) => {
                        let v: f64 = d.to_string().parse().unwrap_or_default();
                        ws.write_with_format(r_no, col, v, &money)?
                    }
                };
                if let Some(w) = widths.get_mut(c) {
                    *w = (*w).max(unicode_width::UnicodeWidthStr::width(cell_text(cell).as_str()) + 2);
                }
            }
        }
        for (c, w) in widths.iter().enumerate() {
            ws.set_column_width(c as u16, (*w as f64 + 2.0).min(60.0))?;
        }
        ws.set_freeze_panes(3, 0)?;
    }
    Ok(wb)
}
