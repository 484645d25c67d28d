//! The command line: `serve`, `migrate`, `user create`, `demo`. Settings are global flags, so
//! `gridhub serve --help` lists every one with its environment variable.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use gridhub_store::people::user::{self, NewUser};
use gridhub_store::regions::community;
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
    /// Divide communities into grid cells
    Cells {
        #[command(subcommand)]
        command: CellsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum CellsCommand {
    /// Import a GeoJSON FeatureCollection of cells (properties: code, name, households), all or nothing
    Import {
        /// The .geojson file
        file: PathBuf,
        /// The community's 12-digit code
        #[arg(long)]
        community: String,
        /// The coordinate system of the file: wgs84, gcj02 or bd09
        #[arg(long, default_value = "wgs84")]
        crs: String,
        /// governance (网格) or unit (单元网格)
        #[arg(long, default_value = "governance")]
        layer: String,
    },
    /// Divide a community into square or hexagonal cells
    Generate {
        /// The community's 12-digit code
        #[arg(long)]
        community: String,
        /// square or hex
        #[arg(long, default_value = "square")]
        shape: String,
        /// Target area of a cell, m²
        #[arg(long, default_value_t = 10_000.0)]
        target_area: f64,
        /// governance (网格) or unit (单元网格)
        #[arg(long, default_value = "governance")]
        layer: String,
        /// Retire the community's existing cells
        #[arg(long)]
        replace: bool,
        /// Show what would be made, store nothing
        #[arg(long)]
        dry_run: bool,
    },
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
    telemetry::init(&settings.server.log);
    match cli.command {
        Command::Serve { demo } => serve(settings, demo).await,
        Command::Migrate => {
            let pool = open(&settings)?;
            drop(pool);
            println!("database at {} is up to date", settings.database.database_url.as_url_for_logs());
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
        Command::Cells { command } => cells(&settings, command),
    }
}

/// A one-line progress bar on stderr, drawn only when stderr is a terminal.
struct Progress {
    label: &'static str,
    total: usize,
    shown: usize,
    tty: bool,
}

impl Progress {
    fn new(label: &'static str, total: usize) -> Self {
        Self {
            label,
            total: total.max(1),
            shown: usize::MAX,
            tty: std::io::IsTerminal::is_terminal(&std::io::stderr()),
        }
    }

    fn set(&mut self, done: usize) {
        let percent = done * 100 / self.total;
        if self.tty && percent != self.shown {
            self.shown = percent;
            let filled = percent / 4;
            eprint!(
                "\r{} [{}{}] {percent:>3}% ({done}/{})",
                self.label,
                "█".repeat(filled),
                "░".repeat(25 - filled),
                self.total
            );
        }
    }

    fn finish(&mut self) {
        self.shown = usize::MAX;
        self.set(self.total);
        if self.tty {
            eprintln!();
        }
    }
}

fn cells(settings: &Settings, command: CellsCommand) -> Result<(), String> {
    use gridhub_store::grid::{Layer, generate, import};
    let pool = open(settings)?;
    let mut conn = gridhub_store::db::get(&pool).map_err(explain)?;
    let system = Caller::system();
    match command {
        CellsCommand::Import { file, community, crs, layer } => {
            let crs = gridhub_geo::Crs::parse(&crs).ok_or("--crs must be wgs84, gcj02 or bd09")?;
            let layer = Layer::parse(&layer).ok_or("--layer must be governance or unit")?;
            let c = community::find_by_code(&mut conn, &system, &community).map_err(explain)?;
            let text = std::fs::read_to_string(&file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
            let body: serde_json::Value =
                serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", file.display()))?;
            let total = body["features"].as_array().map_or(0, Vec::len);
            let request = import::ImportRequest {
                layer,
                body,
                crs,
                limits: settings.limits(),
                max_vertices: settings.grid.max_import_vertices,
            };
            let why = |e: StoreError| match e {
                StoreError::Invalid(problems) => refused(&file, &problems),
                StoreError::InvalidMany { first, .. } => refused(&file, &first),
                other => explain(other),
            };
            let mut progress = Progress::new("checking", total);
            let features = import::read(&request, |i| progress.set(i)).map_err(why)?;
            progress.finish();
            eprintln!("storing {} cells in {} ({})…", features.len(), c.name, c.code);
            let outcome = import::import(&mut conn, &system, &c.id, &request).map_err(why)?;
            println!("{}: {} cells created, {} updated", c.name, outcome.created, outcome.updated);
        }
        CellsCommand::Generate { community, shape, target_area, layer, replace, dry_run } => {
            let layer = Layer::parse(&layer).ok_or("--layer must be governance or unit")?;
            let tiling = match shape.as_str() {
                "square" => gridhub_geo::grid::Tiling::Square,
                "hex" => gridhub_geo::grid::Tiling::Hex,
                _ => return Err("--shape must be square or hex".into()),
            };
            if !(100.0..=1_000_000.0).contains(&target_area) {
                return Err("--target-area must be from 100 to 1000000 m²".into());
            }
            let c = community::find_by_code(&mut conn, &system, &community).map_err(explain)?;
            let options = generate::GenerateOptions {
                layer,
                tiling,
                target_area_m2: target_area,
                merge_below: 0.2,
                dry_run,
                replace,
            };
            let made = generate::generate(&mut conn, &system, &c.id, &options).map_err(explain)?;
            let area: f64 = made.iter().map(|m| m.area_m2).sum();
            let verb = if dry_run { "would be divided" } else { "divided" };
            println!(
                "{} ({}) {verb} into {} {shape} cells, {:.0} m² on average",
                c.name,
                c.code,
                made.len(),
                area / made.len().max(1) as f64
            );
        }
    }
    Ok(())
}

fn role_names() -> String {
    Role::ALL.map(Role::as_str).join(", ")
}

/// The problems of a refused file, a line each.
fn refused(file: &std::path::Path, problems: &[gridhub_store::FieldProblem]) -> String {
    let lines: Vec<String> = problems.iter().map(|p| format!("  {}: {}", p.field, p.detail)).collect();
    format!("{} is not imported:\n{}", file.display(), lines.join("\n"))
}

fn explain(e: StoreError) -> String {
    e.to_string()
}

fn open(settings: &Settings) -> Result<Pool, String> {
    open_database(settings.database.database_url.expose(), settings.database.db_pool_size).map_err(explain)
}

fn load_demo(pool: &Pool) -> Result<(), String> {
    let mut conn = gridhub_store::db::get(pool).map_err(explain)?;
    match demo::load(&mut conn).map_err(explain)? {
        Some(loaded) => {
            println!(
                "demo data loaded: 东湖区 (360102), 2 streets, {} communities in {} grids of {} unit grids, {} departments, {} cases, {} tasks.",
                loaded.communities, loaded.grids, loaded.units, loaded.departments, loaded.cases, loaded.tasks
            );
            println!("demo accounts, all with the password {:?}:", demo::PASSWORD);
            for (username, role) in loaded.accounts {
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
    if demo {
        // before the server starts, so that its grid index has the demo's cells from the first request
        let pool = open(&settings)?;
        actix_web::web::block(move || load_demo(&pool)).await.map_err(|e| e.to_string())??;
    }
    let app = Application::build(settings.clone()).await?;
    tracing::info!(bind = %settings.server.bind, port = app.port(), database = %settings.database.database_url.as_url_for_logs(), "gridhub is serving");
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
