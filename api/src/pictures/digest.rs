//! The monthly analysis (民情研判) as a page a community prints for its meeting: the month's
//! figures, the charts inline, the lists the meeting goes through, what last month decided, and
//! room for this month's findings.

use std::fmt::Write;

use gridhub_store::supervision::digest::{Digest, Level};
use gridhub_store::supervision::figures::rates::RATES;

use super::{FONTS, charts, escape};

fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".into(), |v| format!("{:.1}%", v * 100.0))
}

/// The page.
pub fn render(d: &Digest) -> String {
    let kind = if d.level == Level::Street { "街道" } else { "社区" };
    let mut h = String::new();
    let _ = write!(
        h,
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>{name} {month} 民情研判</title><style>
body{{font-family:{FONTS};margin:24px auto;max-width:960px;color:#222;line-height:1.5}}
h1{{font-size:24px;margin:0}} h2{{font-size:18px;border-left:4px solid #c0392b;padding-left:8px;margin-top:28px}}
table{{border-collapse:collapse;width:100%;margin:8px 0}} th,td{{border:1px solid #ccc;padding:4px 8px;text-align:left}} th{{background:#f2f2f2}}
.num{{text-align:right}} .muted{{color:#777}} .up{{color:#c0392b}} .down{{color:#2e9e5b}}
.figs{{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}} .fig{{border:1px solid #ddd;padding:8px;border-radius:4px}} .fig b{{font-size:20px;display:block}}
svg{{max-width:100%;height:auto}} .blank{{height:120px;border:1px dashed #aaa}}
@media print{{body{{margin:0}} h2{{break-after:avoid}} svg{{break-inside:avoid}}}}
</style></head><body>"#,
        name = escape(&d.name),
        month = escape(&d.month)
    );
    let _ = write!(
        h,
        r#"<h1>{} {} 民情研判会材料</h1><p class="muted">{kind} · 统计期：{} 全月（按立案时间，中国标准时间）</p>"#,
        escape(&d.name),
        escape(&d.month),
        escape(&d.month)
    );

    h.push_str("<h2>一、本月概况</h2><div class=\"figs\">");
    let c = &d.figures.counts;
    for (label, n) in [
        ("上报", c.get("reported")),
        ("立案", c.get("filed")),
        ("结案", c.get("closed")),
        ("超时案件", c.get("overdue")),
    ] {
        let _ = write!(h, r#"<div class="fig">{label}<b>{n}</b></div>"#);
    }
    for r in RATES.iter().filter(|r| {
        [
            "closure_rate",
            "on_time_closure_rate",
            "on_the_spot_rate",
            "satisfaction_rate",
            "patrol_coverage",
            "report_in_rate",
            "rework_rate",
            "return_rate",
        ]
        .contains(&r.name)
    }) {
        let v = d.figures.rates.get(r.name).copied().flatten();
        let _ = write!(h, r#"<div class="fig">{}<b>{}</b></div>"#, r.label, percent(v));
    }
    h.push_str("</div>");
    h.push_str(&charts::trend(&format!("{} 每日立案、结案、超时", d.name), &d.month, &d.daily));
    let stages = d.figures.funnel();
    h.push_str(&charts::funnel(&format!("{} 闭环漏斗", d.name), &d.month, &stages));

    h.push_str("<h2>二、高发问题（按小类，与上月比较）</h2><table><tr><th>分类</th><th class=\"num\">本月</th><th class=\"num\">上月</th><th class=\"num\">增减</th></tr>");
    for t in &d.top_categories {
        let class = if t.change > 0 {
            "up"
        } else if t.change < 0 {
            "down"
        } else {
            ""
        };
        let _ = write!(
            h,
            r#"<tr><td>{} <span class="muted">{}</span></td><td class="num">{}</td><td class="num">{}</td><td class="num {class}">{:+}</td></tr>"#,
            escape(&t.name),
            escape(&t.code),
            t.count,
            t.previous,
            t.change
        );
    }
    if d.top_categories.is_empty() {
        h.push_str("<tr><td colspan=\"4\" class=\"muted\">本月无案件</td></tr>");
    }
    h.push_str("</table>");

    h.push_str("<h2>三、热点网格（同一单元网格同类问题 3 次及以上）</h2><table><tr><th>单元网格</th><th>分类</th><th class=\"num\">次数</th></tr>");
    for s in &d.hotspots {
        let _ = write!(
            h,
            r#"<tr><td>{}</td><td>{}</td><td class="num">{}</td></tr>"#,
            escape(s.unit_code.as_deref().unwrap_or("")),
            escape(&s.category_name),
            s.count
        );
    }
    if d.hotspots.is_empty() {
        h.push_str("<tr><td colspan=\"3\" class=\"muted\">无</td></tr>");
    }
    h.push_str("</table>");

    h.push_str("<h2>四、久拖未决（超时或缓办 30 天以上）</h2><table><tr><th>案件</th><th>情形</th><th class=\"num\">天数</th></tr>");
    for l in &d.long_open {
        let why = if l.why == "suspended" { "缓办" } else { "超时" };
        let _ = write!(h, r#"<tr><td>{}</td><td>{why}</td><td class="num">{}</td></tr>"#, escape(&l.title), l.days);
    }
    if d.long_open.is_empty() {
        h.push_str("<tr><td colspan=\"3\" class=\"muted\">无</td></tr>");
    }
    h.push_str("</table>");

    h.push_str("<h2>五、重复反映（本月 2 次及以上）</h2><table><tr><th>反映人</th><th class=\"num\">次数</th></tr>");
    for r in &d.repeat_reporters {
        let _ = write!(h, r#"<tr><td>{}</td><td class="num">{}</td></tr>"#, escape(&r.name), r.count);
    }
    if d.repeat_reporters.is_empty() {
        h.push_str("<tr><td colspan=\"2\" class=\"muted\">无</td></tr>");
    }
    h.push_str("</table>");

    let _ = write!(
        h,
        r#"<h2>六、群众满意、吹哨报到、力量配备与巡查</h2><table>
<tr><th>满意率</th><td>{}（评价 {} 件，满意 {} 件）</td></tr>
<tr><th>吹哨报到</th><td>召集部门 {} 个次，报到 {}，到场 {}</td></tr>
<tr><th>缺网格长的网格</th><td>{}</td></tr><tr><th>缺网格员的网格</th><td>{}</td></tr>
<tr><th>巡查覆盖率</th><td>{}（{} / {} 个网格）；本月未巡查：{}</td></tr></table>"#,
        percent(d.figures.rates.get("satisfaction_rate").copied().flatten()),
        c.get("evaluated"),
        c.get("satisfied"),
        c.get("whistle_summoned"),
        c.get("whistle_reported_in"),
        c.get("whistle_on_site"),
        list(&d.cells_without_grid_leader),
        list(&d.cells_without_worker),
        percent(d.figures.rates.get("patrol_coverage").copied().flatten()),
        c.get("cells_patrolled"),
        c.get("cells"),
        list(&d.unpatrolled_cells)
    );

    h.push_str("<h2>七、上月研判会议定事项</h2>");
    minutes(&mut h, &d.previous_minutes);
    h.push_str("<h2>八、本月研判记录</h2>");
    minutes(&mut h, &d.minutes);
    h.push_str("<p class=\"muted\">会议发现与议定事项（手写）：</p><div class=\"blank\"></div></body></html>");
    h
}

fn list(codes: &[String]) -> String {
    if codes.is_empty() { "无".into() } else { escape(&codes.join("、")) }
}

fn minutes(h: &mut String, all: &[gridhub_store::supervision::digest::Minutes]) {
    if all.is_empty() {
        h.push_str("<p class=\"muted\">无记录</p>");
        return;
    }
    for m in all {
        let _ = write!(
            h,
            "<p><b>参会：</b>{}</p><p><b>发现：</b>{}</p>",
            escape(&m.attendees.join("、")),
            escape(&m.findings)
        );
        if !m.decisions.is_empty() {
            h.push_str("<table><tr><th>议定事项</th><th>责任人</th><th>完成时限</th></tr>");
            for d in &m.decisions {
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(&d.what),
                    escape(d.owner.as_deref().unwrap_or("")),
                    d.due.map(|d| d.to_string()).unwrap_or_default()
                );
            }
            h.push_str("</table>");
        }
    }
}
