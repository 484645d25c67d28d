//! The world most end-to-end tests start from, made once here: 东湖区 with 公园街道 (its
//! 孺子亭社区 divided into cells) and 百花洲街道 (its 百花洲社区 divided too), four departments,
//! and a cast with a token each — the street offices, the district, the community, grid workers,
//! a volunteer, department staff and two residents. Tests add what only they need (`add`,
//! `community`), and file and act on cases with the helpers below.

use std::collections::HashMap;

use gridhub_store::Role;
use serde_json::{Value, json};

use crate::{Regions, Response, TestApp, json, regions, square};

pub struct Fixture {
    pub r: Regions,
    pub street2: String,
    pub community2: String,
    /// 孺子亭社区's cells, as GeoJSON features.
    pub cells: Vec<Value>,
    /// 百花洲社区's cells.
    pub cells2: Vec<Value>,
    pub depts: HashMap<&'static str, String>,
    users: HashMap<&'static str, String>,
    tokens: HashMap<&'static str, String>,
}

/// The departments of the district, by code.
const DEPARTMENTS: [(&str, &str); 4] =
    [("chengguan", "城管局"), ("gongan", "公安分局"), ("xiaofang", "消防大队"), ("shichang", "市场监管局")];

impl Fixture {
    pub async fn new(app: &TestApp, admin: &str) -> Self {
        let r = regions(app, admin).await;
        let s2 = app
            .create(
                admin,
                "/api/v1/streets",
                &json!({"district_id": r.district, "code": "360102004", "name": "百花洲街道"}),
            )
            .await;
        let street2 = s2["id"].as_str().unwrap().to_owned();
        let cells = generate(app, admin, &r.community).await;
        let (community2, cells2) =
            community(app, admin, &street2, "360102004001", "百花洲社区", square(115.905, 28.676, 0.003)).await;
        let mut depts = HashMap::new();
        for (code, name) in DEPARTMENTS {
            let d = app
                .create(admin, "/api/v1/departments", &json!({"district_id": r.district, "code": code, "name": name}))
                .await;
            depts.insert(code, d["id"].as_str().unwrap().to_owned());
        }
        let mut f =
            Self { r, street2, community2, cells, cells2, depts, users: HashMap::new(), tokens: HashMap::new() };
        f.tokens.insert("admin", admin.to_owned());
        let (street, street2, community, community2) =
            (f.r.street.clone(), f.street2.clone(), f.r.community.clone(), f.community2.clone());
        let district = f.r.district.clone();
        let cast: [(&'static str, Role, Option<&str>); 12] = [
            ("office", Role::StreetAdmin, Some(&street)),
            ("office2", Role::StreetAdmin, Some(&street2)),
            ("donghu", Role::DistrictAdmin, Some(&district)),
            ("cadre", Role::CommunityAdmin, Some(&community)),
            ("worker", Role::GridWorker, Some(&community)),
            ("worker2", Role::GridWorker, Some(&community2)),
            ("volunteer", Role::Volunteer, Some(&community)),
            ("chengguan", Role::DeptStaff, Some(&f.depts["chengguan"].clone())),
            ("gongan", Role::DeptStaff, Some(&f.depts["gongan"].clone())),
            ("xiaofang", Role::DeptStaff, Some(&f.depts["xiaofang"].clone())),
            ("resident", Role::Resident, None),
            ("resident2", Role::Resident, None),
        ];
        for (name, role, scope) in cast {
            f.add(app, name, role, scope);
        }
        f
    }

    /// Adds a person to the cast (password `PASSWORD`), with a token.
    pub fn add(&mut self, app: &TestApp, name: &'static str, role: Role, scope: Option<&str>) -> String {
        let id = app.create_user(name, role, scope);
        self.tokens.insert(name, app.token(&id, role, scope));
        self.users.insert(name, id.clone());
        id
    }

    /// The token of someone of the cast (`admin` for the system admin).
    pub fn t(&self, who: &str) -> &str {
        self.tokens.get(who).unwrap_or_else(|| panic!("no token for {who}"))
    }

    /// The user id of someone of the cast.
    pub fn id(&self, who: &str) -> &str {
        self.users.get(who).unwrap_or_else(|| panic!("no user {who}"))
    }

    /// The id of 孺子亭社区's `i`-th cell.
    pub fn cell(&self, i: usize) -> &str {
        self.cells[i]["id"].as_str().unwrap()
    }

    /// A point inside 孺子亭社区's `i`-th cell.
    pub fn inside(&self, i: usize) -> (f64, f64) {
        inside(&self.cells[i])
    }
}

/// A point inside a cell given as a GeoJSON feature (the mean of its corners).
pub fn inside(cell: &Value) -> (f64, f64) {
    let ring = cell["geometry"]["coordinates"][0].as_array().unwrap();
    let (xs, ys): (Vec<f64>, Vec<f64>) = ring.iter().map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap())).unzip();
    let n = xs.len() as f64 - 1.0;
    ((xs.iter().sum::<f64>() - xs[0]) / n, (ys.iter().sum::<f64>() - ys[0]) / n)
}

/// Divides a community into cells of a hectare; the cells as GeoJSON features.
pub async fn generate(app: &TestApp, admin: &str, community: &str) -> Vec<Value> {
    let res = app.post(Some(admin), &format!("/api/v1/communities/{community}/cells/generate"), &json!({})).await;
    assert_eq!(res.status(), 200, "generating cells");
    json(res).await["features"].as_array().unwrap().clone()
}

/// A community of `street` with its cells: (its id, its cells).
pub async fn community(
    app: &TestApp,
    admin: &str,
    street: &str,
    code: &str,
    name: &str,
    boundary: Value,
) -> (String, Vec<Value>) {
    let c = app
        .create(
            admin,
            "/api/v1/communities",
            &json!({"street_id": street, "code": code, "name": name, "boundary": boundary}),
        )
        .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let cells = generate(app, admin, &id).await;
    (id, cells)
}

/// GETs `path` and expects 200; the body.
pub async fn get_ok(app: &TestApp, token: &str, path: &str) -> Value {
    let res = app.get(Some(token), path).await;
    let status = res.status();
    let body = json(res).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// Takes `action` on the case at its current version (as `token` sees it), with `extra`.
pub async fn act(app: &TestApp, token: &str, id: &str, action: &str, extra: Value) -> Response {
    let version =
        json(app.get(Some(token), &format!("/api/v1/cases/{id}")).await).await["version"].as_i64().unwrap_or(1);
    let mut body = json!({"action": action, "expected_version": version});
    body.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    app.post(Some(token), &format!("/api/v1/cases/{id}/transitions"), &body).await
}

/// Takes `action` and expects 200 and the case in `status`; the case.
pub async fn step(app: &TestApp, token: &str, id: &str, action: &str, extra: Value, status: &str) -> Value {
    let res = act(app, token, id, action, extra).await;
    let code = res.status();
    let body = json(res).await;
    assert_eq!(code, 200, "{action}: {body}");
    assert_eq!(body["status"], status, "{action} leads to {status}: {body}");
    body
}
