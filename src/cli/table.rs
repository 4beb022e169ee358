//! Plain text tables that line up with Chinese text (CJK characters are two columns wide).

use unicode_width::UnicodeWidthStr;

pub fn render<const N: usize>(headers: [&str; N], rows: &[[String; N]]) -> String {
    let rows: Vec<&[String]> = rows.iter().map(|r| r.as_slice()).collect();
    render_rows(&headers, &rows)
}

/// Any number of columns (a report's sections differ).
pub fn render_dyn(headers: &[&str], rows: &[Vec<String>]) -> String {
    let rows: Vec<&[String]> = rows.iter().map(Vec::as_slice).collect();
    render_rows(headers, &rows)
}

fn render_rows(headers: &[&str], rows: &[&[String]]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
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
