//! How gridhub tells people: notifications that offices and departments read, and department
//! webhooks sent from a transactional outbox. Both are written in the transaction of the change
//! they report.

pub mod notification;
pub mod webhook;

pub use notification::{About, Recipient, notify, notify_all};
pub use webhook::enqueue;
