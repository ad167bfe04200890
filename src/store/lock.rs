//! One running sync per account, across processes.
//!
//! SQLite: a row in `sync_locks`, taken over when its heartbeat is stale (the holder crashed)
//! or at once when its owner is a process of this host that no longer exists.
//! Postgres: a session advisory lock held on a dedicated connection, released by the server the
//! moment that connection closes, plus the same row so both answer "who holds it". The
//! connection is watched (see [`LockWatch`]): when it is lost the run is told to stop, and
//! until then its fresh row keeps a second run out.

use super::sql::{Conn, Pool, Sql};
use super::{Result, Store};
use crate::process::local_process_is_gone;
use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::fmt;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// A lock whose heartbeat is older than this belongs to a dead process.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

/// Postgres: a lock row this fresh belongs to a live run even when the advisory lock is free,
/// because its holder may not have noticed yet that its lock connection dropped (a run writes
/// its heartbeat at least every 5 s and checks its connection every [`WATCH_EVERY`]).
const PG_ROW_FRESH: Duration = Duration::from_secs(15);

/// How often the Postgres lock connection is checked with a `SELECT 1`.
pub const WATCH_EVERY: Duration = Duration::from_secs(2);

/// Why a lock could not be taken: another run of that account is going on.
#[derive(Debug, Clone, PartialEq)]
pub struct LockBusy {
    pub account: String,
    pub run_id: Option<i64>,
    pub started_at: Option<DateTime<Utc>>,
}

impl fmt::Display for LockBusy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.run_id, self.started_at) {
            (Some(id), Some(at)) => write!(
                f,
                "a sync of {} is already running (run {id}, started {} UTC)",
                self.account,
                at.format("%H:%M:%S")
            ),
            _ => write!(f, "a sync of {} is already running", self.account),
        }
    }
}

impl std::error::Error for LockBusy {}

/// Held while a run of `account` goes on; [`AccountLock::release`] frees it.
pub struct AccountLock {
    store: Store,
    pub account: String,
    owner: String,
    pg: Option<LockWatch>,
    lost: CancellationToken,
    lost_why: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

/// The task that owns a Postgres lock connection: it checks the connection every
/// [`WATCH_EVERY`] and, on release, unlocks and closes it.
struct LockWatch {
    release: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for LockWatch {
    /// A lock dropped without release (a panicking run) closes its connection at once, which
    /// frees the advisory lock, as dropping the connection itself would.
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) fn advisory_key(account: &str) -> i64 {
    let h = blake3::hash(format!("magsync-sync:{account}").as_bytes());
    i64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

/// `store.locks()`.
#[derive(Clone, Copy)]
pub struct Locks<'a> {
    pub(super) store: &'a Store,
}

impl Locks<'_> {
    /// Takes the account's sync lock for `owner` (e.g. "host:pid"), or says who holds it.
    pub async fn try_take(
        self,
        account: &str,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<AccountLock, LockBusy>> {
        let cutoff = now - chrono::Duration::from_std(STALE_AFTER).expect("small duration");
        let holder = self.lock_holder(account).await?;
        // A holder that is a dead process of this host is taken over at once; its exact owner
        // string is matched so a lock taken meanwhile by someone else is left alone.
        let dead_owner = holder
            .as_ref()
            .filter(|(o, _)| local_process_is_gone(o))
            .map(|(o, _)| o.clone())
            .unwrap_or_default();
        let mut pg = None;
        let take = "INSERT INTO sync_locks (account, run_id, owner, heartbeat_at) VALUES ($1, 0, $2, $3) \
             ON CONFLICT (account) DO UPDATE SET run_id = 0, owner = excluded.owner, \
             heartbeat_at = excluded.heartbeat_at";
        let acquired = match &self.store.pool {
            Pool::Sqlite(_) => {
                let sql = Sql::new(format!(
                    "{take} WHERE sync_locks.heartbeat_at < $4 OR sync_locks.owner = $5"
                ));
                let sql = sql.bind(account).bind(owner).bind(now).bind(cutoff);
                self.store
                    .pool
                    .execute(&sql.bind(dead_owner.as_str()))
                    .await?
                    == 1
            }
            Pool::Postgres(pool) => {
                let fresh = now - chrono::Duration::from_std(PG_ROW_FRESH).expect("small");
                let live_row = holder
                    .as_ref()
                    .is_some_and(|(o, hb)| *hb >= fresh && o.as_str() != dead_owner);
                // The lock is this connection's session: it leaves the pool for the run's length.
                let mut conn = pool.acquire().await?.detach();
                let try_lock =
                    Sql::new("SELECT pg_try_advisory_lock($1)").bind(advisory_key(account));
                let got = !live_row && Conn::Postgres(&mut conn).scalar::<bool>(&try_lock).await?;
                if got {
                    // The server notices a vanished client (a crash, a cut network) within
                    // ~25 s instead of the system's two hours, and frees the lock.
                    sqlx::raw_sql(
                        "SET tcp_keepalives_idle = 10; SET tcp_keepalives_interval = 5; \
                         SET tcp_keepalives_count = 3",
                    )
                    .execute(&mut conn)
                    .await?;
                    let row = Sql::new(take).bind(account).bind(owner).bind(now);
                    Conn::Postgres(&mut conn).execute(&row).await?;
                    pg = Some(conn);
                } else {
                    let _ = conn.close().await;
                }
                got
            }
        };
        if acquired {
            let lost = CancellationToken::new();
            let lost_why = std::sync::Arc::new(std::sync::Mutex::new(None));
            return Ok(Ok(AccountLock {
                store: self.store.clone(),
                account: account.to_string(),
                owner: owner.to_string(),
                pg: pg.map(|conn| LockWatch::spawn(conn, account, lost.clone(), lost_why.clone())),
                lost,
                lost_why,
            }));
        }
        let running = self
            .store
            .runs()
            .last(account, None, Some(crate::model::RunStatus::Running))
            .await?;
        Ok(Err(LockBusy {
            account: account.to_string(),
            run_id: running.as_ref().map(|r| r.id),
            started_at: running.map(|r| r.started_at),
        }))
    }

    /// Who holds the account's lock row and its heartbeat, if anyone.
    async fn lock_holder(self, account: &str) -> Result<Option<(String, DateTime<Utc>)>> {
        let sql = Sql::new("SELECT owner, heartbeat_at FROM sync_locks WHERE account = $1");
        self.store.pool.fetch_optional(&sql.bind(account)).await
    }
}

impl LockWatch {
    fn spawn(
        mut conn: PgConnection,
        account: &str,
        lost: CancellationToken,
        why: std::sync::Arc<std::sync::Mutex<Option<String>>>,
    ) -> LockWatch {
        let key = advisory_key(account);
        let (release, mut released) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(WATCH_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = &mut released => break,
                    _ = tick.tick() => {}
                }
                let ping = Sql::new("SELECT 1");
                let check =
                    tokio::time::timeout(WATCH_EVERY * 3, Conn::Postgres(&mut conn).execute(&ping));
                let failure = match check.await {
                    Ok(Ok(_)) => continue,
                    Ok(Err(e)) => super::short_db_error(&e),
                    Err(_) => format!("no answer within {} s", (WATCH_EVERY * 3).as_secs()),
                };
                tracing::error!(target: "magsync::sync", "lost the account lock: its database connection failed ({failure})");
                *why.lock().unwrap_or_else(|p| p.into_inner()) = Some(failure);
                lost.cancel();
                // Nothing is held any more; wait for the release so it does not race a new run.
                let _ = released.await;
                return;
            }
            let unlock = Sql::new("SELECT pg_advisory_unlock($1)").bind(key);
            if let Err(e) = Conn::Postgres(&mut conn).execute(&unlock).await {
                tracing::warn!(target: "magsync::sync", "cannot release the advisory lock: {e}");
            }
            let _ = conn.close().await;
        });
        LockWatch {
            release: Some(release),
            task,
        }
    }
}

impl AccountLock {
    /// Runs a statement on the lock's row, binding its account and owner after `sql`'s own
    /// arguments.
    async fn run(&self, sql: Sql) -> Result<()> {
        let sql = sql.bind(self.account.as_str()).bind(self.owner.as_str());
        self.store.pool.execute(&sql).await.map(drop)
    }

    /// Cancelled when the lock is no longer held (Postgres: its connection was lost); the run
    /// must then stop at its next page boundary.
    pub fn lost(&self) -> CancellationToken {
        self.lost.clone()
    }

    /// Why the lock was lost, once [`AccountLock::lost`] fired; shared with the run.
    pub fn lost_reason_cell(&self) -> std::sync::Arc<std::sync::Mutex<Option<String>>> {
        self.lost_why.clone()
    }

    /// Records which run holds the lock, so its progress updates keep the lock fresh.
    pub async fn attach_run(&self, run_id: i64) -> Result<()> {
        let sql = Sql::new("UPDATE sync_locks SET run_id = $1 WHERE account = $2 AND owner = $3");
        self.run(sql.bind(run_id)).await
    }

    /// Keeps a lock that no run's progress refreshes (a push) from looking stale.
    pub async fn heartbeat(&self, now: DateTime<Utc>) -> Result<()> {
        let sql =
            Sql::new("UPDATE sync_locks SET heartbeat_at = $1 WHERE account = $2 AND owner = $3");
        self.run(sql.bind(now)).await
    }

    pub async fn release(mut self) -> Result<()> {
        self.run(Sql::new(
            "DELETE FROM sync_locks WHERE account = $1 AND owner = $2",
        ))
        .await?;
        if let Some(mut watch) = self.pg.take()
            && let Some(release) = watch.release.take()
        {
            let _ = release.send(());
            let _ = (&mut watch.task).await;
        }
        Ok(())
    }
}
