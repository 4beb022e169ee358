//! What the receipt printer prints, as ESC/POS bytes built through the `escpos` crate:
//! the queue ticket, the checkout receipt, the daily report and a test page. Chinese text
//! goes out in GB18030; layout is measured in display columns (a Chinese character is two)
//! on 58 mm (32 columns) or 80 mm (48 columns) paper.
//!
//! Documents are plain structs of display text: `app` fills them from domain types, this
//! module only lays them out.

use std::cell::RefCell;
use std::rc::Rc;

use escpos::driver::Driver;
use escpos::printer::Printer;
use escpos::utils::{JustifyMode, Protocol, QRCodeCorrectionLevel, QRCodeModel, QRCodeOption};

use super::DeviceError;

/// Paper roll width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    Mm58,
    Mm80,
}

impl Paper {
    pub fn from_mm(mm: u32) -> Option<Paper> {
        match mm {
            58 => Some(Paper::Mm58),
            80 => Some(Paper::Mm80),
            _ => None,
        }
    }

    /// Columns of the normal font (12×24 dots): 32 on 58 mm, 48 on 80 mm.
    pub fn columns(self) -> usize {
        match self {
            Paper::Mm58 => 32,
            Paper::Mm80 => 48,
        }
    }
}

/// Text as every Chinese receipt printer can print it. Printers know GBK (two bytes a
/// character); GB18030's four-byte codes (¥ U+00A5, − U+2212, rare characters) come out as
/// garbage on most of them, so those characters are replaced by what GBK has (￥, -), and
/// any other by `?`. Control characters other than a line break are dropped.
pub fn printable(text: &str) -> String {
    text.chars()
        .filter_map(|c| match c {
            '\n' => Some('\n'),
            c if c.is_control() => None,
            c if c.is_ascii() => Some(c),
            '¥' => Some('￥'),
            '−' | '–' | '‐' | '‑' | '‒' => Some('-'),
            '•' | '・' => Some('·'),
            '\u{a0}' | '\u{2002}'..='\u{200a}' | '\u{3000}' => Some(' '),
            '\u{200b}'..='\u{200d}' | '\u{feff}' => None,
            c if in_gbk(c) => Some(c),
            _ => Some('?'),
        })
        .collect()
}

/// Whether the printer's double-byte character set (GBK) has `c`.
fn in_gbk(c: char) -> bool {
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
    !unmappable && bytes.len() == 2
}

/// Width in printer columns of printable text, counted as the printer counts: an ASCII
/// character is one column, every double-byte (GBK) character two, whatever Unicode says
/// of its width (¥, ×, ·, ① are two columns on paper).
pub fn width(s: &str) -> usize {
    s.chars().map(char_width).sum()
}

fn char_width(c: char) -> usize {
    match c {
        c if c.is_control() => 0,
        c if c.is_ascii() => 1,
        _ => 2,
    }
}

/// Splits text into lines of at most `cols` columns, never splitting a character, and
/// breaking Latin text at a space where one is on the line (Chinese breaks anywhere).
pub fn wrap(text: &str, cols: usize) -> Vec<String> {
    let mut out = Vec::new();
    for para in text.split('\n') {
        let mut line = String::new();
        for c in para.chars() {
            if width(&line) + char_width(c) > cols && !line.is_empty() {
                let word_break = (c.is_ascii_graphic() && !c.is_ascii_punctuation())
                    .then(|| line.rfind(' '))
                    .flatten()
                    .filter(|&i| line[i + 1..].chars().all(|x| x.is_ascii_graphic()));
                let carry = match word_break {
                    Some(i) => {
                        let tail = line[i + 1..].to_string();
                        line.truncate(i);
                        tail
                    }
                    None => String::new(),
                };
                out.push(std::mem::replace(&mut line, carry).trim_end().to_string());
                if c == ' ' && line.is_empty() {
                    continue;
                }
            }
            line.push(c);
        }
        out.push(line.trim_end().to_string());
    }
    out
}

/// Cuts text to at most `cols` columns.
fn clip(text: &str, cols: usize) -> String {
    let mut w = 0;
    text.chars()
        .take_while(|c| {
            w += char_width(*c);
            w <= cols
        })
        .collect()
}

/// The escpos driver that collects the bytes of a document.
#[derive(Clone, Default)]
struct Collect(Rc<RefCell<Vec<u8>>>);

impl Driver for Collect {
    fn name(&self) -> String {
        "collect".into()
    }
    fn write(&self, data: &[u8]) -> escpos::errors::Result<()> {
        self.0.borrow_mut().extend_from_slice(data);
        Ok(())
    }
    fn read(&self, _buf: &mut [u8]) -> escpos::errors::Result<usize> {
        Ok(0)
    }
    fn flush(&self) -> escpos::errors::Result<()> {
        Ok(())
    }
}

fn esc(e: escpos::errors::PrinterError) -> DeviceError {
    DeviceError::Document(e.to_string())
}

/// `FS &`: Chinese character mode, which GB18030 printers need for double-byte text.
const CHINESE_ON: &[u8] = &[0x1C, 0x26];

/// `GS V 66 0`: feed to the cutter and cut, leaving a tab (the escpos crate's
/// `partial_cut` sends `GS V 65 1`, a full cut after one dot).
const PARTIAL_CUT: &[u8] = &[0x1D, 0x56, 0x42, 0x00];

/// One document being laid out.
pub struct Page {
    p: Printer<Collect>,
    out: Collect,
    cols: usize,
}

impl Page {
    pub fn new(paper: Paper) -> Result<Page, DeviceError> {
        let out = Collect::default();
        let protocol = Protocol::new(escpos::utils::Encoder::new(encoding_rs::GB18030));
        let mut p = Printer::new(out.clone(), protocol, None);
        p.init().map_err(esc)?.custom(CHINESE_ON).map_err(esc)?;
        Ok(Page { p, out, cols: paper.columns() })
    }

    pub fn columns(&self) -> usize {
        self.cols
    }

    /// One printed line; `text` is already printable and fits.
    fn text_line(&mut self, text: &str) -> Result<(), DeviceError> {
        debug_assert!(width(text) <= self.cols, "{text:?} is wider than {} columns", self.cols);
        self.p.writeln(text).map_err(esc)?;
        Ok(())
    }

    fn justify(&mut self, j: JustifyMode) -> Result<(), DeviceError> {
        self.p.justify(j).map_err(esc)?;
        Ok(())
    }

    /// Centred text, `size` times as wide and high (1 = normal), wrapped to fit.
    pub fn center(&mut self, text: &str, size: u8, bold: bool) -> Result<(), DeviceError> {
        self.justify(JustifyMode::CENTER)?;
        self.p.bold(bold).map_err(esc)?.size(size, size).map_err(esc)?;
        let cols = self.cols / usize::from(size.max(1));
        for l in wrap(&printable(text), cols) {
            self.text_line(&l)?;
        }
        self.p.reset_size().map_err(esc)?.bold(false).map_err(esc)?;
        self.justify(JustifyMode::LEFT)
    }

    /// Left-aligned text, wrapped.
    pub fn line(&mut self, text: &str) -> Result<(), DeviceError> {
        for l in wrap(&printable(text), self.cols) {
            self.text_line(&l)?;
        }
        Ok(())
    }

    /// `left ……… right` on one line; a left side too long for it goes on its own lines.
    pub fn pair(&mut self, left: &str, right: &str) -> Result<(), DeviceError> {
        let (left, right) = (printable(left), printable(right));
        let (lw, rw) = (width(&left), width(&right));
        if lw + 1 + rw <= self.cols {
            return self.text_line(&format!("{left}{}{right}", " ".repeat(self.cols - lw - rw)));
        }
        self.line(&left)?;
        let right = clip(&right, self.cols);
        self.text_line(&format!("{}{right}", " ".repeat(self.cols - width(&right))))
    }

    /// A rule across the paper.
    pub fn rule(&mut self) -> Result<(), DeviceError> {
        let dashes = "-".repeat(self.cols);
        self.text_line(&dashes)
    }

    pub fn blank(&mut self) -> Result<(), DeviceError> {
        self.p.feed().map_err(esc)?;
        Ok(())
    }

    /// A centred QR code (model 2, module size 6, correction M).
    pub fn qr(&mut self, data: &str) -> Result<(), DeviceError> {
        self.justify(JustifyMode::CENTER)?;
        self.p.qrcode_option(data, QRCodeOption::new(QRCodeModel::Model2, 6, QRCodeCorrectionLevel::M)).map_err(esc)?;
        self.justify(JustifyMode::LEFT)
    }

    /// Feeds past the cutter, cuts partially, and returns the bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, DeviceError> {
        self.p.feeds(4).map_err(esc)?.custom(PARTIAL_CUT).map_err(esc)?.print().map_err(esc)?;
        drop(self.p);
        Ok(std::mem::take(&mut *self.out.0.borrow_mut()))
    }
}

/// The queue ticket.
#[derive(Debug, Clone)]
pub struct TicketDoc {
    pub shop: String,
    pub ticket: String,
    /// "前面还有 3 位 / 3 ahead of you"
    pub ahead: String,
    pub service: String,
    pub staff: Option<String>,
    /// "约 14:35（25 分钟）"
    pub estimate: Option<String>,
    pub qr: String,
    /// Whether the QR code opens the queue online (cloud sync is on); otherwise it is a
    /// code for the shop's own reader and the caption does not invite anyone to scan it.
    pub qr_online: bool,
    pub printed_at: String,
}

pub fn ticket(paper: Paper, d: &TicketDoc) -> Result<Vec<u8>, DeviceError> {
    let mut p = Page::new(paper)?;
    p.center(&d.shop, 1, true)?;
    p.center("排队号 Queue number", 1, false)?;
    p.center(&d.ticket, 4, true)?;
    p.center(&d.ahead, 1, false)?;
    p.rule()?;
    p.pair("服务 Service", &d.service)?;
    if let Some(s) = &d.staff {
        p.pair("美容师 Staff", s)?;
    }
    if let Some(e) = &d.estimate {
        p.pair("预计 Time", e)?;
    }
    p.rule()?;
    p.qr(&d.qr)?;
    if d.qr_online {
        p.center("扫码查看排队", 1, false)?;
        p.center("Scan to follow the queue", 1, false)?;
    }
    p.center("请稍坐，叫号时请到前台", 1, false)?;
    p.center("Please take a seat", 1, false)?;
    p.center(&d.printed_at, 1, false)?;
    p.finish()
}

/// The beautician's service slip, printed when a customer is called.
#[derive(Debug, Clone)]
pub struct SlipDoc {
    pub ticket: String,
    /// 王女士
    pub customer: String,
    pub service: String,
    pub staff: Option<String>,
    /// Allergies and contraindications on file, printed prominently.
    pub warnings: Vec<String>,
    pub printed_at: String,
}

pub fn slip(paper: Paper, d: &SlipDoc) -> Result<Vec<u8>, DeviceError> {
    let mut p = Page::new(paper)?;
    p.center("服务单 Service slip", 1, true)?;
    p.center(&d.ticket, 3, true)?;
    p.center(&d.customer, 2, false)?;
    p.rule()?;
    p.pair("服务 Service", &d.service)?;
    if let Some(s) = &d.staff {
        p.pair("美容师 Staff", s)?;
    }
    for w in &d.warnings {
        p.rule()?;
        p.center("注意 Caution", 2, true)?;
        p.line(w)?;
    }
    p.rule()?;
    p.center(&d.printed_at, 1, false)?;
    p.finish()
}

/// The checkout receipt.
#[derive(Debug, Clone)]
pub struct ReceiptDoc {
    pub shop: String,
    /// 消费小票 Receipt, 充值小票 Top-up receipt …
    pub title: String,
    /// Under the name, when the shop has them: address, telephone.
    pub address: Option<String>,
    pub phone: Option<String>,
    pub number: String,
    pub at: String,
    /// Who took the payment.
    pub cashier: Option<String>,
    /// "王女士 138****5678 (M000123)"
    pub customer: Option<String>,
    /// (name, "2 × 88.00", amount, details such as beautician or sessions left)
    pub lines: Vec<(String, String, String, Vec<String>)>,
    /// (label, amount): list total, discounts, points, stored value, total.
    pub totals: Vec<(String, String)>,
    /// (tender, amount), then change.
    pub tenders: Vec<(String, String)>,
    /// Balances after the visit: points, stored value, courses, tier.
    pub balances: Vec<(String, String)>,
    pub footer: String,
}

pub fn receipt(paper: Paper, d: &ReceiptDoc) -> Result<Vec<u8>, DeviceError> {
    let mut p = Page::new(paper)?;
    p.center(&d.shop, 2, true)?;
    if let Some(a) = &d.address {
        p.center(a, 1, false)?;
    }
    if let Some(t) = &d.phone {
        p.center(&format!("电话 Tel {t}"), 1, false)?;
    }
    p.center(&d.title, 1, false)?;
    p.line(&format!("单号 No. {}", d.number))?;
    p.line(&format!("时间 Time {}", d.at))?;
    if let Some(c) = &d.cashier {
        p.line(&format!("收银 Cashier {c}"))?;
    }
    if let Some(c) = &d.customer {
        p.line(&format!("顾客 Customer {c}"))?;
    }
    p.rule()?;
    for (name, qty, amount, details) in &d.lines {
        p.line(name)?;
        p.pair(&format!("  {qty}"), amount)?;
        for x in details {
            p.line(&format!("  {x}"))?;
        }
    }
    p.rule()?;
    for (k, v) in &d.totals {
        p.pair(k, v)?;
    }
    if !d.tenders.is_empty() {
        p.rule()?;
        for (k, v) in &d.tenders {
            p.pair(k, v)?;
        }
    }
    if !d.balances.is_empty() {
        p.rule()?;
        for (k, v) in &d.balances {
            p.pair(k, v)?;
        }
    }
    p.blank()?;
    p.center(&d.footer, 1, false)?;
    p.finish()
}

/// A report: a title, then sections of `(label, value)` rows.
#[derive(Debug, Clone)]
pub struct ReportDoc {
    pub shop: String,
    pub title: String,
    pub period: String,
    pub sections: Vec<(String, Vec<(String, String)>)>,
    pub printed_at: String,
}

pub fn report(paper: Paper, d: &ReportDoc) -> Result<Vec<u8>, DeviceError> {
    let mut p = Page::new(paper)?;
    p.center(&d.shop, 1, true)?;
    p.center(&d.title, 2, true)?;
    p.center(&d.period, 1, false)?;
    for (title, rows) in &d.sections {
        p.rule()?;
        p.line(title)?;
        for (k, v) in rows {
            p.pair(k, v)?;
        }
    }
    p.rule()?;
    p.center(&d.printed_at, 1, false)?;
    p.finish()
}

/// The test page: both widths' rulers, Chinese and Latin text, sizes, a QR code.
pub fn test_page(paper: Paper, shop: &str, printed_at: &str) -> Result<Vec<u8>, DeviceError> {
    let mut p = Page::new(paper)?;
    p.center(shop, 1, true)?;
    p.center("打印测试", 2, true)?;
    p.center("Test page", 1, false)?;
    p.rule()?;
    let cols = p.columns();
    p.line(&"0123456789".repeat(cols / 10 + 1).chars().take(cols).collect::<String>())?;
    p.line(&"中文".repeat(cols / 4))?;
    p.pair("纸宽 Paper", &format!("{} mm / {cols} 列 columns", if cols == 32 { 58 } else { 80 }))?;
    p.pair("编码 Encoding", "GBK")?;
    p.line("汉字、标点，全角：ＡＢＣ；金额：￥88.00")?;
    p.center("大字 Large", 2, false)?;
    p.qr("salonbox test page")?;
    p.center(printed_at, 1, false)?;
    p.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devices::escpos_read::{Align, Item, decode};

    fn doc() -> TicketDoc {
        TicketDoc {
            shop: "悦颜美容".into(),
            ticket: "A007".into(),
            ahead: "前面还有 3 位 / 3 ahead of you".into(),
            service: "面部深层清洁".into(),
            staff: Some("小美".into()),
            estimate: Some("约 14:35（25 分钟）".into()),
            qr: "SALONBOX:Q:0192".into(),
            qr_online: true,
            printed_at: "2026-11-23 10:30".into(),
        }
    }

    #[test]
    fn width_counts_chinese_as_two_columns() {
        assert_eq!(width("A007"), 4);
        assert_eq!(width("面部清洁"), 8);
        // as the printer counts: a double-byte character is two columns, ¥ and × included
        assert_eq!(width("¥88.00 王女士"), 14);
        assert_eq!(width("1 × 88.00"), 10);
        assert_eq!(printable("¥88.00 −10% 𠀀"), "￥88.00 -10% ?");
        assert_eq!(wrap("面部深层清洁护理套餐", 8), ["面部深层", "清洁护理", "套餐"]);
        assert_eq!(wrap("ab 面部", 5), ["ab 面", "部"]);
        // Latin words move whole to the next line; a word longer than a line is cut
        assert_eq!(wrap("Scan to follow the queue", 10), ["Scan to", "follow the", "queue"]);
        assert_eq!(wrap("扫码查看 Scan to follow", 12), ["扫码查看", "Scan to", "follow"]);
        assert_eq!(wrap("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
        assert_eq!(clip("面部深层", 5), "面部");
    }

    #[test]
    fn a_ticket_decodes_to_the_document() {
        for paper in [Paper::Mm58, Paper::Mm80] {
            let bytes = ticket(paper, &doc()).unwrap();
            // GB18030, not UTF-8: 悦 is D4 C3
            assert!(bytes.windows(2).any(|w| w == [0xD4, 0xC3]), "GB18030 text");
            let d = decode(&bytes).unwrap();
            assert_eq!(d.items.first(), Some(&Item::Init));
            assert!(matches!(d.items.last(), Some(Item::Cut { partial: true })), "{:?}", &d.items[d.items.len() - 3..]);
            let big = d.lines().find(|l| l.text == "A007").unwrap();
            assert_eq!((big.size, big.bold, big.align), ((4, 4), true, Align::Center));
            let shop = d.lines().find(|l| l.text == "悦颜美容").unwrap();
            assert_eq!(shop.align, Align::Center);
            assert_eq!(d.qr_codes(), ["SALONBOX:Q:0192"]);
            let cols = paper.columns();
            let service = d.lines().find(|l| l.text.starts_with("服务")).unwrap();
            assert_eq!(width(&service.text), cols, "{:?}", service.text);
            assert!(service.text.ends_with("面部深层清洁"));
            for l in d.lines() {
                let w = width(&l.text) * usize::from(l.size.0);
                assert!(w <= cols, "line {:?} is {w} columns on {cols}", l.text);
            }
            let texts = d.texts();
            assert!(texts.contains(&"前面还有 3 位 / 3 ahead of you".to_string()), "{texts:?}");
            let est = d.lines().find(|l| l.text.starts_with("预计 Time")).unwrap();
            assert!(est.text.ends_with("约 14:35（25 分钟）") && width(&est.text) == cols, "{:?}", est.text);
        }
    }

    #[test]
    fn a_long_left_side_wraps_and_the_amount_stays_right() {
        let d = ReceiptDoc {
            title: "消费小票 Receipt".into(),
            shop: "悦颜美容".into(),
            address: None,
            phone: None,
            cashier: None,
            number: "0192ab".into(),
            at: "2026-11-23 10:30".into(),
            customer: Some("王女士 138****5678".into()),
            lines: vec![(
                "水光针深层补水焕肤疗程（第三次疗程）加强版".into(),
                "1 × 1280.00".into(),
                "1280.00".into(),
                vec!["美容师 小美".into(), "剩余 5 次".into()],
            )],
            totals: vec![("合计 Total".into(), "¥1280.00".into())],
            tenders: vec![("微信 WeChat".into(), "¥1280.00".into())],
            balances: vec![("积分 Points".into(), "1280".into())],
            footer: "谢谢光临".into(),
        };
        let bytes = receipt(Paper::Mm58, &d).unwrap();
        let dec = decode(&bytes).unwrap();
        let texts = dec.texts();
        // 32 columns: fifteen characters and a half do not fit, so the line breaks before 程
        assert!(texts.contains(&"水光针深层补水焕肤疗程（第三次疗".to_string()), "{texts:?}");
        assert!(texts.contains(&"程）加强版".to_string()), "{texts:?}");
        let amount = dec.lines().find(|l| l.text.trim_start().starts_with("1 × 1280.00")).unwrap();
        assert!(amount.text.ends_with("1280.00") && width(&amount.text) == 32);
        assert!(texts.contains(&"顾客 Customer 王女士 138****5678".to_string()));
    }

    #[test]
    fn the_test_page_holds_only_what_gbk_printers_print() {
        let bytes = test_page(Paper::Mm80, "悦颜美容 ¥", "2026-11-23 10:30").unwrap();
        let d = decode(&bytes).unwrap();
        for t in d.texts() {
            assert_eq!(printable(&t), t);
            let (_, _, unmappable) = encoding_rs::GBK.encode(&t);
            assert!(!unmappable, "{t}");
        }
        assert!(d.texts().iter().any(|t| t.contains("￥88.00")));
        assert_eq!(d.cuts(), 1);
    }
}
