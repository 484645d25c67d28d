//! A community's consultations (居民议事 / 征询): a question with options, open for a while; each
//! verified resident of the community votes once and may change their vote until it closes — the
//! database holds one vote per resident (the primary key of `poll_votes`), whatever requests race.
//! Residents see the result once it has closed; the office sees the turnout and the result.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use super::{office_of, residence};
use crate::access::{Caller, Role};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::input::Check;
use crate::notify::{About, Recipient, notify};
use crate::schema::{poll_votes, polls};
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = polls)]
pub struct Poll {
    pub id: String,
    pub community_id: String,
    pub question: String,
    #[serde(serialize_with = "crate::time::json_text")]
    pub options: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub opens_at: NaiveDateTime,
    #[serde(serialize_with = "crate::time::serialize")]
    pub closes_at: NaiveDateTime,
    #[serde(skip)]
    pub author_id: String,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: NaiveDateTime,
}

/// A poll as its reader sees it: its state, the caller's vote, and — for the office, or for
/// residents once it has closed — the votes per option and the turnout.
#[derive(Debug, Clone, Serialize)]
pub struct PollView {
    #[serde(flatten)]
    pub poll: Poll,
    /// `upcoming`, `open` or `closed`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub my_choice: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub votes: Option<Vec<i64>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voters: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residents: Option<i64>,
    /// Votes ÷ verified residents (`null` when the community has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub turnout: Option<Option<f64>>,
}

#[derive(Debug, Clone)]
pub struct NewPoll {
    pub community_id: String,
    pub question: String,
    pub options: Vec<String>,
    pub opens_at: Option<NaiveDateTime>,
    pub closes_at: Option<NaiveDateTime>,
}

fn state(p: &Poll, at: NaiveDateTime) -> &'static str {
    if at < p.opens_at {
        "upcoming"
    } else if at < p.closes_at {
        "open"
    } else {
        "closed"
    }
}

fn options(p: &Poll) -> Vec<String> {
    serde_json::from_str(&p.options).unwrap_or_default()
}

/// The community opens a consultation; its verified residents are told.
pub fn open(conn: &mut DbConn, caller: &Caller, new: NewPoll) -> StoreResult<PollView> {
    office_of(conn, caller, &new.community_id)?;
    let mut check = Check::default();
    let question = check.text("question", &new.question, 500, true);
    if !(2..=10).contains(&new.options.len()) {
        check.push("options", "must offer 2 to 10 options");
    }
    let options: Vec<String> =
        new.options.iter().enumerate().map(|(i, o)| check.text(&format!("options[{i}]"), o, 100, true)).collect();
    for (i, o) in options.iter().enumerate() {
        if options[..i].contains(o) && !o.is_empty() {
            check.push(format!("options[{i}]"), "is named twice");
        }
    }
    let at = now();
    let opens_at = new.opens_at.unwrap_or(at);
    match new.closes_at {
        None => check.push("closes_at", "is required: when the consultation closes"),
        Some(c) if c <= opens_at => check.push("closes_at", "must be after opens_at"),
        Some(c) if c <= at => check.push("closes_at", "must be in the future"),
        Some(c) if c - opens_at > chrono::Duration::days(92) => {
            check.push("closes_at", "a consultation is open for at most 92 days")
        }
        _ => {}
    }
    check.done()?;
    crate::db::write(conn, |conn| {
        let p = Poll {
            id: uuid::Uuid::now_v7().to_string(),
            community_id: new.community_id.clone(),
            question: question.clone(),
            options: serde_json::to_string(&options).unwrap_or_else(|_| "[]".into()),
            opens_at,
            closes_at: new.closes_at.unwrap_or(at),
            author_id: caller.user_id.to_string(),
            created_at: at,
        };
        diesel::insert_into(polls::table).values(&p).execute(conn)?;
        let residents = residence::residents_of(conn, &p.community_id, None)?;
        let about = About::default();
        for user in &residents {
            notify(
                conn,
                Recipient::User(user),
                "poll.opened",
                about,
                format!("居民议事：{}，欢迎参与投票", p.question),
            )?;
        }
        view(conn, caller, p, at)
    })
}

fn view(conn: &mut DbConn, caller: &Caller, p: Poll, at: NaiveDateTime) -> StoreResult<PollView> {
    let state = state(&p, at);
    let my_choice: Option<i32> = poll_votes::table
        .filter(poll_votes::poll_id.eq(&p.id))
        .filter(poll_votes::user_id.eq(caller.user_id.as_str()))
        .select(poll_votes::choice)
        .first(conn)
        .optional()?;
    let mut v = PollView { state, my_choice, votes: None, voters: None, residents: None, turnout: None, poll: p };
    if caller.role != Role::Resident || state == "closed" {
        let residents = residence::residents_of(conn, &v.poll.community_id, None)?;
        let choices: Vec<i32> = poll_votes::table
            .filter(poll_votes::poll_id.eq(&v.poll.id))
            .filter(poll_votes::user_id.eq_any(&residents))
            .select(poll_votes::choice)
            .load(conn)?;
        let mut votes = vec![0i64; options(&v.poll).len()];
        for c in &choices {
            if let Some(n) = votes.get_mut(*c as usize) {
                *n += 1;
            }
        }
        let voters = choices.len() as i64;
        v.votes = Some(votes);
        v.voters = Some(voters);
        v.residents = Some(residents.len() as i64);
        v.turnout = Some((!residents.is_empty()).then(|| voters as f64 / residents.len() as f64));
    }
    Ok(v)
}

/// The consultations the caller may see, newest first: a verified resident's community's, or
/// an office's of one community or of all in its reach.
pub fn list(conn: &mut DbConn, caller: &Caller, community_id: Option<&str>) -> StoreResult<Vec<PollView>> {
    let communities = if caller.role == Role::Resident {
        match residence::verified(conn, &caller.user_id)? {
            Some((c, _)) => vec![c],
            None => return Ok(Vec::new()),
        }
    } else {
        super::communities_for(conn, caller, community_id)?
    };
    let rows: Vec<Poll> = polls::table
        .filter(polls::community_id.eq_any(&communities))
        .order(polls::created_at.desc())
        .select(Poll::as_select())
        .limit(100)
        .load(conn)?;
    let at = now();
    rows.into_iter().map(|p| view(conn, caller, p, at)).collect()
}

/// One consultation, as `list` shows it.
pub fn find(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<PollView> {
    let p = get(conn, id)?;
    readable(conn, caller, &p)?;
    view(conn, caller, p, now())
}

fn get(conn: &mut DbConn, id: &str) -> StoreResult<Poll> {
    polls::table
        .find(id)
        .select(Poll::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("poll", id))
}

/// A resident reads their verified community's polls; an office those of communities in reach.
fn readable(conn: &mut DbConn, caller: &Caller, p: &Poll) -> StoreResult<()> {
    let ok = if caller.role == Role::Resident {
        residence::verified(conn, &caller.user_id)?.is_some_and(|(c, _)| c == p.community_id)
    } else {
        office_of(conn, caller, &p.community_id).is_ok()
    };
    if ok { Ok(()) } else { Err(StoreError::not_found("poll", &p.id)) }
}

/// A verified resident of the community votes, or changes their vote, while the poll is open.
pub fn vote(conn: &mut DbConn, caller: &Caller, id: &str, choice: i64) -> StoreResult<PollView> {
    let p = get(conn, id)?;
    readable(conn, caller, &p)?;
    if caller.role != Role::Resident {
        return Err(StoreError::Forbidden("only the community's verified residents vote".into()));
    }
    let n = options(&p).len() as i64;
    if !(0..n).contains(&choice) {
        return Err(StoreError::invalid("choice", format!("must be the number of an option, 0 to {}", n - 1)));
    }
    let at = now();
    match state(&p, at) {
        "open" => {}
        s => {
            return Err(StoreError::NotAllowedNow {
                detail: format!("the consultation is {s}; votes are taken while it is open"),
                allowed: Vec::new(),
            });
        }
    }
    let choice = choice as i32;
    let row = (
        poll_votes::poll_id.eq(id),
        poll_votes::user_id.eq(caller.user_id.as_str()),
        poll_votes::choice.eq(choice),
        poll_votes::voted_at.eq(at),
    );
    // one row per resident: a second vote replaces the first, in the database's own terms
    crate::db::per_backend!(conn, c => diesel::insert_into(poll_votes::table)
        .values(row)
        .on_conflict((poll_votes::poll_id, poll_votes::user_id))
        .do_update()
        .set((poll_votes::choice.eq(choice), poll_votes::voted_at.eq(at)))
        .execute(c))?;
    view(conn, caller, p, at)
}
