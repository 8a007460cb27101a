//! `openmig`: the command line that wires openmig's parts together.
//!
//! Binaries only wire: flags are parsed once into typed arguments (clap), then handed to
//! the library crates. Every failure is reported as one line on stderr with a non-zero
//! exit status; patient data never appears in error messages.

mod cli;
mod commands;
mod database;
mod medicines_text;
mod output;
mod pipeline;
mod progress;
mod region;
mod summary;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => error.exit(), // --help and --version
        Err(error) => {
            // clap explains usage over several lines; scripts get the one line that matters.
            eprintln!("{}", one_line(&error.to_string()));
            return ExitCode::from(2);
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` joins the context chain on one line: "cannot open X: permission denied".
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// clap's first line, completed with the next one when it only introduces it
/// ("the following required arguments were not provided:" + "--out <OUT>").
fn one_line(rendered: &str) -> String {
    let mut lines = rendered.lines().map(str::trim).filter(|line| !line.is_empty());
    let first = lines.next().unwrap_or("error: invalid arguments");
    match lines.next() {
        Some(next) if first.ends_with(':') => format!("{first} {next}"),
        _ => first.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::one_line;

    #[test]
    fn a_line_that_introduces_a_list_keeps_its_first_item() {
        let rendered = "error: the following required arguments were not provided:\n  --out <OUT>\n\nUsage: openmig generate --out <OUT>\n";
        assert_eq!(one_line(rendered), "error: the following required arguments were not provided: --out <OUT>");
        assert_eq!(
            one_line("error: unexpected argument '--x' found\n\nUsage: ..."),
            "error: unexpected argument '--x' found"
        );
    }
}
