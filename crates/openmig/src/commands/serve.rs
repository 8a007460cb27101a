//! `openmig serve`: each practice's GP Connect provider endpoint over HTTP
//! (`openmig-provider`), until Ctrl-C. The tokio runtime lives in this command only.

use std::sync::Arc;

use anyhow::Context;
use openmig_store::Store;

use crate::cli::ServeArgs;
use crate::database;
use crate::output;

/// Runs the command.
pub fn run(args: ServeArgs) -> anyhow::Result<()> {
    let store = database::open_read_only(&args.database)?;
    let practices = store.practices().context("cannot list the practices")?;
    let store: Arc<dyn Store> = Arc::new(store);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let address = listener.local_addr().context("cannot read the listening address")?;
        for practice in &practices {
            output::line(&format!(
                "{} {}: http://{address}{}",
                practice.ods_code,
                practice.name,
                openmig_provider::base_path(&practice.ods_code)
            ))?;
        }
        let router = openmig_provider::router(store, chrono::Utc::now);
        openmig_provider::serve(listener, router).await.context("the server failed")
    })
}
