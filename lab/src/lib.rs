//! Simulated Windows Server 2003/2008 hosts running WSUS, served over a real SSH server on
//! loopback. Filled in by the lab issue.
