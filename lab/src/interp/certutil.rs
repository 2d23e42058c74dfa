//! `certutil -hashfile FILE [SHA1|SHA256|MD5]`: the old format, bytes as space-separated hex.
//! SHA256 is refused on Server 2003 (only later builds accept it as an argument).

use super::{Ctx, Io, Status};
use crate::host::Os;

const NOT_FOUND: i32 = -2_147_024_894; // 0x80070002
const BAD_ALGORITHM: i32 = -2_146_893_816; // 0x80090008

pub(super) fn run(ctx: &mut Ctx, io: &Io, args: &[String]) -> Status {
    let verb = args.first().map(|a| a.to_ascii_lowercase()).unwrap_or_default();
    if verb != "-hashfile" && verb != "/hashfile" {
        ctx.eprint(io, "CertUtil: Unknown arg\r\n");
        return Status::code(-2_147_024_809);
    }
    let Some(name) = args.get(1) else {
        ctx.eprint(
            io,
            "CertUtil: -hashfile command FAILED: 0x80070057 (WIN32: 87)\r\nCertUtil: The parameter is incorrect.\r\n",
        );
        return Status::code(-2_147_024_809);
    };
    let algorithm = args.get(2).map(|a| a.to_ascii_uppercase()).unwrap_or_else(|| "SHA1".into());
    let digest_alg = match algorithm.as_str() {
        "SHA1" => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
        "SHA256" if ctx.host.os == Os::W2008 => &ring::digest::SHA256,
        "SHA512" if ctx.host.os == Os::W2008 => &ring::digest::SHA512,
        _ => {
            ctx.eprint(io, "CertUtil: -hashfile command FAILED: 0x80090008 (-2146893816)\r\nCertUtil: Invalid algorithm specified.\r\n");
            return Status::code(BAD_ALGORITHM);
        }
    };
    let path = ctx.path(name);
    let lang = ctx.lang();
    let Some(bytes) = ctx.host.fs.file(&path).map(|f| f.content.bytes()) else {
        let text =
            format!("CertUtil: -hashfile command FAILED: 0x80070002 (WIN32: 2)\r\nCertUtil: {}", lang.file_not_found());
        ctx.eprint(io, &text);
        return Status::code(NOT_FOUND);
    };
    let digest = ring::digest::digest(digest_alg, &bytes);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02x}")).collect();
    let text = format!("{}{}\r\n{}", lang.certutil_hash_header(&algorithm, &path), hex.join(" "), lang.certutil_done());
    ctx.print(io, &text);
    Status::ok()
}
