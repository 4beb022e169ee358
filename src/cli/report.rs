//! `salonbox report`: a report's tables as text, CSV or a formatted spreadsheet.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rust_xlsxwriter::{Format, FormatAlign, Workbook, XlsxError};

use super::{CliError, Outcome, msg, parse_date, print_json, say};
use crate::app::App;
use crate::app::report::{Cell, Period, Section};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PeriodArg {
    Daily,
    Weekly,
    Monthly,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format_ {
    Text,
    Csv,
    Xlsx,
    Json,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// daily / weekly / monthly
    #[arg(value_enum)]
    period: PeriodArg,
    /// 报表中的任一天（默认今天）/ any day inside the period (default: today)
    #[arg(long)]
    date: Option<String>,
    /// text、csv、xlsx 或 json
    #[arg(long, value_enum, default_value = "text")]
    format: Format_,
    /// 输出文件（xlsx 必填，csv 默认标准输出）/ output file (needed for xlsx; csv defaults to stdout)
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// 同时在小票打印机上打印 / also print it on the receipt printer
    #[arg(long)]
    print: bool,
}

fn cell_text(c: &Cell) -> String {
    match c {
        Cell::Text(s) => s.clone(),
        Cell::Count(n) => n.to_string(),
        Cell::Money(d) => format!("{d:.2}"),
    }
}

fn text(sections: &[Section]) -> String {
    let mut out = String::new();
    for s in sections {
        out.push_str(&format!("\n【{}】\n", s.title));
        if s.rows.is_empty() {
            out.push_str(msg::report_nothing());
            out.push('\n');
            continue;
        }
        let rows: Vec<Vec<String>> = s
            .rows
            .iter()
            .map(|row| row.iter().map(|c| if let Cell::Money(d) = c { msg::yuan(*d) } else { cell_text(c) }).collect())
            .collect();
        out.push_str(super::table::render_dyn(&s.headers, &rows).trim_end());
        out.push('\n');
    }
    out.trim_start().to_string()
}

/// One CSV: `section, column headers…` rows then the section's rows, a blank line between.
fn csv(sections: &[Section], to: &mut dyn std::io::Write) -> Result<(), CliError> {
    let mut w = csv::WriterBuilder::new().flexible(true).from_writer(to);
    // A failed write is an output error (a closed pipe ends the command quietly).
    let map = |e: csv::Error| {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(io) => CliError::Output(io),
            _ => CliError::Usage(msg::write_failed(&text)),
        }
    };
    for s in sections {
        let mut head = vec![s.title.to_string()];
        head.extend(s.headers.iter().map(|h| h.to_string()));
        w.write_record(&head).map_err(map)?;
        for row in &s.rows {
            let mut rec = vec![String::new()];
            rec.extend(row.iter().map(cell_text));
            w.write_record(&rec).map_err(map)?;
        }
        w.write_record([""]).map_err(map)?;
    }
    w.flush()?;
    Ok(())
}

/// A workbook with one sheet per section: bold headers, ¥ number formats, widths to fit.
fn xlsx(sections: &[Section], path: &Path) -> Result<(), XlsxError> {
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
    wb.save(path)
}

/// A report in the format asked for: JSON of `value`, or its `sections` as text, CSV or a
/// workbook, to standard output or `output`.
pub(super) fn write<T: serde::Serialize>(
    value: &T,
    sections: &[Section],
    format: Format_,
    output: Option<PathBuf>,
) -> Result<(), CliError> {
    match (format, output) {
        (Format_::Json, _) => print_json(value)?,
        (Format_::Text, None) => say(&text(sections))?,
        (Format_::Text, Some(p)) => std::fs::write(&p, text(sections))
            .map_err(|e| CliError::Usage(msg::write_file_failed(&p, &e.to_string())))?,
        (Format_::Csv, None) => csv(sections, &mut std::io::stdout().lock())?,
        (Format_::Csv, Some(p)) => {
            let mut f =
                std::fs::File::create(&p).map_err(|e| CliError::Usage(msg::write_file_failed(&p, &e.to_string())))?;
            csv(sections, &mut f)?;
            say(&msg::report_written(&p))?;
        }
        (Format_::Xlsx, None) => return Err(CliError::Usage(msg::xlsx_needs_output())),
        (Format_::Xlsx, Some(p)) => {
            xlsx(sections, &p).map_err(|e| CliError::Usage(msg::write_file_failed(&p, &e.to_string())))?;
            say(&msg::report_written(&p))?;
        }
    }
    Ok(())
}

pub fn run(app: &mut App, a: ReportArgs) -> Result<Outcome, CliError> {
    let period = match a.period {
        PeriodArg::Daily => Period::Daily,
        PeriodArg::Weekly => Period::Weekly,
        PeriodArg::Monthly => Period::Monthly,
    };
    let date = parse_date(a.date.as_deref())?.unwrap_or_else(|| app.today());
    let r = app.report(period, date)?;
    write(&r, &r.sections(), a.format, a.output)?;
    if a.print {
        crate::station::printing::queue_report(app, &r)?;
        return super::device::print_now(app, matches!(a.format, Format_::Json | Format_::Csv));
    }
    Ok(Outcome::Ok)
}
