//! Arbitrary bytes as a file walked by `archive::walk_file`, under small
//! limits.
//!
//! Two modes, by the first byte:
//!
//! - `0xA5`: *structured*. The rest describes up to 8 members (a name and a
//!   content each) and a container (tar, tar.gz, zip stored or deflated,
//!   gzip with a stored name) built from them here; the walk must hand the
//!   visitor exactly those members, in order, named `fuzz.bin!<name>` as
//!   stored (less leading `./` in a tar), with exactly their bytes, and
//!   report no error.
//! - anything else: *raw*. The whole input is the file, of the kind
//!   `sniff` finds (every kind in turn when none). The walk must not panic;
//!   every name the visitor gets and every error names the input
//!   (`fuzz.bin`, or `fuzz.bin!...` for members); and the bytes the visitor
//!   reads stay within the limits: at most the input itself (read raw)
//!   plus what the budget lets decompression produce (`max_bytes`, and
//!   past `ratio_floor` at most `max_ratio` times the input).
//!
//! `walk_file` writes nothing to disk (it only reads the file and decodes in
//! memory); the input goes to one scratch file per process.

#![no_main]

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::sync::{Mutex, OnceLock};

use libfuzzer_sys::fuzz_target;
use secretscan::archive::{sniff, walk_file, ArchiveError, Kind, Limits, SNIFF_LEN};
use secretscan_fuzz::scratch_path;

const NAME: &str = "fuzz.bin";

const LIMITS: Limits = Limits {
    max_depth: 3,
    max_bytes: 256 << 10,
    max_ratio: 50,
    ratio_floor: 16 << 10,
    max_in_memory: 32 << 10,
};

fn scratch() -> &'static Mutex<File> {
    static F: OnceLock<Mutex<File>> = OnceLock::new();
    F.get_or_init(|| {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(scratch_path("archive.bin"))
            .expect("scratch file");
        Mutex::new(file)
    })
}

/// What the walk handed out.
#[derive(Default)]
struct Seen {
    members: Vec<(String, Vec<u8>)>,
    bytes: u64,
    errors: Vec<ArchiveError>,
}

fn walk(data: &[u8], kind: Kind) -> Seen {
    let file = scratch().lock().unwrap();
    let mut f = &*file;
    f.set_len(0).unwrap();
    f.seek(SeekFrom::Start(0)).unwrap();
    f.write_all(data).unwrap();
    let handle = file.try_clone().unwrap();
    drop(file);

    let mut seen = Seen::default();
    let mut members = vec![];
    let mut bytes = 0u64;
    let mut visit = |name: &str, r: &mut dyn Read| -> std::io::Result<()> {
        let mut content = vec![];
        let mut buf = [0u8; 4096];
        let result = loop {
            match r.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => {
                    bytes += n as u64;
                    content.extend_from_slice(&buf[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        members.push((name.to_string(), content));
        result
    };
    walk_file(NAME, kind, handle, &LIMITS, &mut visit, &mut seen.errors);
    seen.members = members;
    seen.bytes = bytes;
    seen
}

fn error_path(e: &ArchiveError) -> &str {
    match e {
        ArchiveError::Corrupt { path, .. }
        | ArchiveError::Bomb { path, .. }
        | ArchiveError::TooLarge { path, .. }
        | ArchiveError::TooDeep { path, .. }
        | ArchiveError::NestedTooLarge { path, .. }
        | ArchiveError::Unsupported { path, .. }
        | ArchiveError::Io { path, .. } => path,
    }
}

fn names_the_input(name: &str) -> bool {
    name == NAME || name.strip_prefix(NAME).is_some_and(|r| r.starts_with('!'))
}

fn raw(data: &[u8]) {
    let input = data.len() as u64;
    let expandable = LIMITS
        .max_bytes
        .min(LIMITS.ratio_floor.max((LIMITS.max_ratio + 1) * input.max(1)));
    let kinds = match sniff(&data[..data.len().min(SNIFF_LEN)]) {
        Some(k) => vec![k],
        None => vec![Kind::Gzip, Kind::Zip, Kind::Tar],
    };
    for kind in kinds {
        let seen = walk(data, kind);
        assert!(
            seen.bytes <= input + expandable,
            "{kind:?}: visitor read {} bytes from a {input}-byte input (limit {})",
            seen.bytes,
            input + expandable
        );
        for (name, _) in &seen.members {
            assert!(names_the_input(name), "{kind:?}: member name {name:?}");
        }
        for e in &seen.errors {
            assert!(names_the_input(error_path(e)), "{kind:?}: error {e}");
            let _ = e.to_string();
        }
    }
}

/// Reads structured members: name length, name, content length, content.
fn members(mut rest: &[u8]) -> Vec<(String, Vec<u8>)> {
    // Name bytes map into a set that includes `.`, `/` and `!` (the walk's
    // own separator) but no NUL, backslash or control character.
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/! ~";
    let mut out = vec![];
    while out.len() < 8 {
        let [len, tail @ ..] = rest else { break };
        let len = (*len as usize % 40) + 1;
        if tail.len() < len + 1 {
            break;
        }
        let mut name: String = tail[..len]
            .iter()
            .map(|b| CHARS[*b as usize % CHARS.len()] as char)
            .collect();
        if name.ends_with('/') {
            name.push('f');
        }
        let clen = tail[len] as usize;
        let body = &tail[len + 1..];
        let clen = clen.min(body.len());
        // A prefix that no format is sniffed from: members are leaves.
        let mut content = b"m:".to_vec();
        content.extend_from_slice(&body[..clen]);
        out.push((name, content));
        rest = &body[clen..];
    }
    out
}

fn tar_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = vec![];
    for (name, content) in members {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{:011o}", content.len()).as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|b| u32::from(*b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(content);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

fn gzip_of(data: &[u8], stored_name: Option<&str>) -> Vec<u8> {
    let mut b = flate2::GzBuilder::new();
    if let Some(n) = stored_name {
        b = b.filename(n);
    }
    let mut gz = b.write(vec![], flate2::Compression::fast());
    gz.write_all(data).unwrap();
    gz.finish().unwrap()
}

fn zip_of(members: &[(String, Vec<u8>)], deflate: bool) -> Vec<u8> {
    let mut z = zip::ZipWriter::new(std::io::Cursor::new(vec![]));
    let method = if deflate {
        zip::CompressionMethod::Deflated
    } else {
        zip::CompressionMethod::Stored
    };
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, content) in members {
        z.start_file(name.as_str(), options).unwrap();
        z.write_all(content).unwrap();
    }
    z.finish().unwrap().into_inner()
}

fn structured(mode: u8, rest: &[u8]) {
    let mut members = members(rest);
    let (bytes, expected): (Vec<u8>, Vec<(String, Vec<u8>)>) = match mode % 5 {
        0 | 1 => {
            // Nothing left once `./` prefixes are trimmed is not a usable
            // tar name.
            members.retain(|(n, _)| !n.trim_start_matches("./").is_empty());
            let tar = tar_of(&members);
            let expected = members
                .iter()
                .map(|(n, c)| (format!("{NAME}!{}", n.trim_start_matches("./")), c.clone()))
                .collect();
            let bytes = if mode % 5 == 0 {
                tar
            } else {
                gzip_of(&tar, None)
            };
            (bytes, expected)
        }
        2 | 3 => {
            let mut names = std::collections::HashSet::new();
            members.retain(|(n, _)| names.insert(n.clone()));
            let expected = members
                .iter()
                .map(|(n, c)| (format!("{NAME}!{n}"), c.clone()))
                .collect();
            (zip_of(&members, mode % 5 == 3), expected)
        }
        _ => {
            let Some((name, content)) = members.into_iter().next() else {
                return;
            };
            (
                gzip_of(&content, Some(&name)),
                vec![(format!("{NAME}!{name}"), content)],
            )
        }
    };
    if expected.is_empty() {
        return;
    }
    let kind = sniff(&bytes[..bytes.len().min(SNIFF_LEN)]).expect("a container is recognised");
    let seen = walk(&bytes, kind);
    let errors: Vec<String> = seen.errors.iter().map(|e| format!("{e:#}")).collect();
    assert!(errors.is_empty(), "errors on a well-formed archive: {errors:?}");
    let got: Vec<(&str, String)> = seen
        .members
        .iter()
        .map(|(n, c)| (n.as_str(), String::from_utf8_lossy(c).into_owned()))
        .collect();
    let want: Vec<(&str, String)> = expected
        .iter()
        .map(|(n, c)| (n.as_str(), String::from_utf8_lossy(c).into_owned()))
        .collect();
    assert_eq!(got, want, "members not handed out as stored");
    assert_eq!(seen.members, expected);
}

fuzz_target!(|data: &[u8]| {
    match data {
        [0xA5, mode, rest @ ..] => structured(*mode, rest),
        _ => raw(data),
    }
});
