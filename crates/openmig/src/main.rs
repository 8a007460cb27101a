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
mod summary;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) if !error.use_stderr() => error.exit(), // --help and --version
        Err(error) => {
            // clap explains usage over several lines; scripts get the one line that matters.
            let rendered = error.to_string();
            eprintln!("{}", rendered.lines().next().unwrap_or("error: invalid arguments"));
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
