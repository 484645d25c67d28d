//! The demo's campaign: 东湖区's 2026 Spring Festival fireworks ban (烟花爆竹禁燃禁放专项行动),
//! run on the store's clock set back to January–March 2026 — planned with the police leading and
//! four member departments with their duties, its notice signed for, its key dates (立春, 小年,
//! 除夕, 元宵), the task of the city decomposed to both streets, their communities and 孺子亭's
//! grids (one community late), fireworks reported on the key nights and punished (fines, a
//! detention, confiscations), a joint patrol plan for 除夕 night and the patrols walked by it,
//! then closed and reviewed.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use gridhub_store::campaigns::{self, KeyDate, NewCampaign, NewMember, Target, notices};
use gridhub_store::cases::outcome::{Outcome, OutcomeKind};
use gridhub_store::cases::{self as case, Act, Action, Policy};
use gridhub_store::grid::{Layers, cell};
use gridhub_store::people::user::{self, NewUser};
use gridhub_store::phones::patrol::{self, Patrol};
use gridhub_store::supervision::patrols::{self, NewPlan};
use gridhub_store::tasks::{self, NewTask, Progress, TaskKind, Unit};
use gridhub_store::time::Clock;
use gridhub_store::{Caller, DbConn, Page, Role, StoreResult};

use super::history;

pub struct People<'a> {
    pub city: &'a Caller,
    pub district: &'a Caller,
    pub offices: [&'a Caller; 2],
    pub cadre: &'a Caller,
    pub police: &'a Caller,
    pub chengguan: &'a Caller,
    pub district_id: &'a str,
    pub departments: &'a std::collections::HashMap<String, String>,
}

/// A night of fireworks: (month, day, hour), the unit grid, what was reported, what was done to
/// how many, the fine.
type Night = ((u32, u32, u32), usize, &'static str, OutcomeKind, i64, Option<f64>);

/// A moment of 2026 in China Standard Time, as UTC.
fn cst(month: u32, day: u32, hour: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, month, day).and_then(|d| d.and_hms_opt(hour, 0, 0)).expect("a 2026 moment")
        - Duration::hours(8)
}

/// Writes the campaign; how many cases it had. `units` are 孺子亭社区's unit grids, `units2` 百花洲社区's; `walker` patrols
/// 孺子亭's grids on 除夕 night.
pub fn write(
    conn: &mut DbConn,
    p: &People,
    units: &[cell::Cell],
    units2: &[cell::Cell],
    walker: &Caller,
) -> StoreResult<usize> {
    let index = Layers::build(gridhub_store::grid::version::active_cells(conn)?.1);
    let dept = |code: &str| p.departments[code].clone();
    let member =
        |code: &str, duty: &str| NewMember { department_id: dept(code), role: "member".into(), duty: duty.into() };
    let plan = NewCampaign {
        name: "2026年春节烟花爆竹禁燃禁放专项行动".into(),
        description: "东湖区全域全时段禁止燃放烟花爆竹，严查非法储存、运输、销售，确保春节期间零发案".into(),
        district_ids: vec![p.district_id.into()],
        lead_department_id: dept("gongan"),
        members: vec![
            NewMember {
                department_id: dept("gongan"),
                role: "lead".into(),
                duty: "牵头；查处违法燃放和非法储存、运输、销售".into(),
            },
            member("chengguan", "查处占道销售，清理燃放残留"),
            member("xiaofang", "重点场所消防安全检查"),
            member("shichang", "查处无证经营烟花爆竹"),
            member("zhujian", "督促物业做好小区宣传劝导"),
        ],
        starts_at: cst(2, 1, 0),
        ends_at: cst(3, 5, 0),
        natural_time: true,
        key_dates: [
            ((2, 4), "立春"),
            ((2, 10), "小年"),
            ((2, 11), "小年"),
            ((2, 16), "除夕"),
            ((2, 17), "春节"),
            ((3, 3), "元宵"),
        ]
        .into_iter()
        .map(|((m, d), name)| KeyDate { date: NaiveDate::from_ymd_opt(2026, m, d).expect("a date"), name: name.into() })
        .collect(),
        watched_categories: vec!["ZL0303".into(), "ZL0304".into()],
        targets: vec![
            Target { metric: "zero_case_share".into(), value: 80.0 },
            Target { metric: "task_completion".into(), value: 100.0 },
        ],
    };
    let clock = Clock::at(cst(1, 26, 9));
    let c = clock.run(|| campaigns::create(conn, p.district, plan))?;
    let id = c.campaign.id.clone();
    clock.run(|| campaigns::act(conn, p.district, &id, "activate", None))?;
    let notice = clock.run(|| {
        notices::publish(
            conn,
            p.district,
            &id,
            "关于做好2026年春节期间烟花爆竹禁燃禁放工作的通知".into(),
            "各成员单位按职责分工，于2月10日前完成辖区网点排查，除夕、春节、元宵当晚安排专人值守巡查。".into(),
        )
    })?;
    // every member signs for it within the hour, by one of its staff
    clock.advance(Duration::hours(1));
    for (k, code) in ["xiaofang", "shichang", "zhujian"].into_iter().enumerate() {
        let new = NewUser {
            username: format!("{code}.duty"),
            password_hash: None,
            display_name: ["消防大队 值班员 吴昊", "市场监管局 值班员 郑洁", "住建局 值班员 孙涛"][k].into(),
            phone: None,
            role: Role::DeptStaff,
            scope_id: Some(dept(code)),
        };
        let u = user::create(conn, &Caller::system(), new)?;
        let staff = Caller::resolve(conn, &u.id, Role::DeptStaff, Some(&dept(code)))?;
        clock.run(|| notices::sign(conn, &staff, &id, &notice.notice.id))?;
    }
    for who in [p.police, p.chengguan] {
        clock.run(|| notices::sign(conn, who, &id, &notice.notice.id))?;
    }

    // the city's task, decomposed to the streets, their communities, and 孺子亭's grids
    let admins = community_admins(conn)?;
    let clock = Clock::at(cst(1, 28, 10));
    let task = NewTask {
        title: "禁燃禁放入户宣传和网格巡查".into(),
        description: "每户签订禁燃禁放承诺书，除夕至元宵每晚网格巡查".into(),
        kind: Some(TaskKind::Campaign),
        owner: (Unit::District, p.district_id.into()),
        due_at: cst(2, 14, 18),
        target_quantity: Some(12000),
        parent_id: None,
        campaign_id: Some(id.clone()),
    };
    let top = clock.run(|| tasks::create(conn, p.city, task))?.view.task.id;
    clock.run(|| tasks::act(conn, p.district, &top, "accept", None, None))?;
    let district_task = clock.run(|| tasks::decompose(conn, p.district, &top, Unit::Street, Some(cst(2, 13, 18))))?;
    let mut streets = Vec::new();
    let mut communities = Vec::new();
    for office in p.offices {
        let street = district_task.child_tasks.iter().find(|t| Some(&t.task.owner_id) == office.scope_id.as_ref());
        let street = street.map(|t| t.task.id.clone()).unwrap_or_default();
        clock.run(|| tasks::act(conn, office, &street, "accept", None, None))?;
        let made = clock.run(|| tasks::decompose(conn, office, &street, Unit::Community, Some(cst(2, 12, 18))))?;
        communities.extend(made.child_tasks.into_iter().map(|t| (office, t.task)));
        streets.push((office, street));
    }
    let ruziting =
        communities.iter().find(|(_, t)| Some(&t.owner_id) == p.cadre.scope_id.as_ref()).map(|(_, t)| t.id.clone());
    let ruziting = ruziting.unwrap_or_default();
    clock.run(|| tasks::act(conn, p.cadre, &ruziting, "accept", None, None))?;
    let cells = clock.run(|| tasks::decompose(conn, p.cadre, &ruziting, Unit::Cell, Some(cst(2, 10, 18))))?;
    // the grid worker's grids, reported and verified by the community; the community does the rest
    let clock = Clock::at(cst(2, 8, 16));
    for (k, g) in cells.child_tasks.iter().enumerate() {
        // the grid workers were named to their grids after the festival: the community reports
        let by = p.cadre;
        let households = [312, 287, 341, 265][k % 4];
        let note = format!("已入户宣传{households}户，签订承诺书{}份", households - 4);
        clock.run(|| {
            tasks::progress(
                conn,
                by,
                &g.task.id,
                Progress { quantity: households, note: Some(note), attachments: vec![], made: None },
            )
        })?;
        clock.run(|| tasks::act(conn, by, &g.task.id, "submit", None, None))?;
        clock.run(|| tasks::act(conn, p.cadre, &g.task.id, "verify", None, None))?;
    }
    // the communities report to their streets, but one of 百花洲街道's lets its date pass
    let clock = Clock::at(cst(2, 11, 10));
    let late = communities.last().map(|(_, t)| t.id.clone()).unwrap_or_default();
    let report = |conn: &mut DbConn, clock: &Clock, office: &Caller, t: &tasks::Task| -> StoreResult<()> {
        let Some(admin) = admins.get(&t.owner_id) else { return Ok(()) };
        if t.id != ruziting {
            let done = Progress {
                quantity: 1800,
                note: Some("入户宣传完成，签订承诺书".into()),
                attachments: vec![],
                made: None,
            };
            clock.run(|| tasks::progress(conn, admin, &t.id, done))?;
        }
        clock.run(|| tasks::act(conn, admin, &t.id, "submit", None, None))?;
        clock.run(|| tasks::act(conn, office, &t.id, "verify", None, None))?;
        Ok(())
    };
    for (office, t) in communities.iter().filter(|(_, t)| t.id != late) {
        report(conn, &clock, office, t)?;
    }
    Clock::at(cst(2, 12, 19)).run(|| tasks::overdue::sweep(conn, gridhub_store::now()))?;
    let clock = Clock::at(cst(2, 13, 10));
    for (office, t) in communities.iter().filter(|(_, t)| t.id == late) {
        report(conn, &clock, office, t)?;
    }
    for (office, street) in &streets {
        clock.run(|| tasks::act(conn, office, street, "submit", None, None))?;
        clock.run(|| tasks::act(conn, p.district, street, "verify", None, None))?;
    }
    clock.advance(Duration::hours(5));
    clock.run(|| tasks::act(conn, p.district, &top, "submit", None, None))?;
    clock.run(|| tasks::act(conn, p.city, &top, "verify", None, None))?;

    // the key nights: fireworks reported and punished
    let nights: [Night; 7] = [
        ((2, 4, 20), 3, "立春夜小区内燃放鞭炮", OutcomeKind::Advised, 2, None),
        ((2, 10, 21), 8, "小年夜燃放烟花", OutcomeKind::Fined, 1, Some(500.0)),
        ((2, 16, 20), 3, "除夕夜楼下燃放烟花", OutcomeKind::Fined, 2, Some(1000.0)),
        ((2, 16, 23), 12, "除夕夜多人燃放鞭炮", OutcomeKind::Detained, 1, None),
        ((2, 17, 0), 3, "零点燃放礼花弹", OutcomeKind::Fined, 1, Some(500.0)),
        ((2, 20, 19), 5, "小区门口非法销售烟花爆竹", OutcomeKind::Confiscated, 1, None),
        ((3, 3, 20), 10, "元宵夜燃放孔明灯和烟花", OutcomeKind::Warned, 1, None),
    ];
    for (k, ((m, d, h), unit, title, kind, persons, fine)) in nights.into_iter().enumerate() {
        let clock = Clock::at(cst(m, d, h));
        let (office, units) = if k == 3 { (p.offices[1], units2) } else { (p.offices[0], units) };
        let category = if kind == OutcomeKind::Confiscated { "ZL0304" } else { "ZL0303" };
        let case_id =
            history::file(conn, &clock, office, "hotline", (category, title), &units[unit % units.len()], &index)?;
        let steps: [(Action, &Caller, &str); 5] = [
            (Action::File, office, "群众举报，立案"),
            (Action::Dispatch, office, "派公安处置"),
            (Action::Accept, p.police, "民警已出警"),
            (Action::Handle, p.police, "已到现场制止并依法处理"),
            (Action::VerifyPass, office, "经核查已处置"),
        ];
        for (action, actor, note) in steps {
            clock.advance(Duration::minutes(12));
            let act = Act {
                note: Some(note.into()),
                department_id: (action == Action::Dispatch).then(|| dept("gongan")),
                outcome: (action == Action::Handle).then_some(Outcome { kind, persons, amount_yuan: fine }),
                ..Act::new(action)
            };
            clock.run(|| case::transition(conn, actor, &case_id, act, &Policy::default()))?;
        }
    }
    // patrols on 除夕 night in 孺子亭's grids
    let grids = cell::of_community(conn, &Caller::system(), p.cadre.scope_id.as_deref().unwrap_or_default())?.1;
    let walks: Vec<Patrol> = grids
        .iter()
        .take(6)
        .enumerate()
        .map(|(k, g)| {
            let started = (cst(2, 16, 19) + Duration::minutes(20 * k as i64)).and_utc().timestamp_millis();
            Patrol {
                id: format!("demo-chuxi-{k}"),
                user_id: walker.user_id.clone(),
                cell_id: g.id.to_string(),
                started_at: started,
                ended_at: Some(started + 90 * 60 * 1000),
                distance_m: 2400.0,
                track: String::new(),
                note: "除夕夜禁燃禁放巡查".into(),
                created_ms: 0,
                sync_ms: 0,
            }
        })
        .collect();
    patrol::record(conn, walker, walks)?;
    // the joint patrol plan they walked by: the grid worker and the police liaison, each of eight
    // grids once that evening (two were not reached)
    let plan = NewPlan {
        name: "除夕夜禁燃禁放联合巡防".into(),
        cells: grids.iter().take(8).map(|g| g.id.to_string()).collect(),
        members: vec![walker.user_id.to_string(), p.police.user_id.to_string()],
        starts_at: cst(2, 16, 18),
        ends_at: cst(2, 16, 23) + Duration::minutes(59),
        times_per_day: 1,
    };
    Clock::at(cst(2, 14, 10)).run(|| patrols::create_plan(conn, p.offices[0], plan))?;

    let clock = Clock::at(cst(3, 5, 10));
    clock.run(|| campaigns::act(conn, p.district, &id, "close", None))?;
    let review = "春节期间共受理燃放烟花爆竹举报7起，依法罚款3起、行政拘留1起、收缴非法烟花爆竹1起；多数社区实现零发案，百花洲街道1个社区入户宣传逾期完成，已通报。";
    clock.advance(Duration::days(2));
    clock.run(|| campaigns::act(conn, p.district, &id, "review", Some(review.into())))?;
    Ok(nights.len())
}

/// Each community's first admin (its cadre), as a caller.
fn community_admins(conn: &mut DbConn) -> StoreResult<std::collections::HashMap<String, Caller>> {
    let all = user::list(conn, &Caller::system(), Some(Role::CommunityAdmin), &Page::first(500))?.items;
    let mut by = std::collections::HashMap::new();
    for (u, _) in all {
        if let Some(scope) = u.scope_id.clone()
            && !by.contains_key(&scope)
        {
            let c = Caller::resolve(conn, &u.id, Role::CommunityAdmin, Some(&scope))?;
            by.insert(scope, c);
        }
    }
    Ok(by)
}
