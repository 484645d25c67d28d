//! 网格 — the grid, in two layers (unit grids and governance grids, see `cell`): cells (their
//! boundaries, codes, households), importing and generating a community's cells, drawing its
//! governance grids from its unit grids, how they cover it, the version every API node's index
//! follows and the index itself (both layers, answered from memory). Cells are retired, never
//! deleted (old cases refer to them).

pub mod cell;
pub mod generate;
pub mod governance;
pub mod import;
mod layer;
pub mod layers;
pub mod version;

pub use cell::{Cell, Layer};
pub use layers::{Layers, Placed};
pub use version::{Located, Named};
