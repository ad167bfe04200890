//! The signals that stop a headless command cleanly: SIGINT (Ctrl-C), SIGTERM (what `timeout`,
//! `kill`, systemd and docker send) and SIGHUP (a closed terminal). Listening replaces their
//! default action, so the process is never killed mid-write; it cancels its work instead and
//! exits 128 + the signal's number, as a shell reports a process the signal ended.

use crate::error::EXIT_CANCELLED;

/// Which stop signal arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopSignal {
    Interrupt,
    Terminate,
    Hangup,
}

impl StopSignal {
    /// 130, 143 or 129.
    pub fn exit_code(self) -> u8 {
        match self {
            StopSignal::Interrupt => EXIT_CANCELLED,
            StopSignal::Terminate => 128 + 15,
            StopSignal::Hangup => 128 + 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StopSignal::Interrupt => "SIGINT",
            StopSignal::Terminate => "SIGTERM",
            StopSignal::Hangup => "SIGHUP",
        }
    }
}

/// The stop signals, listened for from creation on.
pub struct Interrupt {
    #[cfg(unix)]
    signals: [(tokio::signal::unix::Signal, StopSignal); 3],
}

impl Interrupt {
    pub fn install() -> anyhow::Result<Interrupt> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Ok(Interrupt {
                signals: [
                    (signal(SignalKind::interrupt())?, StopSignal::Interrupt),
                    (signal(SignalKind::terminate())?, StopSignal::Terminate),
                    (signal(SignalKind::hangup())?, StopSignal::Hangup),
                ],
            })
        }
        #[cfg(not(unix))]
        Ok(Interrupt {})
    }

    /// The next stop signal.
    pub async fn recv(&mut self) -> StopSignal {
        #[cfg(unix)]
        {
            let [(a, ka), (b, kb), (c, kc)] = &mut self.signals;
            tokio::select! {
                _ = a.recv() => *ka,
                _ = b.recv() => *kb,
                _ = c.recv() => *kc,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
            StopSignal::Interrupt
        }
    }
}
