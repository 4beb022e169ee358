//! `import customers`: the spreadsheets salons really have.
//!
//! `.xlsx` (first sheet) and `.csv` in UTF-8, UTF-8 with BOM, UTF-16 with BOM or
//! GB18030/GBK (detected), comma- or tab-separated, Chinese or English headers. Every bad row
//! is reported with its row number (as the spreadsheet shows it) and reason. Nothing is
//! written unless every row is good or partial import is asked for; then all good rows go in
//! one transaction. Rows with a phone number already known (in the file or the database)
//! are merged into that customer, never doubled.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};
use chrono::NaiveDate;
use serde::Serialize;
use thiserror::Error;

use super::customers::{parse_birthday, parse_gender};
use super::{App, Result};
use crate::domain::customer::{Gender, check_birthday, check_length, limits};
use crate::domain::idcard::{IdCardKey, IdNumber};
use crate::domain::model::Customer;
use crate::domain::phone::Phone;
use crate::store::{CustomerPatch, NewCustomer};

#[derive(Debug, Error)]
pub enum ImportError {
    #[error("无法读取 {path}：{source} / cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("无法打开表格 {path}：{message} / cannot open the spreadsheet {path}: {message}")]
    Spreadsheet { path: PathBuf, message: String },
    #[error("{path} 第 {line} 行：CSV 格式错误：{message} / {path} line {line}: malformed CSV: {message}")]
    Csv { path: PathBuf, line: u64, message: String },
    #[error(
        "{path}：文件编码无法识别（不是 UTF-8 也不是 GB18030）/ {path}: unknown text encoding (neither UTF-8 nor GB18030)"
    )]
    Encoding { path: PathBuf },
    #[error("{path}：不支持的文件类型（请用 .xlsx 或 .csv）/ {path}: unsupported file type (use .xlsx or .csv)")]
    Format { path: PathBuf },
    #[error(
        "{path}：找不到必需的列「{column}」（表头：{headers}）/ {path}: required column \"{column}\" not found (headers: {headers})"
    )]
    MissingColumn { path: PathBuf, column: &'static str, headers: String },
    #[error("{path}：文件中没有数据 / {path}: the file holds no rows")]
    Empty { path: PathBuf },
    #[error(
        "{path}：文件有 {size} 字节，超过 {max} 字节的上限；请分成几个文件 / {path}: the file is {size} bytes, over the limit of {max}: split it"
    )]
    TooLarge { path: PathBuf, size: u64, max: u64 },
}

/// The largest file an import reads: some 100,000 customers in a spreadsheet.
pub const MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Field {
    Name,
    Phone,
    Gender,
    Birthday,
    Notes,
    Tier,
    Allergies,
    SkinType,
    IdNumber,
}

fn field_of(header: &str) -> Option<Field> {
    let h: String = header
        .trim()
        .trim_matches(['*', '（', '）', '(', ')', ':', '：'])
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Some(match h.as_str() {
        "姓名" | "名字" | "顾客姓名" | "客户姓名" | "会员姓名" | "顾客" | "客户" | "name" | "customer"
        | "customer name" | "full name" => Field::Name,
        "手机" | "手机号" | "手机号码" | "电话" | "电话号码" | "联系电话" | "联系方式" | "phone" | "mobile" | "tel"
        | "telephone" | "phone number" | "mobile phone" => Field::Phone,
        "性别" | "gender" | "sex" => Field::Gender,
        "生日" | "出生日期" | "出生年月日" | "出生年月" | "birthday" | "birth date" | "date of birth" | "dob" => {
            Field::Birthday
        }
        "备注" | "说明" | "备注信息" | "notes" | "note" | "remark" | "remarks" | "comment" | "comments" => {
            Field::Notes
        }
        "会员等级" | "等级" | "会员级别" | "会员卡等级" | "级别" | "tier" | "level" | "membership" | "member level" => {
            Field::Tier
        }
        "过敏" | "过敏史" | "过敏信息" | "allergies" | "allergy" => Field::Allergies,
        "肤质" | "皮肤类型" | "skin type" | "skin" => Field::SkinType,
        "身份证" | "身份证号" | "身份证号码" | "证件号" | "证件号码" | "id card" | "id number" | "id card number" => {
            Field::IdNumber
        }
        _ => return None,
    })
}

/// One bad row: its number as the spreadsheet shows it (header = row 1) and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RowError {
    pub row: usize,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ImportReport {
    pub file: PathBuf,
    /// Detected text encoding (CSV only).
    pub encoding: Option<&'static str>,
    /// Data rows read (blank rows not counted).
    pub rows: usize,
    /// New customers (created, or that would be in a dry run).
    pub created: usize,
    /// Rows merged into an existing customer or an earlier row of the file.
    pub merged: usize,
    pub bad: Vec<RowError>,
    pub ignored_columns: Vec<String>,
    /// Whether anything was written.
    pub imported: bool,
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    pub dry_run: bool,
    pub force_partial: bool,
}

#[derive(Debug, Clone, Default)]
struct Good {
    /// The spreadsheet row it came from (the first, when later rows were merged into it).
    row: usize,
    name: String,
    phone: Option<Phone>,
    gender: Gender,
    birthday: Option<NaiveDate>,
    notes: String,
    tier: Option<String>,
    allergies: String,
    skin_type: Option<String>,
    /// Validated, hashed and masked as the row is read: the number itself goes no further.
    id_card: Option<IdCardKey>,
}

/// A table of text cells: header row and data rows with their spreadsheet row numbers.
struct Table {
    headers: Vec<String>,
    rows: Vec<(usize, Vec<String>)>,
    encoding: Option<&'static str>,
}

fn read_table(path: &Path) -> Result<Table, ImportError> {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_lowercase).unwrap_or_default();
    let read: fn(&Path) -> Result<Table, ImportError> = match ext.as_str() {
        "xlsx" | "xlsm" | "xls" | "xlsb" | "ods" => read_sheet,
        "csv" | "txt" | "tsv" => read_csv,
        _ => return Err(ImportError::Format { path: path.to_path_buf() }),
    };
    let size = std::fs::metadata(path).map_err(|source| ImportError::Read { path: path.to_path_buf(), source })?.len();
    if size > MAX_FILE_BYTES {
        return Err(ImportError::TooLarge { path: path.to_path_buf(), size, max: MAX_FILE_BYTES });
    }
    read(path)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        // Phone numbers typed into Excel become numbers: 13812345678.0
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_sheet(path: &Path) -> Result<Table, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read { path: path.to_path_buf(), source })?;
    sheet_table(path, bytes)
}

/// A spreadsheet's first worksheet; `path` names it in errors and picks nothing else.
fn sheet_table(path: &Path, bytes: Vec<u8>) -> Result<Table, ImportError> {
    let err = |message: String| ImportError::Spreadsheet { path: path.to_path_buf(), message };
    let read = || -> Result<calamine::Range<Data>, String> {
        let mut wb = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
        let first = wb.sheet_names().first().cloned().ok_or_else(|| "no worksheet".to_string())?;
        wb.worksheet_range(&first).map_err(|e| e.to_string())
    };
    let range =
        contain_panic(read).map_err(|p| err(format!("文件已损坏 / the file is damaged ({p})")))?.map_err(err)?;
    let start_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows =
        range.rows().enumerate().map(|(i, r)| (start_row + i + 1, r.iter().map(cell_text).collect::<Vec<_>>()));
    let Some((_, headers)) = rows.next() else {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    };
    Ok(Table { headers, rows: rows.collect(), encoding: None })
}

/// Runs `f`, turning a panic into an error carrying its message. calamine panics on some
/// damaged spreadsheets (an index past the end of a table); an import must refuse such a
/// file, not die of it. The panic message goes to the log instead of standard error.
fn contain_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    use std::cell::Cell;
    thread_local!(static CONTAINED: Cell<bool> = const { Cell::new(false) });
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CONTAINED.with(Cell::get) {
                tracing::warn!(%info, "the spreadsheet reader panicked");
            } else {
                previous(info);
            }
        }));
    });
    CONTAINED.with(|c| c.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    CONTAINED.with(|c| c.set(false));
    result.map_err(|p| {
        p.downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| p.downcast_ref::<String>().cloned())
            .unwrap_or_default()
    })
}

/// Decodes CSV bytes: a BOM decides; else valid UTF-8 is UTF-8; else GB18030 (which covers
/// GBK and GB2312), refused if it is not valid GB18030 either.
fn decode(bytes: &[u8]) -> Option<(String, &'static str)> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (!had_errors)
            .then(|| (text.into_owned(), if enc == encoding_rs::UTF_8 { "UTF-8 (BOM)" } else { enc.name() }));
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some((s.to_string(), "UTF-8"));
    }
    encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes).map(|t| (t.into_owned(), "GB18030"))
}

fn read_csv(path: &Path) -> Result<Table, ImportError> {
    let bytes = std::fs::read(path).map_err(|source| ImportError::Read { path: path.to_path_buf(), source })?;
    csv_table(path, &bytes)
}

/// A CSV (or tab-separated) file's rows; `path` names it in errors.
fn csv_table(path: &Path, bytes: &[u8]) -> Result<Table, ImportError> {
    let (text, encoding) = decode(bytes).ok_or_else(|| ImportError::Encoding { path: path.to_path_buf() })?;
    // Old Mac files end lines with CR alone; the csv reader counts lines by LF, so every row
    // would be "row 1". Lines end with LF from here on (found by the import fuzz target).
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains('\t') && !first_line.contains(',') { b'\t' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).delimiter(delimiter).from_reader(text.as_bytes());
    let mut records = Vec::new();
    for rec in reader.records() {
        let rec = rec.map_err(|e| ImportError::Csv {
            path: path.to_path_buf(),
            line: e.position().map_or(0, |p| p.line()),
            message: e.to_string(),
        })?;
        let line = rec.position().map_or(records.len() + 1, |p| p.line() as usize);
        records.push((line, rec.iter().map(|s| s.trim().to_string()).collect::<Vec<_>>()));
    }
    let mut it = records.into_iter();
    let Some((_, headers)) = it.next() else {
        return Err(ImportError::Empty { path: path.to_path_buf() });
    };
    Ok(Table { headers, rows: it.collect(), encoding: Some(encoding) })
}

/// Which column holds which field (the first one that names it), and the headers that name
/// none.
struct Columns {
    at: HashMap<Field, usize>,
    ignored: Vec<String>,
}

impl Columns {
    fn of(headers: &[String]) -> Columns {
        let mut at = HashMap::new();
        let mut ignored = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            match field_of(h) {
                Some(f) => {
                    at.entry(f).or_insert(i);
                }
                None if !h.trim().is_empty() => ignored.push(h.trim().to_string()),
                None => {}
            }
        }
        Columns { at, ignored }
    }

    /// The trimmed text of `f` in a row; empty when the file has no such column.
    fn get(&self, cells: &[String], f: Field) -> String {
        self.at.get(&f).and_then(|&i| cells.get(i)).map(|s| s.trim().to_string()).unwrap_or_default()
    }
}

/// The import's property for the fuzz target (`fuzz/`, replayed by `tests/fuzz_corpus.rs`):
/// `data` read as a CSV file and as a spreadsheet never panics; a refusal names the file;
/// rows keep their order; and no row's complaint repeats an identity-card number in clear.
pub fn fuzz_import(data: &[u8]) {
    let path = Path::new("顾客.csv");
    let key = [7u8; 32];
    let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
    for table in [csv_table(path, data), sheet_table(path, data.to_vec())] {
        let t = match table {
            Ok(t) => t,
            Err(e) => {
                assert!(e.to_string().contains("顾客.csv"), "{e}");
                continue;
            }
        };
        assert!(t.rows.windows(2).all(|w| w[0].0 < w[1].0), "rows out of order");
        let columns = Columns::of(&t.headers);
        for (_, cells) in &t.rows {
            if let Err(reason) = parse_row(cells, &columns, &[], &key, today) {
                assert!(!reason.is_empty());
                for c in cells.iter().filter(|c| crate::domain::idcard::IdNumber::parse(c).is_ok()) {
                    assert!(!reason.contains(c.trim()), "a complaint repeats an identity-card number");
                }
            }
        }
    }
}

impl App {
    /// Imports customers from `path`. `progress(done, total)` is called as rows are
    /// checked and written.
    pub fn import_customers(
        &mut self,
        path: &Path,
        opts: ImportOptions,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ImportReport> {
        let table = read_table(path)?;
        let columns = Columns::of(&table.headers);
        let headers = table.headers.join(", ");
        for (f, name) in [(Field::Name, "姓名 name"), (Field::Phone, "手机 phone")] {
            if !columns.at.contains_key(&f) {
                return Err(ImportError::MissingColumn { path: path.to_path_buf(), column: name, headers }.into());
            }
        }
        let tiers = self.store.read(|tx| tx.tier_names())?;
        let today = self.today();

        let total = table.rows.len();
        let mut bad = Vec::new();
        let mut good: Vec<Good> = Vec::new();
        let mut by_phone: HashMap<Phone, usize> = HashMap::new();
        let mut by_card: HashMap<String, usize> = HashMap::new();
        let mut rows = 0;
        let mut merged = 0;
        for (i, (row, cells)) in table.rows.iter().enumerate() {
            if i % 256 == 0 {
                progress(i, total * 2);
            }
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows += 1;
            let g = match parse_row(cells, &columns, &tiers, self.device_key(), today) {
                Ok(g) => Good { row: *row, ..g },
                Err(reason) => {
                    bad.push(RowError { row: *row, reason });
                    continue;
                }
            };
            // The same person twice in the file: same phone, or same identity card. Rows
            // are merged only when they agree; two people under one phone or one card is
            // the owner's to sort out, naming both rows.
            let same_phone = g.phone.as_ref().and_then(|p| by_phone.get(p)).copied();
            let same_card = g.id_card.as_ref().and_then(|k| by_card.get(&k.hash)).copied();
            let earlier = match (same_phone, same_card) {
                (Some(a), Some(b)) if a != b => {
                    bad.push(RowError {
                        row: *row,
                        reason: format!(
                            "手机号与第 {} 行相同，身份证却与第 {} 行相同 / the phone is row {}'s but the identity card is row {}'s",
                            good[a].row, good[b].row, good[a].row, good[b].row
                        ),
                    });
                    continue;
                }
                (a, b) => a.or(b),
            };
            match earlier {
                Some(at) => match disagreement(&good[at], &g) {
                    Some(what) => bad.push(RowError { row: *row, reason: conflict_with_row(good[at].row, &what) }),
                    None => {
                        merge_rows(&mut good[at], g);
                        merged += 1;
                    }
                },
                None => {
                    if let Some(p) = &g.phone {
                        by_phone.insert(p.clone(), good.len());
                    }
                    if let Some(k) = &g.id_card {
                        by_card.insert(k.hash.clone(), good.len());
                    }
                    good.push(g);
                }
            }
        }
        if rows == 0 {
            return Err(ImportError::Empty { path: path.to_path_buf() }.into());
        }
        let now = self.now();
        // Rows that contradict a customer on file are refused like any bad row; the first
        // pass finds them before anything is decided.
        let conflicts = self.store.read(|tx| {
            let mut out = Vec::new();
            for g in &good {
                if let Plan::Conflict(reason) = plan(tx, g)? {
                    out.push(RowError { row: g.row, reason });
                }
            }
            Ok::<_, super::AppError>(out)
        })?;
        let refused: std::collections::HashSet<usize> = conflicts.iter().map(|e| e.row).collect();
        bad.extend(conflicts);
        bad.sort_by_key(|e| e.row);
        let mut report = ImportReport {
            file: path.to_path_buf(),
            encoding: table.encoding,
            rows,
            created: 0,
            merged,
            bad,
            ignored_columns: columns.ignored,
            imported: false,
            dry_run: opts.dry_run,
        };
        // Bad rows without --force-partial, or a dry run: count what would happen, write nothing.
        let write = !opts.dry_run && (report.bad.is_empty() || opts.force_partial);
        let outcome = {
            let f = |tx: &crate::store::Tx<'_>| -> Result<(usize, usize)> {
                let mut created = 0;
                let mut merged_db = 0;
                for (i, g) in good.iter().enumerate() {
                    if i % 256 == 0 {
                        progress(total + i * total / good.len().max(1), total * 2);
                    }
                    if refused.contains(&g.row) {
                        continue;
                    }
                    match plan(tx, g)? {
                        Plan::Merge(c) => {
                            merged_db += 1;
                            let patch = fill_blanks(&c, g);
                            if write && !patch.is_empty() {
                                tx.update_customer(&c.id, &patch, "import", now)?;
                            }
                        }
                        Plan::Create => {
                            created += 1;
                            if write {
                                tx.insert_customer(&to_new(g), now)?;
                            }
                        }
                        // Changed since the first pass (another desk's edit): nothing of the
                        // file is written.
                        Plan::Conflict(reason) => {
                            return Err(super::AppError::input(
                                "导入 import",
                                format!("第 {} 行：{reason} / row {}: {reason}", g.row, g.row),
                            ));
                        }
                    }
                }
                if write {
                    tx.audit(
                        now,
                        "cli",
                        "import.customers",
                        "file",
                        &path.display().to_string(),
                        &serde_json::json!({ "rows": rows, "created": created, "merged": merged_db }),
                    )?;
                }
                Ok((created, merged_db))
            };
            if write { self.store.write(f)? } else { self.store.read(f)? }
        };
        progress(total * 2, total * 2);
        report.created = outcome.0;
        report.merged += outcome.1;
        report.imported = write;
        tracing::info!(file = %path.display(), rows, created = report.created, merged = report.merged, bad = report.bad.len(), written = write, "customer import");
        Ok(report)
    }
}

/// What a good row does to the customers on file.
enum Plan {
    Create,
    /// The same person (same phone, or same identity card), agreeing: blanks are filled.
    Merge(Box<Customer>),
    /// Another person under this phone or identity card: refused, with why.
    Conflict(String),
}

fn plan(tx: &crate::store::Tx<'_>, g: &Good) -> Result<Plan> {
    let on_file = existing_customer(tx, g)?;
    let Some(c) = on_file else { return Ok(Plan::Create) };
    let who = format!("{}（{}）", c.name, c.member_code);
    let phone = c.phone.as_ref().map(Phone::masked).unwrap_or_default();
    if g.phone.is_some() && c.phone != g.phone {
        return Ok(Plan::Conflict(format!(
            "身份证已登记在顾客 {who} 名下（手机 {phone}），与本行手机号不同 / the identity card is on file for customer {who} (phone {phone}), with another phone number"
        )));
    }
    if let Some(k) = &g.id_card
        && let Some(other) = tx.customer_by_id_card(&k.hash)?
        && other.id != c.id
    {
        let other_who = format!("{}（{}）", other.name, other.member_code);
        return Ok(Plan::Conflict(format!(
            "手机号是顾客 {who} 的，身份证却登记在顾客 {other_who} 名下 / the phone is customer {who}'s but the identity card is customer {other_who}'s"
        )));
    }
    let stored = Good {
        row: 0,
        name: c.name.clone(),
        phone: c.phone.clone(),
        gender: c.gender,
        birthday: c.birthday,
        id_card: None,
        ..Good::default()
    };
    if let Some(what) = disagreement(&stored, g) {
        return Ok(Plan::Conflict(format!("与已登记的顾客 {who} {what}")));
    }
    if let (Some(mine), Some(k)) = (&c.id_card_masked, &g.id_card)
        && tx.customer_by_id_card(&k.hash)?.is_none_or(|x| x.id != c.id)
    {
        return Ok(Plan::Conflict(format!(
            "与已登记的顾客 {who} 手机号相同，身份证不同（{mine} / {}）/ same phone as customer {who}, another identity card",
            k.masked
        )));
    }
    Ok(Plan::Merge(Box::new(c)))
}

/// How two records of what should be one person disagree, if they do (blanks agree with
/// anything): `"手机号相同，姓名不同（王芳 / 李娜）/ same phone, another name (…)"`.
fn disagreement(a: &Good, b: &Good) -> Option<String> {
    let key =
        if a.phone.is_some() && a.phone == b.phone { ("手机号", "phone") } else { ("身份证", "identity card") };
    let differs = |zh: &str, en: &str, x: String, y: String| {
        format!("{}相同，{zh}不同（{x} / {y}）/ same {}, another {en} ({x} / {y})", key.0, key.1)
    };
    if a.name.trim() != b.name.trim() {
        return Some(differs("姓名", "name", a.name.clone(), b.name.clone()));
    }
    if a.phone.is_some() && b.phone.is_some() && a.phone != b.phone {
        let m = |p: &Option<Phone>| p.as_ref().map(Phone::masked).unwrap_or_default();
        return Some(differs("手机号", "phone", m(&a.phone), m(&b.phone)));
    }
    if let (Some(x), Some(y)) = (&a.id_card, &b.id_card)
        && x.hash != y.hash
    {
        return Some(differs("身份证", "identity card", x.masked.clone(), y.masked.clone()));
    }
    if a.gender != Gender::Unknown && b.gender != Gender::Unknown && a.gender != b.gender {
        return Some(differs("性别", "sex", a.gender.label_zh().into(), b.gender.label_zh().into()));
    }
    if let (Some(x), Some(y)) = (a.birthday, b.birthday)
        && x != y
    {
        return Some(differs("生日", "birthday", x.to_string(), y.to_string()));
    }
    None
}

fn conflict_with_row(row: usize, what: &str) -> String {
    format!("与第 {row} 行{what}；请核对后只保留一行 (row {row}) / check both rows and keep one")
}

/// The customer a row belongs to: same phone, or the same identity card under another phone.
fn existing_customer(tx: &crate::store::Tx<'_>, g: &Good) -> Result<Option<Customer>> {
    if let Some(p) = &g.phone
        && let Some(c) = tx.customer_by_phone(p)?
    {
        return Ok(Some(c));
    }
    match &g.id_card {
        Some(k) => Ok(tx.customer_by_id_card(&k.hash)?),
        None => Ok(None),
    }
}

/// A row checked and read. A complaint quotes what was wrong; an identity-card number in
/// any cell of the row (one in the phone column, say) is shown only masked in it.
fn parse_row(
    cells: &[String],
    columns: &Columns,
    tiers: &[String],
    device_key: &[u8],
    today: NaiveDate,
) -> Result<Good, String> {
    read_row(cells, columns, tiers, device_key, today).map_err(|mut reason| {
        for cell in cells.iter().map(|c| c.trim()) {
            if let Ok(id) = IdNumber::parse(cell) {
                reason = reason.replace(cell, &id.masked());
            }
        }
        reason
    })
}

fn read_row(
    cells: &[String],
    columns: &Columns,
    tiers: &[String],
    device_key: &[u8],
    today: NaiveDate,
) -> Result<Good, String> {
    let get = |cells: &[String], f: Field| columns.get(cells, f);
    let name = get(cells, Field::Name);
    if name.is_empty() {
        return Err("姓名为空 / name is empty".into());
    }
    // Every text field has a limit: a runaway cell is this row's error, not a 10 MB note.
    for (f, label, max) in [
        (Field::Name, "姓名 name", limits::NAME),
        (Field::Notes, "备注 notes", limits::NOTES),
        (Field::Allergies, "过敏 allergies", limits::ALLERGIES),
        (Field::SkinType, "肤质 skin type", limits::SKIN_TYPE),
        (Field::Tier, "会员等级 tier", limits::NAME),
        (Field::Gender, "性别 gender", limits::TAG),
        (Field::Birthday, "生日 birthday", limits::TAG),
        (Field::Phone, "手机 phone", limits::TAG),
        (Field::IdNumber, "身份证 ID card", limits::TAG),
    ] {
        check_length(label, &get(cells, f), max)?;
    }
    let phone_text = get(cells, Field::Phone);
    let phone = Phone::parse(&phone_text).map_err(|e| format!("手机号 \"{phone_text}\"：{e}"))?;
    let gender = parse_gender(&get(cells, Field::Gender))?;
    let b = get(cells, Field::Birthday);
    let birthday = if b.is_empty() { None } else { Some(parse_birthday(&b)?) };
    if let Some(d) = birthday {
        check_birthday(d, today)?;
    }
    let t = get(cells, Field::Tier);
    let tier = if t.is_empty() {
        None
    } else if let Some(known) =
        tiers.iter().find(|k| k.as_str() == t || t.starts_with(k.as_str()) || k.starts_with(t.as_str()))
    {
        Some(known.clone())
    } else {
        return Err(format!(
            "未知会员等级 \"{t}\"（可用：{}）/ unknown tier \"{t}\" (known: {})",
            tiers.join("、"),
            tiers.join(", ")
        ));
    };
    let skin = get(cells, Field::SkinType);
    let id_text = get(cells, Field::IdNumber);
    let id_card = if id_text.is_empty() {
        None
    } else {
        // The message names the problem, never the number.
        let id = IdNumber::parse(&id_text).map_err(|e| format!("身份证 / ID card: {e}"))?;
        Some(id.key(device_key))
    };
    Ok(Good {
        row: 0,
        name,
        phone: Some(phone),
        gender,
        birthday,
        notes: get(cells, Field::Notes),
        tier,
        allergies: get(cells, Field::Allergies),
        skin_type: (!skin.is_empty()).then_some(skin),
        id_card,
    })
}

fn join_text(a: &str, b: &str) -> String {
    match (a.trim().is_empty(), b.trim().is_empty()) {
        (_, true) => a.to_string(),
        (true, false) => b.to_string(),
        (false, false) if a.contains(b.trim()) => a.to_string(),
        (false, false) => format!("{a}；{b}"),
    }
}

/// A later row of the file with the same phone: fills what the earlier one left blank.
fn merge_rows(into: &mut Good, other: Good) {
    if into.gender == Gender::Unknown {
        into.gender = other.gender;
    }
    into.birthday = into.birthday.or(other.birthday);
    into.tier = into.tier.take().or(other.tier);
    into.skin_type = into.skin_type.take().or(other.skin_type);
    into.id_card = into.id_card.take().or(other.id_card);
    into.notes = join_text(&into.notes, &other.notes);
    into.allergies = join_text(&into.allergies, &other.allergies);
}

/// What a row adds to a customer already on file: blanks filled, notes appended; nothing
/// the shop already has is overwritten.
fn fill_blanks(c: &Customer, g: &Good) -> CustomerPatch {
    let mut p = CustomerPatch::default();
    if c.gender == Gender::Unknown && g.gender != Gender::Unknown {
        p.gender = Some(g.gender);
    }
    if c.birthday.is_none() {
        p.birthday = g.birthday;
    }
    if c.tier.is_none() {
        p.tier = g.tier.clone();
    }
    if c.skin_type.is_none() {
        p.skin_type = g.skin_type.clone();
    }
    if c.id_card_masked.is_none() {
        p.id_card = g.id_card.clone();
    }
    let notes = join_text(&c.notes, &g.notes);
    if notes != c.notes {
        p.notes = Some(notes);
    }
    let allergies = join_text(&c.allergies, &g.allergies);
    if allergies != c.allergies {
        p.allergies = Some(allergies);
    }
    p
}

fn to_new(g: &Good) -> NewCustomer {
    NewCustomer {
        name: g.name.clone(),
        phone: g.phone.clone(),
        gender: g.gender,
        birthday: g.birthday,
        tier: g.tier.clone(),
        skin_type: g.skin_type.clone(),
        allergies: g.allergies.clone(),
        notes: g.notes.clone(),
        id_card: g.id_card.clone(),
        source: "import".into(),
        ..NewCustomer::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_of_a_file_with_old_mac_line_ends_keep_their_numbers() {
        for bytes in [&b"name,phone\rA,1\rB,2\r"[..], b"name,phone\r\nA,1\r\nB,2\r\n", b"name,phone\nA,1\nB,2"] {
            let t = csv_table(Path::new("a.csv"), bytes).unwrap();
            let rows: Vec<usize> = t.rows.iter().map(|(n, _)| *n).collect();
            assert_eq!(rows, [2, 3], "{bytes:?}");
            assert_eq!(t.rows[1].1, ["B", "2"]);
        }
    }

    #[test]
    fn detects_encodings() {
        let text = "姓名,手机\n王小丽,13812345678\n";
        let (gbk, _, _) = encoding_rs::GB18030.encode(text);
        assert_eq!(decode(&gbk).unwrap(), (text.to_string(), "GB18030"));
        assert_eq!(decode(text.as_bytes()).unwrap().1, "UTF-8");
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode(&bom).unwrap(), (text.to_string(), "UTF-8 (BOM)"));
        assert!(decode(&[0x81, 0x20, 0xFF]).is_none());
    }

    #[test]
    fn a_complaint_shows_an_identity_card_number_only_masked() {
        let t = csv_table(
            Path::new("a.csv"),
            "姓名,手机,性别\n王芳,11010519491231002X,女\n赵敏,13800138000,11010519491231002X\n".as_bytes(),
        )
        .unwrap();
        let columns = Columns::of(&t.headers);
        for (_, cells) in &t.rows {
            let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
            let Err(reason) = parse_row(cells, &columns, &[], &[7u8; 32], today) else { panic!("refused") };
            assert!(reason.contains("110105********002X") && !reason.contains("11010519491231002X"), "{reason}");
        }
    }

    #[test]
    fn headers() {
        assert_eq!(field_of(" 手机号码 "), Some(Field::Phone));
        assert_eq!(field_of("*姓名"), Some(Field::Name));
        assert_eq!(field_of("Date of Birth"), Some(Field::Birthday));
        assert_eq!(field_of("消费金额"), None);
    }
}
