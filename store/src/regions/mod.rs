//! The administrative hierarchy gridhub manages — districts (区), streets (街道), communities
//! (社区) — and the departments (职能部门) of a district. Each keeps its boundary, code and name;
//! writes belong to system and district admins (`Caller::require_region_admin`).

pub mod community;
pub mod department;
pub mod district;
pub mod street;
