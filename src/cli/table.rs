//! Plain text tables that line up with Chinese text (CJK characters are two columns wide).

use unicode_width::UnicodeWidthStr;

pub fn render<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headers.map(UnicodeWidthStr::width);
    for r in rows {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.width());
        }
    }
    let mut out = String::new();
    let line = |out: &mut String, cells: &mut dyn Iterator<Item = &str>| {
        let mut first = true;
        for (c, w) in cells.zip(widths.iter()) {
            if !first {
                out.push_str("  ");
            }
            first = false;
            out.push_str(c);
            out.extend(std::iter::repeat_n(' ', w.saturating_sub(c.width())));
        }
        let trimmed = out.trim_end_matches(' ').len();
        out.truncate(trimmed);
        out.push('\n');
    };
    line(&mut out, &mut headers.iter().copied());
    for r in rows {
        line(&mut out, &mut r.iter().map(String::as_str));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn aligns_cjk() {
        let t = super::render(["姓名", "x"], &[["王小丽".into(), "1".into()], ["Li".into(), "2".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines[1], "王小丽  1");
        assert_eq!(lines[2], "Li      2");
    }
}
