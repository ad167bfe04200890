//! What can go wrong talking to eMAG, classified by the rules of emag-api.md §7.3.

use std::fmt;

/// One failed exchange (or sequence of attempts) with eMAG.
///
/// `Display` is one sentence a user can act on; it never contains credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmagError {
    /// 401/403 or an auth text (`Invalid vendor ip`, `not allowed to use this API`); never retried.
    Auth { message: String },
    /// 404: wrong base URL or route; never retried.
    InvalidUrl { status: u16 },
    /// 429 answered too many times in a row.
    RateLimited,
    /// 5xx (or another unexpected status) with the first bytes of the body.
    Server { status: u16, snippet: String },
    /// A body that is not JSON, is truncated, or lacks `isError`.
    Malformed { status: u16, snippet: String },
    /// `isError: true` with eMAG's messages.
    Api { messages: Vec<String> },
    /// The request (or the connection attempt) exceeded its timeout.
    Timeout,
    /// The host could not be reached (refused, reset, DNS).
    Connect { message: String },
    /// A filtered read returned items the filter excludes (eMAG ignored the filter).
    FilterIgnored,
    /// The caller's cancellation token fired while waiting.
    Cancelled,
    /// The client configuration is unusable (bad base URL, TLS setup).
    Config { message: String },
    /// A 3xx answer: never followed (the request carries the password and, for a save, the
    /// changes), never retried; `location` is the target it named, masked.
    Redirected { status: u16, location: String },
}

impl EmagError {
    /// Whether a retry may succeed (§7.3). `Api` counts as transient because reads and counts
    /// retry `isError: true`; saves decide separately and never retry it.
    pub fn is_transient(&self) -> bool {
        match self {
            EmagError::Server { status, .. } => *status >= 500 || *status == 408,
            EmagError::Malformed { .. }
            | EmagError::Api { .. }
            | EmagError::Timeout
            | EmagError::Connect { .. }
            | EmagError::RateLimited => true,
            EmagError::Auth { .. }
            | EmagError::InvalidUrl { .. }
            | EmagError::FilterIgnored
            | EmagError::Cancelled
            | EmagError::Config { .. }
            | EmagError::Redirected { .. } => false,
        }
    }

    /// Short machine-friendly reason for events and logs.
    pub fn kind(&self) -> &'static str {
        match self {
            EmagError::Auth { .. } => "auth",
            EmagError::InvalidUrl { .. } => "invalid_url",
            EmagError::RateLimited => "rate_limited",
            EmagError::Server { .. } => "server",
            EmagError::Malformed { .. } => "malformed",
            EmagError::Api { .. } => "api",
            EmagError::Timeout => "timeout",
            EmagError::Connect { .. } => "connect",
            EmagError::FilterIgnored => "filter_ignored",
            EmagError::Cancelled => "cancelled",
            EmagError::Config { .. } => "config",
            EmagError::Redirected { .. } => "redirect",
        }
    }
}

impl fmt::Display for EmagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmagError::Auth { message } => write!(f, "eMAG refused the credentials: {message}"),
            EmagError::InvalidUrl { status } => write!(
                f,
                "eMAG answered HTTP {status} \"Invalid URL\"; check the account's base URL (it must end in /api-3)"
            ),
            EmagError::RateLimited => {
                write!(
                    f,
                    "eMAG kept answering HTTP 429 (rate limit exceeded) after repeated waits"
                )
            }
            EmagError::Server { status, snippet } => {
                write!(f, "eMAG answered HTTP {status}: {snippet}")
            }
            EmagError::Malformed { status, snippet } => write!(
                f,
                "eMAG answered HTTP {status} with a body that is not a valid eMAG response: {snippet}"
            ),
            EmagError::Api { messages } if messages.is_empty() => {
                write!(f, "eMAG reported an error without a message")
            }
            EmagError::Api { messages } => {
                write!(f, "eMAG reported an error: {}", messages.join("; "))
            }
            EmagError::Timeout => write!(f, "eMAG did not answer before the timeout"),
            EmagError::Connect { message } => write!(f, "cannot reach eMAG: {message}"),
            EmagError::FilterIgnored => write!(
                f,
                "eMAG ignored the read filter and returned offers that do not match it"
            ),
            EmagError::Cancelled => write!(f, "the request was cancelled"),
            EmagError::Config { message } => {
                write!(f, "invalid eMAG client configuration: {message}")
            }
            EmagError::Redirected { status, location } => write!(
                f,
                "eMAG answered HTTP {status}, a redirect to {location}, which magsync does not follow; check the account's base_url"
            ),
        }
    }
}

impl std::error::Error for EmagError {}

/// The first bytes of a body, on one line, for error messages and logs.
pub(crate) fn snippet(body: &[u8]) -> String {
    const MAX: usize = 160;
    let text = String::from_utf8_lossy(&body[..body.len().min(MAX * 4)]);
    let mut out = String::new();
    let mut last_space = false;
    for ch in text.chars() {
        if out.chars().count() >= MAX {
            out.push('…');
            break;
        }
        if ch.is_whitespace() {
            if !last_space && !out.is_empty() {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(ch);
            last_space = false;
        }
    }
    if out.is_empty() {
        "(empty body)".to_string()
    } else {
        out.trim_end().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transient_follows_the_table() {
        assert!(
            EmagError::Server {
                status: 502,
                snippet: String::new()
            }
            .is_transient()
        );
        assert!(
            !EmagError::Server {
                status: 400,
                snippet: String::new()
            }
            .is_transient()
        );
        assert!(EmagError::Timeout.is_transient());
        assert!(
            EmagError::Malformed {
                status: 200,
                snippet: String::new()
            }
            .is_transient()
        );
        assert!(
            !EmagError::Auth {
                message: "x".into()
            }
            .is_transient()
        );
        assert!(!EmagError::InvalidUrl { status: 404 }.is_transient());
        assert!(!EmagError::Cancelled.is_transient());
    }

    #[test]
    fn snippet_is_one_short_line() {
        let s = snippet(b"<html>\n  <head><title>502 Bad Gateway</title></head>\n</html>");
        assert_eq!(
            s,
            "<html> <head><title>502 Bad Gateway</title></head> </html>"
        );
        assert_eq!(snippet(b""), "(empty body)");
        let long = "x".repeat(1000);
        assert!(snippet(long.as_bytes()).chars().count() <= 161);
    }
}
