//! Writes the benchmark's synthetic grid and random points as CSV, so that PostGIS can be
//! measured on exactly the same cells and points (bench/postgis_locate.py):
//! `cargo run --release -p gridhub-geo --example synthetic_grid -- SIDE DIR`.

use std::io::Write;

#[path = "../benches/synthetic/mod.rs"]
mod synthetic;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let side: u64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100);
    let dir = std::path::PathBuf::from(args.get(2).map_or("target/synthetic", String::as_str));
    std::fs::create_dir_all(&dir)?;
    let mut cells = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("cells-{side}.csv")))?);
    for (id, shape) in synthetic::grid(side) {
        let ring: Vec<String> = shape.0[0].exterior().coords().map(|c| format!("{} {}", c.x, c.y)).collect();
        writeln!(cells, "{id}\tSRID=4326;MULTIPOLYGON((({})))", ring.join(","))?;
    }
    let mut points = std::io::BufWriter::new(std::fs::File::create(dir.join(format!("points-{side}.csv")))?);
    for (lng, lat) in synthetic::points(side, 1 << 16, 1) {
        writeln!(points, "{lng}\t{lat}")?;
    }
    println!("wrote {} cells and {} points to {}", side * side, 1 << 16, dir.display());
    Ok(())
}
