//! `voxcue enroll`: a user's recordings of a command become extra index entries for the S2O
//! recognizer, saved beside the command file.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use voxcue::commands::CommandSet;
use voxcue::recognizer::s2o::Enrollments;
use voxcue::recognizer::{self, RecognizerKind};
use voxcue::resample::ToSixteenK;
use voxcue::wav::read_wav;

pub fn run(commands_file: &Path, id: &str, wavs: &[PathBuf]) -> Result<ExitCode, String> {
    let set = CommandSet::load(commands_file).map_err(|e| e.to_string())?;
    if set.index_of(id).is_none() {
        return Err(format!("{} has no command {id:?}", commands_file.display()));
    }
    let recognizer = recognizer::load(RecognizerKind::S2o).map_err(|e| e.to_string())?;
    let sidecar = Enrollments::path_for(commands_file);
    let mut enrollments = Enrollments::load(&sidecar).map_err(|e| e.to_string())?;
    let mut added = 0;
    for path in wavs {
        let audio = match read_wav(path) {
            Ok(a) => a,
            Err(e) => {
                eprintln!("voxcue: {e}");
                continue;
            }
        };
        let mono = ToSixteenK::convert_all(audio.sample_rate, &audio.to_mono()).map_err(|e| e.to_string())?;
        let embedding = recognizer
            .enrollment_embedding(&mono)
            .map_err(|e| e.to_string())?
            .ok_or("the S2O recognizer produced no embedding")?;
        enrollments.by_command.entry(id.to_string()).or_default().push(embedding);
        added += 1;
    }
    enrollments.save(&sidecar).map_err(|e| format!("{}: {e}", sidecar.display()))?;
    eprintln!("enrolled {added} recording(s) for {id} in {}", sidecar.display());
    Ok(if added == wavs.len() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
