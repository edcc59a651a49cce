//! The balance-over-time chart: an inline SVG drawn on the server (no script, no library).

use std::fmt::Write as _;

/// Chart width in SVG user units (the SVG scales to the page width).
const WIDTH: f64 = 640.0;
/// Chart height in SVG user units.
const HEIGHT: f64 = 220.0;
/// Room for the axis labels, left and bottom.
const PAD_LEFT: f64 = 78.0;
const PAD_BOTTOM: f64 = 26.0;
const PAD_TOP: f64 = 10.0;
const PAD_RIGHT: f64 = 12.0;

/// Escapes text for SVG/HTML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `points` are `(label "YYYY-MM", balance in fen, formatted balance)` in time order.
/// `title` and `desc` name the chart for screen readers; every point has its own title.
pub fn balance_svg(points: &[(String, i64, String)], title: &str, desc: &str) -> String {
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg"><title id="chart-title">{}</title><desc id="chart-desc">{}</desc>"#,
        escape(title),
        escape(desc)
    );
    if points.is_empty() {
        svg.push_str("</svg>");
        return svg;
    }
    let max_fen = points.iter().map(|p| p.1).max().unwrap_or(0).max(1);
    let plot_w = WIDTH - PAD_LEFT - PAD_RIGHT;
    let plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM;
    let x = |i: usize| {
        if points.len() == 1 {
            PAD_LEFT + plot_w / 2.0
        } else {
            PAD_LEFT + plot_w * i as f64 / (points.len() - 1) as f64
        }
    };
    // Display only: balances are exact in the labels; the float is a pixel position.
    let y = |fen: i64| PAD_TOP + plot_h * (1.0 - fen.max(0) as f64 / max_fen as f64);
    // Axes and grid: 0, half, max.
    for (frac, fen) in [(0.0, 0), (0.5, max_fen / 2), (1.0, max_fen)] {
        let gy = PAD_TOP + plot_h * (1.0 - frac);
        let _ = write!(
            svg,
            r##"<line x1="{PAD_LEFT}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}" stroke="#c8c8c8" stroke-width="1"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#333">{}</text>"##,
            WIDTH - PAD_RIGHT,
            PAD_LEFT - 6.0,
            gy + 4.0,
            escape(&short_yuan(fen))
        );
    }
    let mut line = String::new();
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            line,
            "{}{:.1},{:.1}",
            if i == 0 { "M" } else { " L" },
            x(i),
            y(p.1)
        );
    }
    let base = PAD_TOP + plot_h;
    let _ = write!(
        svg,
        r##"<path d="{line} L{:.1},{base:.1} L{:.1},{base:.1} Z" fill="#d7e8f5" stroke="none"/><path d="{line}" fill="none" stroke="#0b5394" stroke-width="2"/>"##,
        x(points.len() - 1),
        x(0)
    );
    for (i, p) in points.iter().enumerate() {
        let _ = write!(
            svg,
            r##"<circle cx="{:.1}" cy="{:.1}" r="3" fill="#0b5394"><title>{}: {}</title></circle>"##,
            x(i),
            y(p.1),
            escape(&p.0),
            escape(&p.2)
        );
    }
    // First and last month under the axis.
    let first = &points[0].0;
    let last = &points[points.len() - 1].0;
    let _ = write!(
        svg,
        r##"<text x="{PAD_LEFT}" y="{:.1}" font-size="12" fill="#333">{}</text>"##,
        HEIGHT - 6.0,
        escape(first)
    );
    if points.len() > 1 {
        let _ = write!(
            svg,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="end" font-size="12" fill="#333">{}</text>"##,
            WIDTH - PAD_RIGHT,
            HEIGHT - 6.0,
            escape(last)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// A short axis label: `¥1.2万`-free, plain digits with thousands separators, in yuan.
fn short_yuan(fen: i64) -> String {
    format!("¥{}", group_digits(fen / 100))
}

/// `1234567` → `1,234,567`.
pub fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or(""))
        .collect();
    let out = groups.join(",");
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_group_by_three() {
        assert_eq!(group_digits(0), "0");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(1000), "1,000");
        assert_eq!(group_digits(-1234567), "-1,234,567");
    }

    #[test]
    fn chart_has_a_title_a_point_per_month_and_escapes() {
        let pts = vec![
            ("2025-01".to_owned(), 100, "¥1.00".to_owned()),
            ("2025-02".to_owned(), 5000, "¥50.00".to_owned()),
        ];
        let svg = balance_svg(&pts, "a<b", "d");
        assert!(svg.contains("<title id=\"chart-title\">a&lt;b</title>"));
        assert_eq!(svg.matches("<circle").count(), 2);
        assert!(svg.ends_with("</svg>"));
        assert!(balance_svg(&[], "t", "d").ends_with("</svg>"));
    }
}
