//! The people gridhub knows: staff, grid workers, volunteers and residents (their accounts, who
//! may manage them), logging in (passwords checked by the API, the lockout, WeChat residents),
//! and refresh tokens.

pub mod login;
pub mod refresh_token;
pub mod user;
