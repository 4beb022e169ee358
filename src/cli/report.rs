//! `salonbox report`: a report's tables as text, CSV or a formatted spreadsheet.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use rust_xlsxwriter::XlsxError;

use super::{CliError, Outcome, msg, parse_date, print_json, say};
use crate::app::App;
use crate::app::report::{Cell, Period, Section};
use crate::app::tables::{self, cell_text};

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

fn csv(sections: &[Section], to: &mut dyn std::io::Write) -> Result<(), CliError> {
    // A failed write is an output error (a closed pipe ends the command quietly).
    tables::write_csv(sections, to).map_err(|e| {
        let text = e.to_string();
        match e.into_kind() {
            csv::ErrorKind::Io(io) => CliError::Output(io),
            _ => CliError::Usage(msg::write_failed(&text)),
        }
    })
}

fn xlsx(sections: &[Section], path: &Path) -> Result<(), XlsxError> {
    tables::workbook(sections)?.save(path)
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
    // the figures the back office draws as charts come too: day by day, busy hours, age
    // groups, beautician performance
    let (r, t) = app.report_with_trends(period, date)?;
    let mut sections = r.sections();
    sections.extend(t.sections(period));
    #[derive(serde::Serialize)]
    struct WithTrends<'a> {
        #[serde(flatten)]
        report: &'a crate::app::report::Report,
        trends: &'a crate::app::report::Trends,
    }
    write(&WithTrends { report: &r, trends: &t }, &sections, a.format, a.output)?;
    if a.print {
        crate::station::printing::queue_report(app, &r)?;
        return super::device::print_now(app, matches!(a.format, Format_::Json | Format_::Csv));
    }
    Ok(Outcome::Ok)
}
