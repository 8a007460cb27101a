//! Writing results to stdout. A closed pipe (`openmig patients … | head -1`) is the
//! reader saying it has enough, not an error: the command stops quietly instead of
//! panicking as `println!` does.

use std::io::{self, Write};

/// Writes `text` to stdout; a closed pipe ends the process successfully.
pub fn emit(text: &str) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => Err(anyhow::Error::new(e).context("cannot write to standard output")),
    }
}

/// [`emit`] with a newline.
pub fn line(text: &str) -> anyhow::Result<()> {
    emit(&format!("{text}\n"))
}

/// A line of a running server's start-up banner (`serve`, `demo`): written for whoever
/// reads it. A server is not a pipeline stage, so standard output closing (the reader
/// took the address it wanted and went away) must not stop it: any write error is
/// ignored.
pub fn banner(text: &str) {
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{text}").and_then(|()| stdout.flush());
}
