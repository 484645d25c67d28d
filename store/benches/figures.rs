//! The figures at city scale: a district's month of figures by street and its ranking of
//! departments, with 1,000,000 cases in the database (two districts of ten streets, twelve
//! months), on SQLite and on PostgreSQL; against, in the same run, one count of every case and one
//! sum over every case's tally — what any answer that looked at each case once would cost.
//!
//! `cargo bench -p gridhub-store --bench figures` (PostgreSQL at `GRIDHUB_BENCH_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`; the data is made once per backend and
//! kept: `target/bench-figures.db` and the database `gridhub_bench_figures`). Figures and the
//! machine go in BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use diesel::prelude::*;
use gridhub_geo::DivisionCode;
use gridhub_store::regions::{department, district, street};
use gridhub_store::schema::{case_tallies, cases, districts};
use gridhub_store::supervision::figures::{self, Ask, Period, UnitKind, scheme};
use gridhub_store::{Caller, DbConn, Role};

const CASES: i64 = 1_000_000;

/// The columns both generators fill, in order.
const TALLY_COLUMNS: &str = "case_id, department_id, main, district_id, street_id, community_id, cell_id, unit_cell_id, \
category_code, major_code, source, reporter_id, day, closed_day, overdue_day, reported, filed, due_to_close, closed, \
closed_on_time, self_handled, evaluated, satisfied, overdue, dispatched_cases, handled_cases, dispatched, accepted, \
accepted_on_time, handled, handled_on_time, returned, reworked, file_steps, file_minutes, dispatch_steps, \
dispatch_minutes, accept_minutes, handle_minutes, verify_steps, verify_minutes";

/// The regions and departments the cases belong to: (district ids, street ids per district,
/// department ids per district).
fn regions(conn: &mut DbConn) -> (Vec<String>, Vec<Vec<String>>, Vec<Vec<String>>) {
    let system = Caller::system();
    let mut out = (Vec::new(), Vec::new(), Vec::new());
    for (d, code) in ["360102", "360103"].iter().enumerate() {
        let new = district::NewDistrict { code: DivisionCode::parse(code).unwrap(), name: format!("区{d}") };
        let made = district::create(conn, &system, new).unwrap();
        let streets: Vec<String> = (1..=10)
            .map(|s| {
                let new = street::NewStreet {
                    district_id: made.id.clone(),
                    code: DivisionCode::parse(&format!("{code}{s:03}")).unwrap(),
                    name: format!("街道{s}"),
                    boundary: None,
                };
                street::create(conn, &system, new).unwrap().id
            })
            .collect();
        let depts: Vec<String> = (0..18)
            .map(|k| {
                let code = format!("dept{k}");
                let name = format!("部门{k}");
                department::create(conn, &system, department::NewDepartment::government(&made.id, &code, &name))
                    .unwrap()
                    .id
            })
            .collect();
        out.0.push(made.id);
        out.1.push(streets);
        out.2.push(depts);
    }
    out
}

/// A million cases and their tallies, made by the database itself: case `g` is of district
/// `g % 2`, street `g % 10`, department `g % 18`, filed on day `g % 365` of 2026; most closed on
/// time, some late, returned, reworked, fixed on the spot, rated.
fn fill(conn: &mut DbConn, postgres: bool) {
    let (districts, streets, depts) = regions(conn);
    // the case rows name a real reporter and category (their foreign keys hold)
    gridhub_store::category::seed(conn).unwrap();
    let reporter = gridhub_store::people::user::create(
        conn,
        &Caller::system(),
        gridhub_store::people::user::NewUser {
            username: "bench.worker".into(),
            password_hash: None,
            display_name: "热线".into(),
            phone: None,
            role: Role::SystemAdmin,
            scope_id: None,
        },
    )
    .unwrap()
    .id;
    let pick = |ids: &[String], modulus: &str| {
        let arms: String =
            ids.iter().enumerate().map(|(i, id)| format!(" WHEN {i} THEN '{id}'")).collect::<Vec<_>>().join("");
        format!("(CASE {modulus}{arms} END)")
    };
    let district = pick(&districts, "g % 2");
    let street_arms: Vec<String> = (0..2).map(|d| pick(&streets[d], "(g / 2) % 10")).collect();
    let street = format!("(CASE g % 2 WHEN 0 THEN {} ELSE {} END)", street_arms[0], street_arms[1]);
    let dept_arms: Vec<String> = (0..2).map(|d| pick(&depts[d], "(g / 20) % 18")).collect();
    let dept = format!("(CASE g % 2 WHEN 0 THEN {} ELSE {} END)", dept_arms[0], dept_arms[1]);
    let (series, day, flag) = if postgres {
        (
            format!("FROM generate_series(1, {CASES}) AS g"),
            "to_char(DATE '2026-01-01' + (g % 365)::int, 'YYYY-MM-DD')".to_owned(),
            "CASE WHEN {} THEN 1 ELSE 0 END".to_owned(),
        )
    } else {
        (
            format!(
                "FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {CASES}) SELECT g FROM s)"
            ),
            "strftime('%Y-%m-%d', '2026-01-01', '+' || (g % 365) || ' days')".to_owned(),
            "CASE WHEN {} THEN 1 ELSE 0 END".to_owned(),
        )
    };
    let f = |cond: &str| flag.replace("{}", cond);
    let tallies = format!(
        "INSERT INTO case_tallies ({TALLY_COLUMNS}) SELECT 'case' || g, {dept}, true, {district}, {street}, NULL, NULL, NULL, \
         'SJ0502', 'SJ05', 'field_report', 'worker' || (g % 500), {day}, {day}, NULL, \
         1, 1, 1, {closed}, {on_time}, {spot}, {rated}, {good}, {late}, 1, 1, 1, 1, {on_time}, 1, 1, {ret}, {rework}, \
         1, 30, 1, 20, 40, 300, 1, 60 {series}",
        closed = f("g % 10 <> 0"),
        on_time = f("g % 7 <> 0"),
        spot = f("g % 13 = 0"),
        rated = f("g % 4 = 0"),
        good = f("g % 8 = 0"),
        late = f("g % 7 = 0"),
        ret = f("g % 17 = 0"),
        rework = f("g % 11 = 0"),
    );
    let cases = format!(
        "INSERT INTO cases (id, district_id, street_id, source, category_code, title, description, lng, lat, reporter_id, \
         priority, attachments, reported_at, received_at, status, department_id, version, updated_at, sync_ms, created_ms) \
         SELECT 'case' || g, {district}, {street}, 'field_report', 'SJ0502', '店外经营', '', 115.9, 28.68, '{reporter}', \
         'normal', '[]', {t}, {t}, 'closed', {dept}, 1, {t}, g, g {series}",
        t = if postgres { "TIMESTAMP '2026-01-01 02:00:00'" } else { "'2026-01-01 02:00:00'" },
    );
    for sql in [tallies, cases] {
        diesel::sql_query(sql).execute(conn).unwrap();
    }
    gridhub_store::db::refresh_statistics(conn).unwrap();
}

/// A backend's database with the million cases, made on first use.
fn database(postgres: bool) -> gridhub_store::Pool {
    let url = if postgres {
        let admin = std::env::var("GRIDHUB_BENCH_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let mut c = diesel::PgConnection::establish(&admin).expect("PostgreSQL for the benchmark");
        // made once; an error here means it is there already
        let _ = diesel::sql_query("CREATE DATABASE gridhub_bench_figures").execute(&mut c);
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
        format!("{base}/gridhub_bench_figures")
    } else {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/bench-figures.db");
        format!("sqlite://{path}")
    };
    let pool = gridhub_store::connect(&url, 2).unwrap();
    let mut conn = gridhub_store::db::get(&pool).unwrap();
    gridhub_store::migrate(&mut conn).unwrap();
    let have: i64 = cases::table.count().get_result(&mut conn).unwrap();
    if have < CASES {
        eprintln!("making {CASES} cases ({})…", if postgres { "PostgreSQL" } else { "SQLite" });
        fill(&mut conn, postgres);
    }
    drop(conn);
    pool
}

fn bench(c: &mut Criterion) {
    for postgres in [false, true] {
        let name = if postgres { "postgres" } else { "sqlite" };
        let pool = database(postgres);
        let mut conn = gridhub_store::db::get(&pool).unwrap();
        let district: String = districts::table.select(districts::id).order(districts::code).first(&mut conn).unwrap();
        let caller =
            Caller::resolve(&mut conn, "bench", Role::DistrictAdmin, Some(&district)).expect("the district's admin");
        let month = Period::month("2026-06").unwrap();
        let rows: i64 = case_tallies::table
            .filter(case_tallies::district_id.eq(&district))
            .filter(case_tallies::day.between("2026-06-01", "2026-06-30"))
            .count()
            .get_result(&mut conn)
            .unwrap();
        eprintln!("{name}: {rows} tallies in the district's month");
        let mut group = c.benchmark_group(format!("figures/{name}"));
        group.sample_size(10);
        group.bench_function("district month by street", |b| {
            b.iter(|| {
                let within = gridhub_store::access::Place::default();
                let ask = Ask { unit: UnitKind::Street, id: None, within, period: month, category: None };
                black_box(figures::figures(&mut conn, &caller, &ask).unwrap())
            })
        });
        group.bench_function("ranking of departments", |b| {
            b.iter(|| {
                black_box(scheme::rankings(&mut conn, &caller, UnitKind::Department, &district, "2026-06").unwrap())
            })
        });
        group.bench_function("baseline: count every case", |b| {
            b.iter(|| black_box(cases::table.count().get_result::<i64>(&mut conn).unwrap()))
        });
        group.bench_function("baseline: one sum over every case's tally", |b| {
            let sum = diesel::dsl::sql::<diesel::sql_types::BigInt>("CAST(COALESCE(SUM(closed), 0) AS BIGINT)");
            b.iter(|| black_box(case_tallies::table.select(sum.clone()).first::<i64>(&mut conn).unwrap()))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
