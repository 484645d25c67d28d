//! Every route of the service, in one table. The server is built from this table and the
//! openapi test compares it with `openapi.yaml`, so the two cannot drift apart.

mod audit;
mod auth;
mod health;
mod regions;
pub mod users;

use actix_web::http::Method;
use actix_web::{FromRequest, Handler, Responder, web};

use crate::error::method_not_allowed;

pub struct Endpoint {
    pub method: Method,
    pub path: &'static str,
    route: actix_web::Route,
}

fn ep<F, Args>(method: Method, path: &'static str, handler: F) -> Endpoint
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Endpoint { route: web::method(method.clone()).to(handler), method, path }
}

/// The table. Within a prefix, literal paths come before `{id}` paths.
pub fn endpoints() -> Vec<Endpoint> {
    use Method as M;
    vec![
        ep(M::GET, "/healthz", health::healthz),
        ep(M::GET, "/readyz", health::readyz),
        ep(M::GET, "/metrics", health::metrics),
        ep(M::POST, "/api/v1/auth/login", auth::login),
        ep(M::POST, "/api/v1/auth/wechat", auth::wechat),
        ep(M::POST, "/api/v1/auth/refresh", auth::refresh),
        ep(M::POST, "/api/v1/auth/logout", auth::logout),
        ep(M::GET, "/api/v1/auth/me", auth::me),
        ep(M::POST, "/api/v1/districts", regions::create_district),
        ep(M::GET, "/api/v1/districts", regions::list_districts),
        ep(M::GET, "/api/v1/districts/{id}", regions::get_district),
        ep(M::PATCH, "/api/v1/districts/{id}", regions::update_district),
        ep(M::POST, "/api/v1/streets", regions::create_street),
        ep(M::GET, "/api/v1/streets", regions::list_streets),
        ep(M::GET, "/api/v1/streets/{id}", regions::get_street),
        ep(M::PATCH, "/api/v1/streets/{id}", regions::update_street),
        ep(M::POST, "/api/v1/communities", regions::create_community),
        ep(M::GET, "/api/v1/communities", regions::list_communities),
        ep(M::GET, "/api/v1/communities/{id}", regions::get_community),
        ep(M::PATCH, "/api/v1/communities/{id}", regions::update_community),
        ep(M::POST, "/api/v1/users", users::create),
        ep(M::GET, "/api/v1/users", users::list),
        ep(M::GET, "/api/v1/users/{id}", users::get),
        ep(M::PATCH, "/api/v1/users/{id}", users::update),
        ep(M::POST, "/api/v1/users/{id}/password", users::set_password),
        ep(M::GET, "/api/v1/audit", audit::list),
    ]
}

/// The (method, path) pairs the server answers, for the spec test.
pub fn table() -> Vec<(Method, &'static str)> {
    endpoints().into_iter().map(|e| (e.method, e.path)).collect()
}

/// Registers the table: one resource per path, answering other methods with a 405 problem.
pub fn configure(cfg: &mut web::ServiceConfig) {
    let mut paths: Vec<(&'static str, Vec<actix_web::Route>)> = Vec::new();
    for e in endpoints() {
        match paths.iter_mut().find(|(p, _)| *p == e.path) {
            Some((_, routes)) => routes.push(e.route),
            None => paths.push((e.path, vec![e.route])),
        }
    }
    for (path, routes) in paths {
        let resource = routes.into_iter().fold(web::resource(path), |r, route| r.route(route));
        cfg.service(resource.default_service(web::to(method_not_allowed)));
    }
}
