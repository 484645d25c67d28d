//! Lists as office software opens them: a table of the same rows as the JSON answer, sent as
//! CSV (UTF-8 with a byte-order mark, so that Excel on Chinese Windows reads it as Unicode) or as
//! an Excel workbook (XLSX, by `rust_xlsxwriter`), chosen by `format=csv|xlsx` or the `Accept`
//! header. Headers are Chinese, English for `Accept-Language: en`; times are China Standard Time.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use gridhub_store::{Page, Paged};

use crate::error::{ApiError, ApiResult};
use crate::language::{self, Lang};

pub const CSV: &str = "text/csv";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The most rows one export holds; a larger selection is refused, saying so, not cut.
pub const MAX_ROWS: usize = 100_000;

/// The query of a route whose only parameter is the format of its answer.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormatQuery {
    pub format: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv,
    Xlsx,
}

impl Format {
    /// `format=` when given, else the first of CSV and XLSX the `Accept` header names, else JSON.
    pub fn of(param: Option<&str>, req: &HttpRequest) -> ApiResult<Self> {
        match param {
            Some("csv") => return Ok(Format::Csv),
            Some("xlsx") => return Ok(Format::Xlsx),
            Some("json") => return Ok(Format::Json),
            Some(_) => return Err(ApiError::bad_field("format", "must be csv, xlsx or json")),
            None => {}
        }
        let accept = req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
        let csv = accept.find(CSV);
        let xlsx = accept.find(XLSX);
        Ok(match (csv, xlsx) {
            (Some(c), Some(x)) if x < c => Format::Xlsx,
            (Some(_), _) => Format::Csv,
            (None, Some(_)) => Format::Xlsx,
            (None, None) => Format::Json,
        })
    }

    pub fn is_table(self) -> bool {
        self != Format::Json
    }
}

/// One cell of a table.
#[derive(Debug, Clone)]
pub enum Cell {
    Text(String),
    Int(i64),
    Number(f64),
    /// A UTC time, shown in China Standard Time.
    Time(NaiveDateTime),
    Empty,
}

impl From<&str> for Cell {
    fn from(t: &str) -> Self {
        Cell::Text(t.to_owned())
    }
}

impl From<String> for Cell {
    fn from(t: String) -> Self {
        Cell::Text(t)
    }
}

impl From<i64> for Cell {
    fn from(n: i64) -> Self {
        Cell::Int(n)
    }
}

impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Empty, Into::into)
    }
}

impl From<NaiveDateTime> for Cell {
    fn from(t: NaiveDateTime) -> Self {
        Cell::Time(t)
    }
}

impl From<f64> for Cell {
    fn from(n: f64) -> Self {
        Cell::Number(n)
    }
}

/// A table to export: its name (the file's and the sheet's), headers as (中文, English), rows.
pub struct Table {
    pub name: (&'static str, &'static str),
    pub columns: Vec<(String, String)>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: (&'static str, &'static str), columns: &[(&str, &str)]) -> Self {
        let mut t = Self { name, columns: Vec::new(), rows: Vec::new() };
        for (zh, en) in columns {
            t.column(zh, en);
        }
        t
    }

    pub fn column(&mut self, zh: &str, en: &str) {
        self.columns.push((zh.to_owned(), en.to_owned()));
    }

    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "a row has a cell for every column");
        self.rows.push(row);
    }
}

/// Every page of a list, read in pages of the largest size, up to one row more than an export
/// holds (so that `within_limit` can refuse the selection).
pub fn every_page<T>(
    mut read: impl FnMut(&Page) -> gridhub_store::StoreResult<Paged<T>>,
) -> gridhub_store::StoreResult<Vec<T>> {
    let mut all = Vec::new();
    let mut page = Page { limit: Page::MAX_LIMIT, after: None };
    loop {
        let rows = read(&page)?;
        all.extend(rows.items);
        match rows.next_after {
            Some(after) if all.len() <= MAX_ROWS => page.after = Some(after),
            _ => return Ok(all),
        }
    }
}

/// Refuses a selection larger than one export holds (a cut export would look whole).
pub fn within_limit(rows: usize) -> ApiResult<()> {
    if rows > MAX_ROWS {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
            "too-many-rows",
            format!(
                "an export has at most {MAX_ROWS} rows; this selection has more: narrow it (a period, a street, a status)"
            ),
        ));
    }
    Ok(())
}

fn cst(t: NaiveDateTime) -> NaiveDateTime {
    t + chrono::Duration::hours(8)
}

/// The table as a file in `format` (CSV or XLSX), named in the request's language.
pub fn answer(table: &Table, format: Format) -> ApiResult<HttpResponse> {
    let lang = language::current();
    let name = lang.pick(table.name.0, table.name.1);
    let day = cst(gridhub_store::time::now()).format("%Y%m%d");
    let (bytes, mime, ext) = match format {
        Format::Csv => (csv_bytes(table, lang)?, "text/csv; charset=utf-8", "csv"),
        Format::Xlsx => (xlsx_bytes(table, lang)?, XLSX, "xlsx"),
        Format::Json => unreachable!("a JSON answer is the route's own"),
    };
    let file = format!("{name}-{day}.{ext}");
    let disposition = format!(
        "attachment; filename=\"{}-{day}.{ext}\"; filename*=UTF-8''{}",
        table.name.1.replace(' ', "-"),
        url::form_urlencoded::byte_serialize(file.as_bytes()).collect::<String>().replace('+', "%20")
    );
    Ok(HttpResponse::Ok()
        .content_type(mime)
        .insert_header((header::CONTENT_DISPOSITION, disposition))
        .insert_header((header::CONTENT_LANGUAGE, lang.tag()))
        .insert_header((header::VARY, "Accept, Accept-Language"))
        .body(bytes))
}

fn headers(table: &Table, lang: Lang) -> Vec<&str> {
    table.columns.iter().map(|(zh, en)| lang.pick(zh, en)).collect()
}

fn csv_bytes(table: &Table, lang: Lang) -> ApiResult<Vec<u8>> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(&mut out);
        w.write_record(headers(table, lang)).map_err(ApiError::internal)?;
        for row in &table.rows {
            let cells = row.iter().map(|c| match c {
                Cell::Text(t) => spreadsheet_safe(t),
                Cell::Int(n) => n.to_string(),
                Cell::Number(n) => n.to_string(),
                Cell::Time(t) => cst(*t).format("%Y-%m-%d %H:%M:%S").to_string(),
                Cell::Empty => String::new(),
            });
            w.write_record(cells).map_err(ApiError::internal)?;
        }
        w.flush().map_err(ApiError::internal)?;
    }
    Ok(out)
}

/// Text a spreadsheet shows as text: one beginning with `=`, `+`, `-` or `@` would be read as a
/// formula (CSV injection), so it is led by an apostrophe, which Excel hides.
fn spreadsheet_safe(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@') => format!("'{text}"),
        _ => text.to_owned(),
    }
}

fn xlsx_bytes(table: &Table, lang: Lang) -> ApiResult<Vec<u8>> {
    use rust_xlsxwriter::{Format as Style, Workbook};
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    // a sheet's name has at most 31 characters and none of []:*?/\
    let name: String =
        lang.pick(table.name.0, table.name.1).chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect();
    sheet.set_name(&name).map_err(ApiError::internal)?;
    let bold = Style::new().set_bold();
    let time = Style::new().set_num_format("yyyy-mm-dd hh:mm");
    for (c, h) in headers(table, lang).iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold).map_err(ApiError::internal)?;
        sheet.set_column_width(c as u16, (h.chars().count() as f64 * 2.2).max(12.0)).map_err(ApiError::internal)?;
    }
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                // written as strings, never as formulas, whatever they begin with
                Cell::Text(t) => sheet.write_string(r, c, t).map(|_| ()),
                Cell::Int(n) => sheet.write_number(r, c, *n as f64).map(|_| ()),
                Cell::Number(n) if n.is_finite() => sheet.write_number(r, c, *n).map(|_| ()),
                Cell::Number(_) | Cell::Empty => Ok(()),
                Cell::Time(t) => sheet.write_datetime_with_format(r, c, cst(*t), &time).map(|_| ()),
            }
            .map_err(ApiError::internal)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(ApiError::internal)?;
    book.save_to_buffer().map_err(ApiError::internal)
}
