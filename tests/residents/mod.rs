//! Residents end to end: what they see of their requests (the public face of the timeline —
//! units, never staff; public notes, never internal ones) through every route they can call, the
//! replies and answers that reach them, and a consultation answered without dispatch counted as
//! settled on the spot.

mod community;
mod evaluation;
mod face;
mod open311;
mod wechat;
