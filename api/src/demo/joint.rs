//! The demo's joint handling (联动处置): a market street led by 城管 with 公安 and 市场监管
//! assisting — 市场监管's part reported, 公安's late; a night market's noise handled jointly and
//! closed; a part 消防 returned to the street; 公园街道's own enforcement team (综合执法队) with a
//! case dispatched to it and a field report of its own; a whistle blown on what was no case yet;
//! and 孺子亭社区 asking its street to blow the whistle.

use chrono::Duration;
use gridhub_store::cases::intake::{Draft, NewCase};
use gridhub_store::cases::parts;
use gridhub_store::cases::{self as case, Act, Action, Policy};
use gridhub_store::grid::{Layers, cell};
use gridhub_store::people::user::{self, NewUser};
use gridhub_store::regions::department;
use gridhub_store::supervision::whistle::{self, requests};
use gridhub_store::time::Clock;
use gridhub_store::{Caller, DbConn, Role, StoreResult};

use super::history;

pub(super) struct People<'a> {
    pub office: &'a Caller,
    pub worker: &'a Caller,
    pub cadre: &'a Caller,
    pub chengguan: &'a Caller,
    pub police: &'a Caller,
    pub district_id: &'a str,
    pub street_id: &'a str,
    pub departments: &'a std::collections::HashMap<String, String>,
    /// The password hash every demo account shares.
    pub hash: &'a str,
}

/// Writes the stories; returns how many cases they filed and the accounts they made.
pub(super) fn write(
    conn: &mut DbConn,
    p: &People,
    units: &[cell::Cell],
) -> StoreResult<(usize, Vec<(String, String)>)> {
    let index = Layers::build(gridhub_store::grid::version::active_cells(conn)?.1);
    let unit = |k: usize| &units[k % units.len()];
    let dept = |code: &str| p.departments[code].clone();
    // staff of the other assisting departments
    let shichang = staff(conn, p, "shichang.sun", "市场监管局 孙丽", &dept("shichang"))?;
    let xiaofang = staff(conn, p, "xiaofang.he", "消防救援大队 何军", &dept("xiaofang"))?;
    let act = |action: Action, note: &str| Act { note: Some(note.into()), ..Act::new(action) };
    let accept = || Act::new(Action::Accept);
    let place = Placing { p, index: &index };

    // 1. the market street: dispatched two days ago, 城管 leading, 公安 and 市场监管 assisting;
    //    市场监管 reported its part, 公安 has not even signed for it — marked late by the sweep
    let two_days_ago = Clock::at(gridhub_store::now() - Duration::days(2));
    let co = vec![dept("gongan"), dept("shichang")];
    let what = ("SJ0502", "农贸市场周边流动摊贩聚集");
    let market = place.dispatched(conn, &two_days_ago, what, unit(12), dept("chengguan"), co)?;
    two_days_ago.run(|| -> StoreResult<()> {
        take(conn, p.chengguan, &market, accept())?;
        take(conn, &shichang, &market, accept())?;
        take(conn, &shichang, &market, act(Action::Handle, "已核查周边12户商户证照，2户无照经营已责令停业"))
    })?;
    parts::sweep(conn, gridhub_store::now())?;

    // 2. the night market's noise: handled jointly last week and closed, every part on time
    let last_week = Clock::at(gridhub_store::now() - Duration::days(6));
    let what = ("SJ0502", "夜市摊点占道并噪音扰民");
    let night = place.dispatched(conn, &last_week, what, unit(27), dept("chengguan"), vec![dept("gongan")])?;
    last_week.run(|| -> StoreResult<()> {
        take(conn, p.chengguan, &night, accept())?;
        take(conn, p.police, &night, accept())?;
        take(conn, p.police, &night, act(Action::Handle, "22点后音响设备一律关闭，已登记摊主联系方式"))?;
        take(conn, p.chengguan, &night, act(Action::Handle, "摊点退入划定区域，占道已清理"))?;
        take(conn, p.worker, &night, Act::new(Action::VerifyPass))
    })?;

    // 3. a part 消防 returned: on the street's desk to dispatch again or waive
    let now = Clock::system();
    let what = ("ZL0302", "楼道堆放杂物堵塞通道");
    let stairs = place.dispatched(conn, &now, what, unit(31), dept("chengguan"), vec![dept("xiaofang")])?;
    let back = act(Action::Return, "楼道堆物由社区和物业清理，不属于消防执法范围；如涉及电动车充电请再派");
    take(conn, &xiaofang, &stairs, back)?;

    // 4. 公园街道's own enforcement team: the street dispatches to it without the district, and
    //    its staff file what they find in the street
    let new = department::NewDepartment {
        district_id: p.district_id,
        code: "gongyuan-zhifa",
        name: "公园街道综合执法队",
        kind: department::Kind::Government,
        phone: Some("0791-86100110"),
        street_id: Some(p.street_id),
    };
    let team = department::create(conn, p.office, new)?;
    let zhifa = staff(conn, p, "gongyuan.zhifa", "公园街道综合执法队 陈刚", &team.id)?;
    let lane = place.dispatched(conn, &now, ("SJ0503", "背街小巷废品乱堆乱放"), unit(40), team.id.clone(), vec![])?;
    take(conn, &zhifa, &lane, accept())?;
    history::file(conn, &now, &zhifa, "field_report", ("SJ0506", "沿街商铺门前违规设置广告牌"), unit(45), &index)?;

    // 5. a whistle blown on what was no case yet: the market's stalls are back at night
    let (lng, lat) = {
        use geo::InteriorPoint;
        let point = unit(14).shape().interior_point().expect("a cell has an interior");
        (point.x(), point.y())
    };
    let draft = Draft {
        category_code: Some("SJ0502".into()),
        title: Some("菜市场夜间占道经营回潮".into()),
        description: Some("夜间摊点重新占满机动车道，多次劝离无效".into()),
        lng: Some(lng),
        lat: Some(lat),
        ..Draft::default()
    };
    let report = draft.check(Default::default())?;
    let placement = index.place(report.lng, report.lat);
    let summons = whistle::NewWhistle {
        departments: vec![dept("chengguan"), dept("shichang")],
        report_in_within_minutes: 45,
        note: Some("夜间联合整治，请城管、市场监管到场".into()),
    };
    whistle::blow_new(conn, p.office, NewCase { report, placement, idempotency: None }, summons, &Policy::default())?;

    // 6. 孺子亭社区 asks its street to blow the whistle on a problem it cannot move alone
    let yard =
        history::file(conn, &now, p.worker, "field_report", ("SJ0101", "小区内违规搭建彩钢棚"), unit(52), &index)?;
    take(conn, p.office, &yard, Act::new(Action::File))?;
    let why = "业主拒不拆除，社区多次劝导无效，请街道吹哨召集城管、住建到场".to_owned();
    requests::request(conn, p.cadre, &yard, vec![dept("chengguan"), dept("zhujian")], why)?;
    let accounts = ["shichang.sun", "xiaofang.he", "gongyuan.zhifa"].map(|u| (u.to_owned(), "dept_staff".to_owned()));
    Ok((6, accounts.to_vec()))
}

/// Takes an action on a case as `who`.
fn take(conn: &mut DbConn, who: &Caller, id: &str, act: Act) -> StoreResult<()> {
    case::transition(conn, who, id, act, &Policy::default()).map(|_| ())
}

/// Where the stories' reports are placed: the grid index, and who files and dispatches.
struct Placing<'a> {
    p: &'a People<'a>,
    index: &'a Layers,
}

impl Placing<'_> {
    /// The grid worker's report at `unit`, filed by the street office and dispatched to `lead`
    /// with `co` assisting, all at `clock`'s time; its id.
    fn dispatched(
        &self,
        conn: &mut DbConn,
        clock: &Clock,
        what: (&str, &str),
        unit: &cell::Cell,
        lead: String,
        co: Vec<String>,
    ) -> StoreResult<String> {
        let id = history::file(conn, clock, self.p.worker, "field_report", what, unit, self.index)?;
        let dispatch = Act { department_id: Some(lead), co_departments: co, ..Act::new(Action::Dispatch) };
        clock.run(|| -> StoreResult<()> {
            take(conn, self.p.office, &id, Act::new(Action::File))?;
            take(conn, self.p.office, &id, dispatch)
        })?;
        Ok(id)
    }
}

/// A department's staff account with the demo's password.
fn staff(conn: &mut DbConn, p: &People, username: &str, name: &str, department: &str) -> StoreResult<Caller> {
    let new = NewUser {
        username: username.into(),
        password_hash: Some(p.hash.to_owned()),
        display_name: name.into(),
        phone: None,
        role: Role::DeptStaff,
        scope_id: Some(department.to_owned()),
    };
    let u = user::create(conn, &Caller::system(), new)?;
    Caller::resolve(conn, &u.id, Role::DeptStaff, Some(department))
}
