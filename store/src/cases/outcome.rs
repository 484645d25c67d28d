//! What an enforcement did (执法结果): a handling may record it — advised, warned, fined,
//! confiscated, detained, licence revoked — with how many persons and the fine. It is kept on the
//! `handle` event of the timeline and summed in a campaign's figures.

use serde::{Deserialize, Serialize};

crate::types::text_enum! {
    /// The kind of an enforcement outcome.
    pub enum OutcomeKind {
        Advised = "advised",
        Warned = "warned",
        Fined = "fined",
        Confiscated = "confiscated",
        Detained = "detained",
        LicenceRevoked = "licence_revoked",
    }
}

impl OutcomeKind {
    /// What people call it (中文).
    pub fn label(self) -> &'static str {
        match self {
            OutcomeKind::Advised => "劝导",
            OutcomeKind::Warned => "警告",
            OutcomeKind::Fined => "罚款",
            OutcomeKind::Confiscated => "没收",
            OutcomeKind::Detained => "行政拘留",
            OutcomeKind::LicenceRevoked => "吊销许可",
        }
    }

    /// A kind as the API names it or as an office writes it (罚款).
    pub fn read(text: &str) -> Option<OutcomeKind> {
        let text = text.trim();
        OutcomeKind::parse(text).or_else(|| OutcomeKind::ALL.into_iter().find(|k| k.label() == text))
    }
}

/// The largest fine recorded, in yuan.
pub const MAX_FINE_YUAN: f64 = 100_000_000.0;
/// The most persons one handling names.
pub const MAX_PERSONS: i64 = 10_000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    /// How many persons it concerned.
    pub persons: i64,
    /// The fine, for `fined`.
    pub amount_yuan: Option<f64>,
}
