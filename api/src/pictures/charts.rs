//! Charts of the figures, in SVG: a ranking's bars (综合得分排名), a month's daily trend of cases
//! filed, closed and become overdue, the funnel of the closed loop (上报 → 结案), and a campaign's
//! cases per day across its key dates, and a meeting's plan as a Gantt chart.

use std::fmt::Write;

use super::{FONTS, escape};

/// A day of a trend: (`YYYY-MM-DD`, filed, closed, become overdue).
pub type Day = (String, i64, i64, i64);

/// A line of a trend: its name, its colour, its value on a day.
type Series = (&'static str, &'static str, fn(&Day) -> i64);

const WIDTH: f64 = 900.0;
const BLUE: &str = "#3b6fb6";
const GREEN: &str = "#2e9e5b";
const RED: &str = "#d0453a";

fn open(svg: &mut String, height: f64, title: &str, subtitle: &str) {
    let _ = write!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0}" viewBox="0 0 {WIDTH} {height:.0}" font-family="{FONTS}"><rect width="100%" height="100%" fill="#fbfaf7"/><text x="30" y="36" font-size="22" font-weight="bold" fill="#222">{}</text><text x="30" y="60" font-size="13" fill="#666">{}</text>"##,
        escape(title),
        escape(subtitle)
    );
}

/// The y axis of counts up to `max` in the plot area (left, top, width, height): about five
/// round steps, each a grid line with its value; the value at the top.
fn y_axis(svg: &mut String, (left, top, w, h): (f64, f64, f64, f64), max: i64) -> i64 {
    let max = max.max(1);
    let step =
        [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000].into_iter().find(|s| max / s <= 5).unwrap_or(10_000);
    let top_value = (max + step - 1) / step * step;
    let mut v = 0;
    while v <= top_value {
        let y = top + h - h * v as f64 / top_value as f64;
        let _ = write!(
            svg,
            r##"<line x1="{left}" y1="{y:.1}" x2="{:.0}" y2="{y:.1}" stroke="#e3e3e3"/><text x="{:.0}" y="{:.1}" font-size="11" fill="#888" text-anchor="end">{v}</text>"##,
            left + w,
            left - 8.0,
            y + 4.0
        );
        v += step;
    }
    top_value
}

/// A ranking: one bar per unit (name, rank, score out of 100), in rank order; units with
/// nothing to score at the end, unnumbered.
pub fn ranking(title: &str, subtitle: &str, rows: &[(String, Option<usize>, Option<f64>)]) -> String {
    let (top, row_h, label_w) = (84.0, 30.0, 270.0);
    let height = top + row_h * rows.len().max(1) as f64 + 30.0;
    let mut svg = String::new();
    open(&mut svg, height, title, subtitle);
    let bar_w = WIDTH - 30.0 - label_w - 80.0;
    for x in [0.0, 25.0, 50.0, 75.0, 100.0] {
        let gx = 30.0 + label_w + bar_w * x / 100.0;
        let _ = write!(
            svg,
            r##"<line x1="{gx:.1}" y1="{:.0}" x2="{gx:.1}" y2="{:.0}" stroke="#ddd"/><text x="{gx:.1}" y="{:.0}" font-size="11" fill="#888" text-anchor="middle">{x}</text>"##,
            top - 6.0,
            height - 26.0,
            height - 12.0
        );
    }
    if rows.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{:.0}" y="{:.0}" font-size="14" fill="#888">本期无可排名的单位</text>"##,
            30.0 + label_w,
            top + 20.0
        );
    }
    for (i, (name, rank, score)) in rows.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let _ = write!(
            svg,
            r##"<text x="{:.0}" y="{:.1}" font-size="14" fill="#222" text-anchor="end">{}{}</text>"##,
            30.0 + label_w - 10.0,
            y + row_h / 2.0 + 5.0,
            rank.map(|r| format!("{r}. ")).unwrap_or_default(),
            escape(name)
        );
        match score {
            Some(s) => {
                let colour = if *s >= 90.0 {
                    GREEN
                } else if *s >= 75.0 {
                    BLUE
                } else {
                    RED
                };
                let w = (bar_w * s / 100.0).max(1.0);
                let _ = write!(
                    svg,
                    r##"<rect x="{:.0}" y="{:.1}" width="{w:.1}" height="{:.0}" fill="{colour}" rx="3"/><text x="{:.1}" y="{:.1}" font-size="13" fill="#222">{s:.1}</text>"##,
                    30.0 + label_w,
                    y + 5.0,
                    row_h - 10.0,
                    30.0 + label_w + w + 6.0,
                    y + row_h / 2.0 + 5.0
                );
            }
            None => {
                let _ = write!(
                    svg,
                    r##"<text x="{:.0}" y="{:.1}" font-size="13" fill="#999">无数据</text>"##,
                    30.0 + label_w + 4.0,
                    y + row_h / 2.0 + 5.0
                );
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A daily trend: (day `YYYY-MM-DD`, filed, closed, become overdue), one line each.
pub fn trend(title: &str, subtitle: &str, days: &[Day]) -> String {
    let (left, top, right, bottom) = (60.0, 100.0, 30.0, 50.0);
    let height = 420.0;
    let (w, h) = (WIDTH - left - right, height - top - bottom);
    let mut svg = String::new();
    open(&mut svg, height, title, subtitle);
    let max = days.iter().map(|d| d.1.max(d.2).max(d.3)).max().unwrap_or(0);
    let top_value = y_axis(&mut svg, (left, top, w, h), max);
    let y_of = |v: i64| top + h - h * v as f64 / top_value as f64;
    let n = days.len().max(2);
    let x_of = |i: usize| left + w * i as f64 / (n - 1) as f64;
    for (i, (day, ..)) in days.iter().enumerate() {
        if i % 5 == 0 || i + 1 == days.len() {
            let label = day.get(5..).unwrap_or(day);
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.0}" font-size="11" fill="#666" text-anchor="middle">{}</text>"##,
                x_of(i),
                top + h + 18.0,
                escape(label)
            );
        }
    }
    let series: [Series; 3] = [("立案", BLUE, |d| d.1), ("结案", GREEN, |d| d.2), ("超时", RED, |d| d.3)];
    for (k, (name, colour, value)) in series.iter().enumerate() {
        let points: Vec<String> =
            days.iter().enumerate().map(|(i, d)| format!("{:.1},{:.1}", x_of(i), y_of(value(d)))).collect();
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5" stroke-linejoin="round"/>"##,
            points.join(" ")
        );
        let total: i64 = days.iter().map(value).sum();
        let lx = WIDTH - 330.0 + k as f64 * 105.0;
        let _ = write!(
            svg,
            r##"<rect x="{lx:.0}" y="74" width="14" height="4" fill="{colour}"/><text x="{:.0}" y="80" font-size="13" fill="#333">{name} {total}</text>"##,
            lx + 20.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The funnel of the closed loop: each stage's count, as a share of the first.
pub fn funnel(title: &str, subtitle: &str, stages: &[(&str, i64)]) -> String {
    let (top, row_h) = (84.0, 46.0);
    let height = top + row_h * stages.len() as f64 + 20.0;
    let mut svg = String::new();
    open(&mut svg, height, title, subtitle);
    let first = stages.first().map_or(0, |s| s.1).max(1);
    let (centre, full) = (WIDTH / 2.0, WIDTH - 320.0);
    let colours = ["#274c77", "#3b6fb6", "#5b8fd1", "#7fa9de", "#9cc0e8", "#2e9e5b"];
    for (i, (name, n)) in stages.iter().enumerate() {
        let y = top + i as f64 * row_h;
        let w = (full * *n as f64 / first as f64).max(2.0);
        let share = 100.0 * *n as f64 / first as f64;
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{y:.1}" width="{w:.1}" height="{:.0}" fill="{}" rx="4"/><text x="{:.0}" y="{:.1}" font-size="15" fill="#222" text-anchor="end">{}</text><text x="{:.0}" y="{:.1}" font-size="14" fill="#222">{n} 件 · {share:.1}%</text>"##,
            centre - w / 2.0,
            row_h - 10.0,
            colours[i % colours.len()],
            centre - full / 2.0 - 12.0,
            y + row_h / 2.0,
            escape(name),
            centre + full / 2.0 + 12.0,
            y + row_h / 2.0
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Cases per day across a campaign's key dates: a bar a day, each key date marked by a dashed
/// line with its name (立春, 小年, 除夕, 元宵).
pub fn key_dates(title: &str, subtitle: &str, days: &[(String, i64, Option<String>)]) -> String {
    let (left, top, right, bottom) = (60.0, 130.0, 30.0, 50.0);
    let height = 460.0;
    let (w, h) = (WIDTH - left - right, height - top - bottom);
    let mut svg = String::new();
    open(&mut svg, height, title, subtitle);
    let max = days.iter().map(|d| d.1).max().unwrap_or(0);
    let top_value = y_axis(&mut svg, (left, top, w, h), max);
    let y_of = |v: i64| top + h - h * v as f64 / top_value as f64;
    let n = days.len().max(1);
    let slot = w / n as f64;
    let label_every = (n / 12).max(1);
    // a key date's name goes on the upper row, or the lower one when it would touch the last
    let mut last_on_row = [f64::MIN, f64::MIN];
    for (i, (day, cases, key)) in days.iter().enumerate() {
        let x = left + slot * i as f64;
        let colour = if key.is_some() { RED } else { BLUE };
        let _ = write!(
            svg,
            r##"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{colour}"/>"##,
            x + slot * 0.15,
            y_of(*cases),
            (slot * 0.7).max(1.0),
            top + h - y_of(*cases)
        );
        if let Some(name) = key {
            let cx = x + slot / 2.0;
            let row = usize::from(cx - last_on_row[0] < 80.0);
            last_on_row[row] = cx;
            let label_y = top - 30.0 + 16.0 * row as f64;
            let _ = write!(
                svg,
                r##"<line x1="{cx:.1}" y1="{:.0}" x2="{cx:.1}" y2="{:.0}" stroke="{RED}" stroke-dasharray="4 3"/><text x="{cx:.1}" y="{:.0}" font-size="13" fill="{RED}" text-anchor="middle">{} {}</text>"##,
                label_y + 4.0,
                top + h,
                label_y,
                escape(name),
                cases
            );
        }
        if i % label_every == 0 || i + 1 == n {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{:.0}" font-size="11" fill="#666" text-anchor="middle">{}</text>"##,
                x + slot / 2.0,
                top + h + 18.0,
                escape(day.get(5..).unwrap_or(day))
            );
        }
    }
    let total: i64 = days.iter().map(|d| d.1).sum();
    let _ = write!(
        svg,
        r##"<rect x="{:.0}" y="74" width="14" height="10" fill="{BLUE}"/><text x="{:.0}" y="84" font-size="13" fill="#333">案件 {total}</text><rect x="{:.0}" y="74" width="14" height="10" fill="{RED}"/><text x="{:.0}" y="84" font-size="13" fill="#333">关键节点</text>"##,
        WIDTH - 260.0,
        WIDTH - 240.0,
        WIDTH - 150.0,
        WIDTH - 130.0
    );
    svg.push_str("</svg>");
    svg
}

/// A bar of a Gantt chart: a milestone of a department, from when it was set to its due date.
pub struct Bar {
    pub group: String,
    pub label: String,
    pub from: chrono::NaiveDateTime,
    pub to: chrono::NaiveDateTime,
    pub done: bool,
    pub late: bool,
}

/// A Gantt chart (实施时间表): one row per milestone, grouped by department, over the months
/// they span; done ones green with a tick, overdue ones red, the rest blue; today a dashed line.
pub fn gantt(title: &str, subtitle: &str, bars: &[Bar]) -> String {
    let (left, top, right, row_h) = (300.0, 110.0, 30.0, 28.0);
    let mut rows: Vec<&Bar> = bars.iter().collect();
    rows.sort_by(|a, b| a.group.cmp(&b.group).then(a.to.cmp(&b.to)));
    let height = top + row_h * rows.len().max(1) as f64 + 60.0;
    let mut svg = String::new();
    open(&mut svg, height, title, subtitle);
    let now = gridhub_store::time::now();
    let start = rows.iter().map(|b| b.from).min().unwrap_or(now).min(now);
    let end = rows.iter().map(|b| b.to).max().unwrap_or(now).max(now) + chrono::Duration::days(1);
    let span = (end - start).num_seconds().max(1) as f64;
    let w = WIDTH - left - right;
    let x_of = |t: chrono::NaiveDateTime| left + w * (t - start).num_seconds() as f64 / span;
    // a tick per week (or per month when the plan is long), dated
    let days = (end - start).num_days().max(1);
    let step = if days > 120 {
        30
    } else if days > 28 {
        7
    } else {
        1
    };
    let first = gridhub_store::time::local_date(start);
    let mut d = first;
    while gridhub_store::time::from_local(d.and_hms_opt(0, 0, 0).expect("midnight")) <= end {
        let x = x_of(gridhub_store::time::from_local(d.and_hms_opt(0, 0, 0).expect("midnight"))).max(left);
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{:.0}" x2="{x:.1}" y2="{:.0}" stroke="#e3e3e3"/><text x="{x:.1}" y="{:.0}" font-size="11" fill="#888" text-anchor="middle">{}</text>"##,
            top - 14.0,
            height - 50.0,
            top - 18.0,
            d.format("%m-%d")
        );
        d += chrono::Duration::days(step);
    }
    let mut last_group = "";
    for (i, b) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        if b.group != last_group {
            last_group = &b.group;
            let _ = write!(
                svg,
                r##"<line x1="30" y1="{y:.0}" x2="{:.0}" y2="{y:.0}" stroke="#bbb"/><text x="30" y="{:.0}" font-size="13" font-weight="bold" fill="#333">{}</text>"##,
                WIDTH - right,
                y + 18.0,
                escape(&b.group)
            );
        }
        let colour = if b.late {
            RED
        } else if b.done {
            GREEN
        } else {
            BLUE
        };
        let (x1, x2) = (x_of(b.from), x_of(b.to).max(x_of(b.from) + 4.0));
        let mark = if b.done {
            " ✓"
        } else if b.late {
            " 超期"
        } else {
            ""
        };
        // the due date right of the bar, or inside its end in white when the bar reaches the edge
        let (date_x, anchor, date_fill) =
            if x2 + 60.0 > WIDTH - right { (x2 - 4.0, "end", "#fff") } else { (x2 + 4.0, "start", colour) };
        let _ = write!(
            svg,
            r##"<text x="{:.0}" y="{:.0}" font-size="12" fill="#444" text-anchor="end">{}</text><rect x="{x1:.1}" y="{:.0}" width="{:.1}" height="16" rx="3" fill="{colour}"/><text x="{date_x:.1}" y="{:.0}" font-size="11" fill="{date_fill}" text-anchor="{anchor}">{}{mark}</text>"##,
            left - 10.0,
            y + 18.0,
            escape(&truncated(&b.label, 14)),
            y + 6.0,
            x2 - x1,
            y + 18.0,
            gridhub_store::time::local_date(b.to).format("%m-%d")
        );
    }
    let today = x_of(now);
    let _ = write!(
        svg,
        r##"<line x1="{today:.1}" y1="{:.0}" x2="{today:.1}" y2="{:.0}" stroke="#222" stroke-dasharray="4 3"/><text x="{today:.1}" y="{:.0}" font-size="11" fill="#222" text-anchor="middle">今天</text>"##,
        top - 8.0,
        height - 50.0,
        height - 36.0
    );
    let _ = write!(
        svg,
        r##"<rect x="{:.0}" y="74" width="14" height="10" fill="{GREEN}"/><text x="{:.0}" y="84" font-size="13" fill="#333">已完成</text><rect x="{:.0}" y="74" width="14" height="10" fill="{BLUE}"/><text x="{:.0}" y="84" font-size="13" fill="#333">推进中</text><rect x="{:.0}" y="74" width="14" height="10" fill="{RED}"/><text x="{:.0}" y="84" font-size="13" fill="#333">超期</text>"##,
        WIDTH - 330.0,
        WIDTH - 310.0,
        WIDTH - 230.0,
        WIDTH - 210.0,
        WIDTH - 130.0,
        WIDTH - 110.0
    );
    svg.push_str("</svg>");
    svg
}

/// At most `n` characters, with an ellipsis when cut (a label on a chart; the sheet has it whole).
fn truncated(text: &str, n: usize) -> String {
    if text.chars().count() <= n { text.to_owned() } else { text.chars().take(n - 1).chain(['…']).collect() }
}
