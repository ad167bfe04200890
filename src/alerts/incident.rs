//! One alert per incident: whether an account's health, against its open incident, calls for
//! an alert, an escalation, a recovery or nothing.

use super::{Notice, NoticeKind};
use crate::health::{AccountHealth, Level};
use crate::store::health::Incident;
use chrono::{DateTime, Utc};

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    /// Nothing to send: OK without an incident, or the incident was already alerted.
    Quiet,
    /// Send and record the incident (new, or worse than the one alerted).
    Open(Notice),
    /// Send and close the incident.
    Recover(Notice),
}

pub fn decide(h: &AccountHealth, open: Option<&Incident>, now: DateTime<Utc>) -> Decision {
    let previous = open.and_then(|i| Level::parse(&i.level));
    let notice = |kind, status, reason: String| Notice {
        kind,
        account: h.account.clone(),
        status,
        previous_status: previous,
        reason,
        findings: h.findings.clone(),
        at: now,
    };
    // An account that never ran is not an incident: a new install would alert before its
    // first sync ends (a run that fails is CRITICAL, and the ping notices a daemon that never
    // runs).
    let never_synced = h
        .findings
        .iter()
        .all(|f| f.level == Level::Ok || f.check == "sync_age")
        && h.level == Level::Unknown;
    match (h.level, open) {
        (_, None) if never_synced => Decision::Quiet,
        (Level::Ok, None) => Decision::Quiet,
        (Level::Ok, Some(i)) => Decision::Recover(notice(
            NoticeKind::Recovery,
            Level::Ok,
            format!("recovered: {} (was {}: {})", h.reason(), i.level, i.reason),
        )),
        (level, None) => Decision::Open(notice(NoticeKind::Alert, level, h.reason())),
        // Same incident: alert again only when it got worse.
        (level, Some(_)) => match previous {
            Some(p) if p.worst(level) == p => Decision::Quiet,
            _ => Decision::Open(notice(NoticeKind::Alert, level, h.reason())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::health::Finding;

    fn health(level: Level) -> AccountHealth {
        AccountHealth {
            account: "main".into(),
            level,
            findings: vec![Finding {
                level,
                check: "sync_age",
                message: format!("{level} reason"),
            }],
            perf: vec![],
        }
    }

    fn incident(level: &str) -> Incident {
        let t = Utc::now();
        Incident {
            account: "main".into(),
            level: level.into(),
            reason: "old reason".into(),
            opened_at: t,
            notified_at: t,
        }
    }

    #[test]
    fn an_account_that_never_ran_is_no_incident() {
        let now = Utc::now();
        assert_eq!(decide(&health(Level::Unknown), None, now), Decision::Quiet);
        let mut store_down = health(Level::Unknown);
        store_down.findings[0].check = "store";
        assert!(matches!(decide(&store_down, None, now), Decision::Open(_)));
    }

    #[test]
    fn one_alert_per_incident_and_one_recovery() {
        let now = Utc::now();
        let cases: &[(Level, Option<&str>, &str)] = &[
            (Level::Ok, None, "quiet"),
            (Level::Ok, Some("WARNING"), "recover"),
            (Level::Warning, None, "open"),
            (Level::Critical, None, "open"),
            (Level::Unknown, Some("WARNING"), "quiet"),
            (Level::Warning, Some("WARNING"), "quiet"),
            (Level::Warning, Some("CRITICAL"), "quiet"),
            (Level::Critical, Some("WARNING"), "open"),
            (Level::Critical, Some("CRITICAL"), "quiet"),
        ];
        for (level, open, want) in cases {
            let inc = open.map(incident);
            let got = decide(&health(*level), inc.as_ref(), now);
            let name = match &got {
                Decision::Quiet => "quiet",
                Decision::Open(n) => {
                    assert_eq!(n.kind, NoticeKind::Alert);
                    assert_eq!(n.status, *level);
                    "open"
                }
                Decision::Recover(n) => {
                    assert_eq!(n.kind, NoticeKind::Recovery);
                    assert!(n.reason.contains("was WARNING: old reason"), "{}", n.reason);
                    "recover"
                }
            };
            assert_eq!(name, *want, "{level:?} with {open:?}");
        }
    }
}
