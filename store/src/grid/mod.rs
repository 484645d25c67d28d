//! 网格 — the grid: cells (their boundaries, codes, households), importing and generating a
//! community's cells, how they cover it, and the version every API node's index follows (with
//! what the index holds of each cell). Cells are retired, never deleted (old cases refer to them).

pub mod cell;
pub mod generate;
pub mod import;
pub mod version;

pub use cell::Cell;
pub use version::{Located, Named};
