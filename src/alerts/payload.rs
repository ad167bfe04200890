//! What a webhook receives: magsync's JSON, or Slack-compatible `{"text": ...}`; and the
//! HMAC-SHA256 signature of the body.

use super::{Notice, NoticeKind};
use crate::config::WebhookFormat;
use crate::health::Level;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::json;
use sha2::Sha256;

/// The header that carries `sha256=<hex of HMAC-SHA256(secret, body)>`.
pub const SIGNATURE_HEADER: &str = "X-Magsync-Signature";
/// The header that names the notice kind (`alert`, `recovery`, `test`).
pub const EVENT_HEADER: &str = "X-Magsync-Event";

pub fn body(n: &Notice, format: WebhookFormat) -> String {
    match format {
        WebhookFormat::Json => json!({
            "source": "magsync",
            "event": n.kind,
            "account": n.account,
            "status": n.status,
            "previous_status": n.previous_status,
            "reason": n.reason,
            "findings": n.findings,
            "at": n.at.to_rfc3339(),
        })
        .to_string(),
        WebhookFormat::Slack => json!({ "text": text(n) }).to_string(),
    }
}

/// The one-line message of a notice (Slack text, logs).
pub fn text(n: &Notice) -> String {
    match n.kind {
        NoticeKind::Test => format!(
            "magsync test alert: webhooks reach this channel ({})",
            n.at.format("%Y-%m-%d %H:%M:%S UTC")
        ),
        NoticeKind::Recovery => format!("magsync: {} is OK again, {}", n.account, n.reason),
        NoticeKind::Alert => {
            let icon = match n.status {
                Level::Critical => ":red_circle:",
                Level::Warning => ":warning:",
                _ => ":grey_question:",
            };
            format!(
                "{icon} magsync: {} is {}: {}",
                n.account, n.status, n.reason
            )
        }
    }
}

/// `sha256=<hex>` of the body under the secret, what a receiver recomputes to trust it.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

#[cfg(test)]
mod tests {
    use super::signature;

    /// RFC 4231 test case 2.
    #[test]
    fn signature_matches_the_rfc_vector() {
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
