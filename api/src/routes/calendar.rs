//! The working calendar over HTTP: a year's exceptions to the Monday–Friday week (public
//! holidays and make-up workdays), read by everyone, replaced whole by admins.

use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use gridhub_store::clocks::calendar::{self, Day, DayKind};
use serde::Deserialize;
use serde_json::json;

use crate::caller::Authenticated;
use crate::error::{ApiError, ApiResult};
use crate::input::{Id, Json};
use crate::state::AppState;
use gridhub_store::input::Check;

fn year(text: &str) -> ApiResult<i32> {
    match text.parse::<i32>() {
        Ok(y) if (2000..=2100).contains(&y) => Ok(y),
        _ => Err(ApiError::bad_field("year", "must be a year from 2000 to 2100")),
    }
}

fn answer(year: i32, days: Vec<Day>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"year": year, "days": days}))
}

/// `GET /api/v1/calendar/{year}`
pub async fn get(state: web::Data<AppState>, _: Authenticated, path: Id) -> ApiResult<HttpResponse> {
    let y = year(&path)?;
    let days = state.db(move |conn| calendar::year(conn, y)).await?;
    Ok(answer(y, days))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearBody {
    year: i32,
    days: Vec<DayBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayBody {
    date: String,
    kind: String,
    name: String,
}

/// `PUT /api/v1/calendar/{year}`: the year's exceptions, replacing what it had.
pub async fn put(
    state: web::Data<AppState>,
    Authenticated(caller): Authenticated,
    path: Id,
    Json(body): Json<YearBody>,
) -> ApiResult<HttpResponse> {
    let y = year(&path)?;
    let mut check = Check::default();
    if body.year != y {
        check.push("year", format!("says {} but the path says {y}", body.year));
    }
    if body.days.len() > 366 {
        check.push("days", "lists more days than a year has");
    }
    let mut days = Vec::new();
    for (i, d) in body.days.into_iter().enumerate() {
        let date = NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
            .map_err(|_| check.push(format!("days[{i}].date"), "must be a date like 2025-01-28"))
            .ok();
        let kind = DayKind::parse(&d.kind).or_else(|| {
            check.push(format!("days[{i}].kind"), "must be holiday or workday");
            None
        });
        if let (Some(date), Some(kind)) = (date, kind) {
            days.push(Day { date, kind, name: d.name });
        }
    }
    check.done()?;
    let days = state.db(move |conn| calendar::put_year(conn, &caller, y, days)).await?;
    Ok(answer(y, days))
}
