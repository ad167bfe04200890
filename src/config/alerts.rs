//! `[alerts]` and `[[alerts.webhook]]`: where the daemon sends alerts and its dead-man's ping.
//! URLs and signing secrets are secrets: they are only ever shown masked.

use super::file::{AlertsSection, WebhookSection};
use crate::error::Failure;
use secrecy::SecretString;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookFormat {
    /// magsync's own JSON document (see the README).
    Json,
    /// `{"text": ...}`, what Slack, Mattermost and Rocket.Chat incoming webhooks take.
    Slack,
}

#[derive(Debug, Clone)]
pub struct Webhook {
    /// For logs and `alert test`; defaults to `webhook N`.
    pub name: String,
    pub url: SecretString,
    pub format: WebhookFormat,
    /// Signs each body with HMAC-SHA256 (header `X-Magsync-Signature: sha256=<hex>`).
    pub secret: Option<SecretString>,
}

#[derive(Debug, Clone)]
pub struct AlertsConfig {
    pub webhooks: Vec<Webhook>,
    /// healthchecks-style dead-man's ping: `<url>/start`, `<url>`, `<url>/fail`.
    pub ping_url: Option<SecretString>,
    /// How often the daemon re-checks every account's health between runs.
    pub check_interval: Duration,
    pub max_attempts: u32,
    /// First retry delay; doubled per attempt.
    pub backoff: Duration,
    pub timeout: Duration,
}

impl Default for AlertsConfig {
    fn default() -> Self {
        AlertsConfig {
            webhooks: Vec::new(),
            ping_url: None,
            check_interval: Duration::from_secs(60),
            max_attempts: 5,
            backoff: Duration::from_secs(2),
            timeout: Duration::from_secs(10),
        }
    }
}

impl AlertsConfig {
    pub(super) fn build(
        s: &AlertsSection,
        get: &dyn Fn(&str) -> Option<String>,
    ) -> Result<AlertsConfig, Failure> {
        let mut c = AlertsConfig::default();
        if let Some(v) = s.check_interval_secs {
            c.check_interval = Duration::from_secs(v.max(5));
        }
        if let Some(v) = s.max_attempts {
            c.max_attempts = v.max(1);
        }
        if let Some(v) = s.backoff_secs {
            c.backoff = Duration::from_secs(v);
        }
        if let Some(v) = s.timeout_secs {
            c.timeout = Duration::from_secs(v.max(1));
        }
        c.ping_url = match (&s.ping_url, &s.ping_url_env) {
            (Some(_), Some(_)) => {
                return Err(Failure::usage(
                    "[alerts] sets both ping_url and ping_url_env; keep one",
                ));
            }
            (Some(u), None) => Some(checked_url(u, "[alerts] ping_url")?),
            (None, Some(var)) => Some(checked_url(
                &get(var).ok_or_else(|| {
                    Failure::usage(format!(
                        "[alerts] ping_url_env names {var}, which is not set"
                    ))
                })?,
                &format!("[alerts] ping_url_env ({var})"),
            )?),
            (None, None) => None,
        };
        for (i, w) in s.webhook.iter().enumerate() {
            c.webhooks.push(webhook(i + 1, w, get)?);
        }
        Ok(c)
    }
}

fn webhook(
    n: usize,
    w: &WebhookSection,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<Webhook, Failure> {
    let name = w.name.clone().unwrap_or_else(|| format!("webhook {n}"));
    let table = format!("[[alerts.webhook]] \"{name}\"");
    let url = match (&w.url, &w.url_env) {
        (Some(u), None) => u.clone(),
        (None, Some(var)) => get(var).ok_or_else(|| {
            Failure::usage(format!("{table}: url_env names {var}, which is not set"))
        })?,
        (Some(_), Some(_)) => {
            return Err(Failure::usage(format!(
                "{table} sets both url and url_env; keep one"
            )));
        }
        (None, None) => {
            return Err(Failure::usage(format!(
                "{table} has no url: set url or url_env"
            )));
        }
    };
    let url = checked_url(&url, &table)?;
    let format = match w.format.as_deref().unwrap_or("json") {
        "json" => WebhookFormat::Json,
        "slack" => WebhookFormat::Slack,
        other => {
            return Err(Failure::usage(format!(
                "{table} format must be json or slack, not \"{other}\""
            )));
        }
    };
    let secret = match (&w.secret_env, &w.secret_file) {
        (Some(_), Some(_)) => {
            return Err(Failure::usage(format!(
                "{table} sets both secret_env and secret_file; keep one"
            )));
        }
        (Some(var), None) => Some(get(var).ok_or_else(|| {
            Failure::usage(format!("{table}: secret_env names {var}, which is not set"))
        })?),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Failure::usage(format!("{table}: cannot read its secret_file {path}: {e}"))
            })?;
            let line = text.lines().next().unwrap_or("").trim().to_string();
            if line.is_empty() {
                return Err(Failure::usage(format!(
                    "{table}: its secret_file {path} is empty"
                )));
            }
            Some(line)
        }
        (None, None) => None,
    };
    Ok(Webhook {
        name,
        url: SecretString::from(url),
        format,
        secret: secret.map(SecretString::from),
    })
}

fn checked_url(url: &str, what: &str) -> Result<SecretString, Failure> {
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            Ok(SecretString::from(url.to_string()))
        }
        _ => Err(Failure::usage(format!(
            "{what} must be an http:// or https:// URL, not \"{}\"",
            mask_secret_url(url)
        ))),
    }
}

/// A webhook or ping URL as logs and screens may show it: scheme and host only, since the
/// path and query of such URLs are the secret (Slack tokens, healthchecks UUIDs).
pub fn mask_secret_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(u) if u.host_str().is_some() => {
            let port = u.port().map_or(String::new(), |p| format!(":{p}"));
            let rest = if u.path().len() > 1 || u.query().is_some() {
                "/***"
            } else {
                ""
            };
            format!(
                "{}://{}{port}{rest}",
                u.scheme(),
                u.host_str().unwrap_or_default()
            )
        }
        _ => "***".to_string(),
    }
}
