//! The blast-radius guard: a complete full scan that would flag more than a set share of an
//! account's offers missing is not believed (a proxy or eMAG answering with a nearly empty
//! catalogue looks exactly like that), unless the run was started to accept it.

use super::recorder::Recorder;
use super::run::{ReconcileStop, RunCtx};
use crate::model::{EventLevel, OfferStatus};
use crate::store::short_db_error;

/// How a held run's summary starts; the health checks recognise a hold by it.
pub const GUARD_HOLD: &str = "held by the mass-missing guard";

/// The guard's settings for one run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Guard {
    /// Largest share of the account's live offers one scan may flag missing.
    pub share: f64,
    /// `--allow-mass-missing`: flag them anyway.
    pub allow: bool,
}

/// Fewer vanished offers than this never hold a run: in a catalogue of a handful of offers,
/// deleting two is above any share and is ordinary work, not a broken answer.
const MIN_HELD: usize = 10;

/// The hold's reason when `missing` of `stored` offers is above `share` (and at least
/// [`MIN_HELD`]).
pub(crate) fn hold_reason(
    account: &str,
    stored: i64,
    missing: usize,
    share: f64,
) -> Option<String> {
    if stored <= 0 || missing < MIN_HELD || (missing as f64) <= share * stored as f64 {
        return None;
    }
    Some(format!(
        "{GUARD_HOLD}: the complete scan did not list {missing} of {stored} stored offers ({:.0} %, above the {:.0} % limit), so none were marked missing; if eMAG really dropped them, run `magsync sync --account {account} --mode full --allow-mass-missing`",
        missing as f64 * 100.0 / stored as f64,
        share * 100.0
    ))
}

/// Stops the reconciliation when the guard holds it.
pub(crate) async fn check(
    ctx: &RunCtx,
    rec: &Recorder,
    status: Option<OfferStatus>,
    missing: usize,
) -> Result<(), ReconcileStop> {
    let stored = ctx
        .store
        .health()
        .live_offer_count(&ctx.account, status)
        .await
        .map_err(|e| {
            ReconcileStop::Database(format!(
                "counting stored offers for the mass-missing guard failed: {}",
                short_db_error(&e)
            ))
        })?;
    let Some(reason) = hold_reason(&ctx.account, stored, missing, ctx.guard.share) else {
        return Ok(());
    };
    if ctx.guard.allow {
        rec.event(
            EventLevel::Warn,
            format!(
                "{missing} of {stored} stored offers were not listed, above the mass-missing guard's {:.0} %; accepted (--allow-mass-missing)",
                ctx.guard.share * 100.0
            ),
        );
        return Ok(());
    }
    rec.event(EventLevel::Error, reason.clone());
    Err(ReconcileStop::Held(reason))
}

#[cfg(test)]
mod tests {
    use super::hold_reason;

    #[test]
    fn holds_only_above_the_share() {
        let cases: &[(i64, usize, f64, bool)] = &[
            (1000, 200, 0.2, false),
            (1000, 201, 0.2, true),
            (1000, 900, 0.2, true),
            (10, 3, 0.2, false),
            (40, 9, 0.2, false),
            (40, 10, 0.2, true),
            (0, 5, 0.2, false),
            (1000, 999, 1.0, false),
        ];
        for &(stored, missing, share, held) in cases {
            let r = hold_reason("main", stored, missing, share);
            assert_eq!(r.is_some(), held, "{stored} {missing} {share}");
            if let Some(r) = r {
                assert!(r.starts_with(super::GUARD_HOLD), "{r}");
                assert!(r.contains("--account main"), "{r}");
            }
        }
    }
}
