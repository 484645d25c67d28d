//! Authentication: access tokens (JWT, algorithm pinned), opaque refresh tokens kept only as
//! hashes, argon2id passwords, login rate limits, WeChat login, and each user's standing (are
//! their tokens still good, what do they reach). The extractor that puts these together for a
//! handler is `crate::caller::Authenticated`.

mod limits;
mod password;
pub mod standing;
mod tokens;
pub mod wechat;

pub use limits::{LoginLimits, too_many};
pub use password::{hash_password, verify_password};
pub use standing::StandingCache;
pub use tokens::{Claims, TokenPair, TokenService, hash_refresh_token, new_refresh_token};
