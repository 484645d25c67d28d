//! Five weeks of history, so that the figures, rankings, charts and the monthly analysis have
//! something true to show: cases filed in 公园街道 and 百花洲街道 day by day, each taken through
//! the loop at the times it happened (the store's clock set back), with what real months hold —
//! returns (误派), rework, fixes on the spot, late handling, residents' ratings good and bad, a
//! trouble spot that keeps coming back, cases left open long enough to be overdue (red) or nearly
//! (yellow) — the grid worker's patrols (a few grids never walked), and last month's analysis
//! meeting with what it decided.

use chrono::{Datelike, Duration, NaiveDateTime};
use geo::InteriorPoint;
use gridhub_store::cases::category::{self, Step};
use gridhub_store::cases::intake::{self, Draft, NewCase};
use gridhub_store::cases::{self as case, Act, Action, Policy};
use gridhub_store::clocks::calendar;
use gridhub_store::grid::{Layers, cell};
use gridhub_store::phones::patrol::{self, Patrol};
use gridhub_store::supervision::digest::{self, Decision, Level, NewMinutes};
use gridhub_store::time::Clock;
use gridhub_store::{Caller, DbConn, StoreResult};

pub(super) struct People {
    pub office: Caller,
    pub office2: Caller,
    pub worker: Caller,
    pub chengguan: Caller,
    pub police: Caller,
    pub resident: Caller,
    pub departments: std::collections::HashMap<String, String>,
}

/// How many cases the history files (and three left open).
const HISTORY: usize = 48;

/// How a case went: the actions in order; `@` names the department dispatched to, `+4d` waits
/// four days before the action.
const STORIES: &[&[&str]] = &[
    &["file", "dispatch", "accept", "handle", "verify_pass", "revisit=true"],
    &["file", "self_handle"],
    &["file", "dispatch@gongan", "return", "dispatch", "accept", "handle", "verify_pass"],
    &["file", "dispatch", "accept", "handle", "verify_pass", "evaluate=5"],
    &["file", "dispatch", "accept", "handle", "verify_fail", "handle", "verify_pass"],
    // revisited (回访) and found unsolved: sent back once for a second handling (重办)
    &[
        "file",
        "dispatch",
        "accept",
        "handle",
        "verify_pass",
        "revisit=false",
        "dispatch",
        "accept",
        "handle",
        "verify_pass",
    ],
    &["file", "dispatch", "accept", "+4d", "handle", "verify_pass"],
    // not satisfied: sent back for a second handling (重办), and still rated poorly after it
    &[
        "file",
        "dispatch",
        "accept",
        "handle",
        "verify_pass",
        "evaluate=2",
        "dispatch",
        "accept",
        "handle",
        "verify_pass",
        "evaluate=2",
    ],
    &["reject"],
    &["file", "dispatch", "accept", "handle", "verify_pass", "evaluate=4"],
];

/// (category, title): what a street in the old town reports.
const PROBLEMS: &[(&str, &str)] = &[
    ("SJ0102", "垃圾桶满溢"),
    ("BJ0101", "人行道井盖破损"),
    ("SJ0504", "机动车占道停放"),
    ("SJ0201", "墙面小广告"),
    ("SJ0505", "共享单车乱停放"),
    ("SJ0108", "露天焚烧垃圾"),
    ("ZL0302", "楼道电动车充电"),
];

/// The same stall again and again at one spot: a hotspot for the monthly analysis.
const TROUBLE: (&str, &str) = ("SJ0502", "菜市场门口店外经营");

/// How long after the last action each action is taken.
fn gap(action: &str) -> Duration {
    match action {
        "file" => Duration::minutes(25),
        "dispatch" | "dispatch@gongan" => Duration::minutes(20),
        "accept" | "return" => Duration::minutes(35),
        "handle" => Duration::hours(3),
        "verify_pass" | "verify_fail" => Duration::minutes(90),
        _ => Duration::hours(20),
    }
}

/// A morning `days_ago` days back, China Standard Time, in UTC.
fn morning(now: NaiveDateTime, days_ago: i64, minutes: i64) -> NaiveDateTime {
    let day = (now + Duration::hours(8)).date() - Duration::days(days_ago);
    day.and_hms_opt(9, 0, 0).expect("nine o'clock") + Duration::minutes(minutes) - Duration::hours(8)
}

/// Files a report as `who` where the unit grid `unit` lies, on the clock; its id.
pub(super) fn file(
    conn: &mut DbConn,
    clock: &Clock,
    who: &Caller,
    source: &str,
    (category, title): (&str, &str),
    unit: &cell::Cell,
    index: &Layers,
) -> StoreResult<String> {
    let point = unit.shape().interior_point().expect("a cell has an interior");
    let draft = Draft {
        source: Some(source.into()),
        category_code: Some(category.into()),
        title: Some(title.into()),
        description: Some(format!("{title}，请尽快处理。")),
        lng: Some(point.x()),
        lat: Some(point.y()),
        address: Some(unit.name.clone()),
        ..Draft::default()
    };
    let report = draft.check(Default::default())?;
    let placement = index.place(report.lng, report.lat);
    let new = NewCase { report, placement, idempotency: None };
    clock.run(|| Ok(intake::create(conn, who, &new, &Policy::default())?.case.case.id.to_string()))
}

/// Takes the story's actions on the case, each after its gap.
fn live(conn: &mut DbConn, clock: &Clock, p: &People, office: &Caller, id: &str, story: &[&str]) -> StoreResult<()> {
    for step in story {
        if let Some(days) = step.strip_prefix('+').and_then(|d| d.strip_suffix('d')) {
            clock.advance(Duration::days(days.parse().unwrap_or(1)));
            continue;
        }
        clock.advance(gap(step));
        let (name, arg) = step.split_once(['@', '=']).unwrap_or((step, ""));
        let action = Action::parse(name).expect("the stories' actions are in the table");
        let actor = match action {
            Action::Accept | Action::Handle => &p.chengguan,
            Action::Return => &p.police,
            Action::Evaluate => &p.resident,
            _ => office,
        };
        let department = if arg.is_empty() { "chengguan" } else { arg };
        let act = Act {
            note: Some(
                match action {
                    Action::Handle => "已到现场处置完毕，附处置后照片",
                    Action::Return => "该事项不属于公安职责，请改派城管",
                    Action::VerifyFail => "复核发现问题仍在，请返工",
                    Action::Reject => "经核实不属于受理范围",
                    Action::SelfHandle => "网格员现场劝导，当场整改",
                    Action::Suspend => "井盖属小区物业产权，待物业确认维修资金后再办",
                    Action::Revisit if arg == "true" => "回访周边居民，问题已解决",
                    Action::Revisit => "回访发现问题未解决，居民反映仍有异味",
                    _ => "同意",
                }
                .into(),
            ),
            department_id: p.departments.get(department).cloned(),
            satisfaction: arg.parse().ok(),
            satisfied: arg.parse().ok(),
            ..Act::new(action)
        };
        clock.run(|| case::transition(conn, actor, id, act, &Policy::default()))?;
    }
    Ok(())
}

/// Writes the history; `units` are 孺子亭社区's unit grids, `units2` 百花洲社区's.
/// `walked`: the communities whose workers patrol.
pub(super) fn write(
    conn: &mut DbConn,
    p: &People,
    units: &[cell::Cell],
    units2: &[cell::Cell],
    community: &str,
    walked: &[&str],
) -> StoreResult<usize> {
    let index = Layers::build(gridhub_store::grid::version::active_cells(conn)?.1);
    let now = gridhub_store::now();
    // five weeks of cases, about three every two days, most in 公园街道
    for i in 0..HISTORY {
        let days_ago = 35 - (i as i64 * 33 / 48);
        let clock = Clock::at(morning(now, days_ago, (i as i64 % 4) * 50));
        let (office, reporter, source, unit) = if i % 6 == 5 {
            (&p.office2, &p.office2, "hotline", &units2[(i * 7) % units2.len()])
        } else if i % 3 == 0 {
            (&p.office, &p.worker, "field_report", &units[20 % units.len()])
        } else {
            (&p.office, &p.worker, "field_report", &units[[3, 9, 33, 58, 66, 12, 27][i % 7] % units.len()])
        };
        let problem = if i % 3 == 0 && i % 6 != 5 { TROUBLE } else { PROBLEMS[i % PROBLEMS.len()] };
        let story = STORIES[i % STORIES.len()];
        let resident = story.iter().any(|s| s.starts_with("evaluate"));
        let (reporter, source) = if resident { (&p.resident, "resident_request") } else { (reporter, source) };
        let id = file(conn, &clock, reporter, source, problem, unit, &index)?;
        live(conn, &clock, p, office, &id, story)?;
    }
    // set aside six weeks ago, waiting on the property owner: long suspended (缓办)
    let clock = Clock::at(morning(now, 42, 20));
    let waiting = file(
        conn,
        &clock,
        &p.worker,
        "field_report",
        ("BJ0101", "小区内雨水井盖塌陷"),
        &units[60 % units.len()],
        &index,
    )?;
    live(conn, &clock, p, &p.office, &waiting, &["file", "dispatch", "accept", "suspend"])?;
    // still open: dispatched three days ago and never accepted (red); and one whose handling has
    // used most of its time (yellow)
    let clock = Clock::at(morning(now, 3, 30));
    let red = file(
        conn,
        &clock,
        &p.worker,
        "field_report",
        ("SJ0102", "背街小巷垃圾堆积"),
        &units[40 % units.len()],
        &index,
    )?;
    live(conn, &clock, p, &p.office, &red, &["file", "dispatch"])?;
    const YELLOW: (&str, &str) = ("SJ0504", "消防通道被车辆堵塞");
    let limit = category::get(conn, YELLOW.0)?.limit(Step::Handle).expect("机动车乱停放 has a handling limit");
    let cal = calendar::load(conn, &Policy::default().hours)?;
    let total = cal.working_minutes(now, cal.deadline(now, limit));
    let accepted = cal.sub_minutes(now, total * 17 / 20);
    let clock = Clock::at(accepted - Duration::minutes(80));
    let yellow = file(
        conn,
        &clock,
        &p.worker,
        "field_report",
        ("SJ0504", "消防通道被车辆堵塞"),
        &units[50 % units.len()],
        &index,
    )?;
    live(conn, &clock, p, &p.office, &yellow, &["file", "dispatch", "accept"])?;
    // the grid workers' walks: every grid of 公园街道 but every seventh, over the month, each by
    // a worker who answers for it (百花洲街道's workers record none: a gap its figures show)
    for (c, community) in walked.iter().enumerate() {
        let grids = cell::of_community(conn, &Caller::system(), community)?.1;
        for (k, grid) in grids.iter().enumerate().filter(|(k, _)| k % 7 != 6) {
            let mut walker = None;
            for id in gridhub_store::assignments::people_of(conn, &grid.id)? {
                let u = gridhub_store::people::user::get(conn, &id)?;
                if u.role == gridhub_store::Role::GridWorker {
                    walker = Some(Caller::resolve(conn, &u.id, u.role, u.scope_id.as_deref())?);
                    break;
                }
            }
            let Some(walker) = walker else { continue };
            let walks: Vec<Patrol> = (0..3_i64)
                .map(|n| {
                    let started =
                        morning(now, 1 + (k as i64 * 3 + n * 9) % 27, 60 + n * 30).and_utc().timestamp_millis();
                    Patrol {
                        id: format!("demo-walk-{c}-{k}-{n}"),
                        user_id: walker.user_id.clone(),
                        cell_id: grid.id.to_string(),
                        started_at: started,
                        ended_at: Some(started + 50 * 60 * 1000),
                        distance_m: 1800.0 + 150.0 * k as f64,
                        track: String::new(),
                        note: "巡查正常".into(),
                        created_ms: 0,
                        sync_ms: 0,
                    }
                })
                .collect();
            patrol::record(conn, &walker, walks)?;
        }
    }
    // last month's analysis meeting
    let last_month =
        (morning(now, 0, 0) + Duration::hours(8)).date().with_day0(0).expect("a first day") - Duration::days(1);
    let minutes = NewMinutes {
        attendees: vec!["社区书记 赵敏".into(), "网格员 李强".into(), "城管中队 张伟".into(), "居民代表 陈静".into()],
        findings: "菜市场门口店外经营反复出现，早晚高峰占道最严重；部分楼道仍有电动车充电。".into(),
        decisions: vec![
            Decision {
                what: "城管与网格员每日早晚联合巡查菜市场门口".into(), owner: Some("李强".into()), due: None
            },
            Decision {
                what: "在3号楼、5号楼增设电动车集中充电点".into(),
                owner: Some("孺子亭社区 赵敏".into()),
                due: Some(last_month + Duration::days(45)),
            },
        ],
    };
    let month = last_month.format("%Y-%m").to_string();
    Clock::at(morning(now, (now + Duration::hours(8)).date().day0() as i64 + 3, 0))
        .run(|| digest::record_minutes(conn, &p.office, Level::Community, community, &month, minutes))?;
    Ok(HISTORY + 3)
}
