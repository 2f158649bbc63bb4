//! Kernel-enforced network isolation of python deployments (ISO-10, SPEC 6.4): each inference
//! server process may open TCP connections only to its own egress proxy and bind only its own
//! port, whatever its code does (a raw socket, a library that ignores `HTTP_PROXY`). Enforced
//! with Linux Landlock (ABI 4, Linux 6.7+: `LANDLOCK_ACCESS_NET_CONNECT_TCP` / `BIND_TCP`),
//! which any unprivileged process may apply to itself; the restriction is inherited by every
//! process the server forks (gunicorn workers) and cannot be lifted.
//!
//! How it is applied (chosen for robustness): the ruleset is built with the `landlock` crate in
//! amlite *before* the fork (allocation, error handling, ABI negotiation all happen there); the
//! forked child then runs only async-signal-safe raw system calls in `pre_exec`:
//! `prctl(PR_SET_PDEATHSIG, SIGKILL)`, `getppid()`, `prctl(PR_SET_NO_NEW_PRIVS)` and
//! `landlock_restrict_self(fd)`. No re-exec through a launcher binary is needed, so it works the
//! same when amlite runs embedded in a test binary. The ruleset fd is close-on-exec, so the user's
//! code never sees it.
//!
//! Landlock's TCP rules cover `IPPROTO_TCP` sockets only; a Multipath TCP socket
//! (`socket(AF_INET, SOCK_STREAM, IPPROTO_MPTCP)`) falls back to plain TCP with an ordinary peer
//! and is not covered, so a seccomp filter (built with `seccompiler`, also before the fork)
//! refuses creating MPTCP sockets with `EACCES`, and refuses `io_uring_setup` (io_uring can create
//! sockets without the `socket` system call). Found by an attack pass on ISO-10.
//!
//! Limits (documented in the README): Landlock's TCP rules are by port, for every address, so
//! the proxy port is reachable on any local address (harmless: only amlite listens there); UDP
//! and Unix sockets are not restricted (DNS keeps working; nothing of amlite listens on UDP).
//! Kernels without Landlock ABI 4 (or with Landlock disabled) run deployments unrestricted:
//! amlite says so at start-up (WARN) and in each python deployment's `getLogs`.
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use landlock::{
    Access, AccessNet, CompatLevel, Compatible, NetPort, Ruleset, RulesetAttr, RulesetCreatedAttr,
    ABI,
};
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule,
};

use super::errors::SandboxError;

/// `IPPROTO_MPTCP` (linux/in.h); not in every libc crate version.
const IPPROTO_MPTCP: u64 = 262;

/// What a sandboxed child is restricted with: built in amlite before the fork, applied in the
/// child between fork and exec ([`restrict_child`]).
pub struct Restriction {
    ruleset: OwnedFd,
    filter: BpfProgram,
}

/// Whether python deployments run inside the Landlock TCP restriction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxMode {
    /// Enforced by the kernel.
    Enforced,
    /// Not enforced; why (kernel too old, Landlock disabled, `--no-network-sandbox`).
    Off(String),
}

impl SandboxMode {
    /// Probes the running kernel (creates and drops an empty ruleset), unless `disabled`.
    pub fn detect(disabled: bool) -> SandboxMode {
        if disabled {
            return SandboxMode::Off("it was turned off with --no-network-sandbox".into());
        }
        match restriction(&[], &[]) {
            Ok(_) => SandboxMode::Enforced,
            Err(e) => SandboxMode::Off(e.to_string()),
        }
    }

    /// The warning amlite logs at start-up and adds to each python deployment's `getLogs`, or
    /// `None` when isolation is enforced.
    pub fn warning(&self) -> Option<String> {
        match self {
            SandboxMode::Enforced => None,
            SandboxMode::Off(why) => Some(not_enforced(why)),
        }
    }
}

/// The text of the warning: isolation of deployments is not enforced by the kernel because `why`.
pub fn not_enforced(why: &str) -> String {
    format!(
        "WARN amlite: network isolation of python deployments is not enforced by the kernel \
         ({why}): only code that honours HTTP_PROXY goes through the deployment's egress proxy, \
         so a raw socket can reach other deployments (ISO-10). Landlock ABI 4 (Linux 6.7+) \
         enforces it."
    )
}

/// The restriction of one inference server: a Landlock ruleset that allows TCP `connect` only to
/// `connect` ports and `bind` only to `bind` ports, plus the socket filter. Errors: the kernel
/// lacks Landlock ABI 4 or has Landlock disabled, or seccomp does not know this CPU.
pub fn restriction(connect: &[u16], bind: &[u16]) -> Result<Restriction, SandboxError> {
    Ok(Restriction {
        ruleset: ruleset(connect, bind)?,
        filter: socket_filter()?,
    })
}

/// seccomp: `socket(_, _, IPPROTO_MPTCP)` and `io_uring_setup` fail with `EACCES`; every other
/// system call is allowed.
fn socket_filter() -> Result<BpfProgram, SandboxError> {
    let why = SandboxError::Seccomp;
    let mptcp = SeccompRule::new(vec![SeccompCondition::new(
        2,
        SeccompCmpArgLen::Dword,
        SeccompCmpOp::Eq,
        IPPROTO_MPTCP,
    )
    .map_err(why)?])
    .map_err(why)?;
    let arch = std::env::consts::ARCH
        .try_into()
        .map_err(SandboxError::UnsupportedCpu)?;
    let filter = SeccompFilter::new(
        [
            (libc::SYS_socket, vec![mptcp]),
            (libc::SYS_io_uring_setup, vec![]),
        ]
        .into_iter()
        .collect(),
        SeccompAction::Allow,
        SeccompAction::Errno(libc::EACCES as u32),
        arch,
    )
    .map_err(why)?;
    filter.try_into().map_err(why)
}

fn ruleset(connect: &[u16], bind: &[u16]) -> Result<OwnedFd, SandboxError> {
    let mut rs = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(AccessNet::from_all(ABI::V4))?
        .create()?;
    for p in connect {
        rs = rs.add_rule(NetPort::new(*p, AccessNet::ConnectTcp))?;
    }
    for p in bind {
        rs = rs.add_rule(NetPort::new(*p, AccessNet::BindTcp))?;
    }
    let fd: Option<OwnedFd> = rs.into();
    fd.ok_or(SandboxError::NoRuleset)
}

/// Makes the child of `cmd` die with amlite and, with `ruleset`, restricts it before it execs.
///
/// - `PR_SET_PDEATHSIG(SIGKILL)`: the child is killed when the thread that forked it ends, so
///   callers spawn from a thread that lives as long as amlite ([`super::processes::Spawner`]);
///   then `getppid()` is compared with amlite's pid, in case amlite died before the `prctl`.
/// - `restriction`: the Landlock ruleset applied with `landlock_restrict_self` after
///   `PR_SET_NO_NEW_PRIVS` (required for an unprivileged process), then the seccomp filter. A
///   failure fails the spawn (fail closed).
///
/// The caller keeps `restriction` alive until the spawn returned.
pub fn restrict_child(cmd: &mut tokio::process::Command, restriction: Option<&Restriction>) {
    let fd: Option<RawFd> = restriction.map(|r| r.ruleset.as_raw_fd());
    // Copied here, in the parent: the child only reads it (the kernel copies the program in).
    let filter: Option<BpfProgram> = restriction.map(|r| r.filter.clone());
    // A pid always fits in pid_t; 0 (never a parent) would only make the check fail closed.
    let parent = libc::pid_t::try_from(std::process::id()).unwrap_or(0);
    // SAFETY: the closure runs in the forked child before exec and calls only async-signal-safe
    // system calls (prctl, getppid, syscall, seccomp); it allocates nothing and touches no lock.
    // `fd` is a ruleset descriptor the parent keeps open across the spawn.
    unsafe {
        cmd.pre_exec(move || {
            if libc::prctl(
                libc::PR_SET_PDEATHSIG,
                libc::SIGKILL as libc::c_ulong,
                0,
                0,
                0,
            ) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            if libc::getppid() != parent {
                // amlite is gone: do not start an orphan (ESRCH allocates nothing).
                return Err(std::io::Error::from_raw_os_error(libc::ESRCH));
            }
            if let Some(fd) = fd {
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                if libc::syscall(libc::SYS_landlock_restrict_self, fd, 0) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
            }
            if let Some(filter) = &filter {
                // prctl + seccomp on a program built before the fork; no allocation on success.
                if seccompiler::apply_filter(filter).is_err() {
                    return Err(std::io::Error::from_raw_os_error(libc::EPERM));
                }
            }
            Ok(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_mode_warns_with_the_reason() {
        let m = SandboxMode::detect(true);
        let w = m.warning().unwrap_or_default();
        assert!(w.starts_with("WARN"), "{w}");
        assert!(w.contains("--no-network-sandbox"), "{w}");
        assert!(w.contains("ISO-10"), "{w}");
        assert_eq!(SandboxMode::Enforced.warning(), None);
    }
}
