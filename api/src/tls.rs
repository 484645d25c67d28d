//! Outgoing HTTPS (WeChat, department webhooks): rustls with ring, chosen once per process.

pub fn install() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
