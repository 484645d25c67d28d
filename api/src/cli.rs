//! The command line: `serve`, `migrate`, `user create`, `demo`. Settings are global flags, so
//! `gridhub serve --help` lists every one with its environment variable.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use gridhub_store::user::{self, NewUser};
use gridhub_store::{Caller, Pool, Role, StoreError};

use crate::config::{Settings, SettingsLayer};
use crate::startup::{Application, open_database};
use crate::{auth, demo, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "gridhub",
    version,
    about = "Grid management (网格化管理) for street offices, grid workers, departments and residents"
)]
pub struct Cli {
    /// Settings file [default: ./gridhub.toml when it exists]
    #[arg(long, env = "GRIDHUB_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: SettingsLayer,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates the database first)
    Serve {
        /// Load the demo data set if the database is empty, and print the demo accounts
        #[arg(long)]
        demo: bool,
    },
    /// Apply the database migrations and exit
    Migrate,
    /// Manage user accounts
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Load the demo data set into an empty database
    Demo,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account (the first system admin comes from here)
    Create {
        #[arg(long)]
        username: String,
        #[arg(long, env = "GRIDHUB_USER_PASSWORD", hide_env_values = true)]
        password: String,
        /// system_admin, district_admin, street_admin, community_admin, grid_worker,
        /// volunteer, dept_staff or resident
        #[arg(long)]
        role: String,
        /// The district, street, community or department the role answers for
        #[arg(long)]
        scope_id: Option<String>,
        #[arg(long)]
        display_name: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
}

/// Runs the command; the error is what to tell the operator.
pub async fn run(cli: Cli) -> Result<(), String> {
    let settings = Settings::load(cli.settings, cli.config.as_deref())?;
    telemetry::init(&settings.log);
    match cli.command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => {
            let pool = open(&settings)?;
            drop(pool);
            println!("database at {} is up to date", settings.database_url);
            Ok(())
        }
        Command::User { command: UserCommand::Create { username, password, role, scope_id, display_name, phone } } => {
            let role = Role::parse(&role).ok_or_else(|| format!("unknown role {role:?}; one of: {}", role_names()))?;
            if password.chars().count() < 8 {
                return Err("the password must be at least 8 characters".into());
            }
            let pool = open(&settings)?;
            let new = NewUser {
                display_name: display_name.unwrap_or_else(|| username.clone()),
                username,
                password_hash: Some(auth::hash_password(&password)),
                phone,
                role,
                scope_id,
            };
            let u = user::create(&mut *gridhub_store::db::get(&pool).map_err(explain)?, &Caller::system(), new)
                .map_err(explain)?;
            println!("created {} ({}) with id {}", u.username, u.role, u.id);
            Ok(())
        }
        Command::Demo => {
            let pool = open(&settings)?;
            load_demo(&pool)
        }
    }
}

fn role_names() -> String {
    Role::ALL.map(Role::as_str).join(", ")
}

fn explain(e: StoreError) -> String {
    match e {
        StoreError::Invalid(problems) => {
            problems.iter().map(|p| format!("{}: {}", p.field, p.detail)).collect::<Vec<_>>().join("; ")
        }
        other => other.to_string(),
    }
}

fn open(settings: &Settings) -> Result<Pool, String> {
    open_database(&settings.database_url, settings.db_pool_size).map_err(explain)
}

fn load_demo(pool: &Pool) -> Result<(), String> {
    let mut conn = gridhub_store::db::get(pool).map_err(explain)?;
    match demo::load(&mut conn).map_err(explain)? {
        Some(accounts) => {
            println!("demo data loaded: 东湖区 (360102), 2 streets, 6 communities, 4 departments.");
            println!("demo accounts, all with the password {:?}:", demo::PASSWORD);
            for (username, role) in accounts {
                println!("  {username:<20} {role}");
            }
            Ok(())
        }
        None => {
            println!("the database already holds data; the demo data set was not loaded");
            Ok(())
        }
    }
}

async fn serve(settings: Settings, demo: bool) -> Result<(), String> {
    let app = Application::build(settings.clone()).await?;
    if demo {
        let pool = app.pool().clone();
        actix_web::web::block(move || load_demo(&pool)).await.map_err(|e| e.to_string())??;
    }
    tracing::info!(bind = %settings.bind, port = app.port(), database = %settings.database_url, "gridhub is serving");
    let handle = app.handle();
    actix_web::rt::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing the requests in flight");
        handle.stop(true).await;
    });
    app.run_until_stopped().await.map_err(|e| e.to_string())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = std::pin::pin!(actix_web::rt::signal::ctrl_c());
    #[cfg(unix)]
    {
        use actix_web::rt::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
        futures_util::future::select(ctrl_c, std::pin::pin!(term.recv())).await;
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
