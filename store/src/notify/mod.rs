//! How gridhub tells people: notifications read in the app, department webhooks and residents'
//! WeChat subscribe messages sent from transactional outboxes. All are written in the transaction
//! of the change they report.

pub mod notification;
pub mod webhook;
pub mod wechat;

pub use notification::{About, Recipient, notify, notify_all};
pub use webhook::enqueue;
