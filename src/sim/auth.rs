//! HTTP Basic authentication as §3 decides it.

use axum::http::{HeaderMap, header};
use base64::Engine;

/// `(username, password)` from a well-formed `Authorization: Basic …` header; `None` means 401
/// (missing, not Basic, bad base64 or no `:`).
pub fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, pass) = text.split_once(':')?;
    Some((user.to_string(), pass.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        h
    }

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            credentials(&with("Basic bWFpbjpkZW1v")),
            Some(("main".into(), "demo".into()))
        );
        assert_eq!(credentials(&HeaderMap::new()), None);
        assert_eq!(credentials(&with("Bearer x")), None);
        assert_eq!(credentials(&with("Basic !!!")), None);
        assert_eq!(credentials(&with("Basic bWFpbg==")), None); // "main" without ':'
    }
}
