//! `openmig generate`: a synthetic region into a new directory file and, beside it, one
//! clinical store per practice (`region.rs` has the layout).
//!
//! The files appear only when generation has fully succeeded: work goes into a
//! temporary file and folder beside the targets, which are renamed into place at the end
//! (the practices' folder first, then the directory, each atomic on one file system).
//! On any failure, and on Ctrl-C, the temporary ones are removed, so no partial region
//! is ever left behind.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Local;
use openmig_generator::{GeneratorConfig, Region};

use crate::cli::GenerateArgs;
use crate::pipeline::{self, Produced};
use crate::region::Layout;

/// Runs the command.
pub fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let config = GeneratorConfig {
        patients: args.patients,
        practices: args.practices,
        seed: args.seed,
        as_of: args.as_of.unwrap_or_else(|| openmig_domain::uk_time::uk_date(chrono::Utc::now())),
    };
    let started = Instant::now();
    let produced = generate_file(config, &args.out, args.force, &args.practices_url)?;
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

/// Generates `config` into the region whose directory is `out`, atomically (see the
/// module docs), publishing the practices' endpoints under `practices_url`.
pub fn generate_file(
    config: GeneratorConfig,
    out: &Path,
    force: bool,
    practices_url: &str,
) -> anyhow::Result<Produced> {
    let region = Region::plan(config)?;
    let target = Layout::of(out);
    for existing in [&target.directory, &target.practices] {
        if existing.exists() && !force {
            bail!("{} already exists; refusing to overwrite it (use --force to replace it)", existing.display());
        }
    }
    if out.is_dir() {
        bail!("{} is a directory", out.display());
    }
    let temp = TempFile::beside(out)?;
    std::fs::create_dir(&temp.layout.practices)
        .with_context(|| format!("cannot create {}", temp.layout.practices.display()))?;
    let produced = pipeline::generate_into(&region, &temp.layout, practices_url)?;
    temp.persist(&target)?;
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

/// The temporary region being written, for the interrupt handler to remove.
static IN_PROGRESS: Mutex<Option<Layout>> = Mutex::new(None);

/// On Ctrl-C while a region is being written, remove it and exit with the conventional
/// status 130. Once nothing is in progress the handler does nothing, so a process that
/// goes on after generating (`openmig demo` serving) stops through its own handler.
fn remove_partial_files_on_interrupt() {
    // Only one handler may be installed per process; a second call is harmless.
    let _ = ctrlc::set_handler(|| {
        let Some(layout) = IN_PROGRESS.lock().ok().and_then(|mut p| p.take()) else { return };
        remove_layout(&layout);
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

/// Removes a region: its directory file (with side files) and its practices' folder.
pub(crate) fn remove_layout(layout: &Layout) {
    remove_with_side_files(&layout.directory);
    let _ = std::fs::remove_dir_all(&layout.practices);
}

/// A temporary region (directory file and practices' folder) removed unless persisted.
struct TempFile {
    layout: Layout,
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
        let layout = Layout {
            practices: dir.join(format!(".{name}.practices.partial-{}", std::process::id())),
            directory: path,
        };
        remove_partial_files_on_interrupt();
        if let Ok(mut slot) = IN_PROGRESS.lock() {
            *slot = Some(layout.clone());
        }
        Ok(TempFile { layout, persisted: false })
    }

    /// Moves the practices' folder into place (setting a replaced one aside and removing
    /// it once the new one is there), then the directory file.
    fn persist(mut self, target: &Layout) -> anyhow::Result<()> {
        let replaced = target.practices.with_file_name(format!(
            ".{}.replaced-{}",
            target.practices.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
            std::process::id()
        ));
        if target.practices.exists() {
            std::fs::rename(&target.practices, &replaced)
                .with_context(|| format!("cannot set aside the old {}", target.practices.display()))?;
        }
        std::fs::rename(&self.layout.practices, &target.practices)
            .with_context(|| format!("cannot move the new practices' stores into {}", target.practices.display()))?;
        // A replaced directory's WAL and shared-memory files describe the old file; left
        // beside the new one, SQLite would apply them to it.
        for suffix in ["-wal", "-shm", "-journal"] {
            let mut side = target.directory.clone().into_os_string();
            side.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(side));
        }
        if let Err(error) = std::fs::rename(&self.layout.directory, &target.directory) {
            // Put the old region back as it was, so directory and stores still belong
            // together; the new files are removed by Drop.
            let _ = std::fs::rename(&target.practices, &self.layout.practices);
            let _ = std::fs::rename(&replaced, &target.practices);
            return Err(error)
                .with_context(|| format!("cannot move the new directory into {}", target.directory.display()));
        }
        let _ = std::fs::remove_dir_all(&replaced);
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
            remove_layout(&self.layout);
        }
    }
}
