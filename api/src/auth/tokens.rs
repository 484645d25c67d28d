//! Access and refresh tokens. Access tokens are short-lived JWTs with `sub`, `role`, `scope`,
//! `iss`, `aud`, `exp`, `iat`, `jti` and `ver` (the user's token epoch), verified with the
//! algorithm pinned (a token signed any other way, or `alg: none`, is refused) and 30 s of clock
//! leeway. They are signed with HS256 and a shared secret, or with EdDSA (Ed25519) when key
//! files are configured, so that several nodes can verify with one public key. Refresh tokens
//! are 256 random bits, given out once and stored only as a SHA-256 hash.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Settings;
use crate::error::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    pub scope: Option<String>,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    /// The user's token epoch when the token was issued; a newer epoch voids it.
    #[serde(default)]
    pub ver: i64,
}

/// What login and refresh answer.
#[derive(Debug, Serialize)]
pub struct TokenPair {
    pub access_token: String,
    pub refresh_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
}

pub struct TokenService {
    algorithm: Algorithm,
    /// `None` on a node that only verifies (it has the public key but not the private one).
    encoding: Option<EncodingKey>,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
}

fn read_key(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read the key file {}: {e}", path.display()))
}

impl TokenService {
    pub fn new(settings: &Settings) -> Result<Self, String> {
        let (algorithm, encoding, decoding) =
            match (&settings.auth.jwt_private_key_file, &settings.auth.jwt_public_key_file) {
                (private, Some(public)) => {
                    let decoding = DecodingKey::from_ed_pem(&read_key(public)?)
                        .map_err(|e| format!("{}: not an Ed25519 public key in PEM: {e}", public.display()))?;
                    let encoding = match private {
                        Some(p) => Some(
                            EncodingKey::from_ed_pem(&read_key(p)?)
                                .map_err(|e| format!("{}: not an Ed25519 private key in PEM: {e}", p.display()))?,
                        ),
                        None => None,
                    };
                    (Algorithm::EdDSA, encoding, decoding)
                }
                (Some(_), None) => return Err("jwt_private_key_file needs jwt_public_key_file too".into()),
                (None, None) => {
                    let secret = match &settings.auth.jwt_secret {
                        Some(s) => s.expose().to_owned(),
                        None => load_or_create_secret(&settings.server.data_dir.join("jwt-secret"))?,
                    };
                    if secret.len() < 32 {
                        return Err("the JWT secret must be at least 32 bytes".into());
                    }
                    let encoding = EncodingKey::from_secret(secret.as_bytes());
                    (Algorithm::HS256, Some(encoding), DecodingKey::from_secret(secret.as_bytes()))
                }
            };
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&settings.auth.jwt_issuer]);
        validation.set_audience(&[&settings.auth.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Ok(Self {
            algorithm,
            encoding,
            decoding,
            validation,
            issuer: settings.auth.jwt_issuer.clone(),
            audience: settings.auth.jwt_audience.clone(),
            access_ttl_secs: settings.auth.access_token_ttl_secs,
            refresh_ttl_secs: settings.auth.refresh_token_ttl_secs,
        })
    }

    pub fn issue_access(&self, user_id: &str, role: &str, scope: Option<&str>, epoch: i64) -> Result<String, ApiError> {
        let Some(key) = &self.encoding else {
            return Err(ApiError::new(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "cannot-issue",
                "this node verifies tokens but has no private key to issue them; log in on another node",
            ));
        };
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: user_id.to_owned(),
            role: role.to_owned(),
            scope: scope.map(str::to_owned),
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            exp: now + self.access_ttl_secs as i64,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
            ver: epoch,
        };
        encode(&Header::new(self.algorithm), &claims, key).map_err(ApiError::internal)
    }

    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        decode::<Claims>(token, &self.decoding, &self.validation).map(|data| data.claims).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind;
            let why = match e.kind() {
                ErrorKind::ExpiredSignature => "the access token has expired; refresh it",
                ErrorKind::InvalidAlgorithm => {
                    "the access token is signed with an algorithm this server does not accept"
                }
                ErrorKind::InvalidIssuer | ErrorKind::InvalidAudience => {
                    "the access token was not issued for this service"
                }
                _ => "the access token is not valid",
            };
            ApiError::unauthorized(why)
        })
    }
}

/// A new refresh token: 256 random bits, base64url.
pub fn new_refresh_token() -> String {
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What the store keeps of a refresh token.
pub fn hash_refresh_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads the signing secret kept in the data directory, or makes one (so that a restart does
/// not sign everyone out). The file is readable by its owner only.
fn load_or_create_secret(path: &Path) -> Result<String, String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        return Ok(text.trim().to_owned());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let mut bytes = [0u8; 48];
    rand::fill(&mut bytes);
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    use std::io::Write;
    let mut file = options.open(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    file.write_all(secret.as_bytes()).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(secret)
}
