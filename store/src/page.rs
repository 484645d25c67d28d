//! Keyset pagination: lists are ordered by id (UUIDv7, so by creation), and a page continues
//! after the last id of the previous one — stable while rows are added.

/// Which page: at most `limit` rows after the id `after`.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: i64,
    pub after: Option<String>,
}

impl Page {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 500;

    pub fn first(limit: i64) -> Self {
        Self { limit, after: None }
    }

    /// Rows to fetch: one more than the limit, to know whether another page follows.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct Paged<T> {
    pub items: Vec<T>,
    /// The id to continue after, when there are more rows.
    #[serde(skip)]
    pub next_after: Option<String>,
}

impl<T> Paged<T> {
    pub fn from_rows(mut rows: Vec<T>, page: &Page, id: impl Fn(&T) -> &str) -> Self {
        let more = rows.len() as i64 > page.limit;
        rows.truncate(page.limit as usize);
        let next_after = if more { rows.last().map(|r| id(r).to_owned()) } else { None };
        Self { items: rows, next_after }
    }
}
