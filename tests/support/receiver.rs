//! A department's webhook receiver, as a test runs it.

use serde_json::Value;

/// A department's webhook receiver on 127.0.0.1 — a real HTTP server, as the department would
/// run. `answer(n)` says what the n-th request (from 0) gets: a status, or `None` to hold the
/// connection open without answering. Every request is kept: its headers and body.
pub struct Receiver {
    pub url: String,
    pub got: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

/// A request a receiver got: its headers (names lower-case) and its body.
pub type Received = (std::collections::HashMap<String, String>, String);

impl Receiver {
    pub async fn start(answer: impl Fn(usize) -> Option<u16> + Send + Sync + 'static) -> Self {
        use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a free port");
        let url = format!("http://{}/hooks/gridhub", listener.local_addr().unwrap());
        let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let answer = std::sync::Arc::new(answer);
        let kept = got.clone();
        tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else { return };
                let (kept, answer) = (kept.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut reader = BufReader::new(stream);
                    loop {
                        let mut headers = std::collections::HashMap::new();
                        let mut line = String::new();
                        if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                            return;
                        }
                        loop {
                            line.clear();
                            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            let l = line.trim_end();
                            if l.is_empty() {
                                break;
                            }
                            if let Some((k, v)) = l.split_once(':') {
                                headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_owned());
                            }
                        }
                        let len: usize = headers.get("content-length").and_then(|v| v.parse().ok()).unwrap_or(0);
                        let mut body = vec![0; len];
                        if reader.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        let n = {
                            let mut g = kept.lock().unwrap();
                            g.push((headers, String::from_utf8_lossy(&body).into_owned()));
                            g.len() - 1
                        };
                        match answer(n) {
                            Some(status) => {
                                let reply = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\n\r\n");
                                if reader.get_mut().write_all(reply.as_bytes()).await.is_err() {
                                    return;
                                }
                            }
                            None => {
                                tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                                return;
                            }
                        }
                    }
                });
            }
        });
        Self { url, got }
    }

    /// The bodies received so far, as JSON.
    pub fn bodies(&self) -> Vec<Value> {
        self.got.lock().unwrap().iter().map(|(_, b)| serde_json::from_str(b).unwrap_or(Value::Null)).collect()
    }
}
