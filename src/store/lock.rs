//! One running sync per account, across processes.
//!
//! SQLite: a row in `sync_locks`, taken over when its heartbeat is stale (the holder crashed).
//! Postgres: a session advisory lock held on a dedicated connection, released by the server the
//! moment that connection closes, plus the same row so both answer "who holds it".

use super::{Pool, Result, Store, on_pool};
use chrono::{DateTime, Utc};
use sqlx::postgres::PgConnection;
use sqlx::{Connection, Row};
use std::fmt;
use std::time::Duration;

/// A lock whose heartbeat is older than this belongs to a dead process.
pub const STALE_AFTER: Duration = Duration::from_secs(60);

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
    pg: Option<PgConnection>,
}

fn advisory_key(account: &str) -> i64 {
    let h = blake3::hash(format!("magsync-sync:{account}").as_bytes());
    i64::from_le_bytes(h.as_bytes()[..8].try_into().expect("8 bytes"))
}

impl Store {
    /// Takes the account's sync lock for `owner` (e.g. "host:pid"), or says who holds it.
    pub async fn try_lock_account(
        &self,
        account: &str,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<AccountLock, LockBusy>> {
        let cutoff = now - chrono::Duration::from_std(STALE_AFTER).expect("small duration");
        let mut pg = None;
        let acquired = match &self.pool {
            Pool::Sqlite(pool) => sqlx::query(
                "INSERT INTO sync_locks (account, run_id, owner, heartbeat_at) VALUES ($1, 0, $2, $3) \
                 ON CONFLICT (account) DO UPDATE SET run_id = 0, owner = excluded.owner, \
                 heartbeat_at = excluded.heartbeat_at WHERE sync_locks.heartbeat_at < $4",
            )
            .bind(account)
            .bind(owner)
            .bind(now)
            .bind(cutoff)
            .execute(pool)
            .await?
            .rows_affected()
                == 1,
            Pool::Postgres(pool) => {
                let mut conn = pool.acquire().await?.detach();
                let got: bool = sqlx::query("SELECT pg_try_advisory_lock($1) AS got")
                    .bind(advisory_key(account))
                    .fetch_one(&mut conn)
                    .await?
                    .try_get("got")?;
                if got {
                    sqlx::query(
                        "INSERT INTO sync_locks (account, run_id, owner, heartbeat_at) VALUES ($1, 0, $2, $3) \
                         ON CONFLICT (account) DO UPDATE SET run_id = 0, owner = excluded.owner, \
                         heartbeat_at = excluded.heartbeat_at",
                    )
                    .bind(account)
                    .bind(owner)
                    .bind(now)
                    .execute(&mut conn)
                    .await?;
                    pg = Some(conn);
                } else {
                    let _ = conn.close().await;
                }
                got
            }
        };
        if acquired {
            return Ok(Ok(AccountLock {
                store: self.clone(),
                account: account.to_string(),
                owner: owner.to_string(),
                pg,
            }));
        }
        let running = self
            .last_run(account, None, Some(crate::model::RunStatus::Running))
            .await?;
        Ok(Err(LockBusy {
            account: account.to_string(),
            run_id: running.as_ref().map(|r| r.id),
            started_at: running.map(|r| r.started_at),
        }))
    }
}

impl AccountLock {
    /// Records which run holds the lock, so its progress updates keep the lock fresh.
    pub async fn attach_run(&self, run_id: i64) -> Result<()> {
        on_pool!(self.store, pool => {
            sqlx::query("UPDATE sync_locks SET run_id = $1 WHERE account = $2 AND owner = $3")
                .bind(run_id)
                .bind(&self.account)
                .bind(&self.owner)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    pub async fn release(mut self) -> Result<()> {
        on_pool!(self.store, pool => {
            sqlx::query("DELETE FROM sync_locks WHERE account = $1 AND owner = $2")
                .bind(&self.account)
                .bind(&self.owner)
                .execute(pool)
                .await?;
        });
        if let Some(mut conn) = self.pg.take() {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(advisory_key(&self.account))
                .execute(&mut conn)
                .await?;
            let _ = conn.close().await;
        }
        Ok(())
    }
}

/// "host:pid", to tell lock holders apart.
pub fn process_owner() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into());
    format!("{host}:{}", std::process::id())
}
