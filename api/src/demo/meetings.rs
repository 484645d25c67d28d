//! The demo's consultation day (基层会商日): 东湖区's rotation (公园街道 last month, 百花洲街道
//! next month, 公园街道 again the month after), and last month's meeting in 公园街道 — six
//! items raised by the street and 孺子亭社区 (one proposed by gridhub from a stuck case, one
//! declined), four decisions with their milestones owned by 住建局, 城管局, 公安分局 and
//! 消防大队, one item carried to the street's next turn; run on the store's clock set back to
//! last month, so that some milestones are done and verified, some under way, one late. The
//! district adds a class of its own (安全隐患).

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use gridhub_store::meetings::agenda::{self, NewItem};
use gridhub_store::meetings::decisions::{self, NewDecision, NewMilestone};
use gridhub_store::meetings::{self, NewTurn};
use gridhub_store::people::user;
use gridhub_store::tasks::{self, Unit};
use gridhub_store::time::{Clock, from_local, now};
use gridhub_store::{Caller, DbConn, Page, Role, StoreResult};

pub struct People<'a> {
    pub district: &'a Caller,
    pub office: &'a Caller,
    pub cadre: &'a Caller,
    pub chengguan: &'a Caller,
    pub police: &'a Caller,
    pub district_id: &'a str,
    pub streets: [&'a str; 2],
    pub community_id: &'a str,
    pub departments: &'a std::collections::HashMap<String, String>,
}

/// 09:00 China time on `day` of the month `months` from this one (negative: before).
fn day_of_month(months: i32, day: u32, hour: u32) -> NaiveDateTime {
    let today = gridhub_store::time::local_date(now());
    let first = NaiveDate::from_ymd_opt(today.year(), today.month(), 1).expect("a first of the month");
    let month = if months < 0 {
        first - chrono::Months::new(months.unsigned_abs())
    } else {
        first + chrono::Months::new(months as u32)
    };
    from_local(month.with_day(day).and_then(|d| d.and_hms_opt(hour, 0, 0)).expect("a day of the month"))
}

/// The staff member of a department the campaign's demo made (`zhujian.duty`, …).
fn staff(conn: &mut DbConn, username: &str, department: &str) -> StoreResult<Caller> {
    let all = user::list(conn, &Caller::system(), Some(Role::DeptStaff), &Page::first(500))?.items;
    let u = all.into_iter().map(|(u, _)| u).find(|u| u.username == username).expect("the campaign's demo made them");
    Caller::resolve(conn, &u.id, Role::DeptStaff, Some(department))
}

/// Writes the rotation, last month's consultation day and what came of it.
pub fn write(conn: &mut DbConn, p: &People) -> StoreResult<()> {
    let dept = |code: &str| p.departments[code].clone();
    let zhujian = staff(conn, "zhujian.duty", &dept("zhujian"))?;
    let xiaofang = staff(conn, "xiaofang.duty", &dept("xiaofang"))?;
    let month = |k: i32| gridhub_store::time::local_date(day_of_month(k, 1, 9)).format("%Y-%m").to_string();

    // a week before last month's meeting: the rotation, and the items
    let clock = Clock::at(day_of_month(-1, 8, 10));
    clock.run(|| agenda::add_class(conn, p.district, "safety", "安全隐患"))?;
    let turns = vec![
        NewTurn {
            month: month(-1),
            street_id: p.streets[0].into(),
            starts_at: Some(day_of_month(-1, 15, 9)),
            place: Some("公园街道党群服务中心三楼会议室".into()),
            host: Some("东湖区委副书记 刘建国".into()),
        },
        NewTurn { month: month(1), street_id: p.streets[1].into(), starts_at: None, place: None, host: None },
        NewTurn { month: month(2), street_id: p.streets[0].into(), starts_at: None, place: None, host: None },
    ];
    let rotation = clock.run(|| meetings::set_rotation(conn, p.district, p.district_id, turns))?;
    let (day, next) =
        (rotation[0].meeting_id.clone().unwrap_or_default(), rotation[2].meeting_id.clone().unwrap_or_default());
    let street = (Unit::Street, p.streets[0].to_owned());
    let community = (Unit::Community, p.community_id.to_owned());
    let raise = |title: &str,
                 description: &str,
                 class: &str,
                 by: &(Unit, String),
                 needs: &[&str],
                 lead: &str,
                 because: Option<&str>| {
        NewItem {
            title: title.into(),
            description: description.into(),
            class: class.into(),
            raised_by: by.clone(),
            needs: needs.iter().map(|n| (*n).to_owned()).collect(),
            case_ids: vec![],
            whistle_ids: vec![],
            proposed_lead_department_id: Some(dept(lead)),
            proposed_because: because.map(Into::into),
        }
    };
    let items = [
        (
            p.cadre,
            raise(
                "老旧小区加装电梯审批难",
                "孺子亭社区12栋居民联名申请加装电梯，规划公示和消防审查迟迟未能推进",
                "construction",
                &community,
                &["approval", "funding"],
                "zhujian",
                None,
            ),
        ),
        (
            p.office,
            raise(
                "公园路背街小巷路灯缺失",
                "公园路三条背街小巷共缺路灯17盏，夜间居民出行不便，多次反映",
                "public_facilities",
                &street,
                &["funding"],
                "chengguan",
                None,
            ),
        ),
        (
            p.office,
            raise(
                "菜市场周边占道经营反复回潮",
                "孺子亭菜市场周边早晚高峰占道经营，整治后反复回潮",
                "environment",
                &street,
                &["enforcement", "coordination"],
                "chengguan",
                None,
            ),
        ),
        (
            p.office,
            raise(
                "沿江路违章搭建阳光房",
                "沿江路两处违章搭建阳光房，涉及多个产权单位",
                "wuwei_sibi",
                &street,
                &["enforcement", "planning"],
                "chengguan",
                Some("超过办理时限8个工作日仍未办结"),
            ),
        ),
        (
            p.cadre,
            raise(
                "群租房消防安全隐患",
                "孺子亭社区3处群租房存在电动车室内充电、逃生通道堵塞",
                "safety",
                &community,
                &["enforcement"],
                "xiaofang",
                None,
            ),
        ),
        (p.cadre, raise("楼道堆物屡清屡堆", "部分楼栋楼道堆放杂物", "environment", &community, &[], "chengguan", None)),
    ];
    let mut ids = Vec::new();
    for (who, item) in items {
        ids.push(clock.run(|| agenda::raise(conn, who, item))?.view.item.id);
    }
    clock.advance(Duration::days(2));
    for id in &ids {
        clock.run(|| agenda::act(conn, p.office, id, "screen", None, None))?;
    }
    clock
        .run(|| agenda::act(conn, p.office, &ids[5], "decline", Some("社区自行组织清理，纳入日常巡查".into()), None))?;
    clock.run(|| meetings::set_agenda(conn, p.district, &day, &ids[..5]))?;

    // the meeting: four decisions, one item carried
    let clock = Clock::at(day_of_month(-1, 15, 9));
    clock.run(|| meetings::act(conn, p.district, &day, "hold", None))?;
    let at = |days: i64| day_of_month(-1, 15, 18) + Duration::days(days);
    let m = |title: &str, owner: &str, co: &[&str], due: i64, deliverable: &str| NewMilestone {
        title: title.into(),
        owner_department_id: dept(owner),
        co_department_ids: co.iter().map(|c| dept(c)).collect(),
        due_at: at(due),
        deliverable: deliverable.into(),
    };
    let plans = [
        (
            0,
            "开辟加装电梯审批绿色通道，区财政按每台15万元补贴",
            vec![
                m("消防审查", "xiaofang", &[], 10, "消防审查意见书"),
                m("规划公示与审批", "zhujian", &["chengguan"], 70, "规划许可"),
                m("开工建设", "zhujian", &[], 100, "施工许可与进度报告"),
            ],
        ),
        (
            1,
            "区城管局统筹资金，补装路灯17盏",
            vec![m("路灯点位勘察", "chengguan", &[], 5, "点位清单"), m("路灯安装验收", "chengguan", &[], 20, "验收单")],
        ),
        (
            2,
            "划定临时疏导点，公安、城管联合整治",
            vec![
                m("疏导点设置", "chengguan", &["shichang"], 7, "疏导点方案"),
                m("联合整治", "gongan", &["chengguan"], 60, "整治记录"),
            ],
        ),
        (
            4,
            "消防大队牵头开展群租房专项检查",
            vec![m("群租房专项检查", "xiaofang", &["gongan"], 60, "检查台账与整改通知书")],
        ),
    ];
    let mut milestones = Vec::new();
    for (k, summary, ms) in plans {
        let new = NewDecision { agenda_item_id: ids[k].clone(), summary: summary.into(), milestones: ms };
        let d = clock.run(|| decisions::decide(conn, p.district, &day, new))?;
        milestones.extend(d.milestones.into_iter().map(|r| (r.task_id, r.owner_department_id)));
    }
    clock.run(|| {
        agenda::act(
            conn,
            p.office,
            &ids[3],
            "carry",
            Some("涉及多个产权单位，待区规划部门摸清底数后下月再议".into()),
            None,
        )
    })?;

    // the weeks after: the departments take their milestones on; what is done is verified
    let by = |owner: &str| -> &Caller {
        if owner == dept("chengguan") {
            p.chengguan
        } else if owner == dept("gongan") {
            p.police
        } else if owner == dept("zhujian") {
            &zhujian
        } else {
            &xiaofang
        }
    };
    clock.advance(Duration::days(1));
    for (task, owner) in &milestones {
        clock.run(|| tasks::act(conn, by(owner), task, "accept", None, None))?;
    }
    // 路灯 done in time and verified: that item is resolved; 疏导点 too
    for k in [3, 4, 5] {
        let (task, owner) = &milestones[k];
        clock.advance(Duration::days(2));
        clock.run(|| tasks::act(conn, by(owner), task, "submit", None, None))?;
        clock.run(|| tasks::act(conn, p.district, task, "verify", None, None))?;
    }
    // 消防审查 of the elevators runs late (the sweep marks it); the rest are under way
    let review = Some("已完成现场查看，待出具审查意见".into());
    let progress = tasks::Progress { quantity: 0, note: review, attachments: vec![], made: None };
    clock.run(|| tasks::progress(conn, &xiaofang, &milestones[0].0, progress))?;
    clock.run(|| {
        meetings::act(
            conn,
            p.district,
            &day,
            "publish_minutes",
            Some("5项议题形成4项决定，1项持续推进，1项由社区自行解决".into()),
        )
    })?;
    // 公园街道's next turn: the carried item is on its agenda again
    meetings::set_agenda(conn, p.district, &next, &[])?;
    Ok(())
}
