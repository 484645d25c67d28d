//! The demo's tasks (督办任务): the city's winter fire-safety sweep (冬季消防安全大排查) assigned
//! to 东湖区, decomposed to its streets, 公园街道's communities and 孺子亭社区's grids, with a grid
//! worker's progress and photos, one grid's task verified and one returned; and the district's
//! own task for the police and the fire brigade before the Spring Festival.

use chrono::Duration;
use gridhub_store::tasks::{self, Mine, NewTask, Progress, TaskFilter, TaskKind, Unit};
use gridhub_store::time::now;
use gridhub_store::{Caller, DbConn, Page, StoreResult};

pub struct People<'a> {
    /// The city, as the system admin.
    pub city: &'a Caller,
    pub district: &'a Caller,
    pub office: &'a Caller,
    pub cadre: &'a Caller,
    pub worker: &'a Caller,
    pub police: &'a Caller,
    pub district_id: &'a str,
    pub police_id: &'a str,
    pub fire_id: &'a str,
}

/// Writes the tasks.
pub fn write(conn: &mut DbConn, p: &People) -> StoreResult<()> {
    let t = now();
    let sweep = NewTask {
        title: "冬季消防安全隐患大排查".into(),
        description: "逐户排查电动车违规停放充电、楼道堆物、燃气使用隐患，发放冬季防火告知书，建立隐患台账".into(),
        kind: Some(TaskKind::Campaign),
        owner: (Unit::District, p.district_id.into()),
        due_at: t + Duration::days(24),
        target_quantity: Some(6000),
        parent_id: None,
        campaign_id: None,
    };
    let district = tasks::create(conn, p.city, sweep)?.view.task;
    tasks::act(conn, p.district, &district.id, "accept", None, None)?;
    let streets = tasks::decompose(conn, p.district, &district.id, Unit::Street, Some(t + Duration::days(20)))?;
    let street = streets.child_tasks.iter().find(|c| Some(&c.task.owner_id) == p.office.scope_id.as_ref());
    let street = street.map(|s| s.task.id.clone()).unwrap_or_default();
    tasks::act(conn, p.office, &street, "accept", None, None)?;
    let communities = tasks::decompose(conn, p.office, &street, Unit::Community, Some(t + Duration::days(14)))?;
    let community = communities.child_tasks.iter().find(|c| Some(&c.task.owner_id) == p.cadre.scope_id.as_ref());
    let community = community.map(|c| c.task.id.clone()).unwrap_or_default();
    tasks::act(conn, p.cadre, &community, "accept", None, None)?;
    tasks::decompose(conn, p.cadre, &community, Unit::Cell, Some(t + Duration::days(10)))?;

    // the grid worker's grids: progress in each, one submitted and verified, one returned
    let mine = TaskFilter { mine: Some(Mine::Owned), ..TaskFilter::default() };
    let grids = tasks::list(conn, p.worker, &mine, &Page::first(10))?.items;
    for (k, g) in grids.iter().enumerate() {
        let id = &g.task.id;
        tasks::act(conn, p.worker, id, "accept", None, None)?;
        let visited = [86, 64, 41][k % 3];
        let note = format!("已入户排查{visited}户，发现电动车楼道充电{}处，已当场劝改", k + 2);
        let photos = vec![format!("demo-sweep-{k}-1.jpg"), format!("demo-sweep-{k}-2.jpg")];
        tasks::progress(
            conn,
            p.worker,
            id,
            Progress { quantity: visited, note: Some(note), attachments: photos, made: None },
        )?;
        match k {
            0 => {
                tasks::act(conn, p.worker, id, "submit", None, None)?;
                tasks::act(conn, p.cadre, id, "verify", None, None)?;
            }
            1 => {
                tasks::act(conn, p.worker, id, "submit", None, None)?;
                tasks::act(
                    conn,
                    p.cadre,
                    id,
                    "return",
                    Some("隐患台账缺少3号楼，请补充入户照片后再提交".into()),
                    None,
                )?;
            }
            _ => {}
        }
    }

    // the district's own tasks for the police and the fire brigade, before the Spring Festival
    let patrol = NewTask {
        title: "烟花爆竹非法储存销售专项检查".into(),
        description: "对辖区批发零售网点、仓库、出租屋开展拉网式检查，春节前完成".into(),
        kind: Some(TaskKind::Campaign),
        owner: (tasks::Unit::Department, p.police_id.into()),
        due_at: t + Duration::days(21),
        target_quantity: Some(120),
        parent_id: Some(district.id.clone()),
        campaign_id: None,
    };
    let patrol = tasks::create(conn, p.district, patrol)?.view.task;
    tasks::act(conn, p.police, &patrol.id, "accept", None, None)?;
    let checked = Progress {
        quantity: 37,
        note: Some("已检查网点37处，查扣非法储存烟花爆竹2起".into()),
        attachments: vec![],
        made: None,
    };
    tasks::progress(conn, p.police, &patrol.id, checked)?;
    let fire = NewTask {
        title: "高层住宅消防通道清理".into(),
        description: "会同物业清理高层住宅消防通道、疏散楼梯堆物".into(),
        kind: Some(TaskKind::Routine),
        owner: (tasks::Unit::Department, p.fire_id.into()),
        due_at: t + Duration::days(7),
        target_quantity: None,
        parent_id: None,
        campaign_id: None,
    };
    tasks::create(conn, p.district, fire)?;
    Ok(())
}
