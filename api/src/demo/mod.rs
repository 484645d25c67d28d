//! The demo data set: 东湖区 (Donghu District, Nanchang, county code 360102) with two streets,
//! six communities whose boundaries lie where those neighbourhoods are (WGS-84, drawn by hand
//! to share edges), each divided into unit grids of a hectare (单元网格) with their households,
//! grouped into governance grids (网格) of about 350 households, each staffed; the district's
//! departments and the utilities and property manager that answer for their own things, a
//! street's own enforcement team, one account of every role, and cases at every stage of the
//! closed loop, jointly handled too (`joint`).

use gridhub_geo::DivisionCode;
use gridhub_geo::grid::Tiling;
use gridhub_store::assignments::{self, Change, Duty, Rules};
use gridhub_store::cases::routing;
use gridhub_store::grid::cell;
use gridhub_store::grid::generate::{self, GenerateOptions};
use gridhub_store::grid::governance::{self, ByHouseholds};
use gridhub_store::grid::{Layer, Layers};
use gridhub_store::input::Geometry;
use gridhub_store::people::user::{self, NewUser};
use gridhub_store::regions::{community, department, district, street};
use gridhub_store::supervision::whistle;
use gridhub_store::{Caller, DbConn, Role, StoreResult, UserId};
use serde_json::json;

use crate::auth::hash_password;

mod campaign;
mod history;
mod joint;
mod meetings;
mod tasks;

/// The password of every demo account.
pub const PASSWORD: &str = "gridhub-demo";

type Ring = &'static [[f64; 2]];
/// username, display name, role, scope, phone
type Account<'a> = (&'a str, &'a str, Role, Option<&'a str>, Option<&'a str>);

struct DemoStreet {
    code: &'static str,
    name: &'static str,
    outline: Ring,
    communities: &'static [(&'static str, &'static str, Ring)],
}

const STREETS: &[DemoStreet] = &[
    DemoStreet {
        code: "360102001",
        name: "公园街道",
        outline: &[[115.890, 28.676], [115.905, 28.676], [115.905, 28.686], [115.890, 28.686], [115.890, 28.676]],
        communities: &[
            (
                "360102001001",
                "孺子亭社区",
                &[
                    [115.890, 28.676],
                    [115.8965, 28.676],
                    [115.8968, 28.6812],
                    [115.8962, 28.686],
                    [115.890, 28.686],
                    [115.890, 28.676],
                ],
            ),
            (
                "360102001002",
                "公园社区",
                &[[115.8965, 28.676], [115.905, 28.676], [115.905, 28.6812], [115.8968, 28.6812], [115.8965, 28.676]],
            ),
            (
                "360102001003",
                "铁街社区",
                &[[115.8968, 28.6812], [115.905, 28.6812], [115.905, 28.686], [115.8962, 28.686], [115.8968, 28.6812]],
            ),
        ],
    },
    DemoStreet {
        code: "360102004",
        name: "百花洲街道",
        outline: &[[115.905, 28.676], [115.918, 28.676], [115.918, 28.690], [115.905, 28.690], [115.905, 28.676]],
        communities: &[
            (
                "360102004001",
                "百花洲社区",
                &[[115.905, 28.676], [115.912, 28.676], [115.9125, 28.683], [115.905, 28.683], [115.905, 28.676]],
            ),
            (
                "360102004002",
                "东书院社区",
                &[
                    [115.912, 28.676],
                    [115.918, 28.676],
                    [115.918, 28.690],
                    [115.9105, 28.690],
                    [115.9125, 28.683],
                    [115.912, 28.676],
                ],
            ),
            (
                "360102004003",
                "墩子塘社区",
                &[[115.905, 28.683], [115.9125, 28.683], [115.9105, 28.690], [115.905, 28.690], [115.905, 28.683]],
            ),
        ],
    },
];

/// Who answers for cases in the district, by the codes the category catalogue names: the
/// district's bureaus, the utilities that own what lies in the street, a property manager.
const DEPARTMENTS: &[(&str, &str, department::Kind)] = &[
    ("chengguan", "东湖区城市管理局", department::Kind::Government),
    ("gongan", "南昌市公安局东湖分局", department::Kind::Government),
    ("xiaofang", "东湖区消防救援大队", department::Kind::Government),
    ("shichang", "东湖区市场监督管理局", department::Kind::Government),
    ("zhujian", "东湖区住房和城乡建设局", department::Kind::Government),
    ("huanbao", "南昌市生态环境局东湖分局", department::Kind::Government),
    ("minzheng", "东湖区民政局", department::Kind::Government),
    ("sifa", "东湖区司法局", department::Kind::Government),
    ("renshe", "东湖区人力资源和社会保障局", department::Kind::Government),
    ("weijian", "东湖区卫生健康委员会", department::Kind::Government),
    ("tiyu", "东湖区教育体育局", department::Kind::Government),
    ("shuiwu", "东湖区水务局", department::Kind::Government),
    ("jiaotong", "东湖区交通运输局", department::Kind::Government),
    ("yuanlin", "东湖区园林绿化局", department::Kind::Government),
    ("canlian", "东湖区残疾人联合会", department::Kind::Other),
    ("gongdian", "国网南昌供电公司东湖供电中心", department::Kind::Utility),
    ("tongxin", "中国电信南昌分公司东湖营业部", department::Kind::Utility),
    ("wuye", "南昌洪城物业服务有限公司", department::Kind::PropertyManagement),
];

fn polygon(ring: Ring) -> Geometry {
    let geojson = json!({"type": "Polygon", "coordinates": [ring]});
    Geometry { geojson, crs: gridhub_geo::Crs::Wgs84, limits: gridhub_geo::Limits::default() }
}

fn code<const N: usize>(s: &str) -> DivisionCode<N> {
    DivisionCode::parse(s).expect("demo codes are valid")
}

const SURNAMES: [&str; 16] =
    ["王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "胡", "朱", "高", "林"];
const GIVEN: [&str; 16] =
    ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明"];

/// Names people to the governance grids of one community, as a street office staffs them: a
/// community cadre leads every three grids (网格长), each grid has its full-time worker, every
/// other grid a part-time one, two building stewards (楼栋长), volunteers and party members,
/// and the police liaison (网格警长) serves them all — thoroughly, or with the gaps a real street
/// has.
fn staff(
    conn: &mut DbConn,
    community_id: &str,
    grids: &[cell::Cell],
    thorough: bool,
    accounts: &[UserId],
    police: &str,
    n: usize,
) -> StoreResult<()> {
    let system = Caller::system();
    let mut person = |role: Role, duty: &str, k: usize| -> StoreResult<UserId> {
        let name = format!("{}{}{}", SURNAMES[(n * 7 + k) % 16], GIVEN[(n * 3 + k * 5) % 16], GIVEN[(k * 11 + n) % 16]);
        let new = NewUser {
            username: format!("demo.{n}.{duty}.{k}"),
            password_hash: None,
            display_name: name,
            phone: Some(format!("139{:04}{:04}", 7910 + n, 1000 + k)),
            role,
            scope_id: Some(community_id.to_owned()),
        };
        Ok(user::create(conn, &system, new)?.id)
    };
    let mut changes = Vec::new();
    let assign = |cell: &cell::Cell, user_id: &str, duty: Duty, building: Option<String>| Change::Assign {
        cell_id: cell.id.clone(),
        user_id: user_id.into(),
        duty,
        building,
        starts_at: None,
        note: None,
    };
    // even a thorough street has a vacancy or two: a newly drawn grid whose leader is not yet
    // named, a worker who left; a street with gaps lacks more
    let led = if thorough && n != 2 { grids.len() } else { grids.len().saturating_sub(1) };
    let vacant = |k: usize| if thorough { n == 1 && k + 1 == grids.len() } else { k % 4 == 3 };
    for (k, run) in grids[..led].chunks(3).enumerate() {
        let leader = person(Role::CommunityAdmin, "leader", k)?;
        changes.extend(run.iter().map(|c| assign(c, &leader, Duty::GridLeader, None)));
    }
    for (k, grid) in grids.iter().enumerate() {
        if !vacant(k) {
            // the demo's own grid worker (worker.li) holds the first two grids of 孺子亭社区
            let worker = if n == 0 && k < 2 { accounts[4].clone() } else { person(Role::GridWorker, "worker", k)? };
            changes.push(assign(grid, &worker, Duty::FullTimeWorker, None));
        }
        if k % 2 == 1 {
            changes.push(assign(grid, &person(Role::GridWorker, "parttime", k)?, Duty::PartTimeWorker, None));
        }
        if thorough {
            changes.push(assign(grid, police, Duty::PoliceLiaison, None));
        }
        for b in 0..2 {
            let steward = person(Role::Volunteer, "steward", k * 2 + b)?;
            let building = format!("{}栋", k * 4 + b * 2 + 1);
            changes.push(assign(grid, &steward, Duty::BuildingSteward, Some(building)));
        }
        let volunteer = if n == 1 && k == 0 { accounts[5].clone() } else { person(Role::Volunteer, "volunteer", k)? };
        changes.push(assign(grid, &volunteer, Duty::Volunteer, None));
        if k % 3 == 0 {
            changes.push(assign(grid, &person(Role::Volunteer, "party", k)?, Duty::PartyMember, None));
        }
    }
    assignments::apply(conn, &system, &Rules::default(), changes, None)?;
    Ok(())
}

/// How many households a unit grid of the demo holds: 20 to 80 in the old town's lanes and
/// estates, none in a park or on a lake shore (every eleventh).
fn households(community: usize, k: usize) -> i32 {
    if (k + community) % 11 == 5 { 0 } else { 20 + ((k * 37 + community * 13) % 61) as i32 }
}

struct CasePeople {
    office: Caller,
    worker: Caller,
    district: Caller,
    chengguan: Caller,
    resident: Caller,
    departments: std::collections::HashMap<String, String>,
}

/// (category, title, reporter is the resident, the actions it has been through)
type DemoCase = (&'static str, &'static str, bool, &'static [&'static str]);

/// Cases in 孺子亭社区 at every stage of the closed loop, so that every screen has something to
/// show: reported, filed, dispatched, accepted, handled, closed (and evaluated), suspended (缓办),
/// rejected, shelved (挂账), answered without dispatch, replied to.
const CASES: &[DemoCase] = &[
    ("SJ0502", "阳明路店外经营占道", false, &[]),
    ("SJ0102", "孺子亭公园东门暴露垃圾", false, &["file"]),
    ("BJ0101", "上水井盖缺失", false, &["file", "dispatch"]),
    ("SJ0504", "机动车占用人行道停放", false, &["file", "dispatch", "accept"]),
    ("ZL0302", "楼道内电动车充电", false, &["file", "dispatch", "accept", "handle"]),
    ("SJ0201", "电线杆小广告", false, &["file", "dispatch", "accept", "handle", "verify_pass"]),
    ("ZL0505", "楼道灯不亮，请求维修", true, &["file", "dispatch", "accept", "handle", "verify_pass", "evaluate"]),
    ("SJ0108", "绿化带焚烧树叶", false, &["file", "suspend"]),
    ("SJ0505", "共享单车堆放", false, &["reject"]),
    ("SJ0101", "老城区院内历史违建，产权不清", false, &["file", "shelve"]),
    // a resident's consultation the street answers itself (答复办结, 就地解决), and a complaint
    // with the department's reply to the resident beside the office's own remark
    ("ZL0502", "咨询社区老年助餐点怎么报名", true, &["answer"]),
    ("ZL0503", "楼下烧烤店油烟扰民", true, &["file", "remark", "dispatch", "accept", "reply"]),
    // 随手办: the grid worker clears it on the spot and closes it from the report, photos before and after
    ("SJ0104", "巷口路面油污", false, &["self_handle"]),
    // levels of command: handed down to the community, and escalated to the district
    ("SJ0503", "小区门口占道废品收购", false, &["file", "delegate"]),
    ("BJ0205", "阳明路人行道大面积破损", false, &["file", "escalate"]),
    // a whistle that went the whole way: reported in, solved, closed and rated
    ("SJ0304", "燃气管道施工长期占道", false, &["file"]),
];

/// Files the demo cases at points of 孺子亭社区's unit grids (`units`).
fn cases(conn: &mut DbConn, people: &CasePeople, units: &[cell::Cell]) -> StoreResult<()> {
    use geo::InteriorPoint;
    use gridhub_store::cases::intake::{self, Draft, NewCase};
    use gridhub_store::cases::{self as case, Act, Action, Policy};
    // reports are placed as the server places them: by the grid index
    let index = Layers::build(gridhub_store::grid::version::active_cells(conn)?.1);
    let cells = units;
    for (k, (category, title, by_resident, actions)) in CASES.iter().enumerate() {
        // a few cells with several open cases, as a street with a trouble spot has
        let c = &cells[[3, 9, 20, 20, 20, 33, 20, 58, 66][k % 9] % cells.len()];
        let point = c.shape().interior_point().expect("a cell has an interior");
        let reporter = if *by_resident { &people.resident } else { &people.worker };
        let draft = Draft {
            source: Some(if *by_resident { "resident_request" } else { "field_report" }.into()),
            category_code: Some((*category).into()),
            title: Some((*title).into()),
            description: Some(format!("{title}，请尽快处理。")),
            lng: Some(point.x()),
            lat: Some(point.y()),
            address: Some(format!("孺子亭社区 {}", c.name)),
            attachments: vec![format!("demo-photo-{k}.jpg")],
            ..Draft::default()
        };
        let report = draft.check(Default::default())?;
        let placement = index.place(report.lng, report.lat);
        let new = NewCase { report, placement, idempotency: None };
        let id = intake::create(conn, reporter, &new, &Policy::default())?.case.case.id;
        for name in *actions {
            let action = Action::parse(name).expect("demo actions are in the table");
            let actor = match action {
                Action::Accept | Action::Handle | Action::Reply => &people.chengguan,
                Action::VerifyPass | Action::SelfHandle => &people.worker,
                Action::Evaluate => &people.resident,
                Action::Shelve => &people.district,
                _ => &people.office,
            };
            let act = Act {
                note: Some(match action {
                    Action::Handle => "已到现场处置完毕".into(),
                    Action::Reject => "已由他人上报，重复".into(),
                    Action::Suspend => "需协调产权单位，暂时缓办".into(),
                    Action::Answer => "社区老年助餐点在社区服务中心一楼，每天11点开餐，带身份证到服务台登记即可".into(),
                    Action::Remark => "该居民本月第三次反映，回复时注意沟通方式".into(),
                    Action::SelfHandle => "现场用洗涤剂清洗油污，路面已恢复整洁".into(),
                    Action::Delegate => "由社区组织劝导，限期清理".into(),
                    Action::Escalate => "需结合道路改造统筹资金，提请区级指挥".into(),
                    Action::Reply => "已联系店主整改，本周内加装油烟净化设备，我们会再去复查".into(),
                    Action::Shelve => {
                        "违建形成于九十年代，产权人已故、继承未定，需结合老旧小区改造统筹解决，列入挂账".into()
                    }
                    _ => "同意".into(),
                }),
                // the demo's department staff account is 城管's: its cases go there
                department_id: people.departments.get("chengguan").cloned(),
                satisfaction: Some(5),
                to: (action == Action::Delegate).then_some(gridhub_store::cases::Level::Community),
                attachments: if action == Action::SelfHandle {
                    vec![format!("demo-before-{k}.jpg"), format!("demo-after-{k}.jpg")]
                } else {
                    vec![]
                },
                ..Act::new(action)
            };
            case::transition(conn, actor, &id, act, &Policy::default())?;
        }
        // the stubborn street stall: the office summons three departments at once (吹哨报到)
        if *category == "SJ0504" {
            let departments = ["chengguan", "gongan", "shichang"].map(|c| people.departments[c].clone()).to_vec();
            let new = whistle::NewWhistle {
                departments,
                report_in_within_minutes: 60,
                note: Some("占道停车屡禁不止，请城管、交警、市场监管联合到场".into()),
            };
            let w = whistle::blow(conn, &people.office, &id, new)?.whistle.id;
            // and plans each department's part: the whistle stays open until the street is clear
            let due = gridhub_store::time::now() + chrono::Duration::days(3);
            let part = |code: &str, task: &str| whistle::PlanItem {
                department_id: people.departments[code].clone(),
                task: task.into(),
                due_at: due,
            };
            let items = vec![
                part("chengguan", "清理占道经营摊点，设置隔离设施"),
                part("gongan", "查处违停车辆，早晚高峰疏导"),
                part("shichang", "核查周边商户证照"),
            ];
            whistle::plan(conn, &people.office, &w, items)?;
        }
        if *category == "SJ0304" {
            solved_whistle(conn, people, &id, (point.x(), point.y()))?;
        }
    }
    Ok(())
}

/// A whistle on the long road works: 城管 and 公安 summoned, 城管 on site at once, 公安 never;
/// the street closes it when the road is clear and rates them.
fn solved_whistle(conn: &mut DbConn, people: &CasePeople, case_id: &str, (lng, lat): (f64, f64)) -> StoreResult<()> {
    let departments = ["chengguan", "gongan"].map(|c| people.departments[c].clone()).to_vec();
    let new = whistle::NewWhistle {
        departments,
        report_in_within_minutes: 30,
        note: Some("施工围挡超期占道，请城管、交警到场".into()),
    };
    let w = whistle::blow(conn, &people.office, case_id, new)?.whistle.id;
    let here = whistle::ReportIn {
        department_id: people.departments["chengguan"].clone(),
        lng,
        lat,
        note: Some("已到场，责令施工单位收窄围挡".into()),
        attachments: vec![],
    };
    whistle::report_in(conn, &people.chengguan, &w, here, 200.0)?;
    whistle::close(conn, &people.office, &w, "围挡已收窄，恢复双向通行".into())?;
    whistle::rate(conn, &people.office, &w, &people.departments["chengguan"], 5, Some("到场迅速".into()))?;
    whistle::rate(conn, &people.office, &w, &people.departments["gongan"], 2, Some("未到场报到".into()))?;
    Ok(())
}

/// 孺子亭社区 and its residents: 陈静 verified (3栋), 赵磊 waiting for the community to verify
/// him; a notice of a water cut (read by 陈静) and an open consultation on the east gate's hours.
fn community_life(conn: &mut DbConn, cadre: &Caller, chen: &Caller, zhao: &Caller, community: &str) -> StoreResult<()> {
    use gridhub_store::residents::notices::{self, NewNotice};
    use gridhub_store::residents::polls::{self, NewPoll};
    use gridhub_store::residents::residence::{self, NewResidence};
    let home = |building: &str, room: &str| NewResidence {
        community_id: community.to_owned(),
        building: Some(building.into()),
        room: Some(room.into()),
    };
    let chen_home = residence::declare(conn, chen, home("3栋", "502"))?;
    residence::decide(conn, cadre, &chen_home.id, true, None)?;
    residence::declare(conn, zhao, home("5栋", "1201"))?;
    let notice = notices::publish(
        conn,
        cadre,
        NewNotice {
            community_id: community.to_owned(),
            building: None,
            title: "停水通知".into(),
            body: "因市政管网检修，本周六 9:00-17:00 小区停水，请各位居民提前储水。给您带来不便，敬请谅解。".into(),
            attachments: Vec::new(),
        },
    )?;
    notices::mark_read(conn, chen, &notice.notice.id)?;
    let poll = polls::open(
        conn,
        cadre,
        NewPoll {
            community_id: community.to_owned(),
            question: "小区东门夜间关闭时间是否由22:00调整为23:00？".into(),
            options: vec!["同意调整".into(), "维持22:00".into(), "无所谓".into()],
            opens_at: None,
            closes_at: Some(gridhub_store::time::now() + chrono::Duration::days(7)),
        },
    )?;
    polls::vote(conn, chen, &poll.poll.id, 0)?;
    Ok(())
}

/// What the demo data set holds, to tell the person who loaded it.
pub struct Demo {
    /// (username, role) of every demo account.
    pub accounts: Vec<(String, String)>,
    pub communities: usize,
    /// Governance grids (网格) and the unit grids (单元网格) they are made of.
    pub grids: usize,
    pub units: usize,
    pub departments: usize,
    pub cases: usize,
    pub tasks: usize,
}

/// Loads the demo data into an empty database in one transaction; `None` when the database
/// already holds data.
pub fn load(conn: &mut DbConn) -> StoreResult<Option<Demo>> {
    gridhub_store::write(conn, |conn| {
        if user::count(conn)? > 0
            || !district::list(conn, &Caller::system(), &gridhub_store::Page::first(1))?.items.is_empty()
        {
            return Ok(None);
        }
        let system = Caller::system();
        let d = district::create(conn, &system, district::NewDistrict { code: code("360102"), name: "东湖区".into() })?;
        let mut streets = Vec::new();
        let mut communities = Vec::new();
        for s in STREETS {
            let new = street::NewStreet {
                district_id: d.id.clone(),
                code: code(s.code),
                name: s.name.into(),
                boundary: Some(polygon(s.outline)),
            };
            let row = street::create(conn, &system, new)?;
            for (c_code, c_name, ring) in s.communities {
                let new = community::NewCommunity {
                    street_id: row.id.clone(),
                    code: code(c_code),
                    name: (*c_name).into(),
                    boundary: polygon(ring),
                };
                communities.push(community::create(conn, &system, new)?);
            }
            streets.push(row);
        }
        let options = GenerateOptions {
            layer: Layer::Unit,
            tiling: Tiling::Square,
            target_area_m2: 10_000.0,
            merge_below: 0.2,
            dry_run: false,
            replace: false,
        };
        let (mut units, mut grids) = (0, 0);
        let by_households = ByHouseholds { target_households: 350, dry_run: false, replace: false };
        for (n, c) in communities.iter().enumerate() {
            for (k, made) in generate::generate(conn, &system, &c.id, &options)?.iter().enumerate() {
                let patch = cell::CellPatch { households: Some(Some(households(n, k))), ..Default::default() };
                cell::update(conn, &system, &made.id, patch, None)?;
                units += 1;
            }
            grids += governance::generate(conn, &system, &c.id, &by_households)?.len();
        }
        let mut departments = Vec::new();
        for (dept_code, name, kind) in DEPARTMENTS {
            let new = department::NewDepartment {
                district_id: &d.id,
                code: dept_code,
                name,
                kind: *kind,
                phone: None,
                street_id: None,
            };
            departments.push(department::create(conn, &system, new)?);
        }
        let hash = hash_password(PASSWORD);
        let accounts: [Account; 10] = [
            ("admin", "系统管理员", Role::SystemAdmin, None, None),
            ("donghu.admin", "东湖区网格中心 刘洋", Role::DistrictAdmin, Some(&d.id), Some("13907910001")),
            ("gongyuan.office", "公园街道办 王芳", Role::StreetAdmin, Some(&streets[0].id), Some("13907910002")),
            ("ruziting.admin", "孺子亭社区 赵敏", Role::CommunityAdmin, Some(&communities[0].id), Some("13907910003")),
            ("worker.li", "李强 (专职网格员)", Role::GridWorker, Some(&communities[0].id), Some("13807910004")),
            ("volunteer.wang", "王秀英 (志愿者)", Role::Volunteer, Some(&communities[1].id), Some("13807910005")),
            ("chengguan.zhang", "城管局 张伟", Role::DeptStaff, Some(&departments[0].id), Some("13907910006")),
            ("resident.chen", "陈静", Role::Resident, None, Some("13607910007")),
            ("baihuazhou.office", "百花洲街道办 周涛", Role::StreetAdmin, Some(&streets[1].id), Some("13907910008")),
            ("resident.zhao", "赵磊", Role::Resident, None, Some("13607910009")),
        ];
        let mut made = Vec::new();
        let mut ids = Vec::new();
        for (username, display_name, role, scope, phone) in accounts {
            let new = NewUser {
                username: username.into(),
                password_hash: Some(hash.clone()),
                display_name: display_name.into(),
                phone: phone.map(Into::into),
                role,
                scope_id: scope.map(Into::into),
            };
            let u = user::create(conn, &system, new)?;
            made.push((username.to_owned(), role.as_str().to_owned()));
            ids.push(u.id);
        }
        let police = user::create(
            conn,
            &system,
            NewUser {
                username: "gongan.liu".into(),
                password_hash: Some(hash.clone()),
                display_name: "刘警官 (网格警长)".into(),
                phone: None,
                role: Role::DeptStaff,
                scope_id: Some(departments[1].id.clone()),
            },
        )?;
        made.push(("gongan.liu".to_owned(), Role::DeptStaff.as_str().to_owned()));
        for (n, c) in communities.iter().enumerate() {
            // 公园街道 (the first three) is well staffed; 百花洲街道 has gaps, as streets do
            let thorough = n < 3;
            let cells = cell::of_community(conn, &system, &c.id)?.1;
            staff(conn, &c.id, &cells, thorough, &ids, &police.id, n)?;
        }
        let rule = routing::NewRule {
            category_code: "SJ05".into(),
            street_id: Some(streets[0].id.clone()),
            department_id: departments[0].id.clone(),
            priority: 10,
        };
        routing::create(conn, &system, rule)?;
        let mut as_user = |k: usize, role: Role, scope: Option<&str>| Caller::resolve(conn, &ids[k], role, scope);
        let people = CasePeople {
            office: as_user(2, Role::StreetAdmin, Some(&streets[0].id))?,
            worker: as_user(4, Role::GridWorker, Some(&communities[0].id))?,
            district: as_user(1, Role::DistrictAdmin, Some(&d.id))?,
            chengguan: as_user(6, Role::DeptStaff, Some(&departments[0].id))?,
            resident: as_user(7, Role::Resident, None)?,
            departments: departments.iter().map(|d| (d.code.clone(), d.id.clone())).collect(),
        };
        let office2 = as_user(8, Role::StreetAdmin, Some(&streets[1].id))?;
        let ruziting = cell::layer_of(conn, &system, &communities[0].id, Layer::Unit)?.1;
        let baihuazhou = cell::layer_of(conn, &system, &communities[3].id, Layer::Unit)?.1;
        let past = history::People {
            office: people.office.clone(),
            office2,
            worker: people.worker.clone(),
            chengguan: people.chengguan.clone(),
            police: Caller::resolve(conn, &police.id, Role::DeptStaff, Some(&departments[1].id))?,
            resident: people.resident.clone(),
            departments: people.departments.clone(),
        };
        let walked: Vec<&str> = communities[..3].iter().map(|c| c.id.as_str()).collect();
        let past_cases = history::write(conn, &past, &ruziting, &baihuazhou, &communities[0].id, &walked)?;
        cases(conn, &people, &ruziting)?;
        let cadre = Caller::resolve(conn, &ids[3], Role::CommunityAdmin, Some(&communities[0].id))?;
        let newcomer = Caller::resolve(conn, &ids[9], Role::Resident, None)?;
        community_life(conn, &cadre, &people.resident, &newcomer, &communities[0].id)?;
        let city = Caller::resolve(conn, &ids[0], Role::SystemAdmin, None)?;
        let on_duty = tasks::People {
            city: &city,
            district: &people.district,
            office: &people.office,
            cadre: &cadre,
            worker: &people.worker,
            police: &past.police,
            district_id: &d.id,
            police_id: &people.departments["gongan"],
            fire_id: &people.departments["xiaofang"],
        };
        tasks::write(conn, &on_duty)?;
        let campaign = campaign::People {
            city: &city,
            district: &people.district,
            offices: [&people.office, &past.office2],
            cadre: &cadre,
            police: &past.police,
            chengguan: &people.chengguan,
            district_id: &d.id,
            departments: &people.departments,
        };
        let campaign_cases = campaign::write(conn, &campaign, &ruziting, &baihuazhou, &people.worker)?;
        let consultation = meetings::People {
            district: &people.district,
            office: &people.office,
            cadre: &cadre,
            chengguan: &people.chengguan,
            police: &past.police,
            district_id: &d.id,
            streets: [&streets[0].id, &streets[1].id],
            community_id: &communities[0].id,
            departments: &people.departments,
        };
        meetings::write(conn, &consultation)?;
        let together = joint::People {
            office: &people.office,
            worker: &people.worker,
            cadre: &cadre,
            chengguan: &people.chengguan,
            police: &past.police,
            district_id: &d.id,
            street_id: &streets[0].id,
            departments: &people.departments,
            hash: &hash,
        };
        let (joint_cases, joint_accounts) = joint::write(conn, &together, &ruziting)?;
        made.extend(joint_accounts);
        let all = gridhub_store::tasks::TaskFilter::default();
        let tasks = gridhub_store::tasks::list(conn, &system, &all, &gridhub_store::Page::first(500))?.items.len();
        Ok(Some(Demo {
            accounts: made,
            communities: communities.len(),
            grids,
            units,
            departments: DEPARTMENTS.len() + 1,
            cases: CASES.len() + past_cases + campaign_cases + joint_cases,
            tasks,
        }))
    })
}
