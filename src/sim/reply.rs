//! Response builders for eMAG's answers, byte-exact where the contract says so.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};

pub const JSON: &str = "application/json";

fn build(status: StatusCode, content_type: &str, body: impl Into<Body>) -> Response<Body> {
    let mut r = Response::new(body.into());
    *r.status_mut() = status;
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(content_type).expect("content type"),
    );
    r
}

pub fn json(status: StatusCode, body: impl Into<Body>) -> Response<Body> {
    build(status, JSON, body)
}

/// A JSON answer with the informational (and misleading, §8) `-3second` headers.
pub fn api_json(status: StatusCode, body: impl Into<Body>, remaining: u32) -> Response<Body> {
    let mut r = json(status, body);
    let h = r.headers_mut();
    h.insert("X-RateLimit-Limit-3second", HeaderValue::from_static("3"));
    h.insert(
        "X-RateLimit-Remaining-3second",
        HeaderValue::from(remaining),
    );
    r
}

/// The exact 429 of §8: Kong's headers and body, no `isError`, no `Retry-After`.
pub fn rate_limited() -> Response<Body> {
    let mut r = build(
        StatusCode::TOO_MANY_REQUESTS,
        "application/json; charset=utf-8",
        r#"{"message":"API rate limit exceeded"}"#,
    );
    let h = r.headers_mut();
    h.insert(header::SERVER, HeaderValue::from_static("kong/0.12.1"));
    h.insert("X-RateLimit-Limit-3second", HeaderValue::from_static("1"));
    h.insert(
        "X-RateLimit-Remaining-3second",
        HeaderValue::from_static("0"),
    );
    r
}

pub fn invalid_url() -> Response<Body> {
    json(StatusCode::NOT_FOUND, r#"{"message":"Invalid URL"}"#)
}

pub fn unauthorized() -> Response<Body> {
    let mut r = json(
        StatusCode::UNAUTHORIZED,
        r#"{"isError":true,"messages":["Authorization required"],"results":[]}"#,
    );
    r.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"eMAG Marketplace API\""),
    );
    r
}

pub fn forbidden() -> Response<Body> {
    json(
        StatusCode::FORBIDDEN,
        r#"{"isError":true,"messages":["You are not allowed to use this API."],"results":[]}"#,
    )
}

pub fn html(status: StatusCode, body: &'static str) -> Response<Body> {
    build(status, "text/html", body)
}

pub const NGINX_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n\
<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
