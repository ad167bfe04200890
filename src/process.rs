//! This host's processes as lock and run owners name them (`host:pid`), and whether one of
//! them is gone: a sync lock or a `running` run whose owner is gone is taken over at once.

/// "host:pid" of this host whose process no longer exists. Another host's processes cannot be
/// seen from here, so those are never called gone.
pub fn local_process_is_gone(owner: &str) -> bool {
    let Some((host, pid)) = owner.rsplit_once(':') else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    if host != hostname() || pid == 0 {
        return false;
    }
    if pid == std::process::id() {
        return false;
    }
    let proc = std::path::Path::new("/proc");
    // Without a mounted /proc nothing can be told; wait for the heartbeat instead.
    if !proc.join("self").exists() {
        return false;
    }
    match std::fs::read_to_string(proc.join(pid.to_string()).join("stat")) {
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
        // A zombie (killed, not yet reaped by its parent) runs nothing any more.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

/// "host:pid", to tell lock holders apart.
pub fn process_owner() -> String {
    format!("{}:{}", hostname(), std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_a_process_of_this_host_that_is_gone_or_a_zombie_counts_as_gone() {
        let me = process_owner();
        assert!(!local_process_is_gone(&me));
        let host = me.rsplit_once(':').unwrap().0;
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let owner = format!("{host}:{}", child.id());
        assert!(!local_process_is_gone(&owner), "alive");
        child.kill().unwrap();
        // Killed but not yet reaped: a zombie.
        let mut zombie = false;
        for _ in 0..100 {
            zombie = local_process_is_gone(&owner);
            if zombie {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(zombie, "a zombie runs nothing");
        child.wait().unwrap();
        assert!(local_process_is_gone(&owner), "reaped");
        assert!(!local_process_is_gone(&format!(
            "another-host:{}",
            child.id()
        )));
        assert!(!local_process_is_gone("no-pid-here"));
        assert!(!local_process_is_gone(&format!("{host}:0")));
    }
}
