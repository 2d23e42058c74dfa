//! `wsusfix-lab`: simulated Windows Server 2003/2008 hosts running WSUS, each behind a real
//! SSH server on loopback, answering the `cmd.exe` vocabulary of
//! `docs/windows-commands.md` in the documented output formats and changing state when a
//! command changes it. It is how wsusfix is tested, benchmarked and demonstrated, and how a
//! user rehearses a plan on simulated twins of a fleet.
//!
//! The layers, each usable alone:
//! - [`cmdline`] parses a `cmd.exe` line; [`interp`] runs it against a [`host::HostState`]
//!   (pure and synchronous: no I/O, no clock but the host's own);
//! - [`profile`] builds host states from YAML profiles (`lab/profiles/`, or a user's file),
//!   each combinable with a [`Language`] and an [`SshServer`] (`NAME@zh-CN+cygwin`);
//! - [`locale`] holds the languages, their code pages and the message catalogue;
//! - [`Lab`] serves many hosts over SSH from one process, each on its own port and host key,
//!   optionally a WAN round trip away ([`LabConfig::latency`]).
//!
//! ```
//! use wsusfix_lab::{interp, profile::Profile};
//! let mut host = Profile::builtin("w2008-sp1-unpatched").unwrap().instantiate("wsus02").unwrap();
//! let who = host.session_principal();
//! let out = interp::run_line(&mut host, r"reg query HKLM\SOFTWARE\Nope", who);
//! assert_eq!(out.exit_code, 1);
//! ```

pub mod cmdline;
pub mod host;
pub mod interp;
pub mod keys;
pub mod locale;
pub mod persist;
pub mod profile;
pub mod scp;
pub mod wsus;

mod error;
mod launch;
mod server;
mod wan;

pub use error::LabError;
pub use host::SshServer;
pub use interp::Output;
pub use launch::{host_name, mix, parse_mix, Artifacts, HostHandle, HostSpec, Lab, LabConfig, LabHost, RunningLab};
pub use locale::Language;
pub use profile::{ConnectionFault, Profile, ProfileError};
