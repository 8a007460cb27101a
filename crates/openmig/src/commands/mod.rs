//! One module per command; each turns its typed arguments into library calls.

mod asked;
mod audit;
mod bench;
mod bench_federation;
mod bench_gateway;
mod bench_region;
mod demo;
pub(crate) mod directory;
mod generate;
pub(crate) mod inbox;
mod info;
mod medicines;
mod overdue;
mod patients;
mod record;
mod serve;
mod token;

use crate::cli::{Cli, Command};

/// Runs the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Generate(args) => generate::run(args),
        Command::Record(args) => record::run(args),
        Command::Patients(args) => patients::run(args),
        Command::Medicines(args) => medicines::run(args),
        Command::Asked(args) => asked::run(args),
        Command::Overdue(args) => overdue::run(args),
        Command::Info(args) => info::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Token(args) => token::run(args),
        Command::Audit(command) => audit::run(command),
        Command::Inbox(command) => inbox::run(command),
        Command::Directory(command) => directory::run(command),
    }
}
