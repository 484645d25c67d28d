//! 派遣规则 — routing rules: which department a case of a category goes to, in one street or in
//! every street of a district. The first rule by explicit priority (lowest number first) wins;
//! among equal priorities a street's own rule beats a district-wide one, and a 小类 rule beats
//! its 大类's. Without a rule, the category's default department of the district is chosen.
//! The choice and its reason are recorded on the case.

use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::category::{self, Category};
use crate::access::{Caller, Place, Reach, audit};
use crate::db::DbConn;
use crate::error::{StoreError, StoreResult};
use crate::regions::department::{self, Department};
use crate::regions::street;
use crate::schema::routing_rules;
use crate::time::now;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize)]
#[diesel(table_name = routing_rules)]
pub struct Rule {
    pub id: String,
    pub district_id: String,
    pub category_code: String,
    pub street_id: Option<String>,
    pub department_id: String,
    pub priority: i32,
    pub created_by: Option<String>,
    #[serde(serialize_with = "crate::time::serialize")]
    pub created_at: chrono::NaiveDateTime,
}

impl Rule {
    fn place(&self) -> Place {
        match &self.street_id {
            Some(s) => Place::street(&self.district_id, s),
            None => Place::district(&self.district_id),
        }
    }
}

/// Rules are written by system and district admins, and by a street office for its own street.
fn require_rule_admin(caller: &Caller, place: &Place) -> StoreResult<()> {
    let allowed = caller.role.is_office() && caller.reach().covers(place);
    if allowed {
        Ok(())
    } else {
        Err(StoreError::Forbidden(format!(
            "a {} may not write routing rules there (street offices: their own street; district admins: their district)",
            caller.role.as_str()
        )))
    }
}

pub struct NewRule {
    pub category_code: String,
    pub street_id: Option<String>,
    pub department_id: String,
    pub priority: i32,
}

pub fn create(conn: &mut DbConn, caller: &Caller, new: NewRule) -> StoreResult<Rule> {
    crate::db::write(conn, |conn| {
        let dept = department::find(conn, caller, &new.department_id).map_err(|_| {
            StoreError::invalid("department_id", format!("no department has the id {}", new.department_id))
        })?;
        category::get(conn, &new.category_code).map_err(|_| {
            StoreError::invalid("category_code", format!("{} is not in the category catalogue", new.category_code))
        })?;
        if let Some(s) = &new.street_id {
            let street = street::find(conn, caller, s)
                .map_err(|_| StoreError::invalid("street_id", format!("no street has the id {s}")))?;
            if street.district_id != dept.district_id {
                return Err(StoreError::invalid(
                    "street_id",
                    "the street and the department are in different districts",
                ));
            }
        }
        if let Some(own) = &dept.street_id
            && new.street_id.as_ref() != Some(own)
        {
            return Err(StoreError::invalid(
                "street_id",
                format!("{} is a street's own unit: its rules name that street", dept.name),
            ));
        }
        let rule = Rule {
            id: uuid::Uuid::now_v7().to_string(),
            district_id: dept.district_id.clone(),
            category_code: new.category_code,
            street_id: new.street_id,
            department_id: dept.id,
            priority: new.priority,
            created_by: caller.actor_id().map(str::to_owned),
            created_at: now(),
        };
        require_rule_admin(caller, &rule.place())?;
        diesel::insert_into(routing_rules::table).values(&rule).execute(conn)?;
        audit::record(conn, caller, "routing_rule.create", ("routing_rule", &rule.id), &rule.place(), json!(rule))?;
        Ok(rule)
    })
}

fn get(conn: &mut DbConn, id: &str) -> StoreResult<Rule> {
    routing_rules::table
        .find(id)
        .select(Rule::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| StoreError::not_found("routing rule", id))
}

pub fn delete(conn: &mut DbConn, caller: &Caller, id: &str) -> StoreResult<()> {
    crate::db::write(conn, |conn| {
        let reach = caller.reach();
        let rule = get(conn, id)?;
        if !reach.sees(&rule.place()) {
            return Err(StoreError::not_found("routing rule", id));
        }
        require_rule_admin(caller, &rule.place())?;
        diesel::delete(routing_rules::table.find(id)).execute(conn)?;
        audit::record(conn, caller, "routing_rule.delete", ("routing_rule", id), &rule.place(), json!(rule))?;
        Ok(())
    })
}

/// The rules the caller may read (those of their district and street), in the order they are
/// tried; optionally of one category (and its 大类) or one street.
pub fn list(
    conn: &mut DbConn,
    caller: &Caller,
    category_code: Option<&str>,
    street_id: Option<&str>,
) -> StoreResult<Vec<Rule>> {
    let reach = caller.reach();
    let mut q = routing_rules::table.select(Rule::as_select()).into_boxed();
    match reach.district() {
        _ if *reach == Reach::Everywhere => {}
        Some(d) if caller.role.is_admin() => q = q.filter(routing_rules::district_id.eq(d.to_owned())),
        _ => return Ok(Vec::new()),
    }
    if let Some(s) = street_id {
        q = q.filter(routing_rules::street_id.eq(s.to_owned()));
    }
    let mut rules: Vec<Rule> = q.load(conn)?;
    rules.retain(|r| reach.sees(&r.place()));
    if let Some(code) = category_code {
        rules.retain(|r| covers(&r.category_code, code));
    }
    rules.sort_by_key(order);
    Ok(rules)
}

/// Whether a rule on `rule_code` applies to a case of `code`: the same category, or its 大类.
fn covers(rule_code: &str, code: &str) -> bool {
    rule_code == code || (rule_code.len() == 4 && code.starts_with(rule_code))
}

/// The order rules are tried in: priority, then the more specific first, then the older.
fn order(r: &Rule) -> (i32, bool, std::cmp::Reverse<usize>, String) {
    (r.priority, r.street_id.is_none(), std::cmp::Reverse(r.category_code.len()), r.id.clone())
}

/// Why a department was chosen.
#[derive(Debug, Clone, Serialize)]
pub struct Decision {
    pub department_id: String,
    pub department_name: String,
    /// `explicit` (named by the dispatcher), `rule`, or `category_default`.
    pub by: &'static str,
    pub rule_id: Option<String>,
}

/// The department a case of `category` in `street_id` of `district_id` goes to, by the first
/// matching rule or else the category's default department; `None` when neither gives one.
pub fn choose(
    conn: &mut DbConn,
    district_id: &str,
    street_id: Option<&str>,
    category: &Category,
) -> StoreResult<Option<Decision>> {
    let mut rules: Vec<Rule> =
        routing_rules::table.filter(routing_rules::district_id.eq(district_id)).select(Rule::as_select()).load(conn)?;
    rules.retain(|r| {
        covers(&r.category_code, &category.code) && (r.street_id.is_none() || r.street_id.as_deref() == street_id)
    });
    rules.sort_by_key(order);
    if let Some(rule) = rules.into_iter().next() {
        let d = department::get(conn, &rule.department_id)?;
        return Ok(Some(decision(d, "rule", Some(rule.id))));
    }
    let Some(code) = &category.default_department else { return Ok(None) };
    Ok(department::by_code(conn, district_id, code)?.map(|d| decision(d, "category_default", None)))
}

pub fn decision(d: Department, by: &'static str, rule_id: Option<String>) -> Decision {
    Decision { department_id: d.id, department_name: d.name, by, rule_id }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(id: &str, code: &str, street: Option<&str>, priority: i32) -> Rule {
        Rule {
            id: id.into(),
            district_id: "d".into(),
            category_code: code.into(),
            street_id: street.map(Into::into),
            department_id: "x".into(),
            priority,
            created_by: None,
            created_at: now(),
        }
    }

    #[test]
    fn rules_are_tried_by_priority_then_specificity() {
        let mut rules = [
            rule("a", "SJ05", None, 10),
            rule("b", "SJ0501", None, 10),
            rule("c", "SJ0501", Some("s"), 10),
            rule("d", "SJ05", Some("s"), 1),
        ];
        rules.sort_by_key(order);
        let ids: Vec<&str> = rules.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, ["d", "c", "b", "a"]);
        assert!(covers("SJ05", "SJ0501") && covers("SJ0501", "SJ0501"));
        assert!(!covers("SJ0501", "SJ05") && !covers("SJ05", "SJ0601") && !covers("SJ0502", "SJ0501"));
    }
}
