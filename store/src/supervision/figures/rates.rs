//! The rates of the figures (绩效评价, after GB/T 30428.4), each a fraction of two counts: the one
//! home of every formula. `docs/figures.md` is rendered from these tables and `cases::tally::COUNTS`
//! (a test keeps it in step); the API answers each rate unrounded, `null` where its denominator is 0.

use serde::Serialize;

use super::Counts;
use crate::cases::tally::{COUNTS, Owner};

/// Whether more of a rate is better (结案率) or worse (返工率): a ranking scores `1 − rate` then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Better {
    Higher,
    Lower,
}

pub struct Rate {
    pub name: &'static str,
    pub label: &'static str,
    pub numerator: &'static str,
    pub denominator: &'static str,
    pub better: Better,
}

use Better::{Higher as H, Lower as L};

#[rustfmt::skip]
pub const RATES: &[Rate] = &[
    Rate { name: "closure_rate", label: "结案率", numerator: "closed", denominator: "filed", better: H },
    Rate { name: "on_time_closure_rate", label: "按期结案率", numerator: "closed_on_time", denominator: "due_to_close", better: H },
    Rate { name: "timely_acceptance_rate", label: "签收及时率", numerator: "accepted_on_time", denominator: "accepted", better: H },
    Rate { name: "on_time_handling_rate", label: "按期处置率", numerator: "handled_on_time", denominator: "handled", better: H },
    Rate { name: "rework_rate", label: "返工率", numerator: "reworked", denominator: "handled", better: L },
    Rate { name: "return_rate", label: "退回率（误派）", numerator: "returned", denominator: "dispatched", better: L },
    Rate { name: "on_the_spot_rate", label: "就地解决率", numerator: "self_handled", denominator: "filed", better: H },
    Rate { name: "satisfaction_rate", label: "满意率", numerator: "satisfied", denominator: "evaluated", better: H },
    Rate { name: "valid_report_rate", label: "有效上报率", numerator: "filed", denominator: "reported", better: H },
    Rate { name: "report_in_rate", label: "报到率", numerator: "whistle_reported_in", denominator: "whistle_summoned", better: H },
    Rate { name: "on_site_rate", label: "到场率", numerator: "whistle_on_site", denominator: "whistle_summoned", better: H },
    Rate { name: "response_rating_rate", label: "报到响应评价得分率", numerator: "whistle_rating_points", denominator: "whistle_rating_full", better: H },
    Rate { name: "patrol_coverage", label: "巡查覆盖率", numerator: "cells_patrolled", denominator: "cells", better: H },
    Rate { name: "assist_on_time_rate", label: "协办按期率", numerator: "assists_on_time", denominator: "assists", better: H },
    Rate { name: "milestone_on_time_rate", label: "会商任务按期完成率", numerator: "milestones_on_time", denominator: "milestones_due", better: H },
];

/// Counts that do not come from a case's timeline.
#[rustfmt::skip]
pub const OTHER_COUNTS: &[(&str, &str, &str)] = &[
    ("whistle_summoned", "吹哨召集部门数", "departments summoned by whistles blown in the period (吹哨), by the whistle's district, street and case's place"),
    ("whistle_reported_in", "报到部门数", "of those, departments that reported in (报到), late or not"),
    ("whistle_on_site", "到场部门数", "of those, departments that reported in on site and in time"),
    ("whistle_rated", "已评价响应数", "of those, responses the street rated when the whistle closed (1–5)"),
    ("whistle_rating_points", "评价得分", "the ratings' points above the lowest: 1 is 0, 5 is 4 (average rating = 1 + points ÷ rated)"),
    ("whistle_rating_full", "评价满分", "4 for each rated response"),
    ("cells", "网格数", "active governance grids of the unit (a worker's: the grids assigned to them now); none for a department"),
    ("cells_patrolled", "已巡查网格数", "of those, grids with a patrol started in the period (a worker's: by them)"),
    ("assists", "协办数", "assisting parts (协办) of cases a department reported in the period, or still open that ran past a deadline in it"),
    ("assists_on_time", "按期协办数", "of those, reported without ever passing a deadline (accept or handle)"),
    ("milestones_due", "会商任务到期数", "milestones of meetings' decisions (tasks of kind meeting) a department owns, due in the period"),
    ("milestones_on_time", "会商任务按期完成数", "of those, verified by their due date"),
];

/// The steps whose mean working time the figures give: (step, minutes, how many).
pub const STEP_TIMES: &[(&str, &str, &str)] = &[
    ("file", "file_minutes", "file_steps"),
    ("dispatch", "dispatch_minutes", "dispatch_steps"),
    ("accept", "accept_minutes", "accepted"),
    ("handle", "handle_minutes", "handled"),
    ("verify", "verify_minutes", "verify_steps"),
];

impl Rate {
    pub fn of(&self, counts: &Counts) -> Option<f64> {
        let d = counts.get(self.denominator);
        (d > 0).then(|| counts.get(self.numerator) as f64 / d as f64)
    }

    pub fn find(name: &str) -> Option<&'static Rate> {
        RATES.iter().find(|r| r.name == name)
    }
}

fn label_of(count: &str) -> &'static str {
    COUNTS
        .iter()
        .find(|c| c.name == count)
        .map(|c| c.label)
        .or_else(|| OTHER_COUNTS.iter().find(|c| c.0 == count).map(|c| c.1))
        .unwrap_or("")
}

/// The tables as Markdown, for `docs/figures.md`.
pub fn markdown() -> String {
    let mut out = String::from("### Counts\n\n| count | 中文 | whose | what it counts |\n|---|---|---|---|\n");
    for c in COUNTS {
        let whose = match c.owner {
            Owner::Case => "the case",
            Owner::Department => "the department that held it",
        };
        out.push_str(&format!("| `{}` | {} | {} | {} |\n", c.name, c.label, whose, c.counts));
    }
    for (name, label, what) in OTHER_COUNTS {
        out.push_str(&format!("| `{name}` | {label} | the unit | {what} |\n"));
    }
    out.push_str("\n### Rates\n\n| rate | 中文 | numerator | denominator | better |\n|---|---|---|---|---|\n");
    for r in RATES {
        out.push_str(&format!(
            "| `{}` | {} | `{}` ({}) | `{}` ({}) | {} |\n",
            r.name,
            r.label,
            r.numerator,
            label_of(r.numerator),
            r.denominator,
            label_of(r.denominator),
            match r.better {
                Better::Higher => "higher",
                Better::Lower => "lower",
            }
        ));
    }
    out.push_str("\n### Mean time per step (on each case's clock)\n\n| step | minutes | divided by |\n|---|---|---|\n");
    for (step, minutes, n) in STEP_TIMES {
        out.push_str(&format!("| `{step}` | `{minutes}` | `{n}` |\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rate_is_built_from_known_counts() {
        for r in RATES {
            for c in [r.numerator, r.denominator] {
                assert!(!label_of(c).is_empty(), "{} uses {c}, which is no count", r.name);
            }
        }
    }

    #[test]
    fn the_document_shows_the_tables() {
        let doc = include_str!("../../../../docs/figures.md");
        for table in [markdown(), super::super::scheme::defaults_markdown()] {
            assert!(doc.contains(&table), "docs/figures.md is out of step with the tables; paste this in:\n{table}");
        }
    }
}
