//! Pictures people would rather look at than read: the grid maps (`map`), the charts of the
//! figures (`charts`) and the printable monthly analysis (`digest`). All speak Chinese and draw
//! with the same fonts; SVG throughout, so a page embeds them as they are.

pub mod charts;
pub mod digest;
pub mod map;

/// The fonts every picture asks for: the usual Chinese sans-serif faces of each platform.
pub const FONTS: &str =
    "Noto Sans CJK SC, Source Han Sans SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif";

/// Text made safe inside SVG and HTML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
