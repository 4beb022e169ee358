//! Charts drawn on the server as SVG with `plotters` (its SVG backend, no fonts: the
//! browser draws the text in the page's own font). One idea per chart, as the style guide
//! asks: bars by day, horizontal bars by category, stacked bars for new and returning, a
//! heat map of busy hours. Each is drawn in a 480-wide view box that the page scales to its
//! column, so the text stays readable on a 390-wide phone; the page puts the numbers in a
//! table under every chart.

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// The view box's width; the height follows the content.
const W: i32 = 480;
const INK: RGBColor = RGBColor(0x2B, 0x26, 0x28);
const SOFT: RGBColor = RGBColor(0x7A, 0x6F, 0x73);
const LINE: RGBColor = RGBColor(0xE4, 0xDC, 0xD6);
pub const ROSE: RGBColor = RGBColor(0x8E, 0x3B, 0x5A);
pub const SLATE: RGBColor = RGBColor(0x3E, 0x5C, 0x76);
pub const SAGE: RGBColor = RGBColor(0x5F, 0x8D, 0x6E);
pub const GOLD: RGBColor = RGBColor(0xB8, 0x95, 0x5A);

/// One bar: its label, its length and the figure written at its end.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

/// One series of a stacked chart.
pub struct Series {
    pub name: &'static str,
    pub color: RGBColor,
    pub values: Vec<f64>,
}

fn text_style(size: f64, color: RGBColor, h: HPos, v: VPos) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&color).pos(Pos::new(h, v))
}

/// The width a text takes at `size` px, roughly: a CJK character is square, others half.
fn text_width(s: &str, size: f64) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 0.55 } else { 1.0 }).sum::<f64>() * size
}

/// `s` cut (with "…") to fit `width` px at `size`.
fn fit(s: &str, width: f64, size: f64) -> String {
    if text_width(s, size) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    for c in s.chars() {
        if text_width(&out, size) + text_width(&c.to_string(), size) + size > width {
            break;
        }
        out.push(c);
    }
    format!("{}…", out.trim_end())
}

/// Draws into an SVG string of `height`, then marks it as an image with its title.
fn svg(title: &str, height: i32, draw: impl FnOnce(&DrawingArea<SVGBackend, plotters::coord::Shift>)) -> String {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (W as u32, height.max(40) as u32)).into_drawing_area();
        draw(&root);
        // Writing to a String cannot fail.
        let _ = root.present();
    }
    let title = super::views::escape(title);
    out.replacen("<svg ", &format!("<svg class=\"chart\" role=\"img\" aria-label=\"{title}\" "), 1)
}

fn no_data(root: &DrawingArea<SVGBackend, plotters::coord::Shift>, y: i32) {
    let _ =
        root.draw(&Text::new("暂无数据 / nothing yet", (W / 2, y), text_style(15.0, SOFT, HPos::Center, VPos::Center)));
}

/// A figure in ten-thousands or thousands, as an axis says it: `1.2万`, `800`.
pub fn short_number(v: f64) -> String {
    if v.abs() >= 10_000.0 { format!("{}万", trim(v / 10_000.0)) } else { trim(v) }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map_or(s.clone(), str::to_string)
}

/// A round upper bound for an axis, and its step (1, 2, 2.5 or 5 × 10ⁿ, about four steps).
fn nice_max(max: f64) -> (f64, f64) {
    if max <= 0.0 {
        return (4.0, 1.0);
    }
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let step = if mag < 1.0 { step.max(1.0) } else { step };
    ((max / step).ceil() * step, step)
}

/// Horizontal bars, longest first as given: one row per bar, the label before it and its
/// figure after it.
pub fn hbars(title: &str, bars: &[Bar], color: RGBColor) -> String {
    let height = (bars.len() as i32).max(1) * ROW + 8;
    svg(title, height, |root| {
        if bars.is_empty() {
            return no_data(root, height / 2);
        }
        draw_hbars(root, bars, &[color]);
    })
}

/// A campaign against its hold-out: two bars in two colours and, under them, the
/// difference labelled.
pub fn versus(title: &str, campaign: Bar, holdout: Bar, difference: &str) -> String {
    let height = 2 * ROW + 36;
    svg(title, height, |root| {
        draw_hbars(root, &[campaign, holdout], &[ROSE, SLATE]);
        let _ = root.draw(&Text::new(
            difference.to_string(),
            (LABEL, 2 * ROW + 22),
            ("sans-serif", 15.0).into_font().style(FontStyle::Bold).color(&INK).pos(Pos::new(HPos::Left, VPos::Center)),
        ));
    })
}

const ROW: i32 = 30;
const LABEL: i32 = 164;

/// Bars from the top of `root`, the `i`th in `colors[i]` (the last colour for the rest).
fn draw_hbars(root: &DrawingArea<SVGBackend, plotters::coord::Shift>, bars: &[Bar], colors: &[RGBColor]) {
    // room after the longest bar for the longest figure
    let figure = bars.iter().map(|b| text_width(&b.text, 14.0).ceil() as i32 + 12).max().unwrap_or(0).clamp(60, 200);
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max);
    let span = f64::from(W - LABEL - figure);
    for (i, b) in bars.iter().enumerate() {
        let color = colors.get(i).or(colors.last()).copied().unwrap_or(ROSE);
        let y = 4 + i as i32 * ROW;
        let mid = y + ROW / 2;
        let label = fit(&b.label, f64::from(LABEL - 10), 15.0);
        let _ = root.draw(&Text::new(label, (LABEL - 8, mid), text_style(15.0, INK, HPos::Right, VPos::Center)));
        let len = if max > 0.0 { (b.value.max(0.0) / max * span).round() as i32 } else { 0 };
        let _ = root.draw(&Rectangle::new([(LABEL, y + 5), (LABEL + len.max(2), y + ROW - 5)], color.filled()));
        let _ = root.draw(&Text::new(
            b.text.clone(),
            (LABEL + len.max(2) + 6, mid),
            text_style(14.0, INK, HPos::Left, VPos::Center),
        ));
    }
}

/// Vertical bars over `labels` (days or hours) with a value axis; at most eight labels are
/// written under the bars.
pub fn vbars(title: &str, labels: &[String], series: &[Series]) -> String {
    const H: i32 = 230;
    const LEFT: i32 = 46;
    const BOTTOM: i32 = 26;
    let legend = if series.len() > 1 { 26 } else { 0 };
    svg(title, H, |root| {
        let n = labels.len().max(1);
        let totals: Vec<f64> =
            (0..n).map(|i| series.iter().map(|s| s.values.get(i).copied().unwrap_or(0.0).max(0.0)).sum()).collect();
        let max = totals.iter().copied().fold(0.0, f64::max);
        if labels.is_empty() || max <= 0.0 {
            return no_data(root, H / 2);
        }
        let (top, step) = nice_max(max);
        let (x0, x1, y0, y1) = (LEFT, W - 6, legend + 8, H - BOTTOM);
        let y_of = |v: f64| y1 - ((v / top) * f64::from(y1 - y0)).round() as i32;
        let mut v = 0.0;
        while v <= top + step / 2.0 {
            let y = y_of(v);
            let _ = root.draw(&PathElement::new(vec![(x0, y), (x1, y)], LINE.stroke_width(1)));
            let _ =
                root.draw(&Text::new(short_number(v), (x0 - 6, y), text_style(12.0, SOFT, HPos::Right, VPos::Center)));
            v += step;
        }
        let slot = f64::from(x1 - x0) / n as f64;
        let bar = (slot * 0.7).max(1.0);
        let every = n.div_ceil(8);
        for (i, label) in labels.iter().enumerate() {
            let left = x0 + (slot * i as f64 + (slot - bar) / 2.0).round() as i32;
            let right = left + bar.round() as i32;
            let mut base = 0.0;
            for s in series {
                let val = s.values.get(i).copied().unwrap_or(0.0).max(0.0);
                if val > 0.0 {
                    let _ =
                        root.draw(&Rectangle::new([(left, y_of(base + val)), (right, y_of(base))], s.color.filled()));
                }
                base += val;
            }
            if i % every == 0 {
                let x = x0 + (slot * (i as f64 + 0.5)).round() as i32;
                let _ =
                    root.draw(&Text::new(label.clone(), (x, y1 + 6), text_style(12.0, SOFT, HPos::Center, VPos::Top)));
            }
        }
        let _ = root.draw(&PathElement::new(vec![(x0, y1), (x1, y1)], SOFT.stroke_width(1)));
        if legend > 0 {
            let mut x = x0;
            for s in series {
                let _ = root.draw(&Rectangle::new([(x, 6), (x + 14, 20)], s.color.filled()));
                let _ = root.draw(&Text::new(s.name, (x + 20, 13), text_style(14.0, INK, HPos::Left, VPos::Center)));
                x += 28 + text_width(s.name, 14.0).round() as i32;
            }
        }
    })
}

/// A heat map: one row per weekday, one column per hour, darker where busier; each cell
/// carries its count.
pub fn heatmap(title: &str, rows: &[&str], hours: std::ops::Range<u32>, cells: &[Vec<i64>]) -> String {
    const LEFT: i32 = 44;
    const TOP: i32 = 22;
    const ROW: i32 = 28;
    let height = TOP + rows.len() as i32 * ROW + 4;
    svg(title, height, |root| {
        let cols = hours.len().max(1) as i32;
        let cell = (W - LEFT - 4) / cols;
        let max = cells.iter().flatten().copied().max().unwrap_or(0);
        if max == 0 {
            return no_data(root, height / 2);
        }
        for (c, h) in hours.clone().enumerate() {
            let x = LEFT + c as i32 * cell + cell / 2;
            let _ =
                root.draw(&Text::new(format!("{h}"), (x, TOP / 2), text_style(12.0, SOFT, HPos::Center, VPos::Center)));
        }
        for (r, name) in rows.iter().enumerate() {
            let y = TOP + r as i32 * ROW;
            let _ = root.draw(&Text::new(
                name.to_string(),
                (LEFT - 6, y + ROW / 2),
                text_style(13.0, INK, HPos::Right, VPos::Center),
            ));
            for (c, h) in hours.clone().enumerate() {
                let n = cells.get(r).and_then(|row| row.get(h as usize)).copied().unwrap_or(0);
                let x = LEFT + c as i32 * cell;
                let share = n as f64 / max as f64;
                let fill = if n == 0 { RGBColor(0xF4, 0xEF, 0xEA) } else { mix(ROSE, 0.15 + 0.85 * share) };
                let _ = root.draw(&Rectangle::new([(x + 1, y + 1), (x + cell - 1, y + ROW - 1)], fill.filled()));
                if n > 0 && cell >= 22 {
                    let ink = if share > 0.5 { WHITE } else { INK };
                    let _ = root.draw(&Text::new(
                        short_number(n as f64),
                        (x + cell / 2, y + ROW / 2),
                        text_style(11.0, ink, HPos::Center, VPos::Center),
                    ));
                }
            }
        }
    })
}

/// `color` at `share` strength over the page's near-white.
fn mix(color: RGBColor, share: f64) -> RGBColor {
    let over = |c: u8, base: u8| (f64::from(base) + (f64::from(c) - f64::from(base)) * share).round() as u8;
    RGBColor(over(color.0, 0xFB), over(color.1, 0xF6), over(color.2, 0xF3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_as_long_as_their_values_and_text_is_escaped() {
        let svg = hbars(
            "收入 <by> category",
            &[
                Bar { label: "面部护理".into(), value: 200.0, text: "¥200".into() },
                Bar { label: "<b>美甲</b>".into(), value: 50.0, text: "¥50".into() },
            ],
            ROSE,
        );
        assert!(svg.starts_with("<svg class=\"chart\" role=\"img\" aria-label=\"收入 &lt;by&gt; category\""), "{svg}");
        assert!(!svg.contains("<b>"), "labels are escaped: {svg}");
        // the bar area is 480 - 164 - 60 = 256 px: the longest bar fills it, the other a quarter
        assert!(svg.contains("width=\"256\""), "{svg}");
        assert!(svg.contains("width=\"64\""), "{svg}");
    }

    #[test]
    fn axes_are_round_and_long_labels_are_cut() {
        assert_eq!(nice_max(0.0), (4.0, 1.0));
        assert_eq!(nice_max(9_300.0), (10_000.0, 2_500.0));
        assert_eq!(nice_max(7.0), (8.0, 2.0));
        assert_eq!(short_number(12_500.0), "1.2万");
        assert_eq!(short_number(800.0), "800");
        assert_eq!(fit("微信支付 WeChat Pay and more", 100.0, 15.0).chars().last(), Some('…'));
        assert_eq!(fit("美甲", 100.0, 15.0), "美甲");
    }

    #[test]
    fn a_campaign_and_its_holdout_side_by_side() {
        let svg = versus(
            "效果",
            Bar { label: "活动组".into(), value: 30.0, text: "30%".into() },
            Bar { label: "对照组".into(), value: 20.0, text: "20%".into() },
            "+10 个百分点",
        );
        assert!(svg.contains("fill=\"#8E3B5A\"") && svg.contains("fill=\"#3E5C76\""), "{svg}");
        assert!(svg.contains("+10 个百分点") && svg.contains("viewBox=\"0 0 480 96\""), "{svg}");
    }

    #[test]
    fn empty_charts_say_so() {
        assert!(hbars("x", &[], ROSE).contains("暂无数据"));
        assert!(vbars("x", &[], &[]).contains("暂无数据"));
        assert!(heatmap("x", &["周一"], 9..21, &[vec![0; 24]]).contains("暂无数据"));
    }
}
