//! `magsync check` output: the monitoring-plugin text (summary line with perfdata after `|`,
//! then one line per account) or one JSON document.

use super::{AccountHealth, Level};
use serde_json::json;

/// The worst level over accounts (UNKNOWN when there are none).
pub fn overall(accounts: &[AccountHealth]) -> Level {
    if accounts.is_empty() {
        return Level::Unknown;
    }
    accounts.iter().fold(Level::Ok, |l, a| l.worst(a.level))
}

pub fn text(accounts: &[AccountHealth]) -> String {
    let level = overall(accounts);
    let states: Vec<String> = accounts
        .iter()
        .map(|a| format!("{} {}", a.account, a.level))
        .collect();
    let perf: Vec<String> = accounts
        .iter()
        .flat_map(|a| {
            a.perf.iter().map(move |p| {
                let opt = |v: Option<f64>| v.map_or(String::new(), number);
                format!(
                    "'{}_{}'={}{};{};{};0;",
                    a.account,
                    p.name,
                    number(p.value),
                    p.unit,
                    opt(p.warn),
                    opt(p.crit)
                )
            })
        })
        .collect();
    let mut out = format!("MAGSYNC {level} - {}", states.join(", "));
    if !perf.is_empty() {
        out.push_str(" | ");
        out.push_str(&perf.join(" "));
    }
    for a in accounts {
        out.push('\n');
        out.push_str(&format!("{}: {} - {}", a.account, a.level, a.reason()));
    }
    out
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

pub fn json(accounts: &[AccountHealth]) -> serde_json::Value {
    let level = overall(accounts);
    json!({
        "status": level,
        "exit_code": level.exit_code(),
        "accounts": accounts.iter().map(|a| json!({
            "account": a.account,
            "status": a.level,
            "reason": a.reason(),
            "findings": a.findings,
            "perfdata": a.perf,
        })).collect::<Vec<_>>(),
    })
}
