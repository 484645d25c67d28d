//! Every route of the service, in one table. The server is built from this table and the
//! openapi test compares it with `openapi.yaml`, so the two cannot drift apart.

mod assignments;
mod attachments;
mod audit;
mod auth;
mod calendar;
mod campaigns;
mod cases;
mod categories;
mod cells;
mod contract;
mod departments;
mod figures;
mod health;
mod maps;
mod meetings;
mod notifications;
mod open311;
mod patrols;
mod regions;
mod residents;
mod sync;
mod tasks;
pub mod users;
mod whistles;

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};

use crate::error::method_not_allowed;

pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    route: actix_web::Route,
    /// What body size the route takes, when not the default.
    body: Option<Body>,
}

/// The routes that take large bodies, each up to its own limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Body {
    /// Cell and assignment imports: `BodyLimits::import`.
    Import,
    /// A phone's push: `BodyLimits::sync`.
    Sync,
    /// A photo's bytes: `BodyLimits::photo`.
    Photo,
}

impl Endpoint {
    fn body(mut self, body: Body) -> Self {
        self.body = Some(body);
        self
    }
}

/// Request body limits: most routes take small JSON bodies; imports, pushes and photos more.
#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    pub default: usize,
    pub import: usize,
    pub sync: usize,
    pub photo: usize,
}

fn ep<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Endpoint { route: web::method(method.clone()).to(handler), method, path, body: None }
}

/// The table. Within a prefix, literal paths come before `{id}` paths.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        ep(M::GET, "/healthz", health::healthz),
        ep(M::GET, "/readyz", health::readyz),
        ep(M::GET, "/metrics", health::metrics),
        ep(M::GET, "/openapi.yaml", contract::openapi),
        ep(M::GET, "/docs", contract::docs),
        ep(M::GET, contract::REDOC_PATH, contract::redoc),
        ep(M::POST, "/api/v1/auth/login", auth::login),
        ep(M::POST, "/api/v1/auth/wechat", auth::wechat),
        ep(M::POST, "/api/v1/auth/refresh", auth::refresh),
        ep(M::POST, "/api/v1/auth/logout", auth::logout),
        ep(M::GET, "/api/v1/auth/me", auth::me),
        ep(M::POST, "/api/v1/districts", regions::create_district),
        ep(M::GET, "/api/v1/districts", regions::list_districts),
        ep(M::GET, "/api/v1/districts/{id}", regions::get_district),
        ep(M::PATCH, "/api/v1/districts/{id}", regions::update_district),
        ep(M::GET, "/api/v1/districts/{id}/assessment-scheme", figures::get_scheme),
        ep(M::PUT, "/api/v1/districts/{id}/assessment-scheme", figures::put_scheme),
        ep(M::GET, "/api/v1/streets/{id}/staffing", assignments::street_staffing),
        ep(M::GET, "/api/v1/streets/{id}/map.svg", maps::street),
        ep(M::GET, "/api/v1/streets/{id}/digest", figures::street_digest),
        ep(M::POST, "/api/v1/streets/{id}/digest/{month}/minutes", figures::street_minutes),
        ep(M::POST, "/api/v1/streets/{id}/assignments/import", assignments::import).body(Body::Import),
        ep(M::POST, "/api/v1/streets", regions::create_street),
        ep(M::GET, "/api/v1/streets", regions::list_streets),
        ep(M::GET, "/api/v1/streets/{id}", regions::get_street),
        ep(M::PATCH, "/api/v1/streets/{id}", regions::update_street),
        ep(M::POST, "/api/v1/communities/{id}/cells/import", cells::import).body(Body::Import),
        ep(M::POST, "/api/v1/communities/{id}/cells/generate", cells::generate),
        ep(M::POST, "/api/v1/communities/{id}/governance-grids", cells::create_grid),
        ep(M::POST, "/api/v1/communities/{id}/governance-grids/generate", cells::generate_grids),
        ep(M::GET, "/api/v1/communities/{id}/coverage", cells::coverage),
        ep(M::GET, "/api/v1/communities/{id}/map.svg", maps::community),
        ep(M::GET, "/api/v1/communities/{id}/digest", figures::community_digest),
        ep(M::POST, "/api/v1/communities/{id}/digest/{month}/minutes", figures::community_minutes),
        ep(M::GET, "/api/v1/communities/{id}/staffing", assignments::community_staffing),
        ep(M::GET, "/api/v1/communities/{id}/residences", residents::of_community),
        ep(M::POST, "/api/v1/communities", regions::create_community),
        ep(M::GET, "/api/v1/communities", regions::list_communities),
        ep(M::GET, "/api/v1/communities/{id}", regions::get_community),
        ep(M::PATCH, "/api/v1/communities/{id}", regions::update_community),
        ep(M::GET, "/api/v1/cells/locate", cells::locate),
        ep(M::GET, "/api/v1/cells", cells::list),
        ep(M::GET, "/api/v1/cells/{id}", cells::get),
        ep(M::PATCH, "/api/v1/cells/{id}", cells::update),
        ep(M::GET, "/api/v1/cells/{id}/assignments", assignments::of_cell),
        ep(M::POST, "/api/v1/cells/{id}/assignments", assignments::assign),
        ep(M::POST, "/api/v1/assignments/{id}/end", assignments::end),
        ep(M::POST, "/api/v1/reassignments", assignments::batch),
        ep(M::POST, "/api/v1/users", users::create),
        ep(M::GET, "/api/v1/users", users::list),
        ep(M::GET, "/api/v1/users/{id}", users::get),
        ep(M::PATCH, "/api/v1/users/{id}", users::update),
        ep(M::POST, "/api/v1/users/{id}/password", users::set_password),
        ep(M::GET, "/api/v1/users/{id}/assignments", assignments::of_user),
        ep(M::GET, "/api/v1/me/residence", residents::get_mine),
        ep(M::PUT, "/api/v1/me/residence", residents::put_mine),
        ep(M::POST, "/api/v1/residences/{id}/verify", residents::verify),
        ep(M::POST, "/api/v1/residences/{id}/reject", residents::reject),
        ep(M::POST, "/api/v1/notices", residents::publish),
        ep(M::GET, "/api/v1/notices", residents::notices),
        ep(M::POST, "/api/v1/notices/{id}/read", residents::read),
        ep(M::POST, "/api/v1/polls", residents::open),
        ep(M::GET, "/api/v1/polls", residents::polls),
        ep(M::GET, "/api/v1/polls/{id}", residents::poll),
        ep(M::POST, "/api/v1/polls/{id}/votes", residents::vote),
        ep(M::GET, "/api/v1/audit", audit::list),
        ep(M::GET, "/api/v1/categories", categories::list),
        ep(M::POST, "/api/v1/categories", categories::create),
        ep(M::GET, "/api/v1/categories/{code}", categories::get),
        ep(M::PATCH, "/api/v1/categories/{code}", categories::update),
        ep(M::GET, "/api/v1/departments", departments::list),
        ep(M::POST, "/api/v1/departments", departments::create),
        ep(M::GET, "/api/v1/departments/{id}", departments::get),
        ep(M::PATCH, "/api/v1/departments/{id}", departments::update),
        ep(M::GET, "/api/v1/routing-rules", departments::list_rules),
        ep(M::POST, "/api/v1/routing-rules", departments::create_rule),
        ep(M::DELETE, "/api/v1/routing-rules/{id}", departments::delete_rule),
        ep(M::POST, "/api/v1/cases", cases::create),
        ep(M::GET, "/api/v1/cases", cases::list),
        ep(M::GET, "/api/v1/cases/{id}", cases::get),
        ep(M::PATCH, "/api/v1/cases/{id}", cases::update),
        ep(M::POST, "/api/v1/cases/{id}/transitions", cases::transition),
        ep(M::POST, "/api/v1/cases/{id}/merge", cases::merge),
        ep(M::GET, "/api/v1/cases/{id}/events", cases::events),
        ep(M::POST, "/api/v1/cases/{id}/whistle", whistles::blow),
        ep(M::POST, "/api/v1/whistles", whistles::blow_new),
        ep(M::GET, "/api/v1/whistles", whistles::list),
        ep(M::GET, "/api/v1/whistles/{id}", whistles::get),
        ep(M::POST, "/api/v1/whistles/{id}/report-in", whistles::report_in),
        ep(M::POST, "/api/v1/whistles/{id}/plan", whistles::plan),
        ep(M::POST, "/api/v1/whistles/{id}/close", whistles::close),
        ep(M::POST, "/api/v1/whistles/{id}/ratings", whistles::rate),
        ep(M::POST, "/api/v1/cases/{id}/whistle-requests", whistles::request),
        ep(M::GET, "/api/v1/whistle-requests", whistles::requests),
        ep(M::POST, "/api/v1/whistle-requests/{id}/grant", whistles::grant),
        ep(M::POST, "/api/v1/whistle-requests/{id}/decline", whistles::decline),
        ep(M::POST, "/api/v1/campaigns", campaigns::create),
        ep(M::GET, "/api/v1/campaigns", campaigns::list),
        ep(M::GET, "/api/v1/campaigns/{id}", campaigns::get),
        ep(M::POST, "/api/v1/campaigns/{id}/transitions", campaigns::transition),
        ep(M::POST, "/api/v1/campaigns/{id}/notices", campaigns::publish),
        ep(M::GET, "/api/v1/campaigns/{id}/notices", campaigns::notices),
        ep(M::POST, "/api/v1/campaigns/{id}/notices/{notice_id}/sign", campaigns::sign),
        ep(M::GET, "/api/v1/campaigns/{id}/figures", campaigns::figures),
        ep(M::GET, "/api/v1/campaigns/{id}/chart.svg", campaigns::chart),
        ep(M::GET, "/api/v1/patrols", patrols::list),
        ep(M::POST, "/api/v1/patrol-plans", patrols::create_plan),
        ep(M::GET, "/api/v1/patrol-plans/{id}/coverage", patrols::coverage),
        ep(M::GET, "/api/v1/agenda-classes", meetings::classes),
        ep(M::POST, "/api/v1/agenda-classes", meetings::add_class),
        ep(M::POST, "/api/v1/agenda-items", meetings::raise),
        ep(M::GET, "/api/v1/agenda-items", meetings::items),
        ep(M::GET, "/api/v1/agenda-items/candidates", meetings::candidates),
        ep(M::GET, "/api/v1/agenda-items/{id}", meetings::item),
        ep(M::POST, "/api/v1/agenda-items/{id}/transitions", meetings::item_transition),
        ep(M::POST, "/api/v1/meetings", meetings::create),
        ep(M::GET, "/api/v1/meetings", meetings::list),
        ep(M::GET, "/api/v1/meetings/{id}", meetings::get),
        ep(M::POST, "/api/v1/meetings/{id}/agenda", meetings::agenda),
        ep(M::POST, "/api/v1/meetings/{id}/transitions", meetings::transition),
        ep(M::POST, "/api/v1/meetings/{id}/decisions", meetings::decide),
        ep(M::GET, "/api/v1/meetings/{id}/plan", meetings::plan),
        ep(M::GET, "/api/v1/meetings/{id}/plan.svg", meetings::plan_svg),
        ep(M::GET, "/api/v1/meetings/{id}/report", meetings::report),
        ep(M::GET, "/api/v1/meetings/{id}/minutes", meetings::minutes),
        ep(M::PUT, "/api/v1/districts/{id}/consultation-rotation", meetings::put_rotation),
        ep(M::GET, "/api/v1/districts/{id}/consultation-rotation", meetings::rotation),
        ep(M::POST, "/api/v1/tasks", tasks::create),
        ep(M::GET, "/api/v1/tasks", tasks::list),
        ep(M::GET, "/api/v1/tasks/{id}", tasks::get),
        ep(M::POST, "/api/v1/tasks/{id}/transitions", tasks::transition),
        ep(M::POST, "/api/v1/tasks/{id}/decompose", tasks::decompose),
        ep(M::POST, "/api/v1/tasks/{id}/progress", tasks::progress),
        ep(M::GET, "/api/v1/sync/quarantine", sync::quarantine),
        ep(M::GET, "/api/v1/sync/schema", sync::phone_schema),
        ep(M::GET, "/api/v1/sync", sync::pull),
        ep(M::POST, "/api/v1/sync", sync::push).body(Body::Sync),
        ep(M::PUT, "/api/v1/attachments/{sha256}", attachments::put).body(Body::Photo),
        ep(M::GET, "/api/v1/attachments/{sha256}", attachments::get),
        ep(M::GET, "/api/v1/calendar/{year}", calendar::get),
        ep(M::PUT, "/api/v1/calendar/{year}", calendar::put),
        ep(M::GET, "/api/v1/notifications", notifications::list),
        ep(M::GET, "/api/v1/todo", figures::todo),
        ep(M::GET, "/api/v1/figures", figures::figures),
        ep(M::GET, "/api/v1/figures/chart.svg", figures::chart),
        ep(M::GET, "/api/v1/rankings", figures::rankings),
        ep(M::GET, "/api/v1/webhook-deliveries", notifications::deliveries),
        ep(M::POST, "/api/v1/webhook-deliveries/{id}/retry", notifications::retry),
        ep(M::POST, "/api/v1/open311/keys", open311::issue_key),
        ep(M::GET, "/api/v1/open311/keys", open311::keys),
        ep(M::DELETE, "/api/v1/open311/keys/{id}", open311::revoke_key),
        ep(M::GET, "/open311/v2/discovery.{format}", open311::discovery),
        ep(M::GET, "/open311/v2/services.{format}", open311::services),
        ep(M::GET, "/open311/v2/services/{code}.{format}", open311::service),
        ep(M::POST, "/open311/v2/requests.{format}", open311::create),
        ep(M::GET, "/open311/v2/requests.{format}", open311::list),
        ep(M::GET, "/open311/v2/requests/{id}.{format}", open311::get),
    ]
}

/// The (method, path) pairs the server answers, for the spec test.
pub fn table() -> Vec<(Method, &'static str)> {
    endpoints().into_iter().map(|e| (e.method, e.path)).collect()
}

/// Registers the table: one resource per path, answering other methods with a 405 problem. The
/// resources under `/api/v1/<collection>` are grouped in one scope per collection, so that a
/// request is matched against its collection's few patterns rather than every `{id}` pattern
/// of the table in turn (that walk cost `locate` a fifth of its time).
pub fn configure(cfg: &mut web::ServiceConfig, limits: BodyLimits) {
    // per path: its body limit, its routes and their methods
    type Resource = (&'static str, Option<Body>, Vec<actix_web::Route>, Vec<Method>);
    let mut paths: Vec<Resource> = Vec::new();
    for e in endpoints() {
        match paths.iter_mut().find(|(p, _, _, _)| *p == e.path) {
            Some((_, body, routes, methods)) => {
                *body = body.or(e.body);
                routes.push(e.route);
                methods.push(e.method);
            }
            None => paths.push((e.path, e.body, vec![e.route], vec![e.method])),
        }
    }
    let mut scopes: Vec<(&'static str, Vec<actix_web::Resource>)> = Vec::new();
    for (path, body, routes, methods) in paths {
        let (scope, rest) = split_collection(path);
        let allow = methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
        let mut resource = routes.into_iter().fold(web::resource(rest), |r, route| r.route(route));
        let limit = match body {
            None => None,
            Some(Body::Import) => Some(limits.import),
            Some(Body::Sync) => Some(limits.sync),
            Some(Body::Photo) => Some(limits.photo),
        };
        if let Some(limit) = limit {
            resource = resource.app_data(web::PayloadConfig::new(limit));
        }
        let resource = resource.default_service(web::to(move || {
            let allow = allow.clone();
            async move { method_not_allowed(&allow) }
        }));
        match scope {
            None => {
                cfg.service(resource);
            }
            Some(prefix) => match scopes.iter_mut().find(|(p, _)| *p == prefix) {
                Some((_, resources)) => resources.push(resource),
                None => scopes.push((prefix, vec![resource])),
            },
        };
    }
    for (prefix, resources) in scopes {
        cfg.service(resources.into_iter().fold(web::scope(prefix), actix_web::Scope::service));
    }
}

/// `/api/v1/cells/{id}` → (`/api/v1/cells`, `/{id}`); a path outside `/api/v1/` has no scope.
fn split_collection(path: &'static str) -> (Option<&'static str>, &'static str) {
    let Some(rest) = path.strip_prefix("/api/v1/") else { return (None, path) };
    let end = "/api/v1/".len() + rest.find('/').unwrap_or(rest.len());
    (Some(&path[..end]), &path[end..])
}
