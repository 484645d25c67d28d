//! Passwords, hashed with argon2id at the argon2 crate's defaults (the OWASP recommendation:
//! m = 19 MiB, t = 2, p = 1), in PHC string form so parameters can be raised later.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    rand::fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Checks `password` against a stored hash. With no stored hash (an unknown user, or one
/// who may not log in) it still does the same work, so timing does not tell them apart.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    const DUMMY: &str =
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Uq3VvLqGO3SKqGxzgVy2AAOJKXX6cI4X0cvYp9Bw4pU";
    let (hash, real) = match stored.and_then(|s| PasswordHash::new(s).ok()) {
        Some(h) => (h, true),
        None => (PasswordHash::new(DUMMY).expect("the dummy hash parses"), false),
    };
    let ok = Argon2::default().verify_password(password.as_bytes(), &hash).is_ok();
    ok && real
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("s3cret-密码");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("s3cret-密码", Some(&a)));
        assert!(!verify_password("s3cret", Some(&a)));
        assert_ne!(a, hash_password("s3cret-密码"), "salted");
        assert!(!verify_password("anything", None));
    }
}
