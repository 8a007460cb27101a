//! `openmig generate`: a synthetic region into a new store file.
//!
//! The file appears only when generation has fully succeeded: work goes into a temporary
//! file beside the target, which is renamed over it at the end (atomic on one file
//! system). On any failure, and on Ctrl-C, the temporary file is removed, so no partial
//! store is ever left behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Local;
use openmig_generator::{GeneratorConfig, Region};
use openmig_store_sqlite::SqliteStore;

use crate::cli::GenerateArgs;
use crate::pipeline::{self, Produced};

/// Runs the command.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let config = GeneratorConfig {
        patients: args.patients,
        practices: args.practices,
        seed: args.seed,
        as_of: args.as_of.unwrap_or_else(|| openmig_domain::uk_time::uk_date(chrono::Utc::now())),
    };
    let started = Instant::now();
    let produced = generate_file(config, &args.out, args.force)?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "generated {} patients ({} entries) into {} in {:.1} s ({:.0} patients/s); content hash {}",
        produced.patients,
        produced.entries,
        args.out.display(),
        seconds,
        produced.patients as f64 / seconds.max(1e-9),
        produced.content_hash
    );
    Ok(())
}

/// Generates `config` into `out` atomically (see the module docs).
pub fn generate_file(config: GeneratorConfig, out: &Path, force: bool) -> anyhow::Result<Produced> {
    let region = Region::plan(config)?;
    if out.exists() && !force {
        bail!("{} already exists; refusing to overwrite it (use --force to replace it)", out.display());
    }
    if out.is_dir() {
        bail!("{} is a directory", out.display());
    }
    let temp = TempFile::beside(out)?;
    let produced = {
        let store = SqliteStore::create(&temp.path).with_context(|| format!("cannot create {}", out.display()))?;
        store.set_bulk_load(true).context("cannot prepare the store for loading")?;
        let produced = pipeline::generate_into(&region, &store)?;
        store.set_bulk_load(false).context("cannot finish the store")?;
        store.checkpoint().context("cannot finish the store")?;
        produced
    };
    temp.persist(out)?;
    set_aside_old_audit_checkpoints(out)?;
    Ok(produced)
}

/// A new store file starts with no audit log, so the signed checkpoints of a replaced
/// file's log no longer describe it (and would make the gateway refuse to open the new
/// log as "truncated"). They are evidence, so they are renamed aside, never deleted.
fn set_aside_old_audit_checkpoints(out: &Path) -> anyhow::Result<()> {
    let checkpoints = openmig_audit::default_checkpoints_path(out);
    if !checkpoints.exists() {
        return Ok(());
    }
    let stamp = Local::now().format("%Y%m%dT%H%M%S");
    let mut kept = checkpoints.clone().into_os_string();
    kept.push(format!(".replaced-{stamp}"));
    let kept = PathBuf::from(kept);
    std::fs::rename(&checkpoints, &kept)
        .with_context(|| format!("cannot set aside the old audit checkpoints {}", checkpoints.display()))?;
    eprintln!("the replaced store's audit checkpoints were kept as {}", kept.display());
    Ok(())
}

/// The temporary file being written, for the interrupt handler to remove.
static IN_PROGRESS: Mutex<Option<PathBuf>> = Mutex::new(None);

/// On Ctrl-C while a file is being written, remove it and exit with the conventional
/// status 130. Once no file is in progress the handler does nothing, so a process that
/// goes on after generating (`openmig demo` serving) stops through its own handler.
fn remove_partial_file_on_interrupt() {
    // Only one handler may be installed per process; a second call is harmless.
    let _ = ctrlc::set_handler(|| {
        let Some(path) = IN_PROGRESS.lock().ok().and_then(|mut p| p.take()) else { return };
        remove_with_side_files(&path);
        eprintln!("error: interrupted; no output file was written");
        std::process::exit(130);
    });
}

/// Removes a SQLite file with its `-wal`, `-shm` and `-journal` companions.
pub(crate) fn remove_with_side_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.to_path_buf().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// A temporary store file (with its SQLite side files) removed unless persisted.
struct TempFile {
    path: PathBuf,
    persisted: bool,
}

impl TempFile {
    fn beside(target: &Path) -> anyhow::Result<Self> {
        let dir = match target.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if !dir.is_dir() {
            bail!("cannot write {}: directory {} does not exist", target.display(), dir.display());
        }
        let name = target.file_name().context("the output path has no file name")?.to_string_lossy();
        let path = dir.join(format!(".{name}.partial-{}", std::process::id()));
        // Probe writability now, so an unwritable directory fails before any work.
        std::fs::File::create(&path).with_context(|| format!("cannot write {}", target.display()))?;
        std::fs::remove_file(&path).with_context(|| format!("cannot write {}", target.display()))?;
        remove_partial_file_on_interrupt();
        if let Ok(mut slot) = IN_PROGRESS.lock() {
            *slot = Some(path.clone());
        }
        Ok(TempFile { path, persisted: false })
    }

    fn persist(mut self, target: &Path) -> anyhow::Result<()> {
        std::fs::rename(&self.path, target)
            .with_context(|| format!("cannot move the new store into {}", target.display()))?;
        self.persisted = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Ok(mut slot) = IN_PROGRESS.lock() {
            *slot = None;
        }
        if !self.persisted {
            remove_with_side_files(&self.path);
        }
    }
}
