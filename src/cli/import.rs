//! `salonbox import customers`: a spreadsheet of customers in, with its refusals.

use super::*;

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// 导入顾客表（.xlsx / .csv）/ import customers from .xlsx or .csv
    Customers {
        /// .xlsx 或 .csv 文件 / an .xlsx or .csv file
        file: PathBuf,
        /// 只检查，不写入 / check only, write nothing
        #[arg(long)]
        dry_run: bool,
        /// 有错误时仍导入正确的行 / import the good rows even if some are bad
        #[arg(long)]
        force_partial: bool,
        /// 以 JSON 输出 / output JSON
        #[arg(long)]
        json: bool,
    },
}

pub(super) fn import(app: &mut App, cmd: ImportCmd) -> Result<Outcome, CliError> {
    let ImportCmd::Customers { file, dry_run, force_partial, json } = cmd;
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let show = !json && std::io::stderr().is_terminal();
    let mut progress = |done: usize, total: usize| {
        if show && total > 1000 {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    };
    let r = app.import_customers(&file, ImportOptions { dry_run, force_partial }, &mut progress)?;
    bar.finish_and_clear();
    if json {
        print_json(&r)?;
    } else {
        if let Some(enc) = r.encoding {
            say(&msg::import_encoding(enc))?;
        }
        if !r.ignored_columns.is_empty() {
            say(&msg::import_ignored(&r.ignored_columns.join(", ")))?;
        }
        for b in &r.bad {
            say(&msg::import_bad_row(b.row, &b.reason))?;
        }
        say(&msg::import_summary(r.rows, r.created, r.merged, r.bad.len(), r.imported, r.dry_run))?;
    }
    if !r.bad.is_empty() && !force_partial {
        return Ok(Outcome::Problems);
    }
    Ok(Outcome::Ok)
}
