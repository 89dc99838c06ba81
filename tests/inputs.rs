//! Binary and packed inputs end to end: archives (zip, tar, tar.gz, gz,
//! nested) found with `outer!inner` names and member offsets; text stored
//! as UTF-16LE in a dump found at its raw byte offset; damaged archives,
//! decompression bombs and unreadable members give clear errors, no panic.
//!
//! Archives are built here with the same crates the scanner reads them
//! with, plus byte-level patches where a case needs a malformed file.

mod keys;

use std::fs;
use std::io::{Cursor, Write};
use std::path::Path;

use assert_cmd::Command;
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use keys::{anthropic_key, github_pat, utf16le, BIN};
use serde_json::Value;
use tempfile::TempDir;

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = GzEncoder::new(vec![], Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn tar(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut b = tar::Builder::new(vec![]);
    for (name, data) in members {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, *data).unwrap();
    }
    b.into_inner().unwrap()
}

fn zip(members: &[(&str, &[u8])], method: zip::CompressionMethod) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(Cursor::new(vec![]));
    let options = zip::write::SimpleFileOptions::default().compression_method(method);
    for (name, data) in members {
        w.start_file(*name, options).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// The JSON report of `scan ARGS` in `dir`, with its exit code and stderr.
fn scan_json(dir: &Path, args: &[&str]) -> (Vec<Value>, i32, String) {
    let out = Command::new(BIN)
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    (
        report.as_array().unwrap().clone(),
        out.status.code().unwrap(),
        stderr,
    )
}

/// (path, rule, offset, end, line) of each finding.
fn places(report: &[Value]) -> Vec<(String, String, u64, u64, u64)> {
    report
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["rule_id"].as_str().unwrap().to_string(),
                f["offset"].as_u64().unwrap(),
                f["end"].as_u64().unwrap(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn archives_are_opened_at_any_depth_and_members_named() {
    let dir = TempDir::new().unwrap();
    let (pat, pat2) = (github_pat(11), github_pat(12));
    let env = format!("# env\nGITHUB_TOKEN={pat}\n"); // secret at offset 19, line 2
    let log = format!("start\nauth token {pat2}\n"); // offset 17, line 2
    let p = dir.path();
    fs::write(
        p.join("a.zip"),
        zip(
            &[
                ("inner/app.env", env.as_bytes()),
                ("stored.log", log.as_bytes()),
                ("empty/", b""),
            ],
            zip::CompressionMethod::Deflated,
        ),
    )
    .unwrap();
    fs::write(p.join("b.tar"), tar(&[("./dir/x.env", env.as_bytes())])).unwrap();
    fs::write(
        p.join("c.tar.gz"),
        gzip(&tar(&[("logs/a.log", log.as_bytes())])),
    )
    .unwrap();
    fs::write(p.join("app.log.gz"), gzip(log.as_bytes())).unwrap();
    let mut named = GzBuilder::new()
        .filename("original.txt")
        .write(vec![], Compression::default());
    named.write_all(env.as_bytes()).unwrap();
    fs::write(p.join("renamed.gz"), named.finish().unwrap()).unwrap();
    // tar.gz holding a zip holding a gzip.
    let inner_zip = zip(
        &[("deep/conf.txt.gz", &gzip(env.as_bytes()))],
        zip::CompressionMethod::Stored,
    );
    fs::write(
        p.join("bundle.tgz"),
        gzip(&tar(&[("pkg/inner.zip", &inner_zip)])),
    )
    .unwrap();

    let (report, code, stderr) = scan_json(p, &["."]);
    assert_eq!(code, 1, "{stderr}");
    let mut got = places(&report);
    got.sort();
    let env_at = |path: &str| {
        (
            path.to_string(),
            "github-pat".to_string(),
            19,
            19 + pat.len() as u64,
            2,
        )
    };
    let log_at = |path: &str| {
        (
            path.to_string(),
            "github-pat".to_string(),
            17,
            17 + pat2.len() as u64,
            2,
        )
    };
    let mut want = vec![
        env_at("./a.zip!inner/app.env"),
        log_at("./a.zip!stored.log"),
        env_at("./b.tar!dir/x.env"),
        log_at("./c.tar.gz!logs/a.log"),
        log_at("./app.log.gz!app.log"),
        env_at("./renamed.gz!original.txt"),
        env_at("./bundle.tgz!pkg/inner.zip!deep/conf.txt.gz!conf.txt"),
    ];
    want.sort();
    assert_eq!(got, want, "{stderr}");

    // --no-archives: nothing is opened; a tar member is still plain bytes
    // of the tar, reported under the tar's own name. (Whether a deflated
    // zip member shows its bytes depends on the deflate encoder: not
    // asserted.)
    let (report, code, _) = scan_json(p, &["--no-archives", "."]);
    assert_eq!(code, 1);
    let paths: Vec<String> = places(&report).into_iter().map(|p| p.0).collect();
    assert!(paths.contains(&"./b.tar".to_string()), "{paths:?}");
    assert!(paths.iter().all(|p| !p.contains('!')), "{paths:?}");
}

#[test]
fn utf16le_text_in_a_dump_is_found_at_its_raw_offset() {
    let dir = TempDir::new().unwrap();
    let (pat, ant) = (github_pat(21), anthropic_key(22));
    // A minidump-like file: a header, binary noise with zero bytes and a
    // newline, then a .NET-style string (length-prefixed UTF-16LE) at an
    // even offset, and later one at an odd offset that straddles the
    // 256 KiB read size.
    let mut dump = b"MDMP\x93\xa7\x00\x00".to_vec();
    dump.extend((0..2000u32).flat_map(|i| i.wrapping_mul(2_654_435_761).to_le_bytes()));
    dump.extend(b"\n\x00\x00\x00");
    let text = format!("GITHUB_TOKEN={pat}");
    dump.extend((text.len() as u32).to_le_bytes());
    let even = dump.len() as u64 + 2 * 13;
    dump.extend(utf16le(&text));
    dump.resize(256 * 1024 - 62, 0);
    dump.push(0x7f);
    let odd = dump.len() as u64 + 2 * "key=".len() as u64;
    assert!(odd % 2 == 1 && odd < 256 * 1024 && odd + 2 * ant.len() as u64 > 256 * 1024);
    dump.extend(utf16le(&format!("key={ant}")));
    dump.extend([0u8; 1000]);
    fs::write(dir.path().join("app.dmp"), &dump).unwrap();
    // The same text as UTF-8 elsewhere must give the same fingerprint.
    fs::write(dir.path().join("same.txt"), format!("{text}\n")).unwrap();

    let (report, code, stderr) = scan_json(dir.path(), &["app.dmp", "same.txt"]);
    assert_eq!(code, 1, "{stderr}");
    let got = places(&report);
    // Line and column count raw newline bytes, as for any binary file.
    let line_col = |at: u64| {
        let before = &dump[..at as usize];
        let line = before.iter().filter(|&&b| b == b'\n').count() as u64 + 1;
        let start = before
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(0, |i| i + 1) as u64;
        (line, at - start + 1)
    };
    assert_eq!(
        got[..2],
        [
            (
                "app.dmp".into(),
                "github-pat".into(),
                even,
                even + 2 * pat.len() as u64,
                line_col(even).0
            ),
            (
                "app.dmp".into(),
                "anthropic-api-key".into(),
                odd,
                odd + 2 * ant.len() as u64,
                line_col(odd).0
            ),
        ],
        "{report:#?}"
    );
    assert_eq!(report[0]["column"], line_col(even).1);
    assert_eq!(report[1]["column"], line_col(odd).1);
    // Both decode back to the keys at those offsets.
    let decode = |at: u64, len: usize| -> String {
        let bytes = &dump[at as usize..at as usize + 2 * len];
        String::from_utf16(
            &bytes
                .chunks(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect::<Vec<_>>(),
        )
        .unwrap()
    };
    assert_eq!(decode(even, pat.len()), pat);
    assert_eq!(decode(odd, ant.len()), ant);
    assert_eq!(report[0]["fingerprint"], report[2]["fingerprint"]);
    assert_eq!(report[0]["preview"], "ghp_…");
}

#[test]
fn a_truncated_gzip_reports_what_it_could_read_then_an_error() {
    let dir = TempDir::new().unwrap();
    let pat = github_pat(31);
    let mut data = format!("first TOKEN={pat}\n").into_bytes();
    data.extend(
        (0..50_000u32).flat_map(|i| format!("{:x}\n", i.wrapping_mul(2_654_435_761)).into_bytes()),
    );
    let gz = gzip(&data);
    fs::write(dir.path().join("cut.log.gz"), &gz[..gz.len() / 2]).unwrap();
    let (report, code, stderr) = scan_json(dir.path(), &["cut.log.gz"]);
    assert_eq!(code, 2);
    assert_eq!(places(&report)[0].0, "cut.log.gz!cut.log");
    assert!(
        stderr.contains("secretscan: error: cut.log.gz!cut.log: corrupt or truncated gzip data: "),
        "{stderr}"
    );
    // A gzip cut inside its header.
    fs::write(dir.path().join("head.gz"), &gz[..5]).unwrap();
    let (_, code, stderr) = scan_json(dir.path(), &["head.gz"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("head.gz: corrupt or truncated gzip data"),
        "{stderr}"
    );
}

#[test]
fn a_corrupt_zip_is_an_error_and_its_bytes_are_still_scanned() {
    let dir = TempDir::new().unwrap();
    let pat = github_pat(41);
    let good = zip(
        &[("a.env", format!("T={pat}\n").as_bytes())],
        zip::CompressionMethod::Stored,
    );
    // Cut off the central directory.
    fs::write(dir.path().join("broken.zip"), &good[..good.len() - 30]).unwrap();
    let (report, code, stderr) = scan_json(dir.path(), &["broken.zip"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("broken.zip: corrupt or truncated zip data: "),
        "{stderr}"
    );
    assert_eq!(places(&report)[0].0, "broken.zip");
    assert_eq!(places(&report)[0].1, "github-pat");

    // A deflated member with flipped bytes: its CRC or inflate fails.
    let mut bad = zip(
        &[("x.txt", "hello world ".repeat(500).as_bytes())],
        zip::CompressionMethod::Deflated,
    );
    for b in &mut bad[40..60] {
        *b ^= 0x5a;
    }
    fs::write(dir.path().join("crc.zip"), &bad).unwrap();
    let (_, code, stderr) = scan_json(dir.path(), &["crc.zip"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("crc.zip!x.txt: corrupt or truncated zip data"),
        "{stderr}"
    );
}

#[test]
fn members_that_cannot_be_read_are_named_and_the_rest_scanned() {
    let dir = TempDir::new().unwrap();
    let pat = github_pat(51);
    let mut data = zip(
        &[
            ("locked.env", b"secret stuff\n"),
            ("open.env", format!("T={pat}\n").as_bytes()),
        ],
        zip::CompressionMethod::Stored,
    );
    // Mark the first member encrypted (general-purpose flag bit 0) in its
    // local header and in the central directory.
    data[6] |= 1;
    let cd = data.windows(4).position(|w| w == b"PK\x01\x02").unwrap();
    data[cd + 8] |= 1;
    fs::write(dir.path().join("enc.zip"), &data).unwrap();
    let (report, code, stderr) = scan_json(dir.path(), &["enc.zip"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("enc.zip!locked.env: member not scanned: "),
        "{stderr}"
    );
    assert_eq!(places(&report)[0].0, "enc.zip!open.env");
}

#[test]
fn decompression_bombs_are_stopped_with_a_clear_error() {
    let dir = TempDir::new().unwrap();
    // 256 MiB of zeros, gzipped twice: about a kilobyte on disk.
    let mut inner = GzEncoder::new(vec![], Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..256 {
        inner.write_all(&zeros).unwrap();
    }
    let layer = gzip(&inner.finish().unwrap());
    assert!(layer.len() < 64 * 1024, "{}", layer.len());
    let bomb = zip(&[("layer.gz", &layer)], zip::CompressionMethod::Deflated);
    fs::write(dir.path().join("bomb.zip"), &bomb).unwrap();
    let (_, code, stderr) = scan_json(dir.path(), &["bomb.zip"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("bomb.zip!layer.gz")
            && stderr.contains("stopped by the decompression-bomb guard"),
        "{stderr}"
    );

    // The size limit, for inputs that are big rather than malicious.
    fs::write(dir.path().join("big.gz"), gzip(&vec![b'a'; 3 << 20])).unwrap();
    let (_, code, stderr) = scan_json(dir.path(), &["--archive-max-bytes", "1M", "big.gz"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("big.gz!big: stopped after 1048576 expanded bytes (--archive-max-bytes)"),
        "{stderr}"
    );
    scan_json(dir.path(), &["big.gz"])
        .1
        .eq(&0)
        .then_some(())
        .expect("no limit trips");
}

#[test]
fn nesting_deeper_than_the_limit_is_scanned_raw_with_an_error() {
    let dir = TempDir::new().unwrap();
    let pat = github_pat(61);
    let inner = tar(&[("k.env", format!("T={pat}\n").as_bytes())]);
    let outer = tar(&[("inner.tar", &inner)]);
    fs::write(dir.path().join("two.tar"), &outer).unwrap();
    let (report, code, stderr) = scan_json(dir.path(), &["--archive-max-depth", "1", "two.tar"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("two.tar!inner.tar: archive nested more than 1 levels deep"),
        "{stderr}"
    );
    // The inner tar stores its member uncompressed: found in its raw bytes.
    assert_eq!(places(&report)[0].0, "two.tar!inner.tar");
    let (report, code, _) = scan_json(dir.path(), &["two.tar"]);
    assert_eq!(
        (places(&report)[0].0.as_str(), code),
        ("two.tar!inner.tar!k.env", 1)
    );
}
