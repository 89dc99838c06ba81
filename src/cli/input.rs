//! Reading inputs: names as reports show them, and chunked reads.

use std::io::{self, Read};

use secretscan::report::path_name;

use super::config::Input;

/// How `input` is named in reports and messages: its path as given, or
/// `<stdin>`.
pub fn name(input: &Input) -> String {
    match input {
        Input::Stdin => "<stdin>".to_string(),
        Input::Path(p) => path_name(p),
    }
}

/// Reads once into `buf`, retrying reads interrupted by a signal. Returns
/// as soon as some bytes are available (so a pipe's data goes through at
/// once); 0 means end of input.
pub fn read_some(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match reader.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Identity of an open file, to tell whether an output would overwrite
/// the input being read.
#[cfg(unix)]
pub fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
pub fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    false
}

/// Metadata of the file behind stdin, when it is one.
pub fn stdin_metadata() -> Option<std::fs::Metadata> {
    #[cfg(unix)]
    {
        use std::os::fd::AsFd;
        let fd = io::stdin().as_fd().try_clone_to_owned().ok()?;
        std::fs::File::from(fd).metadata().ok()
    }
    #[cfg(not(unix))]
    {
        None
    }
}
