//! The two layers of the grid: unit grids (单元网格, GB/T 30428.1: about a hectare, for locating
//! and counting) and governance grids (网格: a few hundred households, who answers).

crate::types::text_enum! {
    /// Which of the two grids a cell belongs to.
    pub enum Layer {
        /// 单元网格: about a hectare, for locating and counting.
        Unit = "unit",
        /// 网格 (社会治理网格): a few hundred households, who answers.
        Governance = "governance",
    }
}
