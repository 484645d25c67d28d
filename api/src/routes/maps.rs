//! The maps over HTTP: a community's (`/communities/{id}/map.svg`) and a whole street's, its
//! communities outlined (`/streets/{id}/map.svg`), either layer, coloured by staffing, open or
//! overdue cases, or the closure rate of the last 30 days (a unit grid: its governance grid's).

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use geo::MultiPolygon;
use gridhub_geo::Boundary;
use gridhub_store::access::Place;
use gridhub_store::grid::{Cell, Layer, cell};
use gridhub_store::supervision::figures::{self, Ask, Period, UnitKind};
use gridhub_store::{Caller, DbConn, StoreResult};
use serde::Deserialize;

use super::cells::layer;
use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Query};
use crate::pictures::map::{self, Colours, Sheet};
use crate::state::AppState;

#[derive(Clone, Copy, PartialEq, Eq)]
enum ColourBy {
    Nothing,
    Staffing,
    OpenCases,
    Overdue,
    ClosureRate,
    Patrols,
}

/// What the cells of a map are coloured by.
enum Figures {
    Nothing,
    Staffing(gridhub_store::assignments::Staffing),
    Counts(HashMap<String, i64>),
    /// Patrols per governance grid over the last 30 days.
    Patrols(HashMap<String, i64>),
    Rates(HashMap<String, Option<f64>>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapQuery {
    color_by: Option<String>,
    layer: Option<String>,
}

fn read(query: &MapQuery) -> ApiResult<(ColourBy, Layer)> {
    let colour = match query.color_by.as_deref() {
        None | Some("none") => ColourBy::Nothing,
        Some("staffing") => ColourBy::Staffing,
        Some("open_cases") => ColourBy::OpenCases,
        Some("overdue") => ColourBy::Overdue,
        Some("closure_rate") => ColourBy::ClosureRate,
        Some("patrols") => ColourBy::Patrols,
        Some(_) => {
            return Err(ApiError::bad_field(
                "color_by",
                "must be none, staffing, open_cases, overdue, closure_rate or patrols",
            ));
        }
    };
    let layer = layer(query.layer.as_deref())?.unwrap_or(Layer::Governance);
    Ok((colour, layer))
}

/// The figures to colour `cells` by; `place` is where they lie.
fn figures_of(
    conn: &mut DbConn,
    caller: &Caller,
    colour: ColourBy,
    layer: Layer,
    place: &Place,
    cells: &[Cell],
    grids: impl FnOnce(&mut DbConn) -> StoreResult<Vec<Cell>>,
) -> StoreResult<Figures> {
    let ids: Vec<String> = cells.iter().map(|c| c.id.to_string()).collect();
    Ok(match colour {
        ColourBy::Nothing => Figures::Nothing,
        // people answer for governance grids: a unit grid shows its grid's staffing
        ColourBy::Staffing if layer == Layer::Unit => {
            let grids = grids(conn)?;
            Figures::Staffing(gridhub_store::assignments::staffing_of(conn, &grids)?)
        }
        ColourBy::Staffing => Figures::Staffing(gridhub_store::assignments::staffing_of(conn, cells)?),
        ColourBy::OpenCases => Figures::Counts(gridhub_store::cases::read::open_per_cell(conn, layer, &ids, false)?),
        ColourBy::Overdue => Figures::Counts(gridhub_store::cases::read::open_per_cell(conn, layer, &ids, true)?),
        // grids are walked: a unit grid shows its governance grid's patrols
        ColourBy::Patrols if layer == Layer::Unit => {
            let ids: Vec<String> = grids(conn)?.iter().map(|c| c.id.to_string()).collect();
            Figures::Patrols(gridhub_store::supervision::patrols::per_cell(conn, &ids, 30)?)
        }
        ColourBy::Patrols => Figures::Patrols(gridhub_store::supervision::patrols::per_cell(conn, &ids, 30)?),
        ColourBy::ClosureRate => {
            let period = Period::last_days(30);
            let ask = Ask { unit: UnitKind::Cell, id: None, within: place.clone(), period, category: None };
            let all = figures::figures(conn, caller, &ask)?;
            Figures::Rates(all.into_iter().map(|f| (f.id, f.rates.get("closure_rate").copied().flatten())).collect())
        }
    })
}

fn draw(sheet: &Sheet, cells: &[Cell], colour: ColourBy, figures: Figures) -> String {
    match figures {
        Figures::Nothing => map::render_sheet(sheet, cells, &Colours { fill: &|_| map::PLAIN, legend: &[] }),
        Figures::Counts(n) => {
            let fill = |c: &Cell| match n.get(c.id.as_str()).copied().unwrap_or(0) {
                0 => "#e4f1e4",
                1..=2 => "#f8e08e",
                3..=5 => "#f5a860",
                _ => "#e0604f",
            };
            let legend = if colour == ColourBy::Overdue {
                [
                    ("#e4f1e4", "无超时案件"),
                    ("#f8e08e", "超时 1–2 件"),
                    ("#f5a860", "超时 3–5 件"),
                    ("#e0604f", "超时 6 件以上"),
                ]
            } else {
                [("#e4f1e4", "无在办事件"), ("#f8e08e", "1–2 件"), ("#f5a860", "3–5 件"), ("#e0604f", "6 件以上")]
            };
            map::render_sheet(sheet, cells, &Colours { fill: &fill, legend: &legend })
        }
        Figures::Patrols(n) => {
            let fill = |c: &Cell| match n.get(c.parent_id.as_ref().unwrap_or(&c.id).as_str()).copied().unwrap_or(0) {
                0 => "#e0604f",
                1..=3 => "#f8e08e",
                4..=9 => "#bfe3b4",
                _ => "#7cc48a",
            };
            let legend = [
                ("#7cc48a", "近30天巡查 10 次以上"),
                ("#bfe3b4", "4–9 次"),
                ("#f8e08e", "1–3 次"),
                ("#e0604f", "近30天未巡查"),
            ];
            map::render_sheet(sheet, cells, &Colours { fill: &fill, legend: &legend })
        }
        Figures::Rates(rates) => {
            // cases are answered for by governance grid: a unit grid shows its grid's rate
            let fill = |c: &Cell| match rates.get(c.parent_id.as_ref().unwrap_or(&c.id).as_str()).copied().flatten() {
                None => "#eeeeee",
                Some(r) if r >= 0.9 => "#8fd19e",
                Some(r) if r >= 0.7 => "#f8e08e",
                Some(_) => "#e0604f",
            };
            let legend = [
                ("#8fd19e", "近30天结案率 ≥ 90%"),
                ("#f8e08e", "70%–90%"),
                ("#e0604f", "低于 70%"),
                ("#eeeeee", "近30天无立案"),
            ];
            map::render_sheet(sheet, cells, &Colours { fill: &fill, legend: &legend })
        }
        Figures::Staffing(report) => {
            let by_cell: HashMap<&str, (bool, bool)> = report
                .per_cell
                .iter()
                .map(|c| (c.cell_id.as_str(), (c.grid_leader.is_some(), !c.workers.is_empty())))
                .collect();
            let fill = |c: &Cell| match by_cell.get(c.parent_id.as_ref().unwrap_or(&c.id).as_str()) {
                Some((true, true)) => "#b9e0bb",
                Some((true, false)) | Some((false, true)) => "#f8d49a",
                _ => "#f3a3a0",
            };
            let legend = [("#b9e0bb", "网格长和网格员齐全"), ("#f8d49a", "缺网格长或网格员"), ("#f3a3a0", "无人负责")];
            map::render_sheet(sheet, cells, &Colours { fill: &fill, legend: &legend })
        }
    }
}

fn svg(body: String) -> HttpResponse {
    HttpResponse::Ok().content_type("image/svg+xml; charset=utf-8").body(body)
}

/// `GET /api/v1/communities/{id}/map.svg?color_by=&layer=`: the governance grids (or the unit
/// grids, for where cases cluster).
pub async fn community(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<MapQuery>,
) -> ApiResult<HttpResponse> {
    let (colour, layer) = read(&query)?;
    let (sheet, cells, figures) = state
        .db(move |conn| {
            let (community, cells) = cell::layer_of(conn, &caller, &id, layer)?;
            let place = gridhub_store::access::place::of_community(conn, &community.id)?;
            let grids = |conn: &mut DbConn| Ok(cell::of_community(conn, &caller, &community.id)?.1);
            let figures = figures_of(conn, &caller, colour, layer, &place, &cells, grids)?;
            Ok((Sheet::of_community(&community), cells, figures))
        })
        .await?;
    Ok(svg(draw(&sheet, &cells, colour, figures)))
}

/// `GET /api/v1/streets/{id}/map.svg?color_by=&layer=`: every community of the street, outlined
/// and named, with its cells.
pub async fn street(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    id: Id,
    query: Query<MapQuery>,
) -> ApiResult<HttpResponse> {
    let (colour, layer) = read(&query)?;
    let (sheet, cells, figures) = state
        .db(move |conn| {
            let street = gridhub_store::regions::street::find(conn, &caller, &id)?;
            let mut cells = Vec::new();
            let mut grids = Vec::new();
            let mut areas = Vec::new();
            let mut area_m2 = 0.0;
            for c in gridhub_store::access::place::communities_of_street(conn, &street.id)? {
                let (community, these) = cell::layer_of(conn, &caller, &c, layer)?;
                if layer == Layer::Unit && colour == ColourBy::Staffing {
                    grids.extend(cell::of_community(conn, &caller, &c)?.1);
                }
                area_m2 += community.area_m2;
                if let Some(shape) = Boundary::stored_shape(&community.boundary) {
                    areas.push((community.name.clone(), shape));
                }
                cells.extend(these);
            }
            let outline = street.boundary.as_deref().and_then(Boundary::stored_shape).unwrap_or_else(|| {
                MultiPolygon::new(areas.iter().flat_map(|(_, shape)| shape.0.iter().cloned()).collect())
            });
            let figures = figures_of(conn, &caller, colour, layer, &street.place(), &cells, |_| Ok(grids))?;
            let sheet = Sheet { name: street.name.clone(), code: street.code.clone(), area_m2, outline, areas };
            Ok((sheet, cells, figures))
        })
        .await?;
    Ok(svg(draw(&sheet, &cells, colour, figures)))
}
