//! Copying a file to a host by SCP (`scp -t`, what Windows SSH servers and the lab accept),
//! hashing it with SHA-256 while it streams so the copy can be checked on the host.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::path::Path;
use std::time::Instant;

use sha2::{Digest, Sha256};
use ssh2::Channel;

use super::error::{code, is_disconnect, ssh_code, TransportError};
use super::exec::{Budget, Link, NonBlocking};
use super::UploadReport;

const CHUNK: usize = 64 * 1024;

/// The target an `scp -t` request names for a Windows path: SCP takes the file's name from
/// what follows the last `/`, so `C:\\dir\\file.exe` goes as `C:/dir/file.exe` (which
/// Win32-OpenSSH and the lab accept). A path already written with `/` is unchanged.
pub(crate) fn scp_target(remote: &str) -> String {
    remote.replace('\\', "/")
}

/// Sends `local` to `remote` (a Windows path, see [`scp_target`]); `bytes_sent` counts what
/// went out even when the copy fails.
pub(crate) fn send(
    link: &Link<'_>,
    local: &Path,
    remote: &str,
    budget: &Budget,
    bytes_sent: &mut u64,
) -> Result<UploadReport, TransportError> {
    let started = Instant::now();
    let failed = |reason: String| TransportError::Upload {
        host: link.host.to_owned(),
        local: local.to_owned(),
        remote: remote.to_owned(),
        reason,
    };
    let mut file = File::open(local).map_err(|e| failed(format!("cannot open the local file: {e}")))?;
    let size = file.metadata().map_err(|e| failed(format!("cannot read the local file: {e}")))?.len();

    let _mode = NonBlocking::new(link.session);
    let target = scp_target(remote);
    let mut channel =
        retry_upload(link, budget, &failed, || link.session.scp_send(Path::new(&target), 0o644, size, None))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(failed(format!("cannot read the local file: {e}"))),
        };
        hasher.update(&buf[..n]);
        write_all(link, &mut channel, &buf[..n], budget)?;
        *bytes_sent += n as u64;
    }
    if *bytes_sent != size {
        return Err(failed(format!(
            "the local file changed size while being sent ({size} bytes expected, {bytes_sent} read)"
        )));
    }
    // The scp protocol ends a file with a zero byte, which libssh2 leaves to the caller;
    // without it the remote scp reports a lost connection.
    write_all(link, &mut channel, &[0], budget)?;
    retry_upload(link, budget, &failed, || channel.send_eof())?;
    retry_upload(link, budget, &failed, || channel.wait_eof())?;
    retry_upload(link, budget, &failed, || channel.close())?;
    retry_upload(link, budget, &failed, || channel.wait_close())?;
    match channel.exit_status() {
        Ok(0) => {}
        Ok(status) => return Err(failed(format!("the remote scp exited with code {status}"))),
        Err(e) => return Err(failed(format!("no exit status from the remote scp: {}", e.message()))),
    }
    Ok(UploadReport {
        local: local.to_owned(),
        remote: remote.to_owned(),
        size,
        sha256: hex::encode(hasher.finalize()),
        duration: started.elapsed(),
    })
}

/// Like [`Link::retry`], but a refusal by the remote scp is an upload failure.
fn retry_upload<T>(
    link: &Link<'_>,
    budget: &Budget,
    failed: &dyn Fn(String) -> TransportError,
    mut op: impl FnMut() -> Result<T, ssh2::Error>,
) -> Result<T, TransportError> {
    loop {
        match op() {
            Ok(value) => return Ok(value),
            Err(e) if ssh_code(&e) == code::EAGAIN => link.wait(budget)?,
            Err(e) if is_disconnect(ssh_code(&e)) => {
                return Err(TransportError::Disconnected { host: link.host.to_owned(), reason: e.message().to_owned() })
            }
            Err(e) => return Err(failed(e.message().to_owned())),
        }
    }
}

fn write_all(link: &Link<'_>, channel: &mut Channel, mut data: &[u8], budget: &Budget) -> Result<(), TransportError> {
    while !data.is_empty() {
        match channel.write(data) {
            Ok(0) => link.wait(budget)?,
            Ok(n) => data = &data[n..],
            Err(e) if e.kind() == ErrorKind::WouldBlock => link.wait(budget)?,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(link.io_error("sending the file", e)),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::scp_target;

    #[test]
    fn a_windows_path_goes_with_forward_slashes() {
        assert_eq!(
            scp_target(r"C:\Windows\Temp\wsusfix\WSUS3.0SP1-KB954960-x86.exe"),
            "C:/Windows/Temp/wsusfix/WSUS3.0SP1-KB954960-x86.exe"
        );
        assert_eq!(scp_target("C:/already/forward.exe"), "C:/already/forward.exe");
        assert_eq!(scp_target("/tmp/unix/path.exe"), "/tmp/unix/path.exe");
    }
}
