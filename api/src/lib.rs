//! gridhub: the HTTP service of grid management — routes, authentication, configuration,
//! start-up, and the command line. Handlers are thin: extract, check input, call the store.
//!
//! The rules of the domain live in gridhub-store; nothing here decides them twice.

pub mod auth;
pub mod caller;
pub mod cli;
pub mod config;
pub mod demo;
pub mod error;
pub mod exports;
pub mod geojson;
pub mod grid;
pub mod input;
pub mod language;
pub mod metrics;
pub mod outbound;
pub mod photos;
pub mod pictures;
pub mod routes;
pub mod startup;
pub mod state;
pub mod subscribe;
pub mod telemetry;
pub mod tls;
pub mod views;
pub mod workers;

pub use config::Settings;
pub use startup::Application;
