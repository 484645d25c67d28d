//! The end-to-end suite: one test binary, every test on both backends (see support/).

mod assignments;
mod auth;
mod cases;
mod cells;
mod conventions;
mod demo;
mod desk;
mod grids;
mod hardening;
mod identity;
mod offices;
mod openapi;
mod persistence;
mod phones;
mod regions;
mod residents;
mod supervision;
mod tasks;
